package route

import (
	"context"

	"github.com/parleychat/parley/chat"
)

// LeastBusy gives the conversation to the candidate with the fewest open
// conversations (Candidate.Active). Among equally busy candidates it prefers
// the one with the most room relative to their size, the lowest
// Active/Capacity (an agent with Capacity 0 has no limit and counts as
// empty), and then the lowest agent ID, so the choice is predictable.
//
// LeastBusy keeps no state; the zero value is ready to use.
type LeastBusy struct{}

var _ chat.Router = LeastBusy{}

// Route returns the least busy candidate, or "" when there are none.
func (LeastBusy) Route(_ context.Context, req chat.RouteRequest) (string, error) {
	if len(req.Candidates) == 0 {
		return "", nil
	}
	best := req.Candidates[0]
	for _, c := range req.Candidates[1:] {
		if busier(best, c) {
			best = c
		}
	}
	return best.Agent.ID, nil
}

// busier reports whether a should give way to b.
func busier(a, b chat.Candidate) bool {
	if a.Active != b.Active {
		return a.Active > b.Active
	}
	// Compare a.Active/a.Capacity with b.Active/b.Capacity without division;
	// Capacity 0 (no limit) makes the ratio 0.
	ra, rb := int64(0), int64(0)
	if a.Agent.Capacity > 0 && b.Agent.Capacity > 0 {
		ra = int64(a.Active) * int64(b.Agent.Capacity)
		rb = int64(b.Active) * int64(a.Agent.Capacity)
	} else {
		if a.Agent.Capacity > 0 && a.Active > 0 {
			ra = 1
		}
		if b.Agent.Capacity > 0 && b.Active > 0 {
			rb = 1
		}
	}
	if ra != rb {
		return ra > rb
	}
	return a.Agent.ID > b.Agent.ID
}
