package chat_test

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// TestResyncForgetsTheCache closes a conversation while desk B hears
// nothing from its broker: B keeps the conversation open in memory, with a
// clock that never lets its entry grow old, until Resync makes it read
// the Store again.
func TestResyncForgetsTheCache(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	d := setupTwoDesks(t, clock, 0)
	c := d.a.start(t, chat.StartRequest{})
	require.NoError(t, d.say(t, d.b.desk, c, "Is the blue bike in stock?"))

	d.closeUnheard(t, c)
	_, info, err := d.b.desk.Lookup(t.Context(), c.ID)
	require.NoError(t, err)
	require.NotEqual(t, chat.StatusClosed, info.Status, "desk B missed the close")

	d.b.desk.Resync()
	_, info, err = d.b.desk.Lookup(t.Context(), c.ID)
	require.NoError(t, err)
	assert.Equal(t, chat.StatusClosed, info.Status, "after Resync desk B reads the conversation again")
	assert.ErrorIs(t, d.say(t, d.b.desk, c, "Hello?"), chat.ErrClosed)
}

// TestResyncReadsTheBlocksAgain stores a block that no event announces:
// the Desk applies it after Resync, without waiting for BlockRefresh.
func TestResyncReadsTheBlocksAgain(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	f := setup(t, chat.Config{Now: func() time.Time { return now }})
	v := f.visitor(t)
	require.NoError(t, f.desk.Blocked(t.Context(), v, netip.Addr{}))
	require.NoError(t, f.store.PutBlock(t.Context(), chat.Block{ID: chat.NewID(), VisitorID: v.ID, CreatedAt: now}))
	require.NoError(t, f.desk.Blocked(t.Context(), v, netip.Addr{}), "the block is not known before BlockRefresh")

	f.desk.Resync()
	assert.ErrorIs(t, f.desk.Blocked(t.Context(), v, netip.Addr{}), chat.ErrBlocked)
}

// TestResyncReachesEverySubscription checks that Resync tells each of the
// Desk's subscriptions, whatever its topic, and no other Desk's.
func TestResyncReachesEverySubscription(t *testing.T) {
	t.Parallel()
	d := setupTwoDesks(t, nil, 0)
	c := d.a.start(t, chat.StartRequest{})
	topics := []chat.Topic{chat.TopicAll, chat.ConversationTopic(c.ID), chat.VisitorTopic(c.VisitorID), chat.AgentTopic("ada")}
	var subs []*chat.Subscription
	for _, topic := range topics {
		s, err := d.b.desk.Subscribe(t.Context(), topic)
		require.NoError(t, err)
		subs = append(subs, s)
	}
	other, err := d.a.desk.Subscribe(t.Context(), chat.TopicAll)
	require.NoError(t, err)

	d.b.desk.Resync()
	for i, s := range subs {
		select {
		case e := <-s.Events():
			assert.Equal(t, chat.EventResync, e.Type, topics[i])
		case <-time.After(10 * time.Second):
			t.Fatalf("no event on %s", topics[i])
		}
	}
	// An event published after Resync reaches desk A first: had Resync
	// gone through the broker, A would have heard it before this one.
	require.NoError(t, d.say(t, d.a.desk, c, "Anyone there?"))
	select {
	case e := <-other.Events():
		assert.Equal(t, chat.EventMessage, e.Type, "desk A is not told")
	case <-time.After(10 * time.Second):
		t.Fatal("desk A heard nothing")
	}
}

// TestResyncIsSafeAlongsideReads calls Resync while other goroutines read
// conversations, for the race detector, and after Close.
func TestResyncIsSafeAlongsideReads(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	c := f.start(t, chat.StartRequest{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				_, _, err := f.desk.Lookup(t.Context(), c.ID)
				assert.NoError(t, err)
			}
		})
	}
	for range 50 {
		f.desk.Resync()
	}
	wg.Wait()
	require.NoError(t, f.desk.Close(t.Context()))
	f.desk.Resync()
}
