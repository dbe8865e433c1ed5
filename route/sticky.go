package route

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// Sticky sends a returning visitor back to the agent who served them last
// time, so they need not explain their case again.
//
// It looks up the visitor's conversations in Store and takes the most recent
// one created before the conversation being routed that was ever assigned
// to an agent. When that agent is among the candidates, Sticky returns them;
// otherwise (the agent is offline, full, or does not serve the department)
// it asks Next. Only the most recent earlier conversation counts: Sticky does
// not go further back to find an agent who happens to be online.
//
// Within limits how old that conversation may be: it counts only when its
// last activity (UpdatedAt) is no more than Within before the new
// conversation's CreatedAt. Zero means no limit; so does a request whose
// conversation has a zero CreatedAt.
//
// Sticky reads the visitor's newest [chat.MaxPageSize] conversations
// created up to the one being routed; when none of them had an agent, it
// asks Next.
type Sticky struct {
	// Store is where the visitor's earlier conversations are found,
	// usually the Desk's Store. Required.
	Store chat.ConversationStore
	// Next routes first-time visitors and those whose agent cannot take the
	// conversation. Nil answers "".
	Next chat.Router
	// Within is how long after a conversation the visitor still goes back to
	// its agent. Zero means no limit.
	Within time.Duration
}

var _ chat.Router = Sticky{}

// Route returns the visitor's previous agent when they are a candidate, and
// otherwise what Next returns. A nil Store is an error wrapping
// chat.ErrInvalid; an error from the Store is returned.
func (s Sticky) Route(ctx context.Context, req chat.RouteRequest) (string, error) {
	if s.Store == nil {
		return "", fmt.Errorf("%w: route: Sticky.Store is nil", chat.ErrInvalid)
	}
	if id, err := s.previous(ctx, req); err != nil || id != "" {
		return id, err
	}
	if s.Next == nil {
		return "", nil
	}
	return s.Next.Route(ctx, req)
}

// previous returns the agent of the visitor's most recent earlier
// conversation when that agent is a candidate, else "".
func (s Sticky) previous(ctx context.Context, req chat.RouteRequest) (string, error) {
	c := req.Conversation
	if c.VisitorID == uuid.Nil || len(req.Candidates) == 0 {
		return "", nil
	}
	f := chat.ConversationFilter{VisitorID: c.VisitorID, Newest: true, Limit: chat.MaxPageSize}
	if !c.CreatedAt.IsZero() {
		// Those created up to the routed conversation, ties included.
		f.After = chat.ConversationCursor{CreatedAt: c.CreatedAt, ID: uuid.Max}
	}
	past, err := s.Store.Conversations(ctx, f)
	if err != nil {
		return "", fmt.Errorf("route: sticky: %w", err)
	}
	for _, p := range past {
		if p.ID == c.ID || p.AgentID == "" {
			continue
		}
		if s.Within > 0 && !c.CreatedAt.IsZero() && c.CreatedAt.Sub(p.UpdatedAt) > s.Within {
			return "", nil
		}
		if isCandidate(req, p.AgentID) {
			return p.AgentID, nil
		}
		return "", nil
	}
	return "", nil
}
