package chat

import (
	"context"
	"errors"

	"github.com/google/uuid"
)

// CustomerStore links the shop's customers to visitors, so that a customer
// is one visitor whichever browser or device they use: the conversations
// they start on a phone are there when they log in on a laptop. A Store
// may implement it; the Desk finds it by type assertion. Without it every
// browser of a customer is a visitor of its own (see Desk.LinkCustomer).
//
// Rules, besides those of Store:
//   - A customer id is 1 to MaxIDBytes bytes of UTF-8 without NUL, as
//     Visitor.CustomerID; visitor ids are not nil. Anything else is
//     ErrInvalid.
//   - A customer is linked to at most one visitor, for good; concurrent
//     links of one customer all return the same visitor.
type CustomerStore interface {
	// LinkCustomer returns the visitor linked to the customer. A customer
	// with none is first linked to visitorID, which need not be stored.
	LinkCustomer(ctx context.Context, customerID string, visitorID uuid.UUID) (uuid.UUID, error)
	// MergeVisitor moves every conversation and page view of visitor from
	// to visitor to, in one transaction, and returns the conversations
	// moved, oldest first (by CreatedAt, then ID), each with VisitorID to
	// and Version increased by one as stored. Their messages are not
	// touched. A visitor with nothing to move returns an empty slice. A
	// to that is not stored returns ErrNotFound and moves nothing; from
	// equal to to is ErrInvalid.
	MergeVisitor(ctx context.Context, from, to uuid.UUID) ([]ConversationInfo, error)
}

// CheckCustomerLink reports with ErrInvalid why the arguments of
// CustomerStore.LinkCustomer break its rules.
func CheckCustomerLink(customerID string, visitorID uuid.UUID) error {
	if customerID == "" {
		return invalid("customer id is missing")
	}
	return firstErr(checkText("customer id", customerID, MaxIDBytes), checkID("visitor id", visitorID))
}

// CheckVisitorMerge reports with ErrInvalid why the arguments of
// CustomerStore.MergeVisitor break its rules.
func CheckVisitorMerge(from, to uuid.UUID) error {
	if err := firstErr(checkID("visitor id", from), checkID("visitor id", to)); err != nil {
		return err
	}
	if from == to {
		return invalid("a visitor cannot be merged into itself")
	}
	return nil
}

// LinkCustomer returns the visitor the shop's customer is: the one linked
// to customerID in the Store, or, when the customer has none, visitorID,
// which is linked to them from now on. A Store that is not a CustomerStore
// links nothing and returns visitorID.
func (d *Desk) LinkCustomer(ctx context.Context, customerID string, visitorID uuid.UUID) (uuid.UUID, error) {
	if err := d.checkOpen(); err != nil {
		return uuid.Nil, err
	}
	cs, ok := d.store.(CustomerStore)
	if !ok {
		if err := CheckCustomerLink(customerID, visitorID); err != nil {
			return uuid.Nil, err
		}
		return visitorID, nil
	}
	return cs.LinkCustomer(ctx, customerID, visitorID)
}

// errNoCustomerStore is returned by MergeVisitor when the Store keeps no
// customer links.
var errNoCustomerStore = errors.New("chat: the store is not a CustomerStore")

// MergeVisitor moves the conversations and page views of visitor from to
// visitor to, as when an anonymous visitor logs in as a customer who is
// another visitor already (see CustomerStore.MergeVisitor). Each moved
// conversation is published as an EventStatus carrying its new state, so
// that every instance routes its events to the new visitor from then on;
// its messages, and their sequence numbers, stay as they were. It returns
// the moved conversations. A Store that is not a CustomerStore returns an
// error wrapping errors.ErrUnsupported.
func (d *Desk) MergeVisitor(ctx context.Context, from, to uuid.UUID) ([]ConversationInfo, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	cs, ok := d.store.(CustomerStore)
	if !ok {
		return nil, errors.Join(errNoCustomerStore, errors.ErrUnsupported)
	}
	moved, err := cs.MergeVisitor(ctx, from, to)
	if err != nil {
		return nil, err
	}
	for i := range moved {
		c := moved[i]
		d.publish(ctx, Event{Type: EventStatus, ConversationID: c.ID, VisitorID: c.VisitorID, AgentID: c.AgentID, Conversation: &c})
	}
	return moved, nil
}
