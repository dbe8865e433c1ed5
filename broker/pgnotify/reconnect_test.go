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
	sub := s.broker(t, nil)
	in := subscribe(t, sub)
	publish(t, pub, chat.Event{Type: chat.EventTyping, Seq: 1})
	require.EqualValues(t, 1, in.next(t).Seq)

	old := listenerPID(t, s)
	require.NotZero(t, old)
	var killed bool
	require.NoError(t, s.admin.QueryRow(context.Background(), `SELECT pg_terminate_backend($1)`, old).Scan(&killed))
	require.True(t, killed)

	awaitDelivery(t, pub, in, 1)
	now := listenerPID(t, s)
	assert.NotZero(t, now)
	assert.NotEqual(t, old, now, "the listener was not connected again")
	// The instance's own events reach it again too.
	publish(t, sub, chat.Event{Type: chat.EventTyping, Seq: 1 << 40})
	for e := in.next(t); e.Seq != 1<<40; e = in.next(t) {
	}
}

// proxy forwards TCP connections to PostgreSQL until cut, which closes
// every connection and refuses new ones until restore: the network going
// away under the broker.
type proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	down   bool
	frozen bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		_ = ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			defer dst.Close()
			defer src.Close()
			buf := make([]byte, 32<<10)
			for {
				n, err := src.Read(buf)
				if err != nil {
					return
				}
				p.mu.Lock()
				frozen := p.frozen
				p.mu.Unlock()
				if frozen {
					continue // the bytes are lost on the way
				}
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
		}
		p.wg.Go(func() { pipe(up, c) })
		p.wg.Go(func() { pipe(c, up) })
	}
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

// freeze drops every byte from now on but keeps the connections open, as a
// network that loses packets does.
func (p *proxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frozen = true
}

func (p *proxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
	p.frozen = false
}

func TestPublishFailsWhileTheNetworkIsDown(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	u, err := url.Parse(s.cfg.ConnString)
	require.NoError(t, err)
	p := newProxy(t, u.Host)
	u.Host = p.ln.Addr().String()

	pub := s.broker(t, func(c *Config) { c.ApplicationName += "-pub" })
	cut := s.broker(t, func(c *Config) { c.ConnString = u.String() })
	in := subscribe(t, cut)
	publish(t, pub, chat.Event{Type: chat.EventTyping, Seq: 1})
	require.EqualValues(t, 1, in.next(t).Seq)
	publish(t, cut, chat.Event{Type: chat.EventTyping, Seq: 2})
	require.EqualValues(t, 2, in.next(t).Seq)

	p.cut()
	require.Eventually(t, func() bool {
		err := cut.Publish(context.Background(), chat.Event{Type: chat.EventTyping, Seq: 3})
		return errors.Is(err, ErrNotListening)
	}, 10*time.Second, 10*time.Millisecond, "Publish kept working with the network down")
	// Events published by other instances during the outage are missed.
	publish(t, pub, chat.Event{Type: chat.EventTyping, Seq: 4})

	p.restore()
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
	u, err := url.Parse(s.cfg.ConnString)
	require.NoError(t, err)
	p := newProxy(t, u.Host)
	u.Host = p.ln.Addr().String()

	pub := s.broker(t, func(c *Config) { c.ApplicationName += "-pub" })
	lost := s.broker(t, func(c *Config) {
		c.ConnString = u.String()
		c.PingInterval = 100 * time.Millisecond
		c.Timeout = 300 * time.Millisecond
	})
	in := subscribe(t, lost)
	publish(t, pub, chat.Event{Type: chat.EventTyping, Seq: 1})
	require.EqualValues(t, 1, in.next(t).Seq)

	p.freeze()
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		return errors.Is(lost.Publish(ctx, chat.Event{Type: chat.EventTyping}), ErrNotListening)
	}, 10*time.Second, 10*time.Millisecond, "the silent connection was never found dead")

	p.restore()
	awaitDelivery(t, pub, in, 1)
}
