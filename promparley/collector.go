package promparley

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
)

// collector reads the gauges at scrape time from what the Desk, the Store
// and the transport already know.
type collector struct {
	m    *Metrics
	desk *chat.Desk
	srv  *transport.Server

	connections, connected, paused, leaving *prometheus.Desc
	queueLength, queueOldest, agents        *prometheus.Desc
}

// newCollector describes the gauges of desk and srv, either of which may be nil.
func newCollector(m *Metrics, desk *chat.Desk, srv *transport.Server) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, m.labels)
	}
	return &collector{
		m: m, desk: desk, srv: srv,
		connections: d("parley_connections", "Open WebSocket and SSE connections to this instance, visitors' and agents'."),
		connected:   d("parley_connected", "Visitors and agents with at least one connection to this instance, by side.", "side"),
		paused:      d("parley_connections_paused", "Connections this instance stopped reading because it holds as many of their frames as it may."),
		leaving:     d("parley_agents_leaving", "Agents of this instance in their grace period after their last connection closed."),
		queueLength: d("parley_queue_length", "Conversations waiting in the queue for an agent, across the fleet."),
		queueOldest: d("parley_queue_oldest_age_seconds", "Age of the oldest conversation in the queue (time since it started); 0 when the queue is empty."),
		agents:      d("parley_agents", "Agents by status (online, away, offline) as the shared Store has them: the same on every instance.", "status"),
	}
}

// Describe sends the descriptions of the gauges Collect sends.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	if c.srv != nil {
		ch <- c.connections
		ch <- c.connected
		ch <- c.paused
		ch <- c.leaving
	}
	if c.desk != nil {
		ch <- c.queueLength
		ch <- c.queueOldest
		ch <- c.agents
	}
}

// Collect reads the gauges. A read that fails is logged and its gauges
// left out of this scrape.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if c.srv != nil {
		st := c.srv.Stats()
		gauge(c.connections, float64(st.Connections))
		gauge(c.connected, float64(st.Visitors), "visitor")
		gauge(c.connected, float64(st.Agents), "agent")
		gauge(c.paused, float64(st.Paused))
		gauge(c.leaving, float64(st.Leaving))
	}
	if c.desk == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.m.timeout)
	defer cancel()
	if q, err := c.desk.Queue(ctx); err != nil {
		c.m.log.ErrorContext(ctx, "promparley: reading the queue", "err", err)
	} else {
		var oldest time.Duration
		now := time.Now()
		for _, e := range q {
			oldest = max(oldest, now.Sub(e.Conversation.CreatedAt))
		}
		gauge(c.queueLength, float64(len(q)))
		gauge(c.queueOldest, oldest.Seconds())
	}
	agents, err := c.desk.Store().Agents(ctx)
	if err != nil {
		c.m.log.ErrorContext(ctx, "promparley: reading the agents", "err", err)
		return
	}
	count := map[chat.AgentStatus]int{chat.AgentOnline: 0, chat.AgentAway: 0, chat.AgentOffline: 0}
	for _, a := range agents {
		if _, ok := count[a.Status]; ok {
			count[a.Status]++
		}
	}
	for s, n := range count {
		gauge(c.agents, float64(n), string(s))
	}
}
