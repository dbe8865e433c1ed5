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

	got := gather(t, reg)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"parley_broker_reconnects_total", nil, 1},
		{"parley_messages_total", []string{"author", "visitor"}, 1},
		{"parley_conversations_started_total", nil, 1},
		{"parley_offline_requests_total", nil, 1},
		{"parley_messages_total", []string{"author", "system"}, 1}, // the offline acknowledgement
		// Every event was refused: the start, the message and the acknowledgement.
		{"parley_broker_publish_errors_total", nil, 3},
	} {
		v, _ := value(got, c.name, append([]string{promparley.InstanceLabel, "web-2"}, c.labels...)...)
		assert.Equal(t, c.want, v, "%s%v", c.name, c.labels)
	}
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
}
