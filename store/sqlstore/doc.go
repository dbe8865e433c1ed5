// Package sqlstore is a [chat.Store] over database/sql, for SQLite,
// PostgreSQL and MySQL/MariaDB. It is what a shop runs in production.
//
// sqlstore holds everything the databases share (the statements, the
// migrations, the batching writer) and imports no database driver. Each
// database has a package of its own beside it, named after it, which
// brings its driver and opens the store: a shop imports the one it uses
// and compiles no other driver.
//
//   - [github.com/parleychat/parley/store/sqlite] (modernc.org/sqlite,
//     pure Go, no cgo)
//   - [github.com/parleychat/parley/store/postgres]
//     (github.com/jackc/pgx/v5)
//   - [github.com/parleychat/parley/store/mysql]
//     (github.com/go-sql-driver/mysql), for MySQL and MariaDB
//
// # Opening a store
//
// The simplest is an SQLite file next to the shop, with nothing else to
// install or run:
//
//	store, err := sqlite.Open(ctx, "parley.db", sqlstore.Config{})
//	if err != nil {
//		return err
//	}
//	defer store.Close(ctx)
//
// sqlite.Open owns the database it opens: WAL mode, synchronous=NORMAL,
// foreign keys on, a busy timeout, and write transactions that take the
// lock when they begin. Its pool keeps every connection it opens (at most
// 4×GOMAXPROCS, 8 or more), so bursts of reads reuse connections with
// their page caches and prepared statements. Close closes it.
//
// A shop that already has a PostgreSQL or MySQL database passes its own
// *sql.DB, opened with the "pgx" or "mysql" driver, which importing
// store/postgres or store/mysql registers. Parley's tables then live
// beside the shop's, every table and index name starting with
// Config.TablePrefix ("parley_" unless set):
//
//	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
//	...
//	store, err := postgres.Open(ctx, db, sqlstore.Config{TablePrefix: "chat_"})
//	...
//	defer store.Close(ctx) // stops the store; db stays open for the shop
//
// Two stores with different prefixes in one database do not see each
// other's data.
//
// The packages' Open functions pass a [Dialect] to [Open]: which SQL the
// database speaks and what its driver's errors mean. A shop needs Open and
// a package's Dialect itself only for a database it opened some other
// way, an SQLite file of its own, say.
//
// MySQL and MariaDB DSNs need no special parameters: times are stored as
// integers of microseconds, so parseTime and the server's time zone do not
// matter, and every statement is sent on its own, so multiStatements is
// not needed. Keep the connection's character set at the driver's default,
// utf8mb4. Text columns are utf8mb4 with binary collation, so Polish,
// Russian or emoji text comes back byte for byte, and ids or idempotency
// keys that differ only in case or accents stay distinct.
//
// # Migrations
//
// The schema is embedded in the binary as numbered SQL files per dialect,
// with the table prefix filled in. Open applies the ones missing, each in
// a transaction, and records each version in the
// <prefix>schema_migrations table; opening an up-to-date database changes
// nothing. Shops that migrate from a deploy step set Config.SkipMigrate
// and call [Store.Migrate] there. Several instances starting at once are
// safe: migrations run under a lock (pg_advisory_xact_lock on PostgreSQL,
// GET_LOCK on MySQL, BEGIN IMMEDIATE on SQLite), and those that wait find
// the work done. (MySQL commits each CREATE TABLE at once, so there a
// failed migration may leave part of its tables behind.)
//
// Ids are stored as 16 bytes (BLOB, BYTEA, BINARY(16)) and times as
// microseconds since 1970 (BIGINT), exact on every database. Messages
// refer to their conversation and conversations to their visitor by
// foreign key, so a conversation of an unknown visitor returns
// [chat.ErrNotFound].
//
// # Appends and durability
//
// AppendMessage hands the message to a writer goroutine that owns the
// conversation (one for SQLite, two sharing the conversations by id
// otherwise; see Config.Writers). The writer takes every message waiting
// for it, up to Config.MaxBatch, and commits them in one transaction: a
// group commit. Each caller is answered only after the commit succeeded,
// so an answered append is never lost, while under load one commit serves
// dozens of messages. A batch costs a fixed number of statements whatever
// its size: two on SQLite, one on PostgreSQL, a few on MySQL.
//
// Sequence numbers are assigned under the conversation's row lock (the
// database's write lock on SQLite), and the conversation's LastSeq and
// UpdatedAt move in the same transaction, so several shop instances may
// share one database. When one message of a batch fails (its id is taken,
// say), the others are committed again one by one, so each caller gets its
// own answer. A caller whose context ends before a writer took its message
// gets the context's error and the message is not stored; once taken, the
// caller waits for the commit. [Store.Close] stops taking appends and
// waits for those taken, until its context ends; they are committed even
// when it ends first.
//
// Reads go straight to the database and see every append that has been
// answered.
//
// # SQLite: one write at a time
//
// SQLite has one write lock per database, and a connection that finds it
// taken sleeps and retries in steps of milliseconds (the busy timeout).
// So an SQLite store's writes take turns in Go instead: the writer holds
// the store's write turn for each batch, and every other write (a
// conversation update, a visitor, a page view, a lease, a block, an email
// count, a migration) holds it for its own transaction. Writes queue in
// order and none of them sleeps on SQLite's lock, nor fails for want of a
// busy timeout. Readers never wait for writes in WAL mode. Writes through
// [Store.DB], or of another store or process on the same file, still meet
// SQLite's lock and its busy timeout.
//
// Commits do not copy the WAL back into the database file either: a
// goroutine of the store checkpoints in the background, after every 2,048
// rows written or a second after fewer, without holding up the writer.
// Only once the WAL has grown past 8,192 pages does it hold the write turn
// for the last of its copy, so that the WAL starts over instead of
// growing.
package sqlstore
