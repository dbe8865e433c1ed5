package wire

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/parleychat/parley/chat"
)

// VisitedPage is one page a visitor opened.
type VisitedPage struct {
	URL      string    `json:"url"`
	Title    string    `json:"title,omitempty"`
	Referrer string    `json:"referrer,omitempty"`
	At       time.Time `json:"at"`
}

// VisitorState is one entry of the agents' live visitor list: a visitor
// who is on the site now, with what they are looking at. Invitation rules
// decide on it too.
type VisitorState struct {
	Visitor chat.Visitor `json:"visitor"`
	// Page is the page the visitor opened last, in any tab; nil before
	// the first page frame.
	Page *VisitedPage `json:"page,omitempty"`
	// Pages are the pages of this visit in the order opened, at most
	// transport.MaxVisitPages of the newest.
	Pages []VisitedPage `json:"pages,omitempty"`
	// OnlineSince is when the visit began: the first page of the visit,
	// or the first connection when there was none. Time on site is
	// measured from it.
	OnlineSince time.Time `json:"online_since"`
	// LastActiveAt is the visitor's last page or frame other than a
	// heartbeat.
	LastActiveAt time.Time `json:"last_active_at"`
	// ConversationID is the visitor's newest conversation that is not
	// closed; zero when they are not chatting.
	ConversationID uuid.UUID `json:"conversation_id,omitzero"`
	// Returning says the visitor came before: they have a conversation or
	// a page from before this visit.
	Returning bool `json:"returning"`
	// Context is the JSON of transport.Config.VisitorContext's result.
	Context json.RawMessage `json:"context,omitempty"`
	// Shop is what the shop's chat.Config.Customers and Carts tell about
	// the visitor: the customer with their latest orders, and the cart.
	// Nil when the desk has neither.
	Shop *chat.ShopContext `json:"shop,omitempty"`
	// Invitations are the invitations made to the visitor this visit.
	Invitations []chat.Invitation `json:"invitations,omitempty"`

	// ContextValue is the value transport.Config.VisitorContext returned, for
	// invitation rules; it is not sent.
	ContextValue any `json:"-"`
	// At is when the state was read; rules measure durations up to it.
	At time.Time `json:"-"`
}

// CannedResponse is a reply agents insert by its shortcut instead of
// typing it. The agent console expands two placeholders in Text when it
// inserts it: {name} becomes the visitor's name and {agent} the agent's.
// The server sends the responses in the agent's welcome as they are.
type CannedResponse struct {
	// Shortcut is what the agent types to find the response, for example
	// "hello" or "delivery-time". 1 to MaxShortcutBytes bytes without
	// spaces, unique.
	Shortcut string `json:"shortcut"`
	// Text is the response, at most chat.MaxBodyBytes.
	Text string `json:"text"`
}
