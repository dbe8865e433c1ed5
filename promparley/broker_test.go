package promparley_test

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/promparley"
	"github.com/parleychat/parley/store/memory"
)

// downBroker is a Broker whose connection is gone: Publish fails.
type downBroker struct{ chat.LocalBroker }

func (*downBroker) Publish(context.Context, chat.Event) error {
	return errors.New("connection refused")
}

// TestBrokerFailures counts the publishes a broker refused, while the
// conversations and messages behind them, which are stored, still count;
// and counts reconnections reported through Reconnected.
func TestBrokerFailures(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := promparley.New(promparley.Config{Instance: "web-2", Registerer: reg})
	require.NoError(t, err)
	desk, err := chat.NewDesk(chat.Config{Store: memory.New(), Broker: m.Broker(&downBroker{})})
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close(context.Background()) })
	ctx := t.Context()
	v, err := desk.SaveVisitor(ctx, chat.Visitor{})
	require.NoError(t, err)
	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	_, err = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: "hello?"})
	require.NoError(t, err)
	m.Reconnected()

	expect(t, gather(t, reg), "web-2", []want{
		{"parley_broker_reconnects_total", nil, 1},
		{"parley_messages_total", []string{"author", "visitor"}, 1},
		{"parley_conversations_started_total", nil, 1},
		{"parley_offline_requests_total", nil, 1},
		{"parley_messages_total", []string{"author", "system"}, 1}, // the offline acknowledgement
		// Every event was refused: the start, the message and the acknowledgement.
		{"parley_broker_publish_errors_total", nil, 3},
	})
}

// gather reads reg as a scrape would, by family name.
func gather(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	out := make(map[string]*dto.MetricFamily)
	for _, f := range families {
		out[f.GetName()] = f
	}
	return out
}

// TestConfig refuses an incomplete Config, naming the field.
func TestConfig(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, err := promparley.New(promparley.Config{Registerer: reg})
	assert.ErrorContains(t, err, "Config.Instance")
	_, err = promparley.New(promparley.Config{Instance: "web-1"})
	assert.ErrorContains(t, err, "Config.Registerer")
	_, err = promparley.New(promparley.Config{Instance: "web-1", Registerer: reg, CollectTimeout: -1})
	assert.ErrorContains(t, err, "Config.CollectTimeout")
	assert.ErrorIs(t, err, chat.ErrInvalid)
}

// TestInstancesCountTheirOwn runs two instances on one Store and Broker:
// each counts the messages it stored, not those it hears of from the
// other, so a sum over the fleet counts each message once.
func TestInstancesCountTheirOwn(t *testing.T) {
	store, broker := memory.New(), &chat.LocalBroker{}
	ctx := t.Context()
	type instance struct {
		reg  *prometheus.Registry
		desk *chat.Desk
	}
	start := func(name string) instance {
		reg := prometheus.NewRegistry()
		m, err := promparley.New(promparley.Config{Instance: name, Registerer: reg})
		require.NoError(t, err)
		desk, err := chat.NewDesk(chat.Config{Store: m.Store(store), Broker: m.Broker(broker)})
		require.NoError(t, err)
		t.Cleanup(func() { _ = desk.Close(context.Background()) })
		// Subscribing attaches the Desk to the Broker, as a transport does.
		sub, err := desk.Subscribe(ctx, chat.TopicAll)
		require.NoError(t, err)
		t.Cleanup(sub.Close)
		return instance{reg, desk}
	}
	a, b := start("web-1"), start("web-2")

	v, err := a.desk.SaveVisitor(ctx, chat.Visitor{})
	require.NoError(t, err)
	conv, err := a.desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	for _, d := range []*chat.Desk{a.desk, a.desk, b.desk} {
		c, err := d.Conversation(ctx, conv.ID())
		require.NoError(t, err)
		_, err = c.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorBot, ID: "helper"}, Body: "hi"})
		require.NoError(t, err)
	}
	expect(t, gather(t, a.reg), "web-1", []want{
		{"parley_messages_total", []string{"author", "bot"}, 2},
		{"parley_conversations_started_total", nil, 1},
	})
	expect(t, gather(t, b.reg), "web-2", []want{
		{"parley_messages_total", []string{"author", "bot"}, 1},
		{"parley_conversations_started_total", nil, 0},
	})
	lag, _ := value(gather(t, b.reg), "parley_broker_delivery_lag_seconds")
	assert.Greater(t, lag, 2.0, "the second instance heard the first one's events")
}
