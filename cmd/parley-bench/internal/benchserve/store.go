package benchserve

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/store/mysql"
	"github.com/parleychat/parley/store/postgres"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

// OpenStore opens the store spec names:
//
//	memory                       the in-memory store
//	sqlite:PATH                  an SQLite file, created if needed
//	postgres://... (postgresql://...)  a PostgreSQL DSN
//	mysql:DSN                    a MySQL or MariaDB DSN, such as mysql:root@tcp(127.0.0.1:3306)/test
//
// SQL stores are migrated on open, with their tables named after prefix
// (empty: the store's default). The function returned closes the store.
func OpenStore(ctx context.Context, spec, prefix string, log *slog.Logger) (chat.Store, func(context.Context) error, error) {
	cfg := sqlstore.Config{TablePrefix: prefix, Logger: log}
	var (
		st   *sqlstore.Store
		err  error
		open func(context.Context, *sql.DB, sqlstore.Config) (*sqlstore.Store, error)
		dsn  = spec
		name = "pgx"
	)
	switch {
	case spec == "" || spec == "memory":
		return memory.New(), func(context.Context) error { return nil }, nil
	case strings.HasPrefix(spec, "sqlite:"):
		st, err = sqlite.Open(ctx, strings.TrimPrefix(spec, "sqlite:"), cfg)
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		open = postgres.Open
	case strings.HasPrefix(spec, "mysql:"):
		open, name, dsn = mysql.Open, "mysql", strings.TrimPrefix(spec, "mysql:")
	default:
		return nil, nil, fmt.Errorf("benchserve: store %q is not memory, sqlite:PATH, postgres://... or mysql:DSN", spec)
	}
	if open != nil {
		st, err = openSQL(ctx, name, dsn, open, cfg)
	}
	if err != nil {
		kind, _, _ := strings.Cut(spec, ":") // not the rest: it may hold a password
		return nil, nil, fmt.Errorf("benchserve: opening the %s store: %w", kind, err)
	}
	return st, st.Close, nil
}

// openSQL opens a PostgreSQL or MySQL pool with driver name, keeping as
// many idle connections as open ones (see sqlstore.Open), and the store
// over it, which closes the pool.
func openSQL(ctx context.Context, name, dsn string, open func(context.Context, *sql.DB, sqlstore.Config) (*sqlstore.Store, error), cfg sqlstore.Config) (*sqlstore.Store, error) {
	db, err := sql.Open(name, dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	cfg.CloseDB = true
	st, err := open(ctx, db, cfg)
	if err != nil {
		db.Close()
	}
	return st, err
}
