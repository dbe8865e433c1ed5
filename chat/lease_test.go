package chat_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// agentStatus reads an agent's stored status.
func (f fixture) agentStatus(t *testing.T, id string) chat.AgentStatus {
	t.Helper()
	a, err := f.store.Agent(t.Context(), id)
	require.NoError(t, err)
	return a.Status
}

// TestAgentLeaseExpiry leaves an agent online with a lease that nobody
// renews, as a crashed instance does: Sweep keeps them online until the
// lease ends, then sets them offline, and their conversation goes to the
// agent who is online. That agent, set online by Go code without a lease,
// is left alone.
func TestAgentLeaseExpiry(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	f := setup(t, chat.Config{Now: clk.Now})
	ctx := t.Context()
	f.agent(t, "a-ghost", 5, chat.AgentOnline)
	require.NoError(t, f.desk.RenewAgentLeases(ctx, "crashed-instance", []string{"a-ghost"}))
	c := f.start(t, chat.StartRequest{})
	require.Equal(t, "a-ghost", c.AgentID, "the first available agent by id")
	f.agent(t, "b-manual", 5, chat.AgentOnline)

	clk.Advance(chat.DefaultAgentLeaseTTL - time.Second)
	require.NoError(t, f.desk.Sweep(ctx))
	assert.Equal(t, chat.AgentOnline, f.agentStatus(t, "a-ghost"), "online while the lease lives")

	clk.Advance(time.Second)
	require.NoError(t, f.desk.Sweep(ctx))
	assert.Equal(t, chat.AgentOffline, f.agentStatus(t, "a-ghost"), "offline once the lease ended")
	assert.Equal(t, chat.AgentOnline, f.agentStatus(t, "b-manual"), "an agent who never held a lease is left alone")
	got, err := f.store.Conversation(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, chat.StatusOpen, got.Status)
	assert.Equal(t, "b-manual", got.AgentID, "the conversation went back to the queue and on to the agent online")

	clk.Advance(time.Hour)
	require.NoError(t, f.desk.Sweep(ctx))
	assert.Equal(t, chat.AgentOnline, f.agentStatus(t, "b-manual"), "still left alone")
}

// TestAgentLeaseTwoHolders checks that an agent held by two instances
// stays online when one releases, and goes offline when the other does.
func TestAgentLeaseTwoHolders(t *testing.T) {
	f := setup(t, chat.Config{})
	ctx := t.Context()
	f.agent(t, "olga", 5, chat.AgentOnline)
	require.NoError(t, f.desk.RenewAgentLeases(ctx, "instance-1", []string{"olga"}))
	require.NoError(t, f.desk.RenewAgentLeases(ctx, "instance-2", []string{"olga"}))

	require.NoError(t, f.desk.ReleaseAgentLease(ctx, "olga", "instance-1"))
	assert.Equal(t, chat.AgentOnline, f.agentStatus(t, "olga"), "the other instance still holds her")
	require.NoError(t, f.desk.ReleaseAgentLease(ctx, "olga", "instance-2"))
	assert.Equal(t, chat.AgentOffline, f.agentStatus(t, "olga"), "released by both")

	assert.ErrorIs(t, f.desk.RenewAgentLeases(ctx, "", []string{"olga"}), chat.ErrInvalid)
	assert.ErrorIs(t, f.desk.ReleaseAgentLease(ctx, "olga", ""), chat.ErrInvalid)
	_, err := chat.NewDesk(chat.Config{Store: f.store, AgentLeaseTTL: -time.Second})
	assert.ErrorIs(t, err, chat.ErrInvalid, "a negative AgentLeaseTTL")
}

// TestRunChecksLeases checks that Run sets offline an agent whose lease
// ended within a fraction of the lease time, though its sweep interval is
// an hour.
func TestRunChecksLeases(t *testing.T) {
	const ttl = 60 * time.Millisecond
	clk := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	f := setup(t, chat.Config{Now: clk.Now, AgentLeaseTTL: ttl})
	f.agent(t, "olga", 5, chat.AgentOnline)
	require.NoError(t, f.desk.RenewAgentLeases(t.Context(), "crashed-instance", []string{"olga"}))
	go func() { _ = f.desk.Run(t.Context(), time.Hour) }()
	clk.Advance(ttl)
	require.Eventually(t, func() bool { return f.agentStatus(t, "olga") == chat.AgentOffline }, lifecycleWait, time.Millisecond,
		"Run checks the leases every third of the lease time")
}
