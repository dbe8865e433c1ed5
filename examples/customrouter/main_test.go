package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// setup returns a Desk with the VIP router and the agents ania (junior) and
// marek (senior) online.
func setup(t *testing.T) *chat.Desk {
	t.Helper()
	desk, err := newDesk(memory.New())
	require.NoError(t, err)
	t.Cleanup(func() { desk.Close(context.Background()) })
	for _, id := range []string{"ania", "marek"} {
		require.NoError(t, desk.SaveAgent(t.Context(), chat.Agent{ID: id, Name: id}))
		_, err := desk.SetAgentStatus(t.Context(), id, chat.AgentOnline)
		require.NoError(t, err)
	}
	return desk
}

// start starts a conversation for a new visitor with the given customer id
// and returns the agent the Desk assigned.
func start(t *testing.T, desk *chat.Desk, customerID string) string {
	t.Helper()
	ctx := t.Context()
	v, err := desk.SaveVisitor(ctx, chat.Visitor{CustomerID: customerID})
	require.NoError(t, err)
	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	info, err := conv.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, chat.StatusOpen, info.Status)
	return info.AgentID
}

func TestVIPGoesToTheSeniorAgent(t *testing.T) {
	desk := setup(t)
	// Marek is the busier agent after the first VIP, yet VIPs keep going
	// to him while he has room.
	assert.Equal(t, "marek", start(t, desk, "c-1"))
	assert.Equal(t, "marek", start(t, desk, "c-1"))
}

func TestOthersGoToTheLeastBusy(t *testing.T) {
	desk := setup(t)
	assert.Equal(t, "marek", start(t, desk, "c-1"))
	assert.Equal(t, "ania", start(t, desk, "c-2"), "marek has a chat, ania none")
	assert.Equal(t, "ania", start(t, desk, ""), "anonymous visitors are not VIPs")
	assert.Equal(t, "marek", start(t, desk, "c-3"), "now marek is the less busy")
}

func TestVIPFallsBackWhenTheSeniorIsAway(t *testing.T) {
	desk := setup(t)
	_, err := desk.SetAgentStatus(t.Context(), "marek", chat.AgentAway)
	require.NoError(t, err)
	assert.Equal(t, "ania", start(t, desk, "c-1"))
}

func TestRun(t *testing.T) {
	require.NoError(t, run(context.Background()))
}
