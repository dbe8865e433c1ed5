package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func emailCases() []testCase {
	return []testCase{
		{"CountPerVisitor", testCountPerVisitor},
		{"CountPerAddress", testCountPerAddress},
		{"CountRefusedRecordsNothing", testCountRefusedRecordsNothing},
		{"CountConcurrent", testCountConcurrent},
		{"Prove", testProveEmail},
		{"ConfirmRoundTrip", testConfirmRoundTrip},
		{"ConfirmOnce", testConfirmOnce},
		{"ConfirmExpired", testConfirmExpired},
		{"ConfirmationDuplicate", testConfirmationDuplicate},
		{"Suppress", testSuppress},
		{"EmailInvalid", testEmailInvalid},
	}
}

// The email cases count on one day, baseTime's: a store may forget the
// counts of a day once a later one is counted.

// newAddress returns an address no other case uses.
func newAddress() string { return "a-" + uuid.NewString() + "@example.com" }

// newTokenHash returns a fresh token hash.
func newTokenHash() string {
	h := sha256.Sum256([]byte(uuid.NewString()))
	return hex.EncodeToString(h[:])
}

func (f *fixture) count(visitor uuid.UUID, address string, limits chat.EmailLimits) error {
	f.t.Helper()
	err := f.s.CountEmail(f.ctx, visitor, address, baseTime(), limits)
	if err != nil {
		require.ErrorIs(f.t, err, chat.ErrEmailLimit, "CountEmail fails only with ErrEmailLimit")
	}
	return err
}

func testCountPerVisitor(t *testing.T, f *fixture) {
	limits := chat.EmailLimits{PerVisitor: 2, PerAddress: 100}
	v := chat.NewID()
	require.NoError(t, f.count(v, newAddress(), limits))
	require.NoError(t, f.count(v, newAddress(), limits))
	require.ErrorIs(t, f.count(v, newAddress(), limits), chat.ErrEmailLimit, "the third email of a visitor with a limit of 2")
	require.NoError(t, f.count(chat.NewID(), newAddress(), limits), "another visitor has a count of their own")
}

func testCountPerAddress(t *testing.T, f *fixture) {
	limits := chat.EmailLimits{PerVisitor: 100, PerAddress: 2}
	a := newAddress()
	require.NoError(t, f.count(chat.NewID(), a, limits))
	require.NoError(t, f.count(chat.NewID(), a, limits))
	require.ErrorIs(t, f.count(chat.NewID(), a, limits), chat.ErrEmailLimit, "the third email to an address with a limit of 2")
	require.NoError(t, f.count(chat.NewID(), newAddress(), limits), "another address has a count of its own")
}

func testCountRefusedRecordsNothing(t *testing.T, f *fixture) {
	limits := chat.EmailLimits{PerVisitor: 1, PerAddress: 2}
	v, a := chat.NewID(), newAddress()
	require.NoError(t, f.count(v, newAddress(), limits))
	require.ErrorIs(t, f.count(v, a, limits), chat.ErrEmailLimit, "the visitor is over the limit")
	require.NoError(t, f.count(chat.NewID(), a, limits))
	require.NoError(t, f.count(chat.NewID(), a, limits), "the refused email was not counted for the address")
	require.ErrorIs(t, f.count(chat.NewID(), a, limits), chat.ErrEmailLimit)
}

func testCountConcurrent(t *testing.T, f *fixture) {
	const tries, limit = 20, 5
	limits := chat.EmailLimits{PerVisitor: 100, PerAddress: limit}
	a := newAddress()
	counted := succeeded(t, tries, chat.ErrEmailLimit, func() error {
		return f.s.CountEmail(f.ctx, chat.NewID(), a, baseTime(), limits)
	})
	assert.Equal(t, limit, counted, "of %d concurrent emails to one address, exactly the limit are counted", tries)
}

// succeeded runs try n times at once and returns how many succeeded. A
// failure other than refusal fails the test.
func succeeded(t *testing.T, n int, refusal error, try func() error) int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range n {
		wg.Go(func() {
			err := try()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, refusal):
				t.Errorf("%v", err)
			}
		})
	}
	wg.Wait()
	return ok
}

func (f *fixture) proven(v uuid.UUID, address string) bool {
	f.t.Helper()
	ok, err := f.s.EmailProven(f.ctx, v, address)
	require.NoError(f.t, err, "EmailProven")
	return ok
}

func testProveEmail(t *testing.T, f *fixture) {
	v, a := chat.NewID(), newAddress()
	require.False(t, f.proven(v, a), "nothing is proven at first")
	require.NoError(t, f.s.ProveEmail(f.ctx, v, a, baseTime()))
	require.True(t, f.proven(v, a))
	require.NoError(t, f.s.ProveEmail(f.ctx, v, a, westTime()), "proving again is fine")
	require.True(t, f.proven(v, a))
	assert.False(t, f.proven(chat.NewID(), a), "another visitor has not proven it")
	assert.False(t, f.proven(v, newAddress()), "another address is not proven")
}

func newConfirmation() chat.EmailConfirmation {
	return chat.EmailConfirmation{TokenHash: newTokenHash(), VisitorID: chat.NewID(), Address: newAddress(),
		ConversationID: chat.NewID(), ExpiresAt: baseTime().Add(time.Hour)}
}

func testConfirmRoundTrip(t *testing.T, f *fixture) {
	for _, c := range []chat.EmailConfirmation{newConfirmation(), func() chat.EmailConfirmation {
		c := newConfirmation()
		c.ConversationID = uuid.Nil // nothing waits
		return c
	}()} {
		require.NoError(t, f.s.AddEmailConfirmation(f.ctx, c))
		require.False(t, f.proven(c.VisitorID, c.Address), "a pending confirmation proves nothing")
		got, err := f.s.ConfirmEmail(f.ctx, c.TokenHash, baseTime())
		require.NoError(t, err)
		assertUTC(t, "ConfirmEmail", got.ExpiresAt)
		want := c
		want.ExpiresAt = chat.Timestamp(c.ExpiresAt)
		require.Equal(t, want, got, "ConfirmEmail returns the confirmation as added")
		require.True(t, f.proven(c.VisitorID, c.Address), "a confirmed address is proven for its visitor")
	}
}

func testConfirmOnce(t *testing.T, f *fixture) {
	c := newConfirmation()
	require.NoError(t, f.s.AddEmailConfirmation(f.ctx, c))
	won := succeeded(t, 8, chat.ErrNotFound, func() error {
		_, err := f.s.ConfirmEmail(f.ctx, c.TokenHash, baseTime())
		return err
	})
	assert.Equal(t, 1, won, "a confirmation is taken once")
	_, err := f.s.ConfirmEmail(f.ctx, c.TokenHash, baseTime())
	require.ErrorIs(t, err, chat.ErrNotFound, "a used confirmation")
	_, err = f.s.ConfirmEmail(f.ctx, newTokenHash(), baseTime())
	require.ErrorIs(t, err, chat.ErrNotFound, "an unknown confirmation")
}

func testConfirmExpired(t *testing.T, f *fixture) {
	c := newConfirmation()
	require.NoError(t, f.s.AddEmailConfirmation(f.ctx, c))
	_, err := f.s.ConfirmEmail(f.ctx, c.TokenHash, c.ExpiresAt)
	require.ErrorIs(t, err, chat.ErrNotFound, "a confirmation at its expiry")
	require.False(t, f.proven(c.VisitorID, c.Address), "an expired confirmation proves nothing")
}

func testConfirmationDuplicate(t *testing.T, f *fixture) {
	c := newConfirmation()
	require.NoError(t, f.s.AddEmailConfirmation(f.ctx, c))
	other := newConfirmation()
	other.TokenHash = c.TokenHash
	require.ErrorIs(t, f.s.AddEmailConfirmation(f.ctx, other), chat.ErrConflict)
	got, err := f.s.ConfirmEmail(f.ctx, c.TokenHash, baseTime())
	require.NoError(t, err)
	require.Equal(t, c.Address, got.Address, "the duplicate changed nothing")
}

func testSuppress(t *testing.T, f *fixture) {
	a := newAddress()
	_, err := f.s.EmailSuppression(f.ctx, a)
	require.ErrorIs(t, err, chat.ErrNotFound, "an address not on the list")
	require.ErrorIs(t, f.s.UnsuppressEmail(f.ctx, a), chat.ErrNotFound, "unsuppressing an address not on the list")

	sup := chat.EmailSuppression{Address: a, Reason: chat.SuppressBounce, At: westTime()}
	require.NoError(t, f.s.SuppressEmail(f.ctx, sup))
	got, err := f.s.EmailSuppression(f.ctx, a)
	require.NoError(t, err)
	assertUTC(t, "EmailSuppression", got.At)
	sup.At = chat.Timestamp(sup.At)
	require.Equal(t, sup, got)

	sup = chat.EmailSuppression{Address: a, Reason: chat.SuppressComplaint, At: baseTime()}
	require.NoError(t, f.s.SuppressEmail(f.ctx, sup), "suppressing again replaces the entry")
	got, err = f.s.EmailSuppression(f.ctx, a)
	require.NoError(t, err)
	sup.At = chat.Timestamp(sup.At)
	require.Equal(t, sup, got)
	_, err = f.s.EmailSuppression(f.ctx, newAddress())
	require.ErrorIs(t, err, chat.ErrNotFound, "other addresses are not suppressed")

	require.NoError(t, f.s.UnsuppressEmail(f.ctx, a))
	_, err = f.s.EmailSuppression(f.ctx, a)
	require.ErrorIs(t, err, chat.ErrNotFound, "an unsuppressed address")
}

func testEmailInvalid(t *testing.T, f *fixture) {
	ok := chat.EmailLimits{PerVisitor: 1, PerAddress: 1}
	for name, err := range map[string]error{
		"CountEmail empty address": f.s.CountEmail(f.ctx, chat.NewID(), "", baseTime(), ok),
		"CountEmail nil visitor":   f.s.CountEmail(f.ctx, uuid.Nil, newAddress(), baseTime(), ok),
		"CountEmail zero limit":    f.s.CountEmail(f.ctx, chat.NewID(), newAddress(), baseTime(), chat.EmailLimits{PerVisitor: 1}),
		"ProveEmail empty address": f.s.ProveEmail(f.ctx, chat.NewID(), "", baseTime()),
		"ProveEmail NUL":           f.s.ProveEmail(f.ctx, chat.NewID(), "a\x00@example.com", baseTime()),
		"AddEmailConfirmation bad hash": f.s.AddEmailConfirmation(f.ctx, func() chat.EmailConfirmation {
			c := newConfirmation()
			c.TokenHash = "token"
			return c
		}()),
		"SuppressEmail unknown reason": f.s.SuppressEmail(f.ctx, chat.EmailSuppression{Address: newAddress(), Reason: "dislike", At: baseTime()}),
		"UnsuppressEmail empty":        f.s.UnsuppressEmail(f.ctx, ""),
	} {
		assert.ErrorIs(t, err, chat.ErrInvalid, name)
	}
	_, err := f.s.EmailProven(f.ctx, chat.NewID(), "")
	assert.ErrorIs(t, err, chat.ErrInvalid, "EmailProven empty address")
	_, err = f.s.EmailSuppression(f.ctx, "")
	assert.ErrorIs(t, err, chat.ErrInvalid, "EmailSuppression empty address")
}
