package storetest

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func replyCases() []testCase {
	return []testCase{
		{"ScheduleOncePerConversation", testReplySchedule},
		{"Due", testReplyDue},
		{"TakeOnce", testReplyTake},
		{"Cancel", testReplyCancel},
		{"Invalid", testReplyInvalid},
		{"DoneContext", testReplyDoneContext},
	}
}

// notice returns a fresh notice due at due. Notices need no stored
// conversation or visitor.
func notice(due time.Time) chat.ReplyNotice {
	return chat.ReplyNotice{ConversationID: uuid.New(), VisitorID: uuid.New(), After: 3, Due: due}
}

// stored returns n as the store returns it.
func stored(n chat.ReplyNotice) chat.ReplyNotice {
	n.Due = chat.Timestamp(n.Due)
	return n
}

// schedule calls ScheduleReplyNotice and fails the test on an error.
func (f *fixture) schedule(n chat.ReplyNotice) bool {
	f.t.Helper()
	ok, err := f.s.ScheduleReplyNotice(f.ctx, n)
	require.NoError(f.t, err, "ScheduleReplyNotice")
	return ok
}

// due lists the notices among mine that are due at at, in the store's
// order. Other cases may share the store, so their notices are left out.
func (f *fixture) due(at time.Time, mine ...chat.ReplyNotice) []chat.ReplyNotice {
	f.t.Helper()
	got, err := f.s.DueReplyNotices(f.ctx, at, chat.MaxPageSize)
	require.NoError(f.t, err, "DueReplyNotices")
	out := []chat.ReplyNotice{}
	for _, n := range got {
		if slices.ContainsFunc(mine, func(m chat.ReplyNotice) bool { return m.ConversationID == n.ConversationID }) {
			out = append(out, n)
		}
	}
	return out
}

func testReplySchedule(t *testing.T, f *fixture) {
	t0 := baseTime()
	n := notice(t0)
	assert.True(t, f.schedule(n))
	again := n
	again.After, again.Due = 7, t0.Add(time.Hour)
	assert.False(t, f.schedule(again), "a conversation has one notice waiting")
	assert.Equal(t, []chat.ReplyNotice{stored(n)}, f.due(t0, n), "the first is kept")
}

func testReplyDue(t *testing.T, f *fixture) {
	t0 := baseTime()
	late := notice(t0.Add(time.Minute))
	early := notice(t0.Add(time.Second).Add(123 * time.Microsecond).In(time.FixedZone("east", 3*3600)))
	same := notice(t0.Add(time.Minute))
	for _, n := range []chat.ReplyNotice{late, early, same} {
		require.True(t, f.schedule(n))
	}
	all := []chat.ReplyNotice{late, early, same}
	assert.Empty(t, f.due(t0, all...), "nothing due yet")
	got := f.due(t0.Add(time.Second).Add(123*time.Microsecond), all...)
	require.Len(t, got, 1, "due at its time")
	assert.Equal(t, early.ConversationID, got[0].ConversationID)
	assert.Equal(t, stored(early), got[0], "Due is kept to the microsecond")
	assert.Equal(t, time.UTC, got[0].Due.Location(), "and returned in UTC")

	got = f.due(t0.Add(time.Hour), all...)
	require.Len(t, got, 3)
	assert.Equal(t, early.ConversationID, got[0].ConversationID, "by Due")
	first, second := late, same
	if bytes.Compare(first.ConversationID[:], second.ConversationID[:]) > 0 {
		first, second = second, first
	}
	assert.Equal(t, []uuid.UUID{first.ConversationID, second.ConversationID}, []uuid.UUID{got[1].ConversationID, got[2].ConversationID},
		"then by conversation id")

	page, err := f.s.DueReplyNotices(f.ctx, t0.Add(time.Hour), 1)
	require.NoError(t, err)
	assert.Len(t, page, 1, "the limit caps the result")
}

func testReplyTake(t *testing.T, f *fixture) {
	t0 := baseTime()
	n := notice(t0)
	require.True(t, f.schedule(n))
	stale := n
	stale.After = 1
	taken, err := f.s.TakeReplyNotice(f.ctx, stale)
	require.NoError(t, err)
	assert.False(t, taken, "a notice with another After is not the one waiting")

	const takers = 4
	var mu sync.Mutex
	won := 0
	var wg sync.WaitGroup
	for range takers {
		wg.Go(func() {
			ok, err := f.s.TakeReplyNotice(f.ctx, n)
			assert.NoError(t, err)
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, won, "one taker gets the notice")
	assert.Empty(t, f.due(t0, n), "a taken notice is gone")
	assert.True(t, f.schedule(n), "and its conversation may have another")
}

func testReplyCancel(t *testing.T, f *fixture) {
	t0 := baseTime()
	a1, other := notice(t0), notice(t0)
	a2 := notice(t0)
	a2.VisitorID = a1.VisitorID
	for _, n := range []chat.ReplyNotice{a1, a2, other} {
		require.True(t, f.schedule(n))
	}
	require.NoError(t, f.s.CancelReplyNotices(f.ctx, a1.VisitorID))
	assert.Equal(t, []chat.ReplyNotice{stored(other)}, f.due(t0, a1, a2, other), "the visitor's notices are gone, others stay")
	require.NoError(t, f.s.CancelReplyNotices(f.ctx, uuid.New()), "nothing to cancel is not an error")
}

func testReplyInvalid(t *testing.T, f *fixture) {
	t0 := baseTime()
	n := notice(t0)
	noConv, noVisitor, negative, noDue := n, n, n, n
	noConv.ConversationID = uuid.Nil
	noVisitor.VisitorID = uuid.Nil
	negative.After = -1
	noDue.Due = time.Time{}
	for name, err := range map[string]error{
		"schedule without conversation": second(f.s.ScheduleReplyNotice(f.ctx, noConv)),
		"schedule without visitor":      second(f.s.ScheduleReplyNotice(f.ctx, noVisitor)),
		"schedule a negative After":     second(f.s.ScheduleReplyNotice(f.ctx, negative)),
		"schedule without Due":          second(f.s.ScheduleReplyNotice(f.ctx, noDue)),
		"take without conversation":     second(f.s.TakeReplyNotice(f.ctx, noConv)),
		"due at the zero time":          second(f.s.DueReplyNotices(f.ctx, time.Time{}, 1)),
		"due with negative limit":       second(f.s.DueReplyNotices(f.ctx, t0, -1)),
		"due over MaxPageSize":          second(f.s.DueReplyNotices(f.ctx, t0, chat.MaxPageSize+1)),
		"cancel without visitor":        f.s.CancelReplyNotices(f.ctx, uuid.Nil),
	} {
		assert.ErrorIs(t, err, chat.ErrInvalid, name)
	}
	assert.Empty(t, f.due(t0.Add(time.Hour), n, noVisitor, negative), "a rejected notice is not stored")
}

func testReplyDoneContext(t *testing.T, f *fixture) {
	t0 := baseTime()
	n := notice(t0)
	for _, done := range []context.Context{canceled(), expired()} {
		want := done.Err()
		assert.ErrorIs(t, second(f.s.ScheduleReplyNotice(done, n)), want, "ScheduleReplyNotice")
		assert.ErrorIs(t, second(f.s.DueReplyNotices(done, t0, 1)), want, "DueReplyNotices")
		assert.ErrorIs(t, second(f.s.TakeReplyNotice(done, n)), want, "TakeReplyNotice")
		assert.ErrorIs(t, f.s.CancelReplyNotices(done, n.VisitorID), want, "CancelReplyNotices")
	}
	assert.Empty(t, f.due(t0, n), "a done context stores no notice")
}
