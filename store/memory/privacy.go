package memory

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// EraseVisitor implements chat.Store.
func (s *Store) EraseVisitor(ctx context.Context, visitorID uuid.UUID) error {
	if err := check(ctx, chat.CheckReplyVisitor(visitorID)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, c := range s.conversations {
		if c.info.VisitorID == visitorID {
			s.dropConversation(id, c)
		}
	}
	for _, p := range s.pageViews[visitorID] {
		delete(s.pageViewIDs, p.ID)
	}
	delete(s.pageViews, visitorID)
	s.visitTable.drop(visitorID)
	delete(s.visitTable.leases, visitorID)
	for id, n := range s.replyNotices {
		if n.VisitorID == visitorID {
			delete(s.replyNotices, id)
		}
	}
	e := &s.email
	for k := range e.counts {
		if k.visitor == visitorID {
			delete(e.counts, k)
		}
	}
	for k := range e.proven {
		if k.visitor == visitorID {
			delete(e.proven, k)
		}
	}
	for token, c := range e.confirmations {
		if c.VisitorID == visitorID {
			delete(e.confirmations, token)
		}
	}
	for customer, v := range s.customers {
		if v == visitorID {
			delete(s.customers, customer)
		}
	}
	delete(s.visitors, visitorID)
	return nil
}

// dropConversation deletes a conversation and its messages; the caller
// holds mu.
func (s *Store) dropConversation(id uuid.UUID, c *conversation) {
	for _, m := range c.messages {
		delete(s.messageIDs, m.ID)
	}
	delete(s.conversations, id)
	delete(s.replyNotices, id)
}

// PurgeConversations implements chat.Store.
func (s *Store) PurgeConversations(ctx context.Context, before time.Time, limit int) (int, error) {
	limit, err := chat.CheckPurge(before, limit)
	if err := check(ctx, err); err != nil {
		return 0, err
	}
	before = chat.Timestamp(before)
	s.mu.Lock()
	defer s.mu.Unlock()
	var old []*conversation
	for _, c := range s.conversations {
		// A closed conversation with no ClosedAt has no age, as in SQL,
		// where its NULL compares with nothing.
		if c.info.Status == chat.StatusClosed && !c.info.ClosedAt.IsZero() && c.info.ClosedAt.Before(before) {
			old = append(old, c)
		}
	}
	slices.SortFunc(old, func(a, b *conversation) int {
		if c := a.info.ClosedAt.Compare(b.info.ClosedAt); c != 0 {
			return c
		}
		return bytes.Compare(a.info.ID[:], b.info.ID[:])
	})
	old = old[:min(len(old), limit)]
	for _, c := range old {
		s.dropConversation(c.info.ID, c)
	}
	return len(old), nil
}

// PurgePageViews implements chat.Store.
func (s *Store) PurgePageViews(ctx context.Context, before time.Time, limit int) (int, error) {
	limit, err := chat.CheckPurge(before, limit)
	if err := check(ctx, err); err != nil {
		return 0, err
	}
	before = chat.Timestamp(before)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for visitor, views := range s.pageViews {
		// views are sorted by At: the old ones are a prefix.
		cut := 0
		for cut < len(views) && views[cut].At.Before(before) && n < limit {
			delete(s.pageViewIDs, views[cut].ID)
			cut++
			n++
		}
		if cut == len(views) {
			delete(s.pageViews, visitor)
		} else if cut > 0 {
			s.pageViews[visitor] = slices.Clone(views[cut:])
		}
	}
	return n, nil
}
