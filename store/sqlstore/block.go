package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// blockQ puts the blocks table of the store's prefix into a query template.
func (s *Store) blockQ(query string) string {
	return strings.ReplaceAll(query, "{blocks}", s.prefix+"blocks")
}

// PutBlock implements chat.Store.
func (s *Store) PutBlock(ctx context.Context, b chat.Block) error {
	if err := check(ctx, b.Validate()); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	var visitor any
	if b.VisitorID != uuid.Nil {
		visitor = idBytes(b.VisitorID)
	}
	network := ""
	if b.Network.IsValid() {
		network = b.Network.String()
	}
	_, err := s.exec(ctx, s.blockQ(`INSERT INTO {blocks} (id, visitor_id, customer_id, email, network, reason, agent_id, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		idBytes(b.ID), visitor, b.CustomerID, b.Email, network, b.Reason, b.AgentID,
		chat.Timestamp(b.CreatedAt).UnixMicro(), micros(chat.Timestamp(b.ExpiresAt)))
	return s.dbErr("storing a block", err)
}

// DeleteBlock implements chat.Store.
func (s *Store) DeleteBlock(ctx context.Context, id uuid.UUID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	res, err := s.exec(ctx, s.blockQ(`DELETE FROM {blocks} WHERE id = ?`), idBytes(id))
	if err != nil {
		return s.dbErr("deleting a block", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.dbErr("deleting a block", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: block %s", chat.ErrNotFound, id)
	}
	return nil
}

// Blocks implements chat.Store.
func (s *Store) Blocks(ctx context.Context, now time.Time) ([]chat.Block, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, s.blockQ(`SELECT id, visitor_id, customer_id, email, network, reason, agent_id, created_at, expires_at
		FROM {blocks} WHERE expires_at IS NULL OR expires_at > ? ORDER BY created_at, id`), chat.Timestamp(now).UnixMicro())
	if err != nil {
		return nil, s.dbErr("reading blocks", err)
	}
	defer rows.Close()
	out := []chat.Block{}
	for rows.Next() {
		var id, visitor []byte
		var network string
		var created int64
		var expires sql.NullInt64
		var b chat.Block
		if err := rows.Scan(&id, &visitor, &b.CustomerID, &b.Email, &network, &b.Reason, &b.AgentID, &created, &expires); err != nil {
			return nil, s.dbErr("reading blocks", err)
		}
		if b.ID, err = scanID(id); err != nil {
			return nil, err
		}
		if visitor != nil {
			if b.VisitorID, err = scanID(visitor); err != nil {
				return nil, err
			}
		}
		if network != "" {
			if b.Network, err = netip.ParsePrefix(network); err != nil {
				return nil, fmt.Errorf("sqlstore: a stored block network: %w", err)
			}
		}
		b.CreatedAt = fromMicros(sql.NullInt64{Int64: created, Valid: true})
		b.ExpiresAt = fromMicros(expires)
		out = append(out, b)
	}
	return out, s.dbErr("reading blocks", rows.Err())
}
