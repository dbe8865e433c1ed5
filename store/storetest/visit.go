package storetest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func visitCases() []testCase {
	return []testCase{
		{"LeaseExpiry", testVisitLeaseExpiry},
		{"TwoHolders", testVisitTwoHolders},
		{"SameVisitAfterAbsence", testVisitAbsence},
		{"Renew", testVisitRenew},
		{"Touch", testVisitTouch},
		{"InvitationOncePerRule", testInvitationOnce},
		{"InvitationConcurrent", testInvitationConcurrent},
		{"StartConcurrent", testVisitStartConcurrent},
		{"InvitationStatus", testInvitationStatus},
		{"Prune", testVisitPrune},
		{"Invalid", testVisitInvalid},
		{"DoneContext", testVisitDoneContext},
	}
}

// visitGap is the gap the cases use: short, so that times stay readable.
const visitGap = 10 * time.Minute

// startVisit takes holder's lease on the visitor from at to until and
// returns the visit, failing the test on an error.
func (f *fixture) startVisit(visitorID uuid.UUID, holder string, at, until time.Time) chat.Visit {
	f.t.Helper()
	v, err := f.s.StartVisit(f.ctx, chat.VisitLease{VisitorID: visitorID, Holder: holder, At: at, Until: until,
		NewID: uuid.New(), Gap: visitGap})
	require.NoError(f.t, err, "StartVisit")
	require.Equal(f.t, visitorID, v.VisitorID, "StartVisit returns the visitor's visit")
	assertUTC(f.t, "StartVisit", v.BeganAt, v.LastActiveAt, v.EndsAt)
	return v
}

// live returns the ids of the visitors among mine with a live lease at
// at, in the order LiveVisits lists them. Other cases may share the
// store, so their visitors are left out.
func (f *fixture) live(at time.Time, mine ...uuid.UUID) []uuid.UUID {
	f.t.Helper()
	got, err := f.s.LiveVisits(f.ctx, at)
	require.NoError(f.t, err, "LiveVisits")
	require.True(f.t, slices.IsSortedFunc(got, func(a, b chat.Visit) int {
		if c := a.BeganAt.Compare(b.BeganAt); c != 0 {
			return c
		}
		return strings.Compare(string(a.VisitorID[:]), string(b.VisitorID[:]))
	}), "LiveVisits orders by BeganAt, then visitor id")
	out := []uuid.UUID{}
	for _, v := range got {
		if slices.Contains(mine, v.VisitorID) {
			out = append(out, v.VisitorID)
		}
	}
	return out
}

// getVisit returns the visitor's visit, failing the test on an error.
func (f *fixture) getVisit(visitorID uuid.UUID) chat.Visit {
	f.t.Helper()
	v, err := f.s.Visit(f.ctx, visitorID)
	require.NoError(f.t, err, "Visit")
	return v
}

func newInvitation(rule string, at time.Time) chat.Invitation {
	return chat.Invitation{ID: uuid.New(), Rule: rule, Body: "Can we help you choose?", Status: chat.InvitationPending, At: at}
}

func testVisitLeaseExpiry(t *testing.T, f *fixture) {
	a, b := uuid.New(), uuid.New()
	t0 := baseTime()
	v := f.startVisit(a, "holder-1", t0, t0.Add(30*time.Second))
	assert.Equal(t, chat.Timestamp(t0), v.BeganAt, "a new visit begins at At")
	assert.Equal(t, chat.Timestamp(t0), v.LastActiveAt, "and was active then")
	assert.Equal(t, chat.Timestamp(t0.Add(30*time.Second)), v.EndsAt, "and ends with its lease")
	assert.Empty(t, v.Invitations)
	f.startVisit(b, "holder-1", t0.Add(time.Second), t0.Add(time.Minute))

	assert.Equal(t, []uuid.UUID{a, b}, f.live(t0, a, b), "live visitors, the earlier visit first")
	assert.Equal(t, []uuid.UUID{a, b}, f.live(t0.Add(29*time.Second).In(time.FixedZone("west", -5*3600)), a, b),
		"the time's zone does not matter")
	assert.Equal(t, []uuid.UUID{b}, f.live(t0.Add(30*time.Second), a, b), "a lease is expired at its end")
	assert.Empty(t, f.live(t0.Add(time.Minute), a, b), "every lease expired")
	assert.Equal(t, v.ID, f.getVisit(a).ID, "the visit is kept after its leases ended")

	_, err := f.s.Visit(f.ctx, uuid.New())
	assert.ErrorIs(t, err, chat.ErrNotFound, "a visitor with no visit")
}

func testVisitTwoHolders(t *testing.T, f *fixture) {
	id := uuid.New()
	t0 := baseTime()
	v1 := f.startVisit(id, "holder-1", t0, t0.Add(30*time.Second))
	v2 := f.startVisit(id, "holder-2", t0.Add(5*time.Second), t0.Add(35*time.Second))
	assert.Equal(t, v1.ID, v2.ID, "a second instance joins the visit going on")
	assert.Equal(t, v1.BeganAt, v2.BeganAt)
	assert.Equal(t, chat.Timestamp(t0.Add(35*time.Second)), v2.EndsAt, "EndsAt is the latest lease end")

	held, err := f.s.ReleaseVisitLease(f.ctx, id, "holder-1", t0.Add(10*time.Second))
	require.NoError(t, err)
	assert.True(t, held, "the other holder's lease lives")
	assert.Equal(t, []uuid.UUID{id}, f.live(t0.Add(20*time.Second), id), "one live lease keeps the visitor on the site")
	assert.Equal(t, chat.Timestamp(t0.Add(35*time.Second)), f.getVisit(id).EndsAt)

	assert.Empty(t, f.live(t0.Add(35*time.Second), id), "the crashed holder's lease expired")
	held, err = f.s.ReleaseVisitLease(f.ctx, id, "holder-1", t0.Add(40*time.Second))
	require.NoError(t, err, "releasing an ended lease")
	assert.False(t, held)

	// Both release: the visit ends when the last one does.
	other := uuid.New()
	f.startVisit(other, "holder-1", t0, t0.Add(30*time.Second))
	f.startVisit(other, "holder-2", t0, t0.Add(30*time.Second))
	held, err = f.s.ReleaseVisitLease(f.ctx, other, "holder-2", t0.Add(8*time.Second))
	require.NoError(t, err)
	assert.True(t, held)
	held, err = f.s.ReleaseVisitLease(f.ctx, other, "holder-1", t0.Add(9*time.Second))
	require.NoError(t, err)
	assert.False(t, held, "no lease left")
	assert.Empty(t, f.live(t0.Add(9*time.Second), other), "a released lease is expired at once")
	assert.Equal(t, chat.Timestamp(t0.Add(9*time.Second)), f.getVisit(other).EndsAt, "the visit ended when the last lease was released")

	held, err = f.s.ReleaseVisitLease(f.ctx, uuid.New(), "holder-1", t0)
	assert.NoError(t, err, "a missing lease is not an error")
	assert.False(t, held)
}

func testVisitAbsence(t *testing.T, f *fixture) {
	id := uuid.New()
	t0 := baseTime()
	first := f.startVisit(id, "holder-1", t0, t0.Add(2*time.Minute))
	inv := newInvitation("cart", t0.Add(time.Second))
	require.NoError(t, f.s.AddInvitation(f.ctx, first.ID, inv))
	left := t0.Add(time.Minute)
	_, err := f.s.ReleaseVisitLease(f.ctx, id, "holder-1", left)
	require.NoError(t, err)

	back := f.startVisit(id, "holder-2", left.Add(visitGap-time.Microsecond), left.Add(visitGap+time.Minute))
	assert.Equal(t, first.ID, back.ID, "back within the gap: the same visit")
	assert.Equal(t, first.BeganAt, back.BeganAt, "it keeps its start")
	assert.Equal(t, chat.Timestamp(left.Add(visitGap-time.Microsecond)), back.LastActiveAt, "coming back is activity")
	require.Len(t, back.Invitations, 1, "and its invitations")
	assert.Equal(t, "cart", back.Invitations[0].Rule)

	// A crashed holder: the lease expires without a release; the gap
	// counts from its end.
	end := left.Add(visitGap + time.Minute)
	again := f.startVisit(id, "holder-3", end.Add(visitGap-time.Microsecond), end.Add(visitGap+time.Minute))
	assert.Equal(t, first.ID, again.ID, "within the gap of the expired lease's end")

	later := end.Add(visitGap + time.Minute)
	next := f.startVisit(id, "holder-1", later.Add(visitGap), later.Add(visitGap+time.Minute))
	assert.NotEqual(t, first.ID, next.ID, "away for the gap: a new visit")
	assert.Equal(t, chat.Timestamp(later.Add(visitGap)), next.BeganAt)
	assert.Empty(t, next.Invitations, "a new visit has no invitations")
	assert.Equal(t, next.ID, f.getVisit(id).ID, "the new visit replaced the old")
	assert.ErrorIs(t, f.s.TouchVisit(f.ctx, first.ID, later), chat.ErrNotFound, "the replaced visit is gone")
	_, err = f.s.UpdateInvitation(f.ctx, inv.ID, chat.InvitationDismissed, uuid.Nil)
	assert.ErrorIs(t, err, chat.ErrNotFound, "and so are its invitations")
}

func testVisitRenew(t *testing.T, f *fixture) {
	a, b, none := uuid.New(), uuid.New(), uuid.New()
	t0 := baseTime()
	f.startVisit(a, "holder-1", t0, t0.Add(30*time.Second))
	f.startVisit(b, "holder-1", t0, t0.Add(30*time.Second))
	require.NoError(t, f.s.RenewVisitLeases(f.ctx, "holder-1", t0.Add(time.Minute), []uuid.UUID{a, b, none}))
	assert.ElementsMatch(t, []uuid.UUID{a, b}, f.live(t0.Add(50*time.Second), a, b, none),
		"renewing moves the end; a visitor with no visit gets no lease")
	assert.Equal(t, chat.Timestamp(t0.Add(time.Minute)), f.getVisit(a).EndsAt, "and the visit's end")
	_, err := f.s.Visit(f.ctx, none)
	assert.ErrorIs(t, err, chat.ErrNotFound, "renewing makes no visit")

	// An instance that stalled past its lease's end renews it again.
	require.NoError(t, f.s.RenewVisitLeases(f.ctx, "holder-2", t0.Add(3*time.Minute), []uuid.UUID{a}))
	assert.Equal(t, []uuid.UUID{a}, f.live(t0.Add(2*time.Minute), a, b), "a missing lease is created")
	require.NoError(t, f.s.RenewVisitLeases(f.ctx, "holder-2", t0.Add(time.Minute), nil), "none does nothing")
}

func testVisitTouch(t *testing.T, f *fixture) {
	id := uuid.New()
	t0 := baseTime()
	v := f.startVisit(id, "holder-1", t0, t0.Add(30*time.Second))
	require.NoError(t, f.s.TouchVisit(f.ctx, v.ID, t0.Add(10*time.Second)))
	assert.Equal(t, chat.Timestamp(t0.Add(10*time.Second)), f.getVisit(id).LastActiveAt)
	require.NoError(t, f.s.TouchVisit(f.ctx, v.ID, t0.Add(5*time.Second)))
	assert.Equal(t, chat.Timestamp(t0.Add(10*time.Second)), f.getVisit(id).LastActiveAt, "a later activity is kept")
	assert.ErrorIs(t, f.s.TouchVisit(f.ctx, uuid.New(), t0), chat.ErrNotFound, "an unknown visit")
}

func testInvitationOnce(t *testing.T, f *fixture) {
	id := uuid.New()
	t0 := baseTime()
	v := f.startVisit(id, "holder-1", t0, t0.Add(30*time.Second))
	cart := newInvitation("cart", t0.Add(2*time.Second))
	require.NoError(t, f.s.AddInvitation(f.ctx, v.ID, cart))
	assert.ErrorIs(t, f.s.AddInvitation(f.ctx, v.ID, newInvitation("cart", t0.Add(3*time.Second))), chat.ErrConflict,
		"a rule fires once per visit")
	assert.ErrorIs(t, f.s.AddInvitation(f.ctx, v.ID, newInvitation("help", t0.Add(3*time.Second))), chat.ErrConflict,
		"one pending invitation at a time")
	_, err := f.s.UpdateInvitation(f.ctx, cart.ID, chat.InvitationDismissed, uuid.Nil)
	require.NoError(t, err)
	assert.ErrorIs(t, f.s.AddInvitation(f.ctx, v.ID, newInvitation("cart", t0.Add(4*time.Second))), chat.ErrConflict,
		"a dismissed rule does not fire again")
	help := newInvitation("help", t0.Add(time.Second)) // earlier, to check the order
	require.NoError(t, f.s.AddInvitation(f.ctx, v.ID, help), "another rule once none is pending")
	dup := newInvitation("other", t0)
	dup.ID = help.ID
	_, err = f.s.UpdateInvitation(f.ctx, help.ID, chat.InvitationWithdrawn, uuid.Nil)
	require.NoError(t, err)
	assert.ErrorIs(t, f.s.AddInvitation(f.ctx, v.ID, dup), chat.ErrConflict, "a taken invitation id")
	assert.ErrorIs(t, f.s.AddInvitation(f.ctx, uuid.New(), newInvitation("x", t0)), chat.ErrNotFound, "an unknown visit")

	got := f.getVisit(id).Invitations
	cart.Status, cart.At = chat.InvitationDismissed, chat.Timestamp(cart.At)
	help.Status, help.At = chat.InvitationWithdrawn, chat.Timestamp(help.At)
	assert.Equal(t, []chat.Invitation{help, cart}, got, "invitations as stored, oldest first")
	lv, err := f.s.LiveVisits(f.ctx, t0)
	require.NoError(t, err)
	i := slices.IndexFunc(lv, func(x chat.Visit) bool { return x.VisitorID == id })
	require.GreaterOrEqual(t, i, 0)
	assert.Equal(t, got, lv[i].Invitations, "LiveVisits lists them too")
	assertUTC(t, "invitation", got[0].At, got[1].At)
}

// testInvitationConcurrent fires one rule from many instances at once:
// exactly one wins.
func testInvitationConcurrent(t *testing.T, f *fixture) {
	t0 := baseTime()
	v := f.startVisit(uuid.New(), "holder-1", t0, t0.Add(30*time.Second))
	const n = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		won      int
		failures []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rule := "cart"
			if i%2 == 1 {
				rule = "help" // and another rule racing for the one pending slot
			}
			err := f.s.AddInvitation(f.ctx, v.ID, newInvitation(rule, t0))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case !assert.ErrorIs(t, err, chat.ErrConflict):
				failures = append(failures, err)
			}
		}()
	}
	wg.Wait()
	assert.Empty(t, failures)
	assert.Equal(t, 1, won, "one instance fires, the others see a conflict")
	assert.Len(t, f.getVisit(v.VisitorID).Invitations, 1)
}

// testVisitStartConcurrent starts one visitor's visit from many instances
// at once: they all get the same visit.
func testVisitStartConcurrent(t *testing.T, f *fixture) {
	id := uuid.New()
	t0 := baseTime()
	const n = 8
	got := make([]uuid.UUID, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := f.s.StartVisit(f.ctx, chat.VisitLease{VisitorID: id, Holder: "holder-" + string(rune('a'+i)),
				At: t0, Until: t0.Add(time.Minute), NewID: uuid.New(), Gap: visitGap})
			if assert.NoError(t, err) {
				got[i] = v.ID
			}
		}()
	}
	wg.Wait()
	for i := range got {
		assert.Equal(t, got[0], got[i], "every instance joins one visit")
	}
	assert.Equal(t, got[0], f.getVisit(id).ID)
}

func testInvitationStatus(t *testing.T, f *fixture) {
	t0 := baseTime()
	v := f.startVisit(uuid.New(), "holder-1", t0, t0.Add(30*time.Second))
	inv := newInvitation("cart", t0)
	require.NoError(t, f.s.AddInvitation(f.ctx, v.ID, inv))
	conv := uuid.New()
	got, err := f.s.UpdateInvitation(f.ctx, inv.ID, chat.InvitationAccepted, conv)
	require.NoError(t, err)
	assert.Equal(t, chat.InvitationAccepted, got.Status)
	assert.Equal(t, conv, got.ConversationID, "accepting sets the conversation")
	again, err := f.s.UpdateInvitation(f.ctx, inv.ID, chat.InvitationAccepted, uuid.New())
	require.NoError(t, err, "accepting again changes nothing")
	assert.Equal(t, conv, again.ConversationID, "the first acceptance's conversation stays")
	stored, err := f.s.UpdateInvitation(f.ctx, inv.ID, chat.InvitationDismissed, uuid.Nil)
	assert.ErrorIs(t, err, chat.ErrConflict, "an accepted invitation is not dismissed")
	assert.Equal(t, chat.InvitationAccepted, stored.Status, "the stored invitation comes back with the conflict")

	second := newInvitation("help", t0.Add(time.Second))
	require.NoError(t, f.s.AddInvitation(f.ctx, v.ID, second))
	_, err = f.s.UpdateInvitation(f.ctx, second.ID, chat.InvitationWithdrawn, uuid.Nil)
	require.NoError(t, err)
	_, err = f.s.UpdateInvitation(f.ctx, second.ID, chat.InvitationPending, uuid.Nil)
	assert.ErrorIs(t, err, chat.ErrConflict, "nothing goes back to pending")
	got, err = f.s.UpdateInvitation(f.ctx, second.ID, chat.InvitationDismissed, uuid.Nil)
	require.NoError(t, err, "a withdrawn invitation may be dismissed")
	assert.Equal(t, chat.InvitationDismissed, got.Status)
	assert.Equal(t, uuid.Nil, got.ConversationID)
	_, err = f.s.UpdateInvitation(f.ctx, second.ID, chat.InvitationAccepted, uuid.New())
	assert.ErrorIs(t, err, chat.ErrConflict, "a dismissed invitation is not accepted")

	_, err = f.s.UpdateInvitation(f.ctx, uuid.New(), chat.InvitationDismissed, uuid.Nil)
	assert.ErrorIs(t, err, chat.ErrNotFound)
	want := []chat.InvitationStatus{chat.InvitationAccepted, chat.InvitationDismissed}
	var have []chat.InvitationStatus
	for _, inv := range f.getVisit(v.VisitorID).Invitations {
		have = append(have, inv.Status)
	}
	assert.Equal(t, want, have, "the statuses as stored")
}

func testVisitPrune(t *testing.T, f *fixture) {
	gone, recent, live := uuid.New(), uuid.New(), uuid.New()
	// Long before the other cases' times, so that pruning a shared store
	// leaves their visits alone.
	t0 := time.Date(1990, time.June, 1, 8, 0, 0, 123_456_789, time.FixedZone("UTC+01", 3600))
	old := f.startVisit(gone, "holder-1", t0, t0.Add(30*time.Second))
	inv := newInvitation("cart", t0)
	require.NoError(t, f.s.AddInvitation(f.ctx, old.ID, inv))
	f.startVisit(recent, "holder-1", t0.Add(time.Hour), t0.Add(time.Hour+30*time.Second))
	f.startVisit(live, "holder-1", t0, t0.Add(30*time.Second))
	require.NoError(t, f.s.RenewVisitLeases(f.ctx, "holder-2", t0.Add(3*time.Hour), []uuid.UUID{live}))

	now := t0.Add(2 * time.Hour)
	require.NoError(t, f.s.PruneVisits(f.ctx, now, t0.Add(time.Hour)))
	_, err := f.s.Visit(f.ctx, gone)
	assert.ErrorIs(t, err, chat.ErrNotFound, "a visit that ended long ago is pruned")
	_, err = f.s.UpdateInvitation(f.ctx, inv.ID, chat.InvitationDismissed, uuid.Nil)
	assert.ErrorIs(t, err, chat.ErrNotFound, "with its invitations")
	f.getVisit(live) // kept: a lease lives
	f.getVisit(recent)
	require.NoError(t, f.s.PruneVisits(f.ctx, now, t0.Add(time.Hour+31*time.Second)))
	_, err = f.s.Visit(f.ctx, recent)
	assert.ErrorIs(t, err, chat.ErrNotFound, "pruned once it ended before endedBefore")
	assert.Equal(t, []uuid.UUID{live}, f.live(now, gone, recent, live))
	assert.Equal(t, old.BeganAt, f.getVisit(live).BeganAt, "a live visit keeps its start")

	// A lease pruned as expired is not live again; the visitor comes back
	// to the same visit within the gap.
	again := f.startVisit(live, "holder-1", t0.Add(3*time.Hour+time.Minute), t0.Add(4*time.Hour))
	assert.Equal(t, f.getVisit(live).ID, again.ID)
	require.NoError(t, f.s.PruneVisits(f.ctx, t0.Add(5*time.Hour), t0))
	assert.Empty(t, f.live(t0.Add(3*time.Hour+2*time.Minute), live), "expired leases are deleted")
}

func testVisitInvalid(t *testing.T, f *fixture) {
	t0 := baseTime()
	id := uuid.New()
	v := f.startVisit(id, "holder-1", t0, t0.Add(time.Minute))
	long := strings.Repeat("h", chat.MaxIDBytes+1)
	lease := func(change func(*chat.VisitLease)) error {
		l := chat.VisitLease{VisitorID: id, Holder: "holder-1", At: t0, Until: t0.Add(time.Minute), NewID: uuid.New(), Gap: visitGap}
		change(&l)
		_, err := f.s.StartVisit(f.ctx, l)
		return err
	}
	inv := func(change func(*chat.Invitation)) error {
		i := newInvitation("rule-"+uuid.NewString(), t0)
		change(&i)
		return f.s.AddInvitation(f.ctx, v.ID, i)
	}
	tooMany := make([]uuid.UUID, chat.MaxPageSize+1)
	for i := range tooMany {
		tooMany[i] = uuid.New()
	}
	for name, err := range map[string]error{
		"start without visitor":       lease(func(l *chat.VisitLease) { l.VisitorID = uuid.Nil }),
		"start without holder":        lease(func(l *chat.VisitLease) { l.Holder = "" }),
		"start with a long holder":    lease(func(l *chat.VisitLease) { l.Holder = long }),
		"start without a new id":      lease(func(l *chat.VisitLease) { l.NewID = uuid.Nil }),
		"start at the zero time":      lease(func(l *chat.VisitLease) { l.At = time.Time{} }),
		"start ending before":         lease(func(l *chat.VisitLease) { l.Until = t0 }),
		"start without a gap":         lease(func(l *chat.VisitLease) { l.Gap = 0 }),
		"renew without holder":        f.s.RenewVisitLeases(f.ctx, "", t0, []uuid.UUID{id}),
		"renew a nil visitor":         f.s.RenewVisitLeases(f.ctx, "holder-1", t0, []uuid.UUID{uuid.Nil}),
		"renew until the zero time":   f.s.RenewVisitLeases(f.ctx, "holder-1", time.Time{}, []uuid.UUID{id}),
		"renew too many":              f.s.RenewVisitLeases(f.ctx, "holder-1", t0, tooMany),
		"release a nil visitor":       second(f.s.ReleaseVisitLease(f.ctx, uuid.Nil, "holder-1", t0)),
		"release without holder":      second(f.s.ReleaseVisitLease(f.ctx, id, "", t0)),
		"release at the zero time":    second(f.s.ReleaseVisitLease(f.ctx, id, "holder-1", time.Time{})),
		"live at the zero time":       second(f.s.LiveVisits(f.ctx, time.Time{})),
		"touch at the zero time":      f.s.TouchVisit(f.ctx, v.ID, time.Time{}),
		"invitation without id":       inv(func(i *chat.Invitation) { i.ID = uuid.Nil }),
		"invitation without rule":     inv(func(i *chat.Invitation) { i.Rule = "" }),
		"invitation with a long rule": inv(func(i *chat.Invitation) { i.Rule = long }),
		"invitation without body":     inv(func(i *chat.Invitation) { i.Body = "" }),
		"invitation not pending":      inv(func(i *chat.Invitation) { i.Status = chat.InvitationAccepted }),
		"invitation without time":     inv(func(i *chat.Invitation) { i.At = time.Time{} }),
		"invitation with bad UTF-8":   inv(func(i *chat.Invitation) { i.Body = "\xff" }),
		"update to no status":         second(f.s.UpdateInvitation(f.ctx, uuid.New(), "", uuid.Nil)),
		"update to an unknown status": second(f.s.UpdateInvitation(f.ctx, uuid.New(), "maybe", uuid.Nil)),
		"prune at the zero time":      f.s.PruneVisits(f.ctx, time.Time{}, t0),
		"prune before the zero time":  f.s.PruneVisits(f.ctx, t0, time.Time{}),
	} {
		assert.ErrorIs(t, err, chat.ErrInvalid, name)
	}
	got := f.getVisit(id)
	assert.Equal(t, v.ID, got.ID, "a rejected start changes nothing")
	assert.Empty(t, got.Invitations, "a rejected invitation is not stored")
}

func testVisitDoneContext(t *testing.T, f *fixture) {
	t0 := baseTime()
	id := uuid.New()
	v := f.startVisit(id, "holder-1", t0, t0.Add(time.Minute))
	inv := newInvitation("cart", t0)
	require.NoError(t, f.s.AddInvitation(f.ctx, v.ID, inv))
	for _, done := range []context.Context{canceled(), expired()} {
		want := done.Err()
		_, err := f.s.StartVisit(done, chat.VisitLease{VisitorID: uuid.New(), Holder: "holder-1", At: t0, Until: t0.Add(time.Minute),
			NewID: uuid.New(), Gap: visitGap})
		assert.ErrorIs(t, err, want, "StartVisit")
		assert.ErrorIs(t, f.s.RenewVisitLeases(done, "holder-1", t0.Add(time.Hour), []uuid.UUID{id}), want, "RenewVisitLeases")
		assert.ErrorIs(t, second(f.s.ReleaseVisitLease(done, id, "holder-1", t0)), want, "ReleaseVisitLease")
		assert.ErrorIs(t, second(f.s.Visit(done, id)), want, "Visit")
		assert.ErrorIs(t, second(f.s.LiveVisits(done, t0)), want, "LiveVisits")
		assert.ErrorIs(t, f.s.TouchVisit(done, v.ID, t0.Add(time.Hour)), want, "TouchVisit")
		assert.ErrorIs(t, f.s.AddInvitation(done, v.ID, newInvitation("help", t0)), want, "AddInvitation")
		assert.ErrorIs(t, second(f.s.UpdateInvitation(done, inv.ID, chat.InvitationDismissed, uuid.Nil)), want, "UpdateInvitation")
		assert.ErrorIs(t, f.s.PruneVisits(done, t0.Add(time.Hour), t0.Add(time.Hour)), want, "PruneVisits")
	}
	got := f.getVisit(id)
	assert.Equal(t, chat.Timestamp(t0.Add(time.Minute)), got.EndsAt, "a done context renews and releases nothing")
	assert.Equal(t, chat.Timestamp(t0), got.LastActiveAt)
	require.Len(t, got.Invitations, 1)
	assert.Equal(t, chat.InvitationPending, got.Invitations[0].Status)
}
