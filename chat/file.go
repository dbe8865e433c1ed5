package chat

import (
	"context"
	"io"
	"time"

	"github.com/google/uuid"
)

// File is an uploaded file that a message's Attachment points to: what
// Parley knows of the bytes kept in a FileStore. A file belongs to one
// conversation, and only that conversation's participants may read it.
type File struct {
	ID             uuid.UUID `json:"id"`              // the file's id; Attachment.FileID
	ConversationID uuid.UUID `json:"conversation_id"` // the conversation it was uploaded to
	Name           string    `json:"name"`            // the uploader's file name, shown to readers
	// ContentType is the media type found in the bytes themselves (never
	// the name's extension or the uploader's claim), without parameters.
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`             // bytes
	Width       int       `json:"width,omitempty"`  // pixels, for images
	Height      int       `json:"height,omitempty"` // pixels, for images
	Author      Author    `json:"author"`           // who uploaded it
	CreatedAt   time.Time `json:"created_at"`       // when it was stored
}

// Validate reports with ErrInvalid why f cannot be stored.
func (f File) Validate() error {
	if f.Name == "" {
		return invalid("file name is missing")
	}
	if f.ContentType == "" {
		return invalid("file content type is missing")
	}
	if f.Size < 0 || f.Width < 0 || f.Height < 0 {
		return invalid("file size or dimensions are negative")
	}
	return firstErr(
		checkID("file id", f.ID),
		checkID("file conversation id", f.ConversationID),
		checkTime("file created time", f.CreatedAt),
		checkText("file name", f.Name, MaxTitleBytes),
		checkText("file content type", f.ContentType, MaxIDBytes),
		f.Author.Validate(),
	)
}

// Attachment returns the attachment that points to f, to be sent with a
// message of f's conversation. Its URL is relative: the handler that serves
// the reader's side resolves it (see transport's GET /files/{id}).
func (f File) Attachment() Attachment {
	return Attachment{FileID: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size,
		Width: f.Width, Height: f.Height, URL: "files/" + f.ID.String()}
}

// FileStore keeps uploaded files, the bytes and their File record. Parley
// ships one over a directory (filestore/disk) and one in the SQL database
// (store/sqlstore); a shop may write its own, for example over object
// storage, and check it with the conformance suite in filestore/filetest.
// When several instances serve the chat, they must share the FileStore.
//
// Rules every implementation follows:
//   - All methods are safe for concurrent use.
//   - PutFile checks f with Validate first; a rejected file returns an
//     error wrapping ErrInvalid and writes nothing.
//   - A missing file returns an error wrapping ErrNotFound.
//   - A context that is already done returns its error and writes nothing.
//   - A file is stored whole or not at all: a reader that fails, or gives
//     other than f.Size bytes, stores nothing and cannot be found after.
//   - Times are returned in UTC and kept to the microsecond (see Timestamp).
type FileStore interface {
	// PutFile stores f with the content read from r to its end. The bytes
	// read must number f.Size, else ErrInvalid. A file with the same ID
	// returns ErrConflict and leaves the stored one as it was.
	PutFile(ctx context.Context, f File, r io.Reader) error
	// File returns the record of the file with the given id without its
	// content, or ErrNotFound.
	File(ctx context.Context, id uuid.UUID) (File, error)
	// OpenFile returns the record and the content of the file with the
	// given id, or ErrNotFound. The caller closes the reader.
	OpenFile(ctx context.Context, id uuid.UUID) (File, io.ReadCloser, error)
	// DeleteFile removes the file with the given id, or returns
	// ErrNotFound.
	DeleteFile(ctx context.Context, id uuid.UUID) error
}
