package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/parleychat/parley/store/mysql"
	"github.com/parleychat/parley/store/postgres"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

// openStore opens the chat store the flags ask for: an SQLite file in
// dataDir, or the PostgreSQL or MySQL database at dsn. The returned close
// function closes the store and with it the database, once the store has
// committed every append. (A shop on one database imports only that
// database's store package; the demo takes all three.)
func openStore(ctx context.Context, kind, dsn, dataDir string, log *slog.Logger) (*sqlstore.Store, func(context.Context) error, error) {
	cfg := sqlstore.Config{Logger: log}
	var driver string
	var open func(context.Context, *sql.DB, sqlstore.Config) (*sqlstore.Store, error)
	switch kind {
	case "", "sqlite":
		path := dsn
		if path == "" {
			path = filepath.Join(dataDir, "parley.db")
		}
		s, err := sqlite.Open(ctx, path, cfg)
		if err != nil {
			return nil, nil, err
		}
		return s, s.Close, nil
	case "postgres":
		driver, open = "pgx", postgres.Open
	case "mysql":
		driver, open = "mysql", mysql.Open
	default:
		return nil, nil, fmt.Errorf("-store %q: want sqlite, postgres or mysql", kind)
	}
	if dsn == "" {
		return nil, nil, fmt.Errorf("-store %s needs -dsn (or SHOP_DSN)", kind)
	}
	// The database handle is the demo's own; Parley's tables live in it
	// next to the shop's, named with the "parley_" prefix. The store
	// closes it.
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, nil, err
	}
	cfg.CloseDB = true
	s, err := open(ctx, db, cfg)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return s, s.Close, nil
}
