package transport

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// How the live list stays the same on every instance. Each Server holds a
// presence lease in the store on the visitors connected to it and renews
// them every third of the Desk's lease time. An instance that changes a
// visitor's entry publishes it whole as a chat.EventVisit; the others put
// it on their lists, merged with what they know: pages and invitations
// add up, an invitation's status only moves forward. The last instance to
// let a visitor go publishes chat.EventVisitEnd. At each renewal every
// Server also reads the live visits from the store: a visitor it missed
// is read from the store and listed, and one whose instance stopped
// without a goodbye (its leases ran out) drops off.

// visitEntry is what a chat.EventVisit carries: a visitor's entry and the
// Server that published it, which skips its own.
type visitEntry struct {
	From  string            `json:"from"`
	State wire.VisitorState `json:"state"`
}

// entry encodes the entry of a visitor this Server holds, for publish; nil
// for one it does not hold. r.mu is held.
func (r *liveRegistry) entry(lv *liveVisitor) json.RawMessage {
	if !lv.held {
		return nil
	}
	return r.view(lv)
}

// view encodes a visitor's entry as this Server knows it, also one it
// does not hold, or nil before it is listed: the shop's code changed it
// here (a trigger), and the instance holding the visitor merges it. r.mu
// is held.
func (r *liveRegistry) view(lv *liveVisitor) json.RawMessage {
	if !lv.listed {
		return nil
	}
	raw, err := json.Marshal(visitEntry{From: r.srv.leases.holder, State: lv.snapshot(time.Time{})})
	if err != nil {
		r.srv.log.Warn("transport: encoding a visitor's entry", "visitor", lv.state.Visitor.ID, "err", err)
		return nil
	}
	return raw
}

// publish tells the other instances of a visitor's new entry.
func (r *liveRegistry) publish(ctx context.Context, id uuid.UUID, entry json.RawMessage) {
	if entry == nil {
		return
	}
	if err := r.srv.desk.PublishVisit(ctx, id, entry); err != nil && !errors.Is(err, chat.ErrClosed) {
		r.srv.log.Warn("transport: publishing a visitor's entry", "visitor", id, "err", err)
	}
}

// received puts an entry another instance published on the list.
func (r *liveRegistry) received(id uuid.UUID, raw json.RawMessage) {
	var in visitEntry
	if err := json.Unmarshal(raw, &in); err != nil || in.State.Visitor.ID != id {
		r.srv.log.Warn("transport: a visitor's entry from another instance does not decode", "visitor", id, "err", err)
		return
	}
	if in.From == r.srv.leases.holder {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return
	}
	lv := r.visitors[id]
	if lv == nil {
		lv = newLiveVisitor()
		r.visitors[id] = lv
	}
	lv.seen = time.Now()
	before, _ := json.Marshal(lv.state)
	lv.merge(in.State)
	if !lv.loading && !lv.listed {
		lv.listed = true
		r.broadcast(lv)
	} else if after, _ := json.Marshal(lv.state); !bytes.Equal(before, after) {
		r.broadcast(lv)
	}
	r.showInvitations(lv)
}

// merge puts what another instance knows of the visitor into the entry.
// Pages and invitations add up; the times widen. What only the instance
// holding the visitor knows (the conversation, the shop's context) is
// taken from it unless this Server holds the visitor too.
func (lv *liveVisitor) merge(in wire.VisitorState) {
	st := &lv.state
	if !in.Visitor.LastSeenAt.Before(st.Visitor.LastSeenAt) {
		st.Visitor = in.Visitor // the newer save: a new name or address
	}
	st.Pages = mergePages(st.Pages, in.Pages)
	if n := len(st.Pages); n > 0 {
		p := st.Pages[n-1]
		st.Page = &p
	}
	if st.OnlineSince.IsZero() || !in.OnlineSince.IsZero() && in.OnlineSince.Before(st.OnlineSince) {
		st.OnlineSince = in.OnlineSince
	}
	if in.LastActiveAt.After(st.LastActiveAt) {
		st.LastActiveAt = in.LastActiveAt
	}
	st.Returning = st.Returning || in.Returning
	if !lv.held && !lv.loading {
		st.ConversationID, st.Context, st.Shop = in.ConversationID, in.Context, in.Shop
	}
	mergeInvitations(st, in.Invitations)
}

// statusRank orders invitation statuses by how far along they are.
func statusRank(s chat.InvitationStatus) int {
	switch s {
	case chat.InvitationPending:
		return 0
	case chat.InvitationWithdrawn:
		return 1
	}
	return 2
}

// mergeInvitations adds invs to the entry's invitations, or moves those it
// has to a status further along, and reports whether anything changed.
func mergeInvitations(st *wire.VisitorState, invs []chat.Invitation) bool {
	changed := false
	for _, inv := range invs {
		i := slices.IndexFunc(st.Invitations, func(x chat.Invitation) bool { return x.ID == inv.ID })
		switch {
		case i < 0:
			st.Invitations = append(st.Invitations, inv)
			changed = true
		case statusRank(inv.Status) > statusRank(st.Invitations[i].Status):
			st.Invitations[i] = inv
			changed = true
		case st.Invitations[i].ConversationID == uuid.Nil && inv.ConversationID != uuid.Nil:
			st.Invitations[i].ConversationID = inv.ConversationID
			changed = true
		}
	}
	if changed {
		slices.SortFunc(st.Invitations, func(a, b chat.Invitation) int {
			return cmp.Or(a.At.Compare(b.At), bytes.Compare(a.ID[:], b.ID[:]))
		})
	}
	return changed
}

// ended takes a visitor who left the site off the list, unless they are
// connected here.
func (r *liveRegistry) ended(id uuid.UUID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if lv := r.visitors[id]; lv != nil && !lv.held && !lv.loading && len(lv.conns) == 0 {
		r.unlist(id, lv)
	}
}

// renew renews this Server's leases on the visitors it holds.
func (r *liveRegistry) renew(ctx context.Context) {
	r.mu.Lock()
	ids := make([]uuid.UUID, 0, len(r.visitors))
	for id, lv := range r.visitors {
		if lv.held {
			ids = append(ids, id)
		}
	}
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, r.srv.cfg.WriteTimeout)
	defer cancel()
	if err := r.srv.desk.RenewVisitLeases(ctx, r.srv.leases.holder, ids); err != nil && !errors.Is(err, chat.ErrClosed) && ctx.Err() == nil {
		r.srv.log.Warn("transport: renewing visitors' presence leases", "visitors", len(ids), "err", err)
	}
}

// sync brings the list in line with the store's live visits: visitors of
// other instances that left without a word drop off, and those this
// Server has not heard of are read from the store and listed. Invitations
// missed are added too.
func (r *liveRegistry) sync(ctx context.Context) {
	began := time.Now()
	visits, err := r.srv.desk.LiveVisits(ctx, r.srv.desk.AgentLeaseTTL()/3)
	if err != nil {
		if !errors.Is(err, chat.ErrClosed) && ctx.Err() == nil {
			r.srv.log.Warn("transport: reading the visitors on the site", "err", err)
		}
		return
	}
	live := make(map[uuid.UUID]bool, len(visits))
	var missing []chat.Visit
	r.mu.Lock()
	for _, v := range visits {
		live[v.VisitorID] = true
		lv := r.visitors[v.VisitorID]
		if lv == nil {
			missing = append(missing, v)
			continue
		}
		if mergeInvitations(&lv.state, v.Invitations) {
			r.broadcast(lv)
			r.showInvitations(lv)
		}
	}
	for id, lv := range r.visitors {
		if !live[id] && !lv.held && !lv.loading && len(lv.conns) == 0 && lv.seen.Before(began) {
			r.unlist(id, lv)
		}
	}
	r.mu.Unlock()
	for _, v := range missing {
		r.list(ctx, v)
	}
}

// list reads the entry of another instance's visitor from the store and
// lists it, unless an event listed it meanwhile.
func (r *liveRegistry) list(ctx context.Context, stored chat.Visit) {
	v, err := r.srv.desk.Visitor(ctx, stored.VisitorID)
	if err != nil {
		r.srv.log.Warn("transport: reading a visitor on the site", "visitor", stored.VisitorID, "err", err)
		return
	}
	visit := r.loadVisit(ctx, v, r.srv.cfg.Now(), stored.BeganAt)
	facts := r.visitorContext(ctx, v)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing || r.visitors[v.ID] != nil {
		return
	}
	lv := newLiveVisitor()
	lv.state.Visitor = v
	r.applyVisit(lv, visit)
	lv.state.LastActiveAt = stored.LastActiveAt
	facts.apply(&lv.state)
	lv.active = visit.active
	lv.updateConversation()
	clear(lv.active) // the instance holding the visitor follows it
	mergeInvitations(&lv.state, stored.Invitations)
	lv.listed, lv.seen = true, time.Now()
	r.visitors[v.ID] = lv
	r.broadcast(lv)
}

// toWithdraw marks withdrawn the pending invitations of a visitor who is
// chatting and returns them, to be withdrawn in the store. r.mu is held.
func (lv *liveVisitor) toWithdraw() []uuid.UUID {
	if lv.state.ConversationID == uuid.Nil {
		return nil
	}
	var out []uuid.UUID
	for i := range lv.state.Invitations {
		if inv := &lv.state.Invitations[i]; inv.Status == chat.InvitationPending && inv.ConversationID == uuid.Nil {
			inv.Status = chat.InvitationWithdrawn
			out = append(out, inv.ID)
		}
	}
	return out
}

// withdraw withdraws invitations in the store. One answered meanwhile on
// another instance keeps its answer.
func (r *liveRegistry) withdraw(ctx context.Context, visitorID uuid.UUID, ids []uuid.UUID) {
	for _, id := range ids {
		got, err := r.srv.desk.Store().UpdateInvitation(ctx, id, chat.InvitationWithdrawn, uuid.Nil)
		switch {
		case errors.Is(err, chat.ErrConflict):
			r.answered(ctx, visitorID, got)
		case err != nil && !errors.Is(err, chat.ErrNotFound):
			r.srv.log.Warn("transport: withdrawing an invitation", "visitor", visitorID, "err", err)
		}
	}
}

// answered puts an invitation as stored into the visitor's entry and
// tells every instance.
func (r *liveRegistry) answered(ctx context.Context, visitorID uuid.UUID, inv chat.Invitation) {
	r.mu.Lock()
	lv := r.visitors[visitorID]
	if lv == nil || !mergeInvitations(&lv.state, []chat.Invitation{inv}) {
		r.mu.Unlock()
		return
	}
	r.broadcast(lv)
	entry := r.entry(lv)
	r.mu.Unlock()
	r.publish(ctx, visitorID, entry)
}
