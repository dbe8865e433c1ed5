package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // image.DecodeConfig reads GIF dimensions
	_ "image/jpeg" // and JPEG
	_ "image/png"  // and PNG
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// Uploads: visitors and agents POST a file to /files, each side's handler
// authenticating it as it does their connections, and send its id in a
// send frame; readers GET /files/{id}. See docs/protocol.md, Attachments,
// and docs/security.md for the trust boundary.

// DefaultMaxFileBytes is the largest upload unless Config.MaxFileBytes
// says otherwise.
const DefaultMaxFileBytes = 10 << 20

// DefaultFileTypes are the media types accepted unless Config.FileTypes
// says otherwise: common images and PDF.
var DefaultFileTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}

// maxUploads is how many uploads a Server reads at once; each is held in
// memory whole while it is checked, so this bounds their memory at
// maxUploads times Config.MaxFileBytes. More are refused with
// rate_limited, to be retried.
const maxUploads = 16

// maxImagePixels is the most pixels an accepted image may have: a small
// file can declare a huge picture that takes a reader's browser gigabytes
// to decode.
const maxImagePixels = 40_000_000

// Errors of uploads, which the sender sees as error bodies with the codes
// too_large, file_type and file_refused.
var (
	// ErrFileTooLarge means the upload is over Config.MaxFileBytes.
	ErrFileTooLarge = errors.New("transport: the file is too large")
	// ErrFileType means the file's bytes are not of a type in
	// Config.FileTypes, or are a damaged image, whatever its name says.
	ErrFileType = errors.New("transport: the file's type is not accepted")
	// ErrFileRefused is what Config.ScanFile wraps to refuse a file; its
	// message is shown to the sender.
	ErrFileRefused = errors.New("transport: the file was refused")
)

// checkFileConfig checks the upload fields of cfg and fills their defaults.
func checkFileConfig(cfg *Config) error {
	if cfg.MaxFileBytes < 0 {
		return errors.New("Config.MaxFileBytes is negative")
	}
	if cfg.MaxFileBytes == 0 {
		cfg.MaxFileBytes = DefaultMaxFileBytes
	}
	if len(cfg.FileTypes) == 0 {
		cfg.FileTypes = DefaultFileTypes
	}
	for _, t := range cfg.FileTypes {
		if mt, params, err := mime.ParseMediaType(t); err != nil || mt != t || len(params) > 0 {
			return fmt.Errorf("Config.FileTypes has %q; want lower-case media types without parameters, such as image/png", t)
		}
	}
	cfg.FileTypes = slices.Clone(cfg.FileTypes)
	return nil
}

// handleFiles adds the upload and download routes.
func (s *Server) handleFiles(mux *http.ServeMux, auth func(*http.Request) (chat.Agent, error)) {
	mux.HandleFunc("POST /files", func(w http.ResponseWriter, r *http.Request) { s.serveUpload(w, r, auth) })
	mux.HandleFunc("GET /files/{id}", func(w http.ResponseWriter, r *http.Request) { s.serveFile(w, r, auth) })
}

// uploader is who makes a file request: an agent, or a visitor by the
// token in the Authorization header.
func (s *Server) uploader(r *http.Request, auth func(*http.Request) (chat.Agent, error)) (chat.Author, *chat.Visitor, error) {
	if auth != nil {
		a, err := auth(r)
		if err != nil {
			return chat.Author{}, nil, ErrUnauthorized
		}
		return chat.Author{Kind: chat.AuthorAgent, ID: a.ID, Name: a.Name}, nil, nil
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return chat.Author{}, nil, fmt.Errorf("%w: the visitor token is missing", ErrUnauthorized)
	}
	id, err := verifyVisitor(s.cfg.Secret, token, s.cfg.Now())
	if err != nil {
		return chat.Author{}, nil, err
	}
	v, err := s.desk.Visitor(r.Context(), id)
	if err != nil {
		return chat.Author{}, nil, err
	}
	if err := s.desk.Blocked(r.Context(), v, s.clientIP(r)); err != nil {
		return chat.Author{}, nil, err
	}
	return chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String(), Name: v.Name}, &v, nil
}

// participant returns the conversation id names if the requester takes
// part in it: agents in every conversation, as over their connections, a
// visitor in their own. Anything else is not found.
func (s *Server) participant(ctx context.Context, id uuid.UUID, v *chat.Visitor) (chat.ConversationInfo, error) {
	_, info, err := s.desk.Lookup(ctx, id)
	if err != nil {
		return info, err
	}
	if v != nil && info.VisitorID != v.ID {
		return chat.ConversationInfo{}, fmt.Errorf("%w: conversation %s", chat.ErrNotFound, id)
	}
	return info, nil
}

// fileError answers a failed file request.
func (s *Server) fileError(w http.ResponseWriter, r *http.Request, err error) {
	body := errorBody(err)
	status := httpStatus(err)
	switch body.Code {
	case wire.CodeNotFound:
		status, body.Message = http.StatusNotFound, "no such file or conversation"
	case wire.CodeClosed:
		status = http.StatusConflict
	case wire.CodeTooLarge:
		status = http.StatusRequestEntityTooLarge
	case wire.CodeFileType:
		status = http.StatusUnsupportedMediaType
	case wire.CodeFileRefused:
		status = http.StatusUnprocessableEntity
	case wire.CodeRateLimited:
		status = http.StatusTooManyRequests
	case wire.CodeInternal:
		s.log.Error("transport: a file request failed", "path", r.URL.Path, "err", err)
	}
	writeHTTPError(w, status, body)
}

// serveUpload stores a file POSTed as application/octet-stream, its name
// in the query's name and its conversation in conversation_id, and answers
// 201 with the chat.Attachment to send.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request, auth func(*http.Request) (chat.Agent, error)) {
	if s.cfg.Files == nil {
		writeHTTPError(w, http.StatusNotFound, &wire.ErrorBody{Code: wire.CodeNotFound, Message: "uploads are not enabled"})
		return
	}
	// A form on another site cannot send this type without a CORS
	// preflight, which Parley never grants.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/octet-stream" {
		writeHTTPError(w, http.StatusUnsupportedMediaType, &wire.ErrorBody{Code: wire.CodeBadFrame, Message: "files are posted as application/octet-stream"})
		return
	}
	if !s.originAllowed(r) {
		refuseOrigin(w)
		return
	}
	f, err := s.upload(w, r, auth)
	if err != nil {
		s.fileError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(f.Attachment())
}

// upload checks and stores one upload.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, auth func(*http.Request) (chat.Agent, error)) (chat.File, error) {
	ctx := r.Context()
	author, visitor, err := s.uploader(r, auth)
	if err != nil {
		return chat.File{}, err
	}
	convID, err := chat.ParseID(r.URL.Query().Get("conversation_id"))
	if err != nil {
		return chat.File{}, wire.Errorf(wire.CodeInvalid, "conversation_id is missing or malformed")
	}
	info, err := s.participant(ctx, convID, visitor)
	if err != nil {
		return chat.File{}, err
	}
	if info.Status == chat.StatusClosed {
		return chat.File{}, fmt.Errorf("%w: conversation %s", chat.ErrClosed, convID)
	}
	name, err := fileName(r.URL.Query().Get("name"))
	if err != nil {
		return chat.File{}, err
	}
	if r.ContentLength > s.cfg.MaxFileBytes {
		return chat.File{}, s.tooLarge()
	}
	select {
	case s.uploads <- struct{}{}:
		defer func() { <-s.uploads }()
	default:
		return chat.File{}, &rateLimitError{retryAfter: time.Second}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxFileBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return chat.File{}, s.tooLarge()
	}
	if err != nil {
		return chat.File{}, wire.Errorf(wire.CodeInvalid, "the upload broke off")
	}
	if len(data) == 0 {
		return chat.File{}, wire.Errorf(wire.CodeInvalid, "the file is empty")
	}
	f := chat.File{ID: chat.NewID(), ConversationID: convID, Name: name, Size: int64(len(data)), Author: author,
		CreatedAt: chat.Timestamp(s.cfg.Now())}
	if err := s.sniff(&f, data); err != nil {
		return chat.File{}, err
	}
	if s.cfg.ScanFile != nil {
		if err := s.cfg.ScanFile(ctx, f.Name, f.ContentType, bytes.NewReader(data)); err != nil {
			if errors.Is(err, ErrFileRefused) {
				s.log.Info("transport: an upload was refused by the scan", "conversation", convID, "author", author.ID, "err", err)
				return chat.File{}, err
			}
			return chat.File{}, fmt.Errorf("transport: scanning an upload: %w", err)
		}
	}
	return f, s.cfg.Files.PutFile(ctx, f, bytes.NewReader(data))
}

func (s *Server) tooLarge() error {
	return fmt.Errorf("%w: the limit is %d bytes", ErrFileTooLarge, s.cfg.MaxFileBytes)
}

// sniff sets f's content type from data's leading bytes and, for images
// the standard library reads, its dimensions. A type not in
// Config.FileTypes, or an image that does not decode, is refused.
func (s *Server) sniff(f *chat.File, data []byte) error {
	ct, _, _ := mime.ParseMediaType(http.DetectContentType(data))
	if !slices.Contains(s.cfg.FileTypes, ct) {
		return fmt.Errorf("%w: it is %s; send %s", ErrFileType, ct, strings.Join(s.cfg.FileTypes, ", "))
	}
	f.ContentType = ct
	if ct != "image/jpeg" && ct != "image/png" && ct != "image/gif" {
		return nil
	}
	c, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%w: the image is damaged", ErrFileType)
	}
	if c.Width <= 0 || c.Height <= 0 || int64(c.Width)*int64(c.Height) > maxImagePixels {
		return fmt.Errorf("%w: the image is %d×%d pixels; at most %d pixels are accepted", ErrFileType, c.Width, c.Height, maxImagePixels)
	}
	f.Width, f.Height = c.Width, c.Height
	return nil
}

// fileName cleans the name an upload came with: its last path element,
// without control or format characters (a right-to-left override would
// show "photo\u202egnp.exe" as "photoexe.png"), and not empty.
func fileName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", wire.Errorf(wire.CodeInvalid, "the file name is not valid UTF-8")
	}
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, name))
	if name == "" || name == "." || name == "/" || name == ".." {
		return "", wire.Errorf(wire.CodeInvalid, "the file needs a name")
	}
	if len(name) > chat.MaxTitleBytes {
		return "", wire.Errorf(wire.CodeInvalid, "the file name is over %d bytes", chat.MaxTitleBytes)
	}
	return name, nil
}

// fileCSP is the Content-Security-Policy of a served file: nothing in it
// runs or loads anything, even if a browser renders it as a page.
const fileCSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"

// serveFile sends a stored file to a participant of its conversation.
// Images are shown inline, anything else is downloaded; either way the
// browser may not guess another type, and the file may not run scripts.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, auth func(*http.Request) (chat.Agent, error)) {
	if s.cfg.Files == nil {
		writeHTTPError(w, http.StatusNotFound, &wire.ErrorBody{Code: wire.CodeNotFound, Message: "uploads are not enabled"})
		return
	}
	id, err := chat.ParseID(r.PathValue("id"))
	if err != nil {
		s.fileError(w, r, chat.ErrNotFound)
		return
	}
	ctx := r.Context()
	if r.URL.Query().Has("sig") {
		err = s.checkFileLink(r, id)
	} else {
		var visitor *chat.Visitor
		var rec chat.File
		_, visitor, err = s.uploader(r, auth)
		if err == nil {
			rec, err = s.cfg.Files.File(ctx, id)
		}
		if err == nil {
			_, err = s.participant(ctx, rec.ConversationID, visitor)
		}
	}
	if err != nil {
		s.fileError(w, r, err)
		return
	}
	rec, rc, err := s.cfg.Files.OpenFile(ctx, id)
	if err != nil {
		s.fileError(w, r, err)
		return
	}
	defer rc.Close()
	disposition := "attachment"
	if strings.HasPrefix(rec.ContentType, "image/") {
		disposition = "inline"
	}
	h := w.Header()
	h.Set("Content-Type", rec.ContentType)
	h.Set("Content-Length", fmt.Sprint(rec.Size))
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": rec.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", fileCSP)
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "private, max-age=3600")
	_, _ = io.Copy(w, rc)
}

// fileLinkDomain separates the signatures of file links from the
// server's other signatures.
const fileLinkDomain = "parley file link v1\x00"

// FileLinks returns a chat.Config.FileLink that links each uploaded file
// in emails to GET {base}/files/{id} with a signature made with secret,
// the Server's Config.Secret. The link works for ttl from when the email
// is written, for whoever holds it, and for that file only: it is sent
// only to the address the email goes to, and expires. base is where the
// visitor handler is mounted, such as "https://shop.example.com/chat". A
// secret too short, a base that is not an absolute http or https URL, or
// a ttl that is not positive returns an error wrapping chat.ErrInvalid.
func FileLinks(secret []byte, base string, ttl time.Duration) (func(chat.Attachment) string, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("%w: the secret is %d bytes; at least %d are needed", chat.ErrInvalid, len(secret), MinSecretBytes)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: file links need an absolute http or https base URL, not %.200q", chat.ErrInvalid, base)
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("%w: file links need a positive time to live", chat.ErrInvalid)
	}
	base = strings.TrimSuffix(base, "/")
	secret = slices.Clone(secret)
	return func(a chat.Attachment) string {
		exp := strconv.FormatInt(time.Now().Add(ttl).Unix(), 10)
		sig := b64.EncodeToString(mac(secret, fileLinkDomain, a.FileID.String()+"."+exp))
		return base + "/files/" + a.FileID.String() + "?" + url.Values{"exp": {exp}, "sig": {sig}}.Encode()
	}, nil
}

// checkFileLink checks the signature and expiry of a link FileLinks made.
func (s *Server) checkFileLink(r *http.Request, id uuid.UUID) error {
	q := r.URL.Query()
	exp := q.Get("exp")
	if !validMAC(s.cfg.Secret, fileLinkDomain, id.String()+"."+exp, q.Get("sig")) {
		return fmt.Errorf("%w: the file link is not valid", ErrUnauthorized)
	}
	if n, err := strconv.ParseInt(exp, 10, 64); err != nil || !s.cfg.Now().Before(time.Unix(n, 0)) {
		return fmt.Errorf("%w: the file link has expired", ErrTokenExpired)
	}
	return nil
}

// attachments returns the attachments of a send frame's files, each an
// upload to the frame's conversation.
func (s *Server) attachments(ctx context.Context, convID uuid.UUID, ids []uuid.UUID) ([]chat.Attachment, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if s.cfg.Files == nil {
		return nil, wire.Errorf(wire.CodeInvalid, "uploads are not enabled")
	}
	out := make([]chat.Attachment, 0, len(ids))
	for _, id := range ids {
		f, err := s.cfg.Files.File(ctx, id)
		if errors.Is(err, chat.ErrNotFound) || err == nil && f.ConversationID != convID {
			return nil, &wire.Error{Code: wire.CodeInvalid, Message: fmt.Sprintf("file %s is not an upload to this conversation", id), Field: "files"}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, f.Attachment())
	}
	return out, nil
}
