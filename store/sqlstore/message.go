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
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// Appends go through writers: each AppendMessage hands its message to the
// writer that owns the conversation and waits. A writer takes every
// message waiting for it and commits them in one transaction, then answers
// each caller. That is a group commit: under load, one commit (one fsync)
// serves many messages, and no caller is answered before its message is
// durable.
//
// A batch costs a fixed number of statements whatever its size, and every
// statement has one of a few fixed shapes (PostgreSQL binds arrays;
// SQLite and MySQL pad lists to a power of two and insert in power-of-two
// chunks), so each is prepared once per connection and reused.

// Request states. A request is pending until the writer takes it into a
// batch or the caller abandons it because its context ended first.
const (
	reqPending int32 = iota
	reqTaken
	reqAbandoned
)

type appendReq struct {
	m     chat.Message
	state atomic.Int32
	reply chan appendResult
}

type appendResult struct {
	m       chat.Message
	created bool
	err     error
}

type writer struct {
	s       *Store
	reqs    chan *appendReq
	max     int
	replies chan answered // batches whose answers the writer's replier sends
}

// answered is a committed (or failed) batch with its results.
type answered struct {
	batch   []*appendReq
	results []appendResult
}

// convKey is an idempotency key within its conversation.
type convKey struct {
	id  uuid.UUID
	key string
}

// AppendMessage implements chat.Store. The message is committed together
// with whatever other appends are waiting, and AppendMessage returns only
// after the commit. If ctx ends before a writer has taken the message,
// AppendMessage returns ctx's error and the message is not stored; once
// taken, it waits for the commit.
func (s *Store) AppendMessage(ctx context.Context, m chat.Message) (chat.Message, bool, error) {
	if err := check(ctx, m.Validate()); err != nil {
		return chat.Message{}, false, err
	}
	m.CreatedAt = chat.Timestamp(m.CreatedAt)
	m.Attachments = slices.Clone(m.Attachments)
	cloneRich(&m)
	req := &appendReq{m: m, reply: make(chan appendResult, 1)}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return chat.Message{}, false, fmt.Errorf("%w: sqlstore: the store is closed", chat.ErrClosed)
	}
	w := s.writers[maphash.Bytes(s.seed, m.ConversationID[:])%uint64(len(s.writers))]
	select {
	case w.reqs <- req:
		s.closeMu.RUnlock()
	case <-ctx.Done():
		s.closeMu.RUnlock()
		return chat.Message{}, false, ctx.Err()
	}
	select {
	case r := <-req.reply:
		return r.m, r.created, r.err
	case <-ctx.Done():
		if req.state.CompareAndSwap(reqPending, reqAbandoned) {
			return chat.Message{}, false, ctx.Err()
		}
		// Taken into a batch: the message is committed or fails whatever
		// happens to ctx, so the caller learns which.
		r := <-req.reply
		return r.m, r.created, r.err
	}
}

func (w *writer) run() {
	defer w.s.wg.Done()
	defer close(w.replies)
	var batch []*appendReq
	take := func(r *appendReq) {
		if r.state.CompareAndSwap(reqPending, reqTaken) {
			batch = append(batch, r)
		}
	}
	for first := range w.reqs {
		batch = make([]*appendReq, 0, min(w.max, 2*len(w.reqs)+1))
		take(first)
	more:
		for len(batch) < w.max {
			select {
			case r, ok := <-w.reqs:
				if !ok {
					break more
				}
				take(r)
			default:
				break more
			}
		}
		if len(batch) > 0 {
			w.commit(batch)
		}
	}
}

// reply answers the callers of each batch the writer has finished, so that
// waking them up does not hold up the next batch.
func (w *writer) reply() {
	defer w.s.wg.Done()
	for a := range w.replies {
		for i, r := range a.batch {
			r.reply <- a.results[i]
		}
	}
}

// commit stores a batch in one transaction and answers every request. If
// the transaction fails, each message is tried again in a transaction of
// its own, so that one bad message (a duplicate id, a lost race with
// another process) gets its own error and the others are stored.
func (w *writer) commit(batch []*appendReq) {
	_ = w.s.lockWrites(context.Background()) // a background context never ends
	defer w.s.unlockWritesN(len(batch))
	// Most batches repeat no stored idempotency key, so the first attempt
	// does not look keys up: the unique index catches a repeat, and the
	// batch is retried with the lookup.
	var results []appendResult
	var err error
	switch w.s.dialect {
	case sqlite:
		results, err = w.s.appendBatchSQLite(batch)
	case postgres:
		results, err = w.s.appendBatchPostgres(batch)
	default:
		results, err = w.s.appendBatch(batch, false)
	}
	if err != nil && errors.Is(err, chat.ErrConflict) {
		results, err = w.s.appendBatch(batch, true)
	}
	if err == nil {
		w.replies <- answered{batch, results}
		return
	}
	if len(batch) == 1 {
		batch[0].reply <- appendResult{err: err}
		return
	}
	w.s.log.Warn("sqlstore: a batch of appends failed; retrying them one by one", "messages", len(batch), "err", err)
	for _, r := range batch {
		res, err := w.s.appendBatch([]*appendReq{r}, true)
		if err != nil {
			r.reply <- appendResult{err: err}
			continue
		}
		r.reply <- res[0]
	}
}

// appendBatch appends the messages of batch in one transaction: lock the
// conversations and read their LastSeq, optionally look up repeated
// idempotency keys, insert the new messages, move the conversations on.
// Errors of one message (an unknown conversation) come back in the
// results; an error of the transaction comes back as err.
func (s *Store) appendBatch(batch []*appendReq, lookupKeys bool) ([]appendResult, error) {
	ctx := context.Background()
	results := make([]appendResult, len(batch))
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.dbErr("appending messages", err)
	}
	defer tx.Rollback()

	ids := make([]uuid.UUID, 0, len(batch))
	for _, r := range batch {
		ids = append(ids, r.m.ConversationID)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	ids = slices.Compact(ids)
	last, err := s.lockConversations(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	var existing map[convKey]chat.Message
	if lookupKeys {
		if existing, err = s.existingKeys(ctx, tx, batch); err != nil {
			return nil, err
		}
	}

	var inBatch map[convKey]int // key to the index of its first message here
	fresh := make([]chat.Message, 0, len(batch))
	newest := make(map[uuid.UUID]int, len(ids)) // conversation to its newest message in fresh
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
				results[i].m.Attachments = slices.Clone(results[i].m.Attachments)
				cloneRich(&results[i].m)
				continue
			}
			if inBatch == nil {
				inBatch = make(map[convKey]int)
			}
			inBatch[k] = i
		}
		m.Seq = seq + 1
		last[m.ConversationID] = m.Seq
		results[i] = appendResult{m: m, created: true}
		newest[m.ConversationID] = len(fresh)
		fresh = append(fresh, m)
	}
	if len(fresh) == 0 {
		return results, nil
	}
	if err := s.insertMessages(ctx, tx, fresh); err != nil {
		return nil, err
	}
	moved := make([]chat.Message, 0, len(newest))
	for _, id := range ids {
		if i, ok := newest[id]; ok {
			moved = append(moved, fresh[i])
		}
	}
	if err := s.moveConversations(ctx, tx, moved); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, s.dbErr("appending messages", err)
	}
	return results, nil
}

// appendBatchSQLite is the first attempt at a batch on SQLite, in two
// statements. One UPDATE takes the database's write lock, moves each
// conversation's LastSeq on by its number of new messages and UpdatedAt to
// its newest message, and returns the new LastSeq, from which the messages
// get their Seq; one INSERT stores them. Idempotency keys repeated within
// the batch are found here; a key already stored makes the INSERT fail with
// ErrConflict, and the second attempt (appendBatch) looks keys up.
func (s *Store) appendBatchSQLite(batch []*appendReq) ([]appendResult, error) {
	ctx := context.Background()
	plan := planBatch(batch)
	type move struct{ n, at int64 } // new messages, time of the newest
	moves := make(map[uuid.UUID]*move)
	var order []uuid.UUID
	for _, i := range plan.fresh {
		m := batch[i].m
		mv := moves[m.ConversationID]
		if mv == nil {
			mv = &move{}
			moves[m.ConversationID] = mv
			order = append(order, m.ConversationID)
		}
		mv.n++
		mv.at = m.CreatedAt.UnixMicro()
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.dbErr("appending messages", err)
	}
	defer tx.Rollback()
	n := bucket(len(order))
	st, err := s.stmt(ctx, `UPDATE {conversations} SET last_seq = last_seq + v.column2, updated_at = v.column3 FROM (VALUES `+
		placeholders("(?, ?, ?)", n)+`) AS v WHERE {conversations}.id = v.column1 RETURNING id, last_seq`)
	if err != nil {
		return nil, err
	}
	args := make([]any, 0, 3*n)
	for i := range n {
		// Padding repeats the last row; SQLite updates a row once even when
		// it matches several.
		id := order[min(i, len(order)-1)]
		args = append(args, idBytes(id), moves[id].n, moves[id].at)
	}
	prev, err := scanSeqs(tx.StmtContext(ctx, st).QueryContext(ctx, args...))
	if err != nil {
		return nil, s.dbErr("moving conversations on", err)
	}
	for id, last := range prev {
		prev[id] = last - moves[id].n // the Seq before this batch's first message
	}

	results := make([]appendResult, len(batch))
	fresh := make([]chat.Message, 0, len(plan.fresh))
	for _, i := range plan.fresh {
		m := batch[i].m
		seq, ok := prev[m.ConversationID]
		if !ok {
			results[i].err = notFound("conversation", m.ConversationID)
			continue
		}
		m.Seq = seq + 1
		prev[m.ConversationID] = m.Seq
		results[i] = appendResult{m: m, created: true}
		fresh = append(fresh, m)
	}
	plan.answerRepeats(results)
	if len(fresh) > 0 {
		if err := s.insertMessages(ctx, tx, fresh); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, s.dbErr("appending messages", err)
	}
	return results, nil
}

// scanSeqs reads rows of conversation ids and sequence numbers.
func scanSeqs(rows *sql.Rows, err error) (map[uuid.UUID]int64, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[uuid.UUID]int64)
	for rows.Next() {
		var raw []byte
		var seq int64
		if err := rows.Scan(&raw, &seq); err != nil {
			return nil, err
		}
		id, err := scanID(raw)
		if err != nil {
			return nil, err
		}
		out[id] = seq
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, rows.Close()
}

// batchPlan splits a batch into the messages to insert and the repeats of
// an idempotency key within the batch.
type batchPlan struct {
	fresh   []int // indexes in the batch of the messages to insert
	repeats []int // for each message, the index of the first with its key, or -1
}

func planBatch(batch []*appendReq) batchPlan {
	p := batchPlan{fresh: make([]int, 0, len(batch)), repeats: make([]int, len(batch))}
	var first map[convKey]int
	for i, r := range batch {
		p.repeats[i] = -1
		if r.m.IdempotencyKey != "" {
			k := convKey{r.m.ConversationID, r.m.IdempotencyKey}
			if j, ok := first[k]; ok {
				p.repeats[i] = j
				continue
			}
			if first == nil {
				first = make(map[convKey]int)
			}
			first[k] = i
		}
		p.fresh = append(p.fresh, i)
	}
	return p
}

// answerRepeats gives each repeat of a key the answer of its first message,
// as not created.
func (p batchPlan) answerRepeats(results []appendResult) {
	for i, j := range p.repeats {
		if j >= 0 {
			results[i] = appendResult{m: results[j].m, err: results[j].err}
			results[i].m.Attachments = slices.Clone(results[i].m.Attachments)
			cloneRich(&results[i].m)
		}
	}
}

// appendBatchPostgres is the first attempt at a batch on PostgreSQL: one
// statement, committed on its own, so the batch costs one round trip. It
// locks the conversations in id order, numbers the messages on from each
// conversation's LastSeq, inserts them and moves the conversations on.
// Idempotency keys repeated within the batch are found here; a key already
// stored makes the statement fail with ErrConflict, and the second attempt
// (appendBatch) looks keys up.
func (s *Store) appendBatchPostgres(batch []*appendReq) ([]appendResult, error) {
	ctx := context.Background()
	plan := planBatch(batch)
	n := len(plan.fresh)
	convs := make([][]byte, 0, n)
	ids, kinds, authors, names, bodies := make([][]byte, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	msgConvs, attachments, keys, created := make([][]byte, n), make([]*string, n), make([]*string, n), make([]int64, n)
	internal, rich := make([]int16, n), make([]*string, n)
	for k, i := range plan.fresh {
		row, err := messageRow(batch[i].m)
		if err != nil {
			return nil, err
		}
		ids[k], msgConvs[k], kinds[k], authors[k] = row[0].([]byte), row[1].([]byte), row[3].(string), row[4].(string)
		names[k], bodies[k], attachments[k], keys[k], created[k] = row[5].(string), row[6].(string), row[7].(*string), row[8].(*string), row[9].(int64)
		internal[k], rich[k] = int16(row[10].(int)), row[11].(*string)
		convs = append(convs, msgConvs[k])
	}
	slices.SortFunc(convs, bytes.Compare)
	convs = slices.CompactFunc(convs, bytes.Equal)
	rows, err := s.db.QueryContext(ctx, s.sql(`WITH locked AS MATERIALIZED (
			SELECT id, last_seq FROM {conversations} WHERE id = ANY(?::bytea[]) ORDER BY id FOR UPDATE
		), m AS (
			SELECT * FROM unnest(?::bytea[], ?::bytea[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::smallint[], ?::text[])
				WITH ORDINALITY AS m(id, conversation_id, author_kind, author_id, author_name, body, attachments, idem_key, created_at, internal, rich, ord)
		), numbered AS MATERIALIZED (
			SELECT m.*, l.last_seq + row_number() OVER (PARTITION BY m.conversation_id ORDER BY m.ord) AS seq
			FROM m JOIN locked AS l ON l.id = m.conversation_id
		), ins AS (
			INSERT INTO {messages} (`+messageColumns+`)
			SELECT id, conversation_id, seq, author_kind, author_id, author_name, body, attachments, idem_key, created_at, internal, rich FROM numbered
		), upd AS (
			UPDATE {conversations} AS c SET last_seq = n.seq, updated_at = n.created_at
			FROM (SELECT DISTINCT ON (conversation_id) conversation_id, seq, created_at FROM numbered ORDER BY conversation_id, seq DESC) AS n
			WHERE c.id = n.conversation_id
		)
		SELECT ord, seq FROM numbered`),
		convs, ids, msgConvs, kinds, authors, names, bodies, attachments, keys, created, internal, rich)
	if err != nil {
		return nil, s.dbErr("appending messages", err)
	}
	defer rows.Close()
	results := make([]appendResult, len(batch))
	for _, i := range plan.fresh {
		results[i].err = notFound("conversation", batch[i].m.ConversationID)
	}
	for rows.Next() {
		var ord, seq int64
		if err := rows.Scan(&ord, &seq); err != nil {
			return nil, s.dbErr("appending messages", err)
		}
		if ord < 1 || ord > int64(n) {
			return nil, fmt.Errorf("sqlstore: appending messages: the database returned row %d of %d", ord, n)
		}
		i := plan.fresh[ord-1]
		m := batch[i].m
		m.Seq = seq
		results[i] = appendResult{m: m, created: true}
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbErr("appending messages", err)
	}
	if err := rows.Close(); err != nil {
		return nil, s.dbErr("appending messages", err)
	}
	plan.answerRepeats(results)
	return results, nil
}

// bucket returns the smallest power of two that is at least n, so that a
// list of n values padded to it uses one of a few prepared statements.
func bucket(n int) int {
	b := 1
	for b < n {
		b <<= 1
	}
	return b
}

// placeholders returns n comma-separated copies of group.
func placeholders(group string, n int) string {
	return strings.TrimSuffix(strings.Repeat(group+", ", n), ", ")
}

// lockConversations locks the conversations (sorted by id, so that two
// processes never wait for each other in a cycle) and returns their
// LastSeq. Unknown conversations are missing from the map.
func (s *Store) lockConversations(ctx context.Context, tx *sql.Tx, ids []uuid.UUID) (map[uuid.UUID]int64, error) {
	var rows *sql.Rows
	var err error
	switch s.dialect {
	case postgres:
		arg := make([][]byte, len(ids))
		for i := range ids {
			arg[i] = ids[i][:]
		}
		rows, err = tx.QueryContext(ctx, s.sql(`SELECT id, last_seq FROM {conversations} WHERE id = ANY(?::bytea[]) ORDER BY id FOR UPDATE`), arg)
	default:
		// SQLite: an UPDATE that changes nothing takes the database's write
		// lock at once (a transaction that reads first could not upgrade
		// after another connection's commit) and reads LastSeq.
		query := `SELECT id, last_seq FROM {conversations} WHERE id IN (%s) ORDER BY id FOR UPDATE`
		if s.dialect == sqlite {
			query = `UPDATE {conversations} SET last_seq = last_seq WHERE id IN (%s) RETURNING id, last_seq`
		}
		n := bucket(len(ids))
		args := make([]any, n)
		for i := range n {
			args[i] = idBytes(ids[min(i, len(ids)-1)])
		}
		var st *sql.Stmt
		if st, err = s.stmt(ctx, fmt.Sprintf(query, placeholders("?", n))); err != nil {
			return nil, err
		}
		rows, err = tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	out, err := scanSeqs(rows, err)
	return out, s.dbErr("locking conversations", err)
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
		return nil, s.dbErr("looking up idempotency keys", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, s.dbErr("looking up idempotency keys", err)
		}
		out[convKey{m.ConversationID, m.IdempotencyKey}] = m
	}
	return out, s.dbErr("looking up idempotency keys", rows.Err())
}

// messageRow returns the stored form of m's columns, in messageColumns
// order. Attachments, the idempotency key and the rich content (a card and
// quick replies, as JSON) are NULL when empty.
func messageRow(m chat.Message) ([12]any, error) {
	var attachments, key, rich *string
	if len(m.Attachments) > 0 {
		j, err := json.Marshal(m.Attachments)
		if err != nil {
			return [12]any{}, err
		}
		a := string(j)
		attachments = &a
	}
	if m.Card != nil || len(m.QuickReplies) > 0 {
		j, err := json.Marshal(richContent{Card: m.Card, QuickReplies: m.QuickReplies})
		if err != nil {
			return [12]any{}, err
		}
		r := string(j)
		rich = &r
	}
	if m.IdempotencyKey != "" {
		key = &m.IdempotencyKey
	}
	return [12]any{idBytes(m.ID), idBytes(m.ConversationID), m.Seq, string(m.Author.Kind), m.Author.ID,
		m.Author.Name, m.Body, attachments, key, m.CreatedAt.UnixMicro(), flag(m.Internal), rich}, nil
}

// richContent is the stored form of a message's card and quick replies.
type richContent struct {
	Card         *chat.ProductCard `json:"card,omitempty"`
	QuickReplies []string          `json:"quick_replies,omitempty"`
}

// insertMessages inserts the messages: on PostgreSQL with one INSERT of
// arrays, elsewhere with multi-row INSERTs of power-of-two sizes.
func (s *Store) insertMessages(ctx context.Context, tx *sql.Tx, ms []chat.Message) error {
	rows := make([][12]any, len(ms))
	for i, m := range ms {
		r, err := messageRow(m)
		if err != nil {
			return err
		}
		rows[i] = r
	}
	if s.dialect == postgres {
		cols := make([]any, 12)
		ids, convs := make([][]byte, len(rows)), make([][]byte, len(rows))
		seqs, created := make([]int64, len(rows)), make([]int64, len(rows))
		kinds, authors, names, bodies := make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows))
		attachments, keys, internal, rich := make([]*string, len(rows)), make([]*string, len(rows)), make([]int16, len(rows)), make([]*string, len(rows))
		for i, r := range rows {
			ids[i], convs[i], seqs[i], kinds[i], authors[i] = r[0].([]byte), r[1].([]byte), r[2].(int64), r[3].(string), r[4].(string)
			names[i], bodies[i], attachments[i], keys[i], created[i] = r[5].(string), r[6].(string), r[7].(*string), r[8].(*string), r[9].(int64)
			internal[i], rich[i] = int16(r[10].(int)), r[11].(*string)
		}
		cols[0], cols[1], cols[2], cols[3], cols[4] = ids, convs, seqs, kinds, authors
		cols[5], cols[6], cols[7], cols[8], cols[9], cols[10], cols[11] = names, bodies, attachments, keys, created, internal, rich
		_, err := tx.ExecContext(ctx, s.sql(`INSERT INTO {messages} (`+messageColumns+`) SELECT * FROM unnest(
			?::bytea[], ?::bytea[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::smallint[], ?::text[])`), cols...)
		return s.dbErr("inserting messages", err)
	}
	for len(rows) > 0 {
		n := 1
		for n*2 <= len(rows) && n*2 <= maxInsertRows {
			n *= 2
		}
		st, err := s.stmt(ctx, `INSERT INTO {messages} (`+messageColumns+`) VALUES `+placeholders("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", n))
		if err != nil {
			return err
		}
		args := make([]any, 0, n*12)
		for _, r := range rows[:n] {
			args = append(args, r[:]...)
		}
		if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, args...); err != nil {
			return s.dbErr("inserting messages", err)
		}
		rows = rows[n:]
	}
	return nil
}

// maxInsertRows caps one multi-row INSERT: 64 rows of 12 values stay well
// under every database's limit on bound parameters.
const maxInsertRows = 64

// moveConversations sets LastSeq and UpdatedAt of each conversation to
// those of its newest message in the batch, in one UPDATE. It touches
// nothing else, so a concurrent UpdateConversation keeps its Version.
func (s *Store) moveConversations(ctx context.Context, tx *sql.Tx, newest []chat.Message) error {
	if s.dialect == postgres {
		ids, seqs, ats := make([][]byte, len(newest)), make([]int64, len(newest)), make([]int64, len(newest))
		for i, m := range newest {
			ids[i], seqs[i], ats[i] = idBytes(m.ConversationID), m.Seq, m.CreatedAt.UnixMicro()
		}
		_, err := tx.ExecContext(ctx, s.sql(`UPDATE {conversations} AS c SET last_seq = v.seq, updated_at = v.at
			FROM unnest(?::bytea[], ?::bigint[], ?::bigint[]) AS v(id, seq, at) WHERE c.id = v.id`), ids, seqs, ats)
		return s.dbErr("moving conversations on", err)
	}
	n := bucket(len(newest))
	var query string
	if s.dialect == sqlite {
		query = `UPDATE {conversations} SET last_seq = v.column2, updated_at = v.column3 FROM (VALUES ` +
			placeholders("(?, ?, ?)", n) + `) AS v WHERE {conversations}.id = v.column1`
	} else {
		query = `UPDATE {conversations} AS c JOIN (SELECT CAST(? AS BINARY(16)) AS id, CAST(? AS SIGNED) AS seq, CAST(? AS SIGNED) AS at` + strings.Repeat(" UNION ALL SELECT ?, ?, ?", n-1) +
			`) AS v ON c.id = v.id SET c.last_seq = v.seq, c.updated_at = v.at`
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return err
	}
	args := make([]any, 0, n*3)
	for i := range n {
		m := newest[min(i, len(newest)-1)] // padding repeats the last row
		args = append(args, idBytes(m.ConversationID), m.Seq, m.CreatedAt.UnixMicro())
	}
	_, err = tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	return s.dbErr("moving conversations on", err)
}

const messageColumns = `id, conversation_id, seq, author_kind, author_id, author_name, body, attachments, idem_key, created_at, internal, rich`

func scanMessage(sc interface{ Scan(...any) error }) (chat.Message, error) {
	var m chat.Message
	var id, conv, authorID, key []byte
	var kind string
	var attachments, rich sql.NullString
	var created, internal int64
	if err := sc.Scan(&id, &conv, &m.Seq, &kind, &authorID, &m.Author.Name, &m.Body, &attachments, &key, &created, &internal, &rich); err != nil {
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
	m.Internal = internal != 0
	if attachments.Valid && attachments.String != "" {
		if err := json.Unmarshal([]byte(attachments.String), &m.Attachments); err != nil {
			return chat.Message{}, fmt.Errorf("sqlstore: message %s has damaged attachments: %w", m.ID, err)
		}
	}
	if rich.Valid && rich.String != "" {
		var rc richContent
		if err := json.Unmarshal([]byte(rich.String), &rc); err != nil {
			return chat.Message{}, fmt.Errorf("sqlstore: message %s has damaged rich content: %w", m.ID, err)
		}
		m.Card, m.QuickReplies = rc.Card, rc.QuickReplies
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
	if q.Latest {
		query += ` ORDER BY seq DESC LIMIT ?`
	} else {
		query += ` ORDER BY seq LIMIT ?`
	}
	args = append(args, limit)
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, s.dbErr("reading messages", err)
	}
	defer rows.Close()
	out := make([]chat.Message, 0, min(limit, 64))
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, s.dbErr("reading messages", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbErr("reading messages", err)
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

// cloneRich gives m its own copy of its card and quick replies, so that
// the caller's and the store's messages share nothing.
func cloneRich(m *chat.Message) {
	if m.Card != nil {
		c := *m.Card
		m.Card = &c
	}
	m.QuickReplies = slices.Clone(m.QuickReplies)
}
