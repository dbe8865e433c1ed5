package route

import (
	"context"

	"github.com/parleychat/parley/chat"
)

// Departments picks a router by the conversation's department, the topic the
// visitor chose when starting the chat. Department names are matched
// exactly.
//
// The chosen router's answer is final: when it answers "", the conversation
// stays queued. To fall back to another policy instead, give the department
// a [Chain], for example Chain(Prefer{"olga"}, LeastBusy{}).
//
// A nil Default, like a nil router in Routes, answers "".
type Departments struct {
	// Routes maps a department to the router for its conversations.
	Routes map[string]chat.Router
	// Default routes conversations of departments not in Routes, and those
	// with no department.
	Default chat.Router
}

var _ chat.Router = Departments{}

// Route asks the router of req.Conversation.Department, or Default.
func (d Departments) Route(ctx context.Context, req chat.RouteRequest) (string, error) {
	r, ok := d.Routes[req.Conversation.Department]
	if !ok {
		r = d.Default
	}
	if r == nil {
		return "", nil
	}
	return r.Route(ctx, req)
}

// Prefer lists agent IDs in order of preference: Route returns the first of
// them who is a candidate, or "" when none is. Use it for a department's own
// staff, or for a named key-account manager.
type Prefer []string

var _ chat.Router = Prefer(nil)

// Route returns the first preferred agent who is among req.Candidates.
func (p Prefer) Route(_ context.Context, req chat.RouteRequest) (string, error) {
	for _, id := range p {
		if isCandidate(req, id) {
			return id, nil
		}
	}
	return "", nil
}

// isCandidate reports whether the agent with the given id is a candidate.
func isCandidate(req chat.RouteRequest, id string) bool {
	if id == "" {
		return false
	}
	for _, c := range req.Candidates {
		if c.Agent.ID == id {
			return true
		}
	}
	return false
}
