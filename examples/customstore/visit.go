package main

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// StartVisit implements chat.Store.
func (s *Store) StartVisit(ctx context.Context, l chat.VisitLease) (_ chat.Visit, err error) {
	defer func(t time.Time) { s.observe(ctx, "StartVisit", t, err) }(time.Now())
	return s.next.StartVisit(ctx, l)
}

// RenewVisitLeases implements chat.Store.
func (s *Store) RenewVisitLeases(ctx context.Context, holder string, until time.Time, visitorIDs []uuid.UUID) (err error) {
	defer func(t time.Time) { s.observe(ctx, "RenewVisitLeases", t, err) }(time.Now())
	return s.next.RenewVisitLeases(ctx, holder, until, visitorIDs)
}

// ReleaseVisitLease implements chat.Store.
func (s *Store) ReleaseVisitLease(ctx context.Context, visitorID uuid.UUID, holder string, at time.Time) (_ bool, err error) {
	defer func(t time.Time) { s.observe(ctx, "ReleaseVisitLease", t, err) }(time.Now())
	return s.next.ReleaseVisitLease(ctx, visitorID, holder, at)
}

// Visit implements chat.Store.
func (s *Store) Visit(ctx context.Context, visitorID uuid.UUID) (_ chat.Visit, err error) {
	defer func(t time.Time) { s.observe(ctx, "Visit", t, err) }(time.Now())
	return s.next.Visit(ctx, visitorID)
}

// LiveVisits implements chat.Store.
func (s *Store) LiveVisits(ctx context.Context, at time.Time) (_ []chat.Visit, err error) {
	defer func(t time.Time) { s.observe(ctx, "LiveVisits", t, err) }(time.Now())
	return s.next.LiveVisits(ctx, at)
}

// TouchVisit implements chat.Store.
func (s *Store) TouchVisit(ctx context.Context, visitID uuid.UUID, at time.Time) (err error) {
	defer func(t time.Time) { s.observe(ctx, "TouchVisit", t, err) }(time.Now())
	return s.next.TouchVisit(ctx, visitID, at)
}

// AddInvitation implements chat.Store.
func (s *Store) AddInvitation(ctx context.Context, visitID uuid.UUID, inv chat.Invitation) (err error) {
	defer func(t time.Time) { s.observe(ctx, "AddInvitation", t, err) }(time.Now())
	return s.next.AddInvitation(ctx, visitID, inv)
}

// UpdateInvitation implements chat.Store.
func (s *Store) UpdateInvitation(ctx context.Context, id uuid.UUID, status chat.InvitationStatus, conversationID uuid.UUID) (_ chat.Invitation, err error) {
	defer func(t time.Time) { s.observe(ctx, "UpdateInvitation", t, err) }(time.Now())
	return s.next.UpdateInvitation(ctx, id, status, conversationID)
}

// PruneVisits implements chat.Store.
func (s *Store) PruneVisits(ctx context.Context, at, endedBefore time.Time) (err error) {
	defer func(t time.Time) { s.observe(ctx, "PruneVisits", t, err) }(time.Now())
	return s.next.PruneVisits(ctx, at, endedBefore)
}
