// Package benchserve is the reference server of parley-bench: a chat.Desk
// and a transport.Server over a chosen store, mounted on an http.ServeMux
// as docs/getting-started.md shows, with agents authenticated by a shared
// token. It is the server the figures in docs/benchmarks.md are measured
// on.
package benchserve

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/internal/brokerurl"
	"github.com/parleychat/parley/route"
	"github.com/parleychat/parley/transport"
)

// Headers of an agent's requests: TokenHeader carries "Bearer " and the
// shared token, AgentHeader the agent's id.
const (
	TokenHeader = "Authorization"
	AgentHeader = "X-Bench-Agent"
)

// Config configures a Server. Zero fields take the defaults named.
type Config struct {
	// Addr is the address to listen on. Empty means 127.0.0.1:8080;
	// port 0 picks a free port.
	Addr string
	// Store names the store, as OpenStore reads it. Empty means memory.
	Store string
	// TablePrefix is the SQL stores' table prefix. Empty means the
	// store's default.
	TablePrefix string
	// Token is the shared secret every agent request carries. Required.
	Token string
	// AgentCapacity is each agent's capacity. Zero means 100,000.
	AgentCapacity int
	// Router is "leastbusy" (each new conversation to the agent with the
	// fewest) or "first" (the Desk's default: the first online agent with
	// room, by id). Empty means leastbusy.
	Router string
	// RateLimit and RateBurst are each connection's frame rate limit.
	// Zero means 100,000 frames per second and a burst as large: a load
	// generator's console carries hundreds of conversations.
	RateLimit float64
	RateBurst int
	// Broker is the URL of the broker that connects this instance to
	// others on the same store: redis://, nats:// or postgres://. Empty
	// means none: events stay in this instance.
	Broker string
	// BrokerPrefix is the broker's prefix, the same on every instance.
	BrokerPrefix string
	// Logger receives the server's logs. Nil means none.
	Logger *slog.Logger
}

// Server is a running reference server.
type Server struct {
	ln     net.Listener
	http   *http.Server
	chat   *transport.Server
	desk   *chat.Desk
	closer func(context.Context) error
	// closeBroker closes the broker, if there is one.
	closeBroker func(context.Context) error
	stop        context.CancelFunc
	served      chan error
}

// Start opens the store and starts serving. Shutdown stops it.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Token == "" {
		return nil, errors.New("benchserve: a token is required")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if cfg.AgentCapacity == 0 {
		cfg.AgentCapacity = 100_000
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = 100_000
	}
	if cfg.RateBurst == 0 {
		cfg.RateBurst = 100_000
	}
	var router chat.Router
	switch cfg.Router {
	case "", "leastbusy":
		router = route.LeastBusy{}
	case "first":
	default:
		return nil, fmt.Errorf("benchserve: router %q is neither leastbusy nor first", cfg.Router)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	store, closeStore, err := OpenStore(ctx, cfg.Store, cfg.TablePrefix, log)
	if err != nil {
		return nil, err
	}
	s := &Server{closer: closeStore, served: make(chan error, 1)}
	fail := func(err error) (*Server, error) {
		return nil, errors.Join(err, s.close(context.Background()))
	}
	broker, closeBroker, err := brokerurl.Open(cfg.Broker, brokerurl.Config{Prefix: cfg.BrokerPrefix, ApplicationName: "parley-bench", Logger: log, OnReconnect: func() {
		if s.desk != nil {
			s.desk.Resync()
		}
	}})
	if err != nil {
		return fail(err)
	}
	s.closeBroker = closeBroker
	s.desk, err = chat.NewDesk(chat.Config{Store: store, Broker: broker, Router: router, Logger: log})
	if err != nil {
		return fail(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go s.desk.Run(runCtx, 0)

	secret := make([]byte, transport.MinSecretBytes)
	_, _ = rand.Read(secret)
	s.chat, err = transport.New(transport.Config{
		Desk:              s.desk,
		Secret:            secret,
		AuthenticateAgent: authenticate(cfg.Token, cfg.AgentCapacity),
		Logger:            log,
		RateLimit:         cfg.RateLimit,
		RateBurst:         cfg.RateBurst,
	})
	if err != nil {
		return fail(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/chat/", http.StripPrefix("/chat", s.chat.VisitorHandler()))
	mux.Handle("/staff/chat/", http.StripPrefix("/staff/chat", s.chat.AgentHandler()))
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	s.ln, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fail(err)
	}
	go func() { s.served <- s.http.Serve(s.ln) }()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Done is closed with the error of an HTTP server that stopped on its own.
func (s *Server) Done() <-chan error { return s.served }

// Shutdown stops the server in the order docs/getting-started.md gives:
// the chat connections, the HTTP server, the Desk, the store.
func (s *Server) Shutdown(ctx context.Context) error {
	var errs []error
	if s.chat != nil {
		errs = append(errs, s.chat.Shutdown(ctx))
	}
	if s.http != nil {
		if err := s.http.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	errs = append(errs, s.close(ctx))
	return errors.Join(errs...)
}

// close stops the Desk and closes the store.
func (s *Server) close(ctx context.Context) error {
	var errs []error
	if s.stop != nil {
		s.stop()
	}
	if s.desk != nil {
		errs = append(errs, s.desk.Close(ctx))
	}
	if s.closeBroker != nil {
		errs = append(errs, s.closeBroker(ctx))
	}
	return errors.Join(append(errs, s.closer(ctx))...)
}

// authenticate accepts an agent whose request carries the token and names
// itself in AgentHeader.
func authenticate(token string, capacity int) func(*http.Request) (chat.Agent, error) {
	want := []byte("Bearer " + token)
	return func(r *http.Request) (chat.Agent, error) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(TokenHeader)), want) != 1 {
			return chat.Agent{}, errors.New("benchserve: wrong or missing token")
		}
		id := strings.TrimSpace(r.Header.Get(AgentHeader))
		if id == "" {
			return chat.Agent{}, errors.New("benchserve: no " + AgentHeader + " header")
		}
		return chat.Agent{ID: id, Name: id, Capacity: capacity}, nil
	}
}
