package relay

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/parleychat/parley/chat"
)

// TestStopWaitsForDelivery: stop returns only after a delivery that was
// in progress has finished.
func TestStopWaitsForDelivery(t *testing.T) {
	var f Fanout
	entered, release := make(chan struct{}), make(chan struct{})
	var done atomic.Bool
	stop := f.Add(func(chat.Event) {
		close(entered)
		<-release
		done.Store(true)
	})
	go f.Deliver(chat.Event{})
	<-entered
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("stop returned while deliver was running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-stopped
	assert.True(t, done.Load(), "deliver finished before stop returned")
	stop()
}

func TestCloseEndsEverySubscription(t *testing.T) {
	var f Fanout
	var n atomic.Int32
	stop := f.Add(func(chat.Event) { n.Add(1) })
	f.Deliver(chat.Event{})
	f.Close()
	f.Deliver(chat.Event{})
	assert.Equal(t, int32(1), n.Load())
	assert.Nil(t, f.Add(func(chat.Event) {}), "Add after Close")
	stop()
}
