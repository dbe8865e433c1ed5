package transport

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// Limits and timings of the live visitor list.
const (
	// MaxVisitPages is how many pages of a visit a visitor's entry keeps;
	// older ones are dropped first.
	MaxVisitPages = 50
	// MaxVisitorContextBytes caps the JSON of Config.VisitorContext's
	// result; a larger result is logged and left out.
	MaxVisitorContextBytes = 16 << 10
	// VisitGap is the pause after which a visitor's next page starts a new
	// visit: pages closer together than this belong to one visit.
	VisitGap = 30 * time.Minute

	// liveBuffer is the watcher's event buffer; on overflow it reads the
	// visitors' conversations from the store again.
	liveBuffer = 4096
	// maxDeparted caps the visits remembered after their visitor left, so
	// that a dismissed invitation is not repeated when they come back.
	maxDeparted = 10000
	// maxActive caps the conversations tracked per visitor.
	maxActive = 16
)

// liveRegistry tracks the visitors connected to one Server and the agent
// connections that watch them. A Server behind a load balancer sees only
// the visitors connected to it.
type liveRegistry struct {
	srv *Server

	mu       sync.Mutex
	closing  bool
	visitors map[uuid.UUID]*liveVisitor
	agents   map[*session]struct{}
	departed map[uuid.UUID]departedVisit

	startMu sync.Mutex
	started bool // the watcher was started, or never will be: shut down
	stop    context.CancelFunc
	done    chan struct{}
}

// liveVisitor is the registry's record of one visitor.
type liveVisitor struct {
	state   wire.VisitorState
	loading bool // the visit is being read from the store
	conns   map[*session]struct{}
	leaving *time.Timer
	// active holds the visitor's conversations that are not closed, with
	// their creation times; open false records a close seen while
	// loading.
	active map[uuid.UUID]activeConversation
	fired  map[string]bool // invitation rules that fired this visit
}

type activeConversation struct {
	created time.Time
	open    bool
}

func newLiveRegistry(s *Server) *liveRegistry {
	return &liveRegistry{
		srv:      s,
		visitors: make(map[uuid.UUID]*liveVisitor),
		agents:   make(map[*session]struct{}),
		departed: make(map[uuid.UUID]departedVisit),
	}
}

// departedVisit is what is remembered of a visit after the visitor left.
type departedVisit struct {
	left  time.Time
	fired map[string]bool
}

// liveBox holds the visitor-list frames waiting for one agent connection:
// only the newest frame per visitor, so that a busy shop never overflows a
// console that is briefly slow.
type liveBox struct {
	mu      sync.Mutex
	pending map[uuid.UUID]*wire.ServerFrame
	order   []uuid.UUID
	ready   chan struct{}
}

func newLiveBox() *liveBox {
	return &liveBox{pending: make(map[uuid.UUID]*wire.ServerFrame), ready: make(chan struct{}, 1)}
}

func (b *liveBox) put(id uuid.UUID, f *wire.ServerFrame) {
	b.mu.Lock()
	if _, ok := b.pending[id]; !ok {
		b.order = append(b.order, id)
	}
	b.pending[id] = f
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

func (b *liveBox) take() []*wire.ServerFrame {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]*wire.ServerFrame, 0, len(b.order))
	for _, id := range b.order {
		out = append(out, b.pending[id])
	}
	clear(b.pending)
	b.order = b.order[:0]
	return out
}

// addAgent subscribes an agent connection to the list and returns the
// list as it is now; changes after it reach the connection's box.
func (r *liveRegistry) addAgent(ss *session) []wire.VisitorState {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.agents[ss] = struct{}{}
	out := make([]wire.VisitorState, 0, len(r.visitors))
	for _, lv := range r.visitors {
		if !lv.loading {
			out = append(out, lv.snapshot(time.Time{}))
		}
	}
	slices.SortFunc(out, func(a, b wire.VisitorState) int { return a.OnlineSince.Compare(b.OnlineSince) })
	return out
}

func (r *liveRegistry) removeAgent(ss *session) {
	r.mu.Lock()
	delete(r.agents, ss)
	r.mu.Unlock()
}

// snapshot copies the state so that it can be sent while the record
// changes.
func (lv *liveVisitor) snapshot(at time.Time) wire.VisitorState {
	st := lv.state
	st.Pages = slices.Clone(st.Pages)
	st.Invitations = slices.Clone(st.Invitations)
	if st.Page != nil {
		p := *st.Page
		st.Page = &p
	}
	st.At = at
	return st
}

// broadcast tells every agent connection about a visitor's new state.
// r.mu is held.
func (r *liveRegistry) broadcast(lv *liveVisitor) {
	if lv.loading || len(r.agents) == 0 {
		return
	}
	st := lv.snapshot(time.Time{})
	f := &wire.ServerFrame{Type: wire.FrameVisitor, VisitorID: st.Visitor.ID, State: &st}
	for ss := range r.agents {
		ss.live.put(st.Visitor.ID, f)
	}
}

// connect adds a visitor connection. The first connection of a visit
// reads the visit from the store and asks the shop for its context. A
// pending invitation is sent to the new connection.
func (r *liveRegistry) connect(ctx context.Context, ss *session) {
	if err := r.start(); err != nil {
		r.srv.log.Warn("transport: watching conversations for the visitor list", "err", err)
	}
	id := ss.visitor.ID
	now := r.srv.cfg.Now()
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		return
	}
	lv := r.visitors[id]
	fresh := lv == nil
	if fresh {
		lv = &liveVisitor{
			loading: true,
			conns:   make(map[*session]struct{}),
			active:  make(map[uuid.UUID]activeConversation),
			fired:   make(map[string]bool),
		}
		if d, ok := r.departed[id]; ok {
			delete(r.departed, id)
			if now.Sub(d.left) < VisitGap {
				lv.fired = d.fired // the same visit: no invitation twice
			}
		}
		r.visitors[id] = lv
	}
	if lv.leaving != nil {
		lv.leaving.Stop()
		lv.leaving = nil
	}
	lv.conns[ss] = struct{}{}
	known := lv.state.Visitor
	lv.state.Visitor = ss.visitor
	lv.state.LastActiveAt = now
	for _, inv := range lv.state.Invitations {
		if inv.Status == chat.InvitationPending {
			ss.enqueue(outItem{frame: r.inviteFrame(inv)})
		}
	}
	if !fresh {
		r.broadcast(lv)
		r.mu.Unlock()
		if !sameIdentity(known, ss.visitor) {
			r.refreshContext(ctx, id, ss.visitor) // a customer logged in
		}
		return
	}
	r.mu.Unlock()

	visit := r.loadVisit(ctx, ss.visitor, now)
	raw, value := r.visitorContext(ctx, ss.visitor)
	r.mu.Lock()
	if r.visitors[id] != lv {
		r.mu.Unlock()
		return
	}
	lv.loading = false
	// Pages that arrived on another connection while loading come after
	// the stored ones, unless the store had them already.
	for _, p := range lv.state.Pages {
		if !slices.ContainsFunc(visit.pages, func(q wire.VisitedPage) bool { return q.URL == p.URL && q.At.Equal(p.At) }) {
			visit.pages = append(visit.pages, p)
		}
	}
	lv.state.Pages = visit.pages
	if n := len(lv.state.Pages); n > MaxVisitPages {
		lv.state.Pages = slices.Clone(lv.state.Pages[n-MaxVisitPages:])
	}
	if n := len(lv.state.Pages); n > 0 && lv.state.Page == nil {
		p := lv.state.Pages[n-1]
		lv.state.Page = &p
	}
	lv.state.OnlineSince = visit.start
	lv.state.Returning = visit.returning
	lv.state.Context, lv.state.ContextValue = raw, value
	// Changes seen by the watcher while loading are newer than the load.
	for cid, c := range visit.active {
		if _, seen := lv.active[cid]; !seen {
			lv.active[cid] = c
		}
	}
	maps.DeleteFunc(lv.active, func(_ uuid.UUID, c activeConversation) bool { return !c.open })
	lv.updateConversation()
	r.broadcast(lv)
	r.mu.Unlock()
	r.evaluate([]uuid.UUID{id})
}

// disconnect removes a visitor connection. After the last one the visitor
// stays on the list for the grace period, so that moving to the next page
// of the shop does not make them flicker off and on.
func (r *liveRegistry) disconnect(ss *session) {
	id := ss.visitor.ID
	r.mu.Lock()
	defer r.mu.Unlock()
	lv := r.visitors[id]
	if lv == nil {
		return
	}
	delete(lv.conns, ss)
	if len(lv.conns) > 0 || r.closing || lv.leaving != nil {
		return
	}
	grace := r.srv.cfg.VisitorGracePeriod
	if grace < 0 {
		r.leave(id, lv)
		return
	}
	var t *time.Timer
	t = time.AfterFunc(grace, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if lv.leaving == t && len(lv.conns) == 0 && r.visitors[id] == lv {
			r.leave(id, lv)
		}
	})
	lv.leaving = t
}

// leave takes a visitor off the list. r.mu is held.
func (r *liveRegistry) leave(id uuid.UUID, lv *liveVisitor) {
	delete(r.visitors, id)
	now := r.srv.cfg.Now()
	if len(r.departed) >= maxDeparted {
		r.pruneDeparted(now)
	}
	if len(lv.fired) > 0 && len(r.departed) < maxDeparted {
		r.departed[id] = departedVisit{left: now, fired: lv.fired}
	}
	if lv.loading {
		return // agents were never told of it
	}
	f := &wire.ServerFrame{Type: wire.FrameVisitorLeft, VisitorID: id}
	for ss := range r.agents {
		ss.live.put(id, f)
	}
}

// pruneDeparted forgets visits that ended more than VisitGap ago, and the
// older half when that is not enough. r.mu is held.
func (r *liveRegistry) pruneDeparted(now time.Time) {
	for id, d := range r.departed {
		if now.Sub(d.left) >= VisitGap {
			delete(r.departed, id)
		}
	}
	if len(r.departed) < maxDeparted {
		return
	}
	times := make([]time.Time, 0, len(r.departed))
	for _, d := range r.departed {
		times = append(times, d.left)
	}
	slices.SortFunc(times, time.Time.Compare)
	cut := times[len(times)/2]
	for id, d := range r.departed {
		if !d.left.After(cut) {
			delete(r.departed, id)
		}
	}
}

// page records a page the visitor opened and asks the shop for the
// visitor's context again (a cart changes from page to page).
func (r *liveRegistry) page(ctx context.Context, ss *session, pv chat.PageView) {
	p := wire.VisitedPage{URL: pv.URL, Title: pv.Title, Referrer: pv.Referrer, At: pv.At}
	r.mu.Lock()
	lv := r.visitors[ss.visitor.ID]
	if lv == nil {
		r.mu.Unlock()
		return
	}
	if len(lv.state.Pages) >= MaxVisitPages {
		lv.state.Pages = slices.Delete(lv.state.Pages, 0, len(lv.state.Pages)-MaxVisitPages+1)
	}
	lv.state.Pages = append(lv.state.Pages, p)
	lv.state.Page = &p
	lv.state.LastActiveAt = r.srv.cfg.Now()
	r.broadcast(lv)
	r.mu.Unlock()
	if r.srv.cfg.VisitorContext != nil {
		r.refreshContext(ctx, ss.visitor.ID, ss.visitor)
	}
	r.evaluate([]uuid.UUID{ss.visitor.ID})
}

// rename shows the visitor's new name and address on the agents' list.
func (r *liveRegistry) rename(v chat.Visitor) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if lv := r.visitors[v.ID]; lv != nil {
		lv.state.Visitor = v
		r.broadcast(lv)
	}
}

// active notes that the visitor did something.
func (r *liveRegistry) active(ss *session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if lv := r.visitors[ss.visitor.ID]; lv != nil {
		lv.state.LastActiveAt = r.srv.cfg.Now()
	}
}

// refreshContext asks the shop for the visitor's context and tells the
// agents.
func (r *liveRegistry) refreshContext(ctx context.Context, id uuid.UUID, v chat.Visitor) {
	raw, value := r.visitorContext(ctx, v)
	r.mu.Lock()
	defer r.mu.Unlock()
	if lv := r.visitors[id]; lv != nil {
		lv.state.Visitor = v
		lv.state.Context, lv.state.ContextValue = raw, value
		r.broadcast(lv)
	}
}

// visitorContext calls Config.VisitorContext, with Config.WriteTimeout
// to answer. A failure is logged and means no context.
func (r *liveRegistry) visitorContext(ctx context.Context, v chat.Visitor) (json.RawMessage, any) {
	hook := r.srv.cfg.VisitorContext
	if hook == nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.srv.cfg.WriteTimeout)
	defer cancel()
	value, err := hook(ctx, v)
	if err != nil {
		r.srv.log.Warn("transport: Config.VisitorContext failed", "visitor", v.ID, "err", err)
		return nil, nil
	}
	if value == nil {
		return nil, nil
	}
	raw, err := json.Marshal(value)
	switch {
	case err != nil:
		r.srv.log.Warn("transport: Config.VisitorContext returned a value that is not JSON", "visitor", v.ID, "err", err)
		return nil, nil
	case len(raw) > MaxVisitorContextBytes:
		r.srv.log.Warn("transport: Config.VisitorContext returned too much", "visitor", v.ID, "bytes", len(raw), "limit", MaxVisitorContextBytes)
		return nil, nil
	}
	return raw, value
}

// sameIdentity reports whether a and b are the same person to the shop.
func sameIdentity(a, b chat.Visitor) bool {
	return a.CustomerID == b.CustomerID && a.Name == b.Name && a.Email == b.Email
}

// visit is what the store knows of a visitor's current visit.
type visit struct {
	start     time.Time
	pages     []wire.VisitedPage
	returning bool
	active    map[uuid.UUID]activeConversation
}

// loadVisit reads the visitor's recent pages and conversations. The visit
// is the run of newest pages without a pause of VisitGap, ending less than
// VisitGap ago. Failures are logged and leave that part empty.
func (r *liveRegistry) loadVisit(ctx context.Context, v chat.Visitor, now time.Time) visit {
	out := visit{start: now, active: make(map[uuid.UUID]activeConversation)}
	store := r.srv.desk.Store()
	views, err := store.PageViews(ctx, v.ID, MaxVisitPages)
	if err != nil {
		r.srv.log.Warn("transport: reading a visitor's pages", "visitor", v.ID, "err", err)
	}
	first := len(views)
	if first > 0 && now.Sub(views[first-1].At) < VisitGap {
		first--
		for first > 0 && views[first].At.Sub(views[first-1].At) < VisitGap {
			first--
		}
	}
	for _, pv := range views[first:] {
		out.pages = append(out.pages, wire.VisitedPage{URL: pv.URL, Title: pv.Title, Referrer: pv.Referrer, At: pv.At})
	}
	if len(out.pages) > 0 {
		out.start = out.pages[0].At
	}
	// A visitor made before this visit began by more than a pause came
	// before, whether or not their earlier pages are still in view.
	out.returning = first > 0 || !v.CreatedAt.IsZero() && !v.CreatedAt.After(out.start.Add(-VisitGap))
	convs, err := r.srv.activeConversations(ctx, v.ID)
	if err != nil {
		r.srv.log.Warn("transport: reading a visitor's conversations", "visitor", v.ID, "err", err)
	}
	for _, c := range convs {
		out.active[c.ID] = activeConversation{created: c.CreatedAt, open: true}
	}
	if !out.returning {
		earlier, err := store.Conversations(ctx, chat.ConversationFilter{VisitorID: v.ID, CreatedBefore: out.start, Limit: 1})
		if err != nil {
			r.srv.log.Warn("transport: reading a visitor's conversations", "visitor", v.ID, "err", err)
		}
		out.returning = len(earlier) > 0
	}
	return out
}

// updateConversation sets ConversationID to the newest conversation that
// is not closed and reports whether it changed.
func (lv *liveVisitor) updateConversation() bool {
	var newest uuid.UUID
	var at time.Time
	for id, c := range lv.active {
		if c.open && (newest == uuid.Nil || c.created.After(at)) {
			newest, at = id, c.created
		}
	}
	if newest == lv.state.ConversationID {
		return false
	}
	lv.state.ConversationID = newest
	if newest != uuid.Nil {
		lv.withdrawInvitations()
	}
	return true
}

// conversation applies a conversation change seen on the desk.
func (r *liveRegistry) conversation(c *chat.ConversationInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	lv := r.visitors[c.VisitorID]
	if lv == nil {
		return
	}
	open := c.Status != chat.StatusClosed
	if old, ok := lv.active[c.ID]; ok && old.open == open {
		return
	}
	if open || lv.loading {
		lv.active[c.ID] = activeConversation{created: c.CreatedAt, open: open}
	} else {
		delete(lv.active, c.ID)
	}
	if len(lv.active) > maxActive {
		lv.dropOldestActive()
	}
	if lv.updateConversation() {
		r.broadcast(lv)
	}
}

func (lv *liveVisitor) dropOldestActive() {
	var oldest uuid.UUID
	var at time.Time
	for id, c := range lv.active {
		if oldest == uuid.Nil || c.created.Before(at) {
			oldest, at = id, c.created
		}
	}
	delete(lv.active, oldest)
}

// start runs the watcher on first use: it follows the desk's conversation
// events, to know who is chatting, and evaluates invitation rules on a
// ticker. Shutdown stops it.
func (r *liveRegistry) start() error {
	r.startMu.Lock()
	defer r.startMu.Unlock()
	if r.started {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	sub, err := r.srv.desk.SubscribeBuffer(ctx, chat.TopicAll, liveBuffer)
	if err != nil {
		cancel()
		return err
	}
	r.started, r.stop, r.done = true, cancel, make(chan struct{})
	go r.watch(ctx, sub)
	return nil
}

// watch is the watcher's loop.
func (r *liveRegistry) watch(ctx context.Context, sub *chat.Subscription) {
	defer close(r.done)
	var tick <-chan time.Time
	if len(r.srv.cfg.Invitations) > 0 {
		t := time.NewTicker(r.srv.cfg.InvitationInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			sub.Close()
			return
		case <-tick:
			r.evaluate(nil)
		case e, ok := <-sub.Events():
			if ok {
				if e.Conversation != nil {
					r.conversation(e.Conversation)
				}
				if e.Type == chat.EventBlock && e.Block != nil {
					r.srv.tellBlocked(*e.Block)
				}
				continue
			}
			if !errors.Is(sub.Err(), chat.ErrSlowConsumer) {
				return // the desk closed
			}
			// Events were lost: subscribe again and read who is chatting
			// from the store.
			var err error
			if sub, err = r.srv.desk.SubscribeBuffer(ctx, chat.TopicAll, liveBuffer); err != nil {
				r.srv.log.Warn("transport: watching conversations for the visitor list", "err", err)
				return
			}
			r.reload(ctx)
		}
	}
}

// reload reads the conversations of every listed visitor from the store.
func (r *liveRegistry) reload(ctx context.Context) {
	r.mu.Lock()
	ids := make([]uuid.UUID, 0, len(r.visitors))
	for id := range r.visitors {
		ids = append(ids, id)
	}
	r.mu.Unlock()
	for _, id := range ids {
		convs, err := r.srv.activeConversations(ctx, id)
		if err != nil {
			r.srv.log.Warn("transport: reading a visitor's conversations", "visitor", id, "err", err)
			continue
		}
		r.mu.Lock()
		if lv := r.visitors[id]; lv != nil && !lv.loading {
			clear(lv.active)
			for _, c := range convs {
				lv.active[c.ID] = activeConversation{created: c.CreatedAt, open: true}
			}
			if lv.updateConversation() {
				r.broadcast(lv)
			}
		}
		r.mu.Unlock()
	}
}

// shutdown stops the watcher and the grace timers; nobody is told that
// visitors left, since every connection is closing.
func (r *liveRegistry) shutdown(ctx context.Context) {
	r.mu.Lock()
	r.closing = true
	for _, lv := range r.visitors {
		if lv.leaving != nil {
			lv.leaving.Stop()
		}
	}
	r.mu.Unlock()
	r.startMu.Lock()
	stop, done := r.stop, r.done
	r.started = true // a connection racing with the shutdown starts no watcher
	r.startMu.Unlock()
	if stop == nil {
		return
	}
	stop()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
