package chat

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Limits of an OutboxItem.
const (
	// MaxOutboxPayloadBytes caps the payload of one outbox item: 256 KiB.
	MaxOutboxPayloadBytes = 256 << 10
	// MaxOutboxErrorBytes caps OutboxItem.LastError.
	MaxOutboxErrorBytes = 1 << 10
)

// OutboxItem is one delivery waiting in an OutboxStore: a payload for a
// target outside the chat (a webhook endpoint), tried until it is
// delivered.
type OutboxItem struct {
	// ID names the delivery. It stays the same on every attempt, so that
	// the receiver can tell a repeat from a new delivery.
	ID uuid.UUID
	// Target names where the item goes, 1 to MaxIDBytes of UTF-8 without
	// NUL, as the worker that delivers it understands it.
	Target string
	// Payload is what is delivered, 1 to MaxOutboxPayloadBytes bytes, kept
	// byte for byte.
	Payload []byte
	// CreatedAt is when the item was added.
	CreatedAt time.Time
	// Due is when the next attempt may be made.
	Due time.Time
	// Attempts counts the failed attempts so far; it is 0 when added.
	Attempts int
	// LastError says why the last attempt failed, up to
	// MaxOutboxErrorBytes of UTF-8; empty when added.
	LastError string
}

// Validate reports with ErrInvalid why i cannot be added to an outbox.
func (i OutboxItem) Validate() error {
	if len(i.Payload) == 0 || len(i.Payload) > MaxOutboxPayloadBytes {
		return invalid("outbox payload is %d bytes, not 1 to %d", len(i.Payload), MaxOutboxPayloadBytes)
	}
	if i.Target == "" {
		return invalid("outbox target is missing")
	}
	if i.Attempts < 0 {
		return invalid("outbox attempts %d is negative", i.Attempts)
	}
	return firstErr(checkID("outbox item id", i.ID), checkText("outbox target", i.Target, MaxIDBytes),
		checkText("outbox error", i.LastError, MaxOutboxErrorBytes),
		checkTime("outbox creation time", i.CreatedAt), checkTime("outbox due time", i.Due))
}

// OutboxStore keeps deliveries to the world outside the chat (webhooks)
// until they succeed, so that they survive a restart and every instance
// sharing the store can deliver them. An item is claimed with a lease
// before it is attempted: while the lease is live no other claim returns
// it, so at most one instance delivers a given item at a time; when the
// claimant stops without finishing (a crash), the lease expires and the
// item is claimed again. Delivery is therefore at least once.
//
// It is an optional ability of a Store: store/memory and store/sqlstore
// have it; a shop's own store may leave it out and then cannot carry
// webhooks.
//
// Rules, besides those of Store:
//   - Items are added with Validate checked first. Times are kept as
//     Timestamp; an item is due at t when Due is at or before t, and its
//     lease is live at t when it ends after t.
//   - A holder is 1 to MaxIDBytes of UTF-8 without NUL, as checked by
//     CheckOutboxClaim.
//   - FinishOutbox and RetryOutbox act only for the holder that claimed
//     the item last, and report false to anyone else, changing nothing.
type OutboxStore interface {
	// AddOutbox stores items, all or none: an id already stored, or given
	// twice, returns ErrConflict and stores nothing. No items does nothing.
	AddOutbox(ctx context.Context, items []OutboxItem) error
	// ClaimOutbox leases to holder until until the items of target that
	// are due at now and not leased live to anyone at now, oldest Due
	// first (then by ID as 16 bytes), at most limit of them, and returns
	// them. limit follows the rules of MessageQuery.Limit. Of concurrent
	// claims, on one instance or several, each item goes to one.
	ClaimOutbox(ctx context.Context, target, holder string, now, until time.Time, limit int) ([]OutboxItem, error)
	// FinishOutbox deletes the item id, delivered or given up, when holder
	// claimed it last, and reports whether it did. An unknown id reports
	// false.
	FinishOutbox(ctx context.Context, id uuid.UUID, holder string) (bool, error)
	// RetryOutbox records a failed attempt at item id, when holder claimed
	// it last: Attempts grows by one, LastError becomes lastError (up to
	// MaxOutboxErrorBytes of UTF-8 without NUL, or ErrInvalid), Due
	// becomes due, and the lease ends, so that the item is claimed again
	// once due. It reports whether it did.
	RetryOutbox(ctx context.Context, id uuid.UUID, holder string, due time.Time, lastError string) (bool, error)
}

// CheckOutboxItems checks the items given to AddOutbox, which stores call
// it with first: ErrInvalid for an item Validate refuses, ErrConflict for
// an id given twice.
func CheckOutboxItems(items []OutboxItem) error {
	seen := make(map[uuid.UUID]bool, len(items))
	for _, i := range items {
		if err := i.Validate(); err != nil {
			return err
		}
		if seen[i.ID] {
			return fmt.Errorf("%w: outbox item %s given twice", ErrConflict, i.ID)
		}
		seen[i.ID] = true
	}
	return nil
}

// CheckOutboxClaim reports with ErrInvalid why the arguments of a
// ClaimOutbox call break its rules, and returns limit as CheckLimit does.
// Stores call it first.
func CheckOutboxClaim(target, holder string, now, until time.Time, limit int) (int, error) {
	limit, err := CheckLimit(limit)
	if err != nil {
		return 0, err
	}
	if target == "" {
		return 0, invalid("outbox target is missing")
	}
	return limit, firstErr(checkText("outbox target", target, MaxIDBytes), checkHolder(holder), checkTime("outbox claim time", now), checkTime("outbox lease end", until))
}

// CheckOutboxFinish reports with ErrInvalid why the arguments of a
// FinishOutbox call break its rules. Stores call it first.
func CheckOutboxFinish(id uuid.UUID, holder string) error {
	return firstErr(checkID("outbox item id", id), checkHolder(holder))
}

// CheckOutboxRetry reports with ErrInvalid why the arguments of a
// RetryOutbox call break its rules. Stores call it first.
func CheckOutboxRetry(id uuid.UUID, holder string, due time.Time, lastError string) error {
	return firstErr(CheckOutboxFinish(id, holder), checkTime("outbox due time", due),
		checkText("outbox error", lastError, MaxOutboxErrorBytes))
}

func checkHolder(holder string) error {
	if holder == "" {
		return invalid("outbox holder is missing")
	}
	return checkText("outbox holder", holder, MaxIDBytes)
}

// EventRecorder takes the Desk's stored facts as they happen, to pass them
// outside the chat: the webhook package's Webhooks implements it by adding
// deliveries to an OutboxStore. See Config.Recorder.
type EventRecorder interface {
	// RecordEvent is called once per fact, on the instance that made the
	// change, after the fact is stored and before it is published. It
	// should only write to a store, never wait on the world outside.
	RecordEvent(ctx context.Context, e Event) error
}

// recordTimeout bounds one RecordEvent call.
const recordTimeout = 10 * time.Second

// record hands a stored fact to the Recorder; its failure is logged, as
// the fact itself is stored.
func (d *Desk) record(ctx context.Context, e Event) {
	if d.recorder == nil {
		return
	}
	switch e.Type {
	case EventMessage, EventAssigned, EventStatus, EventRated:
	default:
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := d.recorder.RecordEvent(ctx, e); err != nil {
		d.log.ErrorContext(ctx, "chat: recording an event", "type", e.Type, "conversation", e.ConversationID, "err", err)
	}
}
