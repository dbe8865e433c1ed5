package brokertest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func reconnectCases() []testCase {
	return []testCase{
		{"DeliveryResumesAfterLostConnection", testReconnect},
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
