package brokertest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func reconnectCases() []testCase {
	return []testCase{
		{"DeliveryResumesAfterLostConnection", testReconnect},
		{"ServerUnreachableAtStart", testDownAtStart},
	}
}

// poll is how often the reconnect case retries while it waits for the
// broker to notice an outage or to come back.
const poll = 50 * time.Millisecond

// testReconnect cuts a broker's connection for real: while it is cut,
// Publish on it fails; once the network is back, the broker reconnects by
// itself, its subscription receives events again and its events reach the
// others, with no call on the broker in between.
func testReconnect(t *testing.T, f *fixture) {
	b, cut := f.caps.NewCuttable(t)
	require.NotNil(t, b, "NewCuttable returned nil")
	other := f.broker()
	cutSub, otherSub := f.subscribe(b), f.subscribe(other)
	f.publish(other, f.event(1))
	cutSub.waitSeq(t, 1)

	restore := cut()
	restored := false
	t.Cleanup(func() {
		if !restored {
			restore()
		}
	})
	eventually(t, "Publish on the cut broker to fail", func() bool {
		ctx, cancel := context.WithTimeout(f.ctx, time.Second)
		defer cancel()
		return b.Publish(ctx, f.event(2)) != nil
	})
	restore()
	restored = true

	// Events published from now on must reach the broker once it is back.
	// Which of them it misses while it reconnects is the broker's own
	// affair; the first that arrives proves delivery resumed.
	seq := int64(1000)
	eventually(t, "the reconnected broker's subscription to receive an event", func() bool {
		seq++
		f.publish(other, f.event(seq))
		for _, e := range cutSub.got() {
			if e.Seq > 1000 {
				return true
			}
		}
		return false
	})
	eventually(t, "Publish on the reconnected broker to succeed", func() bool {
		ctx, cancel := context.WithTimeout(f.ctx, time.Second)
		defer cancel()
		return b.Publish(ctx, f.event(5000)) == nil
	})
	otherSub.waitSeq(t, 5000)
}

// eventually polls ok until it holds, failing the test after Wait.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(Wait)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", Wait, what)
		}
		<-tick.C
	}
}

// testDownAtStart uses a broker for the first time while its server cannot
// be reached: Publish and Subscribe fail with an error instead of hanging,
// and both work on the same broker once the server can be reached.
func testDownAtStart(t *testing.T, f *fixture) {
	b, cut := f.caps.NewCuttable(t)
	require.NotNil(t, b, "NewCuttable returned nil")
	restore := cut()
	ctx, cancel := context.WithTimeout(f.ctx, Wait)
	defer cancel()
	require.Error(t, b.Publish(ctx, f.event(1)), "Publish while the server cannot be reached")
	r := newRecorder(f.key)
	stop, err := b.Subscribe(ctx, r.deliver)
	require.Error(t, err, "Subscribe while the server cannot be reached")
	require.Nil(t, stop, "a failed Subscribe returns no stop function")
	require.NoError(t, ctx.Err(), "both calls returned before their deadline")

	restore()
	eventually(t, "Subscribe to succeed once the server is back", func() bool {
		stop, err := b.Subscribe(f.ctx, func(chat.Event) {})
		if err != nil {
			return false
		}
		stop()
		return true
	})
	live := f.subscribe(b)
	other := f.subscribe(f.broker())
	f.publish(b, f.event(2))
	f.fence(b, live, other)
	assert.Empty(t, r.got(), "deliver of the failed Subscribe is never called")
}
