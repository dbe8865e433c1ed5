package chat

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// VisitGap is the pause after which a visitor who comes back starts a new
// visit: a visitor who left less than VisitGap ago and returns continues
// the visit they left, with its start and its invitations.
const VisitGap = 30 * time.Minute

// Visit is one stay of a visitor on the shop's site, as every transport
// instance sees it: it lasts while some instance holds a live presence
// lease on the visitor (see VisitStore), and for VisitGap after the last
// one ended, so that a visitor who comes back soon continues it.
type Visit struct {
	ID        uuid.UUID `json:"id"`
	VisitorID uuid.UUID `json:"visitor_id"`
	// BeganAt is when the visit began: the first connection of the visit.
	BeganAt time.Time `json:"began_at"`
	// LastActiveAt is the last time an instance saw the visitor do
	// something (see VisitStore.TouchVisit); BeganAt at first.
	LastActiveAt time.Time `json:"last_active_at"`
	// EndsAt is when the visitor's latest presence lease ends, or ended:
	// the visitor is on the site until then unless a lease is renewed.
	EndsAt time.Time `json:"ends_at"`
	// Invitations are the invitations made during the visit, oldest first
	// (by At, then ID).
	Invitations []Invitation `json:"invitations,omitempty"`
}

// VisitLease asks VisitStore.StartVisit for a visitor's presence lease
// and visit.
type VisitLease struct {
	VisitorID uuid.UUID
	// Holder names the transport instance taking the lease, as for
	// AgentLeaseStore: 1 to MaxIDBytes of UTF-8.
	Holder string
	// At is now. Until is when the lease ends unless renewed; after At.
	At, Until time.Time
	// NewID is the ID of the visit when a new one begins.
	NewID uuid.UUID
	// Gap is how long after the visit's last lease ended the visitor may
	// come back and continue it: VisitGap, or less in tests. At least a
	// microsecond.
	Gap time.Duration
}

// Validate reports with ErrInvalid why l breaks the rules of StartVisit.
func (l VisitLease) Validate() error {
	if err := firstErr(checkID("visitor id", l.VisitorID), checkID("new visit id", l.NewID),
		CheckVisitLease(l.At, l.Holder), checkTime("lease end", l.Until)); err != nil {
		return err
	}
	if !l.Until.After(l.At) {
		return invalid("the lease ends before it begins")
	}
	if l.Gap < time.Microsecond {
		return invalid("the visit gap is under a microsecond")
	}
	return nil
}

// CheckVisitLease reports with ErrInvalid why the arguments of a
// VisitStore method break its rules: at must be a time between the years
// 1970 and 9999, and each holder 1 to MaxIDBytes bytes of UTF-8 without
// NUL. Stores call it first; RenewVisitLeases also refuses more than
// MaxPageSize visitor ids and a nil one.
func CheckVisitLease(at time.Time, holders ...string) error {
	if err := checkTime("lease time", at); err != nil {
		return err
	}
	for _, h := range holders {
		if h == "" {
			return invalid("lease holder is missing")
		}
		if err := checkText("lease holder", h, MaxIDBytes); err != nil {
			return err
		}
	}
	return nil
}

// CheckVisitRelease reports with ErrInvalid why the arguments of
// ReleaseVisitLease break its rules.
func CheckVisitRelease(visitorID uuid.UUID, holder string, at time.Time) error {
	return firstErr(checkID("visitor id", visitorID), CheckVisitLease(at, holder))
}

// CheckVisitTimes reports with ErrInvalid why one of the times given to a
// VisitStore method is not a time between the years 1970 and 9999.
func CheckVisitTimes(ts ...time.Time) error {
	for _, t := range ts {
		if err := CheckVisitLease(t); err != nil {
			return err
		}
	}
	return nil
}

// CheckVisitRenewal reports with ErrInvalid why the arguments of
// RenewVisitLeases break its rules.
func CheckVisitRenewal(holder string, until time.Time, visitorIDs []uuid.UUID) error {
	if len(visitorIDs) > MaxPageSize {
		return invalid("%d visitor ids, over the limit of %d", len(visitorIDs), MaxPageSize)
	}
	for _, id := range visitorIDs {
		if err := checkID("visitor id", id); err != nil {
			return err
		}
	}
	return CheckVisitLease(until, holder)
}

// VisitStore keeps who is on the shop's site: each transport instance (a
// holder) holds a presence lease on every visitor connected to it, renews
// it while the visitor stays, and releases it when they leave. A visitor
// is on the site while any of their leases is live; leases of an instance
// that stopped without a goodbye simply expire. The store also keeps each
// visitor's current visit and the invitations made during it, so that
// every instance lists the same visitors, and an invitation rule fires at
// most once per visit whichever instances the visitor's pages reach.
//
// Rules, besides those of Store:
//   - A lease is live at t when it ends after t, and expired at t when it
//     ends at or before t. Times are kept as Timestamp.
//   - A visitor has at most one visit, their current one; a new visit
//     replaces it and its invitations.
//   - The visitor need not be stored.
type VisitStore interface {
	// StartVisit makes l.Holder's lease on the visitor end at l.Until,
	// creating it when missing, and returns the visitor's visit with
	// LastActiveAt moved up to l.At: the current one when it goes on (its
	// EndsAt is after l.At minus l.Gap: a lease is live, or the last
	// ended less than l.Gap ago), or else a new one with ID l.NewID that
	// begins at l.At and replaces the old. Concurrent calls for one
	// visitor return the same visit.
	StartVisit(ctx context.Context, l VisitLease) (Visit, error)
	// RenewVisitLeases makes holder's lease on each of visitorIDs end at
	// until, all in one go, creating the leases that are missing, and
	// moves each visit's EndsAt up to until. A visitor with no visit is
	// skipped: StartVisit comes first. At most MaxPageSize visitor ids;
	// none does nothing.
	RenewVisitLeases(ctx context.Context, holder string, until time.Time, visitorIDs []uuid.UUID) error
	// ReleaseVisitLease ends holder's lease on the visitor at at, unless
	// it ended before. When no other lease of the visitor is live at at,
	// the visit's EndsAt becomes at, the time they left, and held is
	// false. A missing lease is not an error.
	ReleaseVisitLease(ctx context.Context, visitorID uuid.UUID, holder string, at time.Time) (held bool, err error)
	// Visit returns the visitor's current visit, live or not, with its
	// invitations, or ErrNotFound when they have none.
	Visit(ctx context.Context, visitorID uuid.UUID) (Visit, error)
	// LiveVisits returns the visits of every visitor with a lease live at
	// at, with their invitations, ordered by BeganAt, then VisitorID.
	// There is no limit: each instance keeps them all in memory.
	LiveVisits(ctx context.Context, at time.Time) ([]Visit, error)
	// TouchVisit moves the LastActiveAt of the visit with the given id up
	// to at; a later LastActiveAt is kept. An unknown visit (replaced or
	// pruned) returns ErrNotFound.
	TouchVisit(ctx context.Context, visitID uuid.UUID, at time.Time) error
	// AddInvitation stores inv, which Validate accepts, as an invitation
	// of the visit with the given id. It returns ErrConflict and stores
	// nothing when the visit already has an invitation of inv.Rule or a
	// pending one, or inv.ID is taken; two instances adding at once
	// cannot both succeed. An unknown visit returns ErrNotFound.
	AddInvitation(ctx context.Context, visitID uuid.UUID, inv Invitation) error
	// UpdateInvitation moves the invitation with the given id to status
	// when its stored status CanBecome it, setting its ConversationID to
	// conversationID unless one is set already, and returns it as
	// stored. A status equal to the stored one changes nothing and is not
	// an error. Any other status returns the stored invitation with
	// ErrConflict. An unknown id (or that of a replaced visit) returns
	// ErrNotFound.
	UpdateInvitation(ctx context.Context, id uuid.UUID, status InvitationStatus, conversationID uuid.UUID) (Invitation, error)
	// PruneVisits deletes the leases expired at at, and the visits (with
	// their invitations) whose EndsAt is before endedBefore and that have
	// no lease live at at. Nothing to delete is not an error.
	PruneVisits(ctx context.Context, at, endedBefore time.Time) error
}

// StartVisit takes holder's presence lease on the visitor, lasting
// AgentLeaseTTL, and returns their visit: the one going on, or a new one
// when they were away for VisitGap or more. A transport calls it when a
// visitor connects, renews the lease with RenewVisitLeases more than once
// per AgentLeaseTTL while they stay, and releases it with
// ReleaseVisitLease when they leave. holder names the caller, as for
// RenewAgentLeases.
func (d *Desk) StartVisit(ctx context.Context, holder string, visitorID uuid.UUID) (Visit, error) {
	if err := d.checkOpen(); err != nil {
		return Visit{}, err
	}
	now := d.timestamp()
	return d.store.StartVisit(ctx, VisitLease{VisitorID: visitorID, Holder: holder, At: now, Until: now.Add(d.leaseTTL),
		NewID: NewID(), Gap: VisitGap})
}

// RenewVisitLeases makes holder's leases on visitorIDs last AgentLeaseTTL
// from now.
func (d *Desk) RenewVisitLeases(ctx context.Context, holder string, visitorIDs []uuid.UUID) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	until := d.timestamp().Add(d.leaseTTL)
	for len(visitorIDs) > 0 {
		n := min(len(visitorIDs), MaxPageSize)
		if err := d.store.RenewVisitLeases(ctx, holder, until, visitorIDs[:n]); err != nil {
			return err
		}
		visitorIDs = visitorIDs[n:]
	}
	return nil
}

// ReleaseVisitLease ends holder's lease on the visitor now and reports
// whether another instance still holds one.
func (d *Desk) ReleaseVisitLease(ctx context.Context, visitorID uuid.UUID, holder string) (bool, error) {
	if err := d.checkOpen(); err != nil {
		return false, err
	}
	return d.store.ReleaseVisitLease(ctx, visitorID, holder, d.timestamp())
}

// LiveVisits returns the visits of the visitors on the site now, on any
// instance, whose presence leases stay live for at least margin more.
// Holders renew their leases every third of AgentLeaseTTL, so with a
// margin of a third a visitor whose holder missed two renewals (it
// stopped, or stalled) is left out a third of the lease time before the
// lease ends.
func (d *Desk) LiveVisits(ctx context.Context, margin time.Duration) ([]Visit, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	return d.store.LiveVisits(ctx, d.timestamp().Add(margin))
}

// PublishVisit tells every instance's subscribers to TopicAll that the
// visitor's entry on the agents' live visitor list changed (an
// EventVisit), or, with a nil entry, that the visitor left the site (an
// EventVisitEnd). The entry is the transport's own JSON; the Desk carries
// it as it is.
func (d *Desk) PublishVisit(ctx context.Context, visitorID uuid.UUID, entry json.RawMessage) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	if err := checkID("visitor id", visitorID); err != nil {
		return err
	}
	e := Event{Type: EventVisit, VisitorID: visitorID, Entry: entry}
	if entry == nil {
		e.Type = EventVisitEnd
	}
	d.publish(ctx, e)
	return nil
}

// pruneVisits forgets the expired presence leases of visitors and the
// visits that ended VisitGap ago. It is part of Sweep.
func (d *Desk) pruneVisits(ctx context.Context) error {
	now := d.timestamp()
	return d.store.PruneVisits(ctx, now, now.Add(-VisitGap))
}
