package sqlstore

import (
	"context"
	"time"
)

// SQLite lets one connection write at a time, and a connection that finds
// the write lock taken sleeps and tries again (the busy timeout), in steps
// of milliseconds. So that the store's own writes never sleep on each
// other, every write of an SQLite store takes the store's write turn first:
// the append writer for each batch, every other write (a conversation
// update, a visitor, a lease...) for its transaction. They queue in Go,
// in order, and each finds the database's write lock free. Readers never
// wait for the write lock in WAL mode.
//
// The writer does not checkpoint either: a checkpoint copies the WAL back
// into the database file and syncs both, tens of milliseconds that every
// caller of the batch would wait for. A goroutine of the store does it
// instead, in the background, on another connection of the pool.

// Checkpoint settings of an SQLite store.
const (
	// checkpointRows is how many rows written (appends count one each,
	// other writes one) start a checkpoint: about 5,000 pages of WAL, so
	// that a page rewritten by many commits is copied once for all of
	// them.
	checkpointRows = 2048
	// checkpointIdle is how long a smaller amount of writes waits before
	// it is checkpointed anyway.
	checkpointIdle = time.Second
	// restartFrames is the WAL size, in pages, past which the checkpointer
	// finishes its work in the store's write turn: with the writer held,
	// the checkpoint catches up, and the next write starts the WAL over
	// rather than growing it.
	restartFrames = 8192
)

// lockWrites waits for the store's write turn on SQLite; unlockWrites
// gives it back. Other dialects lock rows, so there both do nothing.
func (s *Store) lockWrites(ctx context.Context) error {
	if s.writeTurn == nil {
		return nil
	}
	select {
	case s.writeTurn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// unlockWrites gives the write turn back after a write of one row.
func (s *Store) unlockWrites() { s.unlockWritesN(1) }

// unlockWritesN gives the write turn back after a write of n rows, and
// tells the checkpointer that the WAL has grown.
func (s *Store) unlockWritesN(n int) {
	if s.writeTurn == nil {
		return
	}
	<-s.writeTurn
	s.written.Add(int64(n))
	select {
	case s.wrote <- struct{}{}:
	default:
	}
}

// checkpoint runs until stop is closed: once checkpointRows rows have been
// written, or checkpointIdle after fewer, it copies the WAL back into the
// database file. Failures are logged and tried again after the next
// write; SQLite's own checkpoint (wal_autocheckpoint, which sqlite.Open sets
// to four times restartFrames) bounds the WAL meanwhile.
func (s *Store) checkpoint(stop <-chan struct{}) {
	defer s.ckpt.Done()
	ctx := context.Background()
	idle := time.NewTimer(checkpointIdle)
	idle.Stop()
	for {
		select {
		case <-stop:
			return
		case <-s.wrote:
		}
		idle.Reset(checkpointIdle)
	wait:
		for s.written.Load() < checkpointRows {
			select {
			case <-stop:
				return
			case <-idle.C:
				break wait
			case <-s.wrote:
			}
		}
		idle.Stop()
		s.written.Store(0)
		frames, err := s.walCheckpoint(ctx)
		if err == nil && frames > restartFrames {
			select {
			case <-stop:
				return
			case s.writeTurn <- struct{}{}:
			}
			_, err = s.walCheckpoint(ctx)
			<-s.writeTurn
		}
		if err != nil {
			s.log.Warn("sqlstore: checkpointing the WAL", "err", err)
		}
	}
}

// walCheckpoint copies what it can of the WAL back into the database
// without waiting for readers or the writer, and returns the WAL's size in
// pages.
func (s *Store) walCheckpoint(ctx context.Context) (int, error) {
	var busy, frames, done int
	err := s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &done)
	return frames, err
}
