package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// replySQL names the reply notices table in a query template; the other
// placeholders are left to s.sql.
func (s *Store) replySQL(query string) string {
	return strings.ReplaceAll(query, "{reply_notices}", s.prefix+"reply_notices")
}

// ScheduleReplyNotice implements chat.Store.
func (s *Store) ScheduleReplyNotice(ctx context.Context, n chat.ReplyNotice) (bool, error) {
	if err := check(ctx, n.Validate()); err != nil {
		return false, err
	}
	if err := s.lockWrites(ctx); err != nil {
		return false, err
	}
	defer s.unlockWrites()
	insert := `INSERT INTO {reply_notices} (conversation_id, visitor_id, after_seq, due_at) VALUES (?, ?, ?, ?) ON CONFLICT (conversation_id) DO NOTHING`
	if s.dialect == mysql {
		insert = `INSERT IGNORE INTO {reply_notices} (conversation_id, visitor_id, after_seq, due_at) VALUES (?, ?, ?, ?)`
	}
	res, err := s.exec(ctx, s.replySQL(insert),
		idBytes(n.ConversationID), idBytes(n.VisitorID), n.After, micros(chat.Timestamp(n.Due)))
	if err != nil {
		return false, s.dbErr("scheduling a reply notice", err)
	}
	rows, err := res.RowsAffected()
	return rows > 0, s.dbErr("scheduling a reply notice", err)
}

// DueReplyNotices implements chat.Store.
func (s *Store) DueReplyNotices(ctx context.Context, at time.Time, limit int) ([]chat.ReplyNotice, error) {
	limit, err := chat.CheckDueReplyNotices(at, limit)
	if err := check(ctx, err); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, s.replySQL(`SELECT conversation_id, visitor_id, after_seq, due_at FROM {reply_notices}
		WHERE due_at <= ? ORDER BY due_at, conversation_id LIMIT ?`), micros(chat.Timestamp(at)), limit)
	if err != nil {
		return nil, s.dbErr("listing due reply notices", err)
	}
	defer rows.Close()
	out := []chat.ReplyNotice{}
	for rows.Next() {
		var conv, visitor []byte
		var due int64
		var n chat.ReplyNotice
		if err := rows.Scan(&conv, &visitor, &n.After, &due); err != nil {
			return nil, s.dbErr("listing due reply notices", err)
		}
		if n.ConversationID, err = scanID(conv); err != nil {
			return nil, err
		}
		if n.VisitorID, err = scanID(visitor); err != nil {
			return nil, err
		}
		n.Due = time.UnixMicro(due).UTC()
		out = append(out, n)
	}
	return out, s.dbErr("listing due reply notices", rows.Err())
}

// TakeReplyNotice implements chat.Store.
func (s *Store) TakeReplyNotice(ctx context.Context, n chat.ReplyNotice) (bool, error) {
	if err := check(ctx, n.Validate()); err != nil {
		return false, err
	}
	if err := s.lockWrites(ctx); err != nil {
		return false, err
	}
	defer s.unlockWrites()
	res, err := s.exec(ctx, s.replySQL(`DELETE FROM {reply_notices} WHERE conversation_id = ? AND after_seq = ?`),
		idBytes(n.ConversationID), n.After)
	if err != nil {
		return false, s.dbErr("taking a reply notice", err)
	}
	rows, err := res.RowsAffected()
	return rows > 0, s.dbErr("taking a reply notice", err)
}

// CancelReplyNotices implements chat.Store.
func (s *Store) CancelReplyNotices(ctx context.Context, visitorID uuid.UUID) error {
	if err := check(ctx, chat.CheckReplyVisitor(visitorID)); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	_, err := s.exec(ctx, s.replySQL(`DELETE FROM {reply_notices} WHERE visitor_id = ?`), idBytes(visitorID))
	return s.dbErr("cancelling reply notices", err)
}
