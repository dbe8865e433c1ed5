package main

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// EraseVisitor implements chat.Store.
func (s *Store) EraseVisitor(ctx context.Context, visitorID uuid.UUID) (err error) {
	defer func(t time.Time) { s.observe(ctx, "EraseVisitor", t, err) }(time.Now())
	return s.next.EraseVisitor(ctx, visitorID)
}

// PurgeConversations implements chat.Store.
func (s *Store) PurgeConversations(ctx context.Context, before time.Time, limit int) (_ int, err error) {
	defer func(t time.Time) { s.observe(ctx, "PurgeConversations", t, err) }(time.Now())
	return s.next.PurgeConversations(ctx, before, limit)
}

// PurgePageViews implements chat.Store.
func (s *Store) PurgePageViews(ctx context.Context, before time.Time, limit int) (_ int, err error) {
	defer func(t time.Time) { s.observe(ctx, "PurgePageViews", t, err) }(time.Now())
	return s.next.PurgePageViews(ctx, before, limit)
}
