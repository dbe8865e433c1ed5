package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/parleychat/parley/chat"
)

// jobSQL names the job leases table in a query template; the other
// placeholders are left to s.sql.
func (s *Store) jobSQL(query string) string {
	return strings.ReplaceAll(query, "{job_leases}", s.prefix+"job_leases")
}

// AcquireJob implements chat.Store. In one transaction it makes sure the
// job has a row, takes it over when holder holds it or its lease is
// expired (the update waits for, and then sees, a concurrent holder's
// write), and reads back who holds it.
func (s *Store) AcquireJob(ctx context.Context, job, holder string, now, until time.Time) (bool, error) {
	if err := check(ctx, chat.CheckJobLease(job, holder, now, until)); err != nil {
		return false, err
	}
	if err := s.lockWrites(ctx); err != nil {
		return false, err
	}
	defer s.unlockWrites()
	end := micros(chat.Timestamp(until))
	insert := `INSERT INTO {job_leases} (job, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (job) DO NOTHING`
	if s.dialect == mysql {
		insert = `INSERT INTO {job_leases} (job, holder, expires_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE job = job`
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, s.dbErr("acquiring a job lease", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.sql(s.jobSQL(insert)), job, holder, end); err != nil {
		return false, s.dbErr("acquiring a job lease", err)
	}
	if _, err := tx.ExecContext(ctx, s.sql(s.jobSQL(`UPDATE {job_leases} SET holder = ?, expires_at = ? WHERE job = ? AND (holder = ? OR expires_at <= ?)`)),
		holder, end, job, holder, micros(chat.Timestamp(now))); err != nil {
		return false, s.dbErr("acquiring a job lease", err)
	}
	var got []byte
	var gotEnd int64
	err = tx.QueryRowContext(ctx, s.sql(s.jobSQL(`SELECT holder, expires_at FROM {job_leases} WHERE job = ?`)), job).Scan(&got, &gotEnd)
	if errors.Is(err, sql.ErrNoRows) {
		// The holder released the job after the insert found its lease:
		// not acquired this time, and free for the next try.
		return false, nil
	}
	if err != nil {
		return false, s.dbErr("acquiring a job lease", err)
	}
	if err := tx.Commit(); err != nil {
		return false, s.dbErr("acquiring a job lease", err)
	}
	return string(got) == holder && gotEnd == end, nil
}

// ReleaseJob implements chat.Store.
func (s *Store) ReleaseJob(ctx context.Context, job, holder string) error {
	if err := check(ctx, chat.CheckJobLease(job, holder)); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	_, err := s.exec(ctx, s.jobSQL(`DELETE FROM {job_leases} WHERE job = ? AND holder = ?`), job, holder)
	return s.dbErr("releasing a job lease", err)
}
