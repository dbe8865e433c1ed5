// Package sqlite runs Parley's store on an SQLite file, through
// modernc.org/sqlite: pure Go, no cgo, nothing else to install or run. It
// is the only store package that compiles SQLite.
//
//	store, err := sqlite.Open(ctx, "parley.db", sqlstore.Config{})
//	if err != nil {
//		return err
//	}
//	defer store.Close(ctx)
//
// The store is a [sqlstore.Store]; see package sqlstore for what it does
// and for the Config fields. Open owns the file's database and tunes it
// for the store: WAL mode, one pool that keeps its connections, and a
// busy timeout. The store writes one transaction at a time and copies the
// WAL back into the file in the background, so commits stay short.
//
// An SQLite store serves one instance. The file must be on the machine's
// own disk, since SQLite's WAL mode does not work over a network file
// system; processes on one machine may share it, but their writes take
// turns on its one write lock. A shop that runs several instances uses
// store/postgres or store/mysql.
//
// A shop that opens the file itself (to keep its own tables in it, say)
// passes its *sql.DB, opened with the "sqlite" driver this package
// registers, to [sqlstore.Open] with [Dialect].
package sqlite
