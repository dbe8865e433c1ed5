package redisbroker_test

import (
	"context"
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

func TestBroker(t *testing.T) {
	serverURL, prefix := setup(t)
	brokertest.Run(t, newBroker(serverURL, prefix, nil), brokertest.Capabilities{
		NewCuttable: func(tb testing.TB) (chat.Broker, func() func()) {
			p, proxied := brokertest.ProxyURL(tb, serverURL)
			return newBroker(proxied, prefix, nil)(tb), p.Cut
		},
	})
}

// TestOnReconnect cuts the connection between a broker and Redis for real
// and checks that the broker says when its subscription is back, and that
// delivery then resumes without any call on it.
func TestOnReconnect(t *testing.T) {
	serverURL, prefix := setup(t)
	p, proxied := brokertest.ProxyURL(t, serverURL)
	reconnected := make(chan struct{}, 10)
	b := newBroker(proxied, prefix, func(c *redisbroker.Config) {
		c.OnReconnect = func() { reconnected <- struct{}{} }
		c.HealthCheck = 200 * time.Millisecond
	})(t)
	brokertest.CheckReconnectHook(t, b, newBroker(serverURL, prefix, nil)(t), p.Cut, reconnected)
}

// TestSilentLoss stalls the connection between a broker and its server
// without closing it: the broker finds out by its health check, and
// reconnects once the network lets bytes through again.
func TestSilentLoss(t *testing.T) {
	serverURL, prefix := setup(t)
	p, proxied := brokertest.ProxyURL(t, serverURL)
	var logs brokertest.LogBuffer
	reconnected := make(chan struct{}, 10)
	b := newBroker(proxied, prefix, func(c *redisbroker.Config) {
		c.Logger = logs.Logger()
		c.OnReconnect = func() { reconnected <- struct{}{} }
		c.HealthCheck = 200 * time.Millisecond
	})(t)
	noticed := func() bool { return strings.Contains(logs.String(), "lost the subscription's connection") }
	brokertest.CheckSilentLoss(t, b, newBroker(serverURL, prefix, nil)(t), p.Stall, noticed, reconnected)
}

// TestPrefixesApart checks that two shops with different prefixes on one
// Redis do not hear each other.
func TestPrefixesApart(t *testing.T) {
	serverURL, prefix := setup(t)
	shopA := newBroker(serverURL, prefix+"-a", nil)(t)
	shopB := newBroker(serverURL, prefix+"-b", nil)(t)
	assert.Equal(t, prefix+"-a:events", shopA.(*redisbroker.Broker).Channel())
	brokertest.CheckApart(t, shopA, shopB)
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
	opts, err := redis.ParseURL(serverURL)
	require.NoError(t, err)
	raw := redis.NewClient(opts)
	defer raw.Close()
	channel := b.(*redisbroker.Broker).Channel()
	brokertest.CheckUnreadable(t, b, &logs, func(data []byte) error {
		return raw.Publish(t.Context(), channel, data).Err()
	})
}
