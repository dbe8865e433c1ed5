package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

var _ chat.CustomerStore = (*Store)(nil)

// customerQ puts the customers table of the store's prefix into a query
// template.
func (s *Store) customerQ(query string) string {
	return strings.ReplaceAll(query, "{customers}", s.prefix+"customers")
}

// LinkCustomer implements chat.CustomerStore. The insert that does nothing
// when the customer is linked makes concurrent links wait for the first;
// the read after it sees the link that won.
func (s *Store) LinkCustomer(ctx context.Context, customerID string, visitorID uuid.UUID) (uuid.UUID, error) {
	if err := check(ctx, chat.CheckCustomerLink(customerID, visitorID)); err != nil {
		return uuid.Nil, err
	}
	if err := s.lockWrites(ctx); err != nil {
		return uuid.Nil, err
	}
	defer s.unlockWrites()
	insert := `INSERT INTO {customers} (customer_id, visitor_id) VALUES (?, ?) ON CONFLICT (customer_id) DO NOTHING`
	if s.dialect == mysql {
		insert = `INSERT INTO {customers} (customer_id, visitor_id) VALUES (?, ?) ON DUPLICATE KEY UPDATE customer_id = customer_id`
	}
	if _, err := s.exec(ctx, s.customerQ(insert), customerID, idBytes(visitorID)); err != nil {
		return uuid.Nil, s.dbErr("linking a customer", err)
	}
	var linked []byte
	if err := s.queryRow(ctx, s.customerQ(`SELECT visitor_id FROM {customers} WHERE customer_id = ?`), customerID).Scan(&linked); err != nil {
		return uuid.Nil, s.dbErr("linking a customer", err)
	}
	return scanID(linked)
}

// MergeVisitor implements chat.CustomerStore. The conversations are read
// locked and moved one by one, so that one the visitor starts meanwhile
// is either moved and returned or left where it is.
func (s *Store) MergeVisitor(ctx context.Context, from, to uuid.UUID) ([]chat.ConversationInfo, error) {
	if err := check(ctx, chat.CheckVisitorMerge(from, to)); err != nil {
		return nil, err
	}
	if err := s.lockWrites(ctx); err != nil {
		return nil, err
	}
	defer s.unlockWrites()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.dbErr("merging visitors", err)
	}
	defer tx.Rollback()
	moved, err := s.mergeVisitor(ctx, tx, from, to)
	if err != nil {
		return nil, s.dbErr("merging visitors", err)
	}
	return moved, s.dbErr("merging visitors", tx.Commit())
}

func (s *Store) mergeVisitor(ctx context.Context, tx *sql.Tx, from, to uuid.UUID) ([]chat.ConversationInfo, error) {
	var one int
	err := s.txQueryRow(ctx, tx, `SELECT 1 FROM {visitors} WHERE id = ?`, idBytes(to)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("visitor", to)
	}
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, s.sql(`SELECT `+conversationColumns+` FROM {conversations} WHERE visitor_id = ? ORDER BY created_at, id`+s.dialect.forUpdate()), idBytes(from))
	if err != nil {
		return nil, err
	}
	moved := []chat.ConversationInfo{}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		moved = append(moved, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range moved {
		c := &moved[i]
		if _, err := s.txExec(ctx, tx, `UPDATE {conversations} SET visitor_id = ?, version = version + 1 WHERE id = ?`, idBytes(to), idBytes(c.ID)); err != nil {
			return nil, err
		}
		c.VisitorID = to
		c.Version++
	}
	_, err = s.txExec(ctx, tx, `UPDATE {page_views} SET visitor_id = ? WHERE visitor_id = ?`, idBytes(to), idBytes(from))
	return moved, err
}
