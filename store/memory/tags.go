package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

var _ chat.TagStore = (*Store)(nil)

// tagged returns the stored conversation for a tag operation, with s.mu held.
func (s *Store) tagged(id uuid.UUID) (*conversation, error) {
	c, ok := s.conversations[id]
	if !ok {
		return nil, fmt.Errorf("%w: conversation %s", chat.ErrNotFound, id)
	}
	return c, nil
}

// AddTag implements chat.TagStore.
func (s *Store) AddTag(ctx context.Context, conversationID uuid.UUID, tag string) error {
	if err := check(ctx, chat.CheckTag(tag)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.tagged(conversationID)
	if err != nil {
		return err
	}
	if i, found := slices.BinarySearch(c.tags, tag); !found {
		c.tags = slices.Insert(c.tags, i, tag)
	}
	return nil
}

// RemoveTag implements chat.TagStore.
func (s *Store) RemoveTag(ctx context.Context, conversationID uuid.UUID, tag string) error {
	if err := check(ctx, chat.CheckTag(tag)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.tagged(conversationID)
	if err != nil {
		return err
	}
	if i, found := slices.BinarySearch(c.tags, tag); found {
		c.tags = slices.Delete(c.tags, i, i+1)
	}
	return nil
}

// Tags implements chat.TagStore.
func (s *Store) Tags(ctx context.Context, conversationID uuid.UUID) ([]string, error) {
	if err := check(ctx, nil); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, err := s.tagged(conversationID)
	if err != nil {
		return nil, err
	}
	return append([]string{}, c.tags...), nil
}

// SearchConversations implements chat.TagStore. Letters compare in lower
// case, Unicode's.
func (s *Store) SearchConversations(ctx context.Context, q chat.SearchQuery) ([]chat.ConversationInfo, error) {
	if err := check(ctx, q.Validate()); err != nil {
		return nil, err
	}
	text, who := strings.ToLower(q.Text), strings.ToLower(q.Visitor)
	return s.list(q.ConversationFilter, func(c *conversation) bool {
		if q.Tag != "" && !slices.Contains(c.tags, q.Tag) {
			return false
		}
		if who != "" {
			v := s.visitors[c.info.VisitorID]
			if !strings.Contains(strings.ToLower(v.Name), who) && !strings.Contains(strings.ToLower(v.Email), who) {
				return false
			}
		}
		return text == "" || slices.ContainsFunc(c.messages, func(m chat.Message) bool {
			return !(q.WithoutNotes && m.Internal) && strings.Contains(strings.ToLower(m.Body), text)
		})
	}), nil
}
