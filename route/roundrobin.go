package route

import (
	"context"
	"sync"

	"github.com/parleychat/parley/chat"
)

// RoundRobin takes turns: it gives each conversation to the candidate whose
// agent ID follows, in ID order, the ID it chose last time, wrapping around
// to the lowest ID. Agents who go offline or fill up simply drop out of the
// rotation and rejoin in their place when they return.
//
// The zero value is ready to use. A RoundRobin must not be copied after first
// use; pass a pointer (&route.RoundRobin{}). It is safe for concurrent use.
// The rotation lives in memory, so each instance of a shop rotates on its
// own and a restart starts again from the lowest ID.
type RoundRobin struct {
	mu   sync.Mutex
	last string // agent ID chosen last; "" before the first choice
}

var _ chat.Router = (*RoundRobin)(nil)

// Route returns the candidate after the last one chosen, or "" when there are
// no candidates.
func (r *RoundRobin) Route(_ context.Context, req chat.RouteRequest) (string, error) {
	if len(req.Candidates) == 0 {
		return "", nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// The Desk passes candidates in ID order, but a shop's own wrapper may
	// not: look for the smallest ID after last, and the smallest overall.
	var next, lowest string
	for _, c := range req.Candidates {
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
