package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// DefaultSubscriptionBuffer is how many events a Subscription holds for a
// subscriber that has not read them yet, unless Config says otherwise.
const DefaultSubscriptionBuffer = 256

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
}

// Desk is the chat service of one shop instance: it ties the Store, the
// Router and the Broker together and is what the transport handlers serve.
// The shop's own Go code uses it too, to start conversations, post messages
// and listen to events. A Desk is safe for concurrent use.
type Desk struct {
	store  Store
	router Router
	broker Broker
	log    *slog.Logger
	buffer int
	now    func() time.Time

	hub    *hub
	closed atomic.Bool

	subMu   sync.Mutex // guards the broker subscription below
	unsub   func()
	routeMu sync.Mutex // serializes routing decisions so capacity holds
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
	d := &Desk{
		store:  cfg.Store,
		router: cfg.Router,
		broker: cfg.Broker,
		log:    cfg.Logger,
		buffer: cfg.SubscriptionBuffer,
		now:    cfg.Now,
		hub:    newHub(),
	}
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

// Close ends every subscription with ErrClosed and detaches the Desk from
// its Broker. Calls made after Close return ErrClosed. Close does not close
// the Store, which the caller owns.
func (d *Desk) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	d.hub.close()
	d.subMu.Lock()
	if d.unsub != nil {
		d.unsub()
		d.unsub = nil
	}
	d.subMu.Unlock()
	return nil
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
	d.subMu.Lock()
	defer d.subMu.Unlock()
	if d.unsub != nil {
		return nil
	}
	stop, err := d.broker.Subscribe(ctx, d.hub.deliver)
	if err != nil {
		return fmt.Errorf("chat: subscribing to the broker: %w", err)
	}
	d.unsub = stop
	return nil
}

// publish sends e through the Broker. The fact behind e is already stored,
// so a failure is logged rather than returned: subscribers catch up from the
// store when they resubscribe.
func (d *Desk) publish(ctx context.Context, e Event) {
	if e.At.IsZero() {
		e.At = d.timestamp()
	}
	if err := d.broker.Publish(context.WithoutCancel(ctx), e); err != nil {
		d.log.ErrorContext(ctx, "chat: publishing event", "type", e.Type, "conversation", e.ConversationID, "err", err)
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
// LastSeenAt becomes now.
func (d *Desk) SaveVisitor(ctx context.Context, v Visitor) (Visitor, error) {
	if err := d.checkOpen(); err != nil {
		return Visitor{}, err
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
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	if _, err := d.store.Conversation(ctx, id); err != nil {
		return nil, err
	}
	return &handle{desk: d, id: id}, nil
}

// updateConversation reads the conversation, lets change edit it and stores
// the result, retrying when a concurrent update won the race. change
// returns false to leave the conversation as it is.
func (d *Desk) updateConversation(ctx context.Context, id uuid.UUID, change func(*ConversationInfo) (bool, error)) (ConversationInfo, bool, error) {
	const attempts = 16
	for range attempts {
		c, err := d.store.Conversation(ctx, id)
		if err != nil {
			return ConversationInfo{}, false, err
		}
		ok, err := change(&c)
		if err != nil || !ok {
			return c, false, err
		}
		c.UpdatedAt = d.timestamp()
		c, err = d.store.UpdateConversation(ctx, c)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return ConversationInfo{}, false, err
		}
		return c, true, nil
	}
	return ConversationInfo{}, false, fmt.Errorf("%w: conversation %s kept changing; gave up after %d attempts", ErrConflict, id, attempts)
}
