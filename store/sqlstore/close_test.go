package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

// TestCloseBoundedByContext closes an SQLite store whose writer is stuck
// behind another process's write lock: Close returns its context's error
// without waiting, the append already taken is still committed once the
// lock goes, and it is in the file when the file is opened again.
func TestCloseBoundedByContext(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")
	s, err := sqlite.Open(ctx, path, sqlstore.Config{})
	require.NoError(t, err)
	c := fixture(t, s)

	// Another process holds the write lock.
	other, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	require.NoError(t, err)
	defer other.Close()
	lock, err := other.Conn(ctx)
	require.NoError(t, err)
	defer lock.Close()
	_, err = lock.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)
	locked := true
	unlock := func() {
		if locked {
			locked = false
			_, err := lock.ExecContext(ctx, "COMMIT")
			require.NoError(t, err)
		}
	}
	defer unlock()

	m := message(c.ID, "sent just before the shutdown")
	appended := make(chan error, 1)
	go func() {
		_, _, err := s.AppendMessage(ctx, m)
		appended <- err
	}()
	// The writer has taken the append when it holds a connection, waiting
	// for the lock.
	require.Eventually(t, func() bool { return s.DB().Stats().InUse > 0 }, 5*time.Second, time.Millisecond,
		"the writer never took the append")

	closeCtx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- s.Close(closeCtx) }()
	select {
	case err := <-closed:
		assert.ErrorIs(t, err, context.DeadlineExceeded, "Close returns its context's error")
	case <-time.After(5 * time.Second):
		t.Fatal("Close kept waiting after its context ended")
	}
	_, _, err = s.AppendMessage(ctx, message(c.ID, "too late"))
	assert.ErrorIs(t, err, chat.ErrClosed, "a closed store takes no new appends")

	unlock()
	select {
	case err := <-appended:
		require.NoError(t, err, "the append taken before Close is committed")
	case <-time.After(5 * time.Second):
		t.Fatal("the append taken before Close was never answered")
	}
	require.Eventually(t, func() bool { return s.DB().Ping() != nil }, 5*time.Second, time.Millisecond,
		"the store closes its database once the append is committed")

	again, err := sqlite.Open(ctx, path, sqlstore.Config{})
	require.NoError(t, err)
	defer again.Close(ctx)
	ms, err := again.Messages(ctx, c.ID, chat.MessageQuery{})
	require.NoError(t, err)
	require.Len(t, ms, 1)
	assert.Equal(t, m.ID, ms[0].ID)
}

// TestCloseDB: Close leaves a *sql.DB the shop passed open for it, unless
// Config.CloseDB hands the database to the store, which then closes it
// after the last append.
func TestCloseDB(t *testing.T) {
	for _, handOver := range []bool{false, true} {
		db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "shop.db")+"?_pragma=foreign_keys(1)")
		require.NoError(t, err)
		defer db.Close()
		s, err := sqlstore.Open(t.Context(), db, sqlite.Dialect(), sqlstore.Config{CloseDB: handOver})
		require.NoError(t, err)
		_, _, err = s.AppendMessage(t.Context(), message(fixture(t, s).ID, "the last one"))
		require.NoError(t, err)
		require.NoError(t, s.Close(t.Context()))
		err = db.PingContext(t.Context())
		if handOver {
			assert.ErrorContains(t, err, "database is closed", "CloseDB: the store closed the database")
		} else {
			assert.NoError(t, err, "the shop's database stays open")
		}
	}
}
