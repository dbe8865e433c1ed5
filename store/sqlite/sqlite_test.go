package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/store/storetest"
)

// open opens a store over a new file, closed after the test.
func open(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, s.Close(context.Background())) })
	return s
}

// conversation stores a visitor and a conversation of theirs.
func conversation(t *testing.T, s chat.Store) chat.ConversationInfo {
	t.Helper()
	v := chat.Visitor{ID: chat.NewID(), Name: "Zoë", CreatedAt: time.Now()}
	require.NoError(t, s.PutVisitor(t.Context(), v))
	c, err := s.CreateConversation(t.Context(), chat.ConversationInfo{ID: chat.NewID(), VisitorID: v.ID, Status: chat.StatusQueued, CreatedAt: time.Now()})
	require.NoError(t, err)
	return c
}

// TestConformance runs the conformance suite; its cases share one store,
// as they are designed to.
func TestConformance(t *testing.T) {
	s := open(t)
	storetest.Run(t, func(*testing.T) chat.Store { return s })
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) chat.Store { return open(b) })
}

// TestCloseClosesTheDatabase: the store owns the database Open opened.
func TestCloseClosesTheDatabase(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	require.NoError(t, s.DB().PingContext(t.Context()))
	require.NoError(t, s.Close(t.Context()))
	assert.ErrorContains(t, s.DB().PingContext(t.Context()), "database is closed")
}

// TestReadBurstsKeepConnections reads in bursts of 64 at once while
// appends commit: the store keeps every connection it opens, so
// bursts reuse them (with their page caches and prepared statements)
// rather than opening and closing connections each time.
func TestReadBurstsKeepConnections(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	c := conversation(t, s)
	stop := make(chan struct{})
	appending := make(chan error, 1)
	go func() { // appends commit meanwhile
		for i := 0; ; i++ {
			select {
			case <-stop:
				appending <- nil
				return
			default:
			}
			m := chat.Message{ID: chat.NewID(), ConversationID: c.ID, Author: chat.Author{Kind: chat.AuthorBot}, Body: fmt.Sprint("meanwhile ", i), CreatedAt: time.Now()}
			if _, _, err := s.AppendMessage(ctx, m); err != nil {
				appending <- err
				return
			}
		}
	}()

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
