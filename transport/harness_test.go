package transport_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef-test")

// wait is how long a test waits for something that should happen.
const wait = 10 * time.Second

// harness is a Desk served by a Server on a real HTTP server: visitors
// under /chat/, agents under /staff/chat/ with the agent id in a header.
type harness struct {
	t     testing.TB
	store chat.Store
	desk  *chat.Desk
	srv   *transport.Server
	http  *httptest.Server
	url   string // where the handlers are served
}

func newHarness(t testing.TB, configure ...func(*transport.Config)) *harness {
	t.Helper()
	return newHarnessWithStore(t, memory.New(), configure...)
}

func newHarnessWithStore(t testing.TB, store chat.Store, configure ...func(*transport.Config)) *harness {
	t.Helper()
	return newHarnessWithDesk(t, chat.Config{Store: store}, configure...)
}

// newHarnessWithDesk serves a Desk made from deskCfg; a nil Store is a new
// memory store.
func newHarnessWithDesk(t testing.TB, deskCfg chat.Config, configure ...func(*transport.Config)) *harness {
	t.Helper()
	return newHarnessServing(t, deskCfg, httptest.NewServer, configure...)
}

// newHarnessServing is newHarnessWithDesk with the HTTP server that serve
// starts.
func newHarnessServing(t testing.TB, deskCfg chat.Config, serve func(http.Handler) *httptest.Server, configure ...func(*transport.Config)) *harness {
	t.Helper()
	if deskCfg.Store == nil {
		deskCfg.Store = memory.New()
	}
	store := deskCfg.Store
	desk, err := chat.NewDesk(deskCfg)
	require.NoError(t, err)
	cfg := transport.Config{
		Desk:             desk,
		Secret:           testSecret,
		AgentGracePeriod: -1,
		AuthenticateAgent: func(r *http.Request) (chat.Agent, error) {
			id := r.Header.Get("X-Test-Agent")
			if id == "" {
				return chat.Agent{}, errors.New("not logged in")
			}
			return chat.Agent{ID: id, Name: "Agent " + id}, nil
		},
	}
	for _, c := range configure {
		c(&cfg)
	}
	srv, err := transport.New(cfg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/chat/", http.StripPrefix("/chat", srv.VisitorHandler()))
	mux.Handle("/staff/chat/", http.StripPrefix("/staff/chat", srv.AgentHandler()))
	hs := serve(mux)
	h := &harness{t: t, store: store, desk: desk, srv: srv, http: hs, url: hs.URL}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		_ = srv.Shutdown(ctx)
		hs.Close()
		_ = desk.Close(context.Background())
	})
	return h
}

// kind is a transport a test client uses.
type kind string

const (
	ws  kind = "WebSocket"
	sse kind = "SSE"
)

var kinds = []kind{ws, sse}

// forKinds runs a test once per transport.
func forKinds(t *testing.T, test func(t *testing.T, k kind)) {
	for _, k := range kinds {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			test(t, k)
		})
	}
}

// clientOptions tune a test client.
type clientOptions struct {
	agent    string // agent id; empty for a visitor
	token    string
	identity string
	lang, tz string // hello: the widget's language and the visitor's time zone
	noPong   bool   // do not answer pings
	noRead   bool   // WebSocket only: never read (a stalled client)
	// readFrom, when set, holds back reading until it is closed
	// (WebSocket only): a client that pauses.
	readFrom     <-chan struct{}
	smallBuffers bool   // WebSocket only: small socket buffers, so that a client that does not read stalls the server soon
	origin       string // Origin header to send
	cookie       string // Cookie header to send: the shop's session
}

// client is a real protocol client over WebSocket or SSE. Frames it
// receives queue up; expect takes them in order of arrival.
type client struct {
	t       testing.TB
	h       *harness
	kind    kind
	opts    clientOptions
	welcome wire.ServerFrame

	in      chan wire.ServerFrame
	pending []wire.ServerFrame
	nextID  atomic.Int64

	ws      *websocket.Conn
	session string
	cancel  context.CancelFunc

	mu       sync.Mutex
	closeErr error // why the connection ended
	done     chan struct{}
}

func (h *harness) visitor(k kind, opts ...clientOptions) *client {
	h.t.Helper()
	var o clientOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	c, err := h.dial(k, o)
	require.NoError(h.t, err, "connecting a %s client", k)
	return c
}

func (h *harness) agent(k kind, id string) *client {
	h.t.Helper()
	return h.visitor(k, clientOptions{agent: id})
}

func (h *harness) base(o clientOptions) string {
	if o.agent != "" {
		return h.url + "/staff/chat"
	}
	return h.url + "/chat"
}

func (h *harness) header(o clientOptions) http.Header {
	hd := http.Header{}
	if o.agent != "" {
		hd.Set("X-Test-Agent", o.agent)
	}
	if o.origin != "" {
		hd.Set("Origin", o.origin)
	}
	if o.cookie != "" {
		hd.Set("Cookie", o.cookie)
	}
	return hd
}

// dial connects and says hello; a refused hello is returned as an error
// carrying the error frame.
func (h *harness) dial(k kind, o clientOptions) (*client, error) {
	c := &client{t: h.t, h: h, kind: k, opts: o, in: make(chan wire.ServerFrame, 100000), done: make(chan struct{})}
	hello := wire.ClientFrame{Type: wire.FrameHello, ID: "hello", V: wire.ProtocolVersion, Token: o.token, Identity: o.identity,
		Lang: o.lang, TimeZone: o.tz}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	switch k {
	case ws:
		u := "ws" + strings.TrimPrefix(h.base(o), "http") + "/ws"
		opts := &websocket.DialOptions{HTTPHeader: h.header(o)}
		if o.smallBuffers {
			opts.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: dialSmallBuffers}}
		}
		conn, _, err := websocket.Dial(ctx, u, opts)
		if err != nil {
			cancel()
			return nil, err
		}
		conn.SetReadLimit(1 << 20)
		c.ws = conn
		c.send(hello)
		_, data, err := conn.Read(ctx)
		if err != nil {
			cancel()
			return nil, err
		}
		require.NoError(h.t, json.Unmarshal(data, &c.welcome))
		if c.welcome.Type != wire.FrameWelcome {
			cancel()
			return nil, frameError(c.welcome)
		}
		if !o.noRead {
			go func() {
				if o.readFrom != nil {
					<-o.readFrom
				}
				c.readWS(ctx)
			}()
		}
	case sse:
		resp, err := h.post(h.base(o)+"/sse", o, hello)
		if err != nil {
			cancel()
			return nil, err
		}
		err = json.NewDecoder(resp.Body).Decode(&c.welcome)
		resp.Body.Close()
		if err != nil {
			cancel()
			return nil, err
		}
		if c.welcome.Type != wire.FrameWelcome {
			cancel()
			return nil, frameError(c.welcome)
		}
		c.session = c.welcome.Session
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.base(o)+"/sse/"+c.session, nil)
		req.Header = h.header(o)
		stream, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			return nil, err
		}
		if stream.StatusCode != http.StatusOK {
			cancel()
			return nil, fmt.Errorf("stream: %s", stream.Status)
		}
		go c.readSSE(stream)
	}
	h.t.Cleanup(c.close)
	return c, nil
}

// frameError is a refused hello as an error.
type frameErr struct{ f wire.ServerFrame }

func (e frameErr) Error() string {
	if e.f.Error == nil {
		return "unexpected frame " + e.f.Type
	}
	return e.f.Error.Code + ": " + e.f.Error.Message
}

func frameError(f wire.ServerFrame) error { return frameErr{f} }

// errorCode returns the code of a refused hello, or "".
func errorCode(err error) string {
	var fe frameErr
	if errors.As(err, &fe) && fe.f.Error != nil {
		return fe.f.Error.Code
	}
	return ""
}

func (h *harness) post(u string, o clientOptions, f any) (*http.Response, error) {
	body, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = h.header(o)
	req.Header.Set("Content-Type", "application/json")
	return http.DefaultClient.Do(req)
}

func (c *client) readWS(ctx context.Context) {
	defer close(c.done)
	for {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			c.finish(err)
			return
		}
		c.deliver(data)
	}
}

func (c *client) readSSE(resp *http.Response) {
	defer close(c.done)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			c.deliver([]byte(data))
		}
	}
	err := sc.Err()
	if err == nil {
		err = errors.New("stream ended")
	}
	c.finish(err)
}

func (c *client) deliver(data []byte) {
	var f wire.ServerFrame
	if err := json.Unmarshal(data, &f); err != nil {
		c.finish(fmt.Errorf("undecodable frame %q: %w", data, err))
		return
	}
	if f.Type == wire.FramePing && !c.opts.noPong {
		go c.trySend(wire.ClientFrame{Type: wire.FramePong})
	}
	c.in <- f
}

func (c *client) finish(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeErr == nil {
		c.closeErr = err
	}
}

// trySend sends a frame and returns any error.
func (c *client) trySend(f wire.ClientFrame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return c.sendRaw(b)
}

func (c *client) sendRaw(b []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if c.kind == ws {
		return c.ws.Write(ctx, websocket.MessageText, b)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.h.base(c.opts)+"/sse/"+c.session, bytes.NewReader(b))
	req.Header = c.h.header(c.opts)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST frame: %s", resp.Status)
	}
	return nil
}

func (c *client) send(f wire.ClientFrame) {
	c.t.Helper()
	require.NoError(c.t, c.trySend(f), "sending %s", f.Type)
}

// request sends f with a fresh id and returns the answer to it.
func (c *client) request(f wire.ClientFrame) wire.ServerFrame {
	c.t.Helper()
	f.ID = fmt.Sprint("r", c.nextID.Add(1))
	c.send(f)
	return c.expect(func(s wire.ServerFrame) bool { return s.ID == f.ID })
}

// mustRequest is request that fails the test on an error answer.
func (c *client) mustRequest(f wire.ClientFrame) wire.ServerFrame {
	c.t.Helper()
	r := c.request(f)
	require.NotEqual(c.t, wire.FrameError, r.Type, "%s answered with %+v", f.Type, r.Error)
	return r
}

// expect returns the first received frame that match accepts, keeping the
// others for later calls.
func (c *client) expect(match func(wire.ServerFrame) bool) wire.ServerFrame {
	c.t.Helper()
	f, ok := c.tryExpect(match, wait)
	require.True(c.t, ok, "no matching frame within %s (closed: %v)", wait, c.err())
	return f
}

func (c *client) tryExpect(match func(wire.ServerFrame) bool, d time.Duration) (wire.ServerFrame, bool) {
	for i, f := range c.pending {
		if match(f) {
			c.pending = append(c.pending[:i:i], c.pending[i+1:]...)
			return f, true
		}
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case f := <-c.in:
			if match(f) {
				return f, true
			}
			c.pending = append(c.pending, f)
		case <-timer.C:
			return wire.ServerFrame{}, false
		}
	}
}

// expectType waits for the next frame of type typ.
func (c *client) expectType(typ string) wire.ServerFrame {
	c.t.Helper()
	return c.expect(func(f wire.ServerFrame) bool { return f.Type == typ })
}

// waitClosed waits for the connection to end and returns why.
func (c *client) waitClosed() error {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(wait):
		c.t.Fatalf("the %s connection did not close within %s", c.kind, wait)
	}
	return c.err()
}

func (c *client) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeErr
}

func (c *client) close() {
	if c.ws != nil {
		_ = c.ws.CloseNow()
	}
	c.cancel()
}

// start starts a conversation and returns it.
func (c *client) start(department string) chat.ConversationInfo {
	c.t.Helper()
	r := c.mustRequest(wire.ClientFrame{Type: wire.FrameStart, Department: department})
	require.Equal(c.t, wire.FrameStarted, r.Type)
	return *r.Conversation
}

// say sends a message with a fresh idempotency key and returns the ack.
func (c *client) say(conversation chat.ConversationInfo, body string) wire.ServerFrame {
	c.t.Helper()
	r := c.mustRequest(wire.ClientFrame{Type: wire.FrameSend, ConversationID: conversation.ID, Key: "k-" + body, Body: body})
	require.Equal(c.t, wire.FrameAck, r.Type)
	return r
}

// messages collects message frames of a conversation until n arrived.
func (c *client) messages(conversation chat.ConversationInfo, n int) []chat.Message {
	c.t.Helper()
	var out []chat.Message
	for len(out) < n {
		f := c.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventMessage) && f.ConversationID == conversation.ID
		})
		out = append(out, *f.Message)
	}
	return out
}

// websocketStatus is the close code a WebSocket client saw, or -1.
func websocketStatus(err error) websocket.StatusCode { return websocket.CloseStatus(err) }

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

func decodeFrame(t *testing.T, data []byte) wire.ServerFrame {
	t.Helper()
	var f wire.ServerFrame
	require.NoError(t, json.Unmarshal(data, &f))
	return f
}

// visitorMessages returns the messages visitors wrote, leaving out what
// Parley adds, such as the acknowledgement of an offline request.
func visitorMessages(ms []chat.Message) []chat.Message {
	var out []chat.Message
	for _, m := range ms {
		if m.Author.Kind == chat.AuthorVisitor {
			out = append(out, m)
		}
	}
	return out
}

// smallSocketBuffers serves handler with a small TCP send buffer on the
// server's side of each connection, so that a client that does not read
// stalls the server's writes after a few frames rather than megabytes.
func smallSocketBuffers(handler http.Handler) *httptest.Server {
	hs := httptest.NewUnstartedServer(handler)
	hs.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetWriteBuffer(4 << 10)
		}
		return ctx
	}
	hs.Start()
	return hs
}

// dialSmallBuffers dials with a small TCP receive buffer. Only the
// direction towards the client is shrunk: a small window both ways
// stalls TCP itself.
func dialSmallBuffers(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4 << 10)
	}
	return c, err
}
