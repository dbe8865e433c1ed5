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

// blockTable holds the blocks. The zero value is empty.
type blockTable struct {
	mu sync.Mutex
	m  map[uuid.UUID]chat.Block
}

// PutBlock implements chat.Store.
func (s *Store) PutBlock(ctx context.Context, b chat.Block) error {
	if err := check(ctx, b.Validate()); err != nil {
		return err
	}
	b.CreatedAt = chat.Timestamp(b.CreatedAt)
	if !b.ExpiresAt.IsZero() {
		b.ExpiresAt = chat.Timestamp(b.ExpiresAt)
	}
	t := &s.blocks
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.m[b.ID]; ok {
		return fmt.Errorf("%w: block %s exists", chat.ErrConflict, b.ID)
	}
	if t.m == nil {
		t.m = make(map[uuid.UUID]chat.Block)
	}
	t.m[b.ID] = b
	return nil
}

// DeleteBlock implements chat.Store.
func (s *Store) DeleteBlock(ctx context.Context, id uuid.UUID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := &s.blocks
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.m[id]; !ok {
		return notFound("block", id)
	}
	delete(t.m, id)
	return nil
}

// Blocks implements chat.Store.
func (s *Store) Blocks(ctx context.Context, now time.Time) ([]chat.Block, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t := &s.blocks
	t.mu.Lock()
	out := []chat.Block{}
	for _, b := range t.m {
		if b.Active(now) {
			out = append(out, b)
		}
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b chat.Block) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare(a.ID[:], b.ID[:])
	})
	return out, nil
}
