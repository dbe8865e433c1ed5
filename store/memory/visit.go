package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// visitTable holds the visitors' presence leases and visits; s.mu guards
// it. Its maps are made on first use.
type visitTable struct {
	leases map[uuid.UUID]map[string]time.Time // visitor id to holder to end
	visits map[uuid.UUID]*chat.Visit          // by visitor id
	byID   map[uuid.UUID]uuid.UUID            // visit id to visitor id
	invs   map[uuid.UUID]uuid.UUID            // invitation id to visitor id
}

func (t *visitTable) init() {
	if t.visits == nil {
		t.leases = make(map[uuid.UUID]map[string]time.Time)
		t.visits = make(map[uuid.UUID]*chat.Visit)
		t.byID = make(map[uuid.UUID]uuid.UUID)
		t.invs = make(map[uuid.UUID]uuid.UUID)
	}
}

// drop forgets the visitor's visit and its invitations.
func (t *visitTable) drop(visitorID uuid.UUID) {
	v := t.visits[visitorID]
	if v == nil {
		return
	}
	for _, inv := range v.Invitations {
		delete(t.invs, inv.ID)
	}
	delete(t.byID, v.ID)
	delete(t.visits, visitorID)
}

// StartVisit implements chat.Store.
func (s *Store) StartVisit(ctx context.Context, l chat.VisitLease) (chat.Visit, error) {
	if err := check(ctx, l.Validate()); err != nil {
		return chat.Visit{}, err
	}
	at, until := chat.Timestamp(l.At), chat.Timestamp(l.Until)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.visitTable
	t.init()
	v := t.visits[l.VisitorID]
	if v == nil || !v.EndsAt.After(at.Add(-l.Gap)) {
		t.drop(l.VisitorID)
		v = &chat.Visit{ID: l.NewID, VisitorID: l.VisitorID, BeganAt: at, LastActiveAt: at}
		t.visits[l.VisitorID] = v
		t.byID[v.ID] = l.VisitorID
	}
	held := t.leases[l.VisitorID]
	if held == nil {
		held = make(map[string]time.Time)
		t.leases[l.VisitorID] = held
	}
	held[l.Holder] = until
	v.EndsAt = latest(v.EndsAt, until)
	v.LastActiveAt = latest(v.LastActiveAt, at)
	return cloneVisit(v), nil
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func cloneVisit(v *chat.Visit) chat.Visit {
	out := *v
	out.Invitations = slices.Clone(v.Invitations)
	return out
}

// RenewVisitLeases implements chat.Store.
func (s *Store) RenewVisitLeases(ctx context.Context, holder string, until time.Time, visitorIDs []uuid.UUID) error {
	if err := check(ctx, chat.CheckVisitRenewal(holder, until, visitorIDs)); err != nil {
		return err
	}
	until = chat.Timestamp(until)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.visitTable
	t.init()
	for _, id := range visitorIDs {
		v := t.visits[id]
		if v == nil {
			continue
		}
		held := t.leases[id]
		if held == nil {
			held = make(map[string]time.Time)
			t.leases[id] = held
		}
		held[holder] = until
		v.EndsAt = latest(v.EndsAt, until)
	}
	return nil
}

// ReleaseVisitLease implements chat.Store.
func (s *Store) ReleaseVisitLease(ctx context.Context, visitorID uuid.UUID, holder string, at time.Time) (bool, error) {
	if err := check(ctx, chat.CheckVisitRelease(visitorID, holder, at)); err != nil {
		return false, err
	}
	at = chat.Timestamp(at)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.visitTable
	t.init()
	held := t.leases[visitorID]
	if until, ok := held[holder]; ok && until.After(at) {
		held[holder] = at
	}
	if live(held, at) {
		return true, nil
	}
	if v := t.visits[visitorID]; v != nil && v.EndsAt.After(at) {
		v.EndsAt = at
	}
	return false, nil
}

// Visit implements chat.Store.
func (s *Store) Visit(ctx context.Context, visitorID uuid.UUID) (chat.Visit, error) {
	if err := ctx.Err(); err != nil {
		return chat.Visit{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := s.visitTable.visits[visitorID]
	if v == nil {
		return chat.Visit{}, notFound("visit of visitor", visitorID)
	}
	return cloneVisit(v), nil
}

// LiveVisits implements chat.Store.
func (s *Store) LiveVisits(ctx context.Context, at time.Time) ([]chat.Visit, error) {
	if err := check(ctx, chat.CheckVisitTimes(at)); err != nil {
		return nil, err
	}
	at = chat.Timestamp(at)
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []chat.Visit{}
	for id, v := range s.visitTable.visits {
		if live(s.visitTable.leases[id], at) {
			out = append(out, cloneVisit(v))
		}
	}
	slices.SortFunc(out, func(a, b chat.Visit) int {
		if c := a.BeganAt.Compare(b.BeganAt); c != 0 {
			return c
		}
		return bytes.Compare(a.VisitorID[:], b.VisitorID[:])
	})
	return out, nil
}

// visit returns the visit with the given id. s.mu is held.
func (s *Store) visit(id uuid.UUID) (*chat.Visit, error) {
	if visitor, ok := s.visitTable.byID[id]; ok {
		return s.visitTable.visits[visitor], nil
	}
	return nil, notFound("visit", id)
}

// TouchVisit implements chat.Store.
func (s *Store) TouchVisit(ctx context.Context, visitID uuid.UUID, at time.Time) error {
	if err := check(ctx, chat.CheckVisitTimes(at)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.visit(visitID)
	if err != nil {
		return err
	}
	v.LastActiveAt = latest(v.LastActiveAt, chat.Timestamp(at))
	return nil
}

// AddInvitation implements chat.Store.
func (s *Store) AddInvitation(ctx context.Context, visitID uuid.UUID, inv chat.Invitation) error {
	if err := check(ctx, inv.Validate()); err != nil {
		return err
	}
	inv.At = chat.Timestamp(inv.At)
	inv.ConversationID = uuid.Nil
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.visit(visitID)
	if err != nil {
		return err
	}
	if _, taken := s.visitTable.invs[inv.ID]; taken {
		return fmt.Errorf("%w: invitation %v exists", chat.ErrConflict, inv.ID)
	}
	for _, old := range v.Invitations {
		if old.Rule == inv.Rule || old.Status == chat.InvitationPending {
			return fmt.Errorf("%w: the visit has an invitation of rule %.64q or a pending one", chat.ErrConflict, inv.Rule)
		}
	}
	v.Invitations = append(v.Invitations, inv)
	slices.SortFunc(v.Invitations, compareInvitations)
	s.visitTable.invs[inv.ID] = v.VisitorID
	return nil
}

func compareInvitations(a, b chat.Invitation) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	return bytes.Compare(a.ID[:], b.ID[:])
}

// UpdateInvitation implements chat.Store.
func (s *Store) UpdateInvitation(ctx context.Context, id uuid.UUID, status chat.InvitationStatus, conversationID uuid.UUID) (chat.Invitation, error) {
	if err := check(ctx, status.Validate()); err != nil {
		return chat.Invitation{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	visitor, ok := s.visitTable.invs[id]
	if !ok {
		return chat.Invitation{}, notFound("invitation", id)
	}
	v := s.visitTable.visits[visitor]
	i := slices.IndexFunc(v.Invitations, func(inv chat.Invitation) bool { return inv.ID == id })
	inv := &v.Invitations[i]
	switch {
	case inv.Status == status:
		return *inv, nil
	case !inv.Status.CanBecome(status):
		return *inv, fmt.Errorf("%w: an invitation %s cannot become %s", chat.ErrConflict, inv.Status, status)
	}
	inv.Status = status
	if inv.ConversationID == uuid.Nil {
		inv.ConversationID = conversationID
	}
	return *inv, nil
}

// PruneVisits implements chat.Store.
func (s *Store) PruneVisits(ctx context.Context, at, endedBefore time.Time) error {
	if err := check(ctx, chat.CheckVisitTimes(at, endedBefore)); err != nil {
		return err
	}
	at, endedBefore = chat.Timestamp(at), chat.Timestamp(endedBefore)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.visitTable
	for id, held := range t.leases {
		for h, until := range held {
			if !until.After(at) {
				delete(held, h)
			}
		}
		if len(held) == 0 {
			delete(t.leases, id)
		}
	}
	for id, v := range t.visits {
		if v.EndsAt.Before(endedBefore) && len(t.leases[id]) == 0 {
			t.drop(id)
		}
	}
	return nil
}
