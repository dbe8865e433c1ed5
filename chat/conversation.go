package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
)

// Conversation is the handle the shop's Go code and the transport use to
// act on one conversation. Get one from Desk.Start or Desk.Conversation.
// A handle holds only the id: every call reads the current state from the
// Store, so handles are cheap, never stale and safe for concurrent use.
type Conversation interface {
	// ID returns the conversation's id.
	ID() uuid.UUID
	// Info returns the conversation's current stored state.
	Info(ctx context.Context) (ConversationInfo, error)
	// History returns a page of the transcript; see MessageQuery.
	History(ctx context.Context, q MessageQuery) ([]Message, error)
	// Post appends a message and tells subscribers. Author and Body (or
	// Attachments) are required; ID, ConversationID, Seq and CreatedAt are
	// filled in. A visitor author must be the conversation's visitor. When
	// IdempotencyKey repeats an earlier message of the conversation, nothing
	// is stored or published: a retry of that message (the same author
	// kind and id, body, attachments and Internal) returns it, and anything
	// else returns ErrKeyReused. A closed conversation returns ErrClosed.
	Post(ctx context.Context, m Message) (Message, error)
	// Assign gives the conversation to the agent and opens it. Assigning it
	// to the agent who has it already changes nothing.
	Assign(ctx context.Context, agentID string) (ConversationInfo, error)
	// Close closes the conversation. Closing a closed conversation changes
	// nothing and is not an error.
	Close(ctx context.Context) (ConversationInfo, error)
	// Rate records the visitor's feedback: a rating from 1 to 5 (0 to leave
	// it unrated) and whether the issue was resolved (nil if not answered).
	Rate(ctx context.Context, rating int, resolved *bool) (ConversationInfo, error)
	// Transfer hands the conversation to another agent or department and
	// notes it in the transcript with a system message. The agent it
	// leaves gets room for the next conversation in the queue.
	Transfer(ctx context.Context, t Transfer) (ConversationInfo, error)
	// Subscribe returns a Subscription to the conversation's events.
	Subscribe(ctx context.Context) (*Subscription, error)
}

// StartRequest describes a conversation to start with Desk.Start.
type StartRequest struct {
	// ID is optional. A client that chooses the id can retry Start after a
	// lost reply: a second Start with the same ID and visitor returns the
	// conversation the first one created. An ID that another visitor's
	// conversation has returns ErrConflict, so the transport derives the
	// ids of the conversations visitors start (see docs/protocol.md).
	ID uuid.UUID
	// VisitorID is the visitor the conversation is with. Required, and the
	// visitor must be stored (see Desk.SaveVisitor).
	VisitorID uuid.UUID
	// Department is the topic or department the visitor chose, if any.
	Department string
	// AgentID, when set, assigns the conversation to this agent at once
	// instead of asking the Router: an agent starting a proactive chat.
	AgentID string
	// NoAdvisor sends the conversation to the queue even when the
	// Config.Advisor would take it: the transport sets it for an
	// invitation the visitor accepted, which offered them a person.
	NoAdvisor bool
}

// Start creates a conversation, places it with an agent through the Router
// (or leaves it queued when nobody can take it) and tells subscribers.
func (d *Desk) Start(ctx context.Context, req StartRequest) (Conversation, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	if req.ID == uuid.Nil {
		req.ID = NewID()
	}
	if err := checkID("visitor id", req.VisitorID); err != nil {
		return nil, err
	}
	if _, err := d.store.Visitor(ctx, req.VisitorID); err != nil {
		return nil, fmt.Errorf("starting a conversation: %w", err)
	}
	if req.AgentID != "" {
		if _, err := d.store.Agent(ctx, req.AgentID); err != nil {
			return nil, fmt.Errorf("starting a conversation: %w", err)
		}
	}
	if err := checkText("department", req.Department, MaxIDBytes); err != nil {
		return nil, err
	}
	now := d.timestamp()
	status := StatusQueued
	if req.AgentID == "" {
		staffed, err := d.staffed(ctx, req.Department, now)
		if err != nil {
			return nil, err
		}
		if !staffed {
			status = StatusWaiting
		}
		if !req.NoAdvisor && d.startWithAdvisor(ctx, ConversationInfo{ID: req.ID, VisitorID: req.VisitorID, Department: req.Department, CreatedAt: now}, staffed) {
			status = StatusBot
		}
	}
	c, err := d.store.CreateConversation(ctx, ConversationInfo{
		ID:         req.ID,
		VisitorID:  req.VisitorID,
		Department: req.Department,
		Status:     status,
		Offline:    status == StatusWaiting,
		Advised:    status == StatusBot,
		CreatedAt:  now,
		UpdatedAt:  now,
	})
	if errors.Is(err, ErrConflict) {
		old, gerr := d.store.Conversation(ctx, req.ID)
		if gerr == nil && old.VisitorID == req.VisitorID {
			return &handle{desk: d, id: old.ID}, nil
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	d.publish(ctx, conversationEvent(EventStatus, c, ""))
	h := &handle{desk: d, id: c.ID}
	switch {
	case req.AgentID != "":
		_, err = h.Assign(ctx, req.AgentID)
	case status == StatusQueued:
		d.routeMu.Lock()
		// The newcomer is on the site now; then offline requests whose
		// department has opened since the last drain get what room is left.
		err = d.place(ctx, c, "")
		d.drainLocked(ctx, StatusWaiting)
		d.publishQueue(ctx)
		d.routeMu.Unlock()
	}
	if err != nil {
		// The conversation exists and stays queued; a later drain places it.
		d.log.ErrorContext(ctx, "chat: placing a new conversation", "conversation", c.ID, "err", err)
	}
	return h, nil
}

// conversationEvent builds an event of type t about c.
func conversationEvent(t EventType, c ConversationInfo, previousAgent string) Event {
	return Event{
		Type:            t,
		ConversationID:  c.ID,
		VisitorID:       c.VisitorID,
		AgentID:         c.AgentID,
		PreviousAgentID: previousAgent,
		Conversation:    &c,
		At:              c.UpdatedAt,
	}
}

// handle implements Conversation.
type handle struct {
	desk *Desk
	id   uuid.UUID
}

var _ Conversation = (*handle)(nil)

func (h *handle) ID() uuid.UUID { return h.id }

func (h *handle) Info(ctx context.Context) (ConversationInfo, error) {
	if err := h.desk.checkOpen(); err != nil {
		return ConversationInfo{}, err
	}
	return h.desk.store.Conversation(ctx, h.id)
}

func (h *handle) History(ctx context.Context, q MessageQuery) ([]Message, error) {
	if err := h.desk.checkOpen(); err != nil {
		return nil, err
	}
	return h.desk.store.Messages(ctx, h.id, q)
}

func (h *handle) Post(ctx context.Context, m Message) (Message, error) {
	d := h.desk
	if err := d.checkOpen(); err != nil {
		return Message{}, err
	}
	c, err := d.conversation(ctx, h.id)
	if err != nil {
		return Message{}, err
	}
	if c.Status == StatusClosed {
		return Message{}, fmt.Errorf("%w: conversation %s is closed", ErrClosed, h.id)
	}
	if m.Author.Kind == AuthorVisitor && m.Author.ID != c.VisitorID.String() {
		return Message{}, invalid("visitor %.64q is not the visitor of conversation %s", m.Author.ID, h.id)
	}
	if m.Author.Kind == AuthorAgent && !m.Internal && (c.Status == StatusQueued || c.Status == StatusWaiting || c.Status == StatusBot) {
		// An agent answering a chat that waits, or that the virtual
		// advisor has, takes it, so that the visitor is not shown a place
		// in the queue under the answer, nor the advisor answering after
		// it; an agent without room is refused (ErrAgentBusy) and nothing
		// is posted.
		if c, err = h.assign(ctx, m.Author.ID, false); err != nil {
			return Message{}, err
		}
	}
	stored, created, err := h.post(ctx, c, m)
	if err != nil {
		return Message{}, err
	}
	if !created {
		if !sameMessage(stored, m) {
			return Message{}, fmt.Errorf("%w: key %.64q in conversation %s", ErrKeyReused, m.IdempotencyKey, h.id)
		}
		return stored, nil
	}
	if m.Internal {
		return stored, nil
	}
	switch m.Author.Kind {
	case AuthorVisitor:
		// Nothing is written for a visitor's message beyond the message:
		// the metrics' times are taken from the transcript when an agent
		// first answers or the conversation closes (see firstTimes).
		if c.Status == StatusWaiting && !d.convs.acknowledged(c.ID) {
			d.acknowledge(ctx, c, stored)
		}
		if c.Status == StatusBot && d.advisor != nil {
			d.advise(ctx, c, stored)
		}
	case AuthorAgent:
		if c.FirstResponseAt.IsZero() {
			d.firstTimes(ctx, c.ID, &stored)
		}
		d.replied(ctx, c, stored)
	}
	return stored, nil
}

// post stores m in conversation c and tells subscribers. created is false
// when m repeats an idempotency key and nothing was stored.
func (h *handle) post(ctx context.Context, c ConversationInfo, m Message) (_ Message, created bool, _ error) {
	d := h.desk
	m.ID = NewID()
	m.ConversationID = h.id
	m.Seq = 0
	m.CreatedAt = d.timestamp()
	if err := m.Validate(); err != nil {
		return Message{}, false, err
	}
	stored, created, err := d.store.AppendMessage(ctx, m)
	if err != nil {
		return Message{}, false, err
	}
	if created {
		d.publish(ctx, Event{
			Type:           EventMessage,
			ConversationID: c.ID,
			VisitorID:      c.VisitorID,
			AgentID:        c.AgentID,
			Message:        &stored,
			At:             stored.CreatedAt,
		})
	}
	return stored, created, nil
}

// sameMessage reports whether m, posted with the idempotency key of stored,
// is a retry of it. The author's name is not compared: a visitor may have
// given their name between the first attempt and the retry.
func sameMessage(stored, m Message) bool {
	return stored.Author.Kind == m.Author.Kind && stored.Author.ID == m.Author.ID && stored.Body == m.Body &&
		stored.Internal == m.Internal && slices.Equal(stored.Attachments, m.Attachments) &&
		equalCards(stored.Card, m.Card) && slices.Equal(stored.QuickReplies, m.QuickReplies)
}

// equalCards reports whether a and b are both nil or show the same card.
func equalCards(a, b *ProductCard) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// firstTimes records the metrics' FirstMessageAt (the visitor's first
// message) and, given answer, FirstResponseAt (the first agent message
// after it), reading the transcript before answer. Post calls it for an
// agent's message until the first response is recorded, and close with a
// nil answer for a conversation nobody answered. Writing these with each
// visitor's first message instead would add a conversation update to the
// message path, where it holds up a database's message commits. Metrics
// are not worth failing a message for, so errors are logged.
func (d *Desk) firstTimes(ctx context.Context, id uuid.UUID, answer *Message) {
	var before int64
	if answer != nil {
		before = answer.Seq
	}
	first, ok, err := d.firstVisitorMessage(ctx, id, before)
	if err == nil && ok {
		_, _, err = d.updateConversation(ctx, id, func(c *ConversationInfo) (bool, error) {
			changed := false
			if c.FirstMessageAt.IsZero() {
				c.FirstMessageAt, changed = first.CreatedAt, true
			}
			if answer != nil && c.FirstResponseAt.IsZero() {
				c.FirstResponseAt, changed = answer.CreatedAt, true
			}
			return changed, nil
		})
	}
	if err != nil {
		d.log.ErrorContext(ctx, "chat: recording the first message and response", "conversation", id, "err", err)
	}
}

// firstVisitorMessage returns the visitor's first message of the
// conversation with a Seq below before (0: any).
func (d *Desk) firstVisitorMessage(ctx context.Context, id uuid.UUID, before int64) (Message, bool, error) {
	for after := int64(0); ; {
		page, err := d.store.Messages(ctx, id, MessageQuery{After: after, Before: before, Limit: MaxPageSize})
		if err != nil {
			return Message{}, false, err
		}
		for _, m := range page {
			if m.Author.Kind == AuthorVisitor {
				return m, true, nil
			}
		}
		if len(page) < MaxPageSize {
			return Message{}, false, nil
		}
		after = page[len(page)-1].Seq
	}
}

func (h *handle) Assign(ctx context.Context, agentID string) (ConversationInfo, error) {
	if err := h.desk.checkOpen(); err != nil {
		return ConversationInfo{}, err
	}
	return h.assign(ctx, agentID, false)
}

// assign gives the conversation to agentID, within the agent's capacity
// (see updateConversation). fromQueue is set by routing, which holds
// d.routeMu: the conversation is then assigned only if it still waits for
// an agent, and the queue is not drained again (the caller is draining
// it).
func (h *handle) assign(ctx context.Context, agentID string, fromQueue bool) (ConversationInfo, error) {
	d := h.desk
	agent, err := d.store.Agent(ctx, agentID)
	if err != nil {
		return ConversationInfo{}, err
	}
	if !fromQueue {
		d.routeMu.Lock()
		defer d.routeMu.Unlock()
	}
	var previous string
	var wasQueued bool
	c, changed, err := d.updateConversation(ctx, h.id, func(c *ConversationInfo) (bool, error) {
		if fromQueue && c.Status != StatusQueued && c.Status != StatusWaiting {
			return false, nil
		}
		if c.Status == StatusClosed {
			return false, fmt.Errorf("%w: conversation %s is closed", ErrClosed, c.ID)
		}
		if c.AgentID == agentID && c.Status == StatusOpen {
			return false, nil
		}
		if c.Status == StatusBot {
			c.Handoff = HandoffTaken
		}
		previous = c.AgentID
		wasQueued = c.Status == StatusQueued || c.Status == StatusWaiting
		c.AgentID = agentID
		c.Status = StatusOpen
		c.AssignedAt = d.timestamp()
		if c.FirstAssignedAt.IsZero() {
			c.FirstAssignedAt = c.AssignedAt
		}
		return true, nil
	})
	if err != nil || !changed {
		return c, err
	}
	e := conversationEvent(EventAssigned, c, previous)
	e.Author = Author{Kind: AuthorAgent, ID: agent.ID, Name: agent.Name}
	d.publish(ctx, e)
	if wasQueued {
		delete(d.queue.published, c.ID)
	}
	if !fromQueue {
		if previous != "" {
			// The previous agent has room again.
			d.drainQueueLocked(ctx)
		} else if wasQueued {
			d.publishQueue(ctx)
		}
	}
	return c, nil
}

func (h *handle) Close(ctx context.Context) (ConversationInfo, error) {
	if err := h.desk.checkOpen(); err != nil {
		return ConversationInfo{}, err
	}
	return h.close(ctx, true)
}

// close closes the conversation. With drain, the room it frees goes to the
// queue at once; Sweep closes many first and then drains once.
func (h *handle) close(ctx context.Context, drain bool) (ConversationInfo, error) {
	d := h.desk
	if before, err := d.store.Conversation(ctx, h.id); err == nil && before.Status != StatusClosed && before.FirstMessageAt.IsZero() {
		d.firstTimes(ctx, h.id, nil) // a conversation nobody answered: missed, if the visitor wrote
	}
	c, changed, err := d.updateConversation(ctx, h.id, func(c *ConversationInfo) (bool, error) {
		if c.Status == StatusClosed {
			return false, nil
		}
		c.Status = StatusClosed
		c.ClosedAt = d.timestamp()
		return true, nil
	})
	if err != nil || !changed {
		return c, err
	}
	d.publish(ctx, conversationEvent(EventStatus, c, ""))
	switch {
	case !drain:
	case c.AgentID != "":
		d.drainQueue(ctx)
	default:
		d.routeMu.Lock()
		d.publishQueue(ctx)
		d.routeMu.Unlock()
	}
	return c, nil
}

func (h *handle) Rate(ctx context.Context, rating int, resolved *bool) (ConversationInfo, error) {
	d := h.desk
	if err := d.checkOpen(); err != nil {
		return ConversationInfo{}, err
	}
	if rating < 0 || rating > 5 {
		return ConversationInfo{}, invalid("rating %d is outside 1 to 5", rating)
	}
	c, _, err := d.updateConversation(ctx, h.id, func(c *ConversationInfo) (bool, error) {
		c.Rating = rating
		if resolved != nil {
			r := *resolved
			c.Resolved = &r
		} else {
			c.Resolved = nil
		}
		return true, nil
	})
	if err != nil {
		return ConversationInfo{}, err
	}
	d.publish(ctx, conversationEvent(EventRated, c, ""))
	return c, nil
}

func (h *handle) Subscribe(ctx context.Context) (*Subscription, error) {
	return h.desk.Subscribe(ctx, ConversationTopic(h.id))
}

// Typing tells the other side of the conversation that author started or
// stopped typing. It is a passing signal and is not stored.
func (d *Desk) Typing(ctx context.Context, conversationID uuid.UUID, author Author, typing bool) error {
	return d.signal(ctx, conversationID, author, Event{Type: EventTyping, Typing: typing})
}

// MarkRead tells the other side that author has seen every message of the
// conversation up to and including seq.
func (d *Desk) MarkRead(ctx context.Context, conversationID uuid.UUID, author Author, seq int64) error {
	if seq < 0 {
		return invalid("read receipt seq %d is negative", seq)
	}
	return d.signal(ctx, conversationID, author, Event{Type: EventRead, Seq: seq})
}

// signal publishes a passing event about a conversation.
func (d *Desk) signal(ctx context.Context, conversationID uuid.UUID, author Author, e Event) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	if err := author.Validate(); err != nil {
		return err
	}
	c, err := d.conversation(ctx, conversationID)
	if err != nil {
		return err
	}
	e.ConversationID, e.VisitorID, e.AgentID, e.Author = c.ID, c.VisitorID, c.AgentID, author
	d.publish(ctx, e)
	return nil
}
