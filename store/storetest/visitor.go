package storetest

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func visitorCases() []testCase {
	return []testCase{
		{"RoundTrip", testVisitorRoundTrip},
		{"Replace", testVisitorReplace},
		{"NotFound", testVisitorNotFound},
		{"TimeZone", testVisitorTimeZone},
	}
}

// requireVisitor reads the visitor and compares every field.
func (f *fixture) requireVisitor(want chat.Visitor, msg string) {
	f.t.Helper()
	got, err := f.s.Visitor(f.ctx, want.ID)
	require.NoError(f.t, err, "Visitor: %s", msg)
	assertUTC(f.t, "Visitor", got.CreatedAt, got.LastSeenAt)
	require.Equal(f.t, want, got, msg)
}

func testVisitorRoundTrip(t *testing.T, f *fixture) {
	v := f.visitor()
	f.requireVisitor(v, "Visitor returns every field as stored, times in UTC to the microsecond")

	// An anonymous visitor: only the required fields.
	anon := f.putVisitor(chat.Visitor{ID: uuid.New(), CreatedAt: westTime()})
	f.requireVisitor(anon, "an anonymous visitor round-trips with empty fields")
}

func testVisitorReplace(t *testing.T, f *fixture) {
	v := f.visitor()
	changed := chat.Visitor{
		ID:         v.ID,
		Name:       "Aino Virtanen",
		Email:      "aino@example.fi",
		Locale:     "fi-FI",
		TimeZone:   "",
		CustomerID: "",
		CreatedAt:  westTime(),
		LastSeenAt: baseTime(),
	}
	changed = f.putVisitor(changed)
	f.requireVisitor(changed, "PutVisitor with a known ID replaces every field, emptied ones included")

	other := f.visitor()
	f.requireVisitor(other, "replacing one visitor leaves others alone")
	f.requireVisitor(changed, "storing another visitor leaves this one alone")
}

func testVisitorNotFound(t *testing.T, f *fixture) {
	_, err := f.s.Visitor(f.ctx, uuid.New())
	require.ErrorIs(t, err, chat.ErrNotFound, "Visitor of an unknown id")
}

func testVisitorTimeZone(t *testing.T, f *fixture) {
	v := f.visitor()
	require.NotEmpty(t, v.TimeZone, "the fixture has a time zone")
	f.requireVisitor(v, "the time zone round-trips")
	v.TimeZone = "America/Argentina/ComodRivadavia"
	v = f.putVisitor(v)
	f.requireVisitor(v, "PutVisitor replaces the time zone")
	v.TimeZone = ""
	v = f.putVisitor(v)
	f.requireVisitor(v, "PutVisitor empties the time zone")
}
