package chat

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// StatusBot is the status of a conversation the virtual advisor
// (Config.Advisor) answers: it started with the advisor and has not been
// handed over to a person yet. No agent is offered it until then, though
// an agent may take it with Conversation.Assign.
const StatusBot Status = "bot"

// DefaultAdvisorTimeout bounds one answer of the Advisor.
const DefaultAdvisorTimeout = 10 * time.Second

// advisorHistory is how many of the latest messages an AdvisorTurn holds.
const advisorHistory = 50

// Advisor is a virtual advisor: a bot that answers visitors before an agent
// does and hands the conversation over to a person when it should. Set
// Config.Advisor; package advisor builds one from a list of questions and
// answers, or from a bot of the shop's own, with the rules for handing
// over.
//
// The Desk keeps the rules that make sure nobody is left alone with the
// advisor: each of its messages offers a quick reply that asks for a
// person ("Talk to a person", in the visitor's language), and a visitor
// who sends it, an Answer that fails or takes longer than
// Config.AdvisorTimeout, and an empty answer are all handed over.
//
// The Desk asks the Advisor once per visitor message, on the instance that
// stored the message, in a goroutine of its own (Close waits for it). Its
// methods must be safe for concurrent use.
type Advisor interface {
	// Takes reports whether the advisor answers the new conversation c
	// first. staffed says whether an agent could answer it now (the
	// department is open and one of its agents online; see Desk.Staffed).
	Takes(ctx context.Context, c ConversationInfo, staffed bool) bool
	// Answer answers the visitor's message in t, or asks for a handoff by
	// setting AdvisorAnswer.Handoff.
	Answer(ctx context.Context, t AdvisorTurn) (AdvisorAnswer, error)
}

// AdvisorTurn is what the Advisor is asked to answer.
type AdvisorTurn struct {
	Conversation ConversationInfo // as stored when the turn began
	Visitor      Visitor          // whose language Locale names
	Message      Message          // the visitor's message to answer
	// History is the conversation before Message as the visitor sees it
	// (no internal notes), oldest first, at most its last 50 messages.
	History []Message
}

// AdvisorAnswer is the Advisor's reply to one visitor message.
type AdvisorAnswer struct {
	// Name is the advisor's name shown with the message; empty shows
	// "Advisor".
	Name string
	// Body is the answer. Empty with no Handoff hands the conversation
	// over as HandoffUnknown.
	Body string
	// QuickReplies are offered with the answer; the Desk adds the request
	// for a person after them, so at most MaxQuickReplies-1 are kept.
	QuickReplies []string
	// Handoff, when set, hands the conversation over to a person instead
	// of answering; Body is then not posted.
	Handoff HandoffReason
}

// HandoffReason says why the advisor handed a conversation over to a
// person; see ConversationInfo.Handoff.
type HandoffReason string

// Handoff reasons.
const (
	HandoffRequested HandoffReason = "requested" // the visitor asked for a person
	HandoffUnknown   HandoffReason = "unknown"   // the advisor had no answer
	HandoffTurns     HandoffReason = "turns"     // the advisor answered as many messages as it may
	HandoffRepeated  HandoffReason = "repeated"  // the visitor repeated themselves
	HandoffFailed    HandoffReason = "failed"    // the advisor failed or took too long
	HandoffTaken     HandoffReason = "taken"     // an agent took the conversation from the advisor
)

// Valid reports whether r is empty or one of the defined reasons.
func (r HandoffReason) Valid() bool {
	switch r {
	case "", HandoffRequested, HandoffUnknown, HandoffTurns, HandoffRepeated, HandoffFailed, HandoffTaken:
		return true
	}
	return false
}

// handoffNotes are the internal notes that tell agents why the advisor
// handed a conversation over.
var handoffNotes = map[HandoffReason]string{
	HandoffRequested: "The virtual advisor handed this conversation over: the visitor asked for a person.",
	HandoffUnknown:   "The virtual advisor handed this conversation over: it had no answer to the last question.",
	HandoffTurns:     "The virtual advisor handed this conversation over: it answered as many messages as it may.",
	HandoffRepeated:  "The virtual advisor handed this conversation over: the visitor repeated themselves.",
	HandoffFailed:    "The virtual advisor handed this conversation over: it failed to answer.",
}

// Idempotency keys of what the Desk posts for the advisor: its answer to
// a visitor message (with the message's id appended), and the note and
// the line to the visitor of a handoff, once per conversation.
const (
	advisorAnswerKey   = "parley:advisor:"
	handoffNoteKey     = "parley:handoff-note"
	handoffVisitorKey  = "parley:handoff"
	defaultAdvisorName = "Advisor"
)

// PersonRequest returns the quick reply that asks for a person, in the
// language of locale (English, Polish, Finnish or Russian; English for
// any other). Every advisor message offers it; a visitor message equal to
// it in any of these languages, ignoring case and surrounding space, hands
// the conversation over.
func PersonRequest(locale string) string { return languageOf(locale).person }

// asksForPerson reports whether body is the quick reply asking for a person.
func asksForPerson(body string) bool {
	body = strings.TrimSpace(body)
	for _, p := range languages {
		if strings.EqualFold(body, p.person) {
			return true
		}
	}
	return false
}

// startWithAdvisor reports whether the new conversation c goes to the
// advisor first.
func (d *Desk) startWithAdvisor(ctx context.Context, c ConversationInfo, staffed bool) bool {
	return d.advisor != nil && d.advisor.Takes(ctx, c, staffed)
}

// advise has the advisor answer the visitor's message m of conversation
// c, in the background: the visitor's post returns at once. It runs on the
// instance that stored m, once per message, as only that instance's
// append creates it.
func (d *Desk) advise(ctx context.Context, c ConversationInfo, m Message) {
	if !d.begin() {
		return
	}
	go func() {
		defer d.pending.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.advisorTimeout)
		defer cancel()
		defer context.AfterFunc(d.aborted, cancel)()
		if err := d.answerTurn(ctx, c.ID, m); err != nil {
			d.log.ErrorContext(ctx, "chat: the advisor's turn", "conversation", c.ID, "err", err)
		}
	}()
}

// answerTurn asks the advisor to answer m and posts its answer, or hands
// the conversation over.
func (d *Desk) answerTurn(ctx context.Context, id uuid.UUID, m Message) error {
	c, err := d.store.Conversation(ctx, id)
	if err != nil || c.Status != StatusBot {
		return err
	}
	if asksForPerson(m.Body) {
		return d.handOver(ctx, id, HandoffRequested, m)
	}
	page, err := d.store.Messages(ctx, id, MessageQuery{Before: m.Seq, Latest: true, Limit: advisorHistory})
	if err != nil {
		return err
	}
	v := d.visitorOf(ctx, c)
	ans, err := d.advisor.Answer(ctx, AdvisorTurn{
		Conversation: c,
		Visitor:      v,
		Message:      m,
		History:      slices.DeleteFunc(page, func(m Message) bool { return m.Internal }),
	})
	switch {
	case err != nil:
		d.log.WarnContext(ctx, "chat: the advisor failed; handing over", "conversation", id, "err", err)
		return d.handOver(context.WithoutCancel(ctx), id, HandoffFailed, m)
	case ans.Handoff != "" && !ans.Handoff.Valid(), ans.Handoff == HandoffTaken:
		d.log.WarnContext(ctx, "chat: the advisor gave an unknown handoff reason", "conversation", id, "reason", ans.Handoff)
		return d.handOver(ctx, id, HandoffFailed, m)
	case ans.Handoff != "":
		return d.handOver(ctx, id, ans.Handoff, m)
	case strings.TrimSpace(ans.Body) == "":
		return d.handOver(ctx, id, HandoffUnknown, m)
	}
	quick := ans.QuickReplies[:min(len(ans.QuickReplies), MaxQuickReplies-1)]
	quick = append(slices.Clone(quick), PersonRequest(v.Locale))
	if c, err = d.store.Conversation(ctx, id); err != nil || c.Status != StatusBot {
		return err // an agent took it meanwhile
	}
	h := &handle{desk: d, id: id}
	_, _, err = h.post(ctx, c, Message{
		Author:         Author{Kind: AuthorBot, ID: "advisor", Name: cmp.Or(ans.Name, defaultAdvisorName)},
		Body:           ans.Body,
		QuickReplies:   quick,
		IdempotencyKey: advisorAnswerKey + m.ID.String(),
	})
	if err != nil {
		d.log.WarnContext(ctx, "chat: posting the advisor's answer failed; handing over", "conversation", id, "err", err)
		return d.handOver(context.WithoutCancel(ctx), id, HandoffFailed, m)
	}
	return nil
}

// handOver passes a conversation the advisor has to a person: it leaves
// StatusBot for the queue when the conversation's department is staffed,
// and otherwise becomes an offline request (StatusWaiting) acknowledged
// with the time to expect an answer. The agents get an internal note
// saying why, and the visitor a line saying a person takes over. Of
// several instances handing the same conversation over at once, the one
// whose update the Store takes does it; the others find it handed over
// and do nothing.
func (d *Desk) handOver(ctx context.Context, id uuid.UUID, reason HandoffReason, request Message) error {
	c, err := d.store.Conversation(ctx, id)
	if err != nil || c.Status != StatusBot {
		return err
	}
	staffed, err := d.staffed(ctx, c.Department, d.timestamp())
	if err != nil {
		return err
	}
	c, changed, err := d.updateConversation(ctx, id, func(c *ConversationInfo) (bool, error) {
		if c.Status != StatusBot {
			return false, nil
		}
		c.Handoff = reason
		if staffed {
			c.Status = StatusQueued
		} else {
			c.Status, c.Offline = StatusWaiting, true
		}
		return true, nil
	})
	if err != nil || !changed {
		return err
	}
	d.publish(ctx, conversationEvent(EventStatus, c, ""))
	h := &handle{desk: d, id: id}
	v := d.visitorOf(ctx, c)
	if _, _, err := h.post(ctx, c, Message{Author: Author{Kind: AuthorSystem}, Internal: true,
		Body: handoffNotes[reason], IdempotencyKey: handoffNoteKey}); err != nil {
		d.log.ErrorContext(ctx, "chat: noting a handoff", "conversation", id, "err", err)
	}
	if _, _, err := h.post(ctx, c, Message{Author: Author{Kind: AuthorSystem},
		Body: languageOf(v.Locale).handoff, IdempotencyKey: handoffVisitorKey}); err != nil {
		d.log.ErrorContext(ctx, "chat: telling the visitor of a handoff", "conversation", id, "err", err)
	}
	if c.Status == StatusWaiting {
		d.acknowledge(ctx, c, request)
		return nil
	}
	d.routeMu.Lock()
	defer d.routeMu.Unlock()
	if err := d.place(ctx, c, ""); err != nil {
		return fmt.Errorf("placing a conversation the advisor handed over: %w", err)
	}
	d.publishQueue(ctx)
	return nil
}
