package benchserve

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
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
		st  *sqlstore.Store
		db  *sql.DB
		err error
	)
	switch {
	case spec == "" || spec == "memory":
		return memory.New(), func(context.Context) error { return nil }, nil
	case strings.HasPrefix(spec, "sqlite:"):
		st, err = sqlstore.OpenSQLite(ctx, strings.TrimPrefix(spec, "sqlite:"), cfg)
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		cfg.Dialect = sqlstore.Postgres
		if db, err = sql.Open("pgx", spec); err == nil {
			st, err = openSQL(ctx, db, cfg)
		}
	case strings.HasPrefix(spec, "mysql:"):
		cfg.Dialect = sqlstore.MySQL
		if db, err = sql.Open("mysql", strings.TrimPrefix(spec, "mysql:")); err == nil {
			st, err = openSQL(ctx, db, cfg)
		}
	default:
		return nil, nil, fmt.Errorf("benchserve: store %q is not memory, sqlite:PATH, postgres://... or mysql:DSN", spec)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		kind, _, _ := strings.Cut(spec, ":") // not the rest: it may hold a password
		return nil, nil, fmt.Errorf("benchserve: opening the %s store: %w", kind, err)
	}
	return st, func(ctx context.Context) error {
		err := st.Close(ctx)
		if db != nil {
			if cerr := db.Close(); err == nil {
				err = cerr
			}
		}
		return err
	}, nil
}

// openSQL opens a store over db, a PostgreSQL or MySQL pool, keeping as
// many idle connections as open ones (see sqlstore.Open).
func openSQL(ctx context.Context, db *sql.DB, cfg sqlstore.Config) (*sqlstore.Store, error) {
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	return sqlstore.Open(ctx, db, cfg)
}
