package promparley

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
)

// InstanceLabel is the label that names the reporting instance on every
// metric. It is not "instance", which Prometheus sets to the scraped
// address and would rename ours to "exported_instance".
const InstanceLabel = "parley_instance"

// Config configures New.
type Config struct {
	// Instance names this instance, the value of InstanceLabel on every
	// metric. Required.
	Instance string
	// Registerer receives the metrics. Required.
	Registerer prometheus.Registerer
	// CollectTimeout bounds the reads of the Desk and Store made at each
	// scrape. Zero means 5 seconds.
	CollectTimeout time.Duration
	// Logger reports reads that failed during a scrape. Nil means silent.
	Logger *slog.Logger
}

// Metrics measures one Parley instance. Build it with New; it is safe for
// concurrent use.
type Metrics struct {
	reg     prometheus.Registerer
	timeout time.Duration
	log     *slog.Logger
	labels  prometheus.Labels

	messages      *prometheus.CounterVec
	started       prometheus.Counter
	offline       prometheus.Counter
	closed        prometheus.Counter
	advisor       *prometheus.CounterVec
	storeSeconds  *prometheus.HistogramVec
	storeErrors   *prometheus.CounterVec
	publishSecs   prometheus.Histogram
	publishErrors prometheus.Counter
	deliveryLag   prometheus.Histogram
	reconnects    prometheus.Counter
}

// New registers the event, Store and Broker metrics with cfg.Registerer. It
// returns an error wrapping chat.ErrInvalid that names the field when cfg
// is incomplete, or the Registerer's error.
func New(cfg Config) (*Metrics, error) {
	switch {
	case cfg.Instance == "":
		return nil, fmt.Errorf("%w: promparley: Config.Instance is empty", chat.ErrInvalid)
	case cfg.Registerer == nil:
		return nil, fmt.Errorf("%w: promparley: Config.Registerer is nil", chat.ErrInvalid)
	case cfg.CollectTimeout < 0:
		return nil, fmt.Errorf("%w: promparley: Config.CollectTimeout is negative", chat.ErrInvalid)
	}
	if cfg.CollectTimeout == 0 {
		cfg.CollectTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	l := prometheus.Labels{InstanceLabel: cfg.Instance}
	m := &Metrics{
		reg:     cfg.Registerer,
		timeout: cfg.CollectTimeout,
		log:     cfg.Logger,
		labels:  l,
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_messages_total", Help: "Messages stored by this instance, by author kind.", ConstLabels: l,
		}, []string{"author"}),
		started: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_conversations_started_total", Help: "Conversations started on this instance, offline requests included.", ConstLabels: l,
		}),
		offline: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_offline_requests_total", Help: "Conversations started on this instance as offline requests, when nobody could answer.", ConstLabels: l,
		}),
		closed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_conversations_closed_total", Help: "Conversations closed by this instance.", ConstLabels: l,
		}),
		advisor: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_advisor_conversations_total", Help: "Conversations the virtual advisor answered first, counted by this instance when they close, by outcome: resolved by the advisor, or handed over and why (requested, unknown, turns, repeated, failed, taken).", ConstLabels: l,
		}, []string{"outcome"}),
		storeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "parley_store_seconds", Help: "Duration of Store calls, by method.", ConstLabels: l,
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_store_errors_total", Help: "Store calls that failed, by method; not-found, conflict and invalid-input answers are not failures.", ConstLabels: l,
		}, []string{"method"}),
		publishSecs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "parley_broker_publish_seconds", Help: "Duration of Broker.Publish calls.", ConstLabels: l,
			Buckets: []float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}),
		publishErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_broker_publish_errors_total", Help: "Broker.Publish calls that failed: events other instances did not get.", ConstLabels: l,
		}),
		deliveryLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "parley_broker_delivery_lag_seconds", Help: "Time from an event's publication, on any instance, to its delivery here.", ConstLabels: l,
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_broker_reconnects_total", Help: "Times the Broker's connection came back after a loss.", ConstLabels: l,
		}),
	}
	for _, c := range []prometheus.Collector{m.messages, m.started, m.offline, m.closed, m.advisor, m.storeSeconds, m.storeErrors, m.publishSecs, m.publishErrors, m.deliveryLag, m.reconnects} {
		if err := cfg.Registerer.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Watch registers the gauges read at each scrape: the queue and agents of
// desk, and the connections of srv. Either may be nil to leave its gauges
// out. Call it once per Metrics.
func (m *Metrics) Watch(desk *chat.Desk, srv *transport.Server) error {
	return m.reg.Register(newCollector(m, desk, srv))
}

// Reconnected counts one reconnection of the Broker. Give it as the
// OnReconnect of redisbroker.Config or pgnotify.Config.
func (m *Metrics) Reconnected() { m.reconnects.Inc() }
