package chat

import (
	"time"

	"github.com/google/uuid"
)

// InvitationStatus is what became of an invitation.
type InvitationStatus string

// Invitation statuses. An invitation starts pending; a pending one may
// become accepted, dismissed or withdrawn, and a withdrawn one accepted
// or dismissed. Accepted and dismissed are final.
const (
	InvitationPending   InvitationStatus = "pending"   // shown, not answered yet
	InvitationAccepted  InvitationStatus = "accepted"  // the visitor started the conversation
	InvitationDismissed InvitationStatus = "dismissed" // the visitor closed it
	InvitationWithdrawn InvitationStatus = "withdrawn" // the visitor started chatting another way
)

// Valid reports whether s is one of the invitation statuses.
func (s InvitationStatus) Valid() bool {
	switch s {
	case InvitationPending, InvitationAccepted, InvitationDismissed, InvitationWithdrawn:
		return true
	}
	return false
}

// Validate reports with ErrInvalid that s is not one of the invitation
// statuses.
func (s InvitationStatus) Validate() error {
	if !s.Valid() {
		return invalid("invitation status %.32q is not pending, accepted, dismissed or withdrawn", s)
	}
	return nil
}

// CanBecome reports whether an invitation in status s may move to next:
// pending to any other status, withdrawn to accepted or dismissed.
func (s InvitationStatus) CanBecome(next InvitationStatus) bool {
	switch s {
	case InvitationPending:
		return next == InvitationAccepted || next == InvitationDismissed || next == InvitationWithdrawn
	case InvitationWithdrawn:
		return next == InvitationAccepted || next == InvitationDismissed
	}
	return false
}

// Invitation is one invitation to chat made to a visitor during a visit,
// by one of the shop's invitation rules, as the store keeps it and agents
// see it in the visitor's entry.
type Invitation struct {
	ID             uuid.UUID        `json:"id"`
	Rule           string           `json:"rule"`
	Body           string           `json:"body"`
	Status         InvitationStatus `json:"status"`
	At             time.Time        `json:"at"`
	ConversationID uuid.UUID        `json:"conversation_id,omitzero"` // accepted: the conversation it started
}

// Validate reports with ErrInvalid why inv cannot be stored as a new
// invitation: it needs an ID, a Rule of 1 to MaxIDBytes, a Body of 1 to
// MaxBodyBytes, a time, and the pending status.
func (inv Invitation) Validate() error {
	if inv.Rule == "" || inv.Body == "" {
		return invalid("an invitation needs a rule and a body")
	}
	if inv.Status != InvitationPending {
		return invalid("a new invitation is pending, not %.32q", inv.Status)
	}
	return firstErr(
		checkID("invitation id", inv.ID),
		checkText("invitation rule", inv.Rule, MaxIDBytes),
		checkText("invitation body", inv.Body, MaxBodyBytes),
		checkTime("invitation time", inv.At),
	)
}
