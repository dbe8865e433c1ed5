package main

import (
	"context"
	"time"

	"github.com/parleychat/parley/chat"
)

// AssignConversation implements chat.Store.
func (s *Store) AssignConversation(ctx context.Context, c chat.ConversationInfo, capacity int) (_ chat.ConversationInfo, err error) {
	defer func(t time.Time) { s.observe(ctx, "AssignConversation", t, err) }(time.Now())
	return s.next.AssignConversation(ctx, c, capacity)
}

// AgentLoads implements chat.Store.
func (s *Store) AgentLoads(ctx context.Context, ids []string) (_ []chat.AgentLoad, err error) {
	defer func(t time.Time) { s.observe(ctx, "AgentLoads", t, err) }(time.Now())
	return s.next.AgentLoads(ctx, ids)
}
