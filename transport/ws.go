package transport

import (
	"context"
	"encoding/json"
	"errors"
	"io"
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

// serveWS runs one WebSocket connection: hello, then a reader loop here and
// the pump in a second goroutine.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request, auth func(*http.Request) (chat.Agent, error)) {
	if s.isClosing() {
		writeHTTPError(w, http.StatusServiceUnavailable, errorBody(errShuttingDown))
		return
	}
	if !s.originAllowed(r) {
		refuseOrigin(w)
		return
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.cfg.AllowedOrigins})
	if err != nil {
		return // Accept has answered: a bad handshake
	}
	defer c.CloseNow()
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

	done := make(chan error, 1)
	go func() {
		reason := ss.pump(send)
		// End the session before the close handshake, which can take
		// seconds with a peer that does not read: the visitor is offline
		// and their place is free at once.
		ss.end(reason)
		if !errors.Is(reason, errClientGone) {
			code, body := closeReason(reason)
			if code == int(websocket.StatusMessageTooBig) {
				// A close reason is too short to explain; an error frame
				// says what the limit is.
				writeError(ctx, c, s.cfg.WriteTimeout, "", body)
			}
			// The close handshake also ends the reader below.
			_ = c.Close(websocket.StatusCode(code), body.Code)
		} else {
			_ = c.CloseNow()
		}
		done <- reason
	}()
	// The reader runs in the handler's own goroutine: one goroutine fewer
	// per connection. It reads with the request's context, not the
	// session's, so that ending the session closes the connection with its
	// proper code instead of aborting the read.
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
	<-done
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
