package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/filestore/filetest"
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

// TestFiles runs the FileStore conformance suite on the same store.
func TestFiles(t *testing.T) {
	s := open(t)
	filetest.Run(t, func(*testing.T) chat.FileStore { return s })
}
