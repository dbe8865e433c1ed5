package transport

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// Reasons the shop's code commonly reaches out on. Any other reason of
// 1 to MaxTriggerReasonBytes bytes, without spaces, may be used too.
const (
	ReasonPaymentDeclined = "payment_declined"
	ReasonCheckoutError   = "checkout_error"
	ReasonOutOfStock      = "out_of_stock"
	ReasonCouponRejected  = "coupon_rejected"
	ReasonCartIdle        = "cart_idle"
)

// Limits of triggers.
const (
	// MaxTriggerReasonBytes caps Trigger.Reason.
	MaxTriggerReasonBytes = 48
	// MaxTriggersPerVisit is how many triggers may reach one visitor in
	// one visit, whatever their reasons.
	MaxTriggersPerVisit = 3
)

// triggerPrefix begins the rule name under which a trigger's invitation
// is stored: "shop:" and the reason.
const triggerPrefix = "shop:"

// ErrNotOnSite means a trigger's visitor, or every visitor of its
// customer, is not on the site now.
var ErrNotOnSite = errors.New("transport: the visitor is not on the site")

// ErrTriggerLimited is what a TriggerLimitError matches with errors.Is.
var ErrTriggerLimited = errors.New("transport: trigger refused by the per-visit limits")

// TriggerLimitError refuses a trigger that the per-visit limits do not
// allow; see Server.Trigger. Nothing was shown to the visitor.
type TriggerLimitError struct {
	VisitorID uuid.UUID // the visitor the trigger was for
	Reason    string    // the trigger's reason
	// Why says which limit: "reason" (this reason reached the visitor
	// this visit), "pending" (an invitation is waiting for an answer),
	// "chatting" (the visitor has a conversation open) or "visit" (the
	// visit had MaxTriggersPerVisit triggers).
	Why string
}

// Error says which limit refused the trigger.
func (e *TriggerLimitError) Error() string {
	return fmt.Sprintf("transport: trigger %q for visitor %s refused: limit %q", e.Reason, e.VisitorID, e.Why)
}

// Is makes errors.Is(err, ErrTriggerLimited) true.
func (e *TriggerLimitError) Is(target error) bool { return target == ErrTriggerLimited }

// Trigger is an event of the shop's own code (a declined payment, an
// error at checkout, an item out of stock) on which Parley reaches out
// to the visitor it happened to.
type Trigger struct {
	// VisitorID is the visitor to reach. Or:
	VisitorID uuid.UUID
	// CustomerID, when VisitorID is zero, is the shop's customer whose
	// visitor on the site to reach: the customer's one visitor, on every
	// device they use (see chat.CustomerStore), or, with a store that
	// keeps no customer links, the visitor active last.
	CustomerID string
	// Reason names the event, such as ReasonPaymentDeclined. Agents see
	// it: in the visitor's invitations, and as a private note in the
	// conversation it starts. Required.
	Reason string
	// Message is what the visitor reads, such as "Your card was
	// declined. Can we help?", and the first message of the
	// conversation. Required, at most chat.MaxBodyBytes.
	Message string
	// Open starts the conversation at once, with Message as its first
	// message, instead of inviting the visitor to start it.
	Open bool
}

// TriggerResult is what a trigger did.
type TriggerResult struct {
	VisitorID    uuid.UUID // whom it reached
	InvitationID uuid.UUID // the invitation it stored
	// ConversationID is the conversation an Open trigger started; zero
	// for an invitation.
	ConversationID uuid.UUID
}

// Trigger reaches out to a visitor on the shop's site from the shop's own
// code: it shows them an invitation to chat with t.Message, live, on
// whichever instance their widget is connected to, or with t.Open starts
// the conversation and shows it to them. Agents see t.Reason with the
// visitor and in the conversation.
//
// So that a loop in the shop's code cannot flood a visitor, triggers are
// limited per visit, by the store, so that the limits hold across
// instances: each Reason reaches a visitor at most once per visit, none
// reaches one while an invitation waits for their answer or while they
// have a conversation that is not closed, and at most
// MaxTriggersPerVisit reach one visit. A refused trigger returns a
// *TriggerLimitError (errors.Is ErrTriggerLimited); a visitor who is not
// on the site, ErrNotOnSite; a bad Trigger, an error wrapping
// chat.ErrInvalid.
func (s *Server) Trigger(ctx context.Context, t Trigger) (TriggerResult, error) {
	if err := t.validate(); err != nil {
		return TriggerResult{}, err
	}
	r := s.live
	if err := r.start(); err != nil {
		return TriggerResult{}, err
	}
	id, err := r.findVisitor(t)
	if err != nil {
		return TriggerResult{}, err
	}
	refuse := func(why string) (TriggerResult, error) {
		return TriggerResult{}, &TriggerLimitError{VisitorID: id, Reason: t.Reason, Why: why}
	}
	store := s.desk.Store()
	visit, err := store.Visit(ctx, id)
	if errors.Is(err, chat.ErrNotFound) {
		return TriggerResult{}, fmt.Errorf("%w: visitor %s has no visit", ErrNotOnSite, id)
	}
	if err != nil {
		return TriggerResult{}, err
	}
	active, err := s.activeConversations(ctx, id)
	if err != nil {
		return TriggerResult{}, err
	}
	if len(active) > 0 {
		return refuse("chatting")
	}
	n := 0
	for _, inv := range visit.Invitations {
		switch {
		case inv.Rule == triggerPrefix+t.Reason:
			return refuse("reason")
		case inv.Status == chat.InvitationPending:
			return refuse("pending")
		case strings.HasPrefix(inv.Rule, triggerPrefix):
			n++
		}
	}
	if n >= MaxTriggersPerVisit {
		return refuse("visit")
	}
	inv := chat.Invitation{ID: chat.NewID(), Rule: triggerPrefix + t.Reason, Body: t.Message, Status: chat.InvitationPending,
		At: chat.Timestamp(s.cfg.Now())}
	if err := store.AddInvitation(ctx, visit.ID, inv); err != nil {
		if errors.Is(err, chat.ErrConflict) {
			return refuse("pending") // another trigger or rule won the race
		}
		if errors.Is(err, chat.ErrNotFound) {
			return TriggerResult{}, fmt.Errorf("%w: the visit of visitor %s ended", ErrNotOnSite, id)
		}
		return TriggerResult{}, err
	}
	out := TriggerResult{VisitorID: id, InvitationID: inv.ID}
	if !t.Open {
		r.added(ctx, id, inv)
		return out, nil
	}
	// Accepted on the visitor's behalf: the conversation's id is stored
	// with the acceptance, as when the visitor accepts.
	inv, err = store.UpdateInvitation(ctx, inv.ID, chat.InvitationAccepted, chat.NewID())
	if err != nil {
		return TriggerResult{}, err
	}
	conv, err := r.open(ctx, id, inv)
	if err != nil {
		return TriggerResult{}, err
	}
	out.ConversationID = conv.ID()
	r.answered(ctx, id, inv)
	return out, nil
}

// validate reports with chat.ErrInvalid what is wrong with t.
func (t Trigger) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: transport: Trigger: "+format, append([]any{chat.ErrInvalid}, args...)...)
	}
	switch {
	case t.VisitorID == uuid.Nil && t.CustomerID == "":
		return bad("VisitorID or CustomerID is required")
	case t.Reason == "" || len(t.Reason) > MaxTriggerReasonBytes || !utf8.ValidString(t.Reason) ||
		strings.ContainsFunc(t.Reason, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return bad("Reason must be 1 to %d bytes of UTF-8 without spaces", MaxTriggerReasonBytes)
	case strings.TrimSpace(t.Message) == "":
		return bad("Message is empty")
	}
	m := chat.Message{ID: uuid.Max, ConversationID: uuid.Max, CreatedAt: time.Unix(0, 0),
		Author: chat.Author{Kind: chat.AuthorBot}, Body: t.Message}
	if err := m.Validate(); err != nil {
		return bad("Message: %v", err)
	}
	return nil
}

// findVisitor returns the visitor a trigger is for, who must be on the
// site, on this instance or another.
func (r *liveRegistry) findVisitor(t Trigger) (uuid.UUID, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t.VisitorID != uuid.Nil {
		if lv := r.visitors[t.VisitorID]; lv != nil && (lv.listed || lv.loading) {
			return t.VisitorID, nil
		}
		return uuid.Nil, fmt.Errorf("%w: visitor %s", ErrNotOnSite, t.VisitorID)
	}
	var best *liveVisitor
	for _, lv := range r.visitors {
		if lv.state.Visitor.CustomerID == t.CustomerID && (lv.listed || lv.loading) &&
			(best == nil || lv.state.LastActiveAt.After(best.state.LastActiveAt)) {
			best = lv
		}
	}
	if best == nil {
		return uuid.Nil, fmt.Errorf("%w: no visitor of customer %.64q", ErrNotOnSite, t.CustomerID)
	}
	return best.state.Visitor.ID, nil
}

// added puts a new invitation into the visitor's entry, shows it to the
// visitor's connections here and tells every instance, so that the
// instance the visitor is connected to shows it to them at once.
func (r *liveRegistry) added(ctx context.Context, id uuid.UUID, inv chat.Invitation) {
	r.mu.Lock()
	lv := r.visitors[id]
	if lv == nil {
		r.mu.Unlock()
		return
	}
	mergeInvitations(&lv.state, []chat.Invitation{inv})
	r.showInvitations(lv)
	r.broadcast(lv)
	entry := r.view(lv)
	r.mu.Unlock()
	r.publish(ctx, id, entry)
}
