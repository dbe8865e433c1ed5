package chat

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// offlineAckKey is the idempotency key of the acknowledgement of an offline
// request: the store keeps one message per key and conversation, so a
// request is acknowledged once however many messages the visitor sends and
// however many instances receive them.
const offlineAckKey = "parley:offline-ack"

// notifyTimeout bounds the sending of one notice.
const notifyTimeout = time.Minute

// staffed reports whether a conversation of department started at t can be
// answered live: the department is open and one of its agents is online.
func (d *Desk) staffed(ctx context.Context, department string, t time.Time) (bool, error) {
	if d.hours != nil && !d.hours.IsOpen(department, t) {
		return false, nil
	}
	agents, err := d.store.Agents(ctx)
	if err != nil {
		return false, err
	}
	for _, a := range agents {
		if a.Status == AgentOnline && serves(a, department) {
			return true, nil
		}
	}
	return false, nil
}

// Staffed reports whether a conversation of department started now would
// be answered live rather than left as an offline request: the department
// is open (Config.Hours) and one of the agents who serve it is online.
// Department "" asks whether anyone at all is there.
func (d *Desk) Staffed(ctx context.Context, department string) (bool, error) {
	if err := d.checkOpen(); err != nil {
		return false, err
	}
	return d.staffed(ctx, department, d.timestamp())
}

// expectedReply returns when an offline request of department left at t
// can expect an answer, in loc.
func (d *Desk) expectedReply(department string, t time.Time, loc *time.Location) time.Time {
	if d.hours == nil {
		return t.Add(d.replyWithin).In(loc)
	}
	e := d.hours.ExpectedReply(department, t, d.replyWithin)
	if e.IsZero() {
		return e
	}
	return e.In(loc)
}

// acknowledge answers the visitor's first message in an offline request
// with a system message saying when to expect an answer, and emails it
// when the visitor left an address. Post calls it until the Desk knows the
// acknowledgement is stored (from its own post or the message's event):
// a later attempt finds it stored by its idempotency key and changes
// nothing, but costs an append that fails on the key.
func (d *Desk) acknowledge(ctx context.Context, c ConversationInfo, request Message) {
	v, err := d.store.Visitor(ctx, c.VisitorID)
	if err != nil {
		d.log.ErrorContext(ctx, "chat: acknowledging an offline request", "conversation", c.ID, "err", err)
		return
	}
	expected := d.expectedReply(c.Department, request.CreatedAt, d.zoneOf(v))
	text := d.offlineAck
	if text == nil {
		text = offlineAckText
	}
	h := &handle{desk: d, id: c.ID}
	_, created, err := h.post(ctx, c, Message{
		Author:         Author{Kind: AuthorSystem},
		Body:           text(v, expected),
		IdempotencyKey: offlineAckKey,
	})
	if err != nil {
		d.log.ErrorContext(ctx, "chat: acknowledging an offline request", "conversation", c.ID, "err", err)
		return
	}
	d.convs.setAcknowledged(c.ID)
	if created {
		d.notify(ctx, Notice{Kind: NoticeOfflineReceived, To: v, Conversation: c, Messages: []Message{request}, ExpectedReply: expected})
	}
}

// notify sends n in the background when there is a Notifier and an address
// to send to. Close waits for notices being sent, or cancels them.
func (d *Desk) notify(ctx context.Context, n Notice) {
	if d.notifier == nil || n.To.Email == "" {
		return
	}
	if !d.begin() {
		return
	}
	go func() {
		defer d.pending.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
		defer cancel()
		defer context.AfterFunc(d.aborted, cancel)()
		if !d.screen(ctx, &n) {
			return
		}
		if err := d.send(ctx, n); err != nil {
			d.log.ErrorContext(ctx, "chat: sending a notice", "kind", n.Kind, "conversation", n.Conversation.ID, "err", err)
		}
	}()
}

// SendTranscript emails the transcript of a conversation to its visitor,
// without internal notes. A non-empty email is saved on the visitor first,
// so the visitor can give an address at the end of a chat; an identified
// customer's address from the shop is kept. It returns ErrInvalid when
// there is no address or no Notifier, and the Notifier's error when
// sending fails.
//
// The transcript goes only to an address the visitor proved (see
// ProveEmail and ConfirmEmail). For any other address it sends a
// confirmation link instead and returns ErrConfirmationSent, or
// ErrEmailUnproven when Config.EmailConfirmURL is not set. A suppressed
// address returns ErrEmailSuppressed and a visitor or address over its
// daily limit ErrEmailLimit; neither is sent anything.
func (d *Desk) SendTranscript(ctx context.Context, conversationID uuid.UUID, email string) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	if d.notifier == nil {
		return invalid("no Notifier is configured to send transcripts")
	}
	c, err := d.store.Conversation(ctx, conversationID)
	if err != nil {
		return err
	}
	v, err := d.store.Visitor(ctx, c.VisitorID)
	if err != nil {
		return err
	}
	address := v.Email
	if email = strings.TrimSpace(email); email != "" && email != v.Email {
		if err := CheckEmail(email); err != nil {
			return err
		}
		address = email
		if v.CustomerID == "" || v.Email == "" {
			v.Email = email
			if err := d.store.PutVisitor(ctx, v); err != nil {
				return err
			}
		}
	}
	if address == "" {
		return invalid("visitor %s has no email address", v.ID)
	}
	return d.transcriptTo(ctx, c, v, address)
}

// CheckEmail reports with ErrInvalid whether s is not a bare email
// address (local@domain, no display name) of at most MaxEmailBytes bytes:
// the rule for every address a visitor gives, in a pre-chat form or for a
// transcript. The error names the field "email".
func CheckEmail(s string) error {
	if err := checkText("email", s, MaxEmailBytes); err != nil {
		return err
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return invalid("email %.64q is not an address", s)
	}
	return nil
}

// deliver takes an event from the Broker: it notes visitors' presence, so
// that every instance knows who is gone, keeps the cached conversations
// true, and hands the event to the subscribers.
func (d *Desk) deliver(e Event) {
	if e.Type == EventPresence && e.Author.Kind == AuthorVisitor && e.ConversationID == uuid.Nil {
		d.absent.setPresence(e.VisitorID, e.Presence)
	}
	if (e.Type == EventBlock || e.Type == EventUnblock) && e.Block != nil {
		d.blocks.apply(e.Type, *e.Block)
	}
	d.convs.event(e, d.now())
	d.hub.deliver(e)
}

// absence tracks which visitors are connected, and the timers of the reply
// notices this Desk scheduled. The notices themselves are kept in the
// store (see ReplyNoticeStore); a timer sends its notice on time, and a
// sweep sends those whose timer is gone with a restart.
type absence struct {
	mu      sync.Mutex
	present map[uuid.UUID]bool       // visitors online or away
	waiting map[uuid.UUID]*replyWait // by conversation
	stopped bool
}

// replyWait is the timer of a reply notice.
type replyWait struct {
	timer  *time.Timer
	notice ReplyNotice
}

func (a *absence) setPresence(visitor uuid.UUID, p Presence) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p == PresenceOffline {
		delete(a.present, visitor)
		return
	}
	// The visitor is back and sees the replies in the chat.
	for id, w := range a.waiting {
		if w.notice.VisitorID == visitor {
			w.timer.Stop()
			delete(a.waiting, id)
		}
	}
	if a.present == nil {
		a.present = make(map[uuid.UUID]bool)
	}
	a.present[visitor] = true
}

func (a *absence) isPresent(visitor uuid.UUID) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.present[visitor]
}

// isWaiting reports whether this Desk has a timer on a notice of the
// conversation.
func (a *absence) isWaiting(id uuid.UUID) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.waiting[id] != nil
}

// forget stops and drops this Desk's timer on notice n, if it has one.
func (a *absence) forget(n ReplyNotice) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w := a.waiting[n.ConversationID]; w != nil && w.notice == n {
		w.timer.Stop()
		delete(a.waiting, n.ConversationID)
	}
}

func (a *absence) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stopped = true
	for id, w := range a.waiting {
		w.timer.Stop()
		delete(a.waiting, id)
	}
}

// replied notes an agent's reply m in conversation c. When the visitor is
// not connected, a reply notice is scheduled in the store: the replies made
// within ReplyNoticeDelay are emailed together, unless the visitor comes
// back first. This Desk sends it when it is due; when it stopped meanwhile,
// the sweep of any instance does.
func (d *Desk) replied(ctx context.Context, c ConversationInfo, m Message) {
	if d.notifier == nil || d.absent.isWaiting(c.ID) {
		return
	}
	if d.absent.isPresent(c.VisitorID) && d.visitorPresent(ctx, c.VisitorID) {
		// Present by the events heard, and by the leases, which end when
		// the visitor's instance stops without a goodbye. A visitor this
		// Desk never heard of may be on another instance: the email is
		// scheduled, and sendReplies asks the leases again when it is due.
		return
	}
	n := ReplyNotice{ConversationID: c.ID, VisitorID: c.VisitorID, After: m.Seq - 1, Due: d.timestamp().Add(d.replyNoticeDelay)}
	scheduled, err := d.store.ScheduleReplyNotice(ctx, n)
	if err != nil {
		d.log.ErrorContext(ctx, "chat: scheduling a reply notice", "conversation", c.ID, "err", err)
		return
	}
	if !scheduled {
		return // an earlier notice waits, and carries this reply too
	}
	a := &d.absent
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped || a.waiting[c.ID] != nil {
		return
	}
	if a.waiting == nil {
		a.waiting = make(map[uuid.UUID]*replyWait)
	}
	w := &replyWait{notice: n}
	w.timer = time.AfterFunc(d.replyNoticeDelay, func() {
		if !d.begin() {
			return
		}
		defer d.pending.Done()
		a.mu.Lock()
		mine := a.waiting[c.ID] == w
		if mine {
			delete(a.waiting, c.ID)
		}
		a.mu.Unlock()
		if mine {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
			defer cancel()
			defer context.AfterFunc(d.aborted, cancel)()
			d.sendReplies(ctx, n)
		}
	})
	a.waiting[c.ID] = w
}

// visitorPresent reports whether the visitor is on the site. While the
// store keeps a visit of theirs, that is whether one of their presence
// leases is live: every instance reads the same, an instance that started
// after the visitor came knows it, and the leases of an instance that
// stopped without a goodbye end by themselves. A visitor with no visit
// stored (a Desk used without the transport, which takes the leases) is
// present when the presence events seen say so.
func (d *Desk) visitorPresent(ctx context.Context, visitorID uuid.UUID) bool {
	v, err := d.store.Visit(ctx, visitorID)
	if err == nil {
		return v.EndsAt.After(d.timestamp())
	}
	if !errors.Is(err, ErrNotFound) {
		d.log.ErrorContext(ctx, "chat: reading whether a visitor is on the site", "visitor", visitorID, "err", err)
	}
	return d.absent.isPresent(visitorID)
}

// sendDueReplies sends the reply notices that are due. It is part of
// Sweep.
func (d *Desk) sendDueReplies(ctx context.Context) error {
	for {
		due, err := d.store.DueReplyNotices(ctx, d.timestamp(), MaxPageSize)
		if err != nil {
			return err
		}
		for _, n := range due {
			if err := d.sendReplies(ctx, n); err != nil {
				return err
			}
		}
		if len(due) < MaxPageSize {
			return nil
		}
	}
}

// sendReplies takes notice n from the store and emails the replies the
// visitor has not seen, if they are still gone. A notice another Desk took
// first, or that was cancelled, is not sent. An error is returned only
// when n could not be taken; once taken, it is not sent twice.
func (d *Desk) sendReplies(ctx context.Context, n ReplyNotice) error {
	taken, err := d.store.TakeReplyNotice(ctx, n)
	if err != nil || !taken {
		return err
	}
	// The notice is gone from the store: a timer this Desk has on it
	// must not stop the next reply from scheduling another.
	d.absent.forget(n)
	c, err := d.store.Conversation(ctx, n.ConversationID)
	if err != nil {
		d.log.ErrorContext(ctx, "chat: emailing replies", "conversation", n.ConversationID, "err", err)
		return nil
	}
	if d.visitorPresent(ctx, c.VisitorID) {
		return nil
	}
	v, err := d.store.Visitor(ctx, c.VisitorID)
	if err != nil || v.Email == "" {
		return nil
	}
	page, err := d.store.Messages(ctx, c.ID, MessageQuery{After: n.After, Limit: MaxPageSize})
	if err != nil {
		d.log.ErrorContext(ctx, "chat: emailing replies", "conversation", c.ID, "err", err)
		return nil
	}
	var replies []Message
	for _, m := range page {
		if m.Author.Kind == AuthorAgent && !m.Internal {
			replies = append(replies, m)
		}
	}
	if len(replies) > 0 {
		d.notify(ctx, Notice{Kind: NoticeReply, To: v, Conversation: c, Messages: replies})
	}
	return nil
}

// offlineAckText is the built-in acknowledgement of an offline request,
// in the visitor's language; expected is already in the visitor's zone.
func offlineAckText(v Visitor, expected time.Time) string {
	p := languageOf(v.Locale)
	var b strings.Builder
	b.WriteString(p.thanks)
	b.WriteByte(' ')
	if expected.IsZero() {
		b.WriteString(p.soon)
	} else {
		fmt.Fprintf(&b, p.by, expected.Format(p.at))
	}
	if v.Email != "" {
		b.WriteByte(' ')
		fmt.Fprintf(&b, p.email, v.Email)
	}
	return b.String()
}
