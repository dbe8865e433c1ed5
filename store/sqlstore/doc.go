// Package sqlstore is a [chat.Store] over database/sql, for SQLite,
// PostgreSQL and MySQL/MariaDB. It is what a shop runs in production.
//
// # Opening a store
//
// The simplest is an SQLite file next to the shop, with nothing else to
// install or run (the driver is modernc.org/sqlite, pure Go, no cgo):
//
//	store, err := sqlstore.OpenSQLite(ctx, "parley.db", sqlstore.Config{})
//	if err != nil {
//		return err
//	}
//	defer store.Close()
//
// A shop that already has a PostgreSQL or MySQL database passes its own
// *sql.DB, opened with the "pgx" (github.com/jackc/pgx/v5/stdlib) or
// "mysql" (github.com/go-sql-driver/mysql) driver; importing sqlstore
// registers both. Parley's tables then live beside the shop's, every name
// starting with Config.TablePrefix ("parley_" unless set):
//
//	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
//	...
//	store, err := sqlstore.Open(ctx, db, sqlstore.Config{Dialect: sqlstore.Postgres, TablePrefix: "chat_"})
//
// The store does not close a *sql.DB it was given. MySQL DSNs need no
// special parameters: times are stored as integers of microseconds, so
// parseTime and the server's time zone do not matter. Text columns on MySQL
// use utf8mb4 with binary comparison, so Polish, Russian or emoji text comes
// back byte for byte and ids that differ only in case stay distinct.
//
// # Migrations
//
// The schema is embedded in the binary as numbered migrations per dialect.
// Open applies the missing ones (Config.SkipMigrate turns that off, for
// shops that migrate from a deploy step by calling Migrate). Several
// instances starting at once are safe: migrations run under a lock
// (an advisory lock on PostgreSQL, GET_LOCK on MySQL, an immediate
// transaction on SQLite) and each applied version is recorded in the
// <prefix>schema_migrations table.
//
// # Appends and durability
//
// AppendMessage hands the message to a writer goroutine that owns the
// conversation; a writer commits every message waiting for it in one
// transaction (a group commit) and answers each caller only after the
// commit. Under load one commit serves many messages, which is what makes
// thousands of appends per second possible on SQLite, and an answered
// append is never lost. Sequence numbers are assigned under a row lock
// (the database lock on SQLite), so several shop instances may share one
// PostgreSQL or MySQL database. Close waits for the appends already taken.
package sqlstore
