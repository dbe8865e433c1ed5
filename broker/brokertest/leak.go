package brokertest

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func leakCases() []testCase {
	return []testCase{
		{"NoGoroutineLeftAfterStopAndClose", testNoLeak},
	}
}

// testNoLeak uses a broker, stops its subscriptions and closes it (when
// it is a Closer), and waits for the number of goroutines to fall back to
// what it was before. A broker without Close has no other way to end its
// goroutines, so stop must end them.
func testNoLeak(t *testing.T, f *fixture) {
	// A first broker, used and let go, starts whatever a client library
	// starts once per process, so that it counts in the baseline.
	use(t, f)
	base := runtime.NumGoroutine()
	use(t, f)
	deadline := time.Now().Add(Wait)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines remain after stop and Close, %d before the broker was made:\n%s", runtime.NumGoroutine(), base, buf)
		}
		time.Sleep(poll)
	}
}

// use makes a broker, subscribes twice, delivers an event, stops and
// closes it.
func use(t *testing.T, f *fixture) {
	t.Helper()
	b := f.broker()
	r1, r2 := f.subscribe(b), f.subscribe(b)
	e := f.event(1)
	f.publish(b, e)
	r1.waitSeq(t, 1)
	r2.waitSeq(t, 1)
	r1.stop()
	r2.stop()
	if c, ok := b.(Closer); ok {
		require.NoError(t, c.Close(context.Background()), "Close")
	}
}
