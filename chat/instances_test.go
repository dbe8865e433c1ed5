package chat_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/internal/pgtest"
	"github.com/parleychat/parley/route"
	"github.com/parleychat/parley/store/postgres"
	"github.com/parleychat/parley/store/sqlstore"
)

// TestCapacityAcrossInstances runs two Desks, as two instances of a shop
// would, on one database: each with its own Store and its own LocalBroker,
// so that neither hears of the other's assignments (the worst case). Five
// agents of capacity 2 are online on both; 100 visitors start
// conversations at once, half on each instance. No agent may ever hold
// more than 2 open conversations, and every conversation ends up open with
// an agent or queued.
func TestCapacityAcrossInstances(t *testing.T) {
	t.Parallel()
	twoInstances(t, testCapacityAcrossInstances)
}

// TestAssignAcrossInstances assigns 20 conversations at once to one agent
// of capacity 1, through two Desks that do not share events: one
// assignment succeeds and every other returns ErrAgentBusy.
func TestAssignAcrossInstances(t *testing.T) {
	t.Parallel()
	twoInstances(t, func(t *testing.T, stores ...chat.Store) {
		ctx := t.Context()
		desks := newDesks(t, stores)
		require.NoError(t, desks[0].SaveAgent(ctx, chat.Agent{ID: "olga", Name: "Olga", Capacity: 1, Status: chat.AgentAway}))
		ids := make([]chat.Conversation, 20)
		for i := range ids {
			d := desks[i%len(desks)]
			v, err := d.SaveVisitor(ctx, chat.Visitor{Name: fmt.Sprintf("Visitor %d", i), Locale: "en"})
			require.NoError(t, err)
			c, err := d.Start(ctx, chat.StartRequest{VisitorID: v.ID})
			require.NoError(t, err)
			ids[i] = c
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make([]error, len(ids))
		for i, c := range ids {
			wg.Go(func() {
				<-start
				_, errs[i] = c.Assign(ctx, "olga")
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
				continue
			}
			assert.ErrorIs(t, err, chat.ErrAgentBusy)
		}
		assert.Equal(t, 1, won, "one of the concurrent assignments succeeds")
		open, err := stores[0].Conversations(ctx, chat.ConversationFilter{Statuses: []chat.Status{chat.StatusOpen}, AgentID: "olga"})
		require.NoError(t, err)
		assert.Len(t, open, 1, "the agent has one open conversation in the store")
	})
}

// twoInstances runs test with two stores on one database, as two
// instances of a shop would have: an SQLite file, and PostgreSQL when
// PARLEY_TEST_POSTGRES is set.
func twoInstances(t *testing.T, test func(t *testing.T, stores ...chat.Store)) {
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "parley.db")
		test(t, sqliteStore(t, path), sqliteStore(t, path))
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		dsn := pgtest.Schema(t, "capacity_")
		test(t, postgresStore(t, dsn), postgresStore(t, dsn))
	})
}

// newDesks returns a Desk on each store, each with its own LocalBroker.
func newDesks(t *testing.T, stores []chat.Store) []*chat.Desk {
	t.Helper()
	desks := make([]*chat.Desk, len(stores))
	for i, s := range stores {
		d, err := chat.NewDesk(chat.Config{Store: s})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, d.Close(context.Background())) })
		desks[i] = d
	}
	return desks
}

// postgresStore opens a store on a pool of its own, as another process
// would, closed when the test ends. The pool is small: the database is
// shared with other tests.
func postgresStore(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	db.SetMaxOpenConns(8)
	s, err := postgres.Open(t.Context(), db, sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, s.Close(context.Background()))
		db.Close()
	})
	return s
}

func testCapacityAcrossInstances(t *testing.T, stores ...chat.Store) {
	const (
		agents   = 5
		capacity = 2
		visitors = 100
	)
	ctx := t.Context()
	desks := newDesks(t, stores)
	var agentIDs []string
	for i := range agents {
		id := fmt.Sprintf("agent-%d", i)
		agentIDs = append(agentIDs, id)
		require.NoError(t, desks[0].SaveAgent(ctx, chat.Agent{ID: id, Name: id, Capacity: capacity}))
		for _, d := range desks {
			_, err := d.SetAgentStatus(ctx, id, chat.AgentOnline)
			require.NoError(t, err)
		}
	}
	visitorIDs := make([]chat.Visitor, visitors)
	for i := range visitorIDs {
		v, err := desks[i%len(desks)].SaveVisitor(ctx, chat.Visitor{Name: fmt.Sprintf("Visitor %d", i), Locale: "en"})
		require.NoError(t, err)
		visitorIDs[i] = v
	}

	// A watcher reads every agent's load from the store while the
	// visitors arrive, so that a moment over capacity is seen even if it
	// does not last.
	overCapacity := func() error {
		for _, id := range agentIDs {
			open, err := stores[0].Conversations(ctx, chat.ConversationFilter{Statuses: []chat.Status{chat.StatusOpen}, AgentID: id})
			if err != nil {
				return err
			}
			if len(open) > capacity {
				return fmt.Errorf("agent %s has %d open conversations, over their capacity of %d", id, len(open), capacity)
			}
		}
		return nil
	}
	done := make(chan struct{})
	watched := make(chan error, 1)
	go func() {
		for {
			if err := overCapacity(); err != nil {
				watched <- err
				return
			}
			select {
			case <-done:
				watched <- overCapacity()
				return
			default:
			}
		}
	}()

	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, visitors)
	for i, v := range visitorIDs {
		wg.Go(func() {
			<-start
			_, errs[i] = desks[i%len(desks)].Start(ctx, chat.StartRequest{VisitorID: v.ID})
		})
	}
	close(start)
	wg.Wait()
	close(done)
	require.NoError(t, <-watched, "no agent is ever over capacity")
	for i, err := range errs {
		require.NoError(t, err, "Start of visitor %d", i)
	}

	all, err := stores[1].Conversations(ctx, chat.ConversationFilter{Limit: chat.MaxPageSize})
	require.NoError(t, err)
	require.Len(t, all, visitors, "every visitor's conversation is stored")
	open := 0
	for _, c := range all {
		switch c.Status {
		case chat.StatusOpen:
			assert.Contains(t, agentIDs, c.AgentID, "an open conversation is with an agent")
			open++
		case chat.StatusQueued, chat.StatusWaiting:
			assert.Empty(t, c.AgentID, "a queued conversation has no agent")
		default:
			t.Errorf("conversation %s is %s, neither open with an agent nor queued", c.ID, c.Status)
		}
	}
	assert.LessOrEqual(t, open, agents*capacity)
}

// TestQueueWaitsAcrossInstances moves a queue on one instance and asks
// another, which heard nothing of it (each Desk has its own LocalBroker),
// for the estimated waits: both read the departures from the Store and
// give the same answer.
func TestQueueWaitsAcrossInstances(t *testing.T) {
	t.Parallel()
	twoInstances(t, func(t *testing.T, stores ...chat.Store) {
		ctx := t.Context()
		clk := &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
		desks := make([]*chat.Desk, len(stores))
		for i, s := range stores {
			d, err := chat.NewDesk(chat.Config{Store: s, Now: clk.Now, QueueWait: 3 * time.Minute})
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, d.Close(context.Background())) })
			desks[i] = d
		}
		a, b := desks[0], desks[1]
		require.NoError(t, a.SaveAgent(ctx, chat.Agent{ID: "olga", Name: "Olga", Capacity: 1, Status: chat.AgentOnline}))
		start := func(d *chat.Desk) chat.Conversation {
			v, err := d.SaveVisitor(ctx, chat.Visitor{Name: "Anna", Locale: "en"})
			require.NoError(t, err)
			c, err := d.Start(ctx, chat.StartRequest{VisitorID: v.ID})
			require.NoError(t, err)
			return c
		}
		busy := start(a)
		queued := []chat.Conversation{start(b), start(b), start(b)}
		waits := func(d *chat.Desk) []chat.QueueStatus {
			entries, err := d.Queue(ctx)
			require.NoError(t, err)
			var out []chat.QueueStatus
			for _, e := range entries {
				out = append(out, e.QueueStatus)
			}
			return out
		}
		assert.Equal(t, []chat.QueueStatus{{Position: 1, Wait: 3 * time.Minute}, {Position: 2, Wait: 6 * time.Minute}, {Position: 3, Wait: 9 * time.Minute}}, waits(b))

		// Olga frees up twice on instance a, a minute and then two more
		// after the queue formed.
		clk.Advance(time.Minute)
		_, err := busy.Close(ctx)
		require.NoError(t, err)
		clk.Advance(2 * time.Minute)
		first, err := a.Conversation(ctx, queued[0].ID())
		require.NoError(t, err)
		_, err = first.Close(ctx)
		require.NoError(t, err)

		want := []chat.QueueStatus{{Position: 1, Wait: time.Minute}}
		assert.Equal(t, want, waits(a))
		assert.Equal(t, want, waits(b), "the other instance estimates the same wait")
	})
}

// TestRoundRobinAcrossInstances starts conversations on two instances in
// turn, each with its own route.RoundRobin: the rotation follows the
// assignments in the Store, so three agents get one conversation each
// before anyone gets a second.
func TestRoundRobinAcrossInstances(t *testing.T) {
	t.Parallel()
	twoInstances(t, func(t *testing.T, stores ...chat.Store) {
		ctx := t.Context()
		clk := &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
		desks := make([]*chat.Desk, len(stores))
		for i, s := range stores {
			d, err := chat.NewDesk(chat.Config{Store: s, Now: clk.Now, Router: &route.RoundRobin{}})
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, d.Close(context.Background())) })
			desks[i] = d
		}
		for _, id := range []string{"anna", "bogdan", "celina"} {
			require.NoError(t, desks[0].SaveAgent(ctx, chat.Agent{ID: id, Name: id, Capacity: 10, Status: chat.AgentOnline}))
		}
		got := map[string]int{}
		for i, d := range []*chat.Desk{desks[0], desks[1], desks[1], desks[0], desks[1], desks[0]} {
			clk.Advance(time.Second)
			v, err := d.SaveVisitor(ctx, chat.Visitor{Name: "Visitor", Locale: "en"})
			require.NoError(t, err)
			c, err := d.Start(ctx, chat.StartRequest{VisitorID: v.ID})
			require.NoError(t, err)
			info, err := c.Info(ctx)
			require.NoError(t, err)
			got[info.AgentID]++
			if i == 2 {
				assert.Equal(t, map[string]int{"anna": 1, "bogdan": 1, "celina": 1}, got, "each agent got one before anyone got two")
			}
		}
		assert.Equal(t, map[string]int{"anna": 2, "bogdan": 2, "celina": 2}, got)
	})
}
