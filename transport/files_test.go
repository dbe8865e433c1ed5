package transport_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// fileHarness serves a Desk over a SQLite file that keeps the uploads too.
type fileHarness struct {
	*harness
	store *sqlstore.Store
}

func newFileHarness(t *testing.T, configure ...func(*transport.Config)) fileHarness {
	t.Helper()
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(context.Background()) })
	files := func(c *transport.Config) { c.Files = store }
	h := newHarnessWithStore(t, store, append([]func(*transport.Config){files}, configure...)...)
	return fileHarness{harness: h, store: store}
}

// storedFiles counts the files in the store.
func (h fileHarness) storedFiles() int {
	h.t.Helper()
	var n int
	require.NoError(h.t, h.store.DB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM parley_files`).Scan(&n))
	return n
}

// uploader is who sends a file request: a visitor by token, or an agent.
type uploader struct {
	token, agent string
}

func (h fileHarness) request(method, path string, who uploader, body []byte, contentType string) *http.Response {
	h.t.Helper()
	base := h.url + "/chat"
	if who.agent != "" {
		base = h.url + "/staff/chat"
	}
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	require.NoError(h.t, err)
	if who.agent != "" {
		req.Header.Set("X-Test-Agent", who.agent)
	}
	if who.token != "" {
		req.Header.Set("Authorization", "Bearer "+who.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	return resp
}

// upload posts a file and returns the response and, on success, the
// attachment.
func (h fileHarness) upload(who uploader, conv uuid.UUID, name string, data []byte) (*http.Response, chat.Attachment) {
	h.t.Helper()
	q := url.Values{"conversation_id": {conv.String()}, "name": {name}}
	resp := h.request(http.MethodPost, "/files?"+q.Encode(), who, data, "application/octet-stream")
	var a chat.Attachment
	if resp.StatusCode == http.StatusCreated {
		require.NoError(h.t, decodeJSON(resp, &a))
	}
	return resp, a
}

// refused checks a failed file request's status and error code.
func refused(t *testing.T, resp *http.Response, status int, code string) wire.ErrorBody {
	t.Helper()
	var f wire.ServerFrame
	require.NoError(t, decodeJSON(resp, &f))
	require.Equal(t, status, resp.StatusCode, "%+v", f.Error)
	require.NotNil(t, f.Error)
	assert.Equal(t, code, f.Error.Code)
	return *f.Error
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

// TestAttachmentRoundTrip: a visitor uploads an image and sends it; the
// agent gets the message with the attachment and can fetch the file, and
// so can the visitor, as an image shown inline that cannot be sniffed
// into anything else.
func TestAttachmentRoundTrip(t *testing.T) {
	t.Parallel()
	h := newFileHarness(t)
	v := h.visitor(ws)
	require.Equal(t, int64(transport.DefaultMaxFileBytes), v.welcome.Limits.File)
	require.Contains(t, v.welcome.Limits.FileTypes, "image/png")
	conv := v.start("")
	me := uploader{token: v.welcome.Token}
	img := pngBytes(t, 40, 30)

	resp, a := h.upload(me, conv.ID, `C:\Users\zoe\zdjęcie paczki.png`, img)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "zdjęcie paczki.png", a.Name, "only the last element of the name is kept")
	assert.Equal(t, "image/png", a.ContentType)
	assert.Equal(t, int64(len(img)), a.Size)
	assert.Equal(t, [2]int{40, 30}, [2]int{a.Width, a.Height})
	assert.Equal(t, "files/"+a.FileID.String(), a.URL)

	ack := v.mustRequest(wire.ClientFrame{Type: wire.FrameSend, ConversationID: conv.ID, Key: "photo", Files: []uuid.UUID{a.FileID}})
	require.Equal(t, wire.FrameAck, ack.Type)

	agent := h.agent(ws, "a1")
	agent.mustRequest(wire.ClientFrame{Type: wire.FrameSync, ConversationID: conv.ID})
	msgs := agent.messages(conv, 1)
	require.Equal(t, []chat.Attachment{a}, msgs[0].Attachments, "the agent gets the stored attachment")
	assert.Empty(t, msgs[0].Body)

	for _, who := range []uploader{{agent: "a2"}, me} {
		resp := h.request(http.MethodGet, "/"+a.URL, who, nil, "")
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%+v", who)
		assert.True(t, bytes.Equal(img, body))
		assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
		assert.Equal(t, `inline; filename*=utf-8''zdj%C4%99cie%20paczki.png`, resp.Header.Get("Content-Disposition"))
		assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "sandbox")
		assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
		assert.Equal(t, "same-origin", resp.Header.Get("Cross-Origin-Resource-Policy"))
	}
}

// pngHeader is the start of a PNG that declares a w×h picture: enough
// for its dimensions to be read, without the pixels.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	out := append([]byte("\x89PNG\r\n\x1a\n"), binary.BigEndian.AppendUint32(nil, uint32(len(ihdr)))...)
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}

// TestAgentAttachment: an agent uploads a file through the agents'
// handler and sends it; the visitor gets it and can fetch it.
func TestAgentAttachment(t *testing.T) {
	t.Parallel()
	h := newFileHarness(t)
	v := h.visitor(ws)
	conv := v.start("")
	agent := h.agent(sse, "olga")
	require.NotZero(t, agent.welcome.Limits.File)
	pdf := []byte("%PDF-1.7\n% zwrot\n")
	resp, a := h.upload(uploader{agent: "olga"}, conv.ID, "etykieta zwrotna.pdf", pdf)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	agent.mustRequest(wire.ClientFrame{Type: wire.FrameSend, ConversationID: conv.ID, Key: "label", Body: "Your return label", Files: []uuid.UUID{a.FileID}})
	got := *v.expect(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.Message.Author.Kind == chat.AuthorAgent
	}).Message
	require.Equal(t, []chat.Attachment{a}, got.Attachments)
	assert.Equal(t, chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Agent olga"}, got.Author)
	file := h.request(http.MethodGet, "/"+a.URL, uploader{token: v.welcome.Token}, nil, "")
	body, err := io.ReadAll(file.Body)
	file.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, file.StatusCode)
	assert.Equal(t, pdf, body)
	assert.Equal(t, "application/pdf", file.Header.Get("Content-Type"))
}

// TestAttachmentAccess: only the conversation's participants read a file;
// anyone else gets what a missing file gets.
func TestAttachmentAccess(t *testing.T) {
	t.Parallel()
	h := newFileHarness(t)
	v := h.visitor(sse)
	conv := v.start("")
	resp, a := h.upload(uploader{token: v.welcome.Token}, conv.ID, "faktura.pdf", []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n"))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "application/pdf", a.ContentType)

	got := h.request(http.MethodGet, "/"+a.URL, uploader{token: v.welcome.Token}, nil, "")
	got.Body.Close()
	require.Equal(t, http.StatusOK, got.StatusCode)
	assert.Equal(t, `attachment; filename=faktura.pdf`, got.Header.Get("Content-Disposition"), "a file that is not an image is downloaded")

	other := h.visitor(ws)
	refused(t, h.request(http.MethodGet, "/"+a.URL, uploader{token: other.welcome.Token}, nil, ""), http.StatusNotFound, wire.CodeNotFound)
	refused(t, h.request(http.MethodGet, "/"+a.URL, uploader{}, nil, ""), http.StatusUnauthorized, wire.CodeUnauthorized)
	refused(t, h.request(http.MethodGet, "/"+a.URL, uploader{token: "forged.token"}, nil, ""), http.StatusUnauthorized, wire.CodeUnauthorized)
	refused(t, h.request(http.MethodGet, "/files/"+chat.NewID().String(), uploader{token: v.welcome.Token}, nil, ""), http.StatusNotFound, wire.CodeNotFound)
	unauth, err := http.Get(h.url + "/staff/chat/" + a.URL)
	require.NoError(t, err)
	refused(t, unauth, http.StatusUnauthorized, wire.CodeUnauthorized)

	// Another visitor can neither upload to the conversation nor send its
	// file in their own.
	resp, _ = h.upload(uploader{token: other.welcome.Token}, conv.ID, "x.pdf", []byte("%PDF-1.4\n"))
	refused(t, resp, http.StatusNotFound, wire.CodeNotFound)
	mine := other.start("")
	r := other.request(wire.ClientFrame{Type: wire.FrameSend, ConversationID: mine.ID, Key: "steal", Files: []uuid.UUID{a.FileID}})
	require.NotNil(t, r.Error)
	assert.Equal(t, wire.CodeInvalid, r.Error.Code)
	assert.Equal(t, "files", r.Error.Field)
}

// TestAttachmentRefused: the type is read from the bytes, the size is
// capped, the shop's scan can refuse, and a refused file is not stored.
func TestAttachmentRefused(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	h := newFileHarness(t, func(c *transport.Config) {
		c.MaxFileBytes = limit
		c.ScanFile = func(_ context.Context, name, contentType string, r io.Reader) error {
			b, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			if bytes.Contains(b, []byte("EICAR")) {
				return fmt.Errorf("%w: it carries a virus (%s, %s)", transport.ErrFileRefused, name, contentType)
			}
			if name == "scanner-down.png" {
				return errors.New("the scanner is not answering")
			}
			return nil
		}
	})
	v := h.visitor(ws)
	conv := v.start("")
	me := uploader{token: v.welcome.Token}

	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0}, 512)...)
	resp, _ := h.upload(me, conv.ID, "holiday.png", exe)
	e := refused(t, resp, http.StatusUnsupportedMediaType, wire.CodeFileType)
	assert.Contains(t, e.Message, "application/octet-stream", "the sender is told what the file really is")

	html := []byte("<!DOCTYPE html><script>alert(1)</script>")
	resp, _ = h.upload(me, conv.ID, "cat.jpg", html)
	refused(t, resp, http.StatusUnsupportedMediaType, wire.CodeFileType)

	damaged := append(pngBytes(t, 10, 10)[:8], bytes.Repeat([]byte("x"), 100)...) // a PNG signature, then no image
	resp, _ = h.upload(me, conv.ID, "damaged.png", damaged)
	refused(t, resp, http.StatusUnsupportedMediaType, wire.CodeFileType)

	big := append(pngBytes(t, 4, 4), make([]byte, limit)...)
	resp, _ = h.upload(me, conv.ID, "big.png", big)
	refused(t, resp, http.StatusRequestEntityTooLarge, wire.CodeTooLarge)

	virus := append(pngBytes(t, 4, 4), []byte("EICAR")...)
	resp, _ = h.upload(me, conv.ID, "virus.png", virus)
	e = refused(t, resp, http.StatusUnprocessableEntity, wire.CodeFileRefused)
	assert.Equal(t, "the file was refused: it carries a virus (virus.png, image/png)", e.Message)

	resp, _ = h.upload(me, conv.ID, "huge.png", pngHeader(10000, 5000))
	e = refused(t, resp, http.StatusUnsupportedMediaType, wire.CodeFileType)
	assert.Contains(t, e.Message, "10000×5000")

	resp, _ = h.upload(me, conv.ID, "scanner-down.png", pngBytes(t, 4, 4))
	refused(t, resp, http.StatusInternalServerError, wire.CodeInternal)

	resp, a := h.upload(me, conv.ID, "faktura\u202egnp.pdf", []byte("%PDF-1.4\n"))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "fakturagnp.pdf", a.Name, "a right-to-left override is taken out of the name")
	require.NoError(t, h.store.DeleteFile(t.Context(), a.FileID))

	resp, _ = h.upload(me, conv.ID, "", pngBytes(t, 4, 4))
	refused(t, resp, http.StatusBadRequest, wire.CodeInvalid)
	resp, _ = h.upload(me, conv.ID, "empty.png", nil)
	refused(t, resp, http.StatusBadRequest, wire.CodeInvalid)

	// What a form on another site could send is refused before it is read.
	resp = h.request(http.MethodPost, "/files?name=a.png&conversation_id="+conv.ID.String(), me, pngBytes(t, 4, 4), "text/plain")
	refused(t, resp, http.StatusUnsupportedMediaType, wire.CodeBadFrame)

	req, err := http.NewRequest(http.MethodPost, h.url+"/chat/files?name=a.png&conversation_id="+conv.ID.String(), bytes.NewReader(pngBytes(t, 4, 4)))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+me.token)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Origin", "https://evil.example")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	refused(t, resp, http.StatusForbidden, wire.CodeUnauthorized)

	assert.Zero(t, h.storedFiles(), "nothing refused is stored")

	resp, _ = h.upload(me, conv.ID, "exactly-the-limit.png", append(pngBytes(t, 4, 4), make([]byte, limit-len(pngBytes(t, 4, 4)))...))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, 1, h.storedFiles())

	v.mustRequest(wire.ClientFrame{Type: wire.FrameClose, ConversationID: conv.ID})
	resp, _ = h.upload(me, conv.ID, "late.png", pngBytes(t, 4, 4))
	refused(t, resp, http.StatusConflict, wire.CodeClosed)

	// A blocked visitor uploads nothing more.
	conv = v.start("")
	_, err = h.desk.Block(t.Context(), chat.Block{VisitorID: v.welcome.Visitor.ID, AgentID: "a1"})
	require.NoError(t, err)
	resp, _ = h.upload(me, conv.ID, "after-block.png", pngBytes(t, 4, 4))
	refused(t, resp, http.StatusForbidden, wire.CodeBlocked)
	assert.Equal(t, 1, h.storedFiles())
}

// TestAttachmentsOff: without a FileStore the routes answer not found and
// the welcome announces no uploads.
func TestAttachmentsOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	v := h.visitor(ws)
	assert.Zero(t, v.welcome.Limits.File)
	conv := v.start("")
	fh := fileHarness{harness: h}
	resp, _ := fh.upload(uploader{token: v.welcome.Token}, conv.ID, "a.png", pngBytes(t, 2, 2))
	refused(t, resp, http.StatusNotFound, wire.CodeNotFound)
	r := v.request(wire.ClientFrame{Type: wire.FrameSend, ConversationID: conv.ID, Key: "k", Files: []uuid.UUID{chat.NewID()}})
	require.NotNil(t, r.Error)
	assert.Equal(t, wire.CodeInvalid, r.Error.Code)
}

// TestFileConfig: bad upload settings are refused by name.
func TestFileConfig(t *testing.T) {
	t.Parallel()
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close(context.Background()) })
	for _, c := range []transport.Config{
		{MaxFileBytes: -1},
		{FileTypes: []string{"image/PNG"}},
		{FileTypes: []string{"text/plain; charset=utf-8"}},
	} {
		c.Desk, c.Secret = desk, testSecret
		_, err := transport.New(c)
		require.ErrorIs(t, err, chat.ErrInvalid)
		assert.True(t, strings.Contains(err.Error(), "MaxFileBytes") || strings.Contains(err.Error(), "FileTypes"), err.Error())
	}
}

// TestTranscriptLinksAttachments: an emailed transcript links each file
// with a signed link that works without the visitor's token, for that
// file only, until it expires.
func TestTranscriptLinksAttachments(t *testing.T) {
	t.Parallel()
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(context.Background()) })
	var link atomic.Pointer[func(chat.Attachment) string]
	var skew atomic.Int64 // how far the server's clock is ahead
	box := &mailbox{}
	deskCfg := chat.Config{Store: store, Notifier: box, FileLink: func(a chat.Attachment) string { return (*link.Load())(a) }}
	h := fileHarness{harness: newHarnessWithDesk(t, deskCfg, func(c *transport.Config) {
		c.Files = store
		c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	}), store: store}
	links, err := transport.FileLinks(testSecret, h.url+"/chat/", time.Hour)
	require.NoError(t, err)
	link.Store(&links)

	v := h.visitor(ws, clientOptions{identity: identified(t, "anna@example.pl")})
	conv := v.start("")
	img := pngBytes(t, 8, 8)
	_, a := h.upload(uploader{token: v.welcome.Token}, conv.ID, "paczka.png", img)
	v.mustRequest(wire.ClientFrame{Type: wire.FrameSend, ConversationID: conv.ID, Key: "photo", Body: "Look", Files: []uuid.UUID{a.FileID}})
	_, other := h.upload(uploader{token: v.welcome.Token}, conv.ID, "other.png", pngBytes(t, 2, 2))
	require.Empty(t, transcript(v, conv, ""))

	var sent []chat.Attachment
	for _, n := range box.all() {
		if n.Kind != chat.NoticeTranscript {
			continue // the acknowledgement of the offline request
		}
		for _, m := range n.Messages {
			sent = append(sent, m.Attachments...)
		}
	}
	require.Len(t, sent, 1)
	u := sent[0].URL
	require.True(t, strings.HasPrefix(u, h.url+"/chat/files/"+a.FileID.String()+"?"), u)

	get := func(u string) *http.Response {
		resp, err := http.Get(u)
		require.NoError(t, err)
		return resp
	}
	resp := get(u)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, img, body, "the link fetches the file without the visitor's token")
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))

	refused(t, get(strings.Replace(u, a.FileID.String(), other.FileID.String(), 1)), http.StatusUnauthorized, wire.CodeUnauthorized)
	refused(t, get(strings.Replace(u, "exp=", "exp=9", 1)), http.StatusUnauthorized, wire.CodeUnauthorized)
	skew.Store(int64(2 * time.Hour))
	refused(t, get(u), http.StatusUnauthorized, wire.CodeTokenExpired)
	_, err = transport.FileLinks(testSecret, "/chat", time.Hour)
	assert.ErrorIs(t, err, chat.ErrInvalid)
}

// TestUploadsAtOnce: a server reads a bounded number of uploads at once,
// since each is held in memory; one more is told to retry, and goes
// through once the others are done.
func TestUploadsAtOnce(t *testing.T) {
	t.Parallel()
	h := newFileHarness(t)
	v := h.visitor(ws)
	conv := v.start("")
	me := uploader{token: v.welcome.Token}
	img := pngBytes(t, 4, 4)
	const slow = 16
	writers := make([]*io.PipeWriter, slow)
	results := make(chan int, slow)
	// A test that fails while uploads stall ends them, so that the server
	// can stop.
	t.Cleanup(func() {
		for _, pw := range writers {
			if pw != nil {
				_ = pw.CloseWithError(errors.New("the test ended"))
			}
		}
	})
	for i := range writers {
		pr, pw := io.Pipe()
		writers[i] = pw
		req, err := http.NewRequest(http.MethodPost, h.url+"/chat/files?name=slow.png&conversation_id="+conv.ID.String(), pr)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+me.token)
		req.Header.Set("Content-Type", "application/octet-stream")
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				_ = pr.CloseWithError(err) // the writes below fail instead of waiting
				results <- 0
				return
			}
			resp.Body.Close()
			results <- resp.StatusCode
		}()
		_, err = pw.Write(img[:8]) // the upload starts, and stalls
		require.NoError(t, err)
	}
	// Each of them holds a slot once its request is read; wait for that.
	deadline := time.Now().Add(wait)
	var e wire.ErrorBody
	for {
		resp, _ := h.upload(me, conv.ID, "one-more.png", img)
		if resp.StatusCode == http.StatusTooManyRequests {
			e = refused(t, resp, http.StatusTooManyRequests, wire.CodeRateLimited)
			break
		}
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		require.True(t, time.Now().Before(deadline), "no upload was refused while %d were being read", slow)
	}
	assert.Positive(t, e.RetryAfterMS)
	for _, pw := range writers {
		_, err := pw.Write(img[8:])
		require.NoError(t, err)
		require.NoError(t, pw.Close())
	}
	for range slow {
		assert.Equal(t, http.StatusCreated, <-results)
	}
	resp, _ := h.upload(me, conv.ID, "after.png", img)
	assert.Equal(t, http.StatusCreated, resp.StatusCode, "the slots are given back")
}
