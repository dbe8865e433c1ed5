package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"time"

	driver "modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlstore"
)

// busyTimeout is how long a connection Open makes waits for another
// process's write lock before its statement fails.
const busyTimeout = 10 * time.Second

// safetyFrames is the WAL size, in pages, at which SQLite checkpoints by
// itself in the commit that reaches it. The store checkpoints in the
// background long before (see sqlstore's package documentation), so this
// only bounds the WAL should the store fall behind.
const safetyFrames = 32768

// Open opens (creating if needed) the SQLite database file at path and
// returns a store over it that owns the database: Close closes it, as if
// cfg.CloseDB were set. The file is put in WAL mode with
// synchronous=NORMAL, foreign keys on, a 10 s busy timeout, and
// transactions that take the write lock when they begin. The pool keeps
// every connection it opens, up to 4×GOMAXPROCS and at least 8. With WAL
// and NORMAL, a process crash loses nothing that was acknowledged; a power
// cut or OS crash may lose the last commits before the next checkpoint.
//
// Several processes may open the same new file at once. An invalid cfg
// returns an error wrapping chat.ErrInvalid.
func Open(ctx context.Context, path string, cfg sqlstore.Config) (*sqlstore.Store, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", "cache_size(-16384)") // 16 MiB of page cache per connection
	q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", safetyFrames))
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	keepConns(db, poolSize())
	if err := ping(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	cfg.CloseDB = true
	s, err := sqlstore.Open(ctx, db, Dialect(), cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Dialect returns what sqlstore needs to know of SQLite through
// modernc.org/sqlite, for [sqlstore.Open] over a *sql.DB the shop opened
// itself with the "sqlite" driver this package registers. Such a database
// should turn foreign_keys on and set a busy_timeout, and is best in WAL
// mode with _txlock=immediate, as Open does.
func Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{Name: "sqlite", Classify: classify}
}

// classify reads SQLite's extended result codes.
func classify(err error) error {
	var e *driver.Error
	if !errors.As(err, &e) {
		return nil
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return chat.ErrConflict
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return chat.ErrNotFound
	}
	return nil
}

// poolSize is how many connections Open keeps: enough for every core to
// read while the store's writer and checkpointer hold one each.
func poolSize() int { return max(8, 4*runtime.GOMAXPROCS(0)) }

// keepConns keeps n connections open for good, so that a burst of reads
// never opens connections (each with its own page cache and prepared
// statements) only to close them again.
func keepConns(db *sql.DB, n int) {
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
}

// ping checks that db can be reached. Several processes opening a new file
// at once race to switch it to WAL, and SQLite reports the loser busy
// without waiting for the busy timeout; ping retries that for as long as
// the timeout. The connection stays in the pool, in WAL mode, for the
// store.
func ping(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := db.PingContext(ctx)
		if err == nil || !busy(err) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// busy reports whether err is SQLITE_BUSY, in any of its extended forms.
func busy(err error) bool {
	var e *driver.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}
