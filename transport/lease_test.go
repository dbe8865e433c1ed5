package transport_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/wire"
)

// agentStatus reads an agent's stored status; an error reads as "".
func agentStatus(store chat.Store, id string) chat.AgentStatus {
	a, err := store.Agent(context.Background(), id)
	if err != nil {
		return ""
	}
	return a.Status
}

// TestGhostAgentAfterCrash kills the server process an agent is connected
// to, so nothing says goodbye, and starts a new Desk and Server on the same
// SQLite file. Once the agent's presence lease ends, the agent is offline,
// and a new visitor's chat is an offline request with the automatic answer
// rather than a chat assigned to nobody.
func TestGhostAgentAfterCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	db := filepath.Join(t.TempDir(), "ghost.db")
	server, addr := startCrashServer(t, db)
	crashed := &harness{t: t, url: "http://" + addr}
	olga := crashed.agent(ws, "olga")
	require.NoError(t, server.Process.Kill())
	_ = server.Wait()
	olga.close()

	ctx := context.Background()
	store, err := sqlite.Open(ctx, db, sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(context.Background()) })
	require.Equal(t, chat.AgentOnline, agentStatus(store, "olga"), "the crash left the agent online")

	clk := newClock()
	h := newHarnessWithDesk(t, chat.Config{Store: store, Now: clk.Now})
	require.NoError(t, h.desk.Sweep(ctx))
	require.Equal(t, chat.AgentOnline, agentStatus(store, "olga"), "online while the lease may still be renewed")

	clk.advance(chat.DefaultAgentLeaseTTL)
	go func() { _ = h.desk.Run(t.Context(), 10*time.Millisecond) }()
	require.Eventually(t, func() bool { return agentStatus(store, "olga") == chat.AgentOffline }, wait, 10*time.Millisecond,
		"the agent goes offline once the lease has ended")

	v := h.visitor(ws)
	c := v.start("")
	assert.Equal(t, chat.StatusWaiting, c.Status, "with nobody online the chat is an offline request")
	assert.Empty(t, c.AgentID, "not assigned to the agent who is gone")
	v.say(c, "Is anybody there?")
	ack := v.expect(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.ConversationID == c.ID && f.Message.Author.Kind == chat.AuthorSystem
	})
	assert.Contains(t, ack.Message.Body, "Nobody can answer right now", "the automatic answer")
}

// TestAgentOnTwoInstances connects an agent to two instances sharing a
// store: closing one console keeps the agent online and chats still reach
// them; closing the other sets them offline.
func TestAgentOnTwoInstances(t *testing.T) {
	store := memory.New()
	first := newHarnessWithStore(t, store)
	second := newHarnessWithStore(t, store)
	olgaFirst := first.agent(ws, "olga")
	olgaSecond := second.agent(ws, "olga")

	olgaFirst.close()
	// Shutdown returns once the first instance has finished with every
	// connection, releasing the agent's lease included.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, first.srv.Shutdown(ctx))
	assert.Equal(t, chat.AgentOnline, agentStatus(store, "olga"), "the second instance still holds the agent")
	c := second.visitor(ws).start("")
	assert.Equal(t, "olga", c.AgentID, "new chats still reach the agent")

	olgaSecond.close()
	require.Eventually(t, func() bool { return agentStatus(store, "olga") == chat.AgentOffline }, wait, 10*time.Millisecond,
		"the agent goes offline when their last instance lets go")
}

// TestAgentLeaseRenewed checks that a Server renews the leases of its
// agents: with a short lease time and a Desk sweeping often, a connected
// agent stays online across many lease times.
func TestAgentLeaseRenewed(t *testing.T) {
	const ttl = 600 * time.Millisecond
	h := newHarnessWithDesk(t, chat.Config{AgentLeaseTTL: ttl})
	go func() { _ = h.desk.Run(t.Context(), 10*time.Millisecond) }()
	h.agent(ws, "olga")
	h.agent(sse, "piotr")
	assert.Never(t, func() bool {
		return agentStatus(h.store, "olga") != chat.AgentOnline || agentStatus(h.store, "piotr") != chat.AgentOnline
	}, 4*ttl, 10*time.Millisecond, "connected agents stay online")
}
