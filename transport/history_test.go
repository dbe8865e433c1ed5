package transport_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// TestHistory checks that an agent gets a visitor's conversations newest
// first, at most MaxHistory of them, and that a visitor gets their own
// and never another visitor's.
func TestHistory(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		agent := h.agent(k, "olga")
		v := h.visitor(k)
		id := v.welcome.Visitor.ID
		var started []chat.ConversationInfo
		for range 3 {
			c := v.start("")
			v.mustRequest(wire.ClientFrame{Type: wire.FrameClose, ConversationID: c.ID})
			started = append(started, c)
		}
		other := h.visitor(k)
		other.start("")

		r := agent.mustRequest(wire.ClientFrame{Type: wire.FrameHistory, VisitorID: id})
		require.Equal(t, wire.FrameHistory, r.Type)
		assert.Equal(t, id, r.VisitorID)
		var got []string
		for _, c := range r.Open {
			assert.Equal(t, id, c.VisitorID, "only this visitor's conversations")
			got = append(got, c.ID.String())
		}
		assert.Equal(t, []string{started[2].ID.String(), started[1].ID.String(), started[0].ID.String()}, got, "newest first")
		assert.Equal(t, chat.StatusClosed, r.Open[0].Status)

		own := v.mustRequest(wire.ClientFrame{Type: wire.FrameHistory, VisitorID: id})
		assert.Equal(t, ids(r.Open), ids(own.Open), "a visitor reads their own")
		denied := v.request(wire.ClientFrame{Type: wire.FrameHistory, VisitorID: other.welcome.Visitor.ID})
		require.Equal(t, wire.FrameError, denied.Type)
		assert.Equal(t, wire.CodeNotFound, denied.Error.Code, "a visitor may not read another's")
		theirs := other.mustRequest(wire.ClientFrame{Type: wire.FrameHistory, VisitorID: other.welcome.Visitor.ID})
		require.Len(t, theirs.Open, 1, "the other visitor gets only their own")
		assert.Equal(t, other.welcome.Visitor.ID, theirs.Open[0].VisitorID)
		peek := other.request(wire.ClientFrame{Type: wire.FrameHistory, VisitorID: other.welcome.Visitor.ID, Before: started[2].ID})
		require.Equal(t, wire.FrameError, peek.Type)
		assert.Equal(t, wire.CodeNotFound, peek.Error.Code, "nor another's through before")

		// A regular customer, not connected now.
		regular, err := h.desk.SaveVisitor(t.Context(), chat.Visitor{Name: "Stały klient"})
		require.NoError(t, err)
		var first chat.Conversation
		for i := range transport.MaxHistory + 2 {
			c, err := h.desk.Start(t.Context(), chat.StartRequest{VisitorID: regular.ID})
			require.NoError(t, err)
			if i == 0 {
				first = c
			}
		}
		r = agent.mustRequest(wire.ClientFrame{Type: wire.FrameHistory, VisitorID: regular.ID})
		require.Len(t, r.Open, transport.MaxHistory, "the list is bounded")
		for _, c := range r.Open {
			assert.NotEqual(t, first.ID(), c.ID, "the oldest are left out")
		}

		unknown := agent.request(wire.ClientFrame{Type: wire.FrameHistory, VisitorID: chat.NewID()})
		require.Equal(t, wire.FrameError, unknown.Type)
		assert.Equal(t, wire.CodeNotFound, unknown.Error.Code)
	})
}

// storeConversations stores n conversations of the visitor directly, one
// a second from at, each with status st and agent, and returns them
// newest first.
func storeConversations(t *testing.T, s chat.Store, visitorID uuid.UUID, at time.Time, n int, st chat.Status, agent string) []chat.ConversationInfo {
	t.Helper()
	out := make([]chat.ConversationInfo, 0, n)
	for i := range n {
		created := at.Add(time.Duration(i) * time.Second)
		c, err := s.CreateConversation(t.Context(), chat.ConversationInfo{ID: chat.NewID(), VisitorID: visitorID,
			Status: st, AgentID: agent, CreatedAt: created, UpdatedAt: created})
		require.NoError(t, err)
		out = append(out, c)
	}
	slices.Reverse(out)
	return out
}

// TestHistoryNewestAndOlder checks, over a real SQLite file and more
// conversations than one store page, that history lists a visitor's newest
// conversations and that before pages back through every one of them,
// each once, with more false only on the last page.
func TestHistoryNewestAndOlder(t *testing.T) {
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "history.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(context.Background()) })
	h := newHarnessWithStore(t, store)
	v, err := h.desk.SaveVisitor(t.Context(), chat.Visitor{Name: "Stały klient"})
	require.NoError(t, err)
	want := storeConversations(t, store, v.ID, time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), chat.MaxPageSize+30, chat.StatusClosed, "olga")
	agent := h.agent(ws, "olga")

	r := agent.mustRequest(wire.ClientFrame{Type: wire.FrameHistory, VisitorID: v.ID})
	require.Len(t, r.Open, transport.MaxHistory)
	assert.Equal(t, ids(want[:transport.MaxHistory]), ids(r.Open), "the newest first")
	assert.True(t, r.More, "older conversations remain")

	got := r.Open
	for r.More {
		r = agent.mustRequest(wire.ClientFrame{Type: wire.FrameHistory, VisitorID: v.ID, Before: r.Open[len(r.Open)-1].ID})
		require.NotEmpty(t, r.Open, "a page that says more has followers")
		got = append(got, r.Open...)
	}
	assert.Equal(t, ids(want), ids(got), "paging back lists every conversation once, newest first")

	stranger, err := h.desk.SaveVisitor(t.Context(), chat.Visitor{})
	require.NoError(t, err)
	other := storeConversations(t, store, stranger.ID, time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC), 1, chat.StatusClosed, "")[0]
	r = agent.request(wire.ClientFrame{Type: wire.FrameHistory, VisitorID: v.ID, Before: other.ID})
	require.Equal(t, wire.FrameError, r.Type)
	assert.Equal(t, wire.CodeNotFound, r.Error.Code, "before names a conversation of another visitor")
	r = agent.request(wire.ClientFrame{Type: wire.FrameHistory, VisitorID: v.ID, Before: chat.NewID()})
	require.Equal(t, wire.FrameError, r.Type)
	assert.Equal(t, wire.CodeNotFound, r.Error.Code, "before names no conversation")
}

func ids(cs []chat.ConversationInfo) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// TestWelcomeListsNewest checks the conversations of a welcome when there
// are more than one store page of them: an agent gets the shop's newest
// active conversations and every one of their own, a visitor their newest,
// newest first and each once.
func TestWelcomeListsNewest(t *testing.T) {
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	t.Run("agent", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		v, err := h.desk.SaveVisitor(t.Context(), chat.Visitor{})
		require.NoError(t, err)
		own := storeConversations(t, h.store, v.ID, at, 2, chat.StatusOpen, "olga")
		others := storeConversations(t, h.store, v.ID, at.Add(time.Hour), chat.MaxPageSize, chat.StatusOpen, "piotr")
		storeConversations(t, h.store, v.ID, at.Add(-time.Hour), 3, chat.StatusClosed, "olga")

		agent := h.agent(ws, "olga")
		got := agent.welcome.Open
		assert.Equal(t, ids(append(others, own...)), ids(got), "the newest of the shop, then the agent's own older ones, newest first")
	})
	t.Run("visitor", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		first := h.visitor(ws)
		first.close()
		id := first.welcome.Visitor.ID
		convs := storeConversations(t, h.store, id, at, chat.MaxPageSize+5, chat.StatusWaiting, "")
		storeConversations(t, h.store, id, at.Add(time.Hour), 2, chat.StatusClosed, "")

		again := h.visitor(ws, clientOptions{token: first.welcome.Token})
		require.Equal(t, id, again.welcome.Visitor.ID)
		assert.Equal(t, ids(convs[:chat.MaxPageSize]), ids(again.welcome.Open), "the visitor's newest active conversations, newest first")
	})
}
