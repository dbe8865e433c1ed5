package chat_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// readCounter counts the conversation reads made through it.
type readCounter struct {
	chat.Store
	reads atomic.Int64
}

func (s *readCounter) Conversation(ctx context.Context, id uuid.UUID) (chat.ConversationInfo, error) {
	s.reads.Add(1)
	return s.Store.Conversation(ctx, id)
}

// lossyBroker is a LocalBroker that drops the events it is told to.
type lossyBroker struct {
	chat.LocalBroker
	drop atomic.Bool
}

func (b *lossyBroker) Publish(ctx context.Context, e chat.Event) error {
	if b.drop.Load() {
		return nil
	}
	return b.LocalBroker.Publish(ctx, e)
}

// twoDesks is two Desks, as on two instances, sharing a store and a
// broker; b reads the store through a counter.
type twoDesks struct {
	a, b   fixture
	bStore *readCounter
	broker *lossyBroker
}

func setupTwoDesks(t *testing.T, clock func() time.Time, ttl time.Duration) twoDesks {
	t.Helper()
	store := memory.New()
	broker := &lossyBroker{}
	counter := &readCounter{Store: store}
	a := setup(t, chat.Config{Store: store, Broker: broker, Now: clock})
	b := setup(t, chat.Config{Store: counter, Broker: broker, Now: clock, ConversationCacheTTL: ttl})
	return twoDesks{a: a, b: b, bStore: counter, broker: broker}
}

func (d twoDesks) say(t *testing.T, desk *chat.Desk, c chat.ConversationInfo, body string) error {
	t.Helper()
	h, err := desk.Conversation(t.Context(), c.ID)
	if err != nil {
		return err
	}
	_, err = h.Post(t.Context(), chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: c.VisitorID.String()}, Body: body})
	return err
}

// closeUnheard closes c on desk A while the broker drops events, so that
// desk B never hears of the close.
func (d twoDesks) closeUnheard(t *testing.T, c chat.ConversationInfo) {
	t.Helper()
	d.broker.drop.Store(true)
	defer d.broker.drop.Store(false)
	h, err := d.a.desk.Conversation(t.Context(), c.ID)
	require.NoError(t, err)
	_, err = h.Close(t.Context())
	require.NoError(t, err)
}

func TestCloseOnOneDeskRefusesMessagesOnAnother(t *testing.T) {
	t.Parallel()
	d := setupTwoDesks(t, nil, 0)
	c := d.a.start(t, chat.StartRequest{})
	require.NoError(t, d.say(t, d.b.desk, c, "Is the blue bike in stock?"))
	require.NoError(t, d.say(t, d.b.desk, c, "In a size M?"))
	reads := d.bStore.reads.Load()

	h, err := d.a.desk.Conversation(t.Context(), c.ID)
	require.NoError(t, err)
	_, err = h.Close(t.Context())
	require.NoError(t, err)

	assert.ErrorIs(t, d.say(t, d.b.desk, c, "Hello?"), chat.ErrClosed)
	assert.Equal(t, reads, d.bStore.reads.Load(), "desk B knew of the close without reading the conversation")
	ms, err := d.a.store.Messages(t.Context(), c.ID, chat.MessageQuery{})
	require.NoError(t, err)
	last := ms[len(ms)-1]
	assert.Equal(t, "In a size M?", last.Body, "nothing is stored after the close")
}

func TestLostCloseIsSeenWithinTheCacheTTL(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	const ttl = time.Second // shorter than the default, so the setting counts
	d := setupTwoDesks(t, clock, ttl)
	c := d.a.start(t, chat.StartRequest{})
	require.NoError(t, d.say(t, d.b.desk, c, "Is the blue bike in stock?"))

	d.closeUnheard(t, c)
	assert.ErrorIs(t, d.say(t, d.a.desk, c, "Hello?"), chat.ErrClosed, "the desk that closed it knows at once")

	mu.Lock()
	now = now.Add(ttl)
	mu.Unlock()
	assert.ErrorIs(t, d.say(t, d.b.desk, c, "Hello?"), chat.ErrClosed, "desk B reads the conversation again once its entry is old")
}

func TestConversationCacheConfigIsChecked(t *testing.T) {
	t.Parallel()
	_, err := chat.NewDesk(chat.Config{Store: memory.New(), ConversationCacheSize: -1})
	assert.ErrorIs(t, err, chat.ErrInvalid)
	assert.ErrorContains(t, err, "ConversationCacheSize")
	_, err = chat.NewDesk(chat.Config{Store: memory.New(), ConversationCacheTTL: -time.Second})
	assert.ErrorIs(t, err, chat.ErrInvalid)
}

func TestConversationCacheIsBounded(t *testing.T) {
	t.Parallel()
	counter := &readCounter{Store: memory.New()}
	f := setup(t, chat.Config{Store: counter, ConversationCacheSize: 2})
	var cs []chat.ConversationInfo
	for range 3 {
		cs = append(cs, f.start(t, chat.StartRequest{}))
	}
	// The third conversation pushed the first out; the two newest stay.
	reads := counter.reads.Load()
	_, _, err := f.desk.Lookup(t.Context(), cs[2].ID)
	require.NoError(t, err)
	_, _, err = f.desk.Lookup(t.Context(), cs[1].ID)
	require.NoError(t, err)
	assert.Equal(t, reads, counter.reads.Load(), "the newest two are cached")
	_, info, err := f.desk.Lookup(t.Context(), cs[0].ID)
	require.NoError(t, err)
	assert.Equal(t, cs[0].ID, info.ID)
	assert.Equal(t, reads+1, counter.reads.Load(), "the oldest was dropped and is read again")
}
