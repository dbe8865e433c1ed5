package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// client is a WebSocket client of one instance, a visitor's widget or an
// agent's console. It keeps every frame it receives, in order: expect
// takes them one by one, and messages reads the transcript the connection
// was sent.
type client struct {
	t       testing.TB
	name    string
	conn    *websocket.Conn
	welcome wire.ServerFrame
	nextID  atomic.Int64

	mu      sync.Mutex
	frames  []wire.ServerFrame
	taken   []bool
	changed chan struct{} // closed, and replaced, when a frame arrives or the connection ends
	err     error         // why the connection ended
}

// dialOptions say who connects.
type dialOptions struct {
	agent    string // agent id; empty for a visitor
	capacity int    // the agent's capacity; zero is 1
	token    string // the visitor token from an earlier welcome
}

// visitor connects a visitor to in, with the token of an earlier welcome
// if any.
func (in *instance) visitor(t testing.TB, token string) *client {
	t.Helper()
	c, err := in.dial(t, dialOptions{token: token})
	require.NoError(t, err, "a visitor connecting to instance %s", in.name)
	return c
}

// agent connects an agent's console to in.
func (in *instance) agent(t testing.TB, id string, capacity int) *client {
	t.Helper()
	c, err := in.dial(t, dialOptions{agent: id, capacity: capacity})
	require.NoError(t, err, "agent %s connecting to instance %s", id, in.name)
	return c
}

func (in *instance) dial(t testing.TB, o dialOptions) (*client, error) {
	path, header := "/chat/ws", http.Header{}
	name := "visitor on " + in.name
	if o.agent != "" {
		path = "/staff/chat/ws"
		header.Set("X-Test-Agent", o.agent)
		if o.capacity > 0 {
			header.Set("X-Test-Capacity", fmt.Sprint(o.capacity))
		}
		name = o.agent + " on " + in.name
	}
	// A hundred visitors connecting at once may wait for the store as
	// long as a burst of starts.
	ctx, cancel := context.WithTimeout(context.Background(), burstWait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(in.url, "http")+path, &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	c := &client{t: t, name: name, conn: conn, changed: make(chan struct{})}
	t.Cleanup(c.close)
	if err := c.trySend(wire.ClientFrame{Type: wire.FrameHello, V: wire.ProtocolVersion, Token: o.token}); err != nil {
		return nil, err
	}
	_, data, err := conn.Read(ctx)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &c.welcome); err != nil {
		return nil, err
	}
	if c.welcome.Type != wire.FrameWelcome {
		return nil, fmt.Errorf("hello answered with %s", data)
	}
	go c.read()
	return c, nil
}

func (c *client) read() {
	for {
		_, data, err := c.conn.Read(context.Background())
		var f wire.ServerFrame
		if err == nil {
			err = json.Unmarshal(data, &f)
		}
		c.mu.Lock()
		if err != nil {
			c.err = err
		} else {
			c.frames = append(c.frames, f)
			c.taken = append(c.taken, false)
		}
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (c *client) close() { _ = c.conn.CloseNow() }

// ended returns why the connection ended, or nil while it is open.
func (c *client) ended() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// trySend sends one frame.
func (c *client) trySend(f wire.ClientFrame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return c.conn.Write(ctx, websocket.MessageText, b)
}

// errConnEnded is what tryExpect returns once the connection has ended
// without the frame.
var errConnEnded = errors.New("the connection ended")

// tryExpect takes the first frame not yet taken that match accepts,
// waiting up to d for it. It fails without failing the test, so that a
// goroutine may call it.
func (c *client) tryExpect(match func(wire.ServerFrame) bool, d time.Duration) (wire.ServerFrame, error) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		for i, f := range c.frames {
			if !c.taken[i] && match(f) {
				c.taken[i] = true
				c.mu.Unlock()
				return f, nil
			}
		}
		changed, err := c.changed, c.err
		c.mu.Unlock()
		if err != nil {
			return wire.ServerFrame{}, fmt.Errorf("%w: %v", errConnEnded, err)
		}
		select {
		case <-changed:
		case <-deadline.C:
			return wire.ServerFrame{}, fmt.Errorf("no such frame within %s", d)
		}
	}
}

// expect is tryExpect that fails the test.
func (c *client) expect(what string, match func(wire.ServerFrame) bool) wire.ServerFrame {
	c.t.Helper()
	f, err := c.tryExpect(match, wait)
	require.NoError(c.t, err, "%s waiting for %s", c.name, what)
	return f
}

// until waits until cond holds of the frames received so far.
func (c *client) until(what string, cond func(frames []wire.ServerFrame) bool) {
	c.t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ok, changed, err := cond(c.frames), c.changed, c.err
		c.mu.Unlock()
		if ok {
			return
		}
		require.NoError(c.t, err, "%s waiting for %s", c.name, what)
		select {
		case <-changed:
		case <-deadline.C:
			c.t.Fatalf("%s: no %s within %s", c.name, what, wait)
		}
	}
}

// request sends f with a fresh id and returns the answer.
func (c *client) request(f wire.ClientFrame) wire.ServerFrame {
	c.t.Helper()
	f.ID = fmt.Sprint("r", c.nextID.Add(1))
	require.NoError(c.t, c.trySend(f), "%s sending %s", c.name, f.Type)
	r := c.expect("the answer to "+f.Type, func(s wire.ServerFrame) bool { return s.ID == f.ID })
	require.NotEqual(c.t, wire.FrameError, r.Type, "%s: %s answered with %+v", c.name, f.Type, r.Error)
	return r
}

// start starts a conversation and returns it as started.
func (c *client) start(email string) chat.ConversationInfo {
	c.t.Helper()
	r := c.request(wire.ClientFrame{Type: wire.FrameStart, Email: email})
	require.Equal(c.t, wire.FrameStarted, r.Type)
	return *r.Conversation
}

// say sends a message with key as its idempotency key and body, and
// returns its seq from the ack.
func (c *client) say(conv uuid.UUID, key string) int64 {
	c.t.Helper()
	r := c.request(wire.ClientFrame{Type: wire.FrameSend, ConversationID: conv, Key: key, Body: "body of " + key})
	require.Equal(c.t, wire.FrameAck, r.Type)
	return r.Seq
}

// messages returns the messages of conv this connection was sent, in the
// order they came.
func (c *client) messages(conv uuid.UUID) []chat.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return messagesOf(c.frames, conv)
}

func messagesOf(frames []wire.ServerFrame, conv uuid.UUID) []chat.Message {
	var out []chat.Message
	for _, f := range frames {
		if f.Type == string(chat.EventMessage) && f.ConversationID == conv && f.Message != nil {
			out = append(out, *f.Message)
		}
	}
	return out
}

// untilSeq waits until the connection was sent the message of conv with
// seq.
func (c *client) untilSeq(conv uuid.UUID, seq int64) {
	c.t.Helper()
	c.until(fmt.Sprintf("message %d of %s", seq, conv), func(frames []wire.ServerFrame) bool {
		for _, m := range messagesOf(frames, conv) {
			if m.Seq == seq {
				return true
			}
		}
		return false
	})
}

// isMessage matches the message event of conv whose idempotency key is
// key.
func isMessage(conv uuid.UUID, key string) func(wire.ServerFrame) bool {
	return func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.ConversationID == conv && f.Message != nil && f.Message.IdempotencyKey == key
	}
}

// requireTranscript checks that ms, the messages of a conversation one or
// more connections of a client were sent, are each message from seq
// first to last exactly once and in order.
func requireTranscript(t testing.TB, who string, ms []chat.Message, first, last int64) {
	t.Helper()
	var seqs []int64
	for _, m := range ms {
		seqs = append(seqs, m.Seq)
	}
	var want []int64
	for s := first; s <= last; s++ {
		want = append(want, s)
	}
	require.Equal(t, want, seqs, "%s receives every message once, in order", who)
}
