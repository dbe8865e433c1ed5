package memory

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// ScheduleReplyNotice implements chat.Store.
func (s *Store) ScheduleReplyNotice(ctx context.Context, n chat.ReplyNotice) (bool, error) {
	if err := check(ctx, n.Validate()); err != nil {
		return false, err
	}
	n.Due = chat.Timestamp(n.Due)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.replyNotices[n.ConversationID]; ok {
		return false, nil
	}
	if s.replyNotices == nil {
		s.replyNotices = make(map[uuid.UUID]chat.ReplyNotice)
	}
	s.replyNotices[n.ConversationID] = n
	return true, nil
}

// DueReplyNotices implements chat.Store.
func (s *Store) DueReplyNotices(ctx context.Context, at time.Time, limit int) ([]chat.ReplyNotice, error) {
	limit, err := chat.CheckDueReplyNotices(at, limit)
	if err := check(ctx, err); err != nil {
		return nil, err
	}
	at = chat.Timestamp(at)
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []chat.ReplyNotice{}
	for _, n := range s.replyNotices {
		if !n.Due.After(at) {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b chat.ReplyNotice) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return bytes.Compare(a.ConversationID[:], b.ConversationID[:])
	})
	return out[:min(len(out), limit)], nil
}

// TakeReplyNotice implements chat.Store.
func (s *Store) TakeReplyNotice(ctx context.Context, n chat.ReplyNotice) (bool, error) {
	if err := check(ctx, n.Validate()); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if stored, ok := s.replyNotices[n.ConversationID]; !ok || stored.After != n.After {
		return false, nil
	}
	delete(s.replyNotices, n.ConversationID)
	return true, nil
}

// CancelReplyNotices implements chat.Store.
func (s *Store) CancelReplyNotices(ctx context.Context, visitorID uuid.UUID) error {
	if err := check(ctx, chat.CheckReplyVisitor(visitorID)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, n := range s.replyNotices {
		if n.VisitorID == visitorID {
			delete(s.replyNotices, id)
		}
	}
	return nil
}
