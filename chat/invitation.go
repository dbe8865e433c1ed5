package chat

import (
	"time"

	"github.com/google/uuid"
)

// InvitationStatus is what became of an invitation.
type InvitationStatus string

// Invitation statuses.
const (
	InvitationPending   InvitationStatus = "pending"   // shown, not answered yet
	InvitationAccepted  InvitationStatus = "accepted"  // the visitor started the conversation
	InvitationDismissed InvitationStatus = "dismissed" // the visitor closed it
	InvitationWithdrawn InvitationStatus = "withdrawn" // the visitor started chatting another way
)

// Invitation is one invitation made to a visitor, as agents see it in the
// visitor's entry.
type Invitation struct {
	ID             uuid.UUID        `json:"id"`
	Rule           string           `json:"rule"`
	Body           string           `json:"body"`
	Status         InvitationStatus `json:"status"`
	At             time.Time        `json:"at"`
	ConversationID uuid.UUID        `json:"conversation_id,omitzero"` // accepted: the conversation it started
}
