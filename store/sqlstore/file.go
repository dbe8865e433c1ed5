package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// The Store keeps uploaded files in the files table, content and all: it
// implements chat.FileStore, so every instance over the same database
// serves the same files. A file's content is read into memory whole to be
// written or read; the transport's upload limit bounds it. On MySQL the
// server's max_allowed_packet must exceed the largest file.
var _ chat.FileStore = (*Store)(nil)

// fileQ puts the files table of the store's prefix into a query template.
func (s *Store) fileQ(query string) string {
	return strings.ReplaceAll(query, "{files}", s.prefix+"files")
}

// PutFile implements chat.FileStore.
func (s *Store) PutFile(ctx context.Context, f chat.File, r io.Reader) error {
	if err := check(ctx, f.Validate()); err != nil {
		return err
	}
	content, err := io.ReadAll(io.LimitReader(r, f.Size+1))
	if err != nil {
		return err
	}
	if int64(len(content)) != f.Size {
		return fmt.Errorf("%w: file %s has other than the %d bytes its record says", chat.ErrInvalid, f.ID, f.Size)
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	_, err = s.exec(ctx, s.fileQ(`INSERT INTO {files} (id, conversation_id, name, content_type, size, width, height,
		author_kind, author_id, author_name, created_at, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		idBytes(f.ID), idBytes(f.ConversationID), f.Name, f.ContentType, f.Size, f.Width, f.Height,
		string(f.Author.Kind), f.Author.ID, f.Author.Name, chat.Timestamp(f.CreatedAt).UnixMicro(), content)
	return s.dbErr("storing a file", err)
}

// fileColumns are the columns of a file's record, in scanFile's order.
const fileColumns = `id, conversation_id, name, content_type, size, width, height, author_kind, author_id, author_name, created_at`

// scanFile reads a record selected with fileColumns, and more columns
// into extra.
func scanFile(row interface{ Scan(...any) error }, extra ...any) (chat.File, error) {
	var id, conv []byte
	var kind string
	var created int64
	var f chat.File
	dest := append([]any{&id, &conv, &f.Name, &f.ContentType, &f.Size, &f.Width, &f.Height, &kind, &f.Author.ID, &f.Author.Name, &created}, extra...)
	if err := row.Scan(dest...); err != nil {
		return f, err
	}
	var err error
	if f.ID, err = scanID(id); err != nil {
		return f, err
	}
	if f.ConversationID, err = scanID(conv); err != nil {
		return f, err
	}
	f.Author.Kind = chat.AuthorKind(kind)
	f.CreatedAt = fromMicros(sql.NullInt64{Int64: created, Valid: true})
	return f, nil
}

// File implements chat.FileStore.
func (s *Store) File(ctx context.Context, id uuid.UUID) (chat.File, error) {
	if err := ctx.Err(); err != nil {
		return chat.File{}, err
	}
	f, err := scanFile(s.queryRow(ctx, s.fileQ(`SELECT `+fileColumns+` FROM {files} WHERE id = ?`), idBytes(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return chat.File{}, fmt.Errorf("%w: file %s", chat.ErrNotFound, id)
	}
	return f, s.dbErr("reading a file", err)
}

// OpenFile implements chat.FileStore.
func (s *Store) OpenFile(ctx context.Context, id uuid.UUID) (chat.File, io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return chat.File{}, nil, err
	}
	var content []byte
	f, err := scanFile(s.queryRow(ctx, s.fileQ(`SELECT `+fileColumns+`, content FROM {files} WHERE id = ?`), idBytes(id)), &content)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.File{}, nil, fmt.Errorf("%w: file %s", chat.ErrNotFound, id)
	}
	if err != nil {
		return chat.File{}, nil, s.dbErr("reading a file", err)
	}
	return f, io.NopCloser(bytes.NewReader(content)), nil
}

// DeleteFile implements chat.FileStore.
func (s *Store) DeleteFile(ctx context.Context, id uuid.UUID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	res, err := s.exec(ctx, s.fileQ(`DELETE FROM {files} WHERE id = ?`), idBytes(id))
	if err != nil {
		return s.dbErr("deleting a file", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.dbErr("deleting a file", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: file %s", chat.ErrNotFound, id)
	}
	return nil
}
