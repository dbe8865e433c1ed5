package storetest

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func customerCases() []testCase {
	return []testCase{
		{"LinkFirstWins", testLinkFirstWins},
		{"LinkConcurrent", testLinkConcurrent},
		{"LinkInvalid", testLinkInvalid},
		{"MergeMoves", testMergeMoves},
		{"MergeNothing", testMergeNothing},
		{"MergeInvalid", testMergeInvalid},
		{"EraseUnlinks", testEraseUnlinks},
	}
}

// customers returns the store as a chat.CustomerStore, or skips the case
// for a store that keeps no customer links.
func (f *fixture) customers() chat.CustomerStore {
	f.t.Helper()
	cs, ok := f.s.(chat.CustomerStore)
	if !ok {
		f.t.Skip("the store is not a chat.CustomerStore")
	}
	return cs
}

// link links the customer and returns the visitor the store says they are.
func (f *fixture) link(customerID string, visitorID uuid.UUID) uuid.UUID {
	f.t.Helper()
	got, err := f.customers().LinkCustomer(f.ctx, customerID, visitorID)
	require.NoError(f.t, err, "LinkCustomer")
	return got
}

func testLinkFirstWins(t *testing.T, f *fixture) {
	customer := "cust-" + uuid.NewString()
	first, second := chat.NewID(), chat.NewID()
	assert.Equal(t, first, f.link(customer, first), "an unlinked customer is linked to the visitor given, which need not be stored")
	assert.Equal(t, first, f.link(customer, second), "a linked customer stays linked to their visitor")
	assert.Equal(t, first, f.link(customer, first), "linking again to the same visitor changes nothing")

	other := strings.ToUpper(customer)
	assert.Equal(t, second, f.link(other, second), "customer ids are compared byte for byte")
	assert.Equal(t, first, f.link(customer, chat.NewID()))
}

func testLinkConcurrent(t *testing.T, f *fixture) {
	customer := "cust-" + uuid.NewString()
	const n = 8
	got := make([]uuid.UUID, n)
	tried := make(map[uuid.UUID]bool, n)
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = chat.NewID()
		tried[ids[i]] = true
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { got[i], errs[i] = f.customers().LinkCustomer(f.ctx, customer, ids[i]) })
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i], "LinkCustomer")
		assert.Equal(t, got[0], got[i], "concurrent links of one customer return the same visitor")
	}
	assert.True(t, tried[got[0]], "one of the visitors given")
}

func testLinkInvalid(t *testing.T, f *fixture) {
	cs := f.customers()
	for _, tc := range []struct {
		name     string
		customer string
		visitor  uuid.UUID
	}{
		{"no customer id", "", chat.NewID()},
		{"nil visitor", "cust-" + uuid.NewString(), uuid.Nil},
		{"customer id too long", strings.Repeat("c", chat.MaxIDBytes+1), chat.NewID()},
		{"customer id not UTF-8", "cust-\xff", chat.NewID()},
	} {
		_, err := cs.LinkCustomer(f.ctx, tc.customer, tc.visitor)
		require.ErrorIs(t, err, chat.ErrInvalid, tc.name)
	}
	customer := "cust-" + uuid.NewString()
	_, err := cs.LinkCustomer(f.ctx, customer, uuid.Nil)
	require.ErrorIs(t, err, chat.ErrInvalid)
	v := chat.NewID()
	assert.Equal(t, v, f.link(customer, v), "a refused link stores nothing")
}

func testMergeMoves(t *testing.T, f *fixture) {
	from, to, bystander := f.visitor(), f.visitor(), f.visitor()
	base := baseTime()
	second := f.createAt(from.ID, base.Add(2*60e9))
	first := f.createAt(from.ID, base)
	messages := f.appendN(first.ID, 3)
	first = f.get(first.ID)
	kept := f.createAt(to.ID, base.Add(60e9))
	other := f.createAt(bystander.ID, base)
	pages := []chat.PageView{f.addPageView(newPageView(from.ID, base)), f.addPageView(newPageView(from.ID, base.Add(3*60e9)))}
	own := f.addPageView(newPageView(to.ID, base.Add(60e9)))

	moved, err := f.customers().MergeVisitor(f.ctx, from.ID, to.ID)
	require.NoError(t, err, "MergeVisitor")
	want := []chat.ConversationInfo{first, second}
	for i := range want {
		want[i].VisitorID = to.ID
		want[i].Version++
	}
	require.Len(t, moved, 2, "MergeVisitor returns the conversations moved")
	for i := range want {
		requireConversation(t, want[i], moved[i], "moved conversations come oldest first, with the new visitor and the next Version")
		requireConversation(t, want[i], f.get(want[i].ID), "and are stored so")
	}
	assert.Equal(t, messages, f.messages(first.ID, chat.MessageQuery{}), "messages are not touched")
	assert.Equal(t, []chat.ConversationInfo{want[0], kept, want[1]}, f.listConversations(chat.ConversationFilter{VisitorID: to.ID}),
		"the visitor's listing has their own conversations and the moved ones")
	assert.Empty(t, f.listConversations(chat.ConversationFilter{VisitorID: from.ID}), "the merged visitor has none left")
	assert.Equal(t, other, f.get(other.ID), "other visitors' conversations stay")

	for i := range pages {
		pages[i].VisitorID = to.ID
	}
	assert.Equal(t, []chat.PageView{pages[0], own, pages[1]}, f.pageViews(to.ID, 0), "page views move too, in order")
	assert.Empty(t, f.pageViews(from.ID, 0))

	again, err := f.customers().MergeVisitor(f.ctx, from.ID, to.ID)
	require.NoError(t, err)
	assert.Empty(t, again, "a second merge finds nothing to move")
}

func testMergeNothing(t *testing.T, f *fixture) {
	to := f.visitor()
	moved, err := f.customers().MergeVisitor(f.ctx, chat.NewID(), to.ID)
	require.NoError(t, err, "a visitor with nothing to move, stored or not")
	assert.Empty(t, moved)
}

func testMergeInvalid(t *testing.T, f *fixture) {
	cs := f.customers()
	from := f.visitor()
	c := f.createAt(from.ID, baseTime())
	_, err := cs.MergeVisitor(f.ctx, from.ID, from.ID)
	require.ErrorIs(t, err, chat.ErrInvalid, "a visitor merged into itself")
	_, err = cs.MergeVisitor(f.ctx, uuid.Nil, from.ID)
	require.ErrorIs(t, err, chat.ErrInvalid, "a nil visitor")
	_, err = cs.MergeVisitor(f.ctx, from.ID, chat.NewID())
	require.ErrorIs(t, err, chat.ErrNotFound, "into a visitor that is not stored")
	assert.Equal(t, c, f.get(c.ID), "a refused merge moves nothing")
}

// Erasing a visitor forgets which customer they were: the customer's next
// link is to a new visitor.
func testEraseUnlinks(t *testing.T, f *fixture) {
	v := f.visitor()
	customer := "cust-" + uuid.NewString()
	other := "cust-" + uuid.NewString()
	require.Equal(t, v.ID, f.link(customer, v.ID))
	kept := f.visitor()
	require.Equal(t, kept.ID, f.link(other, kept.ID))
	require.NoError(t, f.s.EraseVisitor(f.ctx, v.ID), "EraseVisitor")
	next := chat.NewID()
	assert.Equal(t, next, f.link(customer, next), "the erased visitor's link is gone")
	assert.Equal(t, kept.ID, f.link(other, chat.NewID()), "other links stay")
}
