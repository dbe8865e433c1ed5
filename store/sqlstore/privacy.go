package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// privacySQL names, in a query template, the tables that EraseVisitor
// reaches beyond those q names.
func (s *Store) privacySQL(query string) string {
	p := s.prefix
	return strings.NewReplacer("{reply_notices}", p+"reply_notices", "{visits}", p+"visits",
		"{visit_leases}", p+"visit_leases", "{invitations}", p+"invitations", "{email_counts}", p+"email_counts",
		"{email_proofs}", p+"email_proofs", "{email_confirmations}", p+"email_confirmations",
		"{conversation_tags}", p+"conversation_tags", "{customers}", p+"customers", "{files}", p+"files").Replace(query)
}

// eraseVisitor are the statements of EraseVisitor, in the order they run
// (the files uploaded to the conversations go too, this store being a
// chat.FileStore):
// what refers to a row goes before it. Each takes the visitor's id, but
// the email counts, which take their scope and the id as text.
var eraseVisitor = []string{
	`DELETE FROM {messages} WHERE conversation_id IN (SELECT id FROM {conversations} WHERE visitor_id = ?)`,
	`DELETE FROM {reply_notices} WHERE visitor_id = ?`,
	`DELETE FROM {conversation_tags} WHERE conversation_id IN (SELECT id FROM {conversations} WHERE visitor_id = ?)`,
	`DELETE FROM {files} WHERE conversation_id IN (SELECT id FROM {conversations} WHERE visitor_id = ?)`,
	`DELETE FROM {conversations} WHERE visitor_id = ?`,
	`DELETE FROM {page_views} WHERE visitor_id = ?`,
	`DELETE FROM {invitations} WHERE visit_id IN (SELECT id FROM {visits} WHERE visitor_id = ?)`,
	`DELETE FROM {visits} WHERE visitor_id = ?`,
	`DELETE FROM {visit_leases} WHERE visitor_id = ?`,
	`DELETE FROM {email_proofs} WHERE visitor_id = ?`,
	`DELETE FROM {email_confirmations} WHERE visitor_id = ?`,
	`DELETE FROM {email_counts} WHERE scope = ? AND subject = ?`,
	`DELETE FROM {customers} WHERE visitor_id = ?`,
	`DELETE FROM {visitors} WHERE id = ?`,
}

// EraseVisitor implements chat.Store, in one transaction.
func (s *Store) EraseVisitor(ctx context.Context, visitorID uuid.UUID) error {
	if err := check(ctx, chat.CheckReplyVisitor(visitorID)); err != nil {
		return err
	}
	return s.privacyTx(ctx, "erasing a visitor", func(tx *sql.Tx) error {
		for _, query := range eraseVisitor {
			args := []any{idBytes(visitorID)}
			if strings.Contains(query, "{email_counts}") {
				args = []any{scopeVisitor, visitorID.String()}
			}
			if _, err := tx.ExecContext(ctx, s.q(s.privacySQL(query)), args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// PurgeConversations implements chat.Store: one transaction reads the ids
// of the oldest closed conversations and deletes them with their messages.
func (s *Store) PurgeConversations(ctx context.Context, before time.Time, limit int) (int, error) {
	limit, err := chat.CheckPurge(before, limit)
	if err := check(ctx, err); err != nil {
		return 0, err
	}
	n := 0
	err = s.privacyTx(ctx, "purging old conversations", func(tx *sql.Tx) error {
		ids, err := s.txIDs(ctx, tx, `SELECT id FROM {conversations} WHERE status = ? AND closed_at < ? ORDER BY closed_at, id LIMIT ?`,
			string(chat.StatusClosed), chat.Timestamp(before).UnixMicro(), limit)
		if err != nil || len(ids) == 0 {
			return err
		}
		in := "(?" + strings.Repeat(", ?", len(ids)-1) + ")"
		for _, query := range []string{
			`DELETE FROM {messages} WHERE conversation_id IN ` + in,
			`DELETE FROM {reply_notices} WHERE conversation_id IN ` + in,
			`DELETE FROM {conversation_tags} WHERE conversation_id IN ` + in,
			`DELETE FROM {files} WHERE conversation_id IN ` + in,
			`DELETE FROM {conversations} WHERE id IN ` + in,
		} {
			if _, err := tx.ExecContext(ctx, s.q(s.privacySQL(query)), ids...); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// PurgePageViews implements chat.Store, the same way.
func (s *Store) PurgePageViews(ctx context.Context, before time.Time, limit int) (int, error) {
	limit, err := chat.CheckPurge(before, limit)
	if err := check(ctx, err); err != nil {
		return 0, err
	}
	n := 0
	err = s.privacyTx(ctx, "purging old page views", func(tx *sql.Tx) error {
		ids, err := s.txIDs(ctx, tx, `SELECT id FROM {page_views} WHERE at < ? ORDER BY at, id LIMIT ?`,
			chat.Timestamp(before).UnixMicro(), limit)
		if err != nil || len(ids) == 0 {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM {page_views} WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`), ids...)
		n = len(ids)
		return err
	})
	return n, err
}

// txIDs returns the ids a query selects, as arguments for another query.
func (s *Store) txIDs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]any, error) {
	rows, err := tx.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id []byte
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// privacyTx runs fn in a transaction, in SQLite's write turn.
func (s *Store) privacyTx(ctx context.Context, what string, fn func(*sql.Tx) error) error {
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.dbErr(what, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return s.dbErr(what, err)
	}
	return s.dbErr(what, tx.Commit())
}
