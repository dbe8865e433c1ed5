package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/parleychat/parley/wire"
)

// MaxInFlight is how many frames a connection keeps unanswered at most:
// the server holds 32 frames of a connection and reads no more until it
// has answered one (docs/protocol.md, "Pipelining and flow control").
const MaxInFlight = 32

// readLimit bounds one server frame. An agent's welcome lists up to 1,000
// conversations, well over coder/websocket's default of 32 KiB.
const readLimit = 8 << 20

// dialer opens WebSocket connections, from one local address when it has
// one.
type dialer struct {
	client *http.Client
	header http.Header
}

// newDialer returns a dialer whose TCP connections start from local (nil
// lets the system choose) and whose handshakes carry header.
func newDialer(local net.IP, header http.Header, timeout time.Duration) *dialer {
	nd := &net.Dialer{Timeout: timeout}
	if local != nil {
		nd.LocalAddr = &net.TCPAddr{IP: local}
	}
	return &dialer{
		client: &http.Client{Transport: &http.Transport{
			DialContext:         nd.DialContext,
			MaxIdleConnsPerHost: -1,
			TLSHandshakeTimeout: timeout,
		}},
		header: header,
	}
}

// answer is what a request is answered with: a frame, or the end of the
// connection.
type answer struct {
	frame *wire.ServerFrame
	err   error
}

// conn is one client connection. Its reader goroutine answers pings and
// hands every other frame to onFrame; requests wait for their answer by
// id. Write is safe from any goroutine: coder/websocket serialises writes.
type conn struct {
	ws    *websocket.Conn
	slots chan struct{} // one per frame in flight
	next  atomic.Int64  // request ids

	mu      sync.Mutex
	waiting map[string]func(answer)
	ended   error // set once the connection has ended

	onFrame func(*wire.ServerFrame) // events and answers nobody waits for
	onClose func(error)             // the connection ended without close being called
	closing atomic.Bool
	done    chan struct{}
}

// dial opens a connection to url. The reader starts with run.
func (d *dialer) dial(ctx context.Context, url string, header http.Header) (*websocket.Conn, error) {
	h := d.header
	if header != nil {
		h = header
	}
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: d.client, HTTPHeader: h})
	if err != nil {
		if resp != nil {
			return nil, &httpError{status: resp.StatusCode, err: err}
		}
		return nil, err
	}
	ws.SetReadLimit(readLimit)
	return ws, nil
}

// httpError is a handshake the server refused with an HTTP status.
type httpError struct {
	status int
	err    error
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %v", e.status, e.err) }
func (e *httpError) Unwrap() error { return e.err }

// newConn wraps ws and starts its reader.
func newConn(ws *websocket.Conn, onFrame func(*wire.ServerFrame), onClose func(error)) *conn {
	c := &conn{
		ws:      ws,
		slots:   make(chan struct{}, MaxInFlight),
		waiting: make(map[string]func(answer)),
		onFrame: onFrame,
		onClose: onClose,
		done:    make(chan struct{}),
	}
	go c.read()
	return c
}

// read reads frames until the connection ends.
func (c *conn) read() {
	defer close(c.done)
	ctx := context.Background()
	for {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			c.end(err)
			return
		}
		var f wire.ServerFrame
		if err := json.Unmarshal(data, &f); err != nil {
			c.end(fmt.Errorf("decoding a server frame: %w", err))
			return
		}
		if f.Type == wire.FramePing && f.ID == "" {
			// Not from the reader: a write that waits must not stop reads.
			go c.write(ctx, &wire.ClientFrame{Type: wire.FramePong})
			continue
		}
		if f.ID != "" {
			c.mu.Lock()
			reply, ok := c.waiting[f.ID]
			delete(c.waiting, f.ID)
			c.mu.Unlock()
			if ok {
				<-c.slots
				reply(answer{frame: &f})
				continue
			}
		}
		if c.onFrame != nil {
			c.onFrame(&f)
		}
	}
}

// end fails every request still waiting, once.
func (c *conn) end(err error) {
	c.mu.Lock()
	c.ended = err
	waiting := c.waiting
	c.waiting = map[string]func(answer){}
	c.mu.Unlock()
	for _, reply := range waiting {
		reply(answer{err: err})
	}
	if !c.closing.Load() && c.onClose != nil {
		c.onClose(err)
	}
}

// write sends f without waiting for anything but the socket.
func (c *conn) write(ctx context.Context, f *wire.ClientFrame) error {
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return c.ws.Write(ctx, websocket.MessageText, data)
}

// send sends f as a request: it waits for a free slot of the 32 in flight,
// gives f an id and calls reply with its answer, from the reader.
func (c *conn) send(ctx context.Context, f *wire.ClientFrame, reply func(answer)) error {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.endErr()
	}
	f.ID = strconv.FormatInt(c.next.Add(1), 10)
	c.mu.Lock()
	if c.ended != nil {
		c.mu.Unlock()
		<-c.slots
		return c.ended
	}
	c.waiting[f.ID] = reply
	c.mu.Unlock()
	if err := c.write(ctx, f); err != nil {
		c.mu.Lock()
		_, still := c.waiting[f.ID]
		delete(c.waiting, f.ID)
		c.mu.Unlock()
		if still {
			<-c.slots
		}
		return err
	}
	return nil
}

// request sends f and waits for its answer. An error frame is returned as
// a *wire.Error.
func (c *conn) request(ctx context.Context, f *wire.ClientFrame) (*wire.ServerFrame, error) {
	got := make(chan answer, 1)
	if err := c.send(ctx, f, func(a answer) { got <- a }); err != nil {
		return nil, err
	}
	select {
	case a := <-got:
		if a.err != nil {
			return nil, a.err
		}
		if a.frame.Type == wire.FrameError && a.frame.Error != nil {
			return a.frame, &wire.Error{Code: a.frame.Error.Code, Message: a.frame.Error.Message}
		}
		return a.frame, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *conn) endErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended == nil {
		return errors.New("connection ended")
	}
	return c.ended
}

// close closes the connection normally and waits for the reader, at most
// until ctx is done.
func (c *conn) close(ctx context.Context) {
	c.closing.Store(true)
	go c.ws.Close(websocket.StatusNormalClosure, "")
	select {
	case <-c.done:
	case <-ctx.Done():
		c.ws.CloseNow()
	}
}

// hello opens the connection's session: hello, then the welcome.
func (c *conn) hello(ctx context.Context) (*wire.ServerFrame, error) {
	return c.request(ctx, &wire.ClientFrame{Type: wire.FrameHello, V: wire.ProtocolVersion})
}

// closeCause names why a connection ended, for the report: the WebSocket
// close code when the server sent one, else "abnormal".
func closeCause(err error) string {
	if code := websocket.CloseStatus(err); code != -1 {
		return strconv.Itoa(int(code))
	}
	return "abnormal"
}
