package chat

import (
	"time"

	"github.com/google/uuid"
)

// Visitor is a person browsing the shop. A visitor starts anonymous, known
// only by the ID the server issued to their browser, and becomes a known
// customer when the shop identifies them (CustomerID, Name and Email set).
type Visitor struct {
	ID         uuid.UUID `json:"id"`
	Name       string    `json:"name,omitempty"`        // display name; empty for anonymous visitors
	Email      string    `json:"email,omitempty"`       // where offline replies and transcripts go
	Locale     string    `json:"locale,omitempty"`      // BCP 47 tag such as "pl" or "fi-FI"
	CustomerID string    `json:"customer_id,omitempty"` // the shop's own customer id; empty when anonymous
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
}

// AgentStatus is an agent's availability for new conversations.
type AgentStatus string

// Agent availability values. Only StatusOnline agents are offered new
// conversations by the Router.
const (
	AgentOnline  AgentStatus = "online"
	AgentAway    AgentStatus = "away"
	AgentOffline AgentStatus = "offline"
)

// Agent is a member of the shop's staff who answers conversations. The ID is
// the shop's own staff identifier: Parley never issues agent ids.
type Agent struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Departments []string    `json:"departments,omitempty"` // empty means every department
	Capacity    int         `json:"capacity"`              // most open conversations at once; 0 means no limit
	Status      AgentStatus `json:"status"`
}

// Status is the state of a conversation.
type Status string

// Conversation states. A conversation starts queued, becomes open when an
// agent is assigned, and ends closed. Closed conversations take no messages.
//
// A conversation started while nobody can answer it (no agent of its
// department online, or outside business hours) starts waiting instead: it
// is an offline request. The visitor's first message in it is acknowledged
// with the time an answer can be expected, and agents are offered waiting
// requests before queued conversations when they come online.
const (
	StatusQueued  Status = "queued"
	StatusWaiting Status = "waiting"
	StatusOpen    Status = "open"
	StatusClosed  Status = "closed"
)

// ConversationInfo is the stored state of one conversation. Code that acts on
// a conversation uses the Conversation handle; ConversationInfo is the data.
type ConversationInfo struct {
	ID         uuid.UUID `json:"id"`
	VisitorID  uuid.UUID `json:"visitor_id"`
	Department string    `json:"department,omitempty"` // topic or department the visitor chose; empty for the default
	Status     Status    `json:"status"`
	AgentID    string    `json:"agent_id,omitempty"` // assigned agent; empty while queued
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	AssignedAt time.Time `json:"assigned_at,omitzero"` // last assignment; zero if never assigned
	ClosedAt   time.Time `json:"closed_at,omitzero"`
	Rating     int       `json:"rating,omitempty"`   // 1 to 5 from the visitor; 0 means not rated
	Resolved   *bool     `json:"resolved,omitempty"` // the visitor's answer to "was your issue resolved?"; nil if not asked or not answered
	LastSeq    int64     `json:"last_seq"`           // Seq of the newest message; 0 when there are none
	// The service metrics' raw data, set by the Desk; see MetricsOf.
	FirstAssignedAt time.Time `json:"first_assigned_at,omitzero"` // when an agent first got the conversation
	FirstMessageAt  time.Time `json:"first_message_at,omitzero"`  // the visitor's first message
	FirstResponseAt time.Time `json:"first_response_at,omitzero"` // the first agent message after FirstMessageAt
	Offline         bool      `json:"offline,omitempty"`          // it started waiting, as an offline request
	// Version increases by one on every stored change. UpdateConversation
	// accepts a change only when the caller's Version matches the stored one.
	Version int64 `json:"version"`
}

// AuthorKind says who wrote a message.
type AuthorKind string

// Author kinds.
const (
	AuthorVisitor AuthorKind = "visitor"
	AuthorAgent   AuthorKind = "agent"
	AuthorBot     AuthorKind = "bot"    // the shop's own automation
	AuthorSystem  AuthorKind = "system" // Parley itself: assignment notices, acknowledgements
)

// Author identifies the writer of a message or the actor of an event.
type Author struct {
	Kind AuthorKind `json:"kind"`
	ID   string     `json:"id,omitempty"` // visitor UUID or agent id; may be empty for bot and system
	Name string     `json:"name,omitempty"`
}

// Attachment describes a file that accompanies a message. Parley stores only
// this metadata; the file itself lives wherever the shop keeps uploads.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size,omitempty"`
	URL         string `json:"url"`
}

// Message is one entry in a conversation's transcript.
type Message struct {
	ID             uuid.UUID `json:"id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	// Seq numbers the messages of one conversation 1, 2, 3... with no gaps,
	// in the order the store committed them. The store assigns it.
	Seq         int64        `json:"seq"`
	Author      Author       `json:"author"`
	Body        string       `json:"body"`
	Attachments []Attachment `json:"attachments,omitempty"`
	// IdempotencyKey is chosen by the client. Appending a message whose key is
	// already used in the same conversation stores nothing and returns the
	// original message. Empty means no deduplication.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Internal marks a private note: agents see it, the visitor never does,
	// and it is left out of emailed transcripts. Visitors cannot write one.
	Internal  bool      `json:"internal,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// PageView records one page the visitor opened in the shop.
type PageView struct {
	ID        uuid.UUID `json:"id"`
	VisitorID uuid.UUID `json:"visitor_id"`
	URL       string    `json:"url"`
	Title     string    `json:"title,omitempty"`
	Referrer  string    `json:"referrer,omitempty"`
	At        time.Time `json:"at"`
}

// NewID returns a new random id that sorts by creation time (a version 7
// UUID). The Desk gives every new visitor, conversation, message and page
// view one; ids made close in time lie close together in a database index,
// which keeps inserts cheap.
func NewID() uuid.UUID { return uuid.Must(uuid.NewV7()) }
