package brokertest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func lifecycleCases() []testCase {
	return []testCase{
		{"StopEndsDelivery", testStopEndsDelivery},
		{"StopTwice", testStopTwice},
		{"StopOneOfTwoOnOneBroker", testStopOneOfTwo},
		{"SubscribeAgainAfterStop", testSubscribeAgain},
		{"Close", testClose},
	}
}

// testStopEndsDelivery checks that once stop returns, deliver is not
// called again, while other subscribers go on receiving.
func testStopEndsDelivery(t *testing.T, f *fixture) {
	bs := f.brokers(2)
	stopped, live := f.subscribe(bs[1]), f.subscribe(bs[1])
	other := f.subscribe(bs[0])
	f.publish(bs[0], f.event(1))
	stopped.waitSeq(t, 1)
	stopped.stop()
	n := len(stopped.got())
	for i := range int64(50) {
		f.publish(bs[0], f.event(i+2))
	}
	got := f.fence(bs[0], live, other)
	assert.Len(t, got[0], 51, "the subscriber that was not stopped receives every event")
	assert.Len(t, got[1], 51, "the subscriber on the publishing broker receives every event")
	assert.Len(t, stopped.got(), n, "deliver is not called after stop returned")
}

// testStopTwice calls stop twice in a row and from two goroutines at once.
func testStopTwice(t *testing.T, f *fixture) {
	b := f.broker()
	r1, r2 := f.subscribe(b), f.subscribe(b)
	r1.stop()
	r1.stop()
	var wg sync.WaitGroup
	wg.Go(r2.stop)
	wg.Go(r2.stop)
	wg.Wait()
	live := f.subscribe(b)
	f.publish(b, f.event(1))
	f.fence(b, live)
	assert.Empty(t, r1.got(), "a subscription stopped twice stays stopped")
	assert.Empty(t, r2.got(), "a subscription stopped twice at once stays stopped")
}

// testStopOneOfTwo stops one of two subscriptions on one broker: the
// other keeps receiving.
func testStopOneOfTwo(t *testing.T, f *fixture) {
	bs := f.brokers(2)
	r1, r2 := f.subscribe(bs[1]), f.subscribe(bs[1])
	r1.stop()
	f.publish(bs[0], f.event(1))
	got := f.fence(bs[0], r2)
	assert.Len(t, got[0], 1, "the subscription still running receives the event")
	assert.Empty(t, r1.got(), "the stopped subscription receives nothing")
}

// testSubscribeAgain stops a broker's only subscription and subscribes
// again on the same broker, as a Desk does when its last session ends and
// a new one starts.
func testSubscribeAgain(t *testing.T, f *fixture) {
	bs := f.brokers(2)
	first := f.subscribe(bs[1])
	first.stop()
	second := f.subscribe(bs[1])
	f.publish(bs[0], f.event(1))
	got := f.fence(bs[0], second)
	assert.Len(t, got[0], 1, "a new subscription after stop receives events")
	assert.Empty(t, first.got())
}

// testClose checks a broker that implements Closer: Close ends its
// subscriptions, later Publish and Subscribe fail with chat.ErrClosed, and
// Close and stop may be called again.
func testClose(t *testing.T, f *fixture) {
	bs := f.brokers(2)
	c, ok := bs[1].(Closer)
	if !ok {
		t.Skip("the broker has no Close(ctx) error method")
	}
	closing := f.subscribe(bs[1])
	other := f.subscribe(bs[0])
	require.NoError(t, c.Close(f.ctx), "Close")
	n := len(closing.got())
	f.publish(bs[0], f.event(1))
	f.fence(bs[0], other)
	assert.Len(t, closing.got(), n, "a subscription of a closed broker receives nothing")

	err := bs[1].Publish(f.ctx, f.event(2))
	assert.ErrorIs(t, err, chat.ErrClosed, "Publish on a closed broker")
	stop, err := bs[1].Subscribe(f.ctx, func(chat.Event) {})
	assert.ErrorIs(t, err, chat.ErrClosed, "Subscribe on a closed broker")
	assert.Nil(t, stop, "a failed Subscribe returns no stop function")
	assert.NoError(t, c.Close(f.ctx), "a second Close")
	closing.stop() // stop after Close is safe
}

// contextCases check that calls made with a context that is done fail
// with the context's error and do nothing.
func contextCases() []testCase {
	return []testCase{
		{"PublishCanceled", func(t *testing.T, f *fixture) { testPublishDone(t, f, canceled(f.ctx), context.Canceled) }},
		{"PublishDeadlineExceeded", func(t *testing.T, f *fixture) { testPublishDone(t, f, expired(f.ctx), context.DeadlineExceeded) }},
		{"SubscribeCanceled", func(t *testing.T, f *fixture) { testSubscribeDone(t, f, canceled(f.ctx), context.Canceled) }},
		{"SubscribeDeadlineExceeded", func(t *testing.T, f *fixture) { testSubscribeDone(t, f, expired(f.ctx), context.DeadlineExceeded) }},
		{"SubscriptionOutlivesItsContext", testSubscriptionOutlivesContext},
	}
}

func canceled(parent context.Context) context.Context {
	ctx, cancel := context.WithCancel(parent)
	cancel()
	return ctx
}

func expired(parent context.Context) context.Context {
	ctx, cancel := context.WithDeadline(parent, time.Unix(0, 0))
	cancel() // the deadline has passed already, so Err stays DeadlineExceeded
	return ctx
}

// testPublishDone publishes with a done context: the call fails with its
// error and the event is never delivered.
func testPublishDone(t *testing.T, f *fixture, ctx context.Context, want error) {
	bs := f.brokers(2)
	r := f.subscribe(bs[1])
	err := bs[0].Publish(ctx, f.event(1))
	require.Error(t, err, "Publish with a done context")
	assert.True(t, errors.Is(err, want), "Publish returns an error that is %v; got %v", want, err)
	got := f.fence(bs[0], r)
	assert.Empty(t, got[0], "an event whose Publish failed on its context is not delivered")
}

// testSubscribeDone subscribes with a done context: the call fails with
// its error, returns no stop function, and deliver is never called.
func testSubscribeDone(t *testing.T, f *fixture, ctx context.Context, want error) {
	bs := f.brokers(2)
	r := newRecorder(f.key)
	stop, err := bs[1].Subscribe(ctx, r.deliver)
	require.Error(t, err, "Subscribe with a done context")
	assert.True(t, errors.Is(err, want), "Subscribe returns an error that is %v; got %v", want, err)
	assert.Nil(t, stop, "a failed Subscribe returns no stop function")
	live := f.subscribe(bs[1])
	f.publish(bs[0], f.event(1))
	f.fence(bs[0], live)
	assert.Empty(t, r.got(), "deliver of a failed Subscribe is never called")
}

// testSubscriptionOutlivesContext checks that the context given to
// Subscribe bounds the call only: the subscription lasts until stop. The
// Desk subscribes once, with the context of whichever caller came first.
func testSubscriptionOutlivesContext(t *testing.T, f *fixture) {
	bs := f.brokers(2)
	ctx, cancel := context.WithCancel(f.ctx)
	r := newRecorder(f.key)
	stop, err := bs[1].Subscribe(ctx, r.deliver)
	require.NoError(t, err, "Subscribe")
	t.Cleanup(stop)
	cancel()
	f.publish(bs[0], f.event(1))
	got := f.fence(bs[0], r)
	assert.Len(t, got[0], 1, "a subscription whose Subscribe context was canceled still receives events")
}
