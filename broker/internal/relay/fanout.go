package relay

import (
	"sync"

	"github.com/parleychat/parley/chat"
)

// Fanout hands each event a broker receives to every deliver function
// subscribed to the broker. Stopping a subscription waits for a delivery
// in progress, so deliver is never called after stop returns. The zero
// value is ready to use.
type Fanout struct {
	mu     sync.RWMutex // held for reading while delivering
	next   uint64
	subs   map[uint64]func(chat.Event)
	closed bool
}

// Add subscribes deliver and returns the function that stops it, which
// may be called more than once. After Close it returns nil.
func (f *Fanout) Add(deliver func(chat.Event)) (stop func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	if f.subs == nil {
		f.subs = make(map[uint64]func(chat.Event))
	}
	id := f.next
	f.next++
	f.subs[id] = deliver
	return func() {
		f.mu.Lock()
		delete(f.subs, id)
		f.mu.Unlock()
	}
}

// Deliver calls every subscribed deliver function with e, one after the
// other in the calling goroutine.
func (f *Fanout) Deliver(e chat.Event) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, deliver := range f.subs {
		deliver(e)
	}
}

// Close ends every subscription, waiting for a delivery in progress, and
// makes Add fail.
func (f *Fanout) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	f.subs = nil
}
