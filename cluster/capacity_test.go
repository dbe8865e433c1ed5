package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// TestCapacityAcrossInstances has 100 visitors start chats at once, spread
// over three instances, while four agents of capacity 2 are connected to
// various instances, one of them to two. No agent is ever given more than
// 2 conversations, neither by the events the consoles receive nor in the
// store, and every conversation ends up open with an agent or queued, with
// every agent full.
func TestCapacityAcrossInstances(t *testing.T) {
	forEachBroker(t, func(t *testing.T, b brokerKind) {
		const (
			agents   = 4
			capacity = 2
			visitors = 100
		)
		in := newCluster(t, b, options{}).instances(3)
		var consoles []*client
		var agentIDs []string
		for i := range agents {
			id := fmt.Sprintf("agent-%d", i)
			agentIDs = append(agentIDs, id)
			consoles = append(consoles, in[i%3].agent(t, id, capacity))
		}
		consoles = append(consoles, in[1].agent(t, "agent-0", capacity)) // on A and B

		clients := make([]*client, visitors)
		errs := make([]error, visitors)
		var wg sync.WaitGroup
		for i := range clients {
			wg.Go(func() { clients[i], errs[i] = in[i%3].dial(t, dialOptions{}) })
		}
		wg.Wait()
		require.NoError(t, errors.Join(errs...), "connecting the visitors")
		start := make(chan struct{})
		started := make([]wire.ServerFrame, visitors)
		for i, c := range clients {
			wg.Go(func() {
				<-start
				id := fmt.Sprint("start-", i)
				if errs[i] = c.trySend(wire.ClientFrame{Type: wire.FrameStart, ID: id}); errs[i] != nil {
					return
				}
				started[i], errs[i] = c.tryExpect(func(f wire.ServerFrame) bool { return f.ID == id }, burstWait)
			})
		}
		close(start)
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
		for i, f := range started {
			require.Equal(t, wire.FrameStarted, f.Type, "visitor %d: %+v", i, f.Error)
			assert.Contains(t, []chat.Status{chat.StatusOpen, chat.StatusQueued}, f.Conversation.Status, "visitor %d", i)
		}

		// Each console hears of the assignments to its agent. Nothing is
		// closed here, so an agent ever given a third conversation went over
		// capacity.
		for _, c := range consoles {
			id := c.welcome.Agent.ID
			c.until("the agent full", func(frames []wire.ServerFrame) bool { return len(assignedTo(frames, id)) >= capacity })
			c.mu.Lock()
			given := assignedTo(c.frames, id)
			c.mu.Unlock()
			assert.Len(t, given, capacity, "%s: conversations assigned to the agent", c.name)
		}

		ctx := context.Background()
		all, err := in[2].store.Conversations(ctx, chat.ConversationFilter{Limit: chat.MaxPageSize})
		require.NoError(t, err)
		require.Len(t, all, visitors, "every visitor's conversation is stored")
		open := map[string]int{}
		for _, c := range all {
			switch c.Status {
			case chat.StatusOpen:
				open[c.AgentID]++
			case chat.StatusQueued:
				assert.Empty(t, c.AgentID, "a queued conversation has no agent")
			default:
				t.Errorf("conversation %s is %s, neither open nor queued", c.ID, c.Status)
			}
		}
		for _, id := range agentIDs {
			assert.Equal(t, capacity, open[id], "open conversations of %s in the store", id)
		}
		assert.Len(t, open, agents, "open conversations are with the agents online")
		for _, c := range consoles {
			assert.NoError(t, c.ended(), "%s stayed connected through the burst", c.name)
		}
	})
}

// assignedTo returns the conversations assigned to agent by the assigned
// events among frames.
func assignedTo(frames []wire.ServerFrame, agent string) map[uuid.UUID]bool {
	out := map[uuid.UUID]bool{}
	for _, f := range frames {
		if f.Type == string(chat.EventAssigned) && f.AgentID == agent {
			out[f.ConversationID] = true
		}
	}
	return out
}
