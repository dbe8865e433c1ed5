package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

const conversationColumns = `id, visitor_id, department, status, agent_id, created_at, updated_at, assigned_at, closed_at, rating, resolved, last_seq, version, first_assigned_at, first_message_at, first_response_at, offline, advised, handoff`

func scanConversation(sc interface{ Scan(...any) error }) (chat.ConversationInfo, error) {
	var c chat.ConversationInfo
	var id, visitor, agent, department []byte
	var status string
	var created, updated, assigned, closed, resolved, firstAssigned, firstMessage, firstResponse sql.NullInt64
	var offline, advised int64
	var handoff string
	if err := sc.Scan(&id, &visitor, &department, &status, &agent, &created, &updated, &assigned, &closed,
		&c.Rating, &resolved, &c.LastSeq, &c.Version, &firstAssigned, &firstMessage, &firstResponse, &offline, &advised, &handoff); err != nil {
		return chat.ConversationInfo{}, err
	}
	var err error
	if c.ID, err = scanID(id); err != nil {
		return chat.ConversationInfo{}, err
	}
	if c.VisitorID, err = scanID(visitor); err != nil {
		return chat.ConversationInfo{}, err
	}
	c.Department, c.Status, c.AgentID = string(department), chat.Status(status), string(agent)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	c.AssignedAt, c.ClosedAt = fromMicros(assigned), fromMicros(closed)
	c.FirstAssignedAt, c.FirstMessageAt, c.FirstResponseAt = fromMicros(firstAssigned), fromMicros(firstMessage), fromMicros(firstResponse)
	c.Offline = offline != 0
	c.Advised, c.Handoff = advised != 0, chat.HandoffReason(handoff)
	if resolved.Valid {
		r := resolved.Int64 != 0
		c.Resolved = &r
	}
	return c, nil
}

// CreateConversation implements chat.Store.
func (s *Store) CreateConversation(ctx context.Context, c chat.ConversationInfo) (chat.ConversationInfo, error) {
	err := c.Validate()
	if err == nil && (c.Version != 0 || c.LastSeq != 0) {
		err = fmt.Errorf("%w: a new conversation has Version and LastSeq 0", chat.ErrInvalid)
	}
	if err := check(ctx, err); err != nil {
		return chat.ConversationInfo{}, err
	}
	if err := s.lockWrites(ctx); err != nil {
		return chat.ConversationInfo{}, err
	}
	defer s.unlockWrites()
	c = normalize(c)
	c.Version = 1
	_, err = s.exec(ctx, `INSERT INTO {conversations} (`+conversationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		idBytes(c.ID), idBytes(c.VisitorID), c.Department, string(c.Status), c.AgentID,
		micros(c.CreatedAt), micros(c.UpdatedAt), micros(c.AssignedAt), micros(c.ClosedAt),
		c.Rating, boolValue(c.Resolved), 0, 1, micros(c.FirstAssignedAt), micros(c.FirstMessageAt), micros(c.FirstResponseAt), flag(c.Offline),
		flag(c.Advised), string(c.Handoff))
	if err != nil {
		return chat.ConversationInfo{}, s.dbErr("creating conversation "+c.ID.String(), err)
	}
	return c, nil
}

// normalize returns c with its times as stored and its own *bool.
func normalize(c chat.ConversationInfo) chat.ConversationInfo {
	c.CreatedAt = chat.Timestamp(c.CreatedAt)
	c.UpdatedAt = chat.Timestamp(c.UpdatedAt)
	c.AssignedAt = chat.Timestamp(c.AssignedAt)
	c.ClosedAt = chat.Timestamp(c.ClosedAt)
	c.FirstAssignedAt = chat.Timestamp(c.FirstAssignedAt)
	c.FirstMessageAt = chat.Timestamp(c.FirstMessageAt)
	c.FirstResponseAt = chat.Timestamp(c.FirstResponseAt)
	if c.Resolved != nil {
		r := *c.Resolved
		c.Resolved = &r
	}
	return c
}

// Conversation implements chat.Store.
func (s *Store) Conversation(ctx context.Context, id uuid.UUID) (chat.ConversationInfo, error) {
	if err := ctx.Err(); err != nil {
		return chat.ConversationInfo{}, err
	}
	return s.conversation(ctx, nil, id)
}

const selectConversation = `SELECT ` + conversationColumns + ` FROM {conversations} WHERE id = ?`

// conversation reads a conversation, in tx if it is not nil.
func (s *Store) conversation(ctx context.Context, tx *sql.Tx, id uuid.UUID) (chat.ConversationInfo, error) {
	var row *sql.Row
	if tx == nil {
		row = s.queryRow(ctx, selectConversation, idBytes(id))
	} else {
		row = s.txQueryRow(ctx, tx, selectConversation, idBytes(id))
	}
	c, err := scanConversation(row)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.ConversationInfo{}, notFound("conversation", id)
	}
	return c, s.dbErr("reading a conversation", err)
}

// UpdateConversation implements chat.Store.
func (s *Store) UpdateConversation(ctx context.Context, c chat.ConversationInfo) (chat.ConversationInfo, error) {
	if err := check(ctx, c.Validate()); err != nil {
		return chat.ConversationInfo{}, err
	}
	if err := s.lockWrites(ctx); err != nil {
		return chat.ConversationInfo{}, err
	}
	defer s.unlockWrites()
	c = normalize(c)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return chat.ConversationInfo{}, s.dbErr("updating a conversation", err)
	}
	defer tx.Rollback()
	stored, err := s.updateConversation(ctx, tx, c)
	if err != nil {
		return chat.ConversationInfo{}, err
	}
	if err := tx.Commit(); err != nil {
		return chat.ConversationInfo{}, s.dbErr("updating a conversation", err)
	}
	return stored, nil
}

// updateConversation writes the valid, normalized c in tx and returns it
// as stored. The UPDATE leaves last_seq alone and checks the Version in
// its WHERE clause, so it never undoes an append and never overwrites a
// change it did not see. The read in the same transaction returns what was
// stored, or tells an unknown id from a stale Version.
func (s *Store) updateConversation(ctx context.Context, tx *sql.Tx, c chat.ConversationInfo) (chat.ConversationInfo, error) {
	res, err := s.txExec(ctx, tx, `UPDATE {conversations} SET department = ?, status = ?, agent_id = ?, updated_at = ?,
		assigned_at = ?, closed_at = ?, rating = ?, resolved = ?, first_assigned_at = ?, first_message_at = ?,
		first_response_at = ?, offline = ?, advised = ?, handoff = ?, version = version + 1 WHERE id = ? AND version = ?`,
		c.Department, string(c.Status), c.AgentID, micros(c.UpdatedAt), micros(c.AssignedAt), micros(c.ClosedAt),
		c.Rating, boolValue(c.Resolved), micros(c.FirstAssignedAt), micros(c.FirstMessageAt), micros(c.FirstResponseAt),
		flag(c.Offline), flag(c.Advised), string(c.Handoff), idBytes(c.ID), c.Version)
	if err != nil {
		return chat.ConversationInfo{}, s.dbErr("updating a conversation", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return chat.ConversationInfo{}, s.dbErr("updating a conversation", err)
	}
	stored, err := s.conversation(ctx, tx, c.ID)
	if err != nil {
		return chat.ConversationInfo{}, err
	}
	if n == 0 {
		return chat.ConversationInfo{}, fmt.Errorf("%w: conversation %s is at version %d, not %d", chat.ErrConflict, c.ID, stored.Version, c.Version)
	}
	return stored, nil
}

// AssignConversation implements chat.Store. One transaction locks the
// agent's row (SQLite: takes the database's write lock, which BEGIN
// IMMEDIATE holds from the start), counts the agent's other open
// conversations and updates c, so that an assignment in another
// transaction waits for the lock and then counts this one. MySQL reads at
// READ COMMITTED here, so that the count reads the latest committed rows
// rather than a snapshot that could predate the lock.
func (s *Store) AssignConversation(ctx context.Context, c chat.ConversationInfo, capacity int) (chat.ConversationInfo, error) {
	if err := check(ctx, chat.CheckAssign(c, capacity)); err != nil {
		return chat.ConversationInfo{}, err
	}
	if err := s.lockWrites(ctx); err != nil {
		return chat.ConversationInfo{}, err
	}
	defer s.unlockWrites()
	c = normalize(c)
	var opts *sql.TxOptions
	if s.dialect == mysql {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return chat.ConversationInfo{}, s.dbErr("assigning a conversation", err)
	}
	defer tx.Rollback()
	var agent []byte
	err = s.txQueryRow(ctx, tx, `SELECT id FROM {agents} WHERE id = ?`+s.dialect.forUpdate(), c.AgentID).Scan(&agent)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.ConversationInfo{}, notFound("agent", fmt.Sprintf("%.64q", c.AgentID))
	}
	if err != nil {
		return chat.ConversationInfo{}, s.dbErr("assigning a conversation", err)
	}
	if capacity > 0 {
		var n int
		err := s.txQueryRow(ctx, tx, `SELECT COUNT(*) FROM {conversations} WHERE agent_id = ? AND status = ? AND id <> ?`,
			c.AgentID, string(chat.StatusOpen), idBytes(c.ID)).Scan(&n)
		if err != nil {
			return chat.ConversationInfo{}, s.dbErr("assigning a conversation", err)
		}
		if n >= capacity {
			return chat.ConversationInfo{}, fmt.Errorf("%w: agent %.64q has %d open conversations, their capacity", chat.ErrAgentBusy, c.AgentID, n)
		}
	}
	stored, err := s.updateConversation(ctx, tx, c)
	if err != nil {
		return chat.ConversationInfo{}, err
	}
	if err := tx.Commit(); err != nil {
		return chat.ConversationInfo{}, s.dbErr("assigning a conversation", err)
	}
	return stored, nil
}

// agentLoadsBatch is how many agents one AgentLoads query reads.
const agentLoadsBatch = 256

// AgentLoads implements chat.Store. One query per 256 agents reads, for
// each agent, the count of their open conversations and their latest
// assignment, each from an index on (agent_id, status) or (agent_id,
// assigned_at), so the cost does not grow with an agent's history.
func (s *Store) AgentLoads(ctx context.Context, ids []string) ([]chat.AgentLoad, error) {
	if err := check(ctx, nil); err != nil {
		return nil, err
	}
	found := make(map[string]chat.AgentLoad, len(ids))
	for batch := range slices.Chunk(ids, agentLoadsBatch) {
		query := `SELECT a.id,
			(SELECT COUNT(*) FROM {conversations} c WHERE c.agent_id = a.id AND c.status = ?),
			(SELECT MAX(c.assigned_at) FROM {conversations} c WHERE c.agent_id = a.id)
			FROM {agents} a WHERE a.id IN (?` + strings.Repeat(", ?", len(batch)-1) + `)`
		args := []any{string(chat.StatusOpen)}
		for _, id := range batch {
			args = append(args, id)
		}
		if err := s.readAgentLoads(ctx, query, args, found); err != nil {
			return nil, err
		}
	}
	out := make([]chat.AgentLoad, len(ids))
	for i, id := range ids {
		out[i] = found[id]
		out[i].AgentID = id
	}
	return out, nil
}

// readAgentLoads runs one AgentLoads query and adds its rows to found.
func (s *Store) readAgentLoads(ctx context.Context, query string, args []any, found map[string]chat.AgentLoad) error {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return s.dbErr("reading agent loads", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id []byte
		var l chat.AgentLoad
		var last sql.NullInt64
		if err := rows.Scan(&id, &l.Open, &last); err != nil {
			return s.dbErr("reading agent loads", err)
		}
		l.LastAssignedAt = fromMicros(last)
		found[string(id)] = l
	}
	return s.dbErr("reading agent loads", rows.Err())
}

// Conversations implements chat.Store.
func (s *Store) Conversations(ctx context.Context, f chat.ConversationFilter) ([]chat.ConversationInfo, error) {
	if err := check(ctx, f.Validate()); err != nil {
		return nil, err
	}
	query, args := conversationsQuery(f, nil, nil)
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, s.dbErr("listing conversations", err)
	}
	defer rows.Close()
	out := []chat.ConversationInfo{}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, s.dbErr("listing conversations", err)
		}
		out = append(out, c)
	}
	return out, s.dbErr("listing conversations", rows.Err())
}

// conversationsQuery returns the query of a valid filter and its
// arguments, after the conditions where with their arguments args. The
// order and the cursor follow the indexes, which all end
// in (created_at, id); the cursor is written as a range on created_at and
// a test on id, which every dialect's planner turns into an index range.
func conversationsQuery(f chat.ConversationFilter, where []string, args []any) (string, []any) {
	limit, _ := chat.CheckLimit(f.Limit)
	if len(f.Statuses) > 0 {
		where = append(where, "status IN (?"+strings.Repeat(", ?", len(f.Statuses)-1)+")")
		for _, st := range f.Statuses {
			args = append(args, string(st))
		}
	}
	if f.AgentID != "" {
		where = append(where, "agent_id = ?")
		args = append(args, f.AgentID)
	}
	if f.VisitorID != uuid.Nil {
		where = append(where, "visitor_id = ?")
		args = append(args, idBytes(f.VisitorID))
	}
	if !f.CreatedFrom.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, f.CreatedFrom.UnixMicro())
	}
	if !f.CreatedBefore.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, f.CreatedBefore.UnixMicro())
	}
	order, cmp, strict := " ORDER BY created_at, id", ">", ">="
	if f.Newest {
		order, cmp, strict = " ORDER BY created_at DESC, id DESC", "<", "<="
	}
	if !f.After.IsZero() {
		at := f.After.CreatedAt.UnixMicro()
		where = append(where, "created_at "+strict+" ? AND (created_at "+cmp+" ? OR id "+cmp+" ?)")
		args = append(args, at, at, idBytes(f.After.ID))
	}
	query := `SELECT ` + conversationColumns + ` FROM {conversations}`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	return query + order + " LIMIT ?", append(args, limit)
}

// flag stores a bool as 0 or 1, the same in every dialect.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}
