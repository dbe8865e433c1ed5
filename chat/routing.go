package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// place asks the Router for an agent for the queued or waiting
// conversation c and assigns it, or leaves it as it is when the Router
// returns "". Agent exclude, if not empty, is no candidate: the agent who
// just transferred c away. The caller holds d.routeMu.
func (d *Desk) place(ctx context.Context, c ConversationInfo, exclude string) error {
	_, err := d.placeOrFull(ctx, c, exclude)
	return err
}

// placeOrFull is place that also reports when nobody had room for c's
// department, so that a drain can skip the department's other
// conversations. The candidates' load is read from the Store, and the
// Store refuses an agent another instance filled since (ErrAgentBusy):
// then the Router is asked again, with the candidates read again.
func (d *Desk) placeOrFull(ctx context.Context, c ConversationInfo, exclude string) (full bool, _ error) {
	const attempts = 8
	var shop *RouteRequest // the visitor and their shop context, read once
	for range attempts {
		candidates, err := d.candidates(ctx, c.Department)
		if err != nil {
			return false, err
		}
		candidates = slices.DeleteFunc(candidates, func(cd Candidate) bool { return cd.Agent.ID == exclude })
		if len(candidates) == 0 {
			return true, nil
		}
		if shop == nil {
			shop = &RouteRequest{Conversation: c}
			d.routeShop(ctx, shop)
		}
		req := RouteRequest{Conversation: c, Candidates: candidates, Visitor: shop.Visitor, Shop: shop.Shop}
		agentID, err := d.router.Route(ctx, req)
		if err != nil {
			return false, fmt.Errorf("chat: router: %w", err)
		}
		if agentID == "" {
			return false, nil
		}
		if !slices.ContainsFunc(candidates, func(cd Candidate) bool { return cd.Agent.ID == agentID }) {
			return false, fmt.Errorf("chat: router chose %q, who is not a candidate", agentID)
		}
		h := &handle{desk: d, id: c.ID}
		_, err = h.assign(ctx, agentID, true)
		if !errors.Is(err, ErrAgentBusy) {
			return false, err
		}
	}
	// Agents keep filling up under it; the conversation stays queued for
	// the next drain.
	return false, nil
}

// candidates returns the online agents who serve department and have room,
// with their current load, ordered by ID. The loads of all of them are
// read in one store call.
func (d *Desk) candidates(ctx context.Context, department string) ([]Candidate, error) {
	agents, err := d.store.Agents(ctx)
	if err != nil {
		return nil, err
	}
	agents = slices.DeleteFunc(agents, func(a Agent) bool { return a.Status != AgentOnline || !serves(a, department) })
	if len(agents) == 0 {
		return nil, nil
	}
	ids := make([]string, len(agents))
	for i, a := range agents {
		ids[i] = a.ID
	}
	loads, err := d.store.AgentLoads(ctx, ids)
	if err != nil {
		return nil, err
	}
	if len(loads) != len(agents) {
		return nil, fmt.Errorf("chat: the store returned %d agent loads for %d agents", len(loads), len(agents))
	}
	var out []Candidate
	for i, a := range agents {
		load := loads[i]
		if a.Capacity != 0 && load.Open >= a.Capacity {
			continue
		}
		out = append(out, Candidate{Agent: a, Active: load.Open, LastAssignedAt: load.LastAssignedAt})
	}
	return out, nil
}

// serves reports whether agent a takes conversations of department.
func serves(a Agent, department string) bool {
	return department == "" || len(a.Departments) == 0 || slices.Contains(a.Departments, department)
}

// drainQueue offers waiting and queued conversations to agents with room;
// see drainQueueLocked.
func (d *Desk) drainQueue(ctx context.Context) {
	d.routeMu.Lock()
	defer d.routeMu.Unlock()
	d.drainQueueLocked(ctx)
}

// drainQueueLocked offers conversations to agents with room: the queue
// first, oldest first, since those visitors are waiting on the site; then
// offline requests, oldest first, once their department is open, so that
// they never take the room a live shopper needs. It runs after an agent
// comes online or frees up, and from Sweep. Failures are logged: the
// conversations keep waiting and the next drain tries again. The caller
// holds d.routeMu.
func (d *Desk) drainQueueLocked(ctx context.Context) {
	d.drainLocked(ctx, StatusQueued, StatusWaiting)
	d.publishQueue(ctx)
}

// drainLocked offers the conversations of each status in turn, oldest
// first. The caller holds d.routeMu.
func (d *Desk) drainLocked(ctx context.Context, statuses ...Status) {
	now := d.timestamp()
	full := make(map[string]bool) // departments nobody has room for
	for _, st := range statuses {
		err := d.eachConversation(ctx, ConversationFilter{Statuses: []Status{st}}, func(c ConversationInfo) {
			if full[c.Department] || st == StatusWaiting && d.hours != nil && !d.hours.IsOpen(c.Department, now) {
				return
			}
			isFull, err := d.placeOrFull(ctx, c, "")
			if err != nil {
				d.log.ErrorContext(ctx, "chat: placing a waiting conversation", "conversation", c.ID, "err", err)
			}
			full[c.Department] = isFull
		})
		if err != nil {
			d.log.ErrorContext(ctx, "chat: listing the queue", "status", st, "err", err)
		}
	}
}

// eachConversation calls fn for every conversation that matches f, oldest
// first, reading them a page at a time. f.Limit, f.Newest and f.After are
// ignored.
func (d *Desk) eachConversation(ctx context.Context, f ConversationFilter, fn func(ConversationInfo)) error {
	f.Limit, f.Newest, f.After = MaxPageSize, false, ConversationCursor{}
	for {
		page, err := d.store.Conversations(ctx, f)
		if err != nil {
			return err
		}
		for _, c := range page {
			fn(c)
		}
		if len(page) < MaxPageSize {
			return nil
		}
		f.After = page[len(page)-1].Cursor()
	}
}
