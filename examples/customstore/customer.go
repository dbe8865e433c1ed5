package main

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// The wrapper keeps customer links when the store it wraps does: a
// customer is then one visitor on every device.
var _ chat.CustomerStore = (*Store)(nil)

// LinkCustomer implements chat.CustomerStore. Over a store that keeps no
// customer links it links nothing and returns visitorID, as the Desk does.
func (s *Store) LinkCustomer(ctx context.Context, customerID string, visitorID uuid.UUID) (_ uuid.UUID, err error) {
	defer func(t time.Time) { s.observe(ctx, "LinkCustomer", t, err) }(time.Now())
	cs, ok := s.next.(chat.CustomerStore)
	if !ok {
		return visitorID, chat.CheckCustomerLink(customerID, visitorID)
	}
	return cs.LinkCustomer(ctx, customerID, visitorID)
}

// MergeVisitor implements chat.CustomerStore. Over a store that keeps no
// customer links it returns an error wrapping errors.ErrUnsupported; the
// Desk never asks for a merge there, since no customer is linked.
func (s *Store) MergeVisitor(ctx context.Context, from, to uuid.UUID) (_ []chat.ConversationInfo, err error) {
	defer func(t time.Time) { s.observe(ctx, "MergeVisitor", t, err) }(time.Now())
	cs, ok := s.next.(chat.CustomerStore)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return cs.MergeVisitor(ctx, from, to)
}
