package transport_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// clock is a time source that tests move forward by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func isInvite(f wire.ServerFrame) bool { return f.Type == wire.FrameInvite }

// noInviteYet checks that the visitor has received no invitation. The
// rules run before a page frame is answered, so an invitation made for
// that page would have arrived before the answer.
func (c *client) noInviteYet() {
	c.t.Helper()
	_, got := c.tryExpect(isInvite, 0)
	require.False(c.t, got, "no invitation yet")
}

// invitationOf returns the invitation with the given id in an entry.
func invitationOf(st wire.VisitorState, id uuid.UUID) (chat.Invitation, bool) {
	for _, inv := range st.Invitations {
		if inv.ID == id {
			return inv, true
		}
	}
	return chat.Invitation{}, false
}

// TestInvitations follows a visitor through two invitation rules: the
// first fires after 30 s on a product page and is dismissed, never to
// fire again that visit; the second is accepted and starts a conversation
// whose first message is the invitation.
func TestInvitations(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		clk := newClock()
		h := newHarness(t, func(c *transport.Config) {
			c.Now = clk.Now
			c.InvitationInterval = 5 * time.Millisecond
			c.VisitorGracePeriod = time.Hour
			c.Invitations = []transport.InvitationRule{
				{Name: "bikes", Message: "Need help choosing a bike?", From: "Bike shop", Path: "/p/*", MinTimeOnPage: 30 * time.Second},
				{Name: "bikes-long", Message: "Still deciding? Ask us anything.", Path: "/p/*", MinTimeOnPage: 45 * time.Second, Department: "sales"},
			}
		})
		agent := h.agent(k, "olga")
		v := h.visitor(k)
		id := v.welcome.Visitor.ID
		v.page("https://shop.example.com/")
		v.page("https://shop.example.com/p/city-bike")
		v.noInviteYet()
		clk.advance(10 * time.Second)
		v.page("https://shop.example.com/p/road-bike")
		v.noInviteYet()

		clk.advance(31 * time.Second)
		inv := v.expect(isInvite)
		assert.Equal(t, "Need help choosing a bike?", inv.Body)
		require.NotNil(t, inv.Author)
		assert.Equal(t, chat.Author{Kind: chat.AuthorBot, Name: "Bike shop"}, *inv.Author)
		st := agent.expectVisitor(id, func(st wire.VisitorState) bool { return len(st.Invitations) == 1 })
		assert.Equal(t, chat.Invitation{ID: inv.InvitationID, Rule: "bikes", Body: inv.Body,
			Status: chat.InvitationPending, At: st.Invitations[0].At}, st.Invitations[0], "agents see the invitation")

		// The widget on the next page is shown the pending invitation again.
		v.close()
		v = h.visitor(k, clientOptions{token: v.welcome.Token})
		again := v.expect(isInvite)
		assert.Equal(t, inv.InvitationID, again.InvitationID)

		ok := v.mustRequest(wire.ClientFrame{Type: wire.FrameInviteReply, InvitationID: inv.InvitationID})
		assert.Equal(t, wire.FrameOK, ok.Type)
		agent.expectVisitor(id, func(st wire.VisitorState) bool {
			got, _ := invitationOf(st, inv.InvitationID)
			return got.Status == chat.InvitationDismissed
		})

		// Later, with both rules' conditions met, only the rule not yet
		// fired this visit invites: the dismissed one is not repeated.
		v.page("https://shop.example.com/p/kids-bike")
		clk.advance(50 * time.Second)
		second := v.expect(isInvite)
		assert.Equal(t, "Still deciding? Ask us anything.", second.Body)
		assert.Nil(t, second.Author, "a rule without From shows no name")

		started := v.mustRequest(wire.ClientFrame{Type: wire.FrameInviteReply, InvitationID: second.InvitationID, Accept: true})
		require.Equal(t, wire.FrameStarted, started.Type)
		conv := *started.Conversation
		assert.Equal(t, "sales", conv.Department)
		first := v.messages(conv, 1)[0]
		assert.Equal(t, "Still deciding? Ask us anything.", first.Body, "the invitation is the first message")
		assert.Equal(t, chat.AuthorBot, first.Author.Kind)
		assert.Equal(t, int64(1), first.Seq)

		retry := v.mustRequest(wire.ClientFrame{Type: wire.FrameInviteReply, InvitationID: second.InvitationID, Accept: true})
		assert.Equal(t, conv.ID, retry.ConversationID, "accepting again returns the same conversation")
		stored, err := h.store.Messages(t.Context(), conv.ID, chat.MessageQuery{})
		require.NoError(t, err)
		assert.Len(t, stored, 1, "the invitation is posted once")

		st = agent.expectVisitor(id, func(st wire.VisitorState) bool {
			got, _ := invitationOf(st, second.InvitationID)
			return got.Status == chat.InvitationAccepted && st.ConversationID == conv.ID
		})
		got, _ := invitationOf(st, second.InvitationID)
		assert.Equal(t, conv.ID, got.ConversationID)

		dismissed := v.request(wire.ClientFrame{Type: wire.FrameInviteReply, InvitationID: inv.InvitationID, Accept: true})
		require.Equal(t, wire.FrameError, dismissed.Type)
		assert.Equal(t, wire.CodeInvalid, dismissed.Error.Code, "a dismissed invitation cannot be accepted")
		unknown := v.request(wire.ClientFrame{Type: wire.FrameInviteReply, InvitationID: chat.NewID(), Accept: true})
		require.Equal(t, wire.FrameError, unknown.Type)
		assert.Equal(t, wire.CodeNotFound, unknown.Error.Code)
	})
}

// TestInvitationRememberedAfterLeaving checks that a visitor who leaves
// the site and comes back within the visit is not invited by the same rule
// again.
func TestInvitationRememberedAfterLeaving(t *testing.T) {
	clk := newClock()
	h := newHarness(t, func(c *transport.Config) {
		c.Now = clk.Now
		c.VisitorGracePeriod = -1
		c.Invitations = []transport.InvitationRule{
			{Name: "welcome", Message: "Hello! Questions?"},
			{Name: "cart", Message: "Anything missing from your cart?", Path: "/cart"},
		}
	})
	v := h.visitor(ws)
	inv := v.expect(isInvite)
	assert.Equal(t, "Hello! Questions?", inv.Body, "a rule without conditions invites at once")
	v.mustRequest(wire.ClientFrame{Type: wire.FrameInviteReply, InvitationID: inv.InvitationID})
	v.close()
	require.Eventually(t, func() bool { return h.srv.Stats().Visitors == 0 }, wait, 10*time.Millisecond)

	clk.advance(5 * time.Minute)
	v = h.visitor(ws, clientOptions{token: v.welcome.Token})
	v.page("https://shop.example.com/cart")
	next := v.expect(isInvite)
	assert.Equal(t, "Anything missing from your cart?", next.Body, "the dismissed rule is not repeated in the same visit")
}

// TestInvitationConditions checks the typed conditions and the shop's own
// predicate on the visitor's context.
func TestInvitationConditions(t *testing.T) {
	clk := newClock()
	h := newHarness(t, func(c *transport.Config) {
		c.Now = clk.Now
		c.InvitationInterval = 5 * time.Millisecond
		c.VisitorContext = func(_ context.Context, v chat.Visitor) (any, error) {
			return cart{Customer: v.Name, Items: len(v.Name)}, nil
		}
		c.Invitations = []transport.InvitationRule{
			{Name: "returning", Message: "Welcome back!", ReturningOnly: true},
			{Name: "big cart", Message: "Free delivery today.", When: func(st wire.VisitorState) bool {
				c, ok := st.ContextValue.(cart)
				return ok && c.Items >= 4
			}},
			{Name: "idle", Message: "Still there?", MinIdle: 2 * time.Minute, MinTimeOnSite: 3 * time.Minute},
		}
	})
	identity := func(name string) string {
		tok, err := transport.SignIdentity(testSecret, transport.Identity{CustomerID: "c-" + name, Name: name, Expires: time.Now().Add(time.Hour)})
		require.NoError(t, err)
		return tok
	}
	small := h.visitor(ws, clientOptions{identity: identity("Al")})
	small.page("https://shop.example.com/")
	small.noInviteYet()
	big := h.visitor(ws, clientOptions{identity: identity("Anna")})
	assert.Equal(t, "Free delivery today.", big.expect(isInvite).Body, "the shop's predicate sees the context")

	clk.advance(90 * time.Second)
	small.page("https://shop.example.com/p/city-bike")
	clk.advance(90 * time.Second)
	small.noInviteYet() // 3 minutes on the site but only 90 s idle
	clk.advance(31 * time.Second)
	assert.Equal(t, "Still there?", small.expect(isInvite).Body)
}

// TestInvitationWithdrawnWhenChatting checks that a visitor who starts a
// chat while an invitation is pending sees the invitation withdrawn for
// agents, and is not invited while chatting.
func TestInvitationWithdrawnWhenChatting(t *testing.T) {
	h := newHarness(t, func(c *transport.Config) {
		c.Invitations = []transport.InvitationRule{{Name: "hello", Message: "Hello!"}}
	})
	agent := h.agent(ws, "olga")
	v := h.visitor(ws)
	inv := v.expect(isInvite)
	conv := v.start("")
	agent.expectVisitor(v.welcome.Visitor.ID, func(st wire.VisitorState) bool {
		got, _ := invitationOf(st, inv.InvitationID)
		return st.ConversationID == conv.ID && got.Status == chat.InvitationWithdrawn
	})
}

func TestInvitationRulesValidated(t *testing.T) {
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	require.NoError(t, err)
	for name, rules := range map[string][]transport.InvitationRule{
		"no name":         {{Message: "Hi"}},
		"duplicate name":  {{Name: "a", Message: "Hi"}, {Name: "a", Message: "Hello"}},
		"no message":      {{Name: "a", Message: "  "}},
		"bad pattern":     {{Name: "a", Message: "Hi", Path: "/p/["}},
		"negative":        {{Name: "a", Message: "Hi", MinIdle: -time.Second}},
		"long message":    {{Name: "a", Message: strings.Repeat("x", chat.MaxBodyBytes+1)}},
		"long department": {{Name: "a", Message: "Hi", Department: strings.Repeat("x", chat.MaxIDBytes+1)}},
	} {
		_, err := transport.New(transport.Config{Desk: desk, Secret: testSecret, Invitations: rules})
		assert.ErrorIs(t, err, chat.ErrInvalid, name)
		assert.ErrorContains(t, err, "Config.Invitations", name)
	}
}
