package memory

import (
	"bytes"
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

var _ chat.CustomerStore = (*Store)(nil)

// LinkCustomer implements chat.CustomerStore.
func (s *Store) LinkCustomer(ctx context.Context, customerID string, visitorID uuid.UUID) (uuid.UUID, error) {
	if err := check(ctx, chat.CheckCustomerLink(customerID, visitorID)); err != nil {
		return uuid.Nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.customers == nil {
		s.customers = make(map[string]uuid.UUID)
	}
	if linked, ok := s.customers[customerID]; ok {
		return linked, nil
	}
	s.customers[customerID] = visitorID
	return visitorID, nil
}

// MergeVisitor implements chat.CustomerStore.
func (s *Store) MergeVisitor(ctx context.Context, from, to uuid.UUID) ([]chat.ConversationInfo, error) {
	if err := check(ctx, chat.CheckVisitorMerge(from, to)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.visitors[to]; !ok {
		return nil, notFound("visitor", to)
	}
	moved := []chat.ConversationInfo{}
	for _, c := range s.conversations {
		if c.info.VisitorID == from {
			c.info.VisitorID = to
			c.info.Version++
			moved = append(moved, copyConversation(c.info))
		}
	}
	slices.SortFunc(moved, func(a, b chat.ConversationInfo) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare(a.ID[:], b.ID[:])
	})
	if views := s.pageViews[from]; len(views) > 0 {
		for i := range views {
			views[i].VisitorID = to
		}
		merged := append(s.pageViews[to], views...)
		slices.SortFunc(merged, comparePageViews)
		s.pageViews[to] = merged
		delete(s.pageViews, from)
	}
	return moved, nil
}
