package chat

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// BlockRefresh is how often a Desk reads the blocks in force from the Store
// again. Between reads it keeps them in memory, kept true by the block and
// unblock events of every instance; the reread only matters when the
// Broker lost such an event, which then takes effect at most this late.
const BlockRefresh = time.Minute

// Block keeps an abusive visitor from chatting. It matches a visitor when
// any of its set fields does: the visitor's id, their customer id, their
// email address (compared without regard to case), or the network they
// connect from. At least one of them is set. The transport refuses the
// connections and frames of the visitors that Desk.Blocked reports, so a
// blocked visitor cannot start conversations, send messages or store
// anything else.
type Block struct {
	ID         uuid.UUID    `json:"id"`                    // the block's id
	VisitorID  uuid.UUID    `json:"visitor_id,omitzero"`   // this visitor; zero matches none
	CustomerID string       `json:"customer_id,omitempty"` // the shop's customer with this id; empty matches none
	Email      string       `json:"email,omitempty"`       // visitors with this email address; empty matches none
	Network    netip.Prefix `json:"network,omitzero"`      // visitors connecting from this IP network; zero matches none
	Reason     string       `json:"reason,omitempty"`      // why, for the agents; never shown to the visitor
	AgentID    string       `json:"agent_id,omitempty"`    // who blocked; empty when the shop's own code did
	CreatedAt  time.Time    `json:"created_at"`            // when the block was made
	ExpiresAt  time.Time    `json:"expires_at,omitzero"`   // when it stops; zero means never
}

// Validate reports with ErrInvalid why b cannot be stored.
func (b Block) Validate() error {
	if b.VisitorID == uuid.Nil && b.CustomerID == "" && b.Email == "" && !b.Network.IsValid() {
		return invalid("a block needs a visitor id, customer id, email or network")
	}
	if b.Network.IsValid() && b.Network != b.Network.Masked() {
		return invalid("block network %s has bits set past its length; use %s", b.Network, b.Network.Masked())
	}
	if b.Network.IsValid() && b.Network.Addr().Is4In6() {
		return invalid("block network %s is an IPv4 network written as IPv6; write it as IPv4", b.Network)
	}
	if b.Email != "" {
		if err := CheckEmail(b.Email); err != nil {
			return err
		}
	}
	err := firstErr(
		checkID("block id", b.ID),
		checkTime("block created time", b.CreatedAt),
		checkText("block customer id", b.CustomerID, MaxIDBytes),
		checkText("block reason", b.Reason, MaxReasonBytes),
		checkText("block agent id", b.AgentID, MaxIDBytes),
	)
	if err != nil {
		return err
	}
	if !b.ExpiresAt.IsZero() {
		if err := checkTime("block expiry", b.ExpiresAt); err != nil {
			return err
		}
		if !b.ExpiresAt.After(b.CreatedAt) {
			return invalid("block expiry %s is not after its creation", b.ExpiresAt.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// Active reports whether b is in force at t.
func (b Block) Active(t time.Time) bool { return b.ExpiresAt.IsZero() || t.Before(b.ExpiresAt) }

// Matches reports whether b applies to visitor v connecting from addr (the
// zero Addr when unknown). It does not look at the expiry; see Active.
func (b Block) Matches(v Visitor, addr netip.Addr) bool {
	return (b.VisitorID != uuid.Nil && b.VisitorID == v.ID) ||
		(b.CustomerID != "" && b.CustomerID == v.CustomerID) ||
		(b.Email != "" && strings.EqualFold(b.Email, v.Email)) ||
		(b.Network.IsValid() && addr.IsValid() && b.Network.Contains(addr.Unmap()))
}

// Block stores b and tells every instance, whose Desks refuse the visitors
// it matches from then on (see Blocked). A nil ID gets a new one, a zero
// CreatedAt becomes now, and the network is reduced to its prefix (an IPv4
// network written as IPv6 becomes IPv4). It returns the block as stored;
// an invalid one returns an error wrapping ErrInvalid.
func (d *Desk) Block(ctx context.Context, b Block) (Block, error) {
	if err := d.checkOpen(); err != nil {
		return Block{}, err
	}
	if b.ID == uuid.Nil {
		b.ID = NewID()
	}
	b.CreatedAt = Timestamp(cmp.Or(b.CreatedAt, d.now()))
	if !b.ExpiresAt.IsZero() {
		b.ExpiresAt = Timestamp(b.ExpiresAt)
	}
	if b.Network.IsValid() {
		p := b.Network
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		b.Network = p.Masked()
	}
	if err := d.store.PutBlock(ctx, b); err != nil {
		return Block{}, err
	}
	d.blocks.apply(EventBlock, b)
	d.publish(ctx, Event{Type: EventBlock, Block: &b})
	return b, nil
}

// Unblock lifts the block with the given id on every instance. An unknown
// id returns ErrNotFound.
func (d *Desk) Unblock(ctx context.Context, id uuid.UUID) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	if err := d.store.DeleteBlock(ctx, id); err != nil {
		return err
	}
	b := Block{ID: id}
	d.blocks.apply(EventUnblock, b)
	d.publish(ctx, Event{Type: EventUnblock, Block: &b})
	return nil
}

// Blocks returns the blocks in force now, oldest first, as the Store has
// them.
func (d *Desk) Blocks(ctx context.Context) ([]Block, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	return d.store.Blocks(ctx, d.timestamp())
}

// Blocked returns an error wrapping ErrBlocked when a block in force
// matches visitor v connecting from addr (the zero Addr when unknown), and
// nil when none does. It answers from memory: the Desk reads the blocks
// from the Store on first use and every BlockRefresh after, and learns of
// new and lifted blocks from the events of every instance. An expired block
// stops applying at once. A failed read of the Store is returned when the
// Desk has no blocks in memory yet; later ones are logged and the blocks
// in memory are used.
func (d *Desk) Blocked(ctx context.Context, v Visitor, addr netip.Addr) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	// Events of other instances reach the Desk once it is attached to the
	// Broker; attaching before the first read leaves no gap between them.
	if err := d.attach(ctx); err != nil {
		return err
	}
	now := d.now()
	if err := d.blocks.refresh(ctx, d.store, now); err != nil {
		if !d.blocks.loaded() {
			return fmt.Errorf("chat: reading the blocks: %w", err)
		}
		d.log.ErrorContext(ctx, "chat: reading the blocks again", "err", err)
	}
	if b, ok := d.blocks.match(v, addr, now); ok {
		return fmt.Errorf("%w: by block %s", ErrBlocked, b.ID)
	}
	return nil
}

// blockCache is the blocks in force that a Desk keeps in memory. The zero
// value is empty and not loaded.
type blockCache struct {
	loadMu sync.Mutex // one read of the Store at a time

	mu       sync.Mutex
	byID     map[uuid.UUID]Block
	loadedAt time.Time
	expired  bool // read again at the next check, keeping byID meanwhile
	// during records the changes made while the Store is being read, to
	// apply again over what the read returns; nil when no read is running.
	during []blockChange
	// Indexes of byID for the checks.
	visitors  map[uuid.UUID][]Block
	customers map[string][]Block
	emails    map[string][]Block
	networks  []Block
}

// blockChange is a block added (EventBlock) or lifted (EventUnblock).
type blockChange struct {
	typ EventType
	b   Block
}

func (c *blockCache) loaded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.loadedAt.IsZero()
}

// refresh reads the blocks from s when they were never read, were read
// BlockRefresh ago or more, or were expired since.
func (c *blockCache) refresh(ctx context.Context, s BlockStore, now time.Time) error {
	stale := func() bool { return c.loadedAt.IsZero() || c.expired || now.Sub(c.loadedAt) >= BlockRefresh }
	c.mu.Lock()
	ok := !stale()
	c.mu.Unlock()
	if ok {
		return nil
	}
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	c.mu.Lock()
	if !stale() { // another caller read them meanwhile
		c.mu.Unlock()
		return nil
	}
	c.during = []blockChange{}
	c.expired = false
	c.mu.Unlock()

	bs, err := s.Blocks(ctx, Timestamp(now))

	c.mu.Lock()
	defer c.mu.Unlock()
	during := c.during
	c.during = nil
	if err != nil {
		c.expired = true // still stale: the next check tries again
		return err
	}
	c.byID = make(map[uuid.UUID]Block, len(bs))
	for _, b := range bs {
		c.byID[b.ID] = b
	}
	for _, ch := range during {
		c.change(ch)
	}
	c.loadedAt = now
	c.reindex()
	return nil
}

// expire makes the next check read the blocks again.
func (c *blockCache) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expired = true
}

// apply records a block event.
func (c *blockCache) apply(typ EventType, b Block) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := blockChange{typ, b}
	if c.during != nil {
		c.during = append(c.during, ch)
	}
	c.change(ch)
	c.reindex()
}

func (c *blockCache) change(ch blockChange) {
	if c.byID == nil {
		c.byID = make(map[uuid.UUID]Block)
	}
	switch ch.typ {
	case EventBlock:
		c.byID[ch.b.ID] = ch.b
	case EventUnblock:
		delete(c.byID, ch.b.ID)
	}
}

// reindex builds the indexes from byID, leaving out expired blocks.
// Blocks change seldom; checks are many.
func (c *blockCache) reindex() {
	c.visitors = make(map[uuid.UUID][]Block)
	c.customers = make(map[string][]Block)
	c.emails = make(map[string][]Block)
	c.networks = nil
	for _, b := range c.byID {
		if b.VisitorID != uuid.Nil {
			c.visitors[b.VisitorID] = append(c.visitors[b.VisitorID], b)
		}
		if b.CustomerID != "" {
			c.customers[b.CustomerID] = append(c.customers[b.CustomerID], b)
		}
		if b.Email != "" {
			key := strings.ToLower(b.Email)
			c.emails[key] = append(c.emails[key], b)
		}
		if b.Network.IsValid() {
			c.networks = append(c.networks, b)
		}
	}
}

// match returns a block in force at now that matches v from addr.
func (c *blockCache) match(v Visitor, addr netip.Addr, now time.Time) (Block, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var candidates [][]Block
	if v.ID != uuid.Nil {
		candidates = append(candidates, c.visitors[v.ID])
	}
	if v.CustomerID != "" {
		candidates = append(candidates, c.customers[v.CustomerID])
	}
	if v.Email != "" {
		candidates = append(candidates, c.emails[strings.ToLower(v.Email)])
	}
	if addr.IsValid() {
		candidates = append(candidates, c.networks)
	}
	for _, b := range slices.Concat(candidates...) {
		if b.Active(now) && b.Matches(v, addr) {
			return b, true
		}
	}
	return Block{}, false
}
