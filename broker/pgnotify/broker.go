package pgnotify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parleychat/parley/broker/internal/relay"
	"github.com/parleychat/parley/chat"
)

// Defaults for the zero fields of Config.
const (
	// DefaultPrefix starts the names of the channel and the table.
	DefaultPrefix = "parley_"
	// DefaultApplicationName is the application_name of the broker's
	// connections.
	DefaultApplicationName = "parley"
	// DefaultTimeout bounds each call the broker makes to PostgreSQL.
	DefaultTimeout = 5 * time.Second
	// DefaultRetention is how long a large event's row is kept.
	DefaultRetention = time.Minute
	// DefaultReconnectMin is the first wait before connecting again after
	// a failed attempt.
	DefaultReconnectMin = 100 * time.Millisecond
	// DefaultReconnectMax is the longest wait between attempts.
	DefaultReconnectMax = 10 * time.Second
	// DefaultPingInterval is how long the listening connection may stay
	// silent before the broker checks that it still works.
	DefaultPingInterval = 15 * time.Second
)

// ErrNotListening is returned by Publish while the broker, after its first
// Subscribe, has lost its listening connection and not yet made a new one:
// the event would not reach this instance's own subscribers, so it is not
// sent at all.
var ErrNotListening = errors.New("pgnotify: not listening to PostgreSQL")

var prefixPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,30}$`)

// Config configures a Broker. Only ConnString is required; every other zero
// field means the default documented on it.
type Config struct {
	// ConnString says how to reach PostgreSQL: a URL or key=value string
	// as pgxpool.ParseConfig reads it, pool settings such as
	// pool_max_conns included. Required. The listening connection must be
	// a session of its own: a pooler in transaction mode (PgBouncer's
	// default) does not keep LISTEN.
	ConnString string
	// Prefix starts the name of the channel (Prefix + "broker") and of the
	// table of large events (Prefix + "broker_events"), so that several
	// shops can share a database. Lower-case letters, digits and
	// underscores, starting with a letter, at most 31 characters. Every
	// instance of one shop uses the same Prefix. Empty means DefaultPrefix.
	Prefix string
	// ApplicationName is the application_name of the publishing
	// connections; the listening connection's is ApplicationName + "/listen",
	// so operators find it in pg_stat_activity. Empty means
	// DefaultApplicationName.
	ApplicationName string
	// Logger receives the broker's logs: lost and regained connections,
	// events that could not be read. Nil means no logs.
	Logger *slog.Logger
	// OnReconnect is called, in the broker's listening goroutine, each time
	// it listens again after its connection was lost. Events published
	// while it was lost were not delivered and never will be: set it to
	// call the Desk's Resync, which catches up from the store. It must
	// return quickly. Nil means nothing is called.
	OnReconnect func()
	// Timeout bounds each call to PostgreSQL: a publish, connecting and
	// LISTEN, reading a large event, a ping. Zero means DefaultTimeout.
	Timeout time.Duration
	// Retention is how long the row of a large event is kept for the
	// subscribers to read; older rows are deleted by later publishes of
	// large events. Zero means DefaultRetention.
	Retention time.Duration
	// ReconnectMin and ReconnectMax bound the wait between attempts to
	// connect the listener again: ReconnectMin, doubling up to
	// ReconnectMax, less up to half at random. A connection lost after
	// working for longer than ReconnectMax is replaced at once. Zero means
	// DefaultReconnectMin and DefaultReconnectMax.
	ReconnectMin, ReconnectMax time.Duration
	// PingInterval is how long the listening connection may stay silent
	// before the broker pings it, to notice a connection the network lost
	// without closing it. Zero means DefaultPingInterval.
	PingInterval time.Duration
}

// Broker is a chat.Broker over PostgreSQL LISTEN/NOTIFY. It is safe for
// concurrent use. Create it with New and stop it with Close.
type Broker struct {
	cfg       Config
	log       *slog.Logger
	poolCfg   *pgxpool.Config
	listenCfg *pgx.ConnConfig
	channel   string
	table     string
	sql       statements

	mu        sync.Mutex
	closed    bool
	pool      *pgxpool.Pool
	listening bool          // the listener goroutine was started
	up        bool          // the listener is connected and LISTENs
	down      error         // why the listener does not listen; nil before its first attempt ends
	changed   chan struct{} // closed and replaced when up or down changes
	cancel    context.CancelFunc
	done      chan struct{} // closed when the listener goroutine ends

	batch batcher

	tableMu    sync.Mutex
	tableReady bool
	lastPrune  time.Time

	subs relay.Fanout
}

var _ chat.Broker = (*Broker)(nil)

// New returns a Broker for cfg. It connects to nothing and starts no
// goroutine: the publishing pool is made on the first Publish and the
// listening connection on the first Subscribe. An invalid cfg returns an
// error wrapping chat.ErrInvalid that names the field.
func New(cfg Config) (*Broker, error) {
	if cfg.ConnString == "" {
		return nil, fmt.Errorf("%w: pgnotify: Config.ConnString is required", chat.ErrInvalid)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if !prefixPattern.MatchString(cfg.Prefix) {
		return nil, fmt.Errorf("%w: pgnotify: Config.Prefix %q must be lower-case letters, digits and underscores, starting with a letter, at most 31 characters", chat.ErrInvalid, cfg.Prefix)
	}
	if cfg.ApplicationName == "" {
		cfg.ApplicationName = DefaultApplicationName
	}
	for _, d := range []struct {
		name  string
		value *time.Duration
		def   time.Duration
	}{
		{"Timeout", &cfg.Timeout, DefaultTimeout},
		{"Retention", &cfg.Retention, DefaultRetention},
		{"ReconnectMin", &cfg.ReconnectMin, DefaultReconnectMin},
		{"ReconnectMax", &cfg.ReconnectMax, DefaultReconnectMax},
		{"PingInterval", &cfg.PingInterval, DefaultPingInterval},
	} {
		if *d.value < 0 {
			return nil, fmt.Errorf("%w: pgnotify: Config.%s %v is negative", chat.ErrInvalid, d.name, *d.value)
		}
		if *d.value == 0 {
			*d.value = d.def
		}
	}
	if cfg.ReconnectMax < cfg.ReconnectMin {
		return nil, fmt.Errorf("%w: pgnotify: Config.ReconnectMax %v is below ReconnectMin %v", chat.ErrInvalid, cfg.ReconnectMax, cfg.ReconnectMin)
	}
	poolCfg, err := pgxpool.ParseConfig(cfg.ConnString)
	if err != nil {
		return nil, fmt.Errorf("%w: pgnotify: Config.ConnString: %w", chat.ErrInvalid, err)
	}
	poolCfg.ConnConfig.RuntimeParams["application_name"] = cfg.ApplicationName
	// Events are passing signals delivered at most once: a publish need
	// not wait for its commit to reach the disk.
	poolCfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	listenCfg := poolCfg.ConnConfig.Copy()
	listenCfg.RuntimeParams["application_name"] = cfg.ApplicationName + "/listen"

	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	b := &Broker{
		cfg:       cfg,
		log:       log,
		poolCfg:   poolCfg,
		listenCfg: listenCfg,
		channel:   cfg.Prefix + "broker",
		table:     cfg.Prefix + "broker_events",
		changed:   make(chan struct{}),
	}
	b.sql = newStatements(b.channel, b.table)
	return b, nil
}

// Channel returns the name of the channel the broker notifies and listens
// on.
func (b *Broker) Channel() string { return b.channel }

// Table returns the name of the table that holds large events.
func (b *Broker) Table() string { return b.table }

// Publish sends e to the subscribers of every broker on the same channel,
// this one's included. It returns once PostgreSQL has committed the
// notification, and fails while the database cannot be reached, while this
// broker is between listening connections (ErrNotListening), and after
// Close (chat.ErrClosed).
//
// An event whose envelope fits in a NOTIFY payload travels inline; a larger
// one is written to the table and its row id is notified.
func (b *Broker) Publish(ctx context.Context, e chat.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	pool, err := b.publisher()
	if err != nil {
		return err
	}
	payload, err := encode(e)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	if len(payload) <= maxPayload {
		err = b.publishBatched(ctx, pool, string(payload))
	} else {
		err = b.publishLarge(ctx, pool, payload)
	}
	if err != nil {
		return fmt.Errorf("pgnotify: publishing %s event: %w", e.Type, err)
	}
	return nil
}

// publisher returns the publishing pool, making it on first use.
func (b *Broker) publisher() (*pgxpool.Pool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("%w: pgnotify: the broker is closed", chat.ErrClosed)
	}
	if b.listening && !b.up {
		return nil, ErrNotListening
	}
	if b.pool == nil {
		// NewWithConfig connects lazily; its context only matters when
		// the pool is told to keep idle connections open.
		pool, err := pgxpool.NewWithConfig(context.Background(), b.poolCfg)
		if err != nil {
			return nil, fmt.Errorf("pgnotify: making the pool: %w", err)
		}
		b.pool = pool
	}
	return b.pool, nil
}

// Subscribe calls deliver for every event published on the channel from
// the moment it returns until stop is called. The first Subscribe starts
// the broker's listening connection, which every subscriber of this broker
// shares and which stays until Close, and waits for its first attempt to
// connect (at most Config.Timeout). Subscribe succeeds while the broker
// listens; while it cannot (the server is unreachable, or the connection
// was lost and is being made again) Subscribe fails at once with an error
// wrapping ErrNotListening and the cause. deliver is called from the
// listening goroutine, one event at a time in the order PostgreSQL
// delivers them, so it must return quickly and must not call the broker or
// stop. stop may be called more than once; once it returns, deliver is not
// called again.
func (b *Broker) Subscribe(ctx context.Context, deliver func(chat.Event)) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if deliver == nil {
		return nil, fmt.Errorf("%w: pgnotify: deliver is nil", chat.ErrInvalid)
	}
	done, err := b.listen()
	if err != nil {
		return nil, err
	}
	stop := b.subs.Add(deliver)
	if stop == nil {
		return nil, fmt.Errorf("%w: pgnotify: the broker is closed", chat.ErrClosed)
	}
	for {
		b.mu.Lock()
		up, down, changed := b.up, b.down, b.changed
		b.mu.Unlock()
		if up {
			return stop, nil
		}
		if down != nil {
			stop()
			return nil, fmt.Errorf("%w: %w", ErrNotListening, down)
		}
		select {
		case <-changed:
		case <-done:
			stop()
			return nil, fmt.Errorf("%w: pgnotify: the broker is closed", chat.ErrClosed)
		case <-ctx.Done():
			stop()
			return nil, fmt.Errorf("pgnotify: waiting for the listening connection: %w", ctx.Err())
		}
	}
}

// listen starts the listener goroutine unless it runs, and returns the
// channel closed when it ends.
func (b *Broker) listen() (done <-chan struct{}, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("%w: pgnotify: the broker is closed", chat.ErrClosed)
	}
	if !b.listening {
		b.listening = true
		ctx, cancel := context.WithCancel(context.Background())
		b.cancel = cancel
		b.done = make(chan struct{})
		go b.run(ctx)
	}
	return b.done, nil
}

// setState records whether the listener listens and, when it does not,
// why: down is nil while it listens, and not nil after a failed attempt or
// a lost connection.
func (b *Broker) setState(up bool, down error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.up, b.down = up, down
	close(b.changed)
	b.changed = make(chan struct{})
}

// Close stops the broker: the listening connection is closed, subscribers
// get no more events, and Publish and Subscribe return chat.ErrClosed.
// Close waits until ctx is done for the listener to end and the publishing
// pool to close; when ctx ends first it returns ctx's error and they finish
// in the background. Calling Close again does nothing and returns nil.
func (b *Broker) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	cancel, done, pool := b.cancel, b.done, b.pool
	b.mu.Unlock()
	b.subs.Close()
	if cancel != nil {
		cancel()
	}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		if done != nil {
			<-done
		}
		if pool != nil {
			pool.Close()
		}
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("pgnotify: closing: %w", ctx.Err())
	}
}
