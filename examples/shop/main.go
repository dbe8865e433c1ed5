// Command shop is a small demo shop with Parley mounted the way a real shop
// mounts it. It has a catalogue with a page per product, a cart, a checkout,
// a customer login and the customer's orders; every page loads the chat
// widget, and a logged-in customer is identified to Parley from the shop's
// own session, on the server; the shop's pages are recorded for the
// agents' live list as they are served. The staff console is under
// /staff/chat/, behind the shop's own staff login.
//
//	go run ./examples/shop
//
// Chats are kept in an SQLite file in -data unless -store and -dsn (or the
// SHOP_STORE and SHOP_DSN environment variables) name a PostgreSQL or MySQL
// database:
//
//	go run ./examples/shop -store postgres -dsn 'postgres://shop@localhost/shop'
//	go run ./examples/shop -store mysql -dsn 'shop:secret@tcp(localhost:3306)/shop'
//
// Several instances of the shop can serve one shop: give each its own
// -addr and the same -store and -dsn (PostgreSQL or MySQL), the same
// -broker (or SHOP_BROKER), a Redis, NATS or PostgreSQL URL that carries
// the chat's events between them, and the same -data directory, or a copy
// of its file "secret", so that each accepts what the others signed:
//
//	go run ./examples/shop -addr :8080 -store postgres -dsn "$DSN" -broker redis://localhost:6379/0
//	go run ./examples/shop -addr :8081 -store postgres -dsn "$DSN" -broker redis://localhost:6379/0
//
// Without -broker, events stay in one instance.
//
// It sends the chat's webhooks to a small receiver of its own, which
// verifies each delivery and prints it.
//
// It serves Prometheus metrics at /metrics, labelled with -instance (the
// host name by default). It prints the shop's URL, the console's URL and
// the demo logins, and shuts down cleanly on Ctrl-C.
package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/hours"
	"github.com/parleychat/parley/promparley"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// demoAgent is the staff login the demo prints at start.
var demoAgent = struct{ user, password, name string }{"olga", "demo", "Olga Nowak"}

// config is what the flags set.
type config struct {
	addr    string // address to listen on
	dataDir string // directory for the secret and the SQLite file
	store   string // "sqlite", "postgres" or "mysql"
	dsn     string // the database for postgres and mysql; the file for sqlite
	// instance names this process in its metrics; empty means the host name
	instance string
	// broker is the URL of the server that carries events between
	// instances; empty means this instance only.
	broker       string
	brokerPrefix string // the broker's Prefix; empty means its default
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "address to listen on")
	flag.StringVar(&cfg.dataDir, "data", "parley-data", "directory for the secret and the SQLite database")
	flag.StringVar(&cfg.store, "store", envOr("SHOP_STORE", "sqlite"), "where chats are kept: sqlite, postgres or mysql (env SHOP_STORE)")
	flag.StringVar(&cfg.dsn, "dsn", os.Getenv("SHOP_DSN"), "database DSN for postgres or mysql; a file path for sqlite (env SHOP_DSN)")
	flag.StringVar(&cfg.instance, "instance", "", "this instance's name in the metrics at /metrics; empty means the host name")
	flag.StringVar(&cfg.broker, "broker", os.Getenv("SHOP_BROKER"), "URL of the redis://, nats:// or postgres:// server that carries chat events between instances; none means one instance (env SHOP_BROKER)")
	flag.StringVar(&cfg.brokerPrefix, "broker-prefix", os.Getenv("SHOP_BROKER_PREFIX"), "names the broker's channel; instances of one shop use the same (env SHOP_BROKER_PREFIX)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}

// envOr returns the environment variable key, or def when it is empty.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// run serves the shop until ctx is done.
func run(ctx context.Context, cfg config, out io.Writer) error {
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
		return err
	}
	if cfg.instance == "" {
		host, err := os.Hostname()
		if err != nil {
			return err
		}
		cfg.instance = host
	}
	secret, err := loadSecret(filepath.Join(cfg.dataDir, "secret"))
	if err != nil {
		return err
	}
	store, closeStore, err := openStore(ctx, cfg.store, cfg.dsn, cfg.dataDir, log)
	if err != nil {
		return err
	}
	defer closeStore(ctx) // on an early return; the shutdown below closes it with a deadline
	// Metrics for Prometheus, served at /metrics below: the Store and the
	// Broker are measured from the start, the Desk and the chat server once
	// they exist.
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := promparley.New(promparley.Config{Instance: cfg.instance, Registerer: registry, Logger: log})
	if err != nil {
		return err
	}
	// desk is set before the broker can call back: the broker connects
	// when the Desk first subscribes.
	var desk *chat.Desk
	broker, closeBroker, err := openBroker(cfg.broker, cfg.brokerPrefix, log, func() {
		metrics.Reconnected()
		desk.Resync()
	})
	if err != nil {
		return err
	}
	defer closeBroker(ctx) // on an early return; the shutdown below closes it with a deadline
	shopState := newShop(time.Now())
	shopPages := &pages{shop: shopState, log: log, now: time.Now}
	// Agents see the customer, their orders and their cart; the console
	// offers the shop's actions; a declined card invites the customer.
	shopCommerce := newCommerce(shopState, shopPages, log)
	hooks, err := startWebhooks(ctx, secret, store, out, log)
	if err != nil {
		return err
	}
	defer hooks.stop(ctx) // on an early return; the shutdown below stops it with a deadline
	// The virtual advisor answers new chats in front of the agents.
	adv, answers, err := newAdvisor()
	if err != nil {
		return err
	}
	defer answers.Close()
	desk, err = chat.NewDesk(chat.Config{Store: metrics.Store(store), Broker: metrics.Broker(broker), Logger: log,
		Customers: shopCommerce, Carts: shopCommerce, Recorder: hooks.hooks, Advisor: adv})
	if err != nil {
		return err
	}
	defer desk.Close(ctx) // on an early return; the shutdown below closes it with a deadline
	// The Desk's timed work: closing abandoned chats, offering offline
	// requests when the hours begin, refreshing queue estimates, setting
	// offline the agents of an instance that crashed. desk.Close stops it.
	go func() { _ = desk.Run(ctx, 0) }()

	phoneHours, err := hours.New(time.UTC, "Mon-Fri 09:00-17:00")
	if err != nil {
		return err
	}
	chatServer, err := transport.New(transport.Config{
		Desk:              desk,
		Secret:            secret,
		AuthenticateAgent: authenticateAgent,
		Logger:            log,
		Actions:           shopCommerce.actions(),
		CannedResponses: []wire.CannedResponse{
			{Shortcut: "hello", Text: "Hello {name}, this is {agent} from Kettle & Crumb. How can I help?"},
			{Shortcut: "delivery", Text: "We ship within one working day; delivery takes two to three days."},
			{Shortcut: "returns", Text: "You can return anything unused within 30 days, free of charge."},
		},
		// The widget says how fast agents usually answer, and lists the
		// shop's other contacts in its contact panel.
		TypicalReply: 2 * time.Minute,
		Contact:      transport.Contact{Phone: "+48 22 123 45 67", PhoneHours: &phoneHours, Email: "hello@example.com"},
		Invitations: []transport.InvitationRule{{
			Name:          "product-page",
			Message:       "Questions about this product? We are happy to help.",
			From:          demoAgent.name,
			Path:          "/p/*",
			MinTimeOnPage: 30 * time.Second,
		}},
		// The logged-in customer comes from the shop's own session.
		IdentifyVisitor: shopState.identifyVisitor,
		// Customers may send a photo or a PDF (of a damaged parcel, an
		// invoice); the database keeps the files with the chats.
		Files: store,
	})
	if err != nil {
		return err
	}

	if err := metrics.Watch(desk, chatServer); err != nil {
		return err
	}

	shopCommerce.chat = chatServer
	mux := http.NewServeMux()
	mux.Handle("/", trackedPages(chatServer, shopPages))
	shopCommerce.register(mux)
	mux.Handle("/chat/", http.StripPrefix("/chat", chatServer.VisitorHandler()))
	mux.Handle("/staff/chat/", staffOnly(http.StripPrefix("/staff/chat", chatServer.AgentHandler())))
	// Open to anyone here, for the demo; a real shop serves it on an
	// internal address or behind its own access control.
	mux.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}))

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "Shop:           http://%s/\n", ln.Addr())
	fmt.Fprintf(out, "Customer login: %s / %s\n", demoCustomer.Email, demoCustomer.Password)
	fmt.Fprintf(out, "Staff console:  http://%s/staff/chat/\n", ln.Addr())
	fmt.Fprintf(out, "Staff login:    %s / %s\n", demoAgent.user, demoAgent.password)
	fmt.Fprintf(out, "Chats stored in %s\n", describeStore(cfg))
	fmt.Fprintf(out, "Broker:         %s\n", describeBroker(cfg.broker))
	fmt.Fprintf(out, "Webhooks:       %s (deliveries it receives are printed here)\n", hooks.url)
	fmt.Fprintln(out, "Press Ctrl-C to stop.")

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Chat connections first: they are told to reconnect and nothing in
	// flight is lost; then the plain HTTP server.
	_ = chatServer.Shutdown(shutdown)
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	// Then the Desk, which waits for email being sent; the broker, which
	// the Desk publishes on until it is closed; and the store, which
	// commits the last messages.
	if err := errors.Join(desk.Close(shutdown), hooks.stop(shutdown), closeBroker(shutdown), closeStore(shutdown)); err != nil {
		return err
	}
	fmt.Fprintln(out, "Stopped.")
	return nil
}

// describeStore says where the chats are, without the DSN's password.
func describeStore(cfg config) string {
	switch cfg.store {
	case "postgres", "mysql":
		return cfg.store
	}
	if cfg.dsn != "" {
		return cfg.dsn
	}
	return filepath.Join(cfg.dataDir, "parley.db")
}

// isStaff reports whether r carries the demo staff credentials, by HTTP
// Basic authentication. A real shop checks its own staff session here.
func isStaff(r *http.Request) bool {
	user, password, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(user), []byte(demoAgent.user)) == 1 &&
		subtle.ConstantTimeCompare([]byte(password), []byte(demoAgent.password)) == 1
}

// staffOnly is the shop's staff login in front of the console: a browser
// without the credentials is asked for them.
func staffOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isStaff(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="Kettle & Crumb staff", charset="UTF-8"`)
			http.Error(w, "staff only", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authenticateAgent tells Parley which agent a request comes from. It
// checks again rather than trusting that staffOnly ran: the agents' handler
// must never be reachable without a login.
func authenticateAgent(r *http.Request) (chat.Agent, error) {
	if !isStaff(r) {
		return chat.Agent{}, errors.New("not logged in")
	}
	return chat.Agent{ID: demoAgent.user, Name: demoAgent.name, Capacity: 5}, nil
}

// loadSecret reads the signing secret, creating it on first run so that
// visitors keep their conversations across restarts. Instances that share
// the file share the secret, also when they start together: the file
// appears whole or not at all, and the first to make it wins.
func loadSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) < transport.MinSecretBytes {
			return nil, fmt.Errorf("%s: a secret needs at least %d bytes, it has %d", path, transport.MinSecretBytes, len(b))
		}
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err := errors.Join(err, tmp.Close()); err != nil {
		return nil, err
	}
	// A link, unlike a rename, fails when another instance made the file
	// first; then its secret is the one to use.
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return loadSecret(path)
	} else if err != nil {
		return nil, err
	}
	return b, nil
}
