package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// WebSocket close codes the server uses besides the standard ones. They
// are listed in docs/protocol.md.
const (
	CloseProtocolError    = 4000 // the hello was refused; an error frame says why
	CloseSlowConsumer     = 4001 // the client fell behind; reconnect and sync
	CloseHeartbeatTimeout = 4002 // the client stopped answering
	CloseServiceRestart   = int(websocket.StatusServiceRestart)
)

// serveWS runs one WebSocket connection: the hello here, then a reader and
// the pump in goroutines of their own. The handler returns once the
// welcome is written, so that the request, net/http's goroutine and its
// stack, grown by the hello, are not kept for as long as the connection
// stays open.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request, auth func(*http.Request) (chat.Agent, error)) {
	if s.isClosing() {
		writeHTTPError(w, http.StatusServiceUnavailable, errorBody(errShuttingDown))
		return
	}
	if !s.originAllowed(r) {
		refuseOrigin(w)
		return
	}
	if auth == nil {
		// Visitors are many and mostly idle: their connections get small
		// buffers. Agents, few and busy, keep net/http's.
		w = smallBuffers{w}
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.cfg.AllowedOrigins})
	if err != nil {
		return // Accept has answered: a bad handshake
	}
	opened := false
	defer func() {
		if !opened {
			c.CloseNow()
		}
	}()
	// readFrame enforces MaxFrameBytes so that the client is told why it
	// is cut off; the library's own limit, one byte above, never trips.
	c.SetReadLimit(s.cfg.MaxFrameBytes + 1)
	ctx := r.Context()

	helloCtx, cancel := context.WithTimeout(ctx, s.cfg.HeartbeatTimeout)
	typ, data, err := readFrame(helloCtx, c, s.cfg.MaxFrameBytes)
	cancel()
	var tooLarge *wire.Error
	switch {
	case errors.As(err, &tooLarge):
		refuse(ctx, c, "", err)
		return
	case err != nil:
		return
	case typ != websocket.MessageText:
		refuse(ctx, c, "", errBinary)
		return
	}
	var agent *chat.Agent
	if auth != nil {
		a, err := auth(r)
		if err != nil {
			refuse(ctx, c, "", ErrUnauthorized)
			return
		}
		agent = &a
	}
	ss, welcome, err := s.open(ctx, r, data, agent)
	if err != nil {
		refuse(ctx, c, requestID(data), err)
		return
	}
	send := func(ctx context.Context, b []byte) error { return c.Write(ctx, websocket.MessageText, b) }
	p := &pumpState{ss: ss, send: send}
	if err := p.write(welcome); err != nil {
		ss.end(err)
		return
	}
	opened = true
	go s.pumpWS(c, ss, send)
	go s.readWS(c, ss)
}

// pumpWS runs the pump of a WebSocket connection and closes it when the
// session ends.
func (s *Server) pumpWS(c *websocket.Conn, ss *session, send sender) {
	reason := ss.pump(send)
	// End the session before the close handshake, which can take
	// seconds with a peer that does not read: the visitor is offline
	// and their place is free at once.
	ss.end(reason)
	if errors.Is(reason, errClientGone) {
		_ = c.CloseNow()
		return
	}
	code, body := closeReason(reason)
	if code == int(websocket.StatusMessageTooBig) {
		// A close reason is too short to explain; an error frame says
		// what the limit is.
		writeError(context.Background(), c, s.cfg.WriteTimeout, "", body)
	}
	// The close handshake also ends the reader.
	_ = c.Close(websocket.StatusCode(code), body.Code)
}

// readWS reads a WebSocket connection's frames until it fails or closes.
// It reads without a deadline, not with the session's context, so that
// ending the session closes the connection with its proper code instead
// of aborting the read; the pump's close ends the read.
func (s *Server) readWS(c *websocket.Conn, ss *session) {
	ctx := context.Background()
	var tooLarge *wire.Error
	for {
		typ, data, err := readFrame(ctx, c, s.cfg.MaxFrameBytes)
		if err != nil {
			if errors.As(err, &tooLarge) {
				ss.cancel(err)
			} else {
				ss.cancel(errClientGone)
			}
			break
		}
		// While the session holds as many frames as it may, taking the
		// next one waits, and the client's frames wait in TCP's buffers.
		if typ != websocket.MessageText {
			ss.take(ctx, wire.ClientFrame{}, errBinary)
			continue
		}
		ss.receive(ctx, data)
	}
}

// smallBuffers hands coder/websocket buffers of a few hundred bytes
// instead of net/http's 4 KiB ones when it hijacks the connection. Larger
// frames are read and written past the buffers.
type smallBuffers struct{ http.ResponseWriter }

// Sizes of the buffers of smallBuffers: most client frames fit in one
// read, most server frames in one write.
const (
	smallReadBuffer  = 512
	smallWriteBuffer = 1024
)

func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Flush(); err != nil {
		return nil, nil, err
	}
	n := brw.Reader.Buffered()
	if n > smallReadBuffer {
		return conn, brw, nil // the client sent a lot at once: keep it all
	}
	// What the client sent after its handshake is read first: it is put
	// in the new buffer, where the library finds it.
	pending, _ := brw.Reader.Peek(n)
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(pending)), conn), smallReadBuffer)
	if _, err := br.Peek(n); err != nil {
		return nil, nil, err
	}
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(conn, smallWriteBuffer)), nil
}

var errClientGone = errors.New("transport: the client went away")

// errBinary refuses a binary message, the hello included.
var errBinary = wire.Errorf(wire.CodeBadFrame, "frames are JSON text messages")

// readFrame reads one message of at most limit bytes. The rest of a
// longer one is left unread and a too_large *wire.Error returned: the
// connection must then be closed.
func readFrame(ctx context.Context, c *websocket.Conn, limit int64) (websocket.MessageType, []byte, error) {
	typ, r, err := c.Reader(ctx)
	if err != nil {
		return 0, nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return 0, nil, err
	}
	if int64(len(data)) > limit {
		return 0, nil, wire.Errorf(wire.CodeTooLarge, "the frame is over %d bytes", limit)
	}
	return typ, data, nil
}

// refuse answers a hello that failed with an error frame and closes.
func refuse(ctx context.Context, c *websocket.Conn, id string, err error) {
	body := errorBody(err)
	writeError(ctx, c, DefaultWriteTimeout, id, body)
	code := websocket.StatusCode(CloseProtocolError)
	switch {
	case errors.Is(err, errShuttingDown):
		code = websocket.StatusServiceRestart
	case body.Code == wire.CodeTooLarge:
		code = websocket.StatusMessageTooBig
	}
	_ = c.Close(code, body.Code)
}

// writeError sends an error frame answering request id, waiting at most
// timeout.
func writeError(ctx context.Context, c *websocket.Conn, timeout time.Duration, id string, body *wire.ErrorBody) {
	b, _ := json.Marshal(wire.ServerFrame{Type: wire.FrameError, ID: id, Error: body})
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_ = c.Write(ctx, websocket.MessageText, b)
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}
