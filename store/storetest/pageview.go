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

func pageViewCases() []testCase {
	return []testCase{
		{"RoundTrip", testPageViewRoundTrip},
		{"NewestInOrder", testPageViewsNewest},
		{"DefaultLimit", testPageViewsDefaultLimit},
		{"UnknownVisitor", testPageViewsUnknownVisitor},
		{"Duplicate", testPageViewDuplicate},
	}
}

// addPageView stores p and returns it as the store should return it.
func (f *fixture) addPageView(p chat.PageView) chat.PageView {
	f.t.Helper()
	require.NoError(f.t, f.s.AddPageView(f.ctx, p), "AddPageView")
	return wantPageView(p)
}

// pageViews reads a visitor's page views.
func (f *fixture) pageViews(visitorID uuid.UUID, limit int) []chat.PageView {
	f.t.Helper()
	got, err := f.s.PageViews(f.ctx, visitorID, limit)
	require.NoError(f.t, err, "PageViews(limit %d)", limit)
	for _, p := range got {
		assertUTC(f.t, "PageViews", p.At)
	}
	return got
}

func testPageViewRoundTrip(t *testing.T, f *fixture) {
	v := f.visitor()
	full := newPageView(v.ID, westTime())
	bare := chat.PageView{ID: uuid.New(), VisitorID: v.ID, URL: "https://shop.example.com/", At: baseTime()}
	want := []chat.PageView{f.addPageView(full), f.addPageView(bare)}
	slices.SortFunc(want, comparePageViews)
	require.Equal(t, want, f.pageViews(v.ID, 0), "PageViews returns every field, times in UTC to the microsecond")

	other := f.visitor()
	f.addPageView(newPageView(other.ID, baseTime()))
	require.Equal(t, want, f.pageViews(v.ID, 0), "PageViews returns only the visitor's own page views")
}

func testPageViewsNewest(t *testing.T, f *fixture) {
	v := f.visitor()
	base := baseTime()
	// Added out of order; three share an instant once truncated to the
	// microsecond, so only the ID orders them.
	offsets := []time.Duration{
		5 * time.Second,
		time.Second,
		9 * time.Second,
		7*time.Second - 500,
		7 * time.Second,
		7*time.Second - 999,
		3 * time.Second,
		8 * time.Second,
		0,
		2 * time.Second,
	}
	var all []chat.PageView
	for _, d := range offsets {
		all = append(all, f.addPageView(newPageView(v.ID, base.Add(d))))
	}
	slices.SortFunc(all, comparePageViews)

	for _, limit := range []int{1, 4, 6, len(all), len(all) + 1, chat.MaxPageSize} {
		want := all[max(0, len(all)-limit):]
		assert.Equal(t, want, f.pageViews(v.ID, limit),
			"PageViews(limit %d) returns the newest %d in the order opened (by At, then ID)", limit, limit)
	}
}

func testPageViewsDefaultLimit(t *testing.T, f *fixture) {
	v := f.visitor()
	var all []chat.PageView
	for i := range chat.DefaultPageSize + 5 {
		all = append(all, f.addPageView(newPageView(v.ID, baseTime().Add(time.Duration(-i)*time.Minute))))
	}
	slices.SortFunc(all, comparePageViews)
	assert.Equal(t, all[5:], f.pageViews(v.ID, 0), "limit 0 means DefaultPageSize")
}

func testPageViewsUnknownVisitor(t *testing.T, f *fixture) {
	got := f.pageViews(uuid.New(), 0)
	assert.Empty(t, got, "PageViews of an unknown visitor is empty, not an error")

	v := f.visitor()
	got = f.pageViews(v.ID, 10)
	assert.Empty(t, got, "PageViews of a stored visitor with none is empty")
}

func testPageViewDuplicate(t *testing.T, f *fixture) {
	v := f.visitor()
	first := f.addPageView(newPageView(v.ID, baseTime()))

	again := newPageView(v.ID, westTime())
	again.ID = first.ID
	err := f.s.AddPageView(f.ctx, again)
	require.ErrorIs(t, err, chat.ErrConflict, "AddPageView with a used id")

	other := f.visitor()
	elsewhere := newPageView(other.ID, westTime())
	elsewhere.ID = first.ID
	err = f.s.AddPageView(f.ctx, elsewhere)
	require.ErrorIs(t, err, chat.ErrConflict, "AddPageView with an id used by another visitor")

	assert.Equal(t, []chat.PageView{first}, f.pageViews(v.ID, 0), "a rejected duplicate changes nothing")
	assert.Empty(t, f.pageViews(other.ID, 0), "a rejected duplicate stores nothing")
}
