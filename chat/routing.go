package chat

import (
	"context"
	"fmt"
	"slices"
)

// place asks the Router for an agent for the queued conversation c and
// assigns it, or leaves it queued when the Router returns "". The caller
// holds d.routeMu.
func (d *Desk) place(ctx context.Context, c ConversationInfo) error {
	candidates, err := d.candidates(ctx, c.Department)
	if err != nil {
		return err
	}
	agentID, err := d.router.Route(ctx, RouteRequest{Conversation: c, Candidates: candidates})
	if err != nil {
		return fmt.Errorf("chat: router: %w", err)
	}
	if agentID == "" {
		return nil
	}
	if !slices.ContainsFunc(candidates, func(cd Candidate) bool { return cd.Agent.ID == agentID }) {
		return fmt.Errorf("chat: router chose %q, who is not a candidate", agentID)
	}
	h := &handle{desk: d, id: c.ID}
	_, err = h.assign(ctx, agentID, true)
	return err
}

// candidates returns the online agents who serve department and have room,
// with their current load, ordered by ID.
func (d *Desk) candidates(ctx context.Context, department string) ([]Candidate, error) {
	agents, err := d.store.Agents(ctx)
	if err != nil {
		return nil, err
	}
	var out []Candidate
	for _, a := range agents {
		if a.Status != AgentOnline || !serves(a, department) {
			continue
		}
		open, err := d.store.Conversations(ctx, ConversationFilter{
			Statuses: []Status{StatusOpen},
			AgentID:  a.ID,
			Limit:    MaxPageSize,
		})
		if err != nil {
			return nil, err
		}
		if a.Capacity == 0 || len(open) < a.Capacity {
			out = append(out, Candidate{Agent: a, Active: len(open)})
		}
	}
	return out, nil
}

// serves reports whether agent a takes conversations of department.
func serves(a Agent, department string) bool {
	return department == "" || len(a.Departments) == 0 || slices.Contains(a.Departments, department)
}

// drainQueue offers queued conversations, oldest first, to agents with room.
// It runs after an agent comes online or frees up. Failures are logged: the
// conversations stay queued and the next drain tries again.
func (d *Desk) drainQueue(ctx context.Context) {
	d.routeMu.Lock()
	defer d.routeMu.Unlock()
	queued, err := d.store.Conversations(ctx, ConversationFilter{Statuses: []Status{StatusQueued}, Limit: MaxPageSize})
	if err != nil {
		d.log.ErrorContext(ctx, "chat: listing the queue", "err", err)
		return
	}
	for _, c := range queued {
		if err := d.place(ctx, c); err != nil {
			d.log.ErrorContext(ctx, "chat: placing a queued conversation", "conversation", c.ID, "err", err)
		}
	}
}
