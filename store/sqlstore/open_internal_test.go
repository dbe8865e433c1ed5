package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// openSQLite opens a store over a new SQLite file, closed after the test,
// for the tests that look inside the store. They cannot use store/sqlite,
// which imports this package; nor do they need its error classes.
func openSQLite(t *testing.T, cfg Config) *Store {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "parley.db")+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_txlock=immediate")
	require.NoError(t, err)
	cfg.CloseDB = true
	s, err := Open(t.Context(), db, Dialect{Name: "sqlite", Classify: func(error) error { return nil }}, cfg)
	if err != nil {
		db.Close()
	}
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close(context.Background())) })
	return s
}
