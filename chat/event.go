package chat

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// EventType names what an Event reports.
type EventType string

// Event types. Message, Assigned, Status and Rated events are also stored
// facts, and so are Block and Unblock, which go to TopicAll only; Typing,
// Read, Presence and Queue are passing signals that are never stored;
// Resync stays inside one Desk.
const (
	EventMessage  EventType = "message"  // a message was stored; Message is set
	EventAssigned EventType = "assigned" // the conversation got an agent; Conversation is set, Author is the agent
	EventStatus   EventType = "status"   // the conversation was queued, opened or closed; Conversation is set
	EventRated    EventType = "rated"    // the visitor rated the conversation; Conversation is set
	EventTyping   EventType = "typing"   // Author started (Typing true) or stopped typing
	EventRead     EventType = "read"     // Author has seen every message up to Seq
	EventPresence EventType = "presence" // Author's presence changed to Presence
	EventQueue    EventType = "queue"    // a queued conversation's place or estimated wait changed; Queue is set
	EventBlock    EventType = "block"    // an agent or the shop blocked visitors; Block is set
	EventUnblock  EventType = "unblock"  // a block was lifted; Block carries its ID
	// EventVisit and EventVisitEnd keep the agents' live visitor list the
	// same on every instance: a visitor's entry changed (Entry is set, as
	// the transport encodes it), or the visitor left the site. VisitorID
	// is set; they go to TopicAll only. See Desk.PublishVisit.
	EventVisit    EventType = "visit"
	EventVisitEnd EventType = "visit_end"
	// EventResync tells every subscription of one Desk that the Desk may
	// have missed events of other instances (Desk.Resync was called, as
	// when its Broker reconnected): read what you follow from the Store
	// again. The Desk delivers it to its own subscriptions, whatever their
	// topic, and never through the Broker. It carries only At.
	EventResync EventType = "resync"
)

// Presence is whether a participant is connected and paying attention.
type Presence string

// Presence values.
const (
	PresenceOnline  Presence = "online"
	PresenceAway    Presence = "away"
	PresenceOffline Presence = "offline"
)

// Event is something that happened on the desk. Every event leaves the Desk
// through its Broker, so a shop running several instances sees the events of
// all of them. Events are plain data and encode to JSON.
type Event struct {
	Type EventType `json:"type"`
	// ConversationID, VisitorID and AgentID say whom the event concerns and
	// decide which topics it is delivered on. Presence events of a visitor
	// or an agent have no ConversationID.
	ConversationID uuid.UUID `json:"conversation_id,omitzero"`
	VisitorID      uuid.UUID `json:"visitor_id,omitzero"`
	AgentID        string    `json:"agent_id,omitempty"`
	// PreviousAgentID is set on EventAssigned when the conversation moved
	// away from another agent, who is told on their topic too.
	PreviousAgentID string            `json:"previous_agent_id,omitempty"`
	Author          Author            `json:"author,omitzero"` // who typed, read, or changed presence
	Message         *Message          `json:"message,omitempty"`
	Conversation    *ConversationInfo `json:"conversation,omitempty"`
	Typing          bool              `json:"typing,omitempty"`
	Seq             int64             `json:"seq,omitempty"`
	Presence        Presence          `json:"presence,omitempty"`
	Queue           *QueueStatus      `json:"queue,omitempty"`
	Block           *Block            `json:"block,omitempty"`
	Entry           json.RawMessage   `json:"entry,omitempty"` // EventVisit: the visitor's entry
	At              time.Time         `json:"at"`
}

// Topic is a stream of events a subscriber can ask for. Build topics with
// ConversationTopic, VisitorTopic, AgentTopic or use TopicAll.
type Topic string

// TopicAll carries every event of the desk: the staff console's view.
const TopicAll Topic = "all"

// ConversationTopic carries the events of one conversation.
func ConversationTopic(id uuid.UUID) Topic { return Topic("conversation:" + id.String()) }

// VisitorTopic carries the events of every conversation of one visitor and
// the visitor's own presence, but never an internal note.
func VisitorTopic(id uuid.UUID) Topic { return Topic("visitor:" + id.String()) }

// AgentTopic carries the events of the conversations assigned to one
// agent (their messages, internal notes, typing, read receipts, status
// changes and ratings, routed by the agent the Desk knows the conversation
// has when it publishes the event), the event that takes a conversation
// away from them (by PreviousAgentID), and the agent's presence. A
// Subscription adds topics with Follow, such as the ConversationTopic of a
// conversation an agent opens to watch.
func AgentTopic(id string) Topic { return Topic("agent:" + id) }

// Topics returns the topics e is delivered on, TopicAll first.
func (e Event) Topics() []Topic {
	ts := make([]Topic, 1, 5)
	ts[0] = TopicAll
	if e.Type == EventVisit || e.Type == EventVisitEnd {
		return ts // for the agents' list, never to the visitor
	}
	if e.ConversationID != uuid.Nil {
		ts = append(ts, ConversationTopic(e.ConversationID))
	}
	if e.VisitorID != uuid.Nil && (e.Message == nil || !e.Message.Internal) {
		ts = append(ts, VisitorTopic(e.VisitorID))
	}
	if e.AgentID != "" {
		ts = append(ts, AgentTopic(e.AgentID))
	}
	if e.PreviousAgentID != "" && e.PreviousAgentID != e.AgentID {
		ts = append(ts, AgentTopic(e.PreviousAgentID))
	}
	return ts
}
