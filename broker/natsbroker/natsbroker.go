package natsbroker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parleychat/parley/broker/internal/relay"
	"github.com/parleychat/parley/chat"
)

// Defaults for the zero fields of Config.
const (
	// DefaultPrefix starts the subject events travel on.
	DefaultPrefix = "parley"
	// DefaultReconnectWait is the wait between attempts to reconnect.
	DefaultReconnectWait = time.Second
	// DefaultHealthCheck is how often the client pings the server.
	DefaultHealthCheck = 15 * time.Second
	// DefaultTimeout bounds connecting, and Publish and Subscribe when
	// their context has no deadline.
	DefaultTimeout = 5 * time.Second
)

// Config configures a Broker. Only URL is required.
type Config struct {
	// URL is the NATS server's address, such as nats://127.0.0.1:4222, or
	// several of one cluster separated by commas. Required.
	URL string
	// Prefix names the subject: events travel on Prefix + ".events". Shops
	// that share one NATS give each a prefix of its own; the instances of
	// one shop use the same. It is one or more NATS subject tokens joined
	// by dots, without spaces or wildcards. Empty means DefaultPrefix.
	Prefix string
	// Logger receives the broker's logs: lost and regained connections,
	// slow-consumer errors and events it could not decode. Nil means no
	// logs.
	Logger *slog.Logger
	// OnReconnect is called, in a goroutine of the NATS client, each time
	// the connection is back after it was lost and the subscription is in
	// force again. Events published while it was lost were not delivered
	// and never will be: set it to call the Desk's Resync, which catches
	// up from the store. It must return quickly. Nil means nothing is
	// called.
	OnReconnect func()
	// ReconnectWait is the wait between attempts to reconnect; the client
	// tries for ever. Zero means DefaultReconnectWait; negative is invalid.
	ReconnectWait time.Duration
	// HealthCheck is how often the client pings the server; a connection
	// that leaves a ping unanswered until the next is dropped and
	// reconnected, so one that went silent is found within about two of
	// these. Zero means DefaultHealthCheck; negative is invalid.
	HealthCheck time.Duration
	// Timeout bounds connecting, and Publish and Subscribe when their
	// context has no deadline. Zero means DefaultTimeout; negative is
	// invalid.
	Timeout time.Duration
	// Options are further nats.Option values, applied after the broker's
	// own: credentials, TLS, a client name. Options that change
	// reconnection or buffering (MaxReconnects, ReconnectBufSize,
	// NoReconnect) break what this package promises.
	Options []nats.Option
}

// Broker is a chat.Broker over NATS core publish/subscribe. Each instance
// of a shop makes one with New and gives it to its Desk in
// chat.Config.Broker. It is safe for concurrent use.
type Broker struct {
	cfg     Config
	log     *slog.Logger
	subject string
	fanout  relay.Fanout
	closed  atomic.Bool

	mu   sync.Mutex // guards the fields below and connecting
	nc   *nats.Conn
	sub  *nats.Subscription
	gone chan struct{} // closed when the connection has closed
}

var _ chat.Broker = (*Broker)(nil)

// errClosed is what calls on a closed broker return.
var errClosed = fmt.Errorf("%w: natsbroker: the broker is closed", chat.ErrClosed)

// New returns a Broker for the server at cfg.URL. It does no I/O and
// starts no goroutine: the first Publish or Subscribe connects. An
// invalid field returns an error wrapping chat.ErrInvalid that names it.
func New(cfg Config) (*Broker, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("%w: natsbroker: Config.URL is required", chat.ErrInvalid)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if err := checkPrefix(cfg.Prefix); err != nil {
		return nil, err
	}
	if cfg.ReconnectWait < 0 {
		return nil, fmt.Errorf("%w: natsbroker: Config.ReconnectWait is negative", chat.ErrInvalid)
	}
	if cfg.ReconnectWait == 0 {
		cfg.ReconnectWait = DefaultReconnectWait
	}
	if cfg.HealthCheck < 0 {
		return nil, fmt.Errorf("%w: natsbroker: Config.HealthCheck is negative", chat.ErrInvalid)
	}
	if cfg.HealthCheck == 0 {
		cfg.HealthCheck = DefaultHealthCheck
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: natsbroker: Config.Timeout is negative", chat.ErrInvalid)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	cfg.Options = append([]nats.Option(nil), cfg.Options...)
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	subject := cfg.Prefix + ".events"
	return &Broker{cfg: cfg, log: log.With("broker", "nats", "subject", subject), subject: subject}, nil
}

// checkPrefix refuses a prefix that is not a literal NATS subject.
func checkPrefix(p string) error {
	for tok := range strings.SplitSeq(p, ".") {
		if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n") {
			return fmt.Errorf("%w: natsbroker: Config.Prefix %q is not dot-separated subject tokens without spaces or wildcards", chat.ErrInvalid, p)
		}
	}
	return nil
}

// Subject returns the NATS subject the broker uses.
func (b *Broker) Subject() string { return b.subject }

// timeout returns ctx bounded by Config.Timeout when it has no deadline.
func (b *Broker) timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, b.cfg.Timeout)
}

// conn returns the connection, connecting on first use. While the client
// reconnects after a loss it returns the connection as it is: its calls
// then fail.
func (b *Broker) conn() (*nats.Conn, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return nil, errClosed
	}
	if b.nc != nil {
		return b.nc, nil
	}
	gone := make(chan struct{})
	opts := append([]nats.Option{
		nats.Name("parley"),
		nats.Timeout(b.cfg.Timeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(b.cfg.ReconnectWait),
		nats.PingInterval(b.cfg.HealthCheck),
		nats.MaxPingsOutstanding(1),
		// Publish fails while the connection is down instead of keeping
		// events to send later: the store is the truth, and an event
		// sent minutes late would be out of date.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			b.log.Warn("natsbroker: lost the connection; events published until it is back are not delivered here", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			// The client has sent the subscription again; once the
			// server answers a ping sent after it, it is in force.
			if err := nc.FlushTimeout(b.cfg.Timeout); err != nil {
				b.log.Warn("natsbroker: reconnected, but lost the connection again", "err", err)
				return
			}
			b.log.Info("natsbroker: reconnected", "server", nc.ConnectedUrlRedacted())
			if b.cfg.OnReconnect != nil {
				b.cfg.OnReconnect()
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			b.log.Error("natsbroker: asynchronous error", "err", err)
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(gone) }),
	}, b.cfg.Options...)
	nc, err := nats.Connect(b.cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("natsbroker: connecting: %w", err)
	}
	b.nc, b.gone = nc, gone
	return nc, nil
}

// Publish sends e to the subscribers of every broker on the subject. It
// returns once the server has taken the event (the client flushes and
// waits for the server's answer), bounded by ctx or else Config.Timeout.
// While the server cannot be reached it returns an error; the event is
// then lost to other instances. After Close it returns an error wrapping
// chat.ErrClosed.
func (b *Broker) Publish(ctx context.Context, e chat.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := relay.Marshal(e)
	if err != nil {
		return err
	}
	nc, err := b.conn()
	if err != nil {
		return err
	}
	if err := nc.Publish(b.subject, data); err != nil {
		return b.fail("publishing", err)
	}
	flushCtx, cancel := b.timeout(ctx)
	defer cancel()
	if err := nc.FlushWithContext(flushCtx); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return b.fail("publishing", err)
	}
	return nil
}

// fail wraps err from the client, as chat.ErrClosed after Close.
func (b *Broker) fail(doing string, err error) error {
	if b.closed.Load() || errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("%w: natsbroker: %s: %v", chat.ErrClosed, doing, err)
	}
	return fmt.Errorf("natsbroker: %s: %w", doing, err)
}

// Subscribe calls deliver for every event published on the subject from
// now on, by any broker, until stop is called or the broker is closed.
// The first Subscribe of a broker subscribes it to the subject and waits
// for the server to confirm, bounded by ctx or else Config.Timeout; later
// ones only add deliver. ctx bounds the call, not the subscription.
// deliver is called from one goroutine per broker, in the order the
// server delivered the events, and must return quickly.
func (b *Broker) Subscribe(ctx context.Context, deliver func(chat.Event)) (func(), error) {
	return b.fanout.Subscribe(ctx, b.start, deliver, errClosed)
}

// start subscribes the broker to its subject once.
func (b *Broker) start(ctx context.Context) error {
	nc, err := b.conn()
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sub != nil {
		return nil
	}
	sub, err := nc.Subscribe(b.subject, b.receive)
	if err != nil {
		return b.fail("subscribing", err)
	}
	flushCtx, cancel := b.timeout(ctx)
	defer cancel()
	if err := nc.FlushWithContext(flushCtx); err != nil {
		_ = sub.Unsubscribe()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return b.fail("subscribing", err)
	}
	b.sub = sub
	return nil
}

// receive decodes one message and hands it to the fan-out.
func (b *Broker) receive(m *nats.Msg) {
	e, err := relay.Unmarshal(m.Data)
	if err != nil {
		b.log.Error("natsbroker: dropping an event that cannot be decoded", "err", err, "bytes", len(m.Data))
		return
	}
	b.fanout.Deliver(e)
}

// Close ends every subscription, so deliver is not called once Close
// returns, and closes the connection. Publish and Subscribe then return
// errors wrapping chat.ErrClosed. A second Close returns nil. ctx bounds
// the wait for the client to finish closing.
func (b *Broker) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.closed.Swap(true) {
		b.mu.Unlock()
		return nil
	}
	nc, gone := b.nc, b.gone
	b.mu.Unlock()
	b.fanout.Close()
	if nc == nil {
		return nil
	}
	nc.Close()
	select {
	case <-gone:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("natsbroker: waiting for the connection to close: %w", ctx.Err())
	}
}
