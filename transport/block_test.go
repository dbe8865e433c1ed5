package transport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// block sends an agent's block frame and returns the stored block.
func (c *client) block(f wire.ClientFrame) chat.Block {
	c.t.Helper()
	f.Type = wire.FrameBlock
	r := c.mustRequest(f)
	require.Equal(c.t, wire.FrameBlock, r.Type)
	require.NotNil(c.t, r.Block)
	return *r.Block
}

// requireBlocked checks that a hello with opts is refused as blocked.
func (h *harness) requireBlocked(k kind, opts clientOptions, msg string) {
	h.t.Helper()
	_, err := h.dial(k, opts)
	require.Error(h.t, err, msg)
	require.Equal(h.t, wire.CodeBlocked, errorCode(err), "%s: %v", msg, err)
}

func identity(t testing.TB, customerID, email string) string {
	t.Helper()
	tok, err := transport.SignIdentity(testSecret, transport.Identity{CustomerID: customerID, Name: "Customer " + customerID, Email: email,
		Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	return tok
}

func TestBlockByVisitorID(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		agent := h.agent(k, "ann")
		v := h.visitor(k)
		token := v.welcome.Token
		other := h.visitor(k).welcome.Token
		v.close()

		b := agent.block(wire.ClientFrame{VisitorID: v.welcome.Visitor.ID, Reason: "spam"})
		assert.Equal(t, v.welcome.Visitor.ID, b.VisitorID)
		assert.Equal(t, "ann", b.AgentID)
		assert.Equal(t, "spam", b.Reason)
		assert.True(t, b.ExpiresAt.IsZero(), "no duration: until lifted")
		assert.Empty(t, b.CustomerID, "an anonymous visitor is blocked by id only")

		h.requireBlocked(k, clientOptions{token: token}, "the blocked visitor's hello")
		h.visitor(k, clientOptions{token: other}) // someone else is welcome

		agent.mustRequest(wire.ClientFrame{Type: wire.FrameUnblock, BlockID: b.ID})
		h.visitor(k, clientOptions{token: token}) // welcome again
	})
}

func TestBlockByCustomerID(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		agent := h.agent(k, "ann")
		agent.block(wire.ClientFrame{CustomerID: "c-troll"})
		h.requireBlocked(k, clientOptions{identity: identity(t, "c-troll", "")}, "a customer blocked by customer id")
		h.visitor(k, clientOptions{identity: identity(t, "c-nice", "")})

		// Blocking an identified customer by their visitor id blocks their
		// customer id and email too: a new browser does not get round it.
		v := h.visitor(k, clientOptions{identity: identity(t, "c-rude", "rude@example.com")})
		b := agent.block(wire.ClientFrame{VisitorID: v.welcome.Visitor.ID})
		assert.Equal(t, "c-rude", b.CustomerID)
		assert.Equal(t, "rude@example.com", b.Email)
		h.requireBlocked(k, clientOptions{identity: identity(t, "c-rude", "")}, "the customer from a new browser")
		h.requireBlocked(k, clientOptions{identity: identity(t, "c-rude-2", "rude@example.com")}, "the customer's email under another id")
	})
}

func TestBlockByEmail(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		agent := h.agent(k, "ann")
		agent.block(wire.ClientFrame{Email: "Troll@Example.com"})
		h.requireBlocked(k, clientOptions{identity: identity(t, "c-1", "troll@example.COM")}, "an email blocked in another case")

		// An anonymous visitor who gives the blocked email in the pre-chat
		// form starts nothing, and the email is not stored.
		v := h.visitor(k)
		r := v.request(wire.ClientFrame{Type: wire.FrameStart, Name: "T", Email: "troll@example.com"})
		require.Equal(t, wire.FrameError, r.Type)
		require.Equal(t, wire.CodeBlocked, r.Error.Code)
		stored, err := h.store.Visitor(t.Context(), v.welcome.Visitor.ID)
		require.NoError(t, err)
		assert.Empty(t, stored.Email, "the blocked email is not stored")
		convs, err := h.store.Conversations(t.Context(), chat.ConversationFilter{VisitorID: v.welcome.Visitor.ID})
		require.NoError(t, err)
		assert.Empty(t, convs, "no conversation is started")
		v.start("") // without the email they may chat
	})
}

// dialFrom says hello over WebSocket from the local address ip and returns
// the first frame and the close status that follows a refusal.
func dialFrom(t *testing.T, h *harness, ip string) (wire.ServerFrame, websocket.StatusCode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(h.url, "http")+"/chat/ws", &websocket.DialOptions{HTTPClient: clientFrom(ip)})
	require.NoError(t, err)
	defer conn.CloseNow()
	hello, _ := json.Marshal(wire.ClientFrame{Type: wire.FrameHello, ID: "hello", V: wire.ProtocolVersion})
	require.NoError(t, conn.Write(ctx, websocket.MessageText, hello))
	_, data, err := conn.Read(ctx)
	require.NoError(t, err)
	f := decodeFrame(t, data)
	if f.Type == wire.FrameWelcome {
		return f, -1
	}
	_, _, err = conn.Read(ctx)
	return f, websocket.CloseStatus(err)
}

// clientFrom is an HTTP client whose connections start at the local
// address ip.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

func TestBlockByNetwork(t *testing.T) {
	h := newHarness(t)
	agent := h.agent(ws, "ann")
	b := agent.block(wire.ClientFrame{Network: "127.0.0.2/32", DurationMS: time.Hour.Milliseconds()})
	assert.Equal(t, netip.MustParsePrefix("127.0.0.2/32"), b.Network)

	f, status := dialFrom(t, h, "127.0.0.2")
	require.Equal(t, wire.FrameError, f.Type)
	assert.Equal(t, wire.CodeBlocked, f.Error.Code)
	assert.Equal(t, "hello", f.ID, "the refusal answers the hello")
	assert.Equal(t, websocket.StatusCode(transport.CloseProtocolError), status, "closed as other refused hellos are")

	f, _ = dialFrom(t, h, "127.0.0.1")
	assert.Equal(t, wire.FrameWelcome, f.Type, "another address is welcome")

	// Over SSE the hello is refused with 403.
	body, _ := json.Marshal(wire.ClientFrame{Type: wire.FrameHello, V: wire.ProtocolVersion})
	resp, err := clientFrom("127.0.0.2").Post(h.url+"/chat/sse", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	var refused wire.ServerFrame
	require.NoError(t, decodeJSON(resp, &refused))
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.NotNil(t, refused.Error)
	assert.Equal(t, wire.CodeBlocked, refused.Error.Code)
}

func TestBlockClientIPHook(t *testing.T) {
	// Behind the shop's proxy the address comes from its header.
	h := newHarness(t, func(c *transport.Config) {
		c.ClientIP = func(r *http.Request) netip.Addr {
			a, _ := netip.ParseAddr(r.Header.Get("X-Test-Client"))
			return a
		}
	})
	_, err := h.desk.Block(t.Context(), chat.Block{Network: netip.MustParsePrefix("2001:db8::/32")})
	require.NoError(t, err)
	hello, _ := json.Marshal(wire.ClientFrame{Type: wire.FrameHello, V: wire.ProtocolVersion})
	for addr, want := range map[string]int{"2001:db8::7": http.StatusForbidden, "2001:db9::7": http.StatusOK, "": http.StatusOK} {
		req, _ := http.NewRequest(http.MethodPost, h.url+"/chat/sse", bytes.NewReader(hello))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Test-Client", addr)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, "a hello from %q", addr)
	}
}

func TestBlockExpires(t *testing.T) {
	clk := newClock()
	h := newHarnessWithDesk(t, chat.Config{Now: clk.Now}, func(c *transport.Config) { c.Now = clk.Now })
	agent := h.agent(ws, "ann")
	v := h.visitor(ws)
	token := v.welcome.Token
	v.close()
	b := agent.block(wire.ClientFrame{VisitorID: v.welcome.Visitor.ID, DurationMS: time.Hour.Milliseconds()})
	assert.Equal(t, b.CreatedAt.Add(time.Hour), b.ExpiresAt)

	clk.advance(time.Hour - time.Second)
	h.requireBlocked(ws, clientOptions{token: token}, "a second before the expiry")
	clk.advance(time.Second)
	h.visitor(ws, clientOptions{token: token}) // the block has expired

	r := agent.mustRequest(wire.ClientFrame{Type: wire.FrameBlocks})
	for _, listed := range r.Blocks {
		assert.NotEqual(t, b.ID, listed.ID, "an expired block is not listed")
	}
}

func TestBlockWhileConnected(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		agent := h.agent(k, "ann")
		v := h.visitor(k)
		conv := v.start("")
		v.say(conv, "first")
		v.mustRequest(wire.ClientFrame{Type: wire.FramePage, URL: "https://shop.example.com/a"})

		b := agent.block(wire.ClientFrame{VisitorID: v.welcome.Visitor.ID})
		told := v.expect(func(f wire.ServerFrame) bool { return f.Type == wire.FrameError && f.ID == "" })
		assert.Equal(t, wire.CodeBlocked, told.Error.Code, "the visitor is told at once")

		for _, f := range []wire.ClientFrame{
			{Type: wire.FrameSend, ConversationID: conv.ID, Key: "k-second", Body: "second"},
			{Type: wire.FrameStart},
			{Type: wire.FramePage, URL: "https://shop.example.com/b"},
			{Type: wire.FrameRate, ConversationID: conv.ID, Rating: 1},
			{Type: wire.FrameTranscript, ConversationID: conv.ID, Email: "x@example.com"},
			{Type: wire.FrameTyping, ConversationID: conv.ID, Typing: true},
			{Type: wire.FrameInviteReply, InvitationID: uuid.New(), Accept: true},
		} {
			r := v.request(f)
			require.Equal(t, wire.FrameError, r.Type, "%s of a blocked visitor", f.Type)
			assert.Equal(t, wire.CodeBlocked, r.Error.Code, "%s of a blocked visitor", f.Type)
		}
		ctx := t.Context()
		ms, err := h.store.Messages(ctx, conv.ID, chat.MessageQuery{})
		require.NoError(t, err)
		assert.Equal(t, []string{"first"}, bodies(visitorMessages(ms)), "nothing more is stored")
		convs, err := h.store.Conversations(ctx, chat.ConversationFilter{VisitorID: v.welcome.Visitor.ID})
		require.NoError(t, err)
		assert.Len(t, convs, 1, "no conversation is started")
		assert.Zero(t, convs[0].Rating, "no rating is stored")
		pages, err := h.store.PageViews(ctx, v.welcome.Visitor.ID, 0)
		require.NoError(t, err)
		assert.Len(t, pages, 1, "no page view is stored")

		agent.mustRequest(wire.ClientFrame{Type: wire.FrameUnblock, BlockID: b.ID})
		v.say(conv, "after")
	})
}

func bodies(ms []chat.Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Body)
	}
	return out
}

func TestCheckVisitorHook(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		var mu sync.Mutex
		var seen []chat.Visitor
		h := newHarness(t, func(c *transport.Config) {
			c.CheckVisitor = func(r *http.Request, v chat.Visitor) error {
				mu.Lock()
				seen = append(seen, v)
				mu.Unlock()
				if v.CustomerID == "c-banned" || r.Header.Get("Origin") == "http://banned.example" {
					return errors.New("on the shop's own list")
				}
				return nil
			}
			c.AllowedOrigins = []string{"banned.example"}
		})
		h.requireBlocked(k, clientOptions{identity: identity(t, "c-banned", "")}, "a visitor the hook refuses")
		mu.Lock()
		require.Len(t, seen, 1)
		assert.Equal(t, "c-banned", seen[0].CustomerID, "the hook sees the identified customer")
		assert.Equal(t, uuid.Nil, seen[0].ID, "a new visitor reaches the hook without an id")
		mu.Unlock()

		v := h.visitor(k)
		before, err := h.store.Visitor(t.Context(), v.welcome.Visitor.ID)
		require.NoError(t, err)
		v.close()
		h.requireBlocked(k, clientOptions{token: v.welcome.Token, origin: "http://banned.example"}, "a request the hook refuses")
		after, err := h.store.Visitor(t.Context(), v.welcome.Visitor.ID)
		require.NoError(t, err)
		assert.Equal(t, before, after, "a refused hello stores nothing")
		h.visitor(k, clientOptions{token: v.welcome.Token}) // the same visitor from elsewhere
	})
}

func TestBlockFrames(t *testing.T) {
	h := newHarness(t)
	agent := h.agent(ws, "ann")
	for _, f := range []wire.ClientFrame{
		{Type: wire.FrameBlock},
		{Type: wire.FrameBlock, Network: "10.1.2.3"},
		{Type: wire.FrameBlock, Email: "not an address"},
		{Type: wire.FrameBlock, CustomerID: "c", DurationMS: -1},
		{Type: wire.FrameUnblock},
	} {
		r := agent.request(f)
		require.Equal(t, wire.FrameError, r.Type, "%+v", f)
		assert.Equal(t, wire.CodeInvalid, r.Error.Code, "%+v", f)
	}
	r := agent.request(wire.ClientFrame{Type: wire.FrameUnblock, BlockID: uuid.New()})
	require.Equal(t, wire.FrameError, r.Type)
	assert.Equal(t, wire.CodeNotFound, r.Error.Code)

	// A network is kept as its prefix.
	b := agent.block(wire.ClientFrame{Network: "10.1.2.3/8", Reason: "flood"})
	assert.Equal(t, netip.MustParsePrefix("10.0.0.0/8"), b.Network)
	other := agent.block(wire.ClientFrame{CustomerID: "c-x", DurationMS: time.Minute.Milliseconds()})
	list := agent.mustRequest(wire.ClientFrame{Type: wire.FrameBlocks})
	require.Equal(t, wire.FrameBlocks, list.Type)
	require.Len(t, list.Blocks, 2)
	assert.Equal(t, []uuid.UUID{b.ID, other.ID}, []uuid.UUID{list.Blocks[0].ID, list.Blocks[1].ID}, "oldest first")

	v := h.visitor(ws)
	r = v.request(wire.ClientFrame{Type: wire.FrameBlocks})
	require.Equal(t, wire.FrameError, r.Type)
	assert.Equal(t, wire.CodeUnknownType, r.Error.Code, "visitors cannot list blocks")
}
