package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/parleychat/parley/store/sqlstore"
)

// openStore opens the chat store the flags ask for: an SQLite file in
// dataDir, or the PostgreSQL or MySQL database at dsn. The returned close
// function closes the store and, for a server database, the *sql.DB once
// the store has committed every append.
func openStore(ctx context.Context, kind, dsn, dataDir string, log *slog.Logger) (*sqlstore.Store, func(context.Context) error, error) {
	cfg := sqlstore.Config{Logger: log}
	var driver string
	switch kind {
	case "", "sqlite":
		path := dsn
		if path == "" {
			path = filepath.Join(dataDir, "parley.db")
		}
		s, err := sqlstore.OpenSQLite(ctx, path, cfg)
		if err != nil {
			return nil, nil, err
		}
		return s, s.Close, nil
	case "postgres":
		driver, cfg.Dialect = "pgx", sqlstore.Postgres
	case "mysql":
		driver, cfg.Dialect = "mysql", sqlstore.MySQL
	default:
		return nil, nil, fmt.Errorf("-store %q: want sqlite, postgres or mysql", kind)
	}
	if dsn == "" {
		return nil, nil, fmt.Errorf("-store %s needs -dsn (or SHOP_DSN)", kind)
	}
	// The shop's own database handle; Parley's tables live in it next to
	// the shop's, named with the "parley_" prefix.
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, nil, err
	}
	s, err := sqlstore.Open(ctx, db, cfg)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return s, func(ctx context.Context) error {
		if err := s.Close(ctx); err != nil {
			return err // appends still being committed need db: leave it open
		}
		return db.Close()
	}, nil
}
