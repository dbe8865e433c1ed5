package redisbroker_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/broker/brokertest"
	"github.com/parleychat/parley/broker/redisbroker"
	"github.com/parleychat/parley/chat"
)

// setup returns the test server's URL and a prefix of the test's own, so
// that test runs sharing the server do not hear each other. It skips the
// test when PARLEY_TEST_REDIS is unset.
func setup(tb testing.TB) (serverURL, prefix string) {
	tb.Helper()
	serverURL = os.Getenv("PARLEY_TEST_REDIS")
	if serverURL == "" {
		tb.Skip("PARLEY_TEST_REDIS is not set (e.g. redis://127.0.0.1:6379/0)")
	}
	return serverURL, "parleytest-" + chat.NewID().String()
}

// newBroker returns a function that makes brokers on one channel.
func newBroker(serverURL, prefix string, mod func(*redisbroker.Config)) func(tb testing.TB) chat.Broker {
	return func(tb testing.TB) chat.Broker {
		tb.Helper()
		cfg := redisbroker.Config{URL: serverURL, Prefix: prefix, MaxBackoff: time.Second}
		if mod != nil {
			mod(&cfg)
		}
		b, err := redisbroker.New(cfg)
		require.NoError(tb, err, "New")
		tb.Cleanup(func() { assert.NoError(tb, b.Close(context.Background()), "Close") })
		return b
	}
}

// viaProxy returns serverURL with its host replaced by a proxy's.
func viaProxy(tb testing.TB, serverURL string) (*brokertest.Proxy, string) {
	tb.Helper()
	u, err := url.Parse(serverURL)
	require.NoError(tb, err)
	p := brokertest.NewProxy(tb, u.Host)
	u.Host = p.Addr()
	return p, u.String()
}

func TestBroker(t *testing.T) {
	serverURL, prefix := setup(t)
	brokertest.Run(t, newBroker(serverURL, prefix, nil), brokertest.Capabilities{
		NewCuttable: func(tb testing.TB) (chat.Broker, func() func()) {
			p, proxied := viaProxy(tb, serverURL)
			return newBroker(proxied, prefix, nil)(tb), p.Cut
		},
	})
}

// TestOnReconnect cuts the connection between a broker and Redis for real
// and checks that the broker says when its subscription is back, and that
// delivery then resumes without any call on it.
func TestOnReconnect(t *testing.T) {
	serverURL, prefix := setup(t)
	p, proxied := viaProxy(t, serverURL)
	reconnected := make(chan struct{}, 10)
	b := newBroker(proxied, prefix, func(c *redisbroker.Config) {
		c.OnReconnect = func() { reconnected <- struct{}{} }
		c.HealthCheck = 200 * time.Millisecond
	})(t)
	other := newBroker(serverURL, prefix, nil)(t)
	got := make(chan chat.Event, 100)
	stop, err := b.Subscribe(t.Context(), func(e chat.Event) { got <- e })
	require.NoError(t, err)
	defer stop()

	restore := p.Cut()
	restore()
	select {
	case <-reconnected:
	case <-time.After(brokertest.Wait):
		t.Fatal("OnReconnect was not called after the connection came back")
	}
	e := chat.Event{Type: chat.EventRead, ConversationID: chat.NewID(), Seq: 1, At: chat.Timestamp(time.Now())}
	require.NoError(t, other.Publish(t.Context(), e))
	select {
	case g := <-got:
		assert.Equal(t, e.ConversationID, g.ConversationID, "the event published after OnReconnect arrives")
	case <-time.After(brokertest.Wait):
		t.Fatal("no event after OnReconnect")
	}
}

// TestPrefixesApart checks that two shops with different prefixes on one
// Redis do not hear each other.
func TestPrefixesApart(t *testing.T) {
	serverURL, prefix := setup(t)
	shopA := newBroker(serverURL, prefix+"-a", nil)(t)
	shopB := newBroker(serverURL, prefix+"-b", nil)(t)
	fromA, fromB := make(chan chat.Event, 10), make(chan chat.Event, 10)
	stopA, err := shopA.Subscribe(t.Context(), func(e chat.Event) { fromA <- e })
	require.NoError(t, err)
	defer stopA()
	stopB, err := shopB.Subscribe(t.Context(), func(e chat.Event) { fromB <- e })
	require.NoError(t, err)
	defer stopB()
	require.NoError(t, shopA.Publish(t.Context(), chat.Event{Type: chat.EventRead, Seq: 1}))
	require.NoError(t, shopB.Publish(t.Context(), chat.Event{Type: chat.EventRead, Seq: 2}))
	for want, c := range map[int64]chan chat.Event{1: fromA, 2: fromB} {
		select {
		case e := <-c:
			assert.Equal(t, want, e.Seq, "each shop hears its own event first")
		case <-time.After(brokertest.Wait):
			t.Fatal("an event did not arrive")
		}
	}
	assert.Empty(t, fromA, "shop A hears nothing of shop B")
	assert.Empty(t, fromB, "shop B hears nothing of shop A")
	assert.Equal(t, prefix+"-a:events", shopA.(*redisbroker.Broker).Channel())
}

func TestNewRefuses(t *testing.T) {
	for _, c := range []struct {
		field string
		cfg   redisbroker.Config
	}{
		{"URL", redisbroker.Config{}},
		{"URL", redisbroker.Config{URL: "http://127.0.0.1"}},
		{"HealthCheck", redisbroker.Config{URL: "redis://127.0.0.1:6379", HealthCheck: -1}},
		{"MaxBackoff", redisbroker.Config{URL: "redis://127.0.0.1:6379", MaxBackoff: -1}},
	} {
		_, err := redisbroker.New(c.cfg)
		require.ErrorIs(t, err, chat.ErrInvalid, c.field)
		assert.Contains(t, err.Error(), "Config."+c.field)
	}
}

func BenchmarkBroker(b *testing.B) {
	serverURL, prefix := setup(b)
	brokertest.Benchmark(b, newBroker(serverURL, prefix, nil))
}

// TestDropsWhatItCannotRead puts an envelope of a later version and bytes
// that are no envelope on the channel: the broker logs and drops both and
// delivers the next event.
func TestDropsWhatItCannotRead(t *testing.T) {
	serverURL, prefix := setup(t)
	var logs brokertest.LogBuffer
	b := newBroker(serverURL, prefix, func(c *redisbroker.Config) { c.Logger = logs.Logger() })(t)
	got := make(chan chat.Event, 10)
	stop, err := b.Subscribe(t.Context(), func(e chat.Event) { got <- e })
	require.NoError(t, err)
	defer stop()

	opts, err := redis.ParseURL(serverURL)
	require.NoError(t, err)
	raw := redis.NewClient(opts)
	defer raw.Close()
	channel := b.(*redisbroker.Broker).Channel()
	require.NoError(t, raw.Publish(t.Context(), channel, `{"v":2,"event":{"type":"read","seq":1}}`).Err())
	require.NoError(t, raw.Publish(t.Context(), channel, `not an envelope`).Err())
	require.NoError(t, b.Publish(t.Context(), chat.Event{Type: chat.EventRead, Seq: 3}))
	select {
	case e := <-got:
		assert.Equal(t, int64(3), e.Seq, "the first event delivered is the one that can be read")
	case <-time.After(brokertest.Wait):
		t.Fatal("the readable event did not arrive")
	}
	assert.Equal(t, 2, strings.Count(logs.String(), "dropping an event that cannot be decoded"), "both are logged:\n%s", logs.String())
	assert.Contains(t, logs.String(), "unknown envelope version 2")
}
