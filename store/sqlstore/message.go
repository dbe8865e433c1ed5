package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// Appends go through writers: each AppendMessage hands its message to the
// writer that owns the conversation and waits. A writer takes every
// message waiting for it and commits them in one transaction, then answers
// each caller. That is a group commit: under load, one commit (one fsync)
// serves many messages, and no caller is answered before its message is
// durable.

type appendReq struct {
	m     chat.Message
	reply chan appendResult
}

type appendResult struct {
	m       chat.Message
	created bool
	err     error
}

type writer struct {
	s    *Store
	reqs chan *appendReq
	max  int
}

var seed = maphash.MakeSeed()

// convKey is an idempotency key within its conversation.
type convKey struct {
	id  uuid.UUID
	key string
}

// AppendMessage implements chat.Store.
func (s *Store) AppendMessage(ctx context.Context, m chat.Message) (chat.Message, bool, error) {
	if err := check(ctx, m.Validate()); err != nil {
		return chat.Message{}, false, err
	}
	m.CreatedAt = chat.Timestamp(m.CreatedAt)
	m.Attachments = slices.Clone(m.Attachments)
	req := &appendReq{m: m, reply: make(chan appendResult, 1)}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return chat.Message{}, false, fmt.Errorf("%w: sqlstore: the store is closed", chat.ErrClosed)
	}
	w := s.writers[maphash.Bytes(seed, m.ConversationID[:])%uint64(len(s.writers))]
	select {
	case w.reqs <- req:
		s.closeMu.RUnlock()
	case <-ctx.Done():
		s.closeMu.RUnlock()
		return chat.Message{}, false, ctx.Err()
	}
	// Once taken, the message is committed or fails whatever happens to
	// ctx, so the caller waits for the answer.
	r := <-req.reply
	return r.m, r.created, r.err
}

func (w *writer) run() {
	defer w.s.wg.Done()
	batch := make([]*appendReq, 0, w.max)
	for first := range w.reqs {
		batch = append(batch[:0], first)
	more:
		for len(batch) < w.max {
			select {
			case r, ok := <-w.reqs:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		w.commit(batch)
	}
}

// commit stores a batch in one transaction. If the transaction fails, each
// message is tried again in a transaction of its own, so that one bad
// message (a duplicate id, a lost race with another process) gets its own
// error and the others are stored.
func (w *writer) commit(batch []*appendReq) {
	// Most batches repeat no stored idempotency key, so the first attempt
	// does not look keys up: the unique index catches a repeat, and the
	// batch is retried with the lookup.
	results, err := w.s.appendBatch(batch, false)
	if err != nil && errors.Is(err, chat.ErrConflict) {
		results, err = w.s.appendBatch(batch, true)
	}
	if err == nil {
		for i, r := range batch {
			r.reply <- results[i]
		}
		return
	}
	if len(batch) == 1 {
		batch[0].reply <- appendResult{err: err}
		return
	}
	for _, r := range batch {
		res, err := w.s.appendBatch([]*appendReq{r}, true)
		if err != nil {
			r.reply <- appendResult{err: err}
			continue
		}
		r.reply <- res[0]
	}
}

// appendBatch appends the messages of batch in one transaction with four
// statements whatever the batch size: find repeated idempotency keys, lock
// and read the conversations' LastSeq, insert the new messages, move the
// conversations on. Results that are errors of one message (an unknown
// conversation) come back in the results; an error of the transaction
// comes back as err.
func (s *Store) appendBatch(batch []*appendReq, lookupKeys bool) ([]appendResult, error) {
	ctx := context.Background()
	results := make([]appendResult, len(batch))
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, dbErr("appending messages", err)
	}
	defer tx.Rollback()

	last, err := s.lockSeqs(ctx, tx, batch)
	if err != nil {
		return nil, err
	}
	var existing map[convKey]chat.Message
	if lookupKeys {
		existing, err = s.existingKeys(ctx, tx, batch)
	}
	if err != nil {
		return nil, err
	}

	inBatch := make(map[convKey]int) // key to the index of its first message here
	var fresh []int
	updated := make(map[uuid.UUID]chat.Message)
	for i, r := range batch {
		m := r.m
		seq, ok := last[m.ConversationID]
		if !ok {
			results[i].err = notFound("conversation", m.ConversationID)
			continue
		}
		if m.IdempotencyKey != "" {
			k := convKey{m.ConversationID, m.IdempotencyKey}
			if old, ok := existing[k]; ok {
				results[i] = appendResult{m: old}
				continue
			}
			if j, ok := inBatch[k]; ok {
				results[i] = appendResult{m: results[j].m}
				continue
			}
			inBatch[k] = i
		}
		m.Seq = seq + 1
		last[m.ConversationID] = m.Seq
		results[i] = appendResult{m: m, created: true}
		fresh = append(fresh, i)
		updated[m.ConversationID] = m
	}
	if len(fresh) == 0 {
		return results, nil
	}
	if err := s.insertMessages(ctx, tx, results, fresh); err != nil {
		return nil, err
	}
	if err := s.moveConversations(ctx, tx, updated); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, dbErr("appending messages", err)
	}
	for i := range results {
		results[i].m.Attachments = slices.Clone(results[i].m.Attachments)
	}
	return results, nil
}

// existingKeys returns the stored messages whose idempotency keys the
// batch repeats.
func (s *Store) existingKeys(ctx context.Context, tx *sql.Tx, batch []*appendReq) (map[convKey]chat.Message, error) {
	out := make(map[convKey]chat.Message)
	var conds []string
	var args []any
	for _, r := range batch {
		if r.m.IdempotencyKey != "" {
			conds = append(conds, "(conversation_id = ? AND idem_key = ?)")
			args = append(args, idBytes(r.m.ConversationID), r.m.IdempotencyKey)
		}
	}
	if len(conds) == 0 {
		return out, nil
	}
	rows, err := tx.QueryContext(ctx, s.q(`SELECT `+messageColumns+` FROM {messages} WHERE `+strings.Join(conds, " OR ")), args...)
	if err != nil {
		return nil, dbErr("looking up idempotency keys", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, dbErr("looking up idempotency keys", err)
		}
		out[convKey{m.ConversationID, m.IdempotencyKey}] = m
	}
	return out, dbErr("looking up idempotency keys", rows.Err())
}

// lockSeqs locks the batch's conversations, in id order so that two
// processes never wait for each other in a cycle, and returns their
// LastSeq. Unknown conversations are missing from the map.
func (s *Store) lockSeqs(ctx context.Context, tx *sql.Tx, batch []*appendReq) (map[uuid.UUID]int64, error) {
	var ids [][]byte
	seen := make(map[uuid.UUID]bool)
	for _, r := range batch {
		if id := r.m.ConversationID; !seen[id] {
			seen[id] = true
			ids = append(ids, idBytes(id))
		}
	}
	slices.SortFunc(ids, bytes.Compare)
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id, last_seq FROM {conversations} WHERE id IN (?`+
		strings.Repeat(", ?", len(ids)-1)+`) ORDER BY id`+s.dialect.forUpdate()), args...)
	if err != nil {
		return nil, dbErr("locking conversations", err)
	}
	defer rows.Close()
	out := make(map[uuid.UUID]int64, len(ids))
	for rows.Next() {
		var raw []byte
		var seq int64
		if err := rows.Scan(&raw, &seq); err != nil {
			return nil, dbErr("locking conversations", err)
		}
		id, err := scanID(raw)
		if err != nil {
			return nil, err
		}
		out[id] = seq
	}
	return out, dbErr("locking conversations", rows.Err())
}

// insertMessages inserts the fresh messages with one multi-row INSERT.
func (s *Store) insertMessages(ctx context.Context, tx *sql.Tx, results []appendResult, fresh []int) error {
	var b strings.Builder
	b.WriteString(`INSERT INTO {messages} (` + messageColumns + `) VALUES `)
	args := make([]any, 0, len(fresh)*10)
	for n, i := range fresh {
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		m := results[i].m
		var attachments any
		if len(m.Attachments) > 0 {
			j, err := json.Marshal(m.Attachments)
			if err != nil {
				return err
			}
			attachments = string(j)
		}
		args = append(args, idBytes(m.ID), idBytes(m.ConversationID), m.Seq, string(m.Author.Kind), m.Author.ID,
			m.Author.Name, m.Body, attachments, nullString(m.IdempotencyKey), m.CreatedAt.UnixMicro())
	}
	_, err := tx.ExecContext(ctx, s.q(b.String()), args...)
	return dbErr("inserting messages", err)
}

// moveConversations sets LastSeq and UpdatedAt of each conversation to
// those of its newest message in the batch, in one UPDATE.
func (s *Store) moveConversations(ctx context.Context, tx *sql.Tx, newest map[uuid.UUID]chat.Message) error {
	var seqCase, atCase, in strings.Builder
	var seqArgs, atArgs, inArgs []any
	for id, m := range newest {
		seqCase.WriteString(" WHEN ? THEN ?")
		seqArgs = append(seqArgs, idBytes(id), m.Seq)
		atCase.WriteString(" WHEN ? THEN ?")
		atArgs = append(atArgs, idBytes(id), m.CreatedAt.UnixMicro())
		if in.Len() > 0 {
			in.WriteString(", ")
		}
		in.WriteString("?")
		inArgs = append(inArgs, idBytes(id))
	}
	cast := ""
	if s.dialect == Postgres {
		cast = "::bigint" // CASE over parameters needs a type on PostgreSQL
	}
	query := `UPDATE {conversations} SET last_seq = CASE id` + strings.ReplaceAll(seqCase.String(), "THEN ?", "THEN ?"+cast) +
		` END, updated_at = CASE id` + strings.ReplaceAll(atCase.String(), "THEN ?", "THEN ?"+cast) +
		` END WHERE id IN (` + in.String() + `)`
	args := append(append(seqArgs, atArgs...), inArgs...)
	_, err := tx.ExecContext(ctx, s.q(query), args...)
	return dbErr("moving conversations on", err)
}

const messageColumns = `id, conversation_id, seq, author_kind, author_id, author_name, body, attachments, idem_key, created_at`

func scanMessage(sc interface{ Scan(...any) error }) (chat.Message, error) {
	var m chat.Message
	var id, conv, authorID, key []byte
	var kind string
	var attachments sql.NullString
	var created int64
	if err := sc.Scan(&id, &conv, &m.Seq, &kind, &authorID, &m.Author.Name, &m.Body, &attachments, &key, &created); err != nil {
		return chat.Message{}, err
	}
	var err error
	if m.ID, err = scanID(id); err != nil {
		return chat.Message{}, err
	}
	if m.ConversationID, err = scanID(conv); err != nil {
		return chat.Message{}, err
	}
	m.Author.Kind, m.Author.ID, m.IdempotencyKey = chat.AuthorKind(kind), string(authorID), string(key)
	m.CreatedAt = fromMicros(sql.NullInt64{Int64: created, Valid: true})
	if attachments.Valid && attachments.String != "" {
		if err := json.Unmarshal([]byte(attachments.String), &m.Attachments); err != nil {
			return chat.Message{}, fmt.Errorf("sqlstore: message %s has damaged attachments: %w", m.ID, err)
		}
	}
	return m, nil
}

// Messages implements chat.Store.
func (s *Store) Messages(ctx context.Context, conversationID uuid.UUID, q chat.MessageQuery) ([]chat.Message, error) {
	if err := check(ctx, q.Validate()); err != nil {
		return nil, err
	}
	limit, _ := chat.CheckLimit(q.Limit)
	query := `SELECT ` + messageColumns + ` FROM {messages} WHERE conversation_id = ? AND seq > ?`
	args := []any{idBytes(conversationID), q.After}
	if q.Before > 0 {
		query += ` AND seq < ?`
		args = append(args, q.Before)
	}
	order := "ASC"
	if q.Latest {
		order = "DESC"
	}
	query += fmt.Sprintf(" ORDER BY seq %s LIMIT %d", order, limit)
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, dbErr("reading messages", err)
	}
	defer rows.Close()
	out := []chat.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, dbErr("reading messages", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("reading messages", err)
	}
	if q.Latest {
		slices.Reverse(out)
	}
	if len(out) == 0 {
		if _, err := s.Conversation(ctx, conversationID); err != nil {
			return nil, err
		}
	}
	return out, nil
}
