package transport

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// The SSE transport: POST /sse with a hello opens a session and answers
// with the welcome; GET /sse/{session} is the stream of server frames, one
// per "data:" event; POST /sse/{session} sends one client frame, answered
// on the stream. The session id is a secret that only the client holds.
//
// A session lives on the instance that answered its hello, so behind a
// load balancer the stream and the POSTs must reach that instance (sticky
// sessions). The session id ends with a tag of its instance: another
// instance that gets a request for it answers 421 wrong_instance and logs
// why, instead of a 404 that would look like an expired session.

// serveSSEHello opens a session over SSE.
func (s *Server) serveSSEHello(w http.ResponseWriter, r *http.Request, auth func(*http.Request) (chat.Agent, error)) {
	data, ok := s.readPost(w, r)
	if !ok {
		return
	}
	var agent *chat.Agent
	if auth != nil {
		a, err := auth(r)
		if err != nil {
			writeHTTPError(w, http.StatusUnauthorized, errorBody(ErrUnauthorized))
			return
		}
		agent = &a
	}
	ss, welcome, err := s.open(r.Context(), r, data, agent)
	if err != nil {
		writeHTTPError(w, httpStatus(err), errorFrame(requestID(data), err).Error)
		return
	}
	ss.streamID = s.newStreamID()
	s.mu.Lock()
	s.streams[ss.streamID] = ss
	s.mu.Unlock()
	welcome.Session = ss.streamID
	// A session whose stream never arrives is dropped.
	go func() {
		t := time.NewTimer(s.cfg.HeartbeatTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			if !ss.attached.Load() {
				ss.cancel(errHeartbeatTimeout)
				ss.end(errHeartbeatTimeout)
			}
		case <-ss.ctx.Done():
			if !ss.attached.Load() {
				ss.end(context.Cause(ss.ctx))
			}
		}
	}()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(welcome)
}

// serveSSEStream streams server frames to a session's client.
func (s *Server) serveSSEStream(w http.ResponseWriter, r *http.Request, auth func(*http.Request) (chat.Agent, error)) {
	if !s.originAllowed(r) {
		refuseOrigin(w)
		return
	}
	ss := s.stream(r, auth)
	if ss == nil || !ss.attached.CompareAndSwap(false, true) {
		s.noSession(w, r)
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // tell nginx not to buffer the stream
	w.WriteHeader(http.StatusOK)
	send := func(ctx context.Context, b []byte) error {
		deadline, _ := ctx.Deadline()
		_ = rc.SetWriteDeadline(deadline)
		if _, err := io.WriteString(w, "data: "); err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		if _, err := io.WriteString(w, "\n\n"); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send(ss.ctx, pingFrame); err != nil {
		ss.end(errClientGone)
		return
	}
	stop := context.AfterFunc(r.Context(), func() { ss.cancel(errClientGone) })
	defer stop()
	reason := ss.pump(send)
	ss.end(reason)
	if errors.Is(reason, errClientGone) {
		return
	}
	_, body := closeReason(reason)
	if errors.Is(reason, errShuttingDown) {
		return // the reconnect frame was the last one
	}
	b, _ := json.Marshal(wire.ServerFrame{Type: wire.FrameError, Error: body})
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	_ = send(ctx, b)
}

// serveSSEFrames takes one client frame for a session.
func (s *Server) serveSSEFrames(w http.ResponseWriter, r *http.Request, auth func(*http.Request) (chat.Agent, error)) {
	data, ok := s.readPost(w, r)
	if !ok {
		return
	}
	ss := s.stream(r, auth)
	if ss == nil {
		s.noSession(w, r)
		return
	}
	// The answer comes once the frame is taken, before it is handled: a
	// client may post its next frame at once. A session holding as many
	// frames as it may holds the POST until its stream drains.
	if !ss.receive(r.Context(), data) {
		if ss.ctx.Err() != nil {
			writeHTTPError(w, http.StatusNotFound, &wire.ErrorBody{Code: wire.CodeNotFound, Message: "no such session; send hello again"})
		}
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// stream finds the session a request names; an agent's session answers
// only to that agent.
func (s *Server) stream(r *http.Request, auth func(*http.Request) (chat.Agent, error)) *session {
	s.mu.Lock()
	ss := s.streams[r.PathValue("session")]
	s.mu.Unlock()
	if ss == nil || ss.ctx.Err() != nil {
		return nil
	}
	if auth != nil {
		a, err := auth(r)
		if err != nil || ss.agent == nil || a.ID != ss.agent.ID {
			return nil
		}
	} else if ss.agent != nil {
		return nil
	}
	return ss
}

// readPost reads a frame POSTed over SSE, refusing what could be a
// cross-site request forgery: the body must be declared as JSON, which a
// form on another site cannot send without a CORS preflight that Parley
// never grants, and the Origin, when the browser sends one, must be
// allowed.
func (s *Server) readPost(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeHTTPError(w, http.StatusUnsupportedMediaType, &wire.ErrorBody{Code: wire.CodeBadFrame, Message: "frames are posted as application/json"})
		return nil, false
	}
	if !s.originAllowed(r) {
		refuseOrigin(w)
		return nil, false
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxFrameBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeHTTPError(w, http.StatusRequestEntityTooLarge, &wire.ErrorBody{Code: wire.CodeTooLarge, Message: "the frame is over the size limit"})
		}
		return nil, false
	}
	return data, true
}

// httpStatus is the HTTP status for a failed SSE hello.
func httpStatus(err error) int {
	switch errorBody(err).Code {
	case wire.CodeUnauthorized, wire.CodeTokenExpired:
		return http.StatusUnauthorized
	case wire.CodeTooManyConns:
		return http.StatusTooManyRequests
	case wire.CodeBlocked:
		return http.StatusForbidden
	case wire.CodeUnavailable:
		return http.StatusServiceUnavailable
	case wire.CodeInternal:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// newStreamID returns a new secret session id, tagged with this instance.
func (s *Server) newStreamID() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:]) + "." + s.instanceTag
}

// noSession answers a request for a session this instance does not hold:
// 421 when the id is tagged with another instance, which only a load
// balancer without sticky sessions causes, else 404.
func (s *Server) noSession(w http.ResponseWriter, r *http.Request) {
	_, tag, ok := strings.Cut(r.PathValue("session"), ".")
	if !ok || tag == s.instanceTag {
		writeHTTPError(w, http.StatusNotFound, &wire.ErrorBody{Code: wire.CodeNotFound, Message: "no such session; send hello again"})
		return
	}
	now := s.cfg.Now()
	if last := s.misdirectedLogged.Load(); last == 0 || now.Sub(time.Unix(0, last)) >= time.Minute {
		s.misdirectedLogged.Store(now.UnixNano())
		s.log.Warn("transport: an SSE request reached an instance other than its session's; route SSE with sticky sessions", "path", r.URL.Path)
	}
	writeHTTPError(w, http.StatusMisdirectedRequest, &wire.ErrorBody{Code: wire.CodeWrongInstance, Message: "the session is held by another instance; send hello again"})
}
