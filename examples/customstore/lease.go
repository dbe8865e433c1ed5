package main

import (
	"context"
	"time"
)

// RenewAgentLeases implements chat.Store.
func (s *Store) RenewAgentLeases(ctx context.Context, holder string, until time.Time, agentIDs []string) (err error) {
	defer func(t time.Time) { s.observe(ctx, "RenewAgentLeases", t, err) }(time.Now())
	return s.next.RenewAgentLeases(ctx, holder, until, agentIDs)
}

// ReleaseAgentLease implements chat.Store.
func (s *Store) ReleaseAgentLease(ctx context.Context, agentID, holder string, at time.Time) (_ bool, err error) {
	defer func(t time.Time) { s.observe(ctx, "ReleaseAgentLease", t, err) }(time.Now())
	return s.next.ReleaseAgentLease(ctx, agentID, holder, at)
}

// ExpiredAgentLeases implements chat.Store.
func (s *Store) ExpiredAgentLeases(ctx context.Context, at time.Time, limit int) (_ []string, err error) {
	defer func(t time.Time) { s.observe(ctx, "ExpiredAgentLeases", t, err) }(time.Now())
	return s.next.ExpiredAgentLeases(ctx, at, limit)
}

// DeleteAgentLeases implements chat.Store.
func (s *Store) DeleteAgentLeases(ctx context.Context, agentID string, at time.Time) (err error) {
	defer func(t time.Time) { s.observe(ctx, "DeleteAgentLeases", t, err) }(time.Now())
	return s.next.DeleteAgentLeases(ctx, agentID, at)
}
