package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

var _ chat.OutboxStore = (*Store)(nil)

// outboxEntry is a stored outbox item with its lease.
type outboxEntry struct {
	item   chat.OutboxItem
	holder string
	until  time.Time
}

// AddOutbox implements chat.OutboxStore.
func (s *Store) AddOutbox(ctx context.Context, items []chat.OutboxItem) error {
	if err := check(ctx, chat.CheckOutboxItems(items)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range items {
		if _, ok := s.outbox[i.ID]; ok {
			return fmt.Errorf("%w: outbox item %s exists", chat.ErrConflict, i.ID)
		}
	}
	if s.outbox == nil {
		s.outbox = make(map[uuid.UUID]outboxEntry)
	}
	for _, i := range items {
		i.Payload = bytes.Clone(i.Payload)
		i.CreatedAt, i.Due = chat.Timestamp(i.CreatedAt), chat.Timestamp(i.Due)
		s.outbox[i.ID] = outboxEntry{item: i}
	}
	return nil
}

// ClaimOutbox implements chat.OutboxStore.
func (s *Store) ClaimOutbox(ctx context.Context, target, holder string, now, until time.Time, limit int) ([]chat.OutboxItem, error) {
	limit, err := chat.CheckOutboxClaim(target, holder, now, until, limit)
	if err := check(ctx, err); err != nil {
		return nil, err
	}
	now, until = chat.Timestamp(now), chat.Timestamp(until)
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []chat.OutboxItem
	for _, e := range s.outbox {
		if e.item.Target == target && !e.item.Due.After(now) && !e.until.After(now) {
			due = append(due, e.item)
		}
	}
	slices.SortFunc(due, func(a, b chat.OutboxItem) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return bytes.Compare(a.ID[:], b.ID[:])
	})
	due = due[:min(len(due), limit)]
	out := make([]chat.OutboxItem, 0, len(due))
	for _, i := range due {
		s.outbox[i.ID] = outboxEntry{item: i, holder: holder, until: until}
		i.Payload = bytes.Clone(i.Payload)
		out = append(out, i)
	}
	return out, nil
}

// FinishOutbox implements chat.OutboxStore.
func (s *Store) FinishOutbox(ctx context.Context, id uuid.UUID, holder string) (bool, error) {
	if err := check(ctx, chat.CheckOutboxFinish(id, holder)); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.outbox[id]; !ok || e.holder != holder {
		return false, nil
	}
	delete(s.outbox, id)
	return true, nil
}

// RetryOutbox implements chat.OutboxStore.
func (s *Store) RetryOutbox(ctx context.Context, id uuid.UUID, holder string, due time.Time, lastError string) (bool, error) {
	if err := check(ctx, chat.CheckOutboxRetry(id, holder, due, lastError)); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.outbox[id]
	if !ok || e.holder != holder {
		return false, nil
	}
	e.item.Attempts++
	e.item.LastError = lastError
	e.item.Due = chat.Timestamp(due)
	s.outbox[id] = outboxEntry{item: e.item}
	return true, nil
}
