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
	// visit: pages closer together than this belong to one visit, and a
	// visitor who comes back within it continues the stored visit.
	VisitGap = chat.VisitGap

	// liveBuffer is the watcher's event buffer; on overflow it reads the
	// visitors' conversations from the store again.
	liveBuffer = 4096
	// maxActive caps the conversations tracked per visitor.
	maxActive = 16
)

// liveRegistry keeps the agents' live visitor list of one Server: every
// visitor on the site, whichever instance they are connected to. Who is on
// the site is in the store, as presence leases (chat.VisitStore) that each
// instance holds on the visitors connected to it; the entries themselves
// travel between instances as chat.EventVisit events (livesync.go).
type liveRegistry struct {
	srv *Server

	mu       sync.Mutex
	closing  bool
	visitors map[uuid.UUID]*liveVisitor
	agents   map[*session]struct{}

	watcher shopWatch
}

// liveVisitor is the registry's record of one visitor. A visitor of
// another instance has no connections here and is not held: their entry
// is what that instance published.
type liveVisitor struct {
	state   wire.VisitorState
	listed  bool      // state is complete and agents were told of it
	loading bool      // this instance is taking the lease and reading the visit
	held    bool      // this instance holds a presence lease on the visitor
	visitID uuid.UUID // the stored visit, once held
	seen    time.Time // when an instance last told of the entry (wall clock)
	conns   map[*session]struct{}
	leaving *time.Timer
	// active holds the visitor's conversations that are not closed, with
	// their creation times; open false records a close seen while
	// loading. Only held visitors follow their conversations: the entry of
	// another instance's visitor comes with its conversation.
	active map[uuid.UUID]activeConversation
	shown  map[uuid.UUID]bool // invitations sent to this instance's connections
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
	}
}

func newLiveVisitor() *liveVisitor {
	return &liveVisitor{
		conns:  make(map[*session]struct{}),
		active: make(map[uuid.UUID]activeConversation),
		shown:  make(map[uuid.UUID]bool),
	}
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
	if err := r.start(); err != nil {
		r.srv.log.Warn("transport: watching the desk for the visitor list", "err", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.agents[ss] = struct{}{}
	out := make([]wire.VisitorState, 0, len(r.visitors))
	for _, lv := range r.visitors {
		if lv.listed {
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

// broadcast tells every agent connection of this Server about a visitor's
// new state. r.mu is held.
func (r *liveRegistry) broadcast(lv *liveVisitor) {
	if !lv.listed || len(r.agents) == 0 {
		return
	}
	st := lv.snapshot(time.Time{})
	f := &wire.ServerFrame{Type: wire.FrameVisitor, VisitorID: st.Visitor.ID, State: &st}
	for ss := range r.agents {
		ss.live.put(st.Visitor.ID, f)
	}
}

// unlist takes a visitor off the list and tells the agents. r.mu is held.
func (r *liveRegistry) unlist(id uuid.UUID, lv *liveVisitor) {
	delete(r.visitors, id)
	if !lv.listed {
		return // agents were never told of it
	}
	f := &wire.ServerFrame{Type: wire.FrameVisitorLeft, VisitorID: id}
	for ss := range r.agents {
		ss.live.put(id, f)
	}
}

// showInvitations sends the pending invitations not sent yet to this
// Server's connections of the visitor. r.mu is held.
func (r *liveRegistry) showInvitations(lv *liveVisitor) {
	if len(lv.conns) == 0 {
		return
	}
	for _, inv := range lv.state.Invitations {
		if inv.Status == chat.InvitationPending && !lv.shown[inv.ID] {
			lv.shown[inv.ID] = true
			f := r.inviteFrame(inv)
			for ss := range lv.conns {
				ss.enqueue(outItem{frame: f})
			}
		}
	}
}

// connect adds a visitor connection. The first connection of the visitor
// to this Server takes a presence lease on them, reads the visit from the
// store and asks the shop for its context. Pending invitations are sent
// to the new connection.
func (r *liveRegistry) connect(ctx context.Context, ss *session) {
	r.arrive(ctx, ss.visitor, ss)
}

// arrive lists a visitor who connected (ss) or, with a nil ss, opened a
// page that TrackPages recorded. A visitor with no connection here stays
// on the list for Config.PageStay after their page, unless they connect.
func (r *liveRegistry) arrive(ctx context.Context, v chat.Visitor, ss *session) {
	if err := r.start(); err != nil {
		r.srv.log.Warn("transport: watching the desk for the visitor list", "err", err)
	}
	id := v.ID
	now := r.srv.cfg.Now()
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		return
	}
	lv := r.visitors[id]
	if lv == nil {
		lv = newLiveVisitor()
		r.visitors[id] = lv
	}
	if ss != nil {
		if lv.leaving != nil {
			lv.leaving.Stop()
			lv.leaving = nil
		}
		lv.conns[ss] = struct{}{}
	} else if len(lv.conns) == 0 {
		r.leaveAfter(id, lv, r.srv.cfg.PageStay)
	}
	known := lv.state.Visitor
	lv.state.Visitor = v
	lv.state.LastActiveAt = now
	for _, inv := range lv.state.Invitations {
		if inv.Status == chat.InvitationPending && ss != nil {
			lv.shown[inv.ID] = true
			ss.enqueue(outItem{frame: r.inviteFrame(inv)})
		}
	}
	if lv.held || lv.loading {
		if ss == nil && sameIdentity(known, v) {
			r.mu.Unlock()
			return // the page tells the agents
		}
		r.broadcast(lv)
		entry := r.entry(lv)
		r.mu.Unlock()
		if !sameIdentity(known, v) {
			r.refreshContext(ctx, id, v) // a customer logged in
		} else {
			r.publish(ctx, id, entry)
		}
		return
	}
	lv.loading = true
	r.mu.Unlock()

	stored, err := r.srv.desk.StartVisit(ctx, r.srv.leases.holder, id)
	if err != nil {
		r.srv.log.Warn("transport: starting a visitor's visit", "visitor", id, "err", err)
	}
	visit := r.loadVisit(ctx, v, now, stored.BeganAt)
	facts := r.visitorContext(ctx, v)
	r.mu.Lock()
	if r.visitors[id] != lv {
		r.mu.Unlock()
		return
	}
	lv.loading, lv.held, lv.visitID = false, true, stored.ID
	lv.seen = time.Now()
	r.applyVisit(lv, visit)
	facts.apply(&lv.state)
	// Changes seen by the watcher while loading are newer than the load.
	for cid, c := range visit.active {
		if _, seen := lv.active[cid]; !seen {
			lv.active[cid] = c
		}
	}
	maps.DeleteFunc(lv.active, func(_ uuid.UUID, c activeConversation) bool { return !c.open })
	lv.state.ConversationID = uuid.Nil
	lv.updateConversation()
	mergeInvitations(&lv.state, stored.Invitations)
	r.showInvitations(lv)
	withdraw := lv.toWithdraw()
	lv.listed = true
	if len(lv.conns) == 0 && lv.leaving == nil {
		r.leaveAfter(id, lv, r.srv.cfg.PageStay) // a page's timer ran out while loading
	}
	r.broadcast(lv)
	entry := r.entry(lv)
	r.mu.Unlock()
	r.publish(ctx, id, entry)
	r.withdraw(ctx, id, withdraw)
	r.evaluate([]uuid.UUID{id})
}

// applyVisit puts what was read of the visit into the entry: pages that
// the entry has already (from another connection or instance) are kept.
// r.mu is held.
func (r *liveRegistry) applyVisit(lv *liveVisitor, visit visit) {
	lv.state.Pages = mergePages(visit.pages, lv.state.Pages)
	if n := len(lv.state.Pages); n > 0 {
		p := lv.state.Pages[n-1]
		lv.state.Page = &p
	}
	if lv.state.OnlineSince.IsZero() || visit.start.Before(lv.state.OnlineSince) {
		lv.state.OnlineSince = visit.start
	}
	lv.state.Returning = lv.state.Returning || visit.returning
}

// mergePages returns the pages of a and b, each once, in the order opened,
// at most MaxVisitPages of the newest.
func mergePages(a, b []wire.VisitedPage) []wire.VisitedPage {
	out := slices.Clone(a)
	for _, p := range b {
		if !slices.ContainsFunc(out, func(q wire.VisitedPage) bool { return q.URL == p.URL && q.At.Equal(p.At) }) {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(p, q wire.VisitedPage) int { return p.At.Compare(q.At) })
	if n := len(out); n > MaxVisitPages {
		out = slices.Clone(out[n-MaxVisitPages:])
	}
	return out
}

// disconnect removes a visitor connection. After the last one the visitor
// stays on the list for the grace period, so that moving to the next page
// of the shop does not make them flicker off and on; then the Server
// gives up its lease.
func (r *liveRegistry) disconnect(ss *session) {
	id := ss.visitor.ID
	r.mu.Lock()
	lv := r.visitors[id]
	if lv == nil {
		r.mu.Unlock()
		return
	}
	delete(lv.conns, ss)
	if len(lv.conns) > 0 || r.closing || lv.leaving != nil {
		r.mu.Unlock()
		return
	}
	grace := r.srv.cfg.VisitorGracePeriod
	if grace < 0 {
		r.mu.Unlock()
		r.depart(id, lv, nil)
		return
	}
	r.leaveAfter(id, lv, grace)
	r.mu.Unlock()
}

// leaveAfter makes a visitor with no connection here leave the list after
// d, unless they connect or open a page first. r.mu is held.
func (r *liveRegistry) leaveAfter(id uuid.UUID, lv *liveVisitor, d time.Duration) {
	if lv.leaving != nil {
		lv.leaving.Stop()
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		r.mu.Lock()
		self := t // assigned under r.mu
		r.mu.Unlock()
		r.depart(id, lv, self)
	})
	lv.leaving = t
}

// depart releases the lease on a visitor whose last connection closed
// (after the grace timer t, or at once when t is nil). A visitor still
// held by another instance stays on the list as theirs; one held by none
// has left the site, and every instance is told.
func (r *liveRegistry) depart(id uuid.UUID, lv *liveVisitor, t *time.Timer) {
	r.mu.Lock()
	if r.visitors[id] != lv || len(lv.conns) > 0 || lv.leaving != t || r.closing {
		r.mu.Unlock()
		return
	}
	lv.leaving = nil
	held := lv.held
	lv.held = false
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), r.srv.cfg.WriteTimeout)
	defer cancel()
	elsewhere := false
	if held {
		var err error
		if elsewhere, err = r.srv.desk.ReleaseVisitLease(ctx, id, r.srv.leases.holder); err != nil && !errors.Is(err, chat.ErrClosed) {
			r.srv.log.Warn("transport: releasing a visitor's presence lease", "visitor", id, "err", err)
		}
	}
	r.mu.Lock()
	if r.visitors[id] != lv || len(lv.conns) > 0 || lv.held || lv.loading {
		r.mu.Unlock()
		return // back meanwhile
	}
	if elsewhere {
		clear(lv.active) // the other instance's entries say who they chat with
		lv.seen = time.Now()
		r.mu.Unlock()
		return
	}
	r.unlist(id, lv)
	r.mu.Unlock()
	if err := r.srv.desk.PublishVisit(ctx, id, nil); err != nil && !errors.Is(err, chat.ErrClosed) {
		r.srv.log.Warn("transport: telling other instances a visitor left", "visitor", id, "err", err)
	}
}

// page records a page the visitor opened and asks the shop for the
// visitor's context again (a cart changes from page to page).
func (r *liveRegistry) page(ctx context.Context, ss *session, pv chat.PageView) {
	r.addPage(ctx, ss.visitor, pv)
}

// trackedPage lists a visitor whose page TrackPages recorded, and adds the
// page to their entry.
func (r *liveRegistry) trackedPage(ctx context.Context, v chat.Visitor, pv chat.PageView) {
	r.arrive(ctx, v, nil)
	r.addPage(ctx, v, pv)
}

// addPage adds a page to the visitor's entry.
func (r *liveRegistry) addPage(ctx context.Context, v chat.Visitor, pv chat.PageView) {
	p := wire.VisitedPage{URL: pv.URL, Title: pv.Title, Referrer: pv.Referrer, At: pv.At}
	r.mu.Lock()
	lv := r.visitors[v.ID]
	if lv == nil {
		r.mu.Unlock()
		return
	}
	if len(lv.state.Pages) >= MaxVisitPages {
		lv.state.Pages = slices.Delete(lv.state.Pages, 0, len(lv.state.Pages)-MaxVisitPages+1)
	}
	// A visit loaded from the store after the page was stored has it.
	if !slices.ContainsFunc(lv.state.Pages, func(q wire.VisitedPage) bool { return q.URL == p.URL && q.At.Equal(p.At) }) {
		lv.state.Pages = append(lv.state.Pages, p)
	}
	lv.state.Page = &p
	lv.state.LastActiveAt = r.srv.cfg.Now()
	visitID := lv.visitID
	r.broadcast(lv)
	entry := r.entry(lv)
	r.mu.Unlock()
	if visitID != uuid.Nil {
		if err := r.srv.desk.Store().TouchVisit(ctx, visitID, pv.At); err != nil && !errors.Is(err, chat.ErrNotFound) {
			r.srv.log.Warn("transport: noting a visitor's activity", "visitor", v.ID, "err", err)
		}
	}
	if r.srv.cfg.VisitorContext != nil || r.srv.desk.HasShopContext() {
		r.refreshContext(ctx, v.ID, v)
	} else {
		r.publish(ctx, v.ID, entry)
	}
	r.evaluate([]uuid.UUID{v.ID})
}

// rename shows the visitor's new name and address on the agents' list.
func (r *liveRegistry) rename(v chat.Visitor) {
	r.mu.Lock()
	lv := r.visitors[v.ID]
	if lv == nil {
		r.mu.Unlock()
		return
	}
	lv.state.Visitor = v
	r.broadcast(lv)
	entry := r.entry(lv)
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), r.srv.cfg.WriteTimeout)
	defer cancel()
	r.publish(ctx, v.ID, entry)
}

// active notes that the visitor did something. Other instances learn of
// it with the entry's next change.
func (r *liveRegistry) active(ss *session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if lv := r.visitors[ss.visitor.ID]; lv != nil {
		lv.state.LastActiveAt = r.srv.cfg.Now()
	}
}

// refreshContext asks the shop for the visitor's context and tells the
// agents of every instance.
func (r *liveRegistry) refreshContext(ctx context.Context, id uuid.UUID, v chat.Visitor) {
	facts := r.visitorContext(ctx, v)
	r.mu.Lock()
	lv := r.visitors[id]
	if lv == nil {
		r.mu.Unlock()
		return
	}
	lv.state.Visitor = v
	facts.apply(&lv.state)
	r.broadcast(lv)
	entry := r.entry(lv)
	r.mu.Unlock()
	r.publish(ctx, id, entry)
}

// shopFacts is what the shop tells about a visitor: the result of
// Config.VisitorContext, as JSON and as returned, and the desk's
// chat.ShopContext.
type shopFacts struct {
	raw   json.RawMessage
	value any
	shop  *chat.ShopContext
}

// apply puts the facts into a visitor's entry.
func (f shopFacts) apply(st *wire.VisitorState) {
	st.Context, st.ContextValue, st.Shop = f.raw, f.value, f.shop
}

// visitorContext asks the shop about the visitor: Config.VisitorContext,
// with Config.WriteTimeout to answer, and the desk's customer and cart
// sources. A failure is logged and leaves that part out.
func (r *liveRegistry) visitorContext(ctx context.Context, v chat.Visitor) shopFacts {
	var out shopFacts
	if r.srv.desk.HasShopContext() {
		shop, err := r.srv.desk.ShopContext(ctx, v)
		if err != nil {
			r.srv.log.Warn("transport: the shop's context of a visitor", "visitor", v.ID, "err", err)
		}
		if shop.Customer != nil || shop.Cart != nil {
			out.shop = &shop
		}
	}
	out.raw, out.value = r.hookContext(ctx, v)
	return out
}

// hookContext calls Config.VisitorContext, with Config.WriteTimeout to
// answer. A failure is logged and means no context.
func (r *liveRegistry) hookContext(ctx context.Context, v chat.Visitor) (json.RawMessage, any) {
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
// VisitGap ago. It began when the store says it began (began; zero when
// unknown, then now), or with its first page when that is earlier, so that
// every instance counts from the same start. The visitor is returning when they
// have a page or a conversation from before its first page, or from
// before now when it has none. Failures are logged and leave that part
// empty.
func (r *liveRegistry) loadVisit(ctx context.Context, v chat.Visitor, now, began time.Time) visit {
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
	if !began.IsZero() && (began.Before(out.start) || len(out.pages) == 0) {
		out.start = began
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
	return true
}

// conversation applies a conversation change seen on the desk to a
// visitor this Server holds, and withdraws their pending invitations once
// they are chatting.
func (r *liveRegistry) conversation(ctx context.Context, c *chat.ConversationInfo) {
	r.mu.Lock()
	lv := r.visitors[c.VisitorID]
	if lv == nil || !lv.held && !lv.loading {
		r.mu.Unlock()
		return
	}
	open := c.Status != chat.StatusClosed
	if old, ok := lv.active[c.ID]; ok && old.open == open {
		r.mu.Unlock()
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
	if lv.loading || !lv.updateConversation() {
		r.mu.Unlock()
		return
	}
	withdraw := lv.toWithdraw()
	r.broadcast(lv)
	entry := r.entry(lv)
	r.mu.Unlock()
	r.publish(ctx, c.VisitorID, entry)
	r.withdraw(ctx, c.VisitorID, withdraw)
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

// start runs the watcher on first use: it follows the desk's events, to
// keep the list the same as on other instances and to know who is
// chatting, renews this Server's visitor leases, and evaluates invitation
// rules on a ticker. Shutdown stops it.
func (r *liveRegistry) start() error {
	return r.watcher.start(r.srv.desk, liveBuffer, r.watch)
}

// watch is the watcher's loop.
func (r *liveRegistry) watch(ctx context.Context, sub *chat.Subscription) {
	var tick <-chan time.Time
	if len(r.srv.cfg.Invitations) > 0 {
		t := time.NewTicker(r.srv.cfg.InvitationInterval)
		defer t.Stop()
		tick = t.C
	}
	renew := time.NewTicker(max(r.srv.desk.AgentLeaseTTL()/3, time.Millisecond))
	defer renew.Stop()
	r.sync(ctx)
	for {
		select {
		case <-ctx.Done():
			sub.Close()
			return
		case <-tick:
			r.evaluate(nil)
		case <-renew.C:
			r.renew(ctx)
			r.sync(ctx)
			r.srv.recheckAvailability(ctx)
		case e, ok := <-sub.Events():
			if ok {
				r.event(ctx, e)
				continue
			}
			if !errors.Is(sub.Err(), chat.ErrSlowConsumer) {
				return // the desk closed
			}
			// Events were lost: subscribe again and read the list and
			// who is chatting from the store.
			var err error
			if sub, err = r.srv.desk.SubscribeBuffer(ctx, chat.TopicAll, liveBuffer); err != nil {
				r.srv.log.Warn("transport: watching the desk for the visitor list", "err", err)
				return
			}
			r.reload(ctx)
			r.sync(ctx)
		}
	}
}

// event applies one desk event.
func (r *liveRegistry) event(ctx context.Context, e chat.Event) {
	switch e.Type {
	case chat.EventVisit:
		r.received(e.VisitorID, e.Entry)
	case chat.EventVisitEnd:
		r.ended(e.VisitorID)
	case chat.EventResync:
		r.reload(ctx)
		r.sync(ctx)
	case chat.EventBlock:
		if e.Block != nil {
			r.srv.tellBlocked(*e.Block)
		}
	case chat.EventPresence:
		if e.Author.Kind == chat.AuthorAgent && e.ConversationID == uuid.Nil {
			r.srv.recheckAvailability(ctx)
		}
	}
	if e.Conversation != nil {
		r.conversation(ctx, e.Conversation)
	}
}

// reload reads the conversations of every held visitor from the store.
func (r *liveRegistry) reload(ctx context.Context) {
	r.mu.Lock()
	ids := make([]uuid.UUID, 0, len(r.visitors))
	for id, lv := range r.visitors {
		if lv.held {
			ids = append(ids, id)
		}
	}
	r.mu.Unlock()
	for _, id := range ids {
		convs, err := r.srv.activeConversations(ctx, id)
		if err != nil {
			r.srv.log.Warn("transport: reading a visitor's conversations", "visitor", id, "err", err)
			continue
		}
		r.mu.Lock()
		lv := r.visitors[id]
		if lv == nil || !lv.held {
			r.mu.Unlock()
			continue
		}
		clear(lv.active)
		for _, c := range convs {
			lv.active[c.ID] = activeConversation{created: c.CreatedAt, open: true}
		}
		if !lv.updateConversation() {
			r.mu.Unlock()
			continue
		}
		withdraw := lv.toWithdraw()
		r.broadcast(lv)
		entry := r.entry(lv)
		r.mu.Unlock()
		r.publish(ctx, id, entry)
		r.withdraw(ctx, id, withdraw)
	}
}

// shutdown stops the watcher and the grace timers; nobody is told that
// visitors left, since every connection is closing. The leases are not
// released: a visitor who reconnects to another instance within the lease
// time stays on the list, and one who does not drops off when it ends.
func (r *liveRegistry) shutdown(ctx context.Context) {
	r.mu.Lock()
	r.closing = true
	for _, lv := range r.visitors {
		if lv.leaving != nil {
			lv.leaving.Stop()
		}
	}
	r.mu.Unlock()
	r.watcher.shutdown(ctx)
}
