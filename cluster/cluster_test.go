// Package cluster_test runs Parley as a shop behind a load balancer runs
// it: several instances in one process, each with its own chat.Desk, its
// own broker client and its own transport.Server on a real HTTP listener,
// all on one PostgreSQL store and one broker server. Every case runs once
// per broker: Redis, NATS and PostgreSQL's LISTEN/NOTIFY. Clients are real
// WebSocket clients speaking the wire protocol. An instance can be killed
// without a goodbye: its broker client, store connections, listener and
// every connection are cut at once, as when its process dies.
package cluster_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/broker/natsbroker"
	"github.com/parleychat/parley/broker/pgnotify"
	"github.com/parleychat/parley/broker/redisbroker"
	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/internal/pgtest"
	"github.com/parleychat/parley/store/postgres"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/transport"
)

// wait is how long a test waits for something that should happen, and
// burstWait how long for the answers to a burst of starts.
const (
	wait      = 15 * time.Second
	burstWait = 3 * time.Minute
)

var testSecret = []byte("cluster-test-secret-0123456789abcdef")

// brokerKind is one broker the cases run on.
type brokerKind struct {
	name, env, example string
	// open returns a broker client of the cluster's broker; prefix is the
	// cluster's own, and dsn its PostgreSQL schema.
	open func(t *testing.T, server, prefix, dsn string, onReconnect func()) (chat.Broker, func(context.Context) error)
}

var brokers = []brokerKind{
	{name: "redis", env: "PARLEY_TEST_REDIS", example: "redis://127.0.0.1:6379/0",
		open: func(t *testing.T, server, prefix, _ string, onReconnect func()) (chat.Broker, func(context.Context) error) {
			b, err := redisbroker.New(redisbroker.Config{URL: server, Prefix: prefix, OnReconnect: onReconnect})
			require.NoError(t, err)
			return b, b.Close
		}},
	{name: "nats", env: "PARLEY_TEST_NATS", example: "nats://127.0.0.1:4222",
		open: func(t *testing.T, server, prefix, _ string, onReconnect func()) (chat.Broker, func(context.Context) error) {
			b, err := natsbroker.New(natsbroker.Config{URL: server, Prefix: prefix, OnReconnect: onReconnect})
			require.NoError(t, err)
			return b, b.Close
		}},
	{name: "pgnotify", env: pgtest.EnvDSN, example: "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
		open: func(t *testing.T, _, prefix, dsn string, onReconnect func()) (chat.Broker, func(context.Context) error) {
			u, err := url.Parse(dsn)
			require.NoError(t, err)
			q := u.Query()
			q.Set("pool_max_conns", "2") // the server is shared with other tests
			u.RawQuery = q.Encode()
			b, err := pgnotify.New(pgnotify.Config{ConnString: u.String(), Prefix: prefix + "_", OnReconnect: onReconnect})
			require.NoError(t, err)
			return b, b.Close
		}},
}

// forEachBroker runs test once per broker, the three at once: a case
// mostly waits for the store, so they take little longer together than
// one alone. A broker whose server is not configured is skipped, naming
// the variable.
func forEachBroker(t *testing.T, test func(t *testing.T, b brokerKind)) {
	for _, b := range brokers {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			if os.Getenv(b.env) == "" {
				t.Skipf("%s is not set (e.g. %s)", b.env, b.example)
			}
			test(t, b)
		})
	}
}

// options tune a cluster; the zero value is real time and the defaults.
type options struct {
	now              func() time.Time // every Desk's clock; nil is time.Now
	agentLeaseTTL    time.Duration
	replyNoticeDelay time.Duration
	outbox           *outbox       // records the notices every instance sends
	sweep            time.Duration // Desk.Run's interval; zero is 500 ms
	// supervisors are the agents whose consoles follow the whole shop.
	supervisors []string
	invitations []transport.InvitationRule
}

// cluster is the shared part: one PostgreSQL schema and one broker server,
// with a prefix of the cluster's own on it.
type cluster struct {
	t      *testing.T
	broker brokerKind
	dsn    string
	prefix string
	opts   options
}

func newCluster(t *testing.T, b brokerKind, opts options) *cluster {
	t.Helper()
	var r [6]byte
	_, _ = rand.Read(r[:])
	return &cluster{t: t, broker: b, dsn: pgtest.Schema(t, "cluster_"), prefix: "cluster" + hex.EncodeToString(r[:]), opts: opts}
}

// instances starts n instances, one after the other so that their stores
// do not migrate the schema at once.
func (c *cluster) instances(n int) []*instance {
	c.t.Helper()
	out := make([]*instance, n)
	for i := range out {
		out[i] = c.start(string(rune('A' + i)))
	}
	return out
}

// instance is one shop instance: a Desk on its own store connections and
// broker client, served by a transport.Server on a listener of its own.
type instance struct {
	name   string
	db     *sql.DB
	store  *sqlstore.Store
	desk   *chat.Desk
	srv    *transport.Server
	http   *http.Server
	ln     *listener
	url    string
	broker func(context.Context) error // closes the broker client
	runs   sync.WaitGroup
	stop   context.CancelFunc // stops Desk.Run
	killed atomic.Bool
}

// openStore opens the cluster's store on a pool of the instance's own, as
// another process would. The pool is small: the server is shared.
func openStore(t *testing.T, dsn string) (*sql.DB, *sqlstore.Store) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	db.SetMaxOpenConns(12)
	s, err := postgres.Open(t.Context(), db, sqlstore.Config{})
	if err != nil {
		db.Close()
	}
	require.NoError(t, err)
	return db, s
}

// start starts an instance named name. Agents authenticate with the
// X-Test-Agent header, and their capacity is X-Test-Capacity (1 when
// absent).
func (c *cluster) start(name string) *instance {
	t := c.t
	t.Helper()
	in := &instance{name: name}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})).With("instance", name)
	in.db, in.store = openStore(t, c.dsn)
	var desk atomic.Pointer[chat.Desk]
	b, closeBroker := c.broker.open(t, os.Getenv(c.broker.env), c.prefix, c.dsn, func() {
		if d := desk.Load(); d != nil {
			d.Resync()
		}
	})
	in.broker = closeBroker
	var notifier chat.Notifier
	if c.opts.outbox != nil {
		notifier = c.opts.outbox.notifier(name)
	}
	var err error
	in.desk, err = chat.NewDesk(chat.Config{
		Store:            in.store,
		Broker:           b,
		Now:              c.opts.now,
		AgentLeaseTTL:    c.opts.agentLeaseTTL,
		ReplyNoticeDelay: c.opts.replyNoticeDelay,
		Notifier:         notifier,
		Logger:           log,
	})
	require.NoError(t, err)
	desk.Store(in.desk)
	in.srv, err = transport.New(transport.Config{
		Desk:             in.desk,
		Secret:           testSecret,
		AgentGracePeriod: -1,
		Supervisor:       func(a chat.Agent) bool { return slices.Contains(c.opts.supervisors, a.ID) },
		Invitations:      c.opts.invitations,
		RateLimit:        1000,
		RateBurst:        1000,
		// A start in a burst of a hundred waits for the store, and for the
		// queue's positions to be published, behind the others; under the
		// race detector on a loaded machine that takes minutes.
		WriteTimeout: burstWait,
		Logger:       log,
		AuthenticateAgent: func(r *http.Request) (chat.Agent, error) {
			id := r.Header.Get("X-Test-Agent")
			if id == "" {
				return chat.Agent{}, errors.New("not logged in")
			}
			capacity := 1
			if v := r.Header.Get("X-Test-Capacity"); v != "" {
				if capacity, err = strconv.Atoi(v); err != nil {
					return chat.Agent{}, err
				}
			}
			return chat.Agent{ID: id, Name: "Agent " + id, Capacity: capacity}, nil
		},
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/chat/", http.StripPrefix("/chat", in.srv.VisitorHandler()))
	mux.Handle("/staff/chat/", http.StripPrefix("/staff/chat", in.srv.AgentHandler()))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	in.ln = &listener{Listener: ln}
	in.http = &http.Server{Handler: mux}
	in.url = "http://" + ln.Addr().String()
	go func() { _ = in.http.Serve(in.ln) }()

	ctx, cancel := context.WithCancel(context.Background())
	in.stop = cancel
	interval := c.opts.sweep
	if interval == 0 {
		interval = 500 * time.Millisecond
	}
	in.runs.Go(func() { _ = in.desk.Run(ctx, interval) })
	t.Cleanup(in.close)
	return in
}

// close stops an instance that is still alive gracefully, and releases
// what a killed one left.
func (in *instance) close() {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if in.killed.Load() {
		// The process is gone; what remains of it here only needs its
		// goroutines stopped.
		cancel()
	}
	_ = in.srv.Shutdown(ctx)
	_ = in.http.Close()
	in.ln.cut()
	in.stop()
	_ = in.desk.Close(ctx)
	in.runs.Wait()
	_ = in.broker(ctx)
	_ = in.store.Close(ctx)
	_ = in.db.Close()
}

// kill makes the instance vanish as a crashed process does: nothing it
// does from now on reaches the broker, the store or any client, and no
// client is told goodbye. Its broker client and store connections are
// closed first, then its listener and every connection, WebSockets
// included.
func (in *instance) kill() {
	in.killed.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = in.broker(ctx)
	_ = in.db.Close()
	_ = in.http.Close()
	in.ln.cut()
}

// listener remembers every connection it accepts, so that cut can close
// them all: http.Server.Close leaves hijacked connections, such as
// WebSockets, alone.
type listener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
	isCut bool
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isCut {
		c.Close()
		return nil, net.ErrClosed
	}
	l.conns = append(l.conns, c)
	return c, nil
}

// cut closes the listener and every connection it accepted, with a reset
// rather than a goodbye.
func (l *listener) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.isCut = true
	_ = l.Listener.Close()
	for _, c := range l.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
	l.conns = nil
}

// agentStatus reads an agent's stored status; an error reads as "".
func agentStatus(s chat.Store, id string) chat.AgentStatus {
	a, err := s.Agent(context.Background(), id)
	if err != nil {
		return ""
	}
	return a.Status
}

// testWriter writes an instance's logs to the test's log, shown when it
// fails or with -v.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// clock is a settable clock for chat.Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
