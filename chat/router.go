package chat

import (
	"context"
	"time"
)

// Router decides which agent serves a conversation. The Desk calls it when a
// conversation starts, and again for queued conversations whenever an agent
// comes online or finishes a conversation. Calls are serialized by the Desk,
// so a Router needs no locking of its own for state it keeps between calls.
type Router interface {
	// Route returns the ID of one of req.Candidates, or "" to leave the
	// conversation queued. An ID that is not a candidate is an error.
	Route(ctx context.Context, req RouteRequest) (agentID string, err error)
}

// RouteRequest is what a Router decides on. New fields may be added.
type RouteRequest struct {
	// Conversation is the conversation to place.
	Conversation ConversationInfo
	// Candidates are the online agents who serve the conversation's
	// department and have room under their Capacity, ordered by Agent.ID.
	Candidates []Candidate
	// Visitor is the conversation's visitor and Shop what the shop's
	// Config.Customers and Config.Carts tell about them, for example to
	// send a large cart to senior agents. Both are zero when neither
	// source is configured, or when reading them failed (which is
	// logged).
	Visitor Visitor
	Shop    ShopContext
}

// Candidate is an agent who could take a conversation, with their load.
type Candidate struct {
	Agent  Agent
	Active int // open conversations assigned to the agent now
	// LastAssignedAt is when the agent last got a conversation, as the
	// Store tells it (AgentLoad.LastAssignedAt: the latest assignment of
	// any of their conversations); zero if never. Every instance of a
	// shop reads the same, so a Router that turns on it agrees with the
	// others.
	LastAssignedAt time.Time
}

// RouterFunc lets an ordinary function serve as a Router.
type RouterFunc func(ctx context.Context, req RouteRequest) (string, error)

// Route calls f.
func (f RouterFunc) Route(ctx context.Context, req RouteRequest) (string, error) {
	return f(ctx, req)
}

// FirstAvailable is the default Router: it gives the conversation to the
// first candidate in ID order. It is simple and predictable; shops with more
// than one agent will usually want a policy that spreads the load.
type FirstAvailable struct{}

// Route returns the first candidate, or "" when there is none.
func (FirstAvailable) Route(_ context.Context, req RouteRequest) (string, error) {
	if len(req.Candidates) == 0 {
		return "", nil
	}
	return req.Candidates[0].Agent.ID, nil
}
