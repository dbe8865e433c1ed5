package transport_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// expectVisitor waits for a visitor frame about id whose state ok accepts.
func (c *client) expectVisitor(id uuid.UUID, ok func(wire.VisitorState) bool) wire.VisitorState {
	c.t.Helper()
	f := c.expect(func(f wire.ServerFrame) bool {
		return f.Type == wire.FrameVisitor && f.VisitorID == id && f.State != nil && ok(*f.State)
	})
	return *f.State
}

// listed returns the entry of visitor id in an agent's welcome.
func listed(welcome wire.ServerFrame, id uuid.UUID) (wire.VisitorState, bool) {
	for _, st := range welcome.Visitors {
		if st.Visitor.ID == id {
			return st, true
		}
	}
	return wire.VisitorState{}, false
}

func (c *client) page(url string) {
	c.t.Helper()
	c.mustRequest(wire.ClientFrame{Type: wire.FramePage, URL: url, Title: "Title of " + url})
}

func pageURLs(st wire.VisitorState) []string {
	var out []string
	for _, p := range st.Pages {
		out = append(out, p.URL)
	}
	return out
}

type cart struct {
	Customer string `json:"customer"`
	Items    int    `json:"items"`
}

// TestLiveVisitorList follows one visitor through a visit as agents see
// it: arrival, pages, shop context, a conversation, and leaving.
func TestLiveVisitorList(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t, func(c *transport.Config) {
			c.VisitorGracePeriod = 50 * time.Millisecond
			c.VisitorContext = func(_ context.Context, v chat.Visitor) (any, error) {
				return cart{Customer: "c-" + v.ID.String()[:4], Items: 2}, nil
			}
		})
		agent := h.agent(k, "olga")
		require.Empty(t, agent.welcome.Visitors, "nobody is on the site yet")

		v := h.visitor(k)
		id := v.welcome.Visitor.ID
		st := agent.expectVisitor(id, func(wire.VisitorState) bool { return true })
		assert.False(t, st.Returning, "a new visitor is not returning")
		assert.Nil(t, st.Page)
		assert.WithinDuration(t, time.Now(), st.OnlineSince, time.Minute)
		var got cart
		require.NoError(t, json.Unmarshal(st.Context, &got), "the shop's context is in the entry")
		assert.Equal(t, cart{Customer: "c-" + id.String()[:4], Items: 2}, got)

		v.page("https://shop.example.com/")
		v.page("https://shop.example.com/p/city-bike")
		st = agent.expectVisitor(id, func(st wire.VisitorState) bool { return len(st.Pages) == 2 })
		assert.Equal(t, []string{"https://shop.example.com/", "https://shop.example.com/p/city-bike"}, pageURLs(st), "pages in the order opened")
		require.NotNil(t, st.Page)
		assert.Equal(t, "https://shop.example.com/p/city-bike", st.Page.URL, "the current page is the last one")
		assert.Equal(t, "Title of https://shop.example.com/p/city-bike", st.Page.Title)

		late := h.agent(k, "marek")
		entry, ok := listed(late.welcome, id)
		require.True(t, ok, "an agent connecting later gets the visitor in the welcome")
		assert.Equal(t, pageURLs(st), pageURLs(entry))
		assert.Equal(t, st.OnlineSince, entry.OnlineSince)

		conv := v.start("")
		agent.expectVisitor(id, func(st wire.VisitorState) bool { return st.ConversationID == conv.ID })
		v.mustRequest(wire.ClientFrame{Type: wire.FrameClose, ConversationID: conv.ID})
		agent.expectVisitor(id, func(st wire.VisitorState) bool { return st.ConversationID == uuid.Nil })

		v.close()
		left := agent.expectType(wire.FrameVisitorLeft)
		assert.Equal(t, id, left.VisitorID)
		late.expect(func(f wire.ServerFrame) bool { return f.Type == wire.FrameVisitorLeft && f.VisitorID == id })
		require.Eventually(t, func() bool {
			a := h.agent(k, "ewa")
			_, still := listed(a.welcome, id)
			a.close()
			return !still
		}, wait, 20*time.Millisecond, "a visitor who left is off the list")
	})
}

// TestLiveVisitorNavigationKeepsTheVisit checks that a visitor moving to
// the next page, which closes the widget's connection and opens a new one,
// stays on the list through the grace period with the visit intact.
func TestLiveVisitorNavigationKeepsTheVisit(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t, func(c *transport.Config) { c.VisitorGracePeriod = time.Hour })
		v := h.visitor(k)
		id := v.welcome.Visitor.ID
		v.page("https://shop.example.com/")
		v.close()
		require.Eventually(t, func() bool { return h.srv.Stats().Visitors == 0 }, wait, 10*time.Millisecond)

		agent := h.agent(k, "olga")
		st, ok := listed(agent.welcome, id)
		require.True(t, ok, "within the grace period the visitor stays listed")

		v2 := h.visitor(k, clientOptions{token: v.welcome.Token})
		require.Equal(t, id, v2.welcome.Visitor.ID)
		v2.page("https://shop.example.com/p/city-bike")
		next := agent.expectVisitor(id, func(st wire.VisitorState) bool { return len(st.Pages) == 2 })
		assert.Equal(t, st.OnlineSince, next.OnlineSince, "the visit goes on")
		assert.Equal(t, []string{"https://shop.example.com/", "https://shop.example.com/p/city-bike"}, pageURLs(next))
		_, left := agent.tryExpect(func(f wire.ServerFrame) bool { return f.Type == wire.FrameVisitorLeft }, 0)
		assert.False(t, left, "no visitor_left for a visitor who came back within the grace period")
	})
}

// TestLiveVisitorVisitFromStore checks what a visitor's first connection
// reads from the store: the pages of the current visit only, when the
// visit began, and that a visitor with an earlier visit is returning.
func TestLiveVisitorVisitFromStore(t *testing.T) {
	h, first, agent := departed(t)
	id := first.welcome.Visitor.ID

	now := time.Now()
	for i, p := range []struct {
		url string
		ago time.Duration
	}{
		{"https://shop.example.com/yesterday", 26 * time.Hour},
		{"https://shop.example.com/", 20 * time.Minute},
		{"https://shop.example.com/p/city-bike", 5 * time.Minute},
	} {
		require.NoError(t, h.store.AddPageView(t.Context(), chat.PageView{
			ID: chat.NewID(), VisitorID: id, URL: p.url, At: chat.Timestamp(now.Add(-p.ago)),
		}), "page %d", i)
	}
	again := h.visitor(ws, clientOptions{token: first.welcome.Token})
	st := agent.expectVisitor(id, func(wire.VisitorState) bool { return true })
	assert.Equal(t, []string{"https://shop.example.com/", "https://shop.example.com/p/city-bike"}, pageURLs(st),
		"the visit is the pages since the last pause of 30 minutes")
	assert.WithinDuration(t, now.Add(-20*time.Minute), st.OnlineSince, time.Second, "the visit began with its first page")
	assert.True(t, st.Returning, "a visitor with a page from an earlier visit is returning")
	require.NotNil(t, st.Page)
	assert.Equal(t, "https://shop.example.com/p/city-bike", st.Page.URL)
	again.close()
}

// TestLiveVisitorReturningByConversation checks that a visitor who had a
// conversation before is marked returning.
func TestLiveVisitorReturningByConversation(t *testing.T) {
	h := newHarness(t, func(c *transport.Config) { c.VisitorGracePeriod = -1 })
	v := h.visitor(ws)
	id := v.welcome.Visitor.ID
	conv := v.start("")
	v.mustRequest(wire.ClientFrame{Type: wire.FrameClose, ConversationID: conv.ID})
	v.close()
	agent := h.agent(ws, "olga")
	waitUnlisted(t, h, id)

	h.visitor(ws, clientOptions{token: v.welcome.Token})
	st := agent.expectVisitor(id, func(wire.VisitorState) bool { return true })
	assert.True(t, st.Returning, "a visitor with an earlier conversation is returning")
	assert.Equal(t, uuid.Nil, st.ConversationID, "the earlier conversation is closed")
}

// waitUnlisted waits until an agent who connects no longer finds the
// visitor on the live list.
func waitUnlisted(t *testing.T, h *harness, id uuid.UUID) {
	t.Helper()
	require.Eventually(t, func() bool {
		a := h.agent(ws, "ewa")
		defer a.close()
		_, ok := listed(a.welcome, id)
		return !ok
	}, wait, 10*time.Millisecond)
}

// departed serves visitors who leave the live list at once, connects a
// visitor and an agent "olga", and waits until the visitor, gone again, is
// off the list. The visitor's closed client holds the token to come back
// with.
func departed(t *testing.T) (h *harness, v, agent *client) {
	t.Helper()
	h = newHarness(t, func(c *transport.Config) { c.VisitorGracePeriod = -1 })
	v = h.visitor(ws)
	v.close()
	agent = h.agent(ws, "olga")
	waitUnlisted(t, h, v.welcome.Visitor.ID)
	return h, v, agent
}

// TestLiveVisitorNewestConversation checks that the live list names the
// visitor's newest conversation that is not closed when they have more
// conversations than one store page.
func TestLiveVisitorNewestConversation(t *testing.T) {
	h, v, agent := departed(t)
	id := v.welcome.Visitor.ID
	at := time.Now().Add(-48 * time.Hour)
	storeConversations(t, h.store, id, at, chat.MaxPageSize, chat.StatusClosed, "piotr")
	open := storeConversations(t, h.store, id, at.Add(24*time.Hour), 1, chat.StatusOpen, "piotr")[0]

	h.visitor(ws, clientOptions{token: v.welcome.Token})
	st := agent.expectVisitor(id, func(wire.VisitorState) bool { return true })
	assert.Equal(t, open.ID, st.ConversationID, "the newest conversation that is not closed")
	assert.True(t, st.Returning)
}

// TestLiveVisitorContextHookFails checks that a failing hook, or one
// returning too much, leaves the entry without context but still sends it.
func TestLiveVisitorContextHookFails(t *testing.T) {
	big := make([]byte, transport.MaxVisitorContextBytes)
	h := newHarness(t, func(c *transport.Config) {
		c.VisitorContext = func(_ context.Context, v chat.Visitor) (any, error) {
			if v.Name == "" {
				return nil, errors.New("the shop's database is down")
			}
			return string(big), nil
		}
	})
	agent := h.agent(ws, "olga")
	v := h.visitor(ws)
	st := agent.expectVisitor(v.welcome.Visitor.ID, func(wire.VisitorState) bool { return true })
	assert.Nil(t, st.Context, "no context when the hook fails")

	identity, err := transport.SignIdentity(testSecret, transport.Identity{CustomerID: "c-1", Name: "Anna", Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	named := h.visitor(ws, clientOptions{identity: identity})
	st = agent.expectVisitor(named.welcome.Visitor.ID, func(wire.VisitorState) bool { return true })
	assert.Equal(t, "Anna", st.Visitor.Name)
	assert.Nil(t, st.Context, "no context when the hook's answer is over the limit")
}

// TestLiveVisitorPagesBounded checks that an entry keeps only the newest
// MaxVisitPages pages.
func TestLiveVisitorPagesBounded(t *testing.T) {
	h := newHarness(t, func(c *transport.Config) { c.RateLimit, c.RateBurst = 1000, 1000 })
	agent := h.agent(ws, "olga")
	v := h.visitor(ws)
	n := transport.MaxVisitPages + 5
	for i := range n {
		v.page(fmt.Sprintf("https://shop.example.com/p/%d", i))
	}
	st := agent.expectVisitor(v.welcome.Visitor.ID, func(st wire.VisitorState) bool {
		return st.Page != nil && st.Page.URL == fmt.Sprintf("https://shop.example.com/p/%d", n-1)
	})
	require.Len(t, st.Pages, transport.MaxVisitPages)
	assert.Equal(t, "https://shop.example.com/p/5", st.Pages[0].URL, "the oldest pages are dropped")
}

// TestAgentStartsChatWithVisitor checks a proactive chat started by an
// agent: the visitor's connection learns of it at once and gets the
// agent's messages without asking.
func TestAgentStartsChatWithVisitor(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		agent := h.agent(k, "olga")
		v := h.visitor(k)
		id := v.welcome.Visitor.ID
		agent.expectVisitor(id, func(wire.VisitorState) bool { return true })

		r := agent.mustRequest(wire.ClientFrame{Type: wire.FrameStart, VisitorID: id})
		conv := *r.Conversation
		assert.Equal(t, "olga", conv.AgentID)
		got := v.expect(func(f wire.ServerFrame) bool {
			return f.ConversationID == conv.ID && f.Conversation != nil && f.Conversation.Status == chat.StatusOpen
		})
		assert.Equal(t, "olga", got.Conversation.AgentID, "the visitor is told at once who is talking to them")
		agent.say(conv, "Can I help you choose a bike?")
		m := v.messages(conv, 1)
		assert.Equal(t, "Can I help you choose a bike?", m[0].Body, "the visitor gets the message without a sync")
		agent.expectVisitor(id, func(st wire.VisitorState) bool { return st.ConversationID == conv.ID })
	})
}

// TestLiveVisitorContextHookTimesOut checks that a hook that does not
// answer holds up a visitor's hello only for the write timeout.
func TestLiveVisitorContextHookTimesOut(t *testing.T) {
	h := newHarness(t, func(c *transport.Config) {
		c.WriteTimeout = time.Second
		c.VisitorContext = func(ctx context.Context, _ chat.Visitor) (any, error) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(wait):
				return nil, errors.New("the hook had no deadline")
			}
		}
	})
	agent := h.agent(ws, "olga")
	start := time.Now()
	v := h.visitor(ws)
	assert.Less(t, time.Since(start), wait/2, "the hello waited for the hook beyond the write timeout")
	st := agent.expectVisitor(v.welcome.Visitor.ID, func(wire.VisitorState) bool { return true })
	assert.Nil(t, st.Context)
}
