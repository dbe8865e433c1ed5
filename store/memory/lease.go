package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/parleychat/parley/chat"
)

// RenewAgentLeases implements chat.Store.
func (s *Store) RenewAgentLeases(ctx context.Context, holder string, until time.Time, agentIDs []string) error {
	if err := check(ctx, checkRenew(holder, until, agentIDs)); err != nil {
		return err
	}
	until = chat.Timestamp(until)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leases == nil {
		s.leases = make(map[string]map[string]time.Time)
	}
	for _, id := range agentIDs {
		held := s.leases[id]
		if held == nil {
			held = make(map[string]time.Time)
			s.leases[id] = held
		}
		held[holder] = until
	}
	return nil
}

func checkRenew(holder string, until time.Time, agentIDs []string) error {
	if len(agentIDs) > chat.MaxPageSize {
		return fmt.Errorf("%w: %d agent ids, over the limit of %d", chat.ErrInvalid, len(agentIDs), chat.MaxPageSize)
	}
	return chat.CheckAgentLease(until, append([]string{holder}, agentIDs...)...)
}

// ReleaseAgentLease implements chat.Store.
func (s *Store) ReleaseAgentLease(ctx context.Context, agentID, holder string, at time.Time) (bool, error) {
	if err := check(ctx, chat.CheckAgentLease(at, agentID, holder)); err != nil {
		return false, err
	}
	at = chat.Timestamp(at)
	s.mu.Lock()
	defer s.mu.Unlock()
	held := false
	for h, until := range s.leases[agentID] {
		switch {
		case h == holder:
			if until.After(at) {
				s.leases[agentID][h] = at
			}
		case until.After(at):
			held = true
		}
	}
	return held, nil
}

// ExpiredAgentLeases implements chat.Store.
func (s *Store) ExpiredAgentLeases(ctx context.Context, at time.Time, limit int) ([]string, error) {
	limit, err := chat.CheckLimit(limit)
	if err == nil {
		err = chat.CheckAgentLease(at)
	}
	if err := check(ctx, err); err != nil {
		return nil, err
	}
	at = chat.Timestamp(at)
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []string{}
	for id, held := range s.leases {
		if len(held) > 0 && !live(held, at) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out[:min(len(out), limit)], nil
}

// live reports whether one of the leases is live at at.
func live(held map[string]time.Time, at time.Time) bool {
	for _, until := range held {
		if until.After(at) {
			return true
		}
	}
	return false
}

// DeleteAgentLeases implements chat.Store.
func (s *Store) DeleteAgentLeases(ctx context.Context, agentID string, at time.Time) error {
	if err := check(ctx, chat.CheckAgentLease(at, agentID)); err != nil {
		return err
	}
	at = chat.Timestamp(at)
	s.mu.Lock()
	defer s.mu.Unlock()
	held := s.leases[agentID]
	for h, until := range held {
		if !until.After(at) {
			delete(held, h)
		}
	}
	if len(held) == 0 {
		delete(s.leases, agentID)
	}
	return nil
}
