package transport_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// expectPlace waits for the conversations summaries that tell that
// conversation id is queued and its place in the queue, and returns the
// place.
func expectPlace(c *client, id uuid.UUID) wire.QueuePlace {
	c.t.Helper()
	var place *wire.QueuePlace
	queued := false
	c.expect(func(f wire.ServerFrame) bool {
		if f.Type != wire.FrameConversations {
			return false
		}
		if i := slices.IndexFunc(f.Queue, func(p wire.QueuePlace) bool { return p.ConversationID == id }); i >= 0 {
			place = &f.Queue[i]
		}
		queued = queued || slices.ContainsFunc(f.Open, func(ci chat.ConversationInfo) bool { return ci.ID == id && ci.Status == chat.StatusQueued })
		return queued && place != nil
	})
	return *place
}

// settle has the server answer a ping, which it writes after every event
// already queued for the connection (events go first), and returns every
// frame received until then.
func (c *client) settle() []wire.ServerFrame {
	c.t.Helper()
	c.mustRequest(wire.ClientFrame{Type: wire.FramePing})
	var all []wire.ServerFrame
	for {
		select {
		case f := <-c.in:
			c.pending = append(c.pending, f)
		default:
			all = append(all, c.pending...)
			c.pending = nil
			return all
		}
	}
}

// aboutConversation reports whether f is an event of conversation id.
func aboutConversation(f wire.ServerFrame, id uuid.UUID) bool {
	return f.ConversationID == id && f.Type != wire.FrameOK && f.Type != wire.FrameSynced && f.ID == ""
}

func withSupervisor(id string) func(*transport.Config) {
	return func(c *transport.Config) {
		c.Supervisor = func(a chat.Agent) bool { return a.ID == id }
	}
}

// TestAgentsReceiveOnlyTheirConversations has twenty agents with a
// conversation each: what happens in one reaches its agent and the
// supervisor, and none of the other nineteen connections.
func TestAgentsReceiveOnlyTheirConversations(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarnessWithDesk(t, chat.Config{}, withCapacity(1), withSupervisor("boss"))
		const n = 20
		agents := make(map[string]*client, n)
		for i := range n {
			id := fmt.Sprint("agent", i)
			agents[id] = h.agent(k, id)
		}
		visitors := make(map[string]*client, n)
		convs := make(map[string]chat.ConversationInfo, n)
		for range n {
			v := h.visitor(k)
			c := v.start("")
			require.Equal(t, chat.StatusOpen, c.Status)
			visitors[c.AgentID], convs[c.AgentID] = v, c
		}
		require.Len(t, convs, n, "one conversation each")
		for id, a := range agents {
			a.mustRequest(wire.ClientFrame{Type: wire.FrameSync, ConversationID: convs[id].ID})
			a.settle()
		}
		// The supervisor comes last, so that no conversation is routed
		// to them; they set themselves away besides.
		boss := h.agent(k, "boss")
		boss.mustRequest(wire.ClientFrame{Type: wire.FramePresence, Presence: chat.PresenceAway})
		boss.mustRequest(wire.ClientFrame{Type: wire.FrameSync, ConversationID: convs["agent7"].ID})
		boss.settle()

		conv := convs["agent7"]
		visitors["agent7"].say(conv, "Gdzie jest moja paczka?")
		visitors["agent7"].mustRequest(wire.ClientFrame{Type: wire.FrameTyping, ConversationID: conv.ID, Typing: true})
		got := agents["agent7"].expectType(string(chat.EventMessage))
		assert.Equal(t, conv.ID, got.ConversationID)
		agents["agent7"].expectType(string(chat.EventTyping))
		m := boss.expectType(string(chat.EventMessage))
		assert.Equal(t, conv.ID, m.ConversationID, "the supervisor sees everything")
		boss.expectType(string(chat.EventTyping))

		foreign := 0
		for id, a := range agents {
			for _, f := range a.settle() {
				if id != "agent7" && aboutConversation(f, conv.ID) {
					foreign++
					t.Logf("%s received %s of agent7's conversation", id, f.Type)
				}
			}
		}
		assert.Zero(t, foreign, "frames of agent7's conversation at other agents' connections")

		// A new conversation finds every agent full: it is queued, and
		// every agent hears of it in a summary.
		queued := h.visitor(k).start("")
		require.Equal(t, chat.StatusQueued, queued.Status)
		for _, a := range agents {
			assert.Equal(t, 1, expectPlace(a, queued.ID).Position)
		}
	})
}

// TestWatchingAConversation has an agent open a queued conversation that
// is not theirs: its messages reach them from the sync on, and stop after
// unwatch.
func TestWatchingAConversation(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarnessWithDesk(t, chat.Config{}, withCapacity(1))
		olga := h.agent(k, "olga")
		h.visitor(k).start("") // olga's, which fills her
		v := h.visitor(k)
		conv := v.start("")
		require.Equal(t, chat.StatusQueued, conv.Status)

		v.say(conv, "first")
		for _, f := range olga.settle() {
			assert.False(t, aboutConversation(f, conv.ID) && f.Type != wire.FrameConversations, "unwatched: %s", f.Type)
		}

		olga.mustRequest(wire.ClientFrame{Type: wire.FrameSync, ConversationID: conv.ID})
		olga.expect(isMessage("first")) // the sync sends what came before
		v.say(conv, "second")
		olga.expect(isMessage("second")) // watched: live messages arrive
		v.mustRequest(wire.ClientFrame{Type: wire.FrameTyping, ConversationID: conv.ID, Typing: true})
		olga.expectType(string(chat.EventTyping))

		olga.mustRequest(wire.ClientFrame{Type: wire.FrameUnwatch, ConversationID: conv.ID})
		v.say(conv, "third")
		v.mustRequest(wire.ClientFrame{Type: wire.FrameTyping, ConversationID: conv.ID, Typing: false})
		h.desk.Resync() // nor does catching up bring it back
		for _, f := range olga.settle() {
			assert.False(t, aboutConversation(f, conv.ID), "after unwatch: %s %+v", f.Type, f.Message)
		}

		// Watching it again and taking it: it is hers, and stays followed
		// after unwatch.
		olga.mustRequest(wire.ClientFrame{Type: wire.FrameSync, ConversationID: conv.ID, AfterSeq: 3})
		olga.mustRequest(wire.ClientFrame{Type: wire.FrameClose, ConversationID: h.mustOpenOf(t, "olga")})
		olga.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventAssigned) && f.ConversationID == conv.ID && f.AgentID == "olga"
		})
		olga.mustRequest(wire.ClientFrame{Type: wire.FrameUnwatch, ConversationID: conv.ID})
		v.say(conv, "fourth")
		olga.expect(isMessage("fourth"))
	})
}

// isMessage matches the message event of a message with the given body.
func isMessage(body string) func(wire.ServerFrame) bool {
	return func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.Message != nil && f.Message.Body == body
	}
}

// mustOpenOf returns the id of the one open conversation of an agent.
func (h *harness) mustOpenOf(t *testing.T, agentID string) uuid.UUID {
	t.Helper()
	open, err := h.desk.Conversations(t.Context(), chat.ConversationFilter{Statuses: []chat.Status{chat.StatusOpen}, AgentID: agentID})
	require.NoError(t, err)
	require.Len(t, open, 1)
	return open[0].ID
}

// TestSummariesAreCoalesced starts conversations in a burst: an agent
// hears of every one, in at most one summary per interval.
func TestSummariesAreCoalesced(t *testing.T) {
	const interval = 100 * time.Millisecond
	h := newHarness(t, func(c *transport.Config) { c.SummaryInterval = interval })
	olga := h.agent(ws, "olga")
	olga.mustRequest(wire.ClientFrame{Type: wire.FramePresence, Presence: chat.PresenceAway}) // nothing is routed to her
	const n = 40
	visitors := make([]*client, n)
	for i := range visitors {
		visitors[i] = h.visitor(ws)
	}
	began := time.Now()
	var ids []uuid.UUID
	for _, v := range visitors {
		ids = append(ids, v.start("").ID)
	}
	burst := time.Since(began)

	seen := make(map[uuid.UUID]bool)
	frames := 0
	olga.expect(func(f wire.ServerFrame) bool {
		if f.Type != wire.FrameConversations {
			return false
		}
		frames++
		for _, c := range f.Open {
			seen[c.ID] = true
		}
		return seen[ids[n-1]]
	})
	for _, id := range ids {
		assert.True(t, seen[id], "conversation %s summarised", id)
	}
	most := int(math.Ceil(float64(burst)/float64(interval))) + 1
	t.Logf("%d changes in %s: %d summaries, at most %d allowed", 2*n, burst, frames, most)
	assert.LessOrEqual(t, frames, most)
}

// TestReconnectingAgentKeepsTheirConversations drops an agent's
// connection: the new one is welcomed with the agent's conversation and
// receives its messages.
func TestReconnectingAgentKeepsTheirConversations(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t, func(c *transport.Config) { c.AgentGracePeriod = time.Minute })
		olga := h.agent(k, "olga")
		v := h.visitor(k)
		conv := v.start("")
		require.Equal(t, "olga", conv.AgentID)
		olga.close()

		again := h.agent(k, "olga")
		assert.True(t, slices.ContainsFunc(again.welcome.Open, func(c chat.ConversationInfo) bool { return c.ID == conv.ID }),
			"the welcome lists her conversation")
		again.mustRequest(wire.ClientFrame{Type: wire.FrameSync, ConversationID: conv.ID})
		v.say(conv, "still there?")
		m := again.expectType(string(chat.EventMessage))
		assert.Equal(t, conv.ID, m.ConversationID)
	})
}
