package chat

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultAgentLeaseTTL is how long an agent's presence lease lasts unless
// Config.AgentLeaseTTL says otherwise.
const DefaultAgentLeaseTTL = 30 * time.Second

// AgentLeaseStore keeps the presence leases of agents: each transport
// instance (a holder) holds a lease on every agent connected to it, renews
// it while the agent stays, and releases it when the agent leaves. An agent
// whose every lease has expired was left online by an instance that
// stopped without a goodbye (a crash, a lost machine), and the Desk sets
// them offline. Leases live in the store, so that every instance sees
// those of the others.
//
// Rules, besides those of Store:
//   - A lease is named by its agent id and holder, each 1 to MaxIDBytes of
//     UTF-8 text. Arguments are checked with CheckAgentLease first. The
//     agent need not be stored.
//   - A lease is live at t when it ends after t, and expired at t when it
//     ends at or before t. Times are kept as Timestamp.
//   - An agent with no lease at all is never reported: agents set online
//     by the shop's own code are left alone.
type AgentLeaseStore interface {
	// RenewAgentLeases makes holder's lease on each of agentIDs end at
	// until, creating the leases that are missing, all in one go. At most
	// MaxPageSize agent ids; none does nothing.
	RenewAgentLeases(ctx context.Context, holder string, until time.Time, agentIDs []string) error
	// ReleaseAgentLease ends holder's lease on agentID at at, unless it
	// ended before. The lease stays stored, expired, until
	// DeleteAgentLeases removes it, so that ExpiredAgentLeases still
	// reports the agent when two holders release at once and each saw the
	// other's lease live. A missing lease is not an error. held reports
	// whether another lease of the agent is live at at.
	ReleaseAgentLease(ctx context.Context, agentID, holder string, at time.Time) (held bool, err error)
	// ExpiredAgentLeases returns the agents who have leases and whose every
	// lease is expired at at, ordered by id, at most limit of them. limit
	// follows the rules of MessageQuery.Limit.
	ExpiredAgentLeases(ctx context.Context, at time.Time, limit int) ([]string, error)
	// DeleteAgentLeases deletes the leases of agentID that are expired at
	// at, and keeps the live ones. Nothing to delete is not an error.
	DeleteAgentLeases(ctx context.Context, agentID string, at time.Time) error
}

// CheckAgentLease reports with ErrInvalid why the arguments of an
// AgentLeaseStore method break its rules: at must be a time between the
// years 1970 and 9999, and every id, agent ids and holders alike, 1 to
// MaxIDBytes bytes of UTF-8 without NUL. Stores call it first, with the
// method's time and ids; RenewAgentLeases also refuses more than
// MaxPageSize agent ids.
func CheckAgentLease(at time.Time, ids ...string) error {
	if err := checkTime("lease time", at); err != nil {
		return err
	}
	for _, id := range ids {
		if id == "" {
			return invalid("agent id or lease holder is missing")
		}
		if err := checkText("agent id or lease holder", id, MaxIDBytes); err != nil {
			return err
		}
	}
	return nil
}

// AgentLeaseTTL returns how long a lease made with RenewAgentLeases lasts:
// Config.AgentLeaseTTL or its default.
func (d *Desk) AgentLeaseTTL() time.Duration { return d.leaseTTL }

// RenewAgentLeases makes holder's leases on agentIDs last AgentLeaseTTL
// from now. A transport calls it for the agents connected to it, more than
// once per AgentLeaseTTL, and releases each with ReleaseAgentLease when the
// agent leaves. holder names the caller, the same for all of its agents and
// different from every other instance's: a random id per process.
func (d *Desk) RenewAgentLeases(ctx context.Context, holder string, agentIDs []string) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	if holder == "" {
		return invalid("lease holder is missing")
	}
	for len(agentIDs) > 0 {
		n := min(len(agentIDs), MaxPageSize)
		if err := d.store.RenewAgentLeases(ctx, holder, d.timestamp().Add(d.leaseTTL), agentIDs[:n]); err != nil {
			return err
		}
		agentIDs = agentIDs[n:]
	}
	return nil
}

// ReleaseAgentLease ends holder's lease on the agent. When no other lease
// of theirs lives, the agent has left every instance and is set offline as
// SetAgentStatus does: their open conversations go back to the queue.
// When two holders release at once, each may see the other's lease live;
// the next Sweep then finds every lease expired and sets the agent offline.
func (d *Desk) ReleaseAgentLease(ctx context.Context, agentID, holder string) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	if agentID == "" || holder == "" {
		return invalid("agent id and lease holder are required")
	}
	now := d.timestamp()
	held, err := d.store.ReleaseAgentLease(ctx, agentID, holder, now)
	if err != nil || held {
		return err
	}
	return d.leaseGone(ctx, agentID, now)
}

// expireAgentLeases sets offline the agents whose every lease has expired,
// and forgets those leases. It is part of Sweep.
func (d *Desk) expireAgentLeases(ctx context.Context) error {
	now := d.timestamp()
	var errs []error
	for {
		ids, err := d.store.ExpiredAgentLeases(ctx, now, MaxPageSize)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		failed := 0
		for _, id := range ids {
			if err := d.leaseGone(ctx, id, now); err != nil {
				errs = append(errs, err)
				failed++
			}
		}
		// A failed agent is listed again; stop rather than loop on it.
		if len(ids) < MaxPageSize || failed > 0 {
			return errors.Join(errs...)
		}
	}
}

// leaseGone sets offline an agent with no live lease left, then deletes
// their expired leases; a failure keeps the leases, so that the next sweep
// tries again.
func (d *Desk) leaseGone(ctx context.Context, agentID string, now time.Time) error {
	a, err := d.store.Agent(ctx, agentID)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	case a.Status != AgentOffline:
		d.log.InfoContext(ctx, "chat: an agent's presence lease ended; setting them offline", "agent", agentID)
		if _, err := d.SetAgentStatus(ctx, agentID, AgentOffline); err != nil {
			return fmt.Errorf("chat: setting agent %.64q offline: %w", agentID, err)
		}
	}
	return d.store.DeleteAgentLeases(ctx, agentID, now)
}
