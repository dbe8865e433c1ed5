package main

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// CountEmail implements chat.Store.
func (s *Store) CountEmail(ctx context.Context, visitorID uuid.UUID, address string, at time.Time, limits chat.EmailLimits) (err error) {
	defer func(t time.Time) { s.observe(ctx, "CountEmail", t, err) }(time.Now())
	return s.next.CountEmail(ctx, visitorID, address, at, limits)
}

// ProveEmail implements chat.Store.
func (s *Store) ProveEmail(ctx context.Context, visitorID uuid.UUID, address string, at time.Time) (err error) {
	defer func(t time.Time) { s.observe(ctx, "ProveEmail", t, err) }(time.Now())
	return s.next.ProveEmail(ctx, visitorID, address, at)
}

// EmailProven implements chat.Store.
func (s *Store) EmailProven(ctx context.Context, visitorID uuid.UUID, address string) (_ bool, err error) {
	defer func(t time.Time) { s.observe(ctx, "EmailProven", t, err) }(time.Now())
	return s.next.EmailProven(ctx, visitorID, address)
}

// AddEmailConfirmation implements chat.Store.
func (s *Store) AddEmailConfirmation(ctx context.Context, c chat.EmailConfirmation) (err error) {
	defer func(t time.Time) { s.observe(ctx, "AddEmailConfirmation", t, err) }(time.Now())
	return s.next.AddEmailConfirmation(ctx, c)
}

// ConfirmEmail implements chat.Store.
func (s *Store) ConfirmEmail(ctx context.Context, tokenHash string, now time.Time) (_ chat.EmailConfirmation, err error) {
	defer func(t time.Time) { s.observe(ctx, "ConfirmEmail", t, err) }(time.Now())
	return s.next.ConfirmEmail(ctx, tokenHash, now)
}

// SuppressEmail implements chat.Store.
func (s *Store) SuppressEmail(ctx context.Context, sup chat.EmailSuppression) (err error) {
	defer func(t time.Time) { s.observe(ctx, "SuppressEmail", t, err) }(time.Now())
	return s.next.SuppressEmail(ctx, sup)
}

// UnsuppressEmail implements chat.Store.
func (s *Store) UnsuppressEmail(ctx context.Context, address string) (err error) {
	defer func(t time.Time) { s.observe(ctx, "UnsuppressEmail", t, err) }(time.Now())
	return s.next.UnsuppressEmail(ctx, address)
}

// EmailSuppression implements chat.Store.
func (s *Store) EmailSuppression(ctx context.Context, address string) (_ chat.EmailSuppression, err error) {
	defer func(t time.Time) { s.observe(ctx, "EmailSuppression", t, err) }(time.Now())
	return s.next.EmailSuppression(ctx, address)
}
