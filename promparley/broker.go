package promparley

import (
	"context"
	"time"

	"github.com/parleychat/parley/chat"
)

// Broker returns b measured: the duration and failures of Publish, the lag
// of every delivered event, and the messages and conversations of the events
// this instance publishes. Nil b means a new chat.LocalBroker, for a shop of
// one instance. Give the result to chat.Config.Broker.
func (m *Metrics) Broker(b chat.Broker) chat.Broker {
	if b == nil {
		b = &chat.LocalBroker{}
	}
	return &broker{next: b, m: m}
}

type broker struct {
	next chat.Broker
	m    *Metrics
}

var _ chat.Broker = (*broker)(nil)

// Publish counts e as this instance's and forwards it. The fact behind e is
// already stored, so e counts whether or not the broker takes it.
func (b *broker) Publish(ctx context.Context, e chat.Event) error {
	b.m.count(e)
	start := time.Now()
	err := b.next.Publish(ctx, e)
	b.m.publishSecs.Observe(time.Since(start).Seconds())
	if err != nil {
		b.m.publishErrors.Inc()
	}
	return err
}

// Subscribe forwards to the inner broker, measuring each event's lag.
func (b *broker) Subscribe(ctx context.Context, deliver func(chat.Event)) (func(), error) {
	return b.next.Subscribe(ctx, func(e chat.Event) {
		if !e.At.IsZero() {
			b.m.deliveryLag.Observe(max(time.Since(e.At), 0).Seconds())
		}
		deliver(e)
	})
}

// count adds e to the event counters.
func (m *Metrics) count(e chat.Event) {
	switch e.Type {
	case chat.EventMessage:
		if e.Message != nil {
			m.messages.WithLabelValues(authorKind(e.Message.Author.Kind)).Inc()
		}
	case chat.EventStatus:
		c := e.Conversation
		switch {
		case c == nil:
		case c.Status == chat.StatusClosed:
			m.closed.Inc()
			if c.Advised {
				m.advisor.WithLabelValues(advisorOutcome(c.Handoff)).Inc()
			}
		case c.Version == 1: // just created
			m.started.Inc()
			if c.Offline {
				m.offline.Inc()
			}
		}
	}
}

// authorKind bounds the author label to the known kinds.
func authorKind(k chat.AuthorKind) string {
	switch k {
	case chat.AuthorVisitor, chat.AuthorAgent, chat.AuthorBot, chat.AuthorSystem:
		return string(k)
	}
	return "other"
}

// advisorOutcome is the outcome label of a conversation the advisor
// answered first: "resolved" when it never handed it over, else the
// reason, bounded to the known ones.
func advisorOutcome(r chat.HandoffReason) string {
	switch {
	case r == "":
		return "resolved"
	case r.Valid():
		return string(r)
	}
	return "other"
}
