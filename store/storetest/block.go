package storetest

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func blockCases() []testCase {
	return []testCase{
		{"RoundTrip", testBlockRoundTrip},
		{"Expiry", testBlockExpiry},
		{"Order", testBlockOrder},
		{"Duplicate", testBlockDuplicate},
		{"Delete", testBlockDelete},
		{"Invalid", testBlockInvalid},
		{"Context", testBlockContext},
	}
}

// newBlock is a block of every field, made at baseTime, that never expires.
func newBlock() chat.Block {
	return chat.Block{
		ID:         chat.NewID(),
		VisitorID:  chat.NewID(),
		CustomerID: "cust-Ω-42",
		Email:      "Troll@Example.com",
		Network:    netip.MustParsePrefix("2001:db8:1200::/40"),
		Reason:     "insults agents — again",
		AgentID:    "agent-ü",
		CreatedAt:  baseTime(),
	}
}

// wantBlock is b as a store returns it.
func wantBlock(b chat.Block) chat.Block {
	b.CreatedAt = chat.Timestamp(b.CreatedAt)
	if !b.ExpiresAt.IsZero() {
		b.ExpiresAt = chat.Timestamp(b.ExpiresAt)
	}
	return b
}

// putBlock stores b and returns it as the store should return it.
func (f *fixture) putBlock(b chat.Block) chat.Block {
	f.t.Helper()
	require.NoError(f.t, f.s.PutBlock(f.ctx, b), "PutBlock")
	return wantBlock(b)
}

// blocks returns the blocks in force at now among those with the given
// ids, in the store's order: other cases share the store.
func (f *fixture) blocks(now time.Time, ids ...uuid.UUID) []chat.Block {
	f.t.Helper()
	all, err := f.s.Blocks(f.ctx, now)
	require.NoError(f.t, err, "Blocks")
	out := []chat.Block{}
	for _, b := range all {
		assertUTC(f.t, "Blocks", b.CreatedAt, b.ExpiresAt)
		if slices.Contains(ids, b.ID) {
			out = append(out, b)
		}
	}
	return out
}

func testBlockRoundTrip(t *testing.T, f *fixture) {
	full := newBlock()
	full.CreatedAt = westTime()
	full.ExpiresAt = westTime().Add(90*time.Minute + 123456789*time.Nanosecond)
	v4 := chat.Block{ID: chat.NewID(), Network: netip.MustParsePrefix("192.0.2.0/24"), CreatedAt: baseTime()}
	host := chat.Block{ID: chat.NewID(), Network: netip.MustParsePrefix("198.51.100.7/32"), CreatedAt: baseTime()}
	bare := chat.Block{ID: chat.NewID(), VisitorID: chat.NewID(), CreatedAt: baseTime()}
	email := chat.Block{ID: chat.NewID(), Email: "x@example.org", CreatedAt: baseTime()}
	var want []chat.Block
	for _, b := range []chat.Block{full, v4, host, bare, email} {
		want = append(want, f.putBlock(b))
	}
	slices.SortFunc(want, compareBlocks)
	got := f.blocks(westTime(), full.ID, v4.ID, host.ID, bare.ID, email.ID)
	require.Equal(t, want, got, "Blocks returns every field, times in UTC to the microsecond, unset fields zero")
}

func testBlockExpiry(t *testing.T, f *fixture) {
	at := baseTime()
	soon := newBlock()
	soon.ExpiresAt = at.Add(time.Hour)
	later := newBlock()
	later.ExpiresAt = at.Add(48 * time.Hour)
	never := newBlock()
	ids := []uuid.UUID{soon.ID, later.ID, never.ID}
	soon, later, never = f.putBlock(soon), f.putBlock(later), f.putBlock(never)

	assert.Equal(t, []uuid.UUID{soon.ID, later.ID, never.ID}, blockIDs(f.blocks(at, ids...)), "all three are in force when made")
	assert.Equal(t, []uuid.UUID{soon.ID, later.ID, never.ID}, blockIDs(f.blocks(soon.ExpiresAt.Add(-time.Microsecond), ids...)),
		"a block is in force up to its expiry")
	assert.Equal(t, []uuid.UUID{later.ID, never.ID}, blockIDs(f.blocks(soon.ExpiresAt, ids...)), "a block is not in force from its expiry on")
	assert.Equal(t, []uuid.UUID{never.ID}, blockIDs(f.blocks(at.AddDate(100, 0, 0), ids...)), "a block without expiry is in force for ever")
}

func testBlockOrder(t *testing.T, f *fixture) {
	at := baseTime()
	var want []chat.Block
	var ids []uuid.UUID
	// Made out of order; three share an instant once truncated to the
	// microsecond, so only the ID orders them.
	for _, d := range []time.Duration{3 * time.Second, 0, 200, time.Second, 400} {
		b := chat.Block{ID: chat.NewID(), CustomerID: "order", CreatedAt: at.Add(d)}
		want = append(want, f.putBlock(b))
		ids = append(ids, b.ID)
	}
	slices.SortFunc(want, compareBlocks)
	require.Equal(t, want, f.blocks(at, ids...), "Blocks is ordered by CreatedAt, then ID")
}

func testBlockDuplicate(t *testing.T, f *fixture) {
	b := f.putBlock(newBlock())
	again := newBlock()
	again.ID = b.ID
	err := f.s.PutBlock(f.ctx, again)
	require.ErrorIs(t, err, chat.ErrConflict, "PutBlock with a used id")
	require.Equal(t, []chat.Block{b}, f.blocks(baseTime(), b.ID), "the first block is kept as it was")
}

func testBlockDelete(t *testing.T, f *fixture) {
	keep, gone := f.putBlock(newBlock()), f.putBlock(newBlock())
	expired := newBlock()
	expired.ExpiresAt = baseTime().Add(time.Minute)
	expired = f.putBlock(expired)
	require.NoError(t, f.s.DeleteBlock(f.ctx, gone.ID), "DeleteBlock")
	require.NoError(t, f.s.DeleteBlock(f.ctx, expired.ID), "DeleteBlock of an expired block")
	require.Equal(t, []chat.Block{keep}, f.blocks(baseTime(), keep.ID, gone.ID, expired.ID), "a deleted block is gone")
	require.ErrorIs(t, f.s.DeleteBlock(f.ctx, gone.ID), chat.ErrNotFound, "DeleteBlock of a deleted block")
	require.ErrorIs(t, f.s.DeleteBlock(f.ctx, chat.NewID()), chat.ErrNotFound, "DeleteBlock of an unknown id")
}

func testBlockInvalid(t *testing.T, f *fixture) {
	bad := map[string]func(*chat.Block){
		"no criterion":          func(b *chat.Block) { *b = chat.Block{ID: b.ID, Reason: "x", CreatedAt: b.CreatedAt} },
		"nil id":                func(b *chat.Block) { b.ID = uuid.Nil },
		"no created time":       func(b *chat.Block) { b.CreatedAt = time.Time{} },
		"expiry before created": func(b *chat.Block) { b.ExpiresAt = b.CreatedAt.Add(-time.Second) },
		"expiry after 9999":     func(b *chat.Block) { b.ExpiresAt = after9999() },
		"host bits set":         func(b *chat.Block) { b.Network = netip.MustParsePrefix("10.1.2.3/8") },
		"IPv4 as IPv6":          func(b *chat.Block) { b.Network = netip.MustParsePrefix("::ffff:10.0.0.0/104") },
		"bad email":             func(b *chat.Block) { b.Email = "not an address" },
		"reason too long":       func(b *chat.Block) { b.Reason = string(make([]byte, chat.MaxReasonBytes+1)) },
		"NUL in customer id":    func(b *chat.Block) { b.CustomerID = "a\x00b" },
	}
	for name, change := range bad {
		b := newBlock()
		change(&b)
		err := f.s.PutBlock(f.ctx, b)
		require.ErrorIs(t, err, chat.ErrInvalid, "PutBlock with %s", name)
		if b.ID != uuid.Nil {
			require.Empty(t, f.blocks(baseTime(), b.ID), "PutBlock with %s stored nothing", name)
		}
	}
}

func testBlockContext(t *testing.T, f *fixture) {
	b := newBlock()
	require.ErrorIs(t, f.s.PutBlock(canceled(), b), context.Canceled, "PutBlock with a canceled context")
	require.Empty(t, f.blocks(baseTime(), b.ID), "PutBlock with a canceled context stored nothing")
	b = f.putBlock(b)
	require.ErrorIs(t, f.s.DeleteBlock(canceled(), b.ID), context.Canceled, "DeleteBlock with a canceled context")
	_, err := f.s.Blocks(expired(), baseTime())
	require.ErrorIs(t, err, context.DeadlineExceeded, "Blocks with an expired context")
	require.Equal(t, []chat.Block{b}, f.blocks(baseTime(), b.ID), "the block is still there")
}

func compareBlocks(a, b chat.Block) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return slices.Compare(a.ID[:], b.ID[:])
}

func blockIDs(bs []chat.Block) []uuid.UUID {
	out := []uuid.UUID{}
	for _, b := range bs {
		out = append(out, b.ID)
	}
	return out
}
