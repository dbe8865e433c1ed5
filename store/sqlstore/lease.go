package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/parleychat/parley/chat"
)

// leaseSQL names the leases table in a query template; the other
// placeholders are left to s.sql.
func (s *Store) leaseSQL(query string) string {
	return strings.ReplaceAll(query, "{agent_leases}", s.prefix+"agent_leases")
}

// RenewAgentLeases implements chat.Store.
func (s *Store) RenewAgentLeases(ctx context.Context, holder string, until time.Time, agentIDs []string) error {
	err := chat.CheckAgentLease(until, append([]string{holder}, agentIDs...)...)
	if len(agentIDs) > chat.MaxPageSize {
		err = fmt.Errorf("%w: %d agent ids, over the limit of %d", chat.ErrInvalid, len(agentIDs), chat.MaxPageSize)
	}
	if err := check(ctx, err); err != nil || len(agentIDs) == 0 {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	upsert := " ON CONFLICT (agent_id, holder) DO UPDATE SET expires_at = excluded.expires_at"
	if s.dialect == mysql {
		upsert = " ON DUPLICATE KEY UPDATE expires_at = VALUES(expires_at)"
	}
	query := s.sql(s.leaseSQL(`INSERT INTO {agent_leases} (agent_id, holder, expires_at) VALUES (?, ?, ?)` + upsert))
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.dbErr("renewing agent leases", err)
	}
	defer tx.Rollback()
	for _, id := range agentIDs {
		if _, err := tx.ExecContext(ctx, query, id, holder, micros(chat.Timestamp(until))); err != nil {
			return s.dbErr("renewing agent leases", err)
		}
	}
	return s.dbErr("renewing agent leases", tx.Commit())
}

// ReleaseAgentLease implements chat.Store.
func (s *Store) ReleaseAgentLease(ctx context.Context, agentID, holder string, at time.Time) (bool, error) {
	if err := check(ctx, chat.CheckAgentLease(at, agentID, holder)); err != nil {
		return false, err
	}
	if err := s.lockWrites(ctx); err != nil {
		return false, err
	}
	defer s.unlockWrites()
	t := micros(chat.Timestamp(at))
	if _, err := s.exec(ctx, s.leaseSQL(`UPDATE {agent_leases} SET expires_at = ? WHERE agent_id = ? AND holder = ? AND expires_at > ?`),
		t, agentID, holder, t); err != nil {
		return false, s.dbErr("releasing an agent lease", err)
	}
	var others int
	err := s.queryRow(ctx, s.leaseSQL(`SELECT COUNT(*) FROM {agent_leases} WHERE agent_id = ? AND holder <> ? AND expires_at > ?`),
		agentID, holder, t).Scan(&others)
	return others > 0, s.dbErr("releasing an agent lease", err)
}

// ExpiredAgentLeases implements chat.Store.
func (s *Store) ExpiredAgentLeases(ctx context.Context, at time.Time, limit int) ([]string, error) {
	limit, err := chat.CheckLimit(limit)
	if err == nil {
		err = chat.CheckAgentLease(at)
	}
	if err := check(ctx, err); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, s.leaseSQL(`SELECT agent_id FROM {agent_leases} GROUP BY agent_id HAVING MAX(expires_at) <= ?
		ORDER BY `+s.dialect.byteOrder("agent_id")+` LIMIT ?`), micros(chat.Timestamp(at)), limit)
	if err != nil {
		return nil, s.dbErr("listing expired agent leases", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id []byte
		if err := rows.Scan(&id); err != nil {
			return nil, s.dbErr("listing expired agent leases", err)
		}
		out = append(out, string(id))
	}
	return out, s.dbErr("listing expired agent leases", rows.Err())
}

// DeleteAgentLeases implements chat.Store.
func (s *Store) DeleteAgentLeases(ctx context.Context, agentID string, at time.Time) error {
	if err := check(ctx, chat.CheckAgentLease(at, agentID)); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	_, err := s.exec(ctx, s.leaseSQL(`DELETE FROM {agent_leases} WHERE agent_id = ? AND expires_at <= ?`), agentID, micros(chat.Timestamp(at)))
	return s.dbErr("deleting agent leases", err)
}
