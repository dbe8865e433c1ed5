package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// Store is a chat.Store that keeps everything in memory. The zero value is
// not usable; call New.
type Store struct {
	mu            sync.RWMutex
	visitors      map[uuid.UUID]chat.Visitor
	agents        map[string]chat.Agent
	conversations map[uuid.UUID]*conversation
	messageIDs    map[uuid.UUID]struct{}
	pageViews     map[uuid.UUID][]chat.PageView // by visitor, sorted by At, ID
	pageViewIDs   map[uuid.UUID]struct{}
	blocks        blockTable
	email         emailState                      // guarded by mu
	leases        map[string]map[string]time.Time // agent id to holder to end; made on first use
	jobs          map[string]jobLease             // by job; made on first use
	replyNotices  map[uuid.UUID]chat.ReplyNotice  // by conversation; made on first use
	visitTable                                    // guarded by mu
	outbox        map[uuid.UUID]outboxEntry       // by item id; made on first use
	customers     map[string]uuid.UUID            // customer id to visitor id; made on first use
}

// conversation is a stored conversation with its transcript.
type conversation struct {
	info     chat.ConversationInfo
	messages []chat.Message   // messages[i].Seq == i+1
	byKey    map[string]int64 // idempotency key to Seq
}

var _ chat.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		visitors:      make(map[uuid.UUID]chat.Visitor),
		agents:        make(map[string]chat.Agent),
		conversations: make(map[uuid.UUID]*conversation),
		messageIDs:    make(map[uuid.UUID]struct{}),
		pageViews:     make(map[uuid.UUID][]chat.PageView),
		pageViewIDs:   make(map[uuid.UUID]struct{}),
	}
}

// PutVisitor implements chat.Store.
func (s *Store) PutVisitor(ctx context.Context, v chat.Visitor) error {
	if err := check(ctx, v.Validate()); err != nil {
		return err
	}
	v.CreatedAt = chat.Timestamp(v.CreatedAt)
	v.LastSeenAt = chat.Timestamp(v.LastSeenAt)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.visitors[v.ID] = v
	return nil
}

// Visitor implements chat.Store.
func (s *Store) Visitor(ctx context.Context, id uuid.UUID) (chat.Visitor, error) {
	if err := ctx.Err(); err != nil {
		return chat.Visitor{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.visitors[id]
	if !ok {
		return chat.Visitor{}, notFound("visitor", id)
	}
	return v, nil
}

// PutAgent implements chat.Store.
func (s *Store) PutAgent(ctx context.Context, a chat.Agent) error {
	if err := check(ctx, a.Validate()); err != nil {
		return err
	}
	a.Departments = slices.Clone(a.Departments)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.agents[a.ID] = a
	return nil
}

// Agent implements chat.Store.
func (s *Store) Agent(ctx context.Context, id string) (chat.Agent, error) {
	if err := ctx.Err(); err != nil {
		return chat.Agent{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.agents[id]
	if !ok {
		return chat.Agent{}, notFound("agent", fmt.Sprintf("%.64q", id))
	}
	return copyAgent(a), nil
}

// Agents implements chat.Store.
func (s *Store) Agents(ctx context.Context) ([]chat.Agent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	out := make([]chat.Agent, 0, len(s.agents))
	for _, a := range s.agents {
		out = append(out, copyAgent(a))
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b chat.Agent) int { return compareStrings(a.ID, b.ID) })
	return out, nil
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
	c = normConversation(c)
	c.Version = 1
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conversations[c.ID]; ok {
		return chat.ConversationInfo{}, fmt.Errorf("%w: conversation %s exists", chat.ErrConflict, c.ID)
	}
	s.conversations[c.ID] = &conversation{info: c}
	return copyConversation(c), nil
}

// Conversation implements chat.Store.
func (s *Store) Conversation(ctx context.Context, id uuid.UUID) (chat.ConversationInfo, error) {
	if err := ctx.Err(); err != nil {
		return chat.ConversationInfo{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.conversations[id]
	if !ok {
		return chat.ConversationInfo{}, notFound("conversation", id)
	}
	return copyConversation(c.info), nil
}

// UpdateConversation implements chat.Store.
func (s *Store) UpdateConversation(ctx context.Context, c chat.ConversationInfo) (chat.ConversationInfo, error) {
	if err := check(ctx, c.Validate()); err != nil {
		return chat.ConversationInfo{}, err
	}
	c = normConversation(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updateConversation(c)
}

// AssignConversation implements chat.Store. The store's lock makes the
// count and the update one step.
func (s *Store) AssignConversation(ctx context.Context, c chat.ConversationInfo, capacity int) (chat.ConversationInfo, error) {
	if err := check(ctx, chat.CheckAssign(c, capacity)); err != nil {
		return chat.ConversationInfo{}, err
	}
	c = normConversation(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.agents[c.AgentID]; !ok {
		return chat.ConversationInfo{}, notFound("agent", fmt.Sprintf("%.64q", c.AgentID))
	}
	if capacity > 0 {
		n := 0
		for id, other := range s.conversations {
			if id != c.ID && other.info.Status == chat.StatusOpen && other.info.AgentID == c.AgentID {
				n++
			}
		}
		if n >= capacity {
			return chat.ConversationInfo{}, fmt.Errorf("%w: agent %.64q has %d open conversations, their capacity", chat.ErrAgentBusy, c.AgentID, n)
		}
	}
	return s.updateConversation(c)
}

// AgentLoads implements chat.Store.
func (s *Store) AgentLoads(ctx context.Context, ids []string) ([]chat.AgentLoad, error) {
	if err := check(ctx, nil); err != nil {
		return nil, err
	}
	loads := make(map[string]*chat.AgentLoad, len(ids))
	out := make([]chat.AgentLoad, len(ids))
	for i, id := range ids {
		out[i].AgentID = id
		loads[id] = &chat.AgentLoad{}
	}
	s.mu.RLock()
	for _, c := range s.conversations {
		l, ok := loads[c.info.AgentID]
		if !ok {
			continue
		}
		if c.info.Status == chat.StatusOpen {
			l.Open++
		}
		if c.info.AssignedAt.After(l.LastAssignedAt) {
			l.LastAssignedAt = c.info.AssignedAt
		}
	}
	s.mu.RUnlock()
	for i := range out {
		l := loads[out[i].AgentID]
		out[i].Open, out[i].LastAssignedAt = l.Open, l.LastAssignedAt
	}
	return out, nil
}

// updateConversation stores the valid, normalized c; the caller holds mu.
func (s *Store) updateConversation(c chat.ConversationInfo) (chat.ConversationInfo, error) {
	stored, ok := s.conversations[c.ID]
	if !ok {
		return chat.ConversationInfo{}, notFound("conversation", c.ID)
	}
	if stored.info.Version != c.Version {
		return chat.ConversationInfo{}, fmt.Errorf("%w: conversation %s is at version %d, not %d",
			chat.ErrConflict, c.ID, stored.info.Version, c.Version)
	}
	c.VisitorID = stored.info.VisitorID
	c.CreatedAt = stored.info.CreatedAt
	c.LastSeq = stored.info.LastSeq
	c.Version++
	stored.info = c
	return copyConversation(c), nil
}

// Conversations implements chat.Store.
func (s *Store) Conversations(ctx context.Context, f chat.ConversationFilter) ([]chat.ConversationInfo, error) {
	if err := check(ctx, f.Validate()); err != nil {
		return nil, err
	}
	limit, _ := chat.CheckLimit(f.Limit)
	order := func(a, b chat.ConversationInfo) int {
		c := a.CreatedAt.Compare(b.CreatedAt)
		if c == 0 {
			c = bytes.Compare(a.ID[:], b.ID[:])
		}
		if f.Newest {
			return -c
		}
		return c
	}
	after := chat.ConversationInfo{CreatedAt: chat.Timestamp(f.After.CreatedAt), ID: f.After.ID}
	s.mu.RLock()
	var out []chat.ConversationInfo
	for _, c := range s.conversations {
		if matches(c.info, f) && (f.After.IsZero() || order(c.info, after) > 0) {
			out = append(out, c.info)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, order)
	out = out[:min(len(out), limit)]
	for i := range out {
		out[i] = copyConversation(out[i])
	}
	return out, nil
}

func matches(c chat.ConversationInfo, f chat.ConversationFilter) bool {
	return (len(f.Statuses) == 0 || slices.Contains(f.Statuses, c.Status)) &&
		(f.AgentID == "" || f.AgentID == c.AgentID) &&
		(f.VisitorID == uuid.Nil || f.VisitorID == c.VisitorID) &&
		(f.CreatedFrom.IsZero() || !c.CreatedAt.Before(chat.Timestamp(f.CreatedFrom))) &&
		(f.CreatedBefore.IsZero() || c.CreatedAt.Before(chat.Timestamp(f.CreatedBefore)))
}

// AppendMessage implements chat.Store.
func (s *Store) AppendMessage(ctx context.Context, m chat.Message) (chat.Message, bool, error) {
	if err := check(ctx, m.Validate()); err != nil {
		return chat.Message{}, false, err
	}
	m.CreatedAt = chat.Timestamp(m.CreatedAt)
	m.Attachments = slices.Clone(m.Attachments)
	cloneRich(&m)
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conversations[m.ConversationID]
	if !ok {
		return chat.Message{}, false, notFound("conversation", m.ConversationID)
	}
	if m.IdempotencyKey != "" {
		if seq, ok := c.byKey[m.IdempotencyKey]; ok {
			return copyMessage(c.messages[seq-1]), false, nil
		}
	}
	if _, ok := s.messageIDs[m.ID]; ok {
		return chat.Message{}, false, fmt.Errorf("%w: message %s exists", chat.ErrConflict, m.ID)
	}
	m.Seq = c.info.LastSeq + 1
	c.messages = append(c.messages, m)
	c.info.LastSeq = m.Seq
	c.info.UpdatedAt = m.CreatedAt
	s.messageIDs[m.ID] = struct{}{}
	if m.IdempotencyKey != "" {
		if c.byKey == nil {
			c.byKey = make(map[string]int64)
		}
		c.byKey[m.IdempotencyKey] = m.Seq
	}
	return copyMessage(m), true, nil
}

// Messages implements chat.Store.
func (s *Store) Messages(ctx context.Context, conversationID uuid.UUID, q chat.MessageQuery) ([]chat.Message, error) {
	if err := check(ctx, q.Validate()); err != nil {
		return nil, err
	}
	limit, _ := chat.CheckLimit(q.Limit)
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.conversations[conversationID]
	if !ok {
		return nil, notFound("conversation", conversationID)
	}
	// messages[i] has Seq i+1, so the range After < Seq < Before is a slice.
	lo := min(q.After, int64(len(c.messages)))
	hi := int64(len(c.messages))
	if q.Before > 0 {
		hi = min(hi, q.Before-1)
	}
	if hi < lo {
		return []chat.Message{}, nil
	}
	page := c.messages[lo:hi]
	if len(page) > limit {
		if q.Latest {
			page = page[len(page)-limit:]
		} else {
			page = page[:limit]
		}
	}
	out := make([]chat.Message, len(page))
	for i, m := range page {
		out[i] = copyMessage(m)
	}
	return out, nil
}

// AddPageView implements chat.Store.
func (s *Store) AddPageView(ctx context.Context, p chat.PageView) error {
	if err := check(ctx, p.Validate()); err != nil {
		return err
	}
	p.At = chat.Timestamp(p.At)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pageViewIDs[p.ID]; ok {
		return fmt.Errorf("%w: page view %s exists", chat.ErrConflict, p.ID)
	}
	s.pageViewIDs[p.ID] = struct{}{}
	views := s.pageViews[p.VisitorID]
	i, _ := slices.BinarySearchFunc(views, p, comparePageViews)
	s.pageViews[p.VisitorID] = slices.Insert(views, i, p)
	return nil
}

// PageViews implements chat.Store.
func (s *Store) PageViews(ctx context.Context, visitorID uuid.UUID, limit int) ([]chat.PageView, error) {
	limit, err := chat.CheckLimit(limit)
	if err := check(ctx, err); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	views := s.pageViews[visitorID]
	return slices.Clone(views[max(0, len(views)-limit):]), nil
}

// check returns the context's error first, then the validation error.
func check(ctx context.Context, invalid error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return invalid
}

func notFound(kind string, id any) error {
	return fmt.Errorf("%w: %s %v", chat.ErrNotFound, kind, id)
}

func comparePageViews(a, b chat.PageView) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	return bytes.Compare(a.ID[:], b.ID[:])
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func normConversation(c chat.ConversationInfo) chat.ConversationInfo {
	c.CreatedAt = chat.Timestamp(c.CreatedAt)
	c.UpdatedAt = chat.Timestamp(c.UpdatedAt)
	c.AssignedAt = chat.Timestamp(c.AssignedAt)
	c.ClosedAt = chat.Timestamp(c.ClosedAt)
	c.FirstAssignedAt = chat.Timestamp(c.FirstAssignedAt)
	c.FirstMessageAt = chat.Timestamp(c.FirstMessageAt)
	c.FirstResponseAt = chat.Timestamp(c.FirstResponseAt)
	return copyConversation(c)
}

func copyConversation(c chat.ConversationInfo) chat.ConversationInfo {
	if c.Resolved != nil {
		r := *c.Resolved
		c.Resolved = &r
	}
	return c
}

func copyAgent(a chat.Agent) chat.Agent {
	a.Departments = slices.Clone(a.Departments)
	return a
}

func copyMessage(m chat.Message) chat.Message {
	m.Attachments = slices.Clone(m.Attachments)
	cloneRich(&m)
	return m
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
