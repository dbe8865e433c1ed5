package chat

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Store keeps Parley's data. Parley ships an in-memory store
// (store/memory) and one over database/sql for SQLite, PostgreSQL and MySQL
// (store/sqlstore); a shop may write its own and check it with the
// conformance suite in store/storetest.
//
// Rules every implementation follows:
//   - All methods are safe for concurrent use.
//   - Inputs are checked with their Validate method first; a rejected input
//     returns an error wrapping ErrInvalid and writes nothing.
//   - A missing record returns an error wrapping ErrNotFound; a duplicate id
//     or a stale Version returns one wrapping ErrConflict.
//   - A context that is already done returns its error (context.Canceled or
//     context.DeadlineExceeded, testable with errors.Is) and writes nothing.
//   - Times are returned in UTC and kept to the microsecond (see Timestamp).
//   - Text is returned byte for byte as it was stored.
//   - Nil and empty slices are interchangeable: an Agent with no departments
//     or a Message with no attachments may come back with either.
type Store interface {
	VisitorStore
	AgentStore
	ConversationStore
	MessageStore
	PageViewStore
	BlockStore
	EmailStore
	AgentLeaseStore
	AssignStore
	JobLeaseStore
	ReplyNoticeStore
	VisitStore
	PrivacyStore
}

// VisitorStore keeps visitors.
type VisitorStore interface {
	// PutVisitor inserts v, or replaces every field of the visitor with the
	// same ID.
	PutVisitor(ctx context.Context, v Visitor) error
	// Visitor returns the visitor with the given id, or ErrNotFound.
	Visitor(ctx context.Context, id uuid.UUID) (Visitor, error)
}

// AgentStore keeps agents.
type AgentStore interface {
	// PutAgent inserts a, or replaces every field of the agent with the same ID.
	PutAgent(ctx context.Context, a Agent) error
	// Agent returns the agent with the given id, or ErrNotFound.
	Agent(ctx context.Context, id string) (Agent, error)
	// Agents returns every agent, ordered by ID.
	Agents(ctx context.Context) ([]Agent, error)
}

// ConversationStore keeps conversations.
type ConversationStore interface {
	// CreateConversation stores a new conversation. Its Version and LastSeq
	// must be zero; the stored Version is 1, and c with that Version is
	// returned. A conversation with the same ID returns ErrConflict.
	CreateConversation(ctx context.Context, c ConversationInfo) (ConversationInfo, error)
	// Conversation returns the conversation with the given id, or ErrNotFound.
	Conversation(ctx context.Context, id uuid.UUID) (ConversationInfo, error)
	// UpdateConversation replaces the stored conversation with c when the
	// stored Version equals c.Version, and returns c with Version increased
	// by one. A different stored Version returns ErrConflict and changes
	// nothing; the caller reads the conversation again and retries. ID,
	// VisitorID, CreatedAt and LastSeq cannot be changed this way: the stored
	// values are kept and returned. An unknown id returns ErrNotFound.
	UpdateConversation(ctx context.Context, c ConversationInfo) (ConversationInfo, error)
	// Conversations returns a page of the conversations that match every
	// set field of f: the first f.Limit of them in the listing's order, or
	// every one when fewer match, so a page shorter than the limit is the
	// last and an empty page means nothing matches after f.After.
	//
	// The listing is oldest first: by CreatedAt, then by ID (compared as
	// 16 bytes, which is also the order of their text form), so
	// conversations created in the same microsecond have a fixed order and
	// a page boundary between them loses or repeats none. f.Newest reverses
	// both: newest first.
	//
	// f.After continues a listing: only conversations after that position
	// in the listing's order are returned. A cursor is a position (a
	// CreatedAt and an ID), not bound to the listing that made it: given to
	// a listing of the other order it selects the conversations on the
	// other side of the same position. The conversation it was taken from
	// need not match f. As CreatedAt and ID never change, paging with the
	// cursor of each page's last conversation lists every conversation that
	// matches throughout exactly once.
	Conversations(ctx context.Context, f ConversationFilter) ([]ConversationInfo, error)
}

// ConversationFilter selects conversations. Zero fields match everything.
type ConversationFilter struct {
	Statuses  []Status  // any of these statuses
	AgentID   string    // assigned to this agent
	VisitorID uuid.UUID // started by this visitor
	// CreatedFrom and CreatedBefore select conversations created in
	// [CreatedFrom, CreatedBefore); a zero time leaves that end open.
	CreatedFrom   time.Time
	CreatedBefore time.Time
	// Newest lists the newest first instead of the oldest.
	Newest bool
	// After, when not zero, starts the page after this position; see
	// ConversationStore.Conversations. A cursor with only one of its fields
	// set is ErrInvalid.
	After ConversationCursor
	// Limit caps the result: 0 means DefaultPageSize; above MaxPageSize or
	// negative is ErrInvalid.
	Limit int
}

// ConversationCursor is a position in a listing of conversations, the
// place of the conversation with this CreatedAt and ID. The zero value is
// the start of a listing. CreatedAt counts to the microsecond, as stores
// keep it (see Timestamp).
type ConversationCursor struct {
	CreatedAt time.Time // the conversation's creation time
	ID        uuid.UUID // the conversation's id, which orders equal times
}

// Cursor returns the position of c, to list the conversations after it.
func (c ConversationInfo) Cursor() ConversationCursor {
	return ConversationCursor{CreatedAt: c.CreatedAt, ID: c.ID}
}

// IsZero reports whether k is the start of a listing.
func (k ConversationCursor) IsZero() bool {
	return k.CreatedAt.IsZero() && k.ID == uuid.Nil
}

// MessageStore keeps the messages of conversations.
type MessageStore interface {
	// AppendMessage stores m as the newest message of its conversation and
	// returns it with Seq set to the conversation's LastSeq plus one; the
	// conversation's LastSeq and UpdatedAt (to m.CreatedAt) move with it in
	// the same transaction. Its Version does not change, so appends never
	// make a concurrent UpdateConversation fail. Concurrent appends to one
	// conversation get distinct, gap-free Seq values.
	//
	// When m.IdempotencyKey is not empty and a message with that key already
	// exists in the conversation, nothing is stored and the original message
	// is returned with created == false. Otherwise created is true.
	//
	// An unknown conversation returns ErrNotFound. The store does not look at
	// the conversation's Status; the Desk refuses messages to closed
	// conversations.
	AppendMessage(ctx context.Context, m Message) (stored Message, created bool, err error)
	// Messages returns messages of one conversation in ascending Seq order,
	// as selected by q. An unknown conversation returns ErrNotFound; a known
	// one with no matching messages returns an empty slice.
	Messages(ctx context.Context, conversationID uuid.UUID, q MessageQuery) ([]Message, error)
}

// MessageQuery selects a page of a conversation's messages by Seq.
type MessageQuery struct {
	After  int64 // only messages with Seq > After
	Before int64 // only messages with Seq < Before; 0 means no upper bound
	// Limit caps the page: 0 means DefaultPageSize; above MaxPageSize or
	// negative is ErrInvalid.
	Limit int
	// Latest selects the Limit messages with the highest Seq in the range
	// instead of the lowest. The page is still returned in ascending order.
	// Use it to show the end of a transcript and to page backwards with Before.
	Latest bool
}

// PageViewStore keeps the pages visitors opened.
type PageViewStore interface {
	// AddPageView stores p. A page view with the same ID returns ErrConflict.
	AddPageView(ctx context.Context, p PageView) error
	// PageViews returns the visitor's newest page views, at most limit of
	// them, in the order they were opened (by At, then ID). limit follows the
	// rules of MessageQuery.Limit. A visitor with no page views gets an empty
	// slice, whether or not the visitor is stored.
	PageViews(ctx context.Context, visitorID uuid.UUID, limit int) ([]PageView, error)
}

// BlockStore keeps the blocks agents put on abusive visitors.
type BlockStore interface {
	// PutBlock stores a new block. A block with the same ID returns
	// ErrConflict and changes nothing.
	PutBlock(ctx context.Context, b Block) error
	// DeleteBlock removes the block with the given id, expired or not. An
	// unknown id returns ErrNotFound.
	DeleteBlock(ctx context.Context, id uuid.UUID) error
	// Blocks returns every block in force at now (ExpiresAt zero or after
	// now), oldest first (by CreatedAt, then ID), with no limit: the Desk
	// keeps them all in memory. Expired blocks are never returned; a store
	// may delete them.
	Blocks(ctx context.Context, now time.Time) ([]Block, error)
}

// TagStore keeps the tags agents put on conversations (see NormalizeTag)
// and finds conversations by their text, visitor and tags. It is
// optional: the Desk finds it on its Store by a type assertion, and its
// tag and search methods return an error wrapping errors.ErrUnsupported
// when the Store does not implement it. store/memory and store/sqlstore
// do. Tags go with their conversation: erasing a visitor or purging
// conversations removes them.
type TagStore interface {
	// AddTag puts tag, which must pass CheckTag, on a conversation. A tag
	// the conversation has already changes nothing. An unknown
	// conversation returns ErrNotFound.
	AddTag(ctx context.Context, conversationID uuid.UUID, tag string) error
	// RemoveTag takes tag, which must pass CheckTag, off a conversation. A
	// tag the conversation lacks changes nothing. An unknown conversation
	// returns ErrNotFound.
	RemoveTag(ctx context.Context, conversationID uuid.UUID, tag string) error
	// Tags returns a conversation's tags in byte order; none is an empty
	// slice. An unknown conversation returns ErrNotFound.
	Tags(ctx context.Context, conversationID uuid.UUID) ([]string, error)
	// SearchConversations returns a page of the conversations q selects,
	// in the order and with the paging of Conversations. Text and Visitor
	// match substrings, with ASCII letters compared without regard to
	// case; whether other letters are depends on the store and its
	// database (SQLite compares them as they are). The search
	// reads every message of the conversations its other conditions
	// leave: stores need no full-text index, and a shop with millions of
	// messages narrows a text search by period.
	SearchConversations(ctx context.Context, q SearchQuery) ([]ConversationInfo, error)
}

// CheckLimit applies the paging rules shared by every Store: 0 becomes
// DefaultPageSize, negative or above MaxPageSize is ErrInvalid.
func CheckLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultPageSize, nil
	case limit < 0 || limit > MaxPageSize:
		return 0, invalid("limit %d is outside 1 to %d", limit, MaxPageSize)
	}
	return limit, nil
}

// Validate reports with ErrInvalid why q is not a valid query.
func (q MessageQuery) Validate() error {
	if q.After < 0 || q.Before < 0 {
		return invalid("negative After or Before")
	}
	_, err := CheckLimit(q.Limit)
	return err
}

// Validate reports with ErrInvalid why f is not a valid filter.
func (f ConversationFilter) Validate() error {
	for _, s := range f.Statuses {
		if !s.Valid() {
			return invalid("status %.32q is not queued, waiting, bot, open or closed", s)
		}
	}
	if !f.After.IsZero() {
		if err := firstErr(checkTime("cursor time", f.After.CreatedAt), checkID("cursor id", f.After.ID)); err != nil {
			return err
		}
	}
	_, err := CheckLimit(f.Limit)
	return err
}
