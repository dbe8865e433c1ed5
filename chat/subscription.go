package chat

import (
	"context"
	"sync"
)

// Subscription receives the events of the topics it follows: the one it
// was made with, and those added with Follow. An event on several of them
// is delivered once. Each subscription holds at most a fixed number of
// undelivered events; a subscriber that falls so far behind that more are
// waiting is cut off with ErrSlowConsumer rather than slowing down the
// publisher or anyone else. It then reads what it missed from the store
// (Conversation.History) and subscribes again.
//
// A subscriber reads either from the channel of Events or with Ready and
// Next, not both. Events allocates its buffer of the full size up front;
// Ready and Next hold only the events waiting, so that an idle subscriber
// costs a few hundred bytes.
type Subscription struct {
	topic  Topic
	topics map[Topic]struct{} // what it follows; guarded by hub.mu
	hub    *hub
	size   int // how many undelivered events it may hold

	mu     sync.Mutex
	queue  []Event    // the events waiting, oldest first, without Events
	c      chan Event // the channel of Events, once asked for
	ready  chan struct{}
	done   chan struct{}
	closed bool
	err    error
	stop   func() bool // stops the context watcher
}

// keptQueue is the capacity of a drained queue kept for the next events;
// a larger one, left by a burst, is released.
const keptQueue = 8

// Topic returns the topic the subscription was made with.
func (s *Subscription) Topic() Topic { return s.topic }

// Events returns the channel of events. It is closed when the subscription
// ends; Err then says why. The first call allocates the channel's buffer.
func (s *Subscription) Events() <-chan Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		s.c = make(chan Event, s.size)
		for _, e := range s.queue {
			s.c <- e
		}
		s.queue = nil
		if s.closed {
			close(s.c)
		}
	}
	return s.c
}

// Ready returns a channel that receives a value when events have been
// queued for Next or the subscription has ended. One value may stand for
// many events: take them all with Next.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Done returns a channel that is closed when the subscription ends. Events
// queued before the end can still be taken with Next; Err says why it
// ended.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Next takes the oldest queued event without waiting. It reports false
// when none is queued.
func (s *Subscription) Next() (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return Event{}, false
	}
	e := s.queue[0]
	s.queue[0] = Event{} // the queue no longer holds what e points to
	s.queue = s.queue[1:]
	if len(s.queue) == 0 {
		if cap(s.queue) > keptQueue {
			s.queue = nil
		} else {
			s.queue = s.queue[:0:cap(s.queue)]
		}
	}
	return e, true
}

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
	full := false
	if s.c != nil {
		select {
		case s.c <- e:
		default:
			full = true
		}
	} else if full = len(s.queue) >= s.size; !full {
		s.queue = append(s.queue, e)
		s.signal()
	}
	s.mu.Unlock()
	if full {
		s.end(ErrSlowConsumer)
	}
}

// signal wakes the reader of Ready; s.mu is held.
func (s *Subscription) signal() {
	select {
	case s.ready <- struct{}{}:
	default: // a wake-up is pending already
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
	if s.c != nil {
		close(s.c)
	}
	close(s.done)
	s.signal()
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

// add registers a subscription to topic holding at most n events that
// ends when ctx is done.
func (h *hub) add(ctx context.Context, topic Topic, n int) (*Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &Subscription{topic: topic, topics: make(map[Topic]struct{}, 1), hub: h, size: n, ready: make(chan struct{}, 1),
		done: make(chan struct{})}
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
