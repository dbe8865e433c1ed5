package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

var _ chat.OutboxStore = (*Store)(nil)

// outboxSQL names the outbox table in a query template; the other
// placeholders are left to s.sql.
func (s *Store) outboxSQL(query string) string {
	return strings.ReplaceAll(query, "{outbox}", s.prefix+"outbox")
}

// AddOutbox implements chat.OutboxStore, in one transaction.
func (s *Store) AddOutbox(ctx context.Context, items []chat.OutboxItem) error {
	if err := check(ctx, chat.CheckOutboxItems(items)); err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.dbErr("adding to the outbox", err)
	}
	defer tx.Rollback()
	for _, i := range items {
		if _, err := s.txExec(ctx, tx, s.outboxSQL(`INSERT INTO {outbox}
			(id, target, payload, created_at, due_at, attempts, last_error, holder, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, '', 0)`),
			idBytes(i.ID), i.Target, i.Payload, micros(chat.Timestamp(i.CreatedAt)), micros(chat.Timestamp(i.Due)), i.Attempts, i.LastError); err != nil {
			return s.dbErr("adding to the outbox", err)
		}
	}
	return s.dbErr("adding to the outbox", tx.Commit())
}

// ClaimOutbox implements chat.OutboxStore. In one transaction it lists
// the candidates and leases each with an update that checks again that it
// is free: a concurrent claim that leased it first (the update waits for,
// and then sees, its write) leaves it out.
func (s *Store) ClaimOutbox(ctx context.Context, target, holder string, now, until time.Time, limit int) ([]chat.OutboxItem, error) {
	limit, err := chat.CheckOutboxClaim(target, holder, now, until, limit)
	if err := check(ctx, err); err != nil {
		return nil, err
	}
	at, end := micros(chat.Timestamp(now)), micros(chat.Timestamp(until))
	// Most claims find nothing due, every poll of every instance: a read
	// answers them without a write transaction.
	var first []byte
	err = s.queryRow(ctx, s.outboxSQL(`SELECT id FROM {outbox} WHERE target = ? AND due_at <= ? AND lease_until <= ? LIMIT 1`),
		target, at, at).Scan(&first)
	if errors.Is(err, sql.ErrNoRows) {
		return []chat.OutboxItem{}, nil
	}
	if err != nil {
		return nil, s.dbErr("claiming outbox items", err)
	}
	if err := s.lockWrites(ctx); err != nil {
		return nil, err
	}
	defer s.unlockWrites()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.dbErr("claiming outbox items", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, s.sql(s.outboxSQL(`SELECT id, payload, created_at, due_at, attempts, last_error FROM {outbox}
		WHERE target = ? AND due_at <= ? AND lease_until <= ? ORDER BY due_at, id LIMIT ?`)), target, at, at, limit)
	if err != nil {
		return nil, s.dbErr("claiming outbox items", err)
	}
	var found []chat.OutboxItem
	for rows.Next() {
		var id []byte
		var created, due int64
		i := chat.OutboxItem{Target: target}
		if err := rows.Scan(&id, &i.Payload, &created, &due, &i.Attempts, &i.LastError); err != nil {
			rows.Close()
			return nil, s.dbErr("claiming outbox items", err)
		}
		if i.ID, err = scanID(id); err != nil {
			rows.Close()
			return nil, err
		}
		i.CreatedAt, i.Due = time.UnixMicro(created).UTC(), time.UnixMicro(due).UTC()
		found = append(found, i)
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbErr("claiming outbox items", err)
	}
	rows.Close()
	out := []chat.OutboxItem{}
	for _, i := range found {
		res, err := s.txExec(ctx, tx, s.outboxSQL(`UPDATE {outbox} SET holder = ?, lease_until = ? WHERE id = ? AND due_at <= ? AND lease_until <= ?`),
			holder, end, idBytes(i.ID), at, at)
		if err != nil {
			return nil, s.dbErr("claiming outbox items", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, s.dbErr("claiming outbox items", err)
		} else if n == 1 {
			out = append(out, i)
		}
	}
	return out, s.dbErr("claiming outbox items", tx.Commit())
}

// FinishOutbox implements chat.OutboxStore.
func (s *Store) FinishOutbox(ctx context.Context, id uuid.UUID, holder string) (bool, error) {
	if err := check(ctx, chat.CheckOutboxFinish(id, holder)); err != nil {
		return false, err
	}
	if err := s.lockWrites(ctx); err != nil {
		return false, err
	}
	defer s.unlockWrites()
	res, err := s.exec(ctx, s.outboxSQL(`DELETE FROM {outbox} WHERE id = ? AND holder = ?`), idBytes(id), holder)
	if err != nil {
		return false, s.dbErr("finishing an outbox item", err)
	}
	n, err := res.RowsAffected()
	return n > 0, s.dbErr("finishing an outbox item", err)
}

// RetryOutbox implements chat.OutboxStore.
func (s *Store) RetryOutbox(ctx context.Context, id uuid.UUID, holder string, due time.Time, lastError string) (bool, error) {
	if err := check(ctx, chat.CheckOutboxRetry(id, holder, due, lastError)); err != nil {
		return false, err
	}
	if err := s.lockWrites(ctx); err != nil {
		return false, err
	}
	defer s.unlockWrites()
	res, err := s.exec(ctx, s.outboxSQL(`UPDATE {outbox} SET attempts = attempts + 1, last_error = ?, due_at = ?, holder = '', lease_until = 0
		WHERE id = ? AND holder = ?`), lastError, micros(chat.Timestamp(due)), idBytes(id), holder)
	if err != nil {
		return false, s.dbErr("retrying an outbox item", err)
	}
	n, err := res.RowsAffected()
	return n > 0, s.dbErr("retrying an outbox item", err)
}
