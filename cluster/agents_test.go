package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// eventually waits until cond holds, checking every few milliseconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, wait, 5*time.Millisecond, what)
}

// TestAgentOnTwoInstances connects an agent's console to instances A and
// B. Closing the console on A keeps the agent online, in the store and for
// routing: a visitor on C is given to them, and the console on B hears of
// it. Closing the console on B then sets the agent offline at once: A let
// go of them when its console closed.
func TestAgentOnTwoInstances(t *testing.T) {
	forEachBroker(t, func(t *testing.T, b brokerKind) {
		in := newCluster(t, b, options{}).instances(3)
		onA := in[0].agent(t, "olga", 5)
		onB := in[1].agent(t, "olga", 5)
		require.Equal(t, chat.AgentOnline, agentStatus(in[2].store, "olga"))

		onA.close()
		// Shutdown returns once A has finished with every connection, the
		// release of the agent's presence lease included.
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		require.NoError(t, in[0].srv.Shutdown(ctx))
		assert.Equal(t, chat.AgentOnline, agentStatus(in[2].store, "olga"), "B still holds the agent")

		conv := in[2].visitor(t, "").start("")
		assert.Equal(t, chat.StatusOpen, conv.Status)
		assert.Equal(t, "olga", conv.AgentID, "routing still gives the agent chats")
		onB.expect("the chat assigned on C", func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventAssigned) && f.ConversationID == conv.ID && f.AgentID == "olga"
		})

		onB.close()
		eventually(t, "the agent goes offline when their last console closes", func() bool {
			return agentStatus(in[2].store, "olga") == chat.AgentOffline
		})
	})
}

// TestGhostAgent kills the instance an agent is connected to, so nothing
// says goodbye. The agent stays online while their presence lease may
// still be renewed, and goes offline once it has ended, set so by the
// sweep of another instance; their chats go back to the queue, where an
// agent with room takes the oldest and the other waits.
func TestGhostAgent(t *testing.T) {
	forEachBroker(t, func(t *testing.T, b brokerKind) {
		const ttl = time.Second
		clk := newClock()
		in := newCluster(t, b, options{now: clk.Now, agentLeaseTTL: ttl, sweep: 20 * time.Millisecond}).instances(3)
		in[1].agent(t, "olga", 5)
		first, second := in[0].visitor(t, ""), in[2].visitor(t, "")
		firstConv, secondConv := first.start(""), second.start("")
		require.Equal(t, "olga", firstConv.AgentID)
		require.Equal(t, "olga", secondConv.AgentID)

		in[1].kill()
		ctx := t.Context()
		require.NoError(t, in[0].desk.Sweep(ctx))
		assert.Equal(t, chat.AgentOnline, agentStatus(in[0].store, "olga"), "online while the lease lasts")
		clk.advance(ttl - time.Millisecond)
		require.NoError(t, in[0].desk.Sweep(ctx))
		assert.Equal(t, chat.AgentOnline, agentStatus(in[0].store, "olga"), "online until the lease time has passed")

		// An agent with room for one chat comes online on C; their lease
		// runs from now.
		ada := in[2].agent(t, "ada", 1)
		clk.advance(time.Millisecond)
		eventually(t, "the ghost goes offline once the lease time has passed", func() bool {
			return agentStatus(in[0].store, "olga") == chat.AgentOffline
		})

		first.expect("the oldest chat given to the agent with room", func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventAssigned) && f.ConversationID == firstConv.ID && f.AgentID == "ada"
		})
		ada.expect("the chat requeued from the ghost", func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventAssigned) && f.ConversationID == firstConv.ID && f.AgentID == "ada"
		})
		second.expect("the other chat back in the queue", func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventStatus) && f.ConversationID == secondConv.ID && f.Conversation.Status == chat.StatusQueued
		})
		stored, err := in[2].store.Conversation(ctx, secondConv.ID)
		require.NoError(t, err)
		assert.Equal(t, chat.StatusQueued, stored.Status)
		assert.Empty(t, stored.AgentID, "not left with the ghost")
		open, err := in[2].store.Conversations(ctx, chat.ConversationFilter{Statuses: []chat.Status{chat.StatusOpen}, AgentID: "olga"})
		require.NoError(t, err)
		assert.Empty(t, open, "the ghost keeps no chat")
	})
}
