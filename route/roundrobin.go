package route

import (
	"context"
	"sync"

	"github.com/parleychat/parley/chat"
)

// RoundRobin takes turns: it gives each conversation to the candidate who
// got one least recently (Candidate.LastAssignedAt, which the Desk reads
// from the Store), so that every instance of a shop follows one rotation.
// Among candidates with the same time, as agents who never got one, it
// takes turns in agent ID order: the ID after the one it chose last time,
// wrapping around to the lowest. Agents who go offline or fill up simply
// drop out of the rotation and rejoin in their place when they return.
//
// The zero value is ready to use. A RoundRobin must not be copied after first
// use; pass a pointer (&route.RoundRobin{}). It is safe for concurrent use.
type RoundRobin struct {
	mu   sync.Mutex
	last string // agent ID chosen last; "" before the first choice
}

var _ chat.Router = (*RoundRobin)(nil)

// Route returns the candidate who got a conversation least recently, the
// next in ID order among equals, or "" when there are no candidates.
func (r *RoundRobin) Route(_ context.Context, req chat.RouteRequest) (string, error) {
	if len(req.Candidates) == 0 {
		return "", nil
	}
	oldest := req.Candidates[0].LastAssignedAt
	for _, c := range req.Candidates[1:] {
		if c.LastAssignedAt.Before(oldest) {
			oldest = c.LastAssignedAt
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// The Desk passes candidates in ID order, but a shop's own wrapper may
	// not: look for the smallest ID after last, and the smallest overall.
	var next, lowest string
	for _, c := range req.Candidates {
		if !c.LastAssignedAt.Equal(oldest) {
			continue
		}
		id := c.Agent.ID
		if lowest == "" || id < lowest {
			lowest = id
		}
		if id > r.last && (next == "" || id < next) {
			next = id
		}
	}
	if next == "" {
		next = lowest
	}
	r.last = next
	return next, nil
}
