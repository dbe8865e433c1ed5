package chat

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Defaults of the conversation cache.
const (
	// DefaultConversationCacheSize is how many conversations a Desk keeps
	// in memory.
	DefaultConversationCacheSize = 10000
	// DefaultConversationCacheTTL is how long a Desk trusts a
	// conversation's state held in memory before it reads it again.
	DefaultConversationCacheTTL = 5 * time.Second
)

// convCache is the state of the conversations a Desk used last, so that a
// message does not read its conversation from the Store. It is kept true
// by the events that change conversations: the Desk's own, applied as they
// are published, and every instance's, as the Broker delivers them. An
// entry is trusted for ttl after it was last read from the Store or
// replaced by an event carrying the whole conversation; after that the
// next use reads the Store again, which bounds how long an event the
// Broker lost can go unnoticed. At most size entries are kept; the least
// recently used goes first.
type convCache struct {
	size int
	ttl  time.Duration

	mu    sync.Mutex
	items map[uuid.UUID]*list.Element // values are *convEntry
	order list.List                   // most recently used first
	gen   uint64                      // counts the calls of clear
}

// convEntry is one cached conversation.
type convEntry struct {
	info    ConversationInfo
	checked time.Time // when info came from the Store or an event in full
	acked   bool      // the offline acknowledgement is stored
}

func newConvCache(size int, ttl time.Duration) *convCache {
	return &convCache{size: size, ttl: ttl, items: make(map[uuid.UUID]*list.Element)}
}

// get returns the conversation when it is cached and was checked less
// than ttl before now.
func (c *convCache) get(id uuid.UUID, now time.Time) (ConversationInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[id]
	if !ok {
		return ConversationInfo{}, false
	}
	c.order.MoveToFront(el)
	e := el.Value.(*convEntry)
	if now.Sub(e.checked) >= c.ttl || now.Before(e.checked) {
		return ConversationInfo{}, false
	}
	return e.info, true
}

// put records info, read from the Store or carried by an event, unless
// the cache holds a later Version, and returns the newer of the two. The
// sequence number and the time of the last message only move forward,
// since an event may carry them older than a message event seen before it.
func (c *convCache) put(info ConversationInfo, now time.Time) ConversationInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.putLocked(info, now)
}

// putRead is put for info read from the Store when the cache's generation
// was gen: when the cache was cleared since, info may predate what the
// clear was for, so it is returned and not kept.
func (c *convCache) putRead(info ConversationInfo, now time.Time, gen uint64) ConversationInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return info
	}
	return c.putLocked(info, now)
}

func (c *convCache) putLocked(info ConversationInfo, now time.Time) ConversationInfo {
	el, ok := c.items[info.ID]
	if !ok {
		c.items[info.ID] = c.order.PushFront(&convEntry{info: info, checked: now})
		if c.order.Len() > c.size {
			last := c.order.Back()
			c.order.Remove(last)
			delete(c.items, last.Value.(*convEntry).info.ID)
		}
		return info
	}
	c.order.MoveToFront(el)
	e := el.Value.(*convEntry)
	if e.info.Version > info.Version {
		e.info.LastSeq = max(e.info.LastSeq, info.LastSeq)
		return e.info
	}
	info.LastSeq = max(e.info.LastSeq, info.LastSeq)
	if e.info.UpdatedAt.After(info.UpdatedAt) {
		info.UpdatedAt = e.info.UpdatedAt
	}
	e.info, e.checked = info, now
	return info
}

// generation returns the number of times the cache was cleared, for a
// read of the Store to tell whether a clear happened while it ran.
func (c *convCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// clear forgets every conversation.
func (c *convCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.items)
	c.order.Init()
	c.gen++
}

// message records a stored message of a cached conversation.
func (c *convCache) message(m Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[m.ConversationID]
	if !ok {
		return
	}
	e := el.Value.(*convEntry)
	if m.Seq > e.info.LastSeq {
		e.info.LastSeq = m.Seq
		e.info.UpdatedAt = m.CreatedAt
	}
	if m.Author.Kind == AuthorSystem && m.IdempotencyKey == offlineAckKey {
		e.acked = true
	}
}

// event records what e tells about a conversation.
func (c *convCache) event(e Event, now time.Time) {
	switch {
	case e.Conversation != nil:
		c.put(*e.Conversation, now)
	case e.Type == EventMessage && e.Message != nil:
		c.message(*e.Message)
	}
}

// assignee returns the agent of a cached conversation, however old the
// entry: an event about the conversation is routed to the agent the Desk
// knows of last.
func (c *convCache) assignee(id uuid.UUID) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[id]
	if !ok {
		return "", false
	}
	return el.Value.(*convEntry).info.AgentID, true
}

// acknowledged reports whether the offline acknowledgement of a cached
// conversation is known to be stored.
func (c *convCache) acknowledged(id uuid.UUID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[id]
	return ok && el.Value.(*convEntry).acked
}

// setAcknowledged notes that the offline acknowledgement of a cached
// conversation is stored.
func (c *convCache) setAcknowledged(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[id]; ok {
		el.Value.(*convEntry).acked = true
	}
}

// conversation returns the conversation's state as the Desk knows it: from
// the cache while it can be trusted, otherwise from the Store. The Desk
// attaches to its Broker first, so that no change made on another instance
// after the read goes unseen; when it cannot, it reads the Store and
// caches nothing.
func (d *Desk) conversation(ctx context.Context, id uuid.UUID) (ConversationInfo, error) {
	if err := d.attach(ctx); err != nil {
		d.log.WarnContext(ctx, "chat: reading a conversation without the cache", "conversation", id, "err", err)
		return d.store.Conversation(ctx, id)
	}
	if c, ok := d.convs.get(id, d.now()); ok {
		return c, nil
	}
	gen := d.convs.generation()
	c, err := d.store.Conversation(ctx, id)
	if err != nil {
		return ConversationInfo{}, err
	}
	return d.convs.putRead(c, d.now(), gen), nil
}
