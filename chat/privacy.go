package chat

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// PrivacyStore erases personal data: everything about one visitor on
// request, and old conversations and page views under a retention policy.
//
// Rules, besides those of Store:
//   - Erasing or purging what is not there is no error, so a request that
//     failed half way can simply be made again.
//   - Blocks stay: they record abuse, which a shop may keep as its
//     legitimate interest; delete them with BlockStore.DeleteBlock when it
//     does not. So do email suppressions (an address that asked for no
//     email must not get any) and the per-address email counts, which
//     hold an address for a day at most.
type PrivacyStore interface {
	// EraseVisitor deletes the visitor and what is kept about them: their
	// conversations with every message in them, the agents' included;
	// their page views; their visit, its invitations and their presence
	// leases; the reply notices waiting for them; their email counts,
	// proven addresses and pending confirmations; and, in a store that is
	// also a CustomerStore, the link of a customer to them.
	EraseVisitor(ctx context.Context, visitorID uuid.UUID) error
	// PurgeConversations deletes conversations closed before before, with
	// their messages, oldest first, at most limit of them (limit follows the
	// rules of MessageQuery.Limit), and returns how many it deleted.
	PurgeConversations(ctx context.Context, before time.Time, limit int) (int, error)
	// PurgePageViews deletes page views opened before before, at most
	// limit of them, and returns how many it deleted.
	PurgePageViews(ctx context.Context, before time.Time, limit int) (int, error)
}

// CheckPurge checks the arguments of the PrivacyStore purges, which stores
// call it with first: it returns limit as CheckLimit does, and ErrInvalid
// for a bad limit or a before outside the years 1970 to 9999.
func CheckPurge(before time.Time, limit int) (int, error) {
	limit, err := CheckLimit(limit)
	if err != nil {
		return 0, err
	}
	return limit, checkTime("purge time", before)
}

// Retention is how long the Desk keeps data before Sweep deletes it. A zero
// field keeps that data for ever.
type Retention struct {
	// Conversations is how long a closed conversation, with its messages,
	// is kept after it closed.
	Conversations time.Duration
	// PageViews is how long a page view is kept after it was opened.
	PageViews time.Duration
}

// VisitorExport is everything Parley keeps about one visitor, as
// Desk.ExportVisitor gathers it for the visitor's request to see their
// data. It encodes to JSON as it is.
type VisitorExport struct {
	Visitor Visitor `json:"visitor"`
	// Conversations are the visitor's conversations, oldest first, each
	// with its whole transcript; internal notes of agents are left out.
	Conversations []ConversationExport `json:"conversations"`
	// PageViews are the visitor's newest page views, at most MaxPageSize,
	// in the order they were opened.
	PageViews []PageView `json:"page_views"`
	// Visit is the visitor's current visit with its invitations, nil when
	// none is kept.
	Visit *Visit `json:"visit,omitempty"`
	// ExportedAt is when the export was made.
	ExportedAt time.Time `json:"exported_at"`
}

// ConversationExport is one conversation in a VisitorExport.
type ConversationExport struct {
	Conversation ConversationInfo `json:"conversation"`
	Messages     []Message        `json:"messages"`
}

// ExportVisitor gathers everything kept about the visitor, for their
// request to see it. An unknown visitor returns ErrNotFound.
func (d *Desk) ExportVisitor(ctx context.Context, visitorID uuid.UUID) (VisitorExport, error) {
	if err := d.checkOpen(); err != nil {
		return VisitorExport{}, err
	}
	if err := checkID("visitor id", visitorID); err != nil {
		return VisitorExport{}, err
	}
	v, err := d.store.Visitor(ctx, visitorID)
	if err != nil {
		return VisitorExport{}, err
	}
	out := VisitorExport{Visitor: v, Conversations: []ConversationExport{}, ExportedAt: d.timestamp()}
	err = d.eachConversation(ctx, ConversationFilter{VisitorID: visitorID}, func(c ConversationInfo) {
		out.Conversations = append(out.Conversations, ConversationExport{Conversation: c})
	})
	if err != nil {
		return VisitorExport{}, err
	}
	for i := range out.Conversations {
		if out.Conversations[i].Messages, err = d.transcript(ctx, out.Conversations[i].Conversation.ID); err != nil {
			return VisitorExport{}, err
		}
	}
	if out.PageViews, err = d.store.PageViews(ctx, visitorID, MaxPageSize); err != nil {
		return VisitorExport{}, err
	}
	switch visit, err := d.store.Visit(ctx, visitorID); {
	case err == nil:
		out.Visit = &visit
	case !errors.Is(err, ErrNotFound):
		return VisitorExport{}, err
	}
	return out, nil
}

// EraseVisitor deletes the visitor and everything kept about them (see
// PrivacyStore.EraseVisitor), for their request to be forgotten. Their
// open conversations end: agents' consoles are told each was closed before
// it is deleted. Erasing a visitor who is not stored is no error.
func (d *Desk) EraseVisitor(ctx context.Context, visitorID uuid.UUID) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	if err := checkID("visitor id", visitorID); err != nil {
		return err
	}
	var active []ConversationInfo
	err := d.eachConversation(ctx, ConversationFilter{VisitorID: visitorID, Statuses: []Status{StatusWaiting, StatusQueued, StatusOpen}},
		func(c ConversationInfo) { active = append(active, c) })
	if err != nil {
		return err
	}
	for _, c := range active {
		h := &handle{desk: d, id: c.ID}
		if _, err := h.close(ctx, true); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if err := d.store.EraseVisitor(ctx, visitorID); err != nil {
		return err
	}
	d.log.InfoContext(ctx, "chat: erased a visitor", "visitor", visitorID, "conversations_closed", len(active))
	return nil
}

// purgeOld deletes what the retention policy no longer keeps, a page at a
// time. It is part of Sweep.
func (d *Desk) purgeOld(ctx context.Context) error {
	now := d.timestamp()
	var errs []error
	for _, p := range []struct {
		keep  time.Duration
		purge func(context.Context, time.Time, int) (int, error)
	}{
		{d.retention.Conversations, d.store.PurgeConversations},
		{d.retention.PageViews, d.store.PurgePageViews},
	} {
		if p.keep <= 0 {
			continue
		}
		for {
			n, err := p.purge(ctx, now.Add(-p.keep), MaxPageSize)
			if err != nil {
				errs = append(errs, err)
				break
			}
			if n < MaxPageSize {
				break
			}
		}
	}
	return errors.Join(errs...)
}
