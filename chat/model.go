package chat

import (
	"time"

	"github.com/google/uuid"
)

// Visitor is a person browsing the shop. A visitor starts anonymous, known
// only by the ID the server issued to their browser, and becomes a known
// customer when the shop identifies them (CustomerID, Name and Email set).
type Visitor struct {
	ID         uuid.UUID `json:"id"`                    // issued by the Desk; the visitor's token carries it
	Name       string    `json:"name,omitempty"`        // display name; empty for anonymous visitors
	Email      string    `json:"email,omitempty"`       // where offline replies and transcripts go
	Locale     string    `json:"locale,omitempty"`      // BCP 47 tag such as "pl" or "fi-FI": the language the Desk writes to the visitor in
	TimeZone   string    `json:"time_zone,omitempty"`   // IANA time zone such as "Europe/Warsaw" for times the Desk writes; empty means Config.Location
	CustomerID string    `json:"customer_id,omitempty"` // the shop's own customer id; empty when anonymous
	CreatedAt  time.Time `json:"created_at"`            // first seen
	LastSeenAt time.Time `json:"last_seen_at"`          // last connection or change
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
	ID          string      `json:"id"`                    // the shop's own staff id
	Name        string      `json:"name"`                  // shown to visitors
	Departments []string    `json:"departments,omitempty"` // empty means every department
	Capacity    int         `json:"capacity"`              // most open conversations at once; 0 means no limit
	Status      AgentStatus `json:"status"`                // availability for new conversations
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
	ID         uuid.UUID `json:"id"`                   // the conversation's id
	VisitorID  uuid.UUID `json:"visitor_id"`           // whom the conversation is with
	Department string    `json:"department,omitempty"` // topic or department the visitor chose; empty for the default
	Status     Status    `json:"status"`               // queued, waiting, bot, open or closed
	AgentID    string    `json:"agent_id,omitempty"`   // assigned agent; empty while queued
	CreatedAt  time.Time `json:"created_at"`           // when it started
	UpdatedAt  time.Time `json:"updated_at"`           // last change or message
	AssignedAt time.Time `json:"assigned_at,omitzero"` // last assignment; zero if never assigned
	ClosedAt   time.Time `json:"closed_at,omitzero"`   // zero while not closed
	Rating     int       `json:"rating,omitempty"`     // 1 to 5 from the visitor; 0 means not rated
	Resolved   *bool     `json:"resolved,omitempty"`   // the visitor's answer to "was your issue resolved?"; nil if not asked or not answered
	LastSeq    int64     `json:"last_seq"`             // Seq of the newest message; 0 when there are none
	// The service metrics' raw data, set by the Desk; see MetricsOf. The
	// first message and response times are written when an agent first
	// answers the visitor, or when the conversation closes unanswered, so
	// an open conversation nobody has answered yet has neither.
	FirstAssignedAt time.Time `json:"first_assigned_at,omitzero"` // when an agent first got the conversation
	FirstMessageAt  time.Time `json:"first_message_at,omitzero"`  // the visitor's first message
	FirstResponseAt time.Time `json:"first_response_at,omitzero"` // the first agent message after FirstMessageAt
	Offline         bool      `json:"offline,omitempty"`          // it started waiting, as an offline request
	// Advised says the conversation started with the virtual advisor
	// (StatusBot); Handoff says why the advisor passed it to a person,
	// and is empty while the advisor has it. A closed conversation with
	// Advised and no Handoff is one the advisor resolved on its own.
	Advised bool          `json:"advised,omitempty"`
	Handoff HandoffReason `json:"handoff,omitempty"`
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
	Kind AuthorKind `json:"kind"`           // visitor, agent, bot or system
	ID   string     `json:"id,omitempty"`   // visitor UUID or agent id; may be empty for bot and system
	Name string     `json:"name,omitempty"` // display name, shown with the message
}

// Attachment describes a file that accompanies a message. Parley stores only
// this metadata with the message; the file itself lives in a FileStore
// (FileID set, see File.Attachment) or wherever the shop keeps it.
type Attachment struct {
	Name        string `json:"name"`                   // file name shown to the reader
	ContentType string `json:"content_type,omitempty"` // MIME type, if known
	Size        int64  `json:"size,omitempty"`         // bytes, if known
	URL         string `json:"url"`                    // where the file is fetched from
	// FileID is the uploaded File the attachment points to; nil for a
	// file kept elsewhere. Width and Height are an image's pixels, when
	// known, so that readers can size its thumbnail before it loads.
	FileID uuid.UUID `json:"file_id,omitzero"`
	Width  int       `json:"width,omitempty"`
	Height int       `json:"height,omitempty"`
}

// Message is one entry in a conversation's transcript.
type Message struct {
	ID             uuid.UUID `json:"id"`              // the message's id
	ConversationID uuid.UUID `json:"conversation_id"` // the conversation it belongs to
	// Seq numbers the messages of one conversation 1, 2, 3... with no gaps,
	// in the order the store committed them. The store assigns it.
	Seq         int64        `json:"seq"`
	Author      Author       `json:"author"`                // who wrote it
	Body        string       `json:"body"`                  // the text, plain UTF-8; clients show it as text, never as HTML
	Attachments []Attachment `json:"attachments,omitempty"` // files that come with it
	// Card is a product shown in the message; see ProductCard. Only the
	// shop's own code writes one.
	Card *ProductCard `json:"card,omitempty"`
	// QuickReplies are answers the visitor may pick with one click,
	// which sends the answer's text as their message. Only the shop's own
	// code offers them; at most MaxQuickReplies.
	QuickReplies []string `json:"quick_replies,omitempty"`
	// IdempotencyKey is chosen by the client. Appending a message whose key is
	// already used in the same conversation stores nothing and returns the
	// original message. Empty means no deduplication.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Internal marks a private note: agents see it, the visitor never does,
	// and it is left out of emailed transcripts. Visitors cannot write one.
	Internal  bool      `json:"internal,omitempty"`
	CreatedAt time.Time `json:"created_at"` // when the Desk accepted it
}

// PageView records one page the visitor opened in the shop.
type PageView struct {
	ID        uuid.UUID `json:"id"`                 // the page view's id
	VisitorID uuid.UUID `json:"visitor_id"`         // whose page view it is
	URL       string    `json:"url"`                // the page's address
	Title     string    `json:"title,omitempty"`    // the page's title
	Referrer  string    `json:"referrer,omitempty"` // where the visitor came from
	At        time.Time `json:"at"`                 // when the page was opened
}

// NewID returns a new random id that sorts by creation time (a version 7
// UUID). The Desk gives every new visitor, conversation, message and page
// view one; ids made close in time lie close together in a database index,
// which keeps inserts cheap.
func NewID() uuid.UUID { return uuid.Must(uuid.NewV7()) }
