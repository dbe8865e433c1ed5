package transport_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

func TestTypingReadAndPresence(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t, func(c *transport.Config) {
			c.Supervisor = func(a chat.Agent) bool { return a.ID == "boss" }
		})
		agent := h.agent(k, "olga")
		v := h.visitor(k)
		conv := v.start("")
		agent.expect(func(f wire.ServerFrame) bool { return f.Type == string(chat.EventAssigned) })
		boss := h.agent(k, "boss") // a supervisor, who sees visitors come and go

		v.mustRequest(wire.ClientFrame{Type: wire.FrameTyping, ConversationID: conv.ID, Typing: true})
		typing := agent.expectType(string(chat.EventTyping))
		assert.True(t, typing.Typing)
		assert.Equal(t, chat.AuthorVisitor, typing.Author.Kind)
		assert.Equal(t, conv.ID, typing.ConversationID)

		agent.mustRequest(wire.ClientFrame{Type: wire.FrameTyping, ConversationID: conv.ID, Typing: true})
		got := v.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventTyping) && f.Author.Kind == chat.AuthorAgent
		})
		assert.Equal(t, "olga", got.Author.ID, "the visitor sees the agent typing")

		agent.say(conv, "Dzień dobry!")
		v.mustRequest(wire.ClientFrame{Type: wire.FrameRead, ConversationID: conv.ID, Seq: 1})
		read := agent.expectType(string(chat.EventRead))
		assert.Equal(t, int64(1), read.Seq, "the agent sees the visitor read up to seq 1")
		agent.mustRequest(wire.ClientFrame{Type: wire.FrameRead, ConversationID: conv.ID, Seq: 1})
		read = v.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventRead) && f.Author.Kind == chat.AuthorAgent
		})
		assert.Equal(t, int64(1), read.Seq)

		agent.mustRequest(wire.ClientFrame{Type: wire.FramePresence, Presence: chat.PresenceAway})
		p := v.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventPresence) && f.Author.Kind == chat.AuthorAgent
		})
		assert.Equal(t, chat.PresenceAway, p.Presence, "the visitor is told their agent is away")
		assert.Equal(t, "olga", p.Author.ID)

		v.mustRequest(wire.ClientFrame{Type: wire.FramePresence, Presence: chat.PresenceAway})
		p = boss.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventPresence) && f.Author.Kind == chat.AuthorVisitor && f.Presence == chat.PresenceAway
		})
		assert.Equal(t, v.welcome.Visitor.ID.String(), p.Author.ID)

		v.close()
		boss.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventPresence) && f.Author.Kind == chat.AuthorVisitor && f.Presence == chat.PresenceOffline
		})
		agent.close()
		boss.close()
		require.Eventually(t, func() bool {
			a, err := h.store.Agent(t.Context(), "olga")
			return err == nil && a.Status == chat.AgentOffline
		}, wait, 10*time.Millisecond, "an agent whose last connection closed is offline")
	})
}

// TestHeartbeatDetectsDeadClient connects clients that never answer pings
// and checks the server gives up on them within the heartbeat timeout.
func TestHeartbeatDetectsDeadClient(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t, func(c *transport.Config) {
			// Generous for a loaded machine running the race detector;
			// the bound checked below is a few timeouts.
			c.HeartbeatInterval = 100 * time.Millisecond
			c.HeartbeatTimeout = time.Second
		})
		alive := h.visitor(k)
		dead := h.visitor(k, clientOptions{noPong: true})
		assert.Equal(t, int64(100), dead.welcome.HeartbeatMS)
		assert.Equal(t, int64(1000), dead.welcome.TimeoutMS)
		started := time.Now()
		err := dead.waitClosed()
		elapsed := time.Since(started)
		assert.Less(t, elapsed, 4*time.Second, "a dead client is dropped within a bounded time (took %s)", elapsed)
		if k == ws {
			assert.Equal(t, transport.CloseHeartbeatTimeout, int(websocketStatus(err)), "closed with %v", err)
		} else {
			f := dead.expectType(wire.FrameError)
			assert.Equal(t, wire.CodeHeartbeatTimeout, f.Error.Code)
		}
		// A client that answers stays connected well past the timeout.
		_, closed := alive.tryExpect(func(f wire.ServerFrame) bool { return f.Type == wire.FrameError }, 1500*time.Millisecond)
		assert.False(t, closed)
		assert.NoError(t, alive.err(), "a client answering pings stays connected")
	})
}

// TestAgentGracePeriod reloads an agent's console within the grace period
// (nothing changes) and then leaves for good (the agent goes offline and
// the conversation back to the queue).
func TestAgentGracePeriod(t *testing.T) {
	const grace = 300 * time.Millisecond
	h := newHarness(t, func(c *transport.Config) { c.AgentGracePeriod = grace })
	agent := h.agent(ws, "olga")
	v := h.visitor(ws)
	conv := v.start("")
	agent.expect(func(f wire.ServerFrame) bool { return f.Type == string(chat.EventAssigned) })

	agent.close()
	require.Eventually(t, func() bool { return h.srv.Stats().Leaving == 1 }, wait, 5*time.Millisecond,
		"the server saw the agent's last connection close")
	agent = h.agent(ws, "olga") // the reload
	assert.Equal(t, 0, h.srv.Stats().Leaving)
	stillHers := func() bool {
		c, err := h.store.Conversation(t.Context(), conv.ID)
		a, aerr := h.store.Agent(t.Context(), "olga")
		return err == nil && aerr == nil && c.AgentID == "olga" && a.Status == chat.AgentOnline
	}
	require.True(t, stillHers())
	assert.Never(t, func() bool { return !stillHers() }, 3*grace, 20*time.Millisecond,
		"a reload within the grace period keeps the agent online and the conversation theirs")

	agent.close()
	require.Eventually(t, func() bool {
		c, err := h.store.Conversation(t.Context(), conv.ID)
		return err == nil && c.Status == chat.StatusQueued && c.AgentID == ""
	}, wait, 10*time.Millisecond, "after the grace period the conversation goes back to the queue")
	a, err := h.store.Agent(t.Context(), "olga")
	require.NoError(t, err)
	assert.Equal(t, chat.AgentOffline, a.Status)
}
