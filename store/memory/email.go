package memory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// emailState is what the store keeps for chat.EmailStore. Its maps are
// made on first use.
type emailState struct {
	counts        map[countKey]int       // emails per visitor or address and UTC day
	newest        int64                  // the newest day counted; older days are pruned
	proven        map[provenKey]struct{} // addresses proven by visitors
	confirmations map[string]chat.EmailConfirmation
	suppressed    map[string]chat.EmailSuppression
}

// countKey names one count: of a visitor's emails (address empty) or of
// an address's (visitor nil) on a day.
type countKey struct {
	visitor uuid.UUID
	address string
	day     int64
}

type provenKey struct {
	visitor uuid.UUID
	address string
}

// utcDay numbers the UTC day of t.
func utcDay(t time.Time) int64 { return t.Unix() / (24 * 60 * 60) }

// CountEmail implements chat.Store.
func (s *Store) CountEmail(ctx context.Context, visitorID uuid.UUID, address string, at time.Time, limits chat.EmailLimits) error {
	if err := check(ctx, errors.Join(chat.CheckAddress(address), limits.Validate(), nilID(visitorID))); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := &s.email
	day := utcDay(at)
	if e.counts == nil {
		e.counts = make(map[countKey]int)
	}
	if day > e.newest {
		e.newest = day
		for k := range e.counts {
			if k.day < day {
				delete(e.counts, k)
			}
		}
	}
	byVisitor, byAddress := countKey{visitor: visitorID, day: day}, countKey{address: address, day: day}
	if e.counts[byVisitor] >= limits.PerVisitor {
		return fmt.Errorf("%w: visitor %s was sent %d emails today", chat.ErrEmailLimit, visitorID, limits.PerVisitor)
	}
	if e.counts[byAddress] >= limits.PerAddress {
		return fmt.Errorf("%w: %.64q was sent %d emails today", chat.ErrEmailLimit, address, limits.PerAddress)
	}
	e.counts[byVisitor]++
	e.counts[byAddress]++
	return nil
}

// ProveEmail implements chat.Store.
func (s *Store) ProveEmail(ctx context.Context, visitorID uuid.UUID, address string, at time.Time) error {
	if err := check(ctx, errors.Join(chat.CheckAddress(address), nilID(visitorID))); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prove(visitorID, address)
	return nil
}

func (s *Store) prove(visitorID uuid.UUID, address string) {
	if s.email.proven == nil {
		s.email.proven = make(map[provenKey]struct{})
	}
	s.email.proven[provenKey{visitorID, address}] = struct{}{}
}

// EmailProven implements chat.Store.
func (s *Store) EmailProven(ctx context.Context, visitorID uuid.UUID, address string) (bool, error) {
	if err := check(ctx, chat.CheckAddress(address)); err != nil {
		return false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.email.proven[provenKey{visitorID, address}]
	return ok, nil
}

// AddEmailConfirmation implements chat.Store.
func (s *Store) AddEmailConfirmation(ctx context.Context, c chat.EmailConfirmation) error {
	if err := check(ctx, c.Validate()); err != nil {
		return err
	}
	c.ExpiresAt = chat.Timestamp(c.ExpiresAt)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.email.confirmations == nil {
		s.email.confirmations = make(map[string]chat.EmailConfirmation)
	}
	if _, ok := s.email.confirmations[c.TokenHash]; ok {
		return fmt.Errorf("%w: a confirmation with this token exists", chat.ErrConflict)
	}
	s.email.confirmations[c.TokenHash] = c
	return nil
}

// ConfirmEmail implements chat.Store.
func (s *Store) ConfirmEmail(ctx context.Context, tokenHash string, now time.Time) (chat.EmailConfirmation, error) {
	if err := ctx.Err(); err != nil {
		return chat.EmailConfirmation{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, c := range s.email.confirmations {
		if !c.ExpiresAt.After(now) {
			delete(s.email.confirmations, h)
		}
	}
	c, ok := s.email.confirmations[tokenHash]
	if !ok {
		return chat.EmailConfirmation{}, fmt.Errorf("%w: no pending confirmation with this token", chat.ErrNotFound)
	}
	delete(s.email.confirmations, tokenHash)
	s.prove(c.VisitorID, c.Address)
	return c, nil
}

// SuppressEmail implements chat.Store.
func (s *Store) SuppressEmail(ctx context.Context, sup chat.EmailSuppression) error {
	if err := check(ctx, sup.Validate()); err != nil {
		return err
	}
	sup.At = chat.Timestamp(sup.At)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.email.suppressed == nil {
		s.email.suppressed = make(map[string]chat.EmailSuppression)
	}
	s.email.suppressed[sup.Address] = sup
	return nil
}

// UnsuppressEmail implements chat.Store.
func (s *Store) UnsuppressEmail(ctx context.Context, address string) error {
	if err := check(ctx, chat.CheckAddress(address)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.email.suppressed[address]; !ok {
		return notFound("suppressed address", fmt.Sprintf("%.64q", address))
	}
	delete(s.email.suppressed, address)
	return nil
}

// EmailSuppression implements chat.Store.
func (s *Store) EmailSuppression(ctx context.Context, address string) (chat.EmailSuppression, error) {
	if err := check(ctx, chat.CheckAddress(address)); err != nil {
		return chat.EmailSuppression{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	sup, ok := s.email.suppressed[address]
	if !ok {
		return chat.EmailSuppression{}, notFound("suppressed address", fmt.Sprintf("%.64q", address))
	}
	return sup, nil
}

func nilID(id uuid.UUID) error {
	if id == uuid.Nil {
		return fmt.Errorf("%w: visitor id is missing", chat.ErrInvalid)
	}
	return nil
}
