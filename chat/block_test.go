package chat_test

import (
	"context"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// blockReads counts the reads of the blocks from the store it wraps.
type blockReads struct {
	chat.Store
	n atomic.Int64
}

func (s *blockReads) Blocks(ctx context.Context, now time.Time) ([]chat.Block, error) {
	s.n.Add(1)
	return s.Store.Blocks(ctx, now)
}

func TestBlockedAcrossDesks(t *testing.T) {
	shared := memory.New()
	broker := &chat.LocalBroker{}
	clk := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	reads := &blockReads{Store: shared}
	here := setup(t, chat.Config{Store: reads, Broker: broker, Now: clk.Now}).desk
	there := setup(t, chat.Config{Store: shared, Broker: broker, Now: clk.Now}).desk
	ctx := t.Context()
	v := chat.Visitor{ID: chat.NewID(), Email: "Someone@Example.com"}

	require.NoError(t, here.Blocked(ctx, v, netip.Addr{}))
	require.Equal(t, int64(1), reads.n.Load(), "the first check reads the store")

	b, err := there.Block(ctx, chat.Block{Email: "someone@example.com", ExpiresAt: clk.Now().Add(30 * time.Second)})
	require.NoError(t, err)
	require.ErrorIs(t, here.Blocked(ctx, v, netip.Addr{}), chat.ErrBlocked, "a block made on another instance applies here")
	require.NoError(t, there.Unblock(ctx, b.ID))
	require.NoError(t, here.Blocked(ctx, v, netip.Addr{}), "and so does its lifting")
	assert.Equal(t, int64(1), reads.n.Load(), "checks answer from memory")

	_, err = there.Block(ctx, chat.Block{VisitorID: v.ID, ExpiresAt: clk.Now().Add(30 * time.Second)})
	require.NoError(t, err)
	require.ErrorIs(t, here.Blocked(ctx, v, netip.Addr{}), chat.ErrBlocked)
	clk.Advance(30 * time.Second)
	require.NoError(t, here.Blocked(ctx, v, netip.Addr{}), "an expired block stops applying at once")
	assert.Equal(t, int64(1), reads.n.Load())

	clk.Advance(chat.BlockRefresh)
	require.NoError(t, here.Blocked(ctx, v, netip.Addr{}))
	assert.Equal(t, int64(2), reads.n.Load(), "the store is read again after BlockRefresh")
}

func TestBlockMatches(t *testing.T) {
	f := setup(t, chat.Config{})
	ctx := t.Context()
	b, err := f.desk.Block(ctx, chat.Block{Network: netip.MustParsePrefix("::ffff:192.0.2.77/120"), Reason: "flood"})
	require.NoError(t, err)
	assert.Equal(t, netip.MustParsePrefix("192.0.2.0/24"), b.Network, "kept as an IPv4 prefix without host bits")
	v := chat.Visitor{ID: chat.NewID()}
	assert.True(t, b.Matches(v, netip.MustParseAddr("192.0.2.9")))
	assert.True(t, b.Matches(v, netip.MustParseAddr("::ffff:192.0.2.9")), "an IPv4 address seen as IPv6")
	assert.False(t, b.Matches(v, netip.MustParseAddr("192.0.3.9")))
	assert.False(t, b.Matches(v, netip.Addr{}), "an unknown address")
	require.ErrorIs(t, f.desk.Blocked(ctx, v, netip.MustParseAddr("192.0.2.200")), chat.ErrBlocked)

	_, err = f.desk.Block(ctx, chat.Block{Reason: "nothing to match"})
	require.ErrorIs(t, err, chat.ErrInvalid)
	_, err = f.desk.Block(ctx, chat.Block{CustomerID: "c", ExpiresAt: time.Now().Add(-time.Hour)})
	require.ErrorIs(t, err, chat.ErrInvalid, "an expiry in the past")

	list, err := f.desk.Blocks(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, b, list[0])
}
