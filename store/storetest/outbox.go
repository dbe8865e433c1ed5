package storetest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func outboxCases() []testCase {
	return []testCase{
		{"AddClaimFinish", testOutboxAddClaimFinish},
		{"Order", testOutboxOrder},
		{"LeaseExpires", testOutboxLeaseExpires},
		{"Retry", testOutboxRetry},
		{"Conflict", testOutboxConflict},
		{"AtOnce", testOutboxAtOnce},
		{"Invalid", testOutboxInvalid},
		{"DoneContext", testOutboxDoneContext},
	}
}

// outboxOf returns the store's OutboxStore, skipping the case for a store
// without one: the ability is optional.
func outboxOf(t *testing.T, f *fixture) chat.OutboxStore {
	t.Helper()
	o, ok := f.s.(chat.OutboxStore)
	if !ok {
		t.Skip("the store has no chat.OutboxStore")
	}
	return o
}

// outboxSetup returns the store's OutboxStore, a fresh target and the
// time the case starts from.
func outboxSetup(t *testing.T, f *fixture) (chat.OutboxStore, string, time.Time) {
	t.Helper()
	return outboxOf(t, f), "target-" + uuid.NewString(), baseTime()
}

// finish calls FinishOutbox and fails the test on an error.
func finish(t *testing.T, f *fixture, o chat.OutboxStore, id uuid.UUID, holder string) bool {
	t.Helper()
	done, err := o.FinishOutbox(f.ctx, id, holder)
	require.NoError(t, err, "FinishOutbox")
	return done
}

// retry calls RetryOutbox and fails the test on an error.
func retry(t *testing.T, f *fixture, o chat.OutboxStore, id uuid.UUID, holder string, due time.Time, lastError string) bool {
	t.Helper()
	ok, err := o.RetryOutbox(f.ctx, id, holder, due, lastError)
	require.NoError(t, err, "RetryOutbox")
	return ok
}

// outboxItem returns a fresh item of target, created and due at due.
// Items of each case go to a target of their own, so that cases sharing
// a store never claim each other's.
func outboxItem(target string, due time.Time, payload string) chat.OutboxItem {
	return chat.OutboxItem{ID: uuid.New(), Target: target, Payload: []byte(payload), CreatedAt: due, Due: due}
}

// storedItem returns i as the store returns it.
func storedItem(i chat.OutboxItem) chat.OutboxItem {
	i.CreatedAt, i.Due = chat.Timestamp(i.CreatedAt), chat.Timestamp(i.Due)
	return i
}

// claim calls ClaimOutbox and fails the test on an error.
func claim(t *testing.T, f *fixture, o chat.OutboxStore, target, holder string, now, until time.Time) []chat.OutboxItem {
	t.Helper()
	got, err := o.ClaimOutbox(f.ctx, target, holder, now, until, chat.MaxPageSize)
	require.NoError(t, err, "ClaimOutbox")
	for _, i := range got {
		assertUTC(t, "ClaimOutbox", i.CreatedAt, i.Due)
	}
	return got
}

func itemIDs(items []chat.OutboxItem) []uuid.UUID {
	out := []uuid.UUID{}
	for _, i := range items {
		out = append(out, i.ID)
	}
	return out
}

func testOutboxAddClaimFinish(t *testing.T, f *fixture) {
	o := outboxOf(t, f)
	target, other := "target-"+uuid.NewString(), "target-"+uuid.NewString()
	t0 := baseTime()
	// Bytes that are not UTF-8, and a NUL, come back as they went in.
	payload := "{\"x\":\"\xff\x00\"}"
	i := outboxItem(target, t0, payload)
	j := outboxItem(other, t0, "other")
	require.NoError(t, o.AddOutbox(f.ctx, []chat.OutboxItem{i, j}))
	require.NoError(t, o.AddOutbox(f.ctx, nil), "no items does nothing")

	got := claim(t, f, o, target, "holder-1", t0, t0.Add(time.Minute))
	require.Equal(t, []chat.OutboxItem{storedItem(i)}, got, "the item of the target, whole and byte for byte")
	assert.Empty(t, claim(t, f, o, target, "holder-2", t0, t0.Add(time.Minute)), "a leased item is not claimed again")
	assert.Equal(t, []uuid.UUID{j.ID}, itemIDs(claim(t, f, o, other, "holder-2", t0, t0.Add(time.Minute))), "targets are apart")

	assert.False(t, finish(t, f, o, i.ID, "holder-2"), "only the holder finishes an item")
	assert.True(t, finish(t, f, o, i.ID, "holder-1"), "the holder finishes it")
	assert.False(t, finish(t, f, o, i.ID, "holder-1"), "a finished item is gone")
	assert.Empty(t, claim(t, f, o, target, "holder-1", t0.Add(time.Hour), t0.Add(2*time.Hour)), "and never claimed again")
	assert.False(t, finish(t, f, o, uuid.New(), "holder-1"), "an unknown id reports false")
}

func testOutboxOrder(t *testing.T, f *fixture) {
	o, target, t0 := outboxSetup(t, f)
	late := outboxItem(target, t0.Add(time.Minute), "late")
	early := outboxItem(target, t0.Add(time.Second).Add(123*time.Microsecond).In(time.FixedZone("east", 3*3600)), "early")
	same := outboxItem(target, t0.Add(time.Minute), "same")
	require.NoError(t, o.AddOutbox(f.ctx, []chat.OutboxItem{late, early, same}))

	assert.Empty(t, claim(t, f, o, target, "h", t0, t0.Add(time.Second)), "nothing due yet")
	got := claim(t, f, o, target, "h", early.Due, early.Due.Add(time.Second))
	require.Equal(t, []uuid.UUID{early.ID}, itemIDs(got), "due at its time, to the microsecond")
	assert.Equal(t, storedItem(early), got[0])
	require.True(t, finish(t, f, o, early.ID, "h"))

	first, second := late, same
	if strings.Compare(string(first.ID[:]), string(second.ID[:])) > 0 {
		first, second = second, first
	}
	page, err := o.ClaimOutbox(f.ctx, target, "h", t0.Add(time.Hour), t0.Add(2*time.Hour), 1)
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{first.ID}, itemIDs(page), "the limit caps the claim; equal Due goes by id")
	assert.Equal(t, []uuid.UUID{second.ID}, itemIDs(claim(t, f, o, target, "h", t0.Add(time.Hour), t0.Add(2*time.Hour))))
}

func testOutboxLeaseExpires(t *testing.T, f *fixture) {
	o, target, t0 := outboxSetup(t, f)
	i := outboxItem(target, t0, "x")
	require.NoError(t, o.AddOutbox(f.ctx, []chat.OutboxItem{i}))
	require.Len(t, claim(t, f, o, target, "crashed", t0, t0.Add(time.Minute)), 1)
	assert.Empty(t, claim(t, f, o, target, "next", t0.Add(59*time.Second), t0.Add(2*time.Minute)), "the lease is live")
	got := claim(t, f, o, target, "next", t0.Add(time.Minute), t0.Add(2*time.Minute))
	assert.Equal(t, []uuid.UUID{i.ID}, itemIDs(got), "an expired lease is claimed again, as the same delivery")

	assert.False(t, finish(t, f, o, i.ID, "crashed"), "the holder that lost the lease cannot finish it")
	assert.False(t, retry(t, f, o, i.ID, "crashed", t0, "late"), "nor retry it")
	assert.True(t, finish(t, f, o, i.ID, "next"))
}

func testOutboxRetry(t *testing.T, f *fixture) {
	o, target, t0 := outboxSetup(t, f)
	i := outboxItem(target, t0, "x")
	require.NoError(t, o.AddOutbox(f.ctx, []chat.OutboxItem{i}))
	require.Len(t, claim(t, f, o, target, "h", t0, t0.Add(time.Hour)), 1)
	msg := "503 Service Unavailable: żółć"
	assert.True(t, retry(t, f, o, i.ID, "h", t0.Add(10*time.Second), msg))
	assert.Empty(t, claim(t, f, o, target, "h", t0.Add(9*time.Second), t0.Add(time.Hour)), "not before its new Due, though the lease ended")
	got := claim(t, f, o, target, "other", t0.Add(10*time.Second), t0.Add(time.Hour))
	require.Len(t, got, 1, "the retry ended the lease: anyone claims it once due")
	want := storedItem(i)
	want.Attempts, want.LastError, want.Due = 1, msg, chat.Timestamp(t0.Add(10*time.Second))
	assert.Equal(t, want, got[0])
	require.True(t, retry(t, f, o, i.ID, "other", t0.Add(time.Minute), "again"))
	got = claim(t, f, o, target, "h", t0.Add(time.Minute), t0.Add(time.Hour))
	require.Len(t, got, 1)
	assert.Equal(t, 2, got[0].Attempts)
	assert.Equal(t, "again", got[0].LastError)
	assert.False(t, retry(t, f, o, uuid.New(), "h", t0, ""), "an unknown id reports false")
}

func testOutboxConflict(t *testing.T, f *fixture) {
	o, target, t0 := outboxSetup(t, f)
	i := outboxItem(target, t0, "x")
	require.NoError(t, o.AddOutbox(f.ctx, []chat.OutboxItem{i}))
	fresh := outboxItem(target, t0, "fresh")
	assert.ErrorIs(t, o.AddOutbox(f.ctx, []chat.OutboxItem{fresh, i}), chat.ErrConflict, "an id already stored")
	other := outboxItem(target, t0, "other")
	assert.ErrorIs(t, o.AddOutbox(f.ctx, []chat.OutboxItem{other, other}), chat.ErrConflict, "an id given twice")
	assert.Equal(t, []uuid.UUID{i.ID}, itemIDs(claim(t, f, o, target, "h", t0, t0.Add(time.Minute))), "a refused batch stores nothing")
}

// testOutboxAtOnce has holders claim one target's items at once: each item
// goes to exactly one of them.
func testOutboxAtOnce(t *testing.T, f *fixture) {
	o := outboxOf(t, f)
	const holders, items = 4, 12
	target := "target-" + uuid.NewString()
	t0 := baseTime()
	var add []chat.OutboxItem
	for range items {
		add = append(add, outboxItem(target, t0, "x"))
	}
	require.NoError(t, o.AddOutbox(f.ctx, add))
	var mu sync.Mutex
	seen := map[uuid.UUID]int{}
	var wg sync.WaitGroup
	for h := range holders {
		wg.Go(func() {
			for range items {
				got, err := o.ClaimOutbox(f.ctx, target, "holder-"+strings.Repeat("x", h+1), t0, t0.Add(time.Minute), 2)
				if !assert.NoError(t, err) || len(got) == 0 {
					return
				}
				mu.Lock()
				for _, i := range got {
					seen[i.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Len(t, seen, items, "every item is claimed")
	for id, n := range seen {
		assert.Equal(t, 1, n, "item %s claimed once", id)
	}
}

func testOutboxInvalid(t *testing.T, f *fixture) {
	o, target, t0 := outboxSetup(t, f)
	good := outboxItem(target, t0, "x")
	bad := map[string]func(*chat.OutboxItem){
		"no id":            func(i *chat.OutboxItem) { i.ID = uuid.Nil },
		"no target":        func(i *chat.OutboxItem) { i.Target = "" },
		"long target":      func(i *chat.OutboxItem) { i.Target = strings.Repeat("t", chat.MaxIDBytes+1) },
		"empty payload":    func(i *chat.OutboxItem) { i.Payload = nil },
		"large payload":    func(i *chat.OutboxItem) { i.Payload = make([]byte, chat.MaxOutboxPayloadBytes+1) },
		"no due":           func(i *chat.OutboxItem) { i.Due = time.Time{} },
		"no creation time": func(i *chat.OutboxItem) { i.CreatedAt = time.Time{} },
		"negative tries":   func(i *chat.OutboxItem) { i.Attempts = -1 },
		"long error":       func(i *chat.OutboxItem) { i.LastError = strings.Repeat("e", chat.MaxOutboxErrorBytes+1) },
	}
	for name, change := range bad {
		i := outboxItem(target, t0, "x")
		change(&i)
		assert.ErrorIs(t, o.AddOutbox(f.ctx, []chat.OutboxItem{good, i}), chat.ErrInvalid, name)
	}
	for name, err := range map[string]error{
		"claim without target":   second(o.ClaimOutbox(f.ctx, "", "h", t0, t0, 1)),
		"claim without holder":   second(o.ClaimOutbox(f.ctx, target, "", t0, t0, 1)),
		"claim at the zero time": second(o.ClaimOutbox(f.ctx, target, "h", time.Time{}, t0, 1)),
		"claim negative limit":   second(o.ClaimOutbox(f.ctx, target, "h", t0, t0, -1)),
		"claim over MaxPageSize": second(o.ClaimOutbox(f.ctx, target, "h", t0, t0, chat.MaxPageSize+1)),
		"finish without id":      second(o.FinishOutbox(f.ctx, uuid.Nil, "h")),
		"finish without holder":  second(o.FinishOutbox(f.ctx, good.ID, "")),
		"retry without due":      second(o.RetryOutbox(f.ctx, good.ID, "h", time.Time{}, "")),
		"retry with long error":  second(o.RetryOutbox(f.ctx, good.ID, "h", t0, strings.Repeat("e", chat.MaxOutboxErrorBytes+1))),
	} {
		assert.ErrorIs(t, err, chat.ErrInvalid, name)
	}
	assert.Empty(t, claim(t, f, o, target, "h", t0.Add(time.Hour), t0.Add(2*time.Hour)), "a refused batch stores nothing")
}

func testOutboxDoneContext(t *testing.T, f *fixture) {
	o, target, t0 := outboxSetup(t, f)
	i := outboxItem(target, t0, "x")
	for _, done := range []context.Context{canceled(), expired()} {
		want := done.Err()
		assert.ErrorIs(t, o.AddOutbox(done, []chat.OutboxItem{i}), want, "AddOutbox")
		assert.ErrorIs(t, second(o.ClaimOutbox(done, target, "h", t0, t0, 1)), want, "ClaimOutbox")
		assert.ErrorIs(t, second(o.FinishOutbox(done, i.ID, "h")), want, "FinishOutbox")
		assert.ErrorIs(t, second(o.RetryOutbox(done, i.ID, "h", t0, "")), want, "RetryOutbox")
	}
	assert.Empty(t, claim(t, f, o, target, "h", t0, t0.Add(time.Minute)), "a done context stores nothing")
}
