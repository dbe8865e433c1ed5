package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func assignCases() []testCase {
	return []testCase{
		{"WithinCapacity", testAssignWithinCapacity},
		{"Unlimited", testAssignUnlimited},
		{"Errors", testAssignErrors},
		{"Race", testAssignRace},
		{"Loads", testAgentLoads},
		{"LoadsOfManyAgents", testAgentLoadsOfManyAgents},
	}
}

// opened returns c open with agentID, as the Desk assigns it.
func opened(c chat.ConversationInfo, agentID string) chat.ConversationInfo {
	c.Status, c.AgentID = chat.StatusOpen, agentID
	c.AssignedAt = baseTime().Add(time.Minute)
	c.FirstAssignedAt = c.AssignedAt
	return c
}

// assign assigns c to agentID within capacity and requires it to succeed.
func (f *fixture) assign(c chat.ConversationInfo, agentID string, capacity int) chat.ConversationInfo {
	f.t.Helper()
	return f.assignOpened(opened(c, agentID), capacity)
}

// assignOpened assigns want, open with an agent, within capacity and
// requires it to succeed.
func (f *fixture) assignOpened(want chat.ConversationInfo, capacity int) chat.ConversationInfo {
	f.t.Helper()
	got, err := f.s.AssignConversation(f.ctx, want, capacity)
	require.NoError(f.t, err, "AssignConversation")
	want.Version++
	requireConversation(f.t, wantConversation(want), got, "AssignConversation returns the conversation as stored")
	requireConversation(f.t, got, f.get(want.ID), "AssignConversation stores the conversation")
	return got
}

func testAssignWithinCapacity(t *testing.T, f *fixture) {
	a := f.agent()
	first := f.assign(f.conversation(), a.ID, 2)
	f.assign(f.conversation(), a.ID, 2)

	third := f.conversation()
	_, err := f.s.AssignConversation(f.ctx, opened(third, a.ID), 2)
	require.ErrorIs(t, err, chat.ErrAgentBusy, "a third conversation for an agent of capacity 2")
	requireConversation(t, third, f.get(third.ID), "a refused assignment changes nothing")

	// The conversation being assigned is not counted: changing one the
	// agent has already is no third.
	first.Department = "returns"
	first = f.assign(first, a.ID, 2)

	// A closed conversation frees its place.
	first.Status, first.ClosedAt = chat.StatusClosed, baseTime().Add(time.Hour)
	_, err = f.s.UpdateConversation(f.ctx, first)
	require.NoError(t, err, "UpdateConversation")
	f.assign(third, a.ID, 2)

	// Another agent's conversations do not count.
	f.assign(f.conversation(), f.agent().ID, 1)
}

func testAssignUnlimited(t *testing.T, f *fixture) {
	a := f.agent()
	for range 4 {
		f.assign(f.conversation(), a.ID, 0)
	}
}

func testAssignErrors(t *testing.T, f *fixture) {
	a := f.agent()
	c := f.conversation()

	_, err := f.s.AssignConversation(f.ctx, opened(c, "agent-"+uuid.NewString()), 2)
	assert.ErrorIs(t, err, chat.ErrNotFound, "an unknown agent")
	_, err = f.s.AssignConversation(f.ctx, opened(newConversation(c.VisitorID), a.ID), 2)
	assert.ErrorIs(t, err, chat.ErrNotFound, "an unknown conversation")
	stale := opened(c, a.ID)
	stale.Version = 7
	_, err = f.s.AssignConversation(f.ctx, stale, 2)
	assert.ErrorIs(t, err, chat.ErrConflict, "a stale Version")

	queued := c
	queued.AgentID = a.ID
	_, err = f.s.AssignConversation(f.ctx, queued, 2)
	assert.ErrorIs(t, err, chat.ErrInvalid, "a conversation that is not open")
	_, err = f.s.AssignConversation(f.ctx, opened(c, ""), 2)
	assert.ErrorIs(t, err, chat.ErrInvalid, "no agent")
	_, err = f.s.AssignConversation(f.ctx, opened(c, a.ID), -1)
	assert.ErrorIs(t, err, chat.ErrInvalid, "a negative capacity")
	_, err = f.s.AssignConversation(canceled(), opened(c, a.ID), 2)
	assert.ErrorIs(t, err, context.Canceled, "a done context")
	requireConversation(t, c, f.get(c.ID), "failed assignments change nothing")
}

// testAssignRace assigns many conversations to one agent at once: however
// the calls interleave, no more than the capacity succeed.
func testAssignRace(t *testing.T, f *fixture) {
	const (
		capacity = 2
		callers  = 16
	)
	a := f.agent()
	convs := make([]chat.ConversationInfo, callers)
	for i := range convs {
		convs[i] = f.conversation()
	}
	var (
		start   = make(chan struct{})
		wg      sync.WaitGroup
		mu      sync.Mutex
		won     int
		unknown []error
	)
	for _, c := range convs {
		wg.Go(func() {
			<-start
			_, err := f.s.AssignConversation(f.ctx, opened(c, a.ID), capacity)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case !errors.Is(err, chat.ErrAgentBusy):
				unknown = append(unknown, err)
			}
		})
	}
	close(start)
	wg.Wait()
	require.Empty(t, unknown, "concurrent assignments fail only with ErrAgentBusy")
	assert.Equal(t, capacity, won, "of %d concurrent assignments to an agent of capacity %d, that many succeed", callers, capacity)
	open := f.listConversations(chat.ConversationFilter{Statuses: []chat.Status{chat.StatusOpen}, AgentID: a.ID})
	assert.Len(t, open, capacity, "the agent has %d open conversations in the store", capacity)
}

// testAgentLoads checks what AgentLoads counts: open conversations only,
// and the latest assignment whatever the conversation's status.
func testAgentLoads(t *testing.T, f *fixture) {
	busy, idle, other := f.agent(), f.agent(), f.agent()
	unknown := "agent-" + uuid.NewString()

	first := f.assign(f.conversation(), busy.ID, 0)
	second := opened(f.conversation(), busy.ID)
	second.AssignedAt = baseTime().Add(3 * time.Minute)
	f.assignOpened(second, 0)
	// A closed conversation counts for the last assignment, not the load.
	closed := opened(f.conversation(), busy.ID)
	closed.AssignedAt = baseTime().Add(5 * time.Minute)
	closed = f.assignOpened(closed, 0)
	closed.Status, closed.ClosedAt = chat.StatusClosed, baseTime().Add(6*time.Minute)
	_, err := f.s.UpdateConversation(f.ctx, closed)
	require.NoError(t, err, "UpdateConversation")
	f.assign(f.conversation(), other.ID, 0)
	f.conversation() // queued, nobody's

	loads, err := f.s.AgentLoads(f.ctx, []string{idle.ID, busy.ID, unknown, other.ID})
	require.NoError(t, err, "AgentLoads")
	want := []chat.AgentLoad{
		{AgentID: idle.ID},
		{AgentID: busy.ID, Open: 2, LastAssignedAt: baseTime().Add(5 * time.Minute)},
		{AgentID: unknown},
		{AgentID: other.ID, Open: 1, LastAssignedAt: baseTime().Add(time.Minute)},
	}
	require.Len(t, loads, len(want), "one load per id, in the order of the ids")
	for i := range want {
		assert.Equal(t, want[i].AgentID, loads[i].AgentID, "load %d: agent", i)
		assert.Equal(t, want[i].Open, loads[i].Open, "load %d (%s): open conversations", i, want[i].AgentID)
		assert.True(t, chat.Timestamp(want[i].LastAssignedAt).Equal(loads[i].LastAssignedAt),
			"load %d (%s): last assignment %v, want %v", i, want[i].AgentID, loads[i].LastAssignedAt, want[i].LastAssignedAt)
	}

	// Requeueing frees the place at once.
	first.Status, first.AgentID = chat.StatusQueued, ""
	_, err = f.s.UpdateConversation(f.ctx, first)
	require.NoError(t, err, "UpdateConversation")
	loads, err = f.s.AgentLoads(f.ctx, []string{busy.ID})
	require.NoError(t, err, "AgentLoads")
	assert.Equal(t, 1, loads[0].Open, "a requeued conversation no longer counts")

	empty, err := f.s.AgentLoads(f.ctx, nil)
	require.NoError(t, err, "AgentLoads of no agents")
	assert.Empty(t, empty, "AgentLoads of no agents")
	_, err = f.s.AgentLoads(canceled(), []string{busy.ID})
	assert.ErrorIs(t, err, context.Canceled, "a done context")
}

// testAgentLoadsOfManyAgents asks for more agents than fit one query's
// arguments in some stores.
func testAgentLoadsOfManyAgents(t *testing.T, f *fixture) {
	const n = 600
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "agent-" + uuid.NewString()
	}
	a := f.agent()
	ids[n-7] = a.ID
	f.assign(f.conversation(), a.ID, 0)
	loads, err := f.s.AgentLoads(f.ctx, ids)
	require.NoError(t, err, "AgentLoads of %d agents", n)
	require.Len(t, loads, n, "one load per id")
	for i, l := range loads {
		require.Equal(t, ids[i], l.AgentID, "load %d: in the order of the ids", i)
		if i == n-7 {
			assert.Equal(t, 1, l.Open, "the one agent with a conversation")
		} else {
			require.Zero(t, l.Open, "load %d: an unknown agent", i)
		}
	}
}
