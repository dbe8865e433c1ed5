package mysql_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/filestore/filetest"
	"github.com/parleychat/parley/internal/mysqltest"
	"github.com/parleychat/parley/store/mysql"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/store/storetest"
)

// open opens a store in a database of its own, closed after the test.
func open(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	db, err := sql.Open("mysql", mysqltest.Database(tb, "mysql_"))
	require.NoError(tb, err)
	tb.Cleanup(func() { db.Close() })
	s, err := mysql.Open(context.Background(), db, sqlstore.Config{})
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

// TestFiles runs the FileStore conformance suite on the same store.
func TestFiles(t *testing.T) {
	s := open(t)
	filetest.Run(t, func(*testing.T) chat.FileStore { return s })
}
