package webhook

import (
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// EventType names what a delivery reports.
type EventType string

// The events an endpoint can subscribe to.
const (
	// ConversationStarted: a visitor started a conversation that an
	// agent can answer live (queued, or straight to an agent).
	// Conversation is set.
	ConversationStarted EventType = "conversation.started"
	// OfflineRequest: a conversation started while nobody could answer
	// it live (outside opening hours, or with no agent of its department
	// online), as a request to answer later. Conversation is set; the
	// visitor's words follow as MessageCreated.
	OfflineRequest EventType = "offline_request.created"
	// MessageCreated: a message was stored: the visitor's, an agent's, a
	// bot's or the system's; never an internal note. Message is set.
	MessageCreated EventType = "message.created"
	// ConversationAssigned: an agent got the conversation (also on a
	// transfer, with PreviousAgentID). Conversation and AgentID are set.
	ConversationAssigned EventType = "conversation.assigned"
	// ConversationClosed: the conversation was closed. Conversation is
	// set.
	ConversationClosed EventType = "conversation.closed"
	// ConversationRated: the visitor rated the conversation.
	// Conversation is set, with Rating and Resolved.
	ConversationRated EventType = "conversation.rated"
)

// EventTypes lists every event type, in the order above.
func EventTypes() []EventType {
	return []EventType{ConversationStarted, OfflineRequest, MessageCreated, ConversationAssigned, ConversationClosed, ConversationRated}
}

// Delivery is the JSON body of every delivery. Fields may be added;
// receivers should ignore those they do not know.
type Delivery struct {
	// ID names the delivery: every attempt carries the same one, so that
	// a receiver does each delivery once. It is also in IDHeader.
	ID uuid.UUID `json:"id"`
	// Type says what happened.
	Type EventType `json:"type"`
	// CreatedAt is when it happened.
	CreatedAt time.Time `json:"created_at"`
	// ConversationID and VisitorID say which conversation and visitor.
	ConversationID uuid.UUID `json:"conversation_id"`
	VisitorID      uuid.UUID `json:"visitor_id"`
	// AgentID is the agent the conversation has, if any.
	AgentID string `json:"agent_id,omitempty"`
	// PreviousAgentID is the agent a conversation was taken from, on
	// ConversationAssigned.
	PreviousAgentID string `json:"previous_agent_id,omitempty"`
	// Conversation is the conversation as it was stored, on every type
	// but MessageCreated.
	Conversation *chat.ConversationInfo `json:"conversation,omitempty"`
	// Message is the message, on MessageCreated.
	Message *chat.Message `json:"message,omitempty"`
}

// typeOf returns the webhook event type of a Desk event, and false when
// the event is none of them.
func typeOf(e chat.Event) (EventType, bool) {
	switch e.Type {
	case chat.EventMessage:
		return MessageCreated, e.Message != nil && !e.Message.Internal
	case chat.EventAssigned:
		return ConversationAssigned, e.Conversation != nil
	case chat.EventRated:
		return ConversationRated, e.Conversation != nil
	case chat.EventStatus:
		c := e.Conversation
		switch {
		case c == nil:
			return "", false
		case c.Status == chat.StatusClosed:
			return ConversationClosed, true
		case c.Status == chat.StatusWaiting && c.Handoff != "":
			// The virtual advisor handed it over with nobody online: it
			// becomes an offline request now.
			return OfflineRequest, true
		case c.Version != 1:
			// Back to the queue, or an offline request opening: not a start.
			return "", false
		case c.Status == chat.StatusWaiting:
			return OfflineRequest, true
		default:
			return ConversationStarted, true
		}
	}
	return "", false
}

// delivery builds the body of a delivery of e as t.
func delivery(id uuid.UUID, t EventType, e chat.Event) Delivery {
	d := Delivery{ID: id, Type: t, CreatedAt: e.At, ConversationID: e.ConversationID, VisitorID: e.VisitorID,
		AgentID: e.AgentID, PreviousAgentID: e.PreviousAgentID, Conversation: e.Conversation}
	if e.Message != nil {
		m := *e.Message
		m.IdempotencyKey = "" // the client's, of no use outside
		d.Message = &m
	}
	return d
}
