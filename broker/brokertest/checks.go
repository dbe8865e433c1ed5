package brokertest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// The checks below need what only a broker's own package can set up: two
// configurations that should not hear each other, raw bytes put on the
// network, a reconnection callback. Each broker package calls them from
// its tests.

// CheckApart checks that brokers a and b, configured apart as two shops
// sharing one server are (different prefixes, say), do not hear each
// other.
func CheckApart(t *testing.T, a, b chat.Broker) {
	t.Helper()
	key := chat.NewID()
	fromA, fromB := listen(t, a, key), listen(t, b, key)
	require.NoError(t, a.Publish(t.Context(), chat.Event{Type: chat.EventRead, ConversationID: key, Seq: 1}))
	require.NoError(t, b.Publish(t.Context(), chat.Event{Type: chat.EventRead, ConversationID: key, Seq: 2}))
	// The fences go out after both events: were the two on one channel,
	// the other's event would arrive before a broker's own fence.
	require.NoError(t, a.Publish(t.Context(), chat.Event{Type: chat.EventRead, ConversationID: key, Seq: fenceSeq}))
	require.NoError(t, b.Publish(t.Context(), chat.Event{Type: chat.EventRead, ConversationID: key, Seq: fenceSeq}))
	assert.Equal(t, []int64{1, fenceSeq}, seqs(fromA.waitSeq(t, fenceSeq)), "a hears its own events and none of b's")
	assert.Equal(t, []int64{2, fenceSeq}, seqs(fromB.waitSeq(t, fenceSeq)), "b hears its own events and none of a's")
}

// CheckUnreadable checks that b drops, and logs into logs, an envelope of
// a later version and bytes that are no envelope, both put on its network
// by publishRaw as another process could, and delivers the next event.
func CheckUnreadable(t *testing.T, b chat.Broker, logs *LogBuffer, publishRaw func(data []byte) error) {
	t.Helper()
	key := chat.NewID()
	r := listen(t, b, key)
	require.NoError(t, publishRaw([]byte(`{"v":2,"event":{"type":"read","conversation_id":"`+key.String()+`","seq":1}}`)))
	require.NoError(t, publishRaw([]byte(`not an envelope`)))
	require.NoError(t, b.Publish(t.Context(), chat.Event{Type: chat.EventRead, ConversationID: key, Seq: 3}))
	assert.Equal(t, []int64{3}, seqs(r.waitSeq(t, 3)), "only the event that can be read is delivered")
	assert.Equal(t, 2, strings.Count(logs.String(), "dropping an event that cannot be decoded"), "both are logged:\n%s", logs.String())
	assert.Contains(t, logs.String(), "unknown envelope version 2")
}

// CheckReconnectHook cuts b's connection and restores it, and checks that
// b signals reconnected (from its reconnection callback) and that an
// event other publishes after the signal reaches b's subscriber.
func CheckReconnectHook(t *testing.T, b, other chat.Broker, cut func() (restore func()), reconnected <-chan struct{}) {
	t.Helper()
	key := chat.NewID()
	r := listen(t, b, key)
	cut()()
	select {
	case <-reconnected:
	case <-time.After(Wait):
		t.Fatal("the reconnection callback was not called after the connection came back")
	}
	require.NoError(t, other.Publish(t.Context(), chat.Event{Type: chat.EventRead, ConversationID: key, Seq: 1}))
	r.waitSeq(t, 1)
}

// CheckSilentLoss stalls b's connection (stall lets no byte through and
// closes nothing, as a network that drops packets) and checks that b
// notices the silence by itself, which noticed reports (from b's logs,
// say), and that once bytes pass again b reconnects, signalling
// reconnected, and an event other publishes then reaches b's subscriber.
func CheckSilentLoss(t *testing.T, b, other chat.Broker, stall func() (restore func()), noticed func() bool, reconnected <-chan struct{}) {
	t.Helper()
	key := chat.NewID()
	r := listen(t, b, key)
	restore := stall()
	restored := false
	t.Cleanup(func() {
		if !restored {
			restore()
		}
	})
	eventually(t, "the broker to notice that its connection went silent", noticed)
	restore()
	restored = true
	select {
	case <-reconnected:
	case <-time.After(Wait):
		t.Fatal("the reconnection callback was not called after the connection came back")
	}
	require.NoError(t, other.Publish(t.Context(), chat.Event{Type: chat.EventRead, ConversationID: key, Seq: 1}))
	r.waitSeq(t, 1)
}

// listen subscribes a recorder of the events about key to b until the
// test ends.
func listen(t *testing.T, b chat.Broker, key uuid.UUID) *recorder {
	t.Helper()
	r := newRecorder(key)
	stop, err := b.Subscribe(t.Context(), r.deliver)
	require.NoError(t, err, "Subscribe")
	t.Cleanup(stop)
	return r
}
