package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// createAt stores a fresh queued conversation of the visitor created at t.
func (f *fixture) createAt(visitorID uuid.UUID, t time.Time) chat.ConversationInfo {
	f.t.Helper()
	c := newConversation(visitorID)
	c.CreatedAt = t
	return f.create(c)
}

// pageAll lists every conversation matching filter a page at a time, each
// page starting after the last conversation of the one before, and
// returns them in the order listed. It fails the test when a page is
// longer than the limit or when paging does not end.
func (f *fixture) pageAll(filter chat.ConversationFilter, limit int) []chat.ConversationInfo {
	f.t.Helper()
	filter.Limit = limit
	var all []chat.ConversationInfo
	for range 10_000 {
		page := f.listConversations(filter)
		require.LessOrEqual(f.t, len(page), limit, "Conversations returns at most Limit")
		all = append(all, page...)
		if len(page) == 0 {
			return all
		}
		filter.After = page[len(page)-1].Cursor()
	}
	f.t.Fatalf("paging with Limit %d did not reach an empty page", limit)
	return nil
}

func reversed(cs []chat.ConversationInfo) []chat.ConversationInfo {
	out := slices.Clone(cs)
	slices.Reverse(out)
	return out
}

func testConversationsNewest(t *testing.T, f *fixture) {
	v := f.visitor()
	f.create(newConversation(f.visitor().ID))
	// Two share a CreatedAt exactly, two once truncated to the microsecond.
	base := baseTime()
	var want []chat.ConversationInfo
	for _, d := range []time.Duration{time.Second, 3 * time.Second, time.Second, 2*time.Second + 100, 0, 2*time.Second + 900} {
		want = append(want, f.createAt(v.ID, base.Add(d)))
	}
	slices.SortFunc(want, compareConversations)
	newest := reversed(want)

	got := f.listConversations(chat.ConversationFilter{VisitorID: v.ID, Newest: true})
	require.Equal(t, ids(newest), ids(got), "Newest lists by CreatedAt then ID, both descending")
	for i := range got {
		requireConversation(t, newest[i], got[i], "Conversations with Newest returns every field")
	}
	got = f.listConversations(chat.ConversationFilter{VisitorID: v.ID, Newest: true, Limit: 2})
	assert.Equal(t, ids(newest[:2]), ids(got), "Newest with Limit 2 returns the two newest")
	got = f.listConversations(chat.ConversationFilter{VisitorID: v.ID, Newest: true, Statuses: []chat.Status{chat.StatusQueued}, CreatedBefore: base.Add(3 * time.Second)})
	assert.Equal(t, ids(newest[1:]), ids(got), "Newest applies every other field of the filter")
}

func testConversationsPageThrough(t *testing.T, f *fixture) {
	// More conversations than one MaxPageSize page, most of them created in
	// one microsecond so that only the ID orders them and page boundaries
	// fall inside the tie, and the rest before and after it.
	v := f.visitor()
	f.create(newConversation(f.visitor().ID))
	tie := chat.Timestamp(baseTime())
	const tied, spread = chat.MaxPageSize + 20, 60
	var want []chat.ConversationInfo
	for i := range tied + spread {
		at := tie
		if i%((tied+spread)/spread) == 0 {
			// Alternately later and earlier, and out of order.
			at = tie.Add(time.Duration((i%7)-3) * time.Minute).Add(time.Duration(i) * time.Microsecond)
		}
		want = append(want, f.createAt(v.ID, at))
	}
	slices.SortFunc(want, compareConversations)
	filter := chat.ConversationFilter{VisitorID: v.ID}

	for _, limit := range []int{chat.MaxPageSize, 7} {
		got := f.pageAll(filter, limit)
		require.Equal(t, ids(want), ids(got), "paging oldest first with Limit %d lists each conversation once, in order", limit)
	}
	filter.Newest = true
	for _, limit := range []int{chat.MaxPageSize, 7} {
		got := f.pageAll(filter, limit)
		require.Equal(t, ids(reversed(want)), ids(got), "paging newest first with Limit %d lists each conversation once, in order", limit)
	}
	first := f.listConversations(chat.ConversationFilter{VisitorID: v.ID, Newest: true, Limit: chat.MaxPageSize})
	require.Equal(t, ids(reversed(want)[:chat.MaxPageSize]), ids(first), "the first newest page holds the newest, not the oldest")
}

func testConversationsCursor(t *testing.T, f *fixture) {
	v := f.visitor()
	base := chat.Timestamp(baseTime())
	var all []chat.ConversationInfo
	for i := range 6 {
		all = append(all, f.createAt(v.ID, base.Add(time.Duration(i/2)*time.Second)))
	}
	slices.SortFunc(all, compareConversations)
	mid := all[2]
	list := func(newest bool, after chat.ConversationCursor) []uuid.UUID {
		return ids(f.listConversations(chat.ConversationFilter{VisitorID: v.ID, Newest: newest, After: after}))
	}

	assert.Equal(t, ids(all[3:]), list(false, mid.Cursor()), "a cursor in an oldest-first listing selects the later conversations")
	assert.Equal(t, ids(reversed(all[:2])), list(true, mid.Cursor()), "the same cursor in a newest-first listing selects the earlier ones")
	assert.Empty(t, list(false, all[5].Cursor()), "an empty page after the last")
	assert.Empty(t, list(true, all[0].Cursor()), "an empty page after the last, newest first")

	nanos := mid.Cursor()
	nanos.CreatedAt = nanos.CreatedAt.Add(999 * time.Nanosecond).In(time.FixedZone("UTC-7", -7*3600))
	assert.Equal(t, ids(all[3:]), list(false, nanos), "a cursor's CreatedAt counts to the microsecond, in any zone")

	// A position no conversation holds, and one of another visitor's
	// conversation, are positions all the same.
	between := chat.ConversationCursor{CreatedAt: all[3].CreatedAt, ID: uuid.Max}
	assert.Equal(t, ids(all[4:]), list(false, between), "a cursor between two conversations")
	assert.Equal(t, ids(reversed(all[:4])), list(true, between), "a cursor between two conversations, newest first")
	other := f.createAt(f.visitor().ID, all[1].CreatedAt.Add(time.Millisecond))
	assert.Equal(t, ids(all[2:]), list(false, other.Cursor()), "a cursor of a conversation the filter does not match")

	// Changes between pages move nothing: the listing continues from the
	// same place, a conversation that stops matching drops out, and one
	// created at the newest end is before a newest-first cursor.
	page := f.listConversations(chat.ConversationFilter{VisitorID: v.ID, Statuses: []chat.Status{chat.StatusQueued}, Newest: true, Limit: 2})
	require.Equal(t, ids(reversed(all)[:2]), ids(page))
	closed := page[1]
	closed.Status = chat.StatusClosed
	_, err := f.s.UpdateConversation(f.ctx, closed)
	require.NoError(t, err)
	dropped := all[1]
	dropped.Status = chat.StatusOpen
	_, err = f.s.UpdateConversation(f.ctx, dropped)
	require.NoError(t, err)
	f.createAt(v.ID, base.Add(time.Hour))
	got := f.listConversations(chat.ConversationFilter{VisitorID: v.ID, Statuses: []chat.Status{chat.StatusQueued}, Newest: true, After: page[1].Cursor()})
	assert.Equal(t, ids([]chat.ConversationInfo{all[3], all[2], all[0]}), ids(got), "the next page after changes")
}
