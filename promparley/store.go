package promparley

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// Store returns s measured: the duration of every call, by method, and the
// calls that failed. An answer the Store's rules call for (ErrNotFound,
// ErrConflict, ErrInvalid, ErrAgentBusy, ErrKeyReused, ErrEmailLimit) is
// not a failure; anything else is, context errors included. Give the result
// to chat.Config.Store.
func (m *Metrics) Store(s chat.Store) chat.Store {
	return &store{Store: s, m: m}
}

// store measures every method of chat.Store. It embeds the inner Store so
// that a method added to the interface is forwarded, unmeasured, until it
// is added here.
type store struct {
	chat.Store
	m *Metrics
}

var _ chat.Store = (*store)(nil)

// expected are the errors a Store returns by its rules, not by failing.
var expected = []error{chat.ErrNotFound, chat.ErrConflict, chat.ErrInvalid, chat.ErrAgentBusy, chat.ErrKeyReused, chat.ErrEmailLimit}

// observe records one call of method that started at start and ended with
// *err; methods defer it.
func (s *store) observe(method string, start time.Time, err *error) {
	s.m.storeSeconds.WithLabelValues(method).Observe(time.Since(start).Seconds())
	if *err == nil {
		return
	}
	for _, e := range expected {
		if errors.Is(*err, e) {
			return
		}
	}
	s.m.storeErrors.WithLabelValues(method).Inc()
}

func (s *store) PutVisitor(ctx context.Context, v chat.Visitor) (err error) {
	defer s.observe("PutVisitor", time.Now(), &err)
	return s.Store.PutVisitor(ctx, v)
}

func (s *store) Visitor(ctx context.Context, id uuid.UUID) (_ chat.Visitor, err error) {
	defer s.observe("Visitor", time.Now(), &err)
	return s.Store.Visitor(ctx, id)
}

func (s *store) PutAgent(ctx context.Context, a chat.Agent) (err error) {
	defer s.observe("PutAgent", time.Now(), &err)
	return s.Store.PutAgent(ctx, a)
}

func (s *store) Agent(ctx context.Context, id string) (_ chat.Agent, err error) {
	defer s.observe("Agent", time.Now(), &err)
	return s.Store.Agent(ctx, id)
}

func (s *store) Agents(ctx context.Context) (_ []chat.Agent, err error) {
	defer s.observe("Agents", time.Now(), &err)
	return s.Store.Agents(ctx)
}

func (s *store) CreateConversation(ctx context.Context, c chat.ConversationInfo) (_ chat.ConversationInfo, err error) {
	defer s.observe("CreateConversation", time.Now(), &err)
	return s.Store.CreateConversation(ctx, c)
}

func (s *store) Conversation(ctx context.Context, id uuid.UUID) (_ chat.ConversationInfo, err error) {
	defer s.observe("Conversation", time.Now(), &err)
	return s.Store.Conversation(ctx, id)
}

func (s *store) UpdateConversation(ctx context.Context, c chat.ConversationInfo) (_ chat.ConversationInfo, err error) {
	defer s.observe("UpdateConversation", time.Now(), &err)
	return s.Store.UpdateConversation(ctx, c)
}

func (s *store) Conversations(ctx context.Context, f chat.ConversationFilter) (_ []chat.ConversationInfo, err error) {
	defer s.observe("Conversations", time.Now(), &err)
	return s.Store.Conversations(ctx, f)
}

func (s *store) AppendMessage(ctx context.Context, msg chat.Message) (_ chat.Message, _ bool, err error) {
	defer s.observe("AppendMessage", time.Now(), &err)
	return s.Store.AppendMessage(ctx, msg)
}

func (s *store) Messages(ctx context.Context, conversationID uuid.UUID, q chat.MessageQuery) (_ []chat.Message, err error) {
	defer s.observe("Messages", time.Now(), &err)
	return s.Store.Messages(ctx, conversationID, q)
}

func (s *store) AddPageView(ctx context.Context, p chat.PageView) (err error) {
	defer s.observe("AddPageView", time.Now(), &err)
	return s.Store.AddPageView(ctx, p)
}

func (s *store) PageViews(ctx context.Context, visitorID uuid.UUID, limit int) (_ []chat.PageView, err error) {
	defer s.observe("PageViews", time.Now(), &err)
	return s.Store.PageViews(ctx, visitorID, limit)
}

func (s *store) PutBlock(ctx context.Context, b chat.Block) (err error) {
	defer s.observe("PutBlock", time.Now(), &err)
	return s.Store.PutBlock(ctx, b)
}

func (s *store) DeleteBlock(ctx context.Context, id uuid.UUID) (err error) {
	defer s.observe("DeleteBlock", time.Now(), &err)
	return s.Store.DeleteBlock(ctx, id)
}

func (s *store) Blocks(ctx context.Context, now time.Time) (_ []chat.Block, err error) {
	defer s.observe("Blocks", time.Now(), &err)
	return s.Store.Blocks(ctx, now)
}

func (s *store) CountEmail(ctx context.Context, visitorID uuid.UUID, address string, at time.Time, limits chat.EmailLimits) (err error) {
	defer s.observe("CountEmail", time.Now(), &err)
	return s.Store.CountEmail(ctx, visitorID, address, at, limits)
}

func (s *store) ProveEmail(ctx context.Context, visitorID uuid.UUID, address string, at time.Time) (err error) {
	defer s.observe("ProveEmail", time.Now(), &err)
	return s.Store.ProveEmail(ctx, visitorID, address, at)
}

func (s *store) EmailProven(ctx context.Context, visitorID uuid.UUID, address string) (_ bool, err error) {
	defer s.observe("EmailProven", time.Now(), &err)
	return s.Store.EmailProven(ctx, visitorID, address)
}

func (s *store) AddEmailConfirmation(ctx context.Context, c chat.EmailConfirmation) (err error) {
	defer s.observe("AddEmailConfirmation", time.Now(), &err)
	return s.Store.AddEmailConfirmation(ctx, c)
}

func (s *store) ConfirmEmail(ctx context.Context, tokenHash string, now time.Time) (_ chat.EmailConfirmation, err error) {
	defer s.observe("ConfirmEmail", time.Now(), &err)
	return s.Store.ConfirmEmail(ctx, tokenHash, now)
}

func (s *store) SuppressEmail(ctx context.Context, sup chat.EmailSuppression) (err error) {
	defer s.observe("SuppressEmail", time.Now(), &err)
	return s.Store.SuppressEmail(ctx, sup)
}

func (s *store) UnsuppressEmail(ctx context.Context, address string) (err error) {
	defer s.observe("UnsuppressEmail", time.Now(), &err)
	return s.Store.UnsuppressEmail(ctx, address)
}

func (s *store) EmailSuppression(ctx context.Context, address string) (_ chat.EmailSuppression, err error) {
	defer s.observe("EmailSuppression", time.Now(), &err)
	return s.Store.EmailSuppression(ctx, address)
}

func (s *store) RenewAgentLeases(ctx context.Context, holder string, until time.Time, agentIDs []string) (err error) {
	defer s.observe("RenewAgentLeases", time.Now(), &err)
	return s.Store.RenewAgentLeases(ctx, holder, until, agentIDs)
}

func (s *store) ReleaseAgentLease(ctx context.Context, agentID, holder string, at time.Time) (_ bool, err error) {
	defer s.observe("ReleaseAgentLease", time.Now(), &err)
	return s.Store.ReleaseAgentLease(ctx, agentID, holder, at)
}

func (s *store) ExpiredAgentLeases(ctx context.Context, at time.Time, limit int) (_ []string, err error) {
	defer s.observe("ExpiredAgentLeases", time.Now(), &err)
	return s.Store.ExpiredAgentLeases(ctx, at, limit)
}

func (s *store) DeleteAgentLeases(ctx context.Context, agentID string, at time.Time) (err error) {
	defer s.observe("DeleteAgentLeases", time.Now(), &err)
	return s.Store.DeleteAgentLeases(ctx, agentID, at)
}

func (s *store) AssignConversation(ctx context.Context, c chat.ConversationInfo, capacity int) (_ chat.ConversationInfo, err error) {
	defer s.observe("AssignConversation", time.Now(), &err)
	return s.Store.AssignConversation(ctx, c, capacity)
}
