package chat

import (
	"context"
	"sync"
)

// Broker carries events from the Desk that published them to the Desks of
// every instance of the shop. It is the single point through which events
// leave a Desk, and the seam for running several instances: LocalBroker
// serves one process, and the packages broker/redisbroker,
// broker/natsbroker and broker/pgnotify connect instances through Redis,
// NATS or PostgreSQL's LISTEN/NOTIFY. The
// conformance suite broker/brokertest checks a Broker against these rules.
//
// Implementations are safe for concurrent use. Delivery is at most once
// (a broker that loses its connection misses what is published meanwhile;
// clients catch up from the Store when they sync) and in publish order per
// publisher; subscribers must not block. Either method called with a ctx
// that is done returns ctx's error and does nothing.
type Broker interface {
	// Publish sends e to every current subscriber, the publishing Desk's
	// own included. It returns once the broker has accepted the event.
	Publish(ctx context.Context, e Event) error
	// Subscribe calls deliver for every event published from now on until
	// stop is called; ctx bounds the call, not the subscription. Once stop
	// returns, deliver is not called again; stop may be called more than
	// once. deliver must return quickly and must not call back into the
	// broker.
	Subscribe(ctx context.Context, deliver func(Event)) (stop func(), err error)
}

// LocalBroker is a Broker for a single process: Publish calls every
// subscriber's deliver function before it returns. A Desk without a Broker in
// its Config uses one of its own; share one LocalBroker between Desks to
// connect them inside one process. The zero value is ready to use.
type LocalBroker struct {
	mu   sync.RWMutex
	next int
	subs map[int]func(Event)
}

var _ Broker = (*LocalBroker)(nil)

// Publish delivers e to every subscriber in the calling goroutine.
func (b *LocalBroker) Publish(ctx context.Context, e Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, deliver := range b.subs {
		deliver(e)
	}
	return nil
}

// Subscribe registers deliver until stop is called. stop may be called more
// than once.
func (b *LocalBroker) Subscribe(ctx context.Context, deliver func(Event)) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = make(map[int]func(Event))
	}
	id := b.next
	b.next++
	b.subs[id] = deliver
	return func() {
		b.mu.Lock()
		delete(b.subs, id)
		b.mu.Unlock()
	}, nil
}
