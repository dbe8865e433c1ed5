package chat

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Defaults for the zero fields of Config.
const (
	// DefaultSubscriptionBuffer is how many events a Subscription holds for
	// a subscriber that has not read them yet.
	DefaultSubscriptionBuffer = 256
	// DefaultReplyWithin is the answer time promised to offline requests,
	// counted in opening hours.
	DefaultReplyWithin = 4 * time.Hour
	// DefaultInactivityTimeout is how long a queued or open conversation
	// may go without a message before Sweep closes it.
	DefaultInactivityTimeout = 30 * time.Minute
	// DefaultQueueWait is the estimated wait per place in the queue until
	// the Desk has seen the queue move.
	DefaultQueueWait = 2 * time.Minute
	// DefaultReplyNoticeDelay is how long an agent's reply waits for a
	// visitor who is gone before it is emailed to them.
	DefaultReplyNoticeDelay = 2 * time.Minute
)

// Config configures a Desk. Only Store is required; every other zero field
// means the default documented on it.
type Config struct {
	// Store keeps visitors, agents, conversations and messages. Required.
	Store Store
	// Router places conversations with agents. Nil means FirstAvailable.
	Router Router
	// Broker carries events between instances. Nil means a LocalBroker of
	// the Desk's own, which is right for a shop that runs one instance.
	Broker Broker
	// Logger receives the Desk's logs. Nil means no logs.
	Logger *slog.Logger
	// SubscriptionBuffer is the number of undelivered events a subscriber
	// may fall behind before it is cut off with ErrSlowConsumer. Zero means
	// DefaultSubscriptionBuffer.
	SubscriptionBuffer int
	// Now returns the current time. Nil means time.Now. Tests set it to
	// control time.
	Now func() time.Time

	// Hours tells when each department is staffed; hours.Hours implements
	// it. A conversation started outside them is an offline request. Nil
	// means always open.
	Hours OpeningHours
	// ReplyWithin is the answer time promised to offline requests,
	// counted in opening hours. Zero means DefaultReplyWithin.
	ReplyWithin time.Duration
	// Notifier sends visitors email: the acknowledgement of an offline
	// request, agents' replies that a visitor who left has not seen, and
	// transcripts on request. Nil means no email is sent.
	Notifier Notifier
	// Recorder takes every stored message, assignment, status change and
	// rating, once, on the instance that made it, to pass it outside the
	// chat durably (webhook.Webhooks adds deliveries to an outbox in the
	// Store). Its failures are logged. Nil means none.
	Recorder EventRecorder
	// ShopName names the shop in notices. Empty leaves it to the Notifier.
	ShopName string
	// Location is the shop's time zone, for reports, and for times in
	// acknowledgements and notices to visitors without a TimeZone of their
	// own. Nil means UTC.
	Location *time.Location
	// InactivityTimeout is how long a queued or open conversation may go
	// without a message or change before Sweep closes it with a system
	// message. Zero means DefaultInactivityTimeout; negative never closes.
	// Waiting offline requests are never closed this way.
	InactivityTimeout time.Duration
	// QueueWait is the estimated wait per place in the queue until the
	// Desk has measured how fast the queue moves. Zero means
	// DefaultQueueWait.
	QueueWait time.Duration
	// ReplyNoticeDelay is how long an agent's reply waits for its visitor
	// to come back before it is emailed to them; replies made meanwhile go
	// in the same email. The email is scheduled in the Store: this Desk
	// sends it on time, and when it stopped meanwhile, a later Sweep of
	// any Desk on the Store does. Zero means DefaultReplyNoticeDelay.
	ReplyNoticeDelay time.Duration
	// OfflineAck writes the automatic acknowledgement of an offline
	// request, given the visitor and when to expect an answer (zero when
	// no time can be promised), in the visitor's TimeZone or else
	// Location. Nil means the built-in text, in English, Polish, Finnish or
	// Russian after the visitor's Locale.
	OfflineAck func(v Visitor, expected time.Time) string

	// EmailConfirmURL is where visitors' browsers reach the confirmation
	// page of the transport's visitor handler (GET /email/confirm under
	// the prefix it is mounted at), such as
	// "https://shop.example.com/chat/email/confirm". A transcript asked
	// for an address the visitor has not proven is sent only after they
	// open the link the Desk emails there. Empty means such requests
	// return ErrEmailUnproven: transcripts then go only to addresses from
	// identity tokens or ProveEmail.
	EmailConfirmURL string
	// EmailConfirmTTL is how long a confirmation link works. Zero means
	// DefaultEmailConfirmTTL.
	EmailConfirmTTL time.Duration
	// FileLink gives each attachment of an uploaded file (FileID set) its
	// link in the emails the Desk sends, such as transcripts: the
	// attachment's own URL is relative to the handler that serves it,
	// which a mail reader cannot follow. transport.FileLinks makes one.
	// Nil, or an empty link, leaves such attachments out of emails.
	FileLink func(a Attachment) string
	// EmailsPerVisitor caps the emails sent for one visitor per UTC day,
	// confirmation links included. Zero means DefaultEmailsPerVisitor.
	EmailsPerVisitor int
	// EmailsPerAddress caps the emails sent to one address per UTC day,
	// for all visitors together. Zero means DefaultEmailsPerAddress.
	EmailsPerAddress int
	// AgentLeaseTTL is how long an agent's presence lease lasts; the
	// transport renews the leases of the agents connected to it three
	// times as often. An agent whose every lease has expired, because the
	// instance serving them stopped without a goodbye, is set offline by
	// the next Sweep, which Run makes at least every third of this time.
	// A visitor's presence lease (see VisitStore) lasts as long: a visitor
	// of an instance that stopped leaves the agents' list within it.
	// Zero means DefaultAgentLeaseTTL; negative is invalid.
	AgentLeaseTTL time.Duration
	// Retention is how long closed conversations and page views are kept;
	// Sweep deletes older ones. The zero value keeps them for ever.
	// Negative durations are invalid.
	Retention Retention

	// ConversationCacheSize is how many conversations the Desk keeps in
	// memory (status, agent, visitor, Version, last Seq), so that posting
	// a message does not read its conversation from the Store; the least
	// recently used is dropped first. Zero means
	// DefaultConversationCacheSize; negative is invalid.
	ConversationCacheSize int
	// ConversationCacheTTL is how long the Desk trusts a conversation's
	// state in memory before reading it from the Store again. Changes made
	// by any instance reach the cache through the Broker at once; this
	// bounds how long a change whose event the Broker lost goes unseen,
	// such as a conversation closed on another instance still taking
	// messages here. Zero means DefaultConversationCacheTTL; negative is
	// invalid.
	ConversationCacheTTL time.Duration

	// Customers tells who a visitor is in the shop: name, email and
	// latest orders. Nil means unknown. See ShopContext.
	Customers CustomerSource
	// Carts tells what a visitor has in their cart. Nil means unknown.
	// With Customers, it is given to the Router in RouteRequest.Shop and
	// shown to agents.
	Carts CartSource

	// Advisor is a virtual advisor that answers the conversations it
	// takes before an agent does (see Advisor and package advisor). Nil
	// means none: every conversation goes to the queue.
	Advisor Advisor
	// AdvisorTimeout bounds one answer of the Advisor; one that takes
	// longer hands the conversation over. Zero means
	// DefaultAdvisorTimeout; negative is invalid.
	AdvisorTimeout time.Duration
}

// OpeningHours tells when each department answers chats. hours.Hours
// implements it; department "" is the shop's default.
type OpeningHours interface {
	// IsOpen reports whether department is staffed at t.
	IsOpen(department string, t time.Time) bool
	// ExpectedReply returns when a message left at t can expect an answer
	// if the shop answers within the given opening time; zero when the
	// department does not open again.
	ExpectedReply(department string, t time.Time, within time.Duration) time.Time
}

// Desk is the chat service of one shop instance: it ties the Store, the
// Router and the Broker together and is what the transport handlers serve.
// The shop's own Go code uses it too, to start conversations, post messages
// and listen to events. A Desk is safe for concurrent use.
type Desk struct {
	store  Store
	holder string // names this Desk in the store's job leases
	router Router
	broker Broker
	log    *slog.Logger
	buffer int
	now    func() time.Time

	hours            OpeningHours
	replyWithin      time.Duration
	notifier         Notifier
	recorder         EventRecorder
	shopName         string
	loc              *time.Location
	inactivity       time.Duration
	retention        Retention
	queueWait        time.Duration
	replyNoticeDelay time.Duration
	offlineAck       func(Visitor, time.Time) string
	email            emailRules
	leaseTTL         time.Duration
	customers        CustomerSource
	carts            CartSource
	advisor          Advisor
	advisorTimeout   time.Duration

	hub      *hub
	closed   atomic.Bool
	stopped  chan struct{}      // closed by Close; Run returns when it is
	aborted  context.Context    // done when Close gives up waiting
	abort    context.CancelFunc // ends aborted
	notifyMu sync.Mutex         // orders starting a notice or a Run with Close
	pending  sync.WaitGroup     // notices being sent and Runs sweeping
	queue    queueState         // guarded by routeMu
	absent   absence            // visitors' presence and replies waiting for them
	blocks   blockCache         // the blocks in force
	convs    *convCache         // the conversations used last

	subMu    sync.Mutex // guards the broker subscription below
	unsub    func()
	attached atomic.Bool // set once the Desk has subscribed to the Broker
	routeMu  sync.Mutex  // keeps this Desk's routing in queue order; capacity is the store's
}

// NewDesk returns a Desk for cfg. It does no I/O and starts no goroutines.
// An invalid cfg returns an error wrapping ErrInvalid that names the field.
func NewDesk(cfg Config) (*Desk, error) {
	if cfg.Store == nil {
		return nil, invalid("Config.Store is required")
	}
	if cfg.SubscriptionBuffer < 0 {
		return nil, invalid("Config.SubscriptionBuffer is negative")
	}
	if cfg.ReplyWithin < 0 || cfg.QueueWait < 0 || cfg.ReplyNoticeDelay < 0 {
		return nil, invalid("Config.ReplyWithin, QueueWait and ReplyNoticeDelay cannot be negative")
	}
	if cfg.AgentLeaseTTL < 0 {
		return nil, invalid("Config.AgentLeaseTTL is negative")
	}
	if cfg.ConversationCacheSize < 0 || cfg.ConversationCacheTTL < 0 {
		return nil, invalid("Config.ConversationCacheSize and ConversationCacheTTL cannot be negative")
	}
	if cfg.AdvisorTimeout < 0 {
		return nil, invalid("Config.AdvisorTimeout is negative")
	}
	if cfg.Retention.Conversations < 0 || cfg.Retention.PageViews < 0 {
		return nil, invalid("Config.Retention cannot be negative")
	}
	d := &Desk{
		store:  cfg.Store,
		holder: "desk-" + uuid.NewString(),
		router: cfg.Router,
		broker: cfg.Broker,
		log:    cfg.Logger,
		buffer: cfg.SubscriptionBuffer,
		now:    cfg.Now,
		hub:    newHub(),

		hours:            cfg.Hours,
		replyWithin:      cmp.Or(cfg.ReplyWithin, DefaultReplyWithin),
		notifier:         cfg.Notifier,
		recorder:         cfg.Recorder,
		shopName:         cfg.ShopName,
		loc:              cmp.Or(cfg.Location, time.UTC),
		inactivity:       cmp.Or(cfg.InactivityTimeout, DefaultInactivityTimeout),
		queueWait:        cmp.Or(cfg.QueueWait, DefaultQueueWait),
		replyNoticeDelay: cmp.Or(cfg.ReplyNoticeDelay, DefaultReplyNoticeDelay),
		offlineAck:       cfg.OfflineAck,
		leaseTTL:         cmp.Or(cfg.AgentLeaseTTL, DefaultAgentLeaseTTL),
		retention:        cfg.Retention,
		convs: newConvCache(cmp.Or(cfg.ConversationCacheSize, DefaultConversationCacheSize),
			cmp.Or(cfg.ConversationCacheTTL, DefaultConversationCacheTTL)),
		stopped:   make(chan struct{}),
		customers: cfg.Customers,
		carts:     cfg.Carts,

		advisor:        cfg.Advisor,
		advisorTimeout: cmp.Or(cfg.AdvisorTimeout, DefaultAdvisorTimeout),
	}
	var err error
	if d.email, err = newEmailRules(cfg); err != nil {
		return nil, err
	}
	d.aborted, d.abort = context.WithCancel(context.Background())
	if d.router == nil {
		d.router = FirstAvailable{}
	}
	if d.broker == nil {
		d.broker = &LocalBroker{}
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.buffer == 0 {
		d.buffer = DefaultSubscriptionBuffer
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d, nil
}

// Store returns the Store the Desk was configured with.
func (d *Desk) Store() Store { return d.store }

// Close stops the Desk: Run returns ErrClosed at once, every subscription
// ends with ErrClosed, the Desk detaches from its Broker, and calls made
// after Close return ErrClosed. Close waits, until ctx is done, for the
// notices being sent and for a sweep in progress. When ctx is done first,
// Close cancels them and returns ctx's error without waiting for them to
// notice. Replies still waiting for their visitor to come back stay
// scheduled in the Store: the first sweep after they are due, of any Desk
// on the Store, emails them.
//
// Close does not interrupt calls already in progress, such as a message
// being posted: each finishes against the Store, so a message whose call
// returned without error is stored, and one cut short returns an error to
// its caller. Stop the transport first (transport.Server.Shutdown finishes
// the frames in hand), then close the Desk, and the Store, which the caller
// owns, last. Calling Close again does nothing and returns nil.
func (d *Desk) Close(ctx context.Context) error {
	d.notifyMu.Lock() // no notice or Run starts after this
	if d.closed.Swap(true) {
		d.notifyMu.Unlock()
		return nil
	}
	close(d.stopped)
	d.notifyMu.Unlock()
	d.absent.stop()
	done := make(chan struct{})
	go func() {
		d.pending.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		select {
		case <-done:
		default:
			d.abort()
			err = ctx.Err()
		}
	}
	d.hub.close()
	d.subMu.Lock()
	if d.unsub != nil {
		d.unsub()
		d.unsub = nil
	}
	d.subMu.Unlock()
	return err
}

// begin counts work that Close waits for, unless the Desk is closed.
func (d *Desk) begin() bool {
	d.notifyMu.Lock()
	defer d.notifyMu.Unlock()
	if d.closed.Load() {
		return false
	}
	d.pending.Add(1)
	return true
}

// timestamp returns the current time as stores keep it.
func (d *Desk) timestamp() time.Time { return Timestamp(d.now()) }

func (d *Desk) checkOpen() error {
	if d.closed.Load() {
		return fmt.Errorf("%w: the desk is closed", ErrClosed)
	}
	return nil
}

// Subscribe returns a Subscription to the events of topic that ends when
// ctx is done, when it is closed, or when the Desk closes.
func (d *Desk) Subscribe(ctx context.Context, topic Topic) (*Subscription, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	return d.SubscribeBuffer(ctx, topic, d.buffer)
}

// SubscribeBuffer is Subscribe with a buffer of n events instead of
// Config.SubscriptionBuffer: small for the many connections of a transport,
// large for a consumer that works in bursts. n must be positive.
func (d *Desk) SubscribeBuffer(ctx context.Context, topic Topic, n int) (*Subscription, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, invalid("subscription buffer %d is not positive", n)
	}
	if err := d.attach(ctx); err != nil {
		return nil, err
	}
	return d.hub.add(ctx, topic, n)
}

// attach subscribes the Desk's hub to the Broker on first use.
func (d *Desk) attach(ctx context.Context) error {
	if d.attached.Load() {
		return nil
	}
	d.subMu.Lock()
	defer d.subMu.Unlock()
	if d.unsub != nil {
		return nil
	}
	stop, err := d.broker.Subscribe(ctx, d.deliver)
	if err != nil {
		return fmt.Errorf("chat: subscribing to the broker: %w", err)
	}
	d.unsub = stop
	d.attached.Store(true)
	return nil
}

// publish sends e through the Broker. The fact behind e is already stored,
// so a failure is logged rather than returned: subscribers catch up from the
// store when they resubscribe. The Desk's own cache learns of e first, so
// that this instance acts on the change at once whatever the Broker does.
func (d *Desk) publish(ctx context.Context, e Event) {
	if e.At.IsZero() {
		e.At = d.timestamp()
	}
	d.convs.event(e, d.now())
	d.route(&e)
	d.record(ctx, e)
	if err := d.broker.Publish(context.WithoutCancel(ctx), e); err != nil {
		d.log.ErrorContext(ctx, "chat: publishing event", "type", e.Type, "conversation", e.ConversationID, "err", err)
	}
}

// route sets the AgentID of a message, typing or read event to the agent
// the conversation has now, as far as the Desk knows: the state read
// before a message was stored may predate an assignment made meanwhile,
// and the event must reach the agent who will answer.
func (d *Desk) route(e *Event) {
	switch e.Type {
	case EventMessage, EventTyping, EventRead:
		if a, ok := d.convs.assignee(e.ConversationID); ok {
			e.AgentID = a
		}
	}
}

// Visitor returns the stored visitor with the given id.
func (d *Desk) Visitor(ctx context.Context, id uuid.UUID) (Visitor, error) {
	if err := d.checkOpen(); err != nil {
		return Visitor{}, err
	}
	return d.store.Visitor(ctx, id)
}

// SaveVisitor stores v and returns it as stored. A nil ID gets a new random
// one; a zero CreatedAt becomes the stored visitor's, or now for a new one;
// LastSeenAt becomes now. A TimeZone that CheckTimeZone refuses returns
// ErrInvalid.
func (d *Desk) SaveVisitor(ctx context.Context, v Visitor) (Visitor, error) {
	if err := d.checkOpen(); err != nil {
		return Visitor{}, err
	}
	if v.TimeZone != "" {
		if err := CheckTimeZone(v.TimeZone); err != nil {
			return Visitor{}, fmt.Errorf("visitor time zone: %w", err)
		}
	}
	now := d.timestamp()
	if v.ID == uuid.Nil {
		v.ID = NewID()
	} else if v.CreatedAt.IsZero() {
		old, err := d.store.Visitor(ctx, v.ID)
		switch {
		case err == nil:
			v.CreatedAt = old.CreatedAt
		case !errors.Is(err, ErrNotFound):
			return Visitor{}, err
		}
	}
	if v.CreatedAt.IsZero() {
		v.CreatedAt = now
	}
	v.CreatedAt = Timestamp(v.CreatedAt)
	v.LastSeenAt = now
	if err := d.store.PutVisitor(ctx, v); err != nil {
		return Visitor{}, err
	}
	return v, nil
}

// RecordPageView stores a page the visitor opened. A nil ID gets a new one
// and a zero At becomes now. It returns the page view as stored.
func (d *Desk) RecordPageView(ctx context.Context, p PageView) (PageView, error) {
	if err := d.checkOpen(); err != nil {
		return PageView{}, err
	}
	if p.ID == uuid.Nil {
		p.ID = NewID()
	}
	if p.At.IsZero() {
		p.At = d.now()
	}
	p.At = Timestamp(p.At)
	if err := d.store.AddPageView(ctx, p); err != nil {
		return PageView{}, err
	}
	return p, nil
}

// SaveAgent stores a, replacing the agent with the same ID. Use it to
// register the shop's staff; SetAgentStatus changes availability.
func (d *Desk) SaveAgent(ctx context.Context, a Agent) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	if a.Status == "" {
		a.Status = AgentOffline
	}
	return d.store.PutAgent(ctx, a)
}

// SetAgentStatus changes an agent's availability and tells subscribers.
// When the agent comes online, queued conversations are offered to them.
// When the agent goes offline, their open conversations go back to the
// queue (oldest first, as they were) and are offered to the agents who
// are online.
func (d *Desk) SetAgentStatus(ctx context.Context, agentID string, status AgentStatus) (Agent, error) {
	if err := d.checkOpen(); err != nil {
		return Agent{}, err
	}
	if !status.Valid() {
		return Agent{}, invalid("agent status %.32q is not online, away or offline", status)
	}
	a, err := d.store.Agent(ctx, agentID)
	if err != nil {
		return Agent{}, err
	}
	changed := a.Status != status
	a.Status = status
	if err := d.store.PutAgent(ctx, a); err != nil {
		return Agent{}, err
	}
	if changed {
		d.publishAgentPresence(ctx, a)
	}
	if changed && status == AgentOffline {
		d.requeue(ctx, a.ID)
	}
	if status == AgentOnline || (changed && status == AgentOffline) {
		d.drainQueue(ctx)
	}
	return a, nil
}

// requeue puts the open conversations of an agent who went offline back
// in the queue, so that none is left with nobody to answer. Failures are
// logged; the conversation then stays with the agent until they return.
func (d *Desk) requeue(ctx context.Context, agentID string) {
	open, err := d.store.Conversations(ctx, ConversationFilter{Statuses: []Status{StatusOpen}, AgentID: agentID, Limit: MaxPageSize})
	if err != nil {
		d.log.ErrorContext(ctx, "chat: listing an offline agent's conversations", "agent", agentID, "err", err)
		return
	}
	for _, c := range open {
		c, changed, err := d.updateConversation(ctx, c.ID, func(c *ConversationInfo) (bool, error) {
			if c.Status != StatusOpen || c.AgentID != agentID {
				return false, nil
			}
			c.Status, c.AgentID, c.AssignedAt = StatusQueued, "", time.Time{}
			return true, nil
		})
		if err != nil {
			d.log.ErrorContext(ctx, "chat: requeueing a conversation", "conversation", c.ID, "err", err)
			continue
		}
		if changed {
			d.publish(ctx, conversationEvent(EventStatus, c, agentID))
		}
	}
}

// publishAgentPresence tells the agent's subscribers, and the visitors of
// the agent's open conversations, that the agent's presence changed.
func (d *Desk) publishAgentPresence(ctx context.Context, a Agent) {
	e := Event{
		Type:     EventPresence,
		AgentID:  a.ID,
		Author:   Author{Kind: AuthorAgent, ID: a.ID, Name: a.Name},
		Presence: Presence(a.Status),
	}
	d.publish(ctx, e)
	open, err := d.store.Conversations(ctx, ConversationFilter{Statuses: []Status{StatusOpen}, AgentID: a.ID, Limit: MaxPageSize})
	if err != nil {
		d.log.ErrorContext(ctx, "chat: listing an agent's conversations", "agent", a.ID, "err", err)
		return
	}
	for _, c := range open {
		ce := e
		ce.ConversationID, ce.VisitorID = c.ID, c.VisitorID
		d.publish(ctx, ce)
	}
}

// SetVisitorPresence tells subscribers that the visitor is online, away or
// offline. Presence is a passing signal and is not stored.
func (d *Desk) SetVisitorPresence(ctx context.Context, visitorID uuid.UUID, p Presence) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	if p != PresenceOnline && p != PresenceAway && p != PresenceOffline {
		return invalid("presence %.32q is not online, away or offline", p)
	}
	if err := checkID("visitor id", visitorID); err != nil {
		return err
	}
	if p != PresenceOffline && !d.absent.isPresent(visitorID) {
		// The visitor is back: the replies waiting for them are seen in
		// the chat, on whichever instance their email was scheduled. A
		// notice this Desk misses because it believes the visitor never
		// left is harmless: sendReplies sends nothing while a presence
		// lease of theirs lives.
		if err := d.store.CancelReplyNotices(ctx, visitorID); err != nil {
			d.log.ErrorContext(ctx, "chat: cancelling reply notices", "visitor", visitorID, "err", err)
		}
	}
	d.absent.setPresence(visitorID, p)
	d.publish(ctx, Event{
		Type:      EventPresence,
		VisitorID: visitorID,
		Author:    Author{Kind: AuthorVisitor, ID: visitorID.String()},
		Presence:  p,
	})
	return nil
}

// Conversations lists stored conversations; see ConversationStore.
func (d *Desk) Conversations(ctx context.Context, f ConversationFilter) ([]ConversationInfo, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	return d.store.Conversations(ctx, f)
}

// Conversation returns a handle on the stored conversation with the given
// id, or ErrNotFound.
func (d *Desk) Conversation(ctx context.Context, id uuid.UUID) (Conversation, error) {
	c, _, err := d.Lookup(ctx, id)
	return c, err
}

// Lookup returns a handle on the conversation with the given id together
// with its state as this Desk knows it, or ErrNotFound. The state comes
// from memory when the Desk has it: it reflects every change this Desk
// made or learned of through the Broker, and is read from the Store again
// once it is Config.ConversationCacheTTL old. Use Conversation.Info for
// the stored state itself.
func (d *Desk) Lookup(ctx context.Context, id uuid.UUID) (Conversation, ConversationInfo, error) {
	if err := d.checkOpen(); err != nil {
		return nil, ConversationInfo{}, err
	}
	c, err := d.conversation(ctx, id)
	if err != nil {
		return nil, ConversationInfo{}, err
	}
	return &handle{desk: d, id: id}, c, nil
}

// updateConversation reads the conversation, lets change edit it and stores
// the result, retrying when a concurrent update won the race. change
// returns false to leave the conversation as it is. A change that opens
// the conversation with an agent who did not have it is stored with
// AssignConversation, within the agent's capacity: a full agent returns
// ErrAgentBusy, whatever other instances assigned meanwhile.
func (d *Desk) updateConversation(ctx context.Context, id uuid.UUID, change func(*ConversationInfo) (bool, error)) (ConversationInfo, bool, error) {
	const attempts = 16
	for range attempts {
		c, err := d.store.Conversation(ctx, id)
		if err != nil {
			return ConversationInfo{}, false, err
		}
		d.convs.put(c, d.now())
		before := c
		ok, err := change(&c)
		if err != nil || !ok {
			return c, false, err
		}
		c.UpdatedAt = d.timestamp()
		if c.Status == StatusOpen && c.AgentID != "" && (before.Status != StatusOpen || before.AgentID != c.AgentID) {
			c, err = d.assignConversation(ctx, c)
		} else {
			c, err = d.store.UpdateConversation(ctx, c)
		}
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return ConversationInfo{}, false, err
		}
		d.convs.put(c, d.now())
		return c, true, nil
	}
	return ConversationInfo{}, false, fmt.Errorf("%w: conversation %s kept changing; gave up after %d attempts", ErrConflict, id, attempts)
}

// assignConversation stores c, open with c.AgentID, within the agent's
// Capacity as the store finds it.
func (d *Desk) assignConversation(ctx context.Context, c ConversationInfo) (ConversationInfo, error) {
	a, err := d.store.Agent(ctx, c.AgentID)
	if err != nil {
		return ConversationInfo{}, err
	}
	return d.store.AssignConversation(ctx, c, a.Capacity)
}
