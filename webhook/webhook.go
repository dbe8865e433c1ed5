package webhook

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// Defaults for the zero fields of Config.
const (
	// DefaultTimeout bounds one attempt, from dialling to the response's
	// status.
	DefaultTimeout = 10 * time.Second
	// DefaultMinRetry is the wait after the first failed attempt; each
	// further failure doubles it.
	DefaultMinRetry = 10 * time.Second
	// DefaultMaxRetry caps the wait between attempts.
	DefaultMaxRetry = time.Hour
	// DefaultMaxAttempts is how many attempts a delivery gets: with the
	// default waits, about 17 hours of trying.
	DefaultMaxAttempts = 25
	// DefaultPollInterval is how often Run looks in the outbox for
	// deliveries that are due.
	DefaultPollInterval = time.Second
)

// claimBatch is how many deliveries of one endpoint a round claims.
const claimBatch = 8

// Endpoint is a URL subscribed to events.
type Endpoint struct {
	// Name names the endpoint in the outbox and in logs, and must stay
	// the same across restarts for waiting deliveries to find it: 1 to 64
	// bytes of letters, digits, '-' and '_'. Required, and unique.
	Name string
	// URL is where deliveries are POSTed, http or https. Required.
	URL string
	// Secret keys the signatures (see Sign and Verify); at least 16
	// bytes, and best 32 random ones. Required.
	Secret []byte
	// Events lists what the endpoint gets. Empty means every event type.
	Events []EventType
}

// Config configures Webhooks. Only Store and Endpoints are required;
// every other zero field means the default documented on it.
type Config struct {
	// Store keeps the deliveries until they succeed; store/memory and
	// store/sqlstore implement it. Give every instance the same store.
	Store chat.OutboxStore
	// Endpoints are the subscribed URLs.
	Endpoints []Endpoint
	// AllowPrivateNetworks lets deliveries reach loopback, private and
	// link-local addresses. Off, such addresses are refused when the
	// connection is made, after the name is resolved, so that nobody
	// who can set an endpoint's URL can reach the shop's internal
	// services through it. Turn it on only for endpoints on the shop's
	// own network (or a test).
	AllowPrivateNetworks bool
	// Timeout bounds one attempt. Zero means DefaultTimeout.
	Timeout time.Duration
	// MinRetry is the wait after the first failure; it doubles with each
	// further one, up to MaxRetry, and a tenth at random is added so that
	// instances do not retry in step. A Retry-After header of a 429 or
	// 503 response asks for longer, up to MaxRetry. Zero means
	// DefaultMinRetry.
	MinRetry time.Duration
	// MaxRetry caps the wait between attempts. Zero means DefaultMaxRetry.
	MaxRetry time.Duration
	// MaxAttempts is how many attempts a delivery gets before it is
	// dropped, with an error in the log that names it. Zero means
	// DefaultMaxAttempts.
	MaxAttempts int
	// PollInterval is how often Run looks for due deliveries that another
	// instance added or that wait for a retry. Deliveries this instance
	// records start at once. Zero means DefaultPollInterval.
	PollInterval time.Duration
	// Logger receives failed attempts and dropped deliveries. Nil means
	// no logs.
	Logger *slog.Logger
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
}

// Webhooks records the Desk's events as deliveries in the outbox
// (RecordEvent, which the Desk calls when it is its Config.Recorder) and
// delivers them (Run). It is safe for concurrent use.
//
// Deliveries are at least once: each is POSTed until an endpoint answers
// with a 2xx status, and may arrive more than once (after a timeout whose
// request did arrive, or an instance that stopped after sending), always
// with the same id. They are not ordered: a retried delivery arrives
// after later ones; order them by CreatedAt and a message's Seq.
type Webhooks struct {
	store     chat.OutboxStore
	endpoints []endpoint
	holder    string
	client    *http.Client
	timeout   time.Duration
	minRetry  time.Duration
	maxRetry  time.Duration
	attempts  int
	poll      time.Duration
	log       *slog.Logger
	now       func() time.Time
	wake      map[string]chan struct{} // by endpoint name
}

// endpoint is a checked Endpoint.
type endpoint struct {
	Endpoint
	target string // the outbox target
}

var _ chat.EventRecorder = (*Webhooks)(nil)

// New returns Webhooks for cfg. It does no I/O and starts no goroutines.
// An invalid cfg returns an error wrapping chat.ErrInvalid that names the
// field.
func New(cfg Config) (*Webhooks, error) {
	if cfg.Store == nil {
		return nil, invalid("Config.Store is required")
	}
	if cfg.Timeout < 0 || cfg.MinRetry < 0 || cfg.MaxRetry < 0 || cfg.MaxAttempts < 0 || cfg.PollInterval < 0 {
		return nil, invalid("Config.Timeout, MinRetry, MaxRetry, MaxAttempts and PollInterval cannot be negative")
	}
	w := &Webhooks{
		store:    cfg.Store,
		holder:   "webhook-" + uuid.NewString(),
		client:   newClient(cfg.AllowPrivateNetworks),
		timeout:  cmp.Or(cfg.Timeout, DefaultTimeout),
		minRetry: cmp.Or(cfg.MinRetry, DefaultMinRetry),
		maxRetry: cmp.Or(cfg.MaxRetry, DefaultMaxRetry),
		attempts: cmp.Or(cfg.MaxAttempts, DefaultMaxAttempts),
		poll:     cmp.Or(cfg.PollInterval, DefaultPollInterval),
		log:      cfg.Logger,
		now:      cfg.Now,
		wake:     make(map[string]chan struct{}),
	}
	if w.minRetry > w.maxRetry {
		return nil, invalid("Config.MinRetry %s is over MaxRetry %s", w.minRetry, w.maxRetry)
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.now == nil {
		w.now = time.Now
	}
	for i, e := range cfg.Endpoints {
		if err := checkEndpoint(e, cfg.AllowPrivateNetworks); err != nil {
			return nil, fmt.Errorf("Config.Endpoints[%d]: %w", i, err)
		}
		if _, dup := w.wake[e.Name]; dup {
			return nil, invalid("Config.Endpoints[%d]: name %q is used twice", i, e.Name)
		}
		e.Secret, e.Events = bytes.Clone(e.Secret), slices.Clone(e.Events)
		w.endpoints = append(w.endpoints, endpoint{Endpoint: e, target: "webhook:" + e.Name})
		w.wake[e.Name] = make(chan struct{}, 1)
	}
	return w, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: webhook: "+format, append([]any{chat.ErrInvalid}, args...)...)
}

// checkEndpoint reports with chat.ErrInvalid what is wrong with e. A URL
// whose host is a literal address that may not be reached is refused here
// already; names are checked when connecting.
func checkEndpoint(e Endpoint, allowPrivate bool) error {
	if e.Name == "" || len(e.Name) > 64 {
		return invalid("Name %q is not 1 to 64 bytes", e.Name)
	}
	for _, r := range e.Name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return invalid("Name %q has a character other than letters, digits, '-' and '_'", e.Name)
		}
	}
	u, err := url.Parse(e.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return invalid("URL %.200q is not an absolute http or https URL without credentials", e.URL)
	}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil {
		if err := checkAddress(a, allowPrivate); err != nil {
			return fmt.Errorf("%w: URL %.200q: %w", chat.ErrInvalid, e.URL, err)
		}
	}
	if len(e.Secret) < 16 {
		return invalid("Secret of %q is %d bytes, under 16", e.Name, len(e.Secret))
	}
	for _, t := range e.Events {
		if !slices.Contains(EventTypes(), t) {
			return invalid("event type %.64q of %q is unknown", t, e.Name)
		}
	}
	return nil
}

// RecordEvent adds a delivery of e to the outbox for every endpoint
// subscribed to its type, in one write, and wakes this instance's
// delivery of them; events no endpoint wants are ignored. It implements
// chat.EventRecorder: set the Webhooks as the Desk's Config.Recorder.
func (w *Webhooks) RecordEvent(ctx context.Context, e chat.Event) error {
	t, ok := typeOf(e)
	if !ok {
		return nil
	}
	now := chat.Timestamp(w.now())
	var items []chat.OutboxItem
	var woken []string
	for _, ep := range w.endpoints {
		if len(ep.Events) > 0 && !slices.Contains(ep.Events, t) {
			continue
		}
		id := chat.NewID()
		body, err := json.Marshal(delivery(id, t, e))
		if err != nil {
			return fmt.Errorf("webhook: encoding a delivery: %w", err)
		}
		items = append(items, chat.OutboxItem{ID: id, Target: ep.target, Payload: body, CreatedAt: now, Due: now})
		woken = append(woken, ep.Name)
	}
	if err := w.store.AddOutbox(ctx, items); err != nil {
		return err
	}
	for _, name := range woken {
		select {
		case w.wake[name] <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
	return nil
}

// Run delivers what is due, for every endpoint at once, until ctx is
// done, and returns ctx's error. Start it once per instance, in a
// goroutine of its own; instances sharing the store share the work, each
// delivery attempted by one at a time. A delivery in flight when ctx ends
// is cut short and made due again at once, for the next Run of any
// instance.
func (w *Webhooks) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, ep := range w.endpoints {
		wg.Go(func() {
			t := time.NewTicker(w.poll)
			defer t.Stop()
			for {
				_ = w.deliverDue(ctx, ep) // failures are logged, and retried
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				case <-w.wake[ep.Name]:
				}
			}
		})
	}
	wg.Wait()
	<-ctx.Done()
	w.client.CloseIdleConnections()
	return ctx.Err()
}

// DeliverDue makes one round of attempts: for every endpoint, the
// deliveries that are due are claimed and attempted, and it returns when
// they are done. Failed attempts are scheduled again, and returned
// joined, each naming its delivery. Run does this continually; call it to
// drive delivery by hand.
func (w *Webhooks) DeliverDue(ctx context.Context) error {
	errs := make([]error, len(w.endpoints))
	var wg sync.WaitGroup
	for i, ep := range w.endpoints {
		wg.Go(func() { errs[i] = w.deliverDue(ctx, ep) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// deliverDue claims and attempts the due deliveries of ep, a batch at a
// time, until none is left.
func (w *Webhooks) deliverDue(ctx context.Context, ep endpoint) error {
	var errs []error
	for ctx.Err() == nil {
		now := w.now()
		// The lease outlasts the attempts of the whole batch.
		items, err := w.store.ClaimOutbox(ctx, ep.target, w.holder, now, now.Add((claimBatch+1)*w.timeout), claimBatch)
		if err != nil {
			if ctx.Err() == nil {
				w.log.ErrorContext(ctx, "webhook: claiming deliveries", "endpoint", ep.Name, "err", err)
			}
			return errors.Join(append(errs, err)...)
		}
		for _, item := range items {
			if err := w.attempt(ctx, ep, item); err != nil {
				errs = append(errs, fmt.Errorf("delivery %s to %s: %w", item.ID, ep.Name, err))
			}
		}
		if len(items) < claimBatch {
			break
		}
	}
	return errors.Join(errs...)
}

// attempt POSTs item to ep once and records the outcome in the store.
func (w *Webhooks) attempt(ctx context.Context, ep endpoint, item chat.OutboxItem) error {
	retryAfter, err := w.post(ctx, ep, item)
	// The outcome is recorded even when ctx ended meanwhile.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.timeout)
	defer cancel()
	if err == nil {
		if _, ferr := w.store.FinishOutbox(sctx, item.ID, w.holder); ferr != nil {
			w.log.ErrorContext(ctx, "webhook: finishing a delivery", "endpoint", ep.Name, "delivery", item.ID, "err", ferr)
		}
		return nil
	}
	tries := item.Attempts + 1
	due := w.now().Add(max(w.backoff(tries), retryAfter))
	switch {
	case ctx.Err() != nil:
		due = w.now() // cut short by shutdown: due again at once, for whoever runs next
	case tries >= w.attempts:
		w.log.ErrorContext(ctx, "webhook: dropping a delivery after its last attempt", "endpoint", ep.Name,
			"delivery", item.ID, "attempts", tries, "created", item.CreatedAt, "err", err)
		if _, ferr := w.store.FinishOutbox(sctx, item.ID, w.holder); ferr != nil {
			w.log.ErrorContext(ctx, "webhook: dropping a delivery", "endpoint", ep.Name, "delivery", item.ID, "err", ferr)
		}
		return err
	default:
		w.log.WarnContext(ctx, "webhook: attempt failed", "endpoint", ep.Name, "delivery", item.ID, "attempt", tries, "err", err)
	}
	if _, rerr := w.store.RetryOutbox(sctx, item.ID, w.holder, due, cut(err.Error())); rerr != nil {
		w.log.ErrorContext(ctx, "webhook: scheduling a retry", "endpoint", ep.Name, "delivery", item.ID, "err", rerr)
	}
	return err
}

// backoff returns the wait after the n-th failed attempt.
func (w *Webhooks) backoff(n int) time.Duration {
	d := w.minRetry
	for i := 1; i < n && d < w.maxRetry; i++ {
		d *= 2
	}
	d = min(d, w.maxRetry)
	return d + rand.N(d/10+1)
}

// cut makes an error text one the outbox keeps: valid UTF-8 without NUL
// bytes, shortened at a UTF-8 boundary. A text it refused would leave the
// attempt unrecorded.
func cut(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	if len(s) <= chat.MaxOutboxErrorBytes {
		return s
	}
	s = s[:chat.MaxOutboxErrorBytes]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// StatusError is the error of an attempt the endpoint answered with a
// status other than 2xx.
type StatusError struct {
	StatusCode int
}

func (e *StatusError) Error() string {
	return "webhook: endpoint answered " + strconv.Itoa(e.StatusCode) + " " + http.StatusText(e.StatusCode)
}

// post makes one attempt. A 429 or 503 answer's Retry-After, in seconds,
// is returned with its error.
func (w *Webhooks) post(ctx context.Context, ep endpoint, item chat.OutboxItem) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(item.Payload))
	if err != nil {
		return 0, err
	}
	var typ struct {
		Type EventType `json:"type"`
	}
	_ = json.Unmarshal(item.Payload, &typ) // written by RecordEvent
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Parley-Webhook/1")
	req.Header.Set(IDHeader, item.ID.String())
	req.Header.Set(EventHeader, string(typ.Type))
	req.Header.Set(AttemptHeader, strconv.Itoa(item.Attempts+1))
	req.Header.Set(SignatureHeader, Sign(ep.Secret, w.now(), item.Payload))
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, nil
	}
	var after time.Duration
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			after = min(time.Duration(s)*time.Second, w.maxRetry)
		}
	}
	return after, &StatusError{StatusCode: resp.StatusCode}
}
