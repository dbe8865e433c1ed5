package pgnotify

import (
	"context"
	"errors"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/broker/brokertest"
	"github.com/parleychat/parley/chat"
)

// listenerPID returns the backend pid of b's listening connection, found by
// its application_name, or 0 when there is none.
func listenerPID(t *testing.T, s setup) int32 {
	t.Helper()
	var pids []int32
	rows, err := s.admin.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, s.cfg.ApplicationName+"/listen")
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var pid int32
		require.NoError(t, rows.Scan(&pid))
		pids = append(pids, pid)
	}
	require.NoError(t, rows.Err())
	require.LessOrEqual(t, len(pids), 1, "more than one listening connection")
	if len(pids) == 0 {
		return 0
	}
	return pids[0]
}

// awaitDelivery publishes numbered typing events from pub until one
// published after from reaches in, and returns the numbers of the events in
// got meanwhile.
func awaitDelivery(t *testing.T, pub *Broker, in *inbox, from int64) []int64 {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var seen []int64
	for seq := from + 1; ; seq++ {
		require.True(t, time.Now().Before(deadline), "no delivery within 15s")
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := pub.Publish(ctx, chat.Event{Type: chat.EventTyping, Seq: seq})
		cancel()
		if err != nil {
			time.Sleep(20 * time.Millisecond) // the publisher is reconnecting too
			continue
		}
		wait := time.After(200 * time.Millisecond)
	drain:
		for {
			select {
			case e := <-in.c:
				seen = append(seen, e.Seq)
				if e.Seq > from {
					return seen
				}
			case <-wait:
				break drain
			}
		}
	}
}

func TestDeliveryResumesAfterTheListenerIsTerminated(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	pub := s.broker(t, func(c *Config) { c.ApplicationName += "-pub" })
	reconnected := make(chan struct{}, 10)
	sub := s.broker(t, func(c *Config) { c.OnReconnect = func() { reconnected <- struct{}{} } })
	in := subscribe(t, sub)
	publish(t, pub, chat.Event{Type: chat.EventTyping, Seq: 1})
	require.EqualValues(t, 1, in.next(t).Seq)

	old := listenerPID(t, s)
	require.NotZero(t, old)
	var killed bool
	require.NoError(t, s.admin.QueryRow(context.Background(), `SELECT pg_terminate_backend($1)`, old).Scan(&killed))
	require.True(t, killed)

	select {
	case <-reconnected:
	case <-time.After(10 * time.Second):
		t.Fatal("OnReconnect was not called")
	}
	awaitDelivery(t, pub, in, 1)
	now := listenerPID(t, s)
	assert.NotZero(t, now)
	assert.NotEqual(t, old, now, "the listener was not connected again")
	// The instance's own events reach it again too.
	publish(t, sub, chat.Event{Type: chat.EventTyping, Seq: 1 << 40})
	for e := in.next(t); e.Seq != 1<<40; e = in.next(t) {
	}
}

// viaProxy returns connString with its host replaced by a
// brokertest.Proxy's, which cuts the network for real.
func viaProxy(tb testing.TB, connString string) (*brokertest.Proxy, string) {
	tb.Helper()
	u, err := url.Parse(connString)
	require.NoError(tb, err)
	p := brokertest.NewProxy(tb, u.Host)
	u.Host = p.Addr()
	return p, u.String()
}

// freezer forwards TCP connections to PostgreSQL and, once frozen, drops
// every byte while keeping the connections open, as a network that loses
// packets does: nothing tells the broker that its connection is dead.
// (brokertest.Proxy cuts connections instead.)
type freezer struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu     sync.Mutex
	frozen bool
	conns  map[net.Conn]struct{}
}

// newFreezer starts a freezer to the host of connString and returns it
// with connString pointing at it instead.
func newFreezer(t *testing.T, connString string) (*freezer, string) {
	t.Helper()
	u, err := url.Parse(connString)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &freezer{ln: ln, target: u.Host, conns: map[net.Conn]struct{}{}}
	f.wg.Go(f.accept)
	t.Cleanup(func() {
		_ = ln.Close()
		f.mu.Lock()
		for c := range f.conns {
			_ = c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	u.Host = ln.Addr().String()
	return f, u.String()
}

func (f *freezer) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", f.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		f.mu.Lock()
		f.conns[c], f.conns[up] = struct{}{}, struct{}{}
		f.mu.Unlock()
		f.wg.Go(func() { f.pipe(up, c) })
		f.wg.Go(func() { f.pipe(c, up) })
	}
}

func (f *freezer) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		f.mu.Lock()
		frozen := f.frozen
		f.mu.Unlock()
		if frozen {
			continue // the bytes are lost on the way
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

func (f *freezer) set(frozen bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frozen = frozen
}

func TestPublishFailsWhileTheNetworkIsDown(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	p, proxied := viaProxy(t, s.cfg.ConnString)
	pub := s.broker(t, func(c *Config) { c.ApplicationName += "-pub" })
	cut := s.broker(t, func(c *Config) { c.ConnString = proxied })
	in := subscribe(t, cut)
	publish(t, pub, chat.Event{Type: chat.EventTyping, Seq: 1})
	require.EqualValues(t, 1, in.next(t).Seq)
	publish(t, cut, chat.Event{Type: chat.EventTyping, Seq: 2})
	require.EqualValues(t, 2, in.next(t).Seq)

	restore := p.Cut()
	require.Eventually(t, func() bool {
		err := cut.Publish(context.Background(), chat.Event{Type: chat.EventTyping, Seq: 3})
		return errors.Is(err, ErrNotListening)
	}, 10*time.Second, 10*time.Millisecond, "Publish kept working with the network down")
	// Events published by other instances during the outage are missed.
	publish(t, pub, chat.Event{Type: chat.EventTyping, Seq: 4})

	restore()
	assert.NotContains(t, awaitDelivery(t, pub, in, 4), int64(4), "an event of the outage was delivered")
	require.Eventually(t, func() bool {
		return cut.Publish(context.Background(), chat.Event{Type: chat.EventTyping, Seq: 1 << 40}) == nil
	}, 10*time.Second, 10*time.Millisecond)
	for e := in.next(t); e.Seq != 1<<40; e = in.next(t) {
		assert.NotEqual(t, int64(4), e.Seq, "an event of the outage was delivered")
	}
}

func TestSilentNetworkLossIsNoticedByPing(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	f, frozen := newFreezer(t, s.cfg.ConnString)
	pub := s.broker(t, func(c *Config) { c.ApplicationName += "-pub" })
	lost := s.broker(t, func(c *Config) {
		c.ConnString = frozen
		c.PingInterval = 100 * time.Millisecond
		c.Timeout = 300 * time.Millisecond
	})
	in := subscribe(t, lost)
	publish(t, pub, chat.Event{Type: chat.EventTyping, Seq: 1})
	require.EqualValues(t, 1, in.next(t).Seq)

	f.set(true)
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		return errors.Is(lost.Publish(ctx, chat.Event{Type: chat.EventTyping}), ErrNotListening)
	}, 10*time.Second, 10*time.Millisecond, "the silent connection was never found dead")

	f.set(false)
	awaitDelivery(t, pub, in, 1)
}

// TestLongLivedListenerIsReplacedAtOnce terminates a listener that has
// worked for longer than ReconnectMax: the broker connects again without
// waiting ReconnectMin, which is at least ReconnectMin/2 with jitter.
func TestLongLivedListenerIsReplacedAtOnce(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	const backoff = 3 * time.Second
	sub := s.broker(t, func(c *Config) { c.ReconnectMin, c.ReconnectMax = backoff, backoff })
	subscribe(t, sub)
	old := listenerPID(t, s)
	require.NotZero(t, old)
	ctx := context.Background()
	require.Eventually(t, func() bool {
		var aged bool
		err := s.admin.QueryRow(ctx, `SELECT backend_start < now() - $1 * interval '1 millisecond' FROM pg_stat_activity WHERE pid = $2`,
			(backoff + 100*time.Millisecond).Milliseconds(), old).Scan(&aged)
		return err == nil && aged
	}, 2*backoff, 50*time.Millisecond)

	var killed bool
	require.NoError(t, s.admin.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, old).Scan(&killed))
	require.True(t, killed)
	start := time.Now()
	require.Eventually(t, func() bool {
		pid := listenerPID(t, s)
		return pid != 0 && pid != old
	}, backoff, 10*time.Millisecond)
	assert.Less(t, time.Since(start), backoff/2, "the broker waited before connecting again")
}

// TestServerUnreachableAtFirstUse uses a broker for the first time while
// PostgreSQL cannot be reached: Publish and Subscribe fail at once instead
// of waiting, and the same broker works once the network is back.
func TestServerUnreachableAtFirstUse(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	p, proxied := viaProxy(t, s.cfg.ConnString)
	b := s.broker(t, func(c *Config) { c.ConnString = proxied })
	restore := p.Cut()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.Error(t, b.Publish(ctx, chat.Event{Type: chat.EventTyping}))
	called := false
	stop, err := b.Subscribe(ctx, func(chat.Event) { called = true })
	require.ErrorIs(t, err, ErrNotListening)
	require.Nil(t, stop)
	require.NoError(t, ctx.Err(), "Subscribe waited for its context")

	restore()
	var in *inbox
	require.Eventually(t, func() bool {
		c := make(chan chat.Event, 16)
		stop, err := b.Subscribe(ctx, func(e chat.Event) { c <- e })
		if err != nil {
			return false
		}
		t.Cleanup(stop)
		in = &inbox{c: c}
		return true
	}, 10*time.Second, 20*time.Millisecond)
	publish(t, b, chat.Event{Type: chat.EventTyping, Seq: 7})
	require.EqualValues(t, 7, in.next(t).Seq)
	require.False(t, called, "deliver of the failed Subscribe was called")
}

// TestSubscribeEndsWithItsContext subscribes while the first attempt to
// connect hangs on a network that answers nothing.
func TestSubscribeEndsWithItsContext(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	f, frozen := newFreezer(t, s.cfg.ConnString)
	f.set(true)
	b := s.broker(t, func(c *Config) { c.ConnString = frozen })

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := b.Subscribe(ctx, func(chat.Event) {})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, b.Publish(context.Background(), chat.Event{Type: chat.EventTyping}), ErrNotListening,
		"Publish while the listener has not connected yet")
}
