package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

// appendUntil appends to conversation id until stop is closed, and returns
// a channel with the first error (nil if none) once it has stopped.
func appendUntil(ctx context.Context, s chat.Store, id [16]byte, stop <-chan struct{}) <-chan error {
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			m := message(id, fmt.Sprint("while others work ", i))
			m.IdempotencyKey = fmt.Sprint("k", i)
			if _, _, err := s.AppendMessage(ctx, m); err != nil {
				done <- err
				return
			}
		}
	}()
	return done
}

// TestSQLiteReadBurstsKeepConnections reads in bursts of 64 at once while
// appends commit: the SQLite store keeps every connection it opens, so
// bursts reuse them (with their page caches and prepared statements)
// rather than opening and closing connections each time.
func TestSQLiteReadBurstsKeepConnections(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	defer s.Close(ctx)
	c := fixture(t, s)
	stop := make(chan struct{})
	appending := appendUntil(ctx, s, c.ID, stop)

	for range 5 {
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for range 64 {
			wg.Go(func() {
				if _, err := s.Conversation(ctx, c.ID); err != nil {
					errs <- err
				}
				if _, err := s.Messages(ctx, c.ID, chat.MessageQuery{Latest: true, Limit: 50}); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}
	close(stop)
	require.NoError(t, <-appending)

	st := s.DB().Stats()
	assert.Zero(t, st.MaxIdleClosed, "connections closed because too many were idle")
	assert.Zero(t, st.MaxIdleTimeClosed, "connections closed for being idle too long")
	assert.Zero(t, st.MaxLifetimeClosed, "connections closed for their age")
	assert.LessOrEqual(t, st.OpenConnections, st.MaxOpenConnections)
	assert.Positive(t, st.MaxOpenConnections, "the pool is bounded")
}

// TestSQLiteWritesNeverBusy runs every kind of write at once on an SQLite
// database opened without a busy timeout, where a write that finds the
// write lock taken fails at once with SQLITE_BUSY: the store's writes take
// turns, so none of them ever finds the lock taken.
func TestSQLiteWritesNeverBusy(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(0)&_txlock=immediate")
	require.NoError(t, err)
	defer db.Close()
	s, err := sqlstore.Open(ctx, db, sqlite.Dialect(), sqlstore.Config{})
	require.NoError(t, err)
	defer s.Close(ctx)
	c := fixture(t, s)
	stop := make(chan struct{})
	appending := make([]<-chan error, 4)
	for i := range appending {
		appending[i] = appendUntil(ctx, s, fixture(t, s).ID, stop)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	wg.Go(func() { // the Desk's updates: assign, reassign, ...
		cur := c
		for i := range 200 {
			cur.AgentID, cur.Status, cur.UpdatedAt = fmt.Sprint("agent-", i), chat.StatusOpen, time.Now()
			next, err := s.UpdateConversation(ctx, cur)
			if err != nil {
				errs <- fmt.Errorf("update %d: %w", i, err)
				return
			}
			cur = next
		}
	})
	wg.Go(func() { // visitors, page views, agents, leases, blocks
		for i := range 100 {
			v := chat.Visitor{ID: chat.NewID(), Name: "Ola", CreatedAt: time.Now()}
			err := s.PutVisitor(ctx, v)
			if err == nil {
				err = s.AddPageView(ctx, chat.PageView{ID: chat.NewID(), VisitorID: v.ID, URL: "https://shop.example/bikes", At: time.Now()})
			}
			if err == nil {
				err = s.PutAgent(ctx, chat.Agent{ID: fmt.Sprint("agent-", i), Name: "Ana", Capacity: 3, Status: chat.AgentOnline})
			}
			if err == nil {
				err = s.RenewAgentLeases(ctx, "instance-1", time.Now().Add(time.Minute), []string{fmt.Sprint("agent-", i)})
			}
			if err == nil {
				err = s.PutBlock(ctx, chat.Block{ID: chat.NewID(), VisitorID: v.ID, Reason: "spam", AgentID: "agent-1", CreatedAt: time.Now()})
			}
			if err != nil {
				errs <- fmt.Errorf("write %d: %w", i, err)
				return
			}
		}
	})
	wg.Wait()
	close(stop)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for _, done := range appending {
		require.NoError(t, <-done)
	}
}

// TestSQLiteCheckpointsInBackground appends far fewer pages than SQLite's
// own checkpoint waits for: the store copies them from the WAL into the
// database file anyway, in the background, so commits never have to.
func TestSQLiteCheckpointsInBackground(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")
	s, err := sqlite.Open(ctx, path, sqlstore.Config{})
	require.NoError(t, err)
	defer s.Close(ctx)
	c := fixture(t, s)
	fileSize := func() int64 {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		return fi.Size()
	}
	before := fileSize()
	body := strings.Repeat("Is the blue bike in stock in size M? ", 100) // about a page
	for i := range 200 {
		_, _, err := s.AppendMessage(ctx, message(c.ID, fmt.Sprint(i, body)))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return fileSize() > before+100*4096 }, 10*time.Second, 5*time.Millisecond,
		"the appends never reached the database file")
}
