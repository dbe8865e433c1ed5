package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

var _ chat.TagStore = (*Store)(nil)

// tagSQL names the table of tags in a query template; the other
// placeholders are left to s.q.
func (s *Store) tagSQL(query string) string {
	return strings.ReplaceAll(query, "{conversation_tags}", s.prefix+"conversation_tags")
}

// AddTag implements chat.TagStore. The table's foreign key turns a tag on
// an unknown conversation into ErrNotFound.
func (s *Store) AddTag(ctx context.Context, conversationID uuid.UUID, tag string) error {
	if err := check(ctx, chat.CheckTag(tag)); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	insert := `INSERT INTO {conversation_tags} (conversation_id, tag) VALUES (?, ?)` + s.dialect.insertIgnore("conversation_id, tag", "tag")
	_, err := s.exec(ctx, s.tagSQL(insert), idBytes(conversationID), tag)
	return s.dbErr("adding a tag", err)
}

// RemoveTag implements chat.TagStore.
func (s *Store) RemoveTag(ctx context.Context, conversationID uuid.UUID, tag string) error {
	if err := check(ctx, chat.CheckTag(tag)); err != nil {
		return err
	}
	if err := s.conversationExists(ctx, conversationID); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	_, err := s.exec(ctx, s.tagSQL(`DELETE FROM {conversation_tags} WHERE conversation_id = ? AND tag = ?`), idBytes(conversationID), tag)
	return s.dbErr("removing a tag", err)
}

// Tags implements chat.TagStore.
func (s *Store) Tags(ctx context.Context, conversationID uuid.UUID) ([]string, error) {
	if err := check(ctx, nil); err != nil {
		return nil, err
	}
	if err := s.conversationExists(ctx, conversationID); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, s.tagSQL(`SELECT tag FROM {conversation_tags} WHERE conversation_id = ? ORDER BY `+s.dialect.byteOrder("tag")), idBytes(conversationID))
	if err != nil {
		return nil, s.dbErr("reading tags", err)
	}
	defer rows.Close()
	tags := []string{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, s.dbErr("reading tags", err)
		}
		tags = append(tags, t)
	}
	return tags, s.dbErr("reading tags", rows.Err())
}

// conversationExists returns ErrNotFound for an unknown conversation.
func (s *Store) conversationExists(ctx context.Context, id uuid.UUID) error {
	var one int
	err := s.queryRow(ctx, `SELECT 1 FROM {conversations} WHERE id = ?`, idBytes(id)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("conversation", id)
	}
	return s.dbErr("reading a conversation", err)
}

// SearchConversations implements chat.TagStore: the listing of
// Conversations with a test for each set field of q. Text and Visitor
// compare LOWER of the column with LOWER of the text as a LIKE pattern in
// every dialect, so SQLite, whose LOWER knows only ASCII, folds only ASCII
// letters, and PostgreSQL and MySQL fold others as their database's locale
// or character set does. Text reads the messages of
// every conversation the other tests leave: there is no full-text index.
func (s *Store) SearchConversations(ctx context.Context, q chat.SearchQuery) ([]chat.ConversationInfo, error) {
	if err := check(ctx, q.Validate()); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	if q.Tag != "" {
		where = append(where, `id IN (SELECT t.conversation_id FROM {conversation_tags} t WHERE t.tag = ?)`)
		args = append(args, q.Tag)
	}
	if q.Visitor != "" {
		p := likePattern(q.Visitor)
		where = append(where, `visitor_id IN (SELECT v.id FROM {visitors} v WHERE LOWER(v.name) LIKE LOWER(?) ESCAPE '!' OR LOWER(v.email) LIKE LOWER(?) ESCAPE '!')`)
		args = append(args, p, p)
	}
	if q.Text != "" {
		notes := ""
		if q.WithoutNotes {
			notes = " AND m.internal = 0"
		}
		where = append(where, `EXISTS (SELECT 1 FROM {messages} m WHERE m.conversation_id = {conversations}.id AND LOWER(m.body) LIKE LOWER(?) ESCAPE '!'`+notes+`)`)
		args = append(args, likePattern(q.Text))
	}
	query, args := conversationsQuery(q.ConversationFilter, where, args)
	rows, err := s.db.QueryContext(ctx, s.q(s.tagSQL(query)), args...)
	if err != nil {
		return nil, s.dbErr("searching conversations", err)
	}
	defer rows.Close()
	out := []chat.ConversationInfo{}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, s.dbErr("searching conversations", err)
		}
		out = append(out, c)
	}
	return out, s.dbErr("searching conversations", rows.Err())
}

// likePattern is a LIKE pattern, with '!' as its escape, that matches
// text anywhere. The query lower-cases it with the database's LOWER, as
// it does the column, so both sides fold the same letters.
func likePattern(text string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return "%" + r.Replace(text) + "%"
}
