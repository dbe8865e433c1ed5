package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlstore"
)

// Open returns a store over db, a PostgreSQL database the shop opened with
// the "pgx" driver and keeps owning: Close leaves it open unless
// cfg.CloseDB is set. It is [sqlstore.Open] with this package's Dialect;
// see there for the migrations Open runs and for sizing db's pool.
func Open(ctx context.Context, db *sql.DB, cfg sqlstore.Config) (*sqlstore.Store, error) {
	return sqlstore.Open(ctx, db, Dialect(), cfg)
}

// Dialect returns what sqlstore needs to know of PostgreSQL through
// github.com/jackc/pgx/v5.
func Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{Name: "postgres", Classify: classify}
}

// classify reads PostgreSQL's SQLSTATE codes.
func classify(err error) error {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return nil
	}
	switch e.Code {
	case "23505": // unique_violation
		return chat.ErrConflict
	case "23503": // foreign_key_violation
		return chat.ErrNotFound
	}
	return nil
}
