package redisbroker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/parleychat/parley/broker/internal/relay"
	"github.com/parleychat/parley/chat"
)

// Defaults for the zero fields of Config.
const (
	// DefaultPrefix starts the name of the channel events travel on.
	DefaultPrefix = "parley"
	// DefaultHealthCheck is how long the subscription may hear nothing
	// before the broker pings the server to find out whether the
	// connection still works.
	DefaultHealthCheck = 15 * time.Second
	// DefaultMaxBackoff is the longest wait between two attempts to
	// reconnect the subscription.
	DefaultMaxBackoff = 5 * time.Second
)

// Config configures a Broker. Only URL is required.
type Config struct {
	// URL is the Redis server's address, as redis.ParseURL reads it:
	// redis://[user:password@]host:port/db, or rediss:// for TLS.
	// Required.
	URL string
	// Prefix names the channel: events travel on Prefix + ":events". Shops
	// that share one Redis give each a prefix of its own; the instances of
	// one shop use the same. Empty means DefaultPrefix.
	Prefix string
	// Logger receives the broker's logs: lost and regained connections,
	// and events it could not decode. Nil means no logs. The go-redis
	// client writes its own few diagnostics to its process-wide logger,
	// which redis.SetLogger replaces.
	Logger *slog.Logger
	// OnReconnect is called, in the broker's receiving goroutine, each time
	// the subscription is in force again after its connection was lost.
	// Events published while it was lost were not delivered and never
	// will be: set it to call the Desk's Resync, which catches up from the
	// store. It must return quickly. Nil means nothing is called.
	OnReconnect func()
	// HealthCheck is how long the subscription may hear nothing before the
	// broker pings the server, and how long it then waits for the answer
	// before it drops the connection and reconnects. Zero means
	// DefaultHealthCheck; negative is invalid.
	HealthCheck time.Duration
	// MaxBackoff is the longest wait between attempts to reconnect the
	// subscription; the wait starts at a twentieth of it and doubles. Zero
	// means DefaultMaxBackoff; negative is invalid.
	MaxBackoff time.Duration
}

// Broker is a chat.Broker over Redis Pub/Sub. Each instance of a shop
// makes one with New and gives it to its Desk in chat.Config.Broker. It is
// safe for concurrent use.
type Broker struct {
	cfg     Config
	log     *slog.Logger
	channel string
	client  *redis.Client
	fanout  relay.Fanout
	closed  atomic.Bool

	mu      sync.Mutex // guards the fields below and starting the subscription
	ps      *redis.PubSub
	cancel  context.CancelFunc // stops receive
	stopped chan struct{}      // closed when receive returns
}

var _ chat.Broker = (*Broker)(nil)

// errClosed is what calls on a closed broker return.
var errClosed = fmt.Errorf("%w: redisbroker: the broker is closed", chat.ErrClosed)

// New returns a Broker for the server at cfg.URL. It does no I/O and
// starts no goroutine: the first Publish connects, and the first Subscribe
// subscribes. An invalid field returns an error wrapping chat.ErrInvalid
// that names it.
func New(cfg Config) (*Broker, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("%w: redisbroker: Config.URL is required", chat.ErrInvalid)
	}
	opts, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: redisbroker: Config.URL: %v", chat.ErrInvalid, err)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.HealthCheck < 0 {
		return nil, fmt.Errorf("%w: redisbroker: Config.HealthCheck is negative", chat.ErrInvalid)
	}
	if cfg.HealthCheck == 0 {
		cfg.HealthCheck = DefaultHealthCheck
	}
	if cfg.MaxBackoff < 0 {
		return nil, fmt.Errorf("%w: redisbroker: Config.MaxBackoff is negative", chat.ErrInvalid)
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Broker{
		cfg:     cfg,
		log:     log.With("broker", "redis", "channel", cfg.Prefix+":events"),
		channel: cfg.Prefix + ":events",
		client:  redis.NewClient(opts),
	}, nil
}

// Channel returns the name of the Redis channel the broker uses.
func (b *Broker) Channel() string { return b.channel }

// Publish sends e to the subscribers of every broker on the channel. It
// returns once Redis has taken the event. While the server cannot be
// reached it returns an error; the event is then lost to other instances.
// After Close it returns an error wrapping chat.ErrClosed.
func (b *Broker) Publish(ctx context.Context, e chat.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.closed.Load() {
		return errClosed
	}
	data, err := relay.Marshal(e)
	if err != nil {
		return err
	}
	if err := b.client.Publish(ctx, b.channel, data).Err(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if errors.Is(err, redis.ErrClosed) {
			return errClosed
		}
		return fmt.Errorf("redisbroker: publishing: %w", err)
	}
	return nil
}

// Subscribe calls deliver for every event published on the channel from
// now on, by any broker, until stop is called or the broker is closed.
// The first Subscribe of a broker subscribes it to the channel, which
// needs the server; later ones only add deliver. ctx bounds the call, not
// the subscription. deliver is called from one goroutine per broker, in
// the order Redis delivered the events, and must return quickly.
func (b *Broker) Subscribe(ctx context.Context, deliver func(chat.Event)) (func(), error) {
	return b.fanout.Subscribe(ctx, b.start, deliver, errClosed)
}

// start subscribes the broker to its channel and starts receiving, once.
// It returns when Redis has confirmed the subscription, so events
// published after it returns reach the broker.
func (b *Broker) start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return errClosed
	}
	if b.ps != nil {
		return nil
	}
	ps := b.client.Subscribe(ctx)
	err := ps.Subscribe(ctx, b.channel)
	if err == nil {
		_, err = ps.ReceiveTimeout(ctx, b.cfg.HealthCheck)
	}
	if err != nil {
		_ = ps.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return fmt.Errorf("redisbroker: subscribing to %s: %w", b.channel, err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	b.ps, b.cancel, b.stopped = ps, cancel, make(chan struct{})
	go b.receive(runCtx, ps, b.stopped)
	return nil
}

// receive reads the subscription until ctx ends, handing events to the
// fan-out. After HealthCheck of silence it pings; when the answer does not
// come within another HealthCheck, or the connection fails, it retries
// with a growing wait, and go-redis dials again and resubscribes on the
// next read.
func (b *Broker) receive(ctx context.Context, ps *redis.PubSub, stopped chan<- struct{}) {
	defer close(stopped)
	failures := 0
	pinged := false
	for {
		var msg any
		var err error
		if pinged {
			// A read bounded by its context rather than by a timeout
			// makes go-redis drop the connection when it expires.
			rctx, cancel := context.WithTimeout(ctx, b.cfg.HealthCheck)
			msg, err = ps.Receive(rctx)
			cancel()
		} else {
			msg, err = ps.ReceiveTimeout(ctx, b.cfg.HealthCheck)
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			var ne net.Error
			if !pinged && failures == 0 && errors.As(err, &ne) && ne.Timeout() {
				// Silence: ask the server, so a dead connection shows.
				if err = ps.Ping(ctx); err == nil {
					pinged = true
					continue
				}
			}
			pinged = false
			if failures == 0 {
				b.log.Warn("redisbroker: lost the subscription's connection; events published until it is back are not delivered here", "err", err)
			}
			failures++
			if !b.wait(ctx, failures) {
				return
			}
			continue
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Message:
			e, err := relay.Unmarshal([]byte(m.Payload))
			if err != nil {
				b.log.Error("redisbroker: dropping an event that cannot be decoded", "err", err, "bytes", len(m.Payload))
				continue
			}
			b.fanout.Deliver(e)
		case *redis.Subscription:
			// The first confirmation was read by start: this one follows
			// a reconnection.
			if m.Kind == "subscribe" {
				b.log.Info("redisbroker: subscribed again after a lost connection", "attempts", failures)
				failures = 0
				if b.cfg.OnReconnect != nil {
					b.cfg.OnReconnect()
				}
			}
		}
	}
}

// wait sleeps before reconnection attempt n, at most MaxBackoff, and
// reports false when ctx ended first.
func (b *Broker) wait(ctx context.Context, n int) bool {
	d := b.cfg.MaxBackoff / 20
	for i := 1; i < n && d < b.cfg.MaxBackoff; i++ {
		d *= 2
	}
	t := time.NewTimer(min(d, b.cfg.MaxBackoff))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Close ends every subscription, so deliver is not called once Close
// returns, and closes the connections. Publish and Subscribe then return
// errors wrapping chat.ErrClosed. A second Close returns nil. ctx bounds
// the wait for the receiving goroutine.
func (b *Broker) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.closed.Swap(true) {
		b.mu.Unlock()
		return nil
	}
	ps, cancel, stopped := b.ps, b.cancel, b.stopped
	b.mu.Unlock()
	b.fanout.Close()
	var errs []error
	if ps != nil {
		cancel()
		errs = append(errs, ps.Close())
		select {
		case <-stopped:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("redisbroker: waiting for the subscription to end: %w", ctx.Err()))
		}
	}
	errs = append(errs, b.client.Close())
	return errors.Join(errs...)
}
