package chat

import (
	"context"
	"sync"
)

// Subscription receives the events of the topics it follows: the one it
// was made with, and those added with Follow. An event on several of them
// is delivered once. Each subscription has a
// bounded buffer; a subscriber that falls so far behind that the buffer
// overflows is cut off with ErrSlowConsumer rather than slowing down the
// publisher or anyone else. It then reads what it missed from the store
// (Conversation.History) and subscribes again.
type Subscription struct {
	topic  Topic
	topics map[Topic]struct{} // what it follows; guarded by hub.mu
	hub    *hub
	c      chan Event

	mu     sync.Mutex
	closed bool
	err    error
	stop   func() bool // stops the context watcher
}

// Topic returns the topic the subscription was made with.
func (s *Subscription) Topic() Topic { return s.topic }

// Events returns the channel of events. It is closed when the subscription
// ends; Err then says why.
func (s *Subscription) Events() <-chan Event { return s.c }

// Err returns nil while the subscription is live and after Close, and
// otherwise why it ended: ErrSlowConsumer, ErrClosed when the Desk closed, or
// the error of the context given to Subscribe.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription. It is safe to call more than once and from any
// goroutine.
func (s *Subscription) Close() { s.end(nil) }

// offer queues e without blocking, cutting the subscriber off when full.
func (s *Subscription) offer(e Event) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	select {
	case s.c <- e:
		s.mu.Unlock()
	default:
		s.mu.Unlock()
		s.end(ErrSlowConsumer)
	}
}

// end closes the subscription once, recording err as the reason.
func (s *Subscription) end(err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.err = err
	close(s.c)
	stop := s.stop
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
	s.hub.remove(s)
}

// hub fans events out to the subscriptions of this process by topic.
type hub struct {
	mu     sync.RWMutex
	topics map[Topic]map[*Subscription]struct{}
	closed bool
}

func newHub() *hub {
	return &hub{topics: make(map[Topic]map[*Subscription]struct{})}
}

// add registers a subscription to topic with a buffer of size n that ends
// when ctx is done.
func (h *hub) add(ctx context.Context, topic Topic, n int) (*Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &Subscription{topic: topic, topics: make(map[Topic]struct{}, 1), hub: h, c: make(chan Event, n)}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	h.followLocked(s, topic)
	h.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { s.end(context.Cause(ctx)) })
	s.mu.Lock()
	s.stop = stop
	s.mu.Unlock()
	return s, nil
}

func (h *hub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for t := range s.topics {
		h.unfollowLocked(s, t)
	}
}

// deliver offers e once to every subscription that follows any of its
// topics.
func (h *hub) deliver(e Event) {
	h.mu.RLock()
	targets := h.targetsLocked(e.Topics())
	h.mu.RUnlock()
	for _, s := range targets {
		s.offer(e)
	}
}

// broadcast offers e to every subscription, whatever its topic.
func (h *hub) broadcast(e Event) {
	h.mu.RLock()
	all := h.allLocked()
	h.mu.RUnlock()
	for _, s := range all {
		s.offer(e)
	}
}

// allLocked returns every subscription once; h.mu is held.
func (h *hub) allLocked() []*Subscription {
	seen := make(map[*Subscription]struct{})
	var all []*Subscription
	for _, subs := range h.topics {
		for s := range subs {
			if _, dup := seen[s]; !dup {
				seen[s] = struct{}{}
				all = append(all, s)
			}
		}
	}
	return all
}

// close ends every subscription with ErrClosed and refuses new ones.
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	all := h.allLocked()
	h.mu.Unlock()
	for _, s := range all {
		s.end(ErrClosed)
	}
}
