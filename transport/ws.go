package transport

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/coder/websocket"

	"github.com/parleychat/parley/chat"
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
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.cfg.AllowedOrigins})
	if err != nil {
		return // Accept has answered: a bad handshake or a foreign origin
	}
	defer c.CloseNow()
	c.SetReadLimit(s.cfg.MaxFrameBytes)
	ctx := r.Context()

	helloCtx, cancel := context.WithTimeout(ctx, s.cfg.HeartbeatTimeout)
	typ, data, err := c.Read(helloCtx)
	cancel()
	if err != nil {
		return
	}
	if typ != websocket.MessageText {
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
	ss, welcome, err := s.open(ctx, data, agent)
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
			// The close handshake also ends the reader below.
			code, body := closeReason(reason)
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
		typ, data, err := c.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusMessageTooBig {
				ss.cancel(protoErr(CodeTooLarge, "the frame is over %d bytes", s.cfg.MaxFrameBytes))
			} else {
				ss.cancel(errClientGone)
			}
			break
		}
		if typ != websocket.MessageText {
			ss.enqueue(outItem{frame: errorFrame("", errBinary)})
			continue
		}
		ss.receive(data)
	}
	<-done
}

var errClientGone = errors.New("transport: the client went away")

// errBinary refuses a binary message, the hello included.
var errBinary = protoErr(CodeBadFrame, "frames are JSON text messages")

// refuse answers a hello that failed with an error frame and closes.
func refuse(ctx context.Context, c *websocket.Conn, id string, err error) {
	b, _ := json.Marshal(errorFrame(id, err))
	wctx, cancel := context.WithTimeout(ctx, DefaultWriteTimeout)
	defer cancel()
	_ = c.Write(wctx, websocket.MessageText, b)
	code := websocket.StatusCode(CloseProtocolError)
	if errors.Is(err, errShuttingDown) {
		code = websocket.StatusServiceRestart
	}
	_ = c.Close(code, errorBody(err).Code)
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}
