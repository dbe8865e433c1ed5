package promparley_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/promparley"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// wait bounds every wait of these tests.
const wait = 10 * time.Second

// setup is a measured Desk on SQLite served by the real transport over a
// real listener, with its metrics on their own registry served by
// promhttp.
type setup struct {
	reg     *prometheus.Registry
	metrics *promparley.Metrics
	store   chat.Store // the measured store
	desk    *chat.Desk
	url     string // the chat handlers and /metrics
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	reg := prometheus.NewRegistry()
	m, err := promparley.New(promparley.Config{Instance: "web-1", Registerer: reg})
	require.NoError(t, err)
	store := m.Store(db)
	desk, err := chat.NewDesk(chat.Config{Store: store, Broker: m.Broker(nil)})
	require.NoError(t, err)
	srv, err := transport.New(transport.Config{
		Desk:             desk,
		Secret:           []byte("0123456789abcdef0123456789abcdef-metrics"),
		AgentGracePeriod: -1,
		AuthenticateAgent: func(r *http.Request) (chat.Agent, error) {
			id := r.Header.Get("X-Test-Agent")
			if id == "" {
				return chat.Agent{}, errors.New("not logged in")
			}
			return chat.Agent{ID: id, Name: "Agent " + id, Capacity: 1}, nil
		},
	})
	require.NoError(t, err)
	require.NoError(t, m.Watch(desk, srv))
	mux := http.NewServeMux()
	mux.Handle("/chat/", http.StripPrefix("/chat", srv.VisitorHandler()))
	mux.Handle("/staff/chat/", http.StripPrefix("/staff/chat", srv.AgentHandler()))
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		_ = srv.Shutdown(ctx)
		hs.Close()
		_ = desk.Close(ctx)
	})
	return &setup{reg: reg, metrics: m, store: store, desk: desk, url: hs.URL}
}

// client is a WebSocket protocol client.
type client struct {
	t    *testing.T
	conn *websocket.Conn
}

// dial connects to path, says hello, and waits for the welcome.
func (s *setup) dial(t *testing.T, path string, header http.Header) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+path, &websocket.DialOptions{HTTPHeader: header})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.CloseNow() })
	c := &client{t: t, conn: conn}
	c.send(wire.ClientFrame{Type: wire.FrameHello, ID: "hello", V: wire.ProtocolVersion})
	c.await(wire.FrameWelcome)
	return c
}

func (c *client) send(f wire.ClientFrame) {
	c.t.Helper()
	b, err := json.Marshal(f)
	require.NoError(c.t, err)
	ctx, cancel := context.WithTimeout(c.t.Context(), wait)
	defer cancel()
	require.NoError(c.t, c.conn.Write(ctx, websocket.MessageText, b))
}

// await reads frames until one of type typ, failing on an error frame.
func (c *client) await(typ string) wire.ServerFrame {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), wait)
	defer cancel()
	for {
		_, data, err := c.conn.Read(ctx)
		require.NoError(c.t, err, "waiting for %s", typ)
		var f wire.ServerFrame
		require.NoError(c.t, json.Unmarshal(data, &f))
		require.NotEqual(c.t, wire.FrameError, f.Type, "%s", data)
		if f.Type == typ {
			return f
		}
	}
}

// scrape fetches /metrics over HTTP and parses it.
func (s *setup) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(s.url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return families
}

// value returns the value of the metric of family name whose labels
// include labels, and whether there is one.
func value(families map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := families[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// want is the value a metric should have.
type want struct {
	name   string
	labels []string // name, value, ...
	value  float64
}

// expect checks that families hold every metric of wants, labelled with
// instance.
func expect(t *testing.T, families map[string]*dto.MetricFamily, instance string, wants []want) {
	t.Helper()
	for _, w := range wants {
		v, ok := value(families, w.name, append([]string{promparley.InstanceLabel, instance}, w.labels...)...)
		assert.True(t, ok, "%s%v is missing", w.name, w.labels)
		assert.Equal(t, w.value, v, "%s%v", w.name, w.labels)
	}
}

// TestChatOverTheWire runs a visitor and an agent chatting over WebSocket
// with a second visitor queued behind the agent's capacity, and reads every
// kind of metric from a scrape of /metrics.
func TestChatOverTheWire(t *testing.T) {
	s := newSetup(t)
	agent := s.dial(t, "/staff/chat/ws", http.Header{"X-Test-Agent": {"olga"}})
	visitor := s.dial(t, "/chat/ws", nil)

	visitor.send(wire.ClientFrame{Type: wire.FrameStart, ID: "start"})
	conv := visitor.await(wire.FrameStarted).Conversation
	require.NotNil(t, conv)
	visitor.send(wire.ClientFrame{Type: wire.FrameSend, ID: "s1", ConversationID: conv.ID, Key: "v1", Body: "Is the oak board in stock?"})
	visitor.await(wire.FrameAck)
	agent.send(wire.ClientFrame{Type: wire.FrameSend, ID: "s2", ConversationID: conv.ID, Key: "a1", Body: "It is."})
	agent.await(wire.FrameAck)

	// The agent has room for one chat: the next visitor waits in the queue.
	second := s.dial(t, "/chat/ws", nil)
	second.send(wire.ClientFrame{Type: wire.FrameStart, ID: "start"})
	second.await(wire.FrameStarted)

	got := s.scrape(t)
	expect(t, got, "web-1", []want{
		{"parley_connections", nil, 3},
		{"parley_connected", []string{"side", "visitor"}, 2},
		{"parley_connected", []string{"side", "agent"}, 1},
		{"parley_messages_total", []string{"author", "visitor"}, 1},
		{"parley_messages_total", []string{"author", "agent"}, 1},
		{"parley_conversations_started_total", nil, 2},
		{"parley_queue_length", nil, 1},
		{"parley_agents", []string{"status", "online"}, 1},
	})
	oldest, _ := value(got, "parley_queue_oldest_age_seconds")
	assert.Greater(t, oldest, 0.0, "the queued conversation has waited")
	for _, method := range []string{"CreateConversation", "AppendMessage", "AssignConversation"} {
		n, _ := value(got, "parley_store_seconds", "method", method)
		assert.Greater(t, n, 0.0, "calls of %s are timed", method)
	}
	n, _ := value(got, "parley_broker_publish_seconds")
	assert.Greater(t, n, 0.0, "publishes are timed")
	n, _ = value(got, "parley_broker_delivery_lag_seconds")
	assert.Greater(t, n, 0.0, "deliveries are timed")

	// Closing the chat frees the agent, who takes the queued visitor.
	agent.send(wire.ClientFrame{Type: wire.FrameClose, ID: "close", ConversationID: conv.ID})
	agent.await(wire.FrameOK)
	require.Eventually(t, func() bool {
		got := s.scrape(t)
		closed, _ := value(got, "parley_conversations_closed_total")
		queued, _ := value(got, "parley_queue_length")
		return closed == 1 && queued == 0
	}, wait, 10*time.Millisecond, "the close is counted and the queue empties")
}

// TestOfflineRequests counts a conversation started when nobody is online.
func TestOfflineRequests(t *testing.T) {
	s := newSetup(t)
	visitor := s.dial(t, "/chat/ws", nil)
	visitor.send(wire.ClientFrame{Type: wire.FrameStart, ID: "start"})
	visitor.await(wire.FrameStarted)
	got := s.scrape(t)
	n, _ := value(got, "parley_offline_requests_total")
	assert.Equal(t, 1.0, n)
	n, _ = value(got, "parley_conversations_started_total")
	assert.Equal(t, 1.0, n)
	n, _ = value(got, "parley_queue_length")
	assert.Equal(t, 0.0, n, "an offline request is not in the queue")
}

// TestStoreErrors counts failed Store calls by method, but not answers
// such as ErrNotFound that the Store's rules call for.
func TestStoreErrors(t *testing.T) {
	s := newSetup(t)
	_, err := s.store.Conversation(t.Context(), uuid.New())
	require.ErrorIs(t, err, chat.ErrNotFound)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = s.store.Agents(ctx)
	require.ErrorIs(t, err, context.Canceled)

	got := s.scrape(t)
	n, _ := value(got, "parley_store_seconds", "method", "Conversation")
	assert.Equal(t, 1.0, n, "the not-found call is timed")
	n, _ = value(got, "parley_store_errors_total", "method", "Conversation")
	assert.Equal(t, 0.0, n, "not found is not an error")
	n, _ = value(got, "parley_store_errors_total", "method", "Agents")
	assert.Equal(t, 1.0, n, "a failed call is an error")
}
