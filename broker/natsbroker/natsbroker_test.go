package natsbroker_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/broker/brokertest"
	"github.com/parleychat/parley/broker/natsbroker"
	"github.com/parleychat/parley/chat"
)

// setup returns the test server's URL and a prefix of the test's own, so
// that test runs sharing the server do not hear each other. It skips the
// test when PARLEY_TEST_NATS is unset.
func setup(tb testing.TB) (serverURL, prefix string) {
	tb.Helper()
	serverURL = os.Getenv("PARLEY_TEST_NATS")
	if serverURL == "" {
		tb.Skip("PARLEY_TEST_NATS is not set (e.g. nats://127.0.0.1:4222)")
	}
	return serverURL, "parleytest." + chat.NewID().String()
}

// newBroker returns a function that makes brokers on one channel.
func newBroker(serverURL, prefix string, mod func(*natsbroker.Config)) func(tb testing.TB) chat.Broker {
	return func(tb testing.TB) chat.Broker {
		tb.Helper()
		cfg := natsbroker.Config{URL: serverURL, Prefix: prefix, ReconnectWait: 100 * time.Millisecond}
		if mod != nil {
			mod(&cfg)
		}
		b, err := natsbroker.New(cfg)
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

// TestOnReconnect cuts the connection between a broker and NATS for real
// and checks that the broker says when its subscription is back, and that
// delivery then resumes without any call on it.
func TestOnReconnect(t *testing.T) {
	serverURL, prefix := setup(t)
	p, proxied := brokertest.ProxyURL(t, serverURL)
	reconnected := make(chan struct{}, 10)
	b := newBroker(proxied, prefix, func(c *natsbroker.Config) {
		c.OnReconnect = func() { reconnected <- struct{}{} }
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
	b := newBroker(proxied, prefix, func(c *natsbroker.Config) {
		c.Logger = logs.Logger()
		c.OnReconnect = func() { reconnected <- struct{}{} }
		c.HealthCheck = 200 * time.Millisecond
		c.Timeout = time.Second
	})(t)
	noticed := func() bool { return strings.Contains(logs.String(), "lost the connection") }
	brokertest.CheckSilentLoss(t, b, newBroker(serverURL, prefix, nil)(t), p.Stall, noticed, reconnected)
}

// TestPrefixesApart checks that two shops with different prefixes on one
// NATS do not hear each other.
func TestPrefixesApart(t *testing.T) {
	serverURL, prefix := setup(t)
	shopA := newBroker(serverURL, prefix+".a", nil)(t)
	shopB := newBroker(serverURL, prefix+".b", nil)(t)
	assert.Equal(t, prefix+".a.events", shopA.(*natsbroker.Broker).Subject())
	brokertest.CheckApart(t, shopA, shopB)
}

func TestNewRefuses(t *testing.T) {
	for _, c := range []struct {
		field string
		cfg   natsbroker.Config
	}{
		{"URL", natsbroker.Config{}},
		{"Prefix", natsbroker.Config{URL: "nats://127.0.0.1:4222", Prefix: "shop.*"}},
		{"Prefix", natsbroker.Config{URL: "nats://127.0.0.1:4222", Prefix: "shop..a"}},
		{"Prefix", natsbroker.Config{URL: "nats://127.0.0.1:4222", Prefix: "my shop"}},
		{"ReconnectWait", natsbroker.Config{URL: "nats://127.0.0.1:4222", ReconnectWait: -1}},
		{"HealthCheck", natsbroker.Config{URL: "nats://127.0.0.1:4222", HealthCheck: -1}},
		{"Timeout", natsbroker.Config{URL: "nats://127.0.0.1:4222", Timeout: -1}},
	} {
		_, err := natsbroker.New(c.cfg)
		require.ErrorIs(t, err, chat.ErrInvalid, c.field)
		assert.Contains(t, err.Error(), "Config."+c.field)
	}
}

func BenchmarkBroker(b *testing.B) {
	serverURL, prefix := setup(b)
	brokertest.Benchmark(b, newBroker(serverURL, prefix, nil))
}

// TestDropsWhatItCannotRead puts an envelope of a later version and bytes
// that are no envelope on the subject: the broker logs and drops both and
// delivers the next event.
func TestDropsWhatItCannotRead(t *testing.T) {
	serverURL, prefix := setup(t)
	var logs brokertest.LogBuffer
	b := newBroker(serverURL, prefix, func(c *natsbroker.Config) { c.Logger = logs.Logger() })(t)
	raw, err := nats.Connect(serverURL)
	require.NoError(t, err)
	defer raw.Close()
	subject := b.(*natsbroker.Broker).Subject()
	brokertest.CheckUnreadable(t, b, &logs, func(data []byte) error {
		if err := raw.Publish(subject, data); err != nil {
			return err
		}
		return raw.Flush()
	})
}
