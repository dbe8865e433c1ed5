package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// Defaults for the zero fields of Config.
const (
	DefaultHeartbeatInterval  = 20 * time.Second
	DefaultHeartbeatTimeout   = 50 * time.Second
	DefaultWriteTimeout       = 10 * time.Second
	DefaultSendQueue          = 64
	DefaultMaxFrameBytes      = 32 << 10
	DefaultRateLimit          = 10 // frames per second
	DefaultRateBurst          = 30
	DefaultMaxConnsPerVisitor = 8
	DefaultVisitorTokenTTL    = 365 * 24 * time.Hour
	DefaultAgentGracePeriod   = 30 * time.Second
	DefaultVisitorGracePeriod = 10 * time.Second
	DefaultInvitationInterval = 5 * time.Second
	DefaultWaitWarning        = 2 * time.Minute
	DefaultPageStay           = 3 * time.Minute
)

// Config configures a Server. Desk and Secret are required; every other
// zero field means the default named after it.
type Config struct {
	// Desk is the chat service the handlers serve. Required.
	Desk *chat.Desk
	// Secret signs visitor tokens and verifies the identity tokens the shop
	// makes with SignIdentity. At least MinSecretBytes random bytes; keep it
	// the same across restarts and instances, or visitors lose their
	// conversations.
	Secret []byte
	// AuthenticateAgent tells who the agent making a request is, from the
	// shop's own session (a cookie, a header). It returns the agent with ID,
	// Name, Departments and Capacity set, or an error to refuse the request.
	// Every agent request goes through it. Required by AgentHandler.
	AuthenticateAgent func(*http.Request) (chat.Agent, error)
	// IdentifyVisitor tells who the visitor making a request is, from the
	// shop's own session: the logged-in customer and true, or false for a
	// visitor who is not logged in. Identity.Expires is not used. It is
	// called on every visitor's hello (the WebSocket upgrade or the SSE
	// POST, which carry the shop's cookies when the chat is served from
	// the shop's own host) and by TrackPages. When it is set, it alone
	// identifies customers: identity tokens in hellos are ignored, so
	// nothing a browser sends makes a visitor a customer, and no secret
	// goes into page code. An error refuses the hello with the internal
	// code (the widget tries again) and is logged: a session store that
	// fails never turns a customer into an anonymous visitor. Nil means
	// identity tokens (SignIdentity) identify customers.
	IdentifyVisitor func(*http.Request) (Identity, bool, error)
	// AllowedOrigins are the host patterns (path.Match syntax, for example
	// "shop.example.com" or "*.example.com") of pages that may connect
	// besides the handler's own host. Requests from other origins are
	// refused.
	AllowedOrigins []string
	// Logger receives the transport's logs. Nil means no logs.
	Logger *slog.Logger
	// HeartbeatInterval is how often the server pings each connection.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout is how long a connection may stay silent (no frame,
	// not even a pong) before the server closes it as dead. Clients use the
	// same timeout for the server. It must exceed HeartbeatInterval.
	HeartbeatTimeout time.Duration
	// WriteTimeout bounds each write to a connection. A client whose
	// write waits this long is not reading: it is dropped as a slow
	// consumer.
	WriteTimeout time.Duration
	// SendQueue is how many live events may wait for a slow visitor
	// connection before it is closed with the slow_consumer code. Agents,
	// who follow many conversations, get eight times as many. Answers to the
	// client's own frames are not counted: the server holds at most 32
	// frames of a connection, and reads no more of it until their answers
	// are written.
	SendQueue int
	// MaxFrameBytes is the largest client frame accepted.
	MaxFrameBytes int64
	// RateLimit is how many frames per second a connection may send on
	// average, and RateBurst how many at once (ping and pong are free).
	RateLimit float64
	RateBurst int
	// MaxConnsPerVisitor caps a visitor's open connections (tabs).
	MaxConnsPerVisitor int
	// VisitorTokenTTL is how long an anonymous visitor is recognised after
	// their last connection.
	VisitorTokenTTL time.Duration
	// AgentGracePeriod is how long an agent whose last connection closed
	// stays online, so that a page reload or a network blip does not take
	// their conversations away. After it the Server releases its presence
	// lease on the agent (see chat.AgentLeaseStore); unless another
	// instance holds one, the agent is set offline and their open
	// conversations go back to the queue. Negative means at once.
	AgentGracePeriod time.Duration
	// VisitorGracePeriod is how long a visitor whose last connection to
	// this Server closed stays on the agents' live visitor list, so that
	// moving to the next page of the shop (which reconnects the widget)
	// does not make them drop off and reappear; then the Server releases
	// its presence lease on them (see chat.VisitStore). Negative means at
	// once.
	VisitorGracePeriod time.Duration
	// VisitorContext, when set, tells agents about a visitor from the
	// shop's own data: the customer's name, cart, recent orders. Its
	// result is sent as JSON (at most MaxVisitorContextBytes) in the
	// visitor's entry of the live list. It is called when a visit starts,
	// when the visitor logs in and on every page the visitor opens, on the
	// visitor's connection, so keep it quick: its context ends after
	// WriteTimeout. An instance that lists a visitor of another instance
	// it had not heard of (it started after them) calls it too, in the
	// background. An error is logged and the entry is sent without
	// context.
	VisitorContext func(ctx context.Context, v chat.Visitor) (any, error)
	// Invitations are the rules by which the server invites visitors to
	// chat on its own; see InvitationRule. At most MaxInvitationRules.
	Invitations []InvitationRule
	// InvitationInterval is how often the invitation rules are tried on
	// every visitor, besides when a visitor opens a page.
	InvitationInterval time.Duration
	// CannedResponses are the replies agents insert by shortcut; they are
	// sent in the agent's welcome. At most MaxCannedResponses.
	CannedResponses []wire.CannedResponse
	// WaitWarning is how long a visitor may wait for an answer before the
	// agent console warns; it is sent in the agent's welcome.
	WaitWarning time.Duration
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// PageStay is how long a visitor whose page TrackPages recorded, and
	// who has no connection (their widget is blocked, or not on the
	// page), stays on the agents' live visitor list after that page.
	PageStay time.Duration

	// Supervisor tells whether an agent follows the whole shop: their
	// connections receive every event of every conversation, as the
	// events happen, instead of the events of their own and watched
	// conversations and a summary of the rest (see docs/protocol.md, What
	// an agent connection receives). Each supervisor connection costs the
	// server a copy of every event, so keep them few. It is called once
	// per connection, with the agent from AuthenticateAgent. Nil means
	// nobody.
	Supervisor func(chat.Agent) bool
	// SummaryInterval is how often, at most, an agent connection is sent
	// a conversations frame summing up the changes to the shop's
	// conversations (new, queued, assigned, closed, places in the queue).
	// Changes within one interval go out together, each conversation in
	// its newest state. Zero means DefaultSummaryInterval.
	SummaryInterval time.Duration

	// ClientIP tells the address a request comes from, which blocks by
	// network are matched against. Nil means the address of the TCP
	// connection (http.Request.RemoteAddr). A shop behind a reverse proxy
	// or load balancer sets it to read the proxy's header (such as the
	// last address of X-Forwarded-For that its own proxy added), and only
	// then: behind no proxy, such a header is whatever the client wrote.
	// The zero Addr means unknown; no network block matches it.
	ClientIP func(*http.Request) netip.Addr
	// CheckVisitor is the shop's own check of a visitor, called on every
	// visitor's hello before anything is stored, after Parley's blocks
	// (see chat.Block) let them in. Its request is the hello's (the
	// WebSocket upgrade or the SSE POST); the visitor is as identified by
	// their token and identity (IdentifyVisitor or the identity token),
	// with a zero ID when they are new. A customer who is another visitor
	// already (on another device) is checked again as that visitor.
	// An error refuses the hello with the blocked code; the error itself
	// is logged, not sent. Nil lets every visitor in.
	CheckVisitor func(r *http.Request, v chat.Visitor) error

	// WhenOffline is what the widget offers while nobody answers the chat
	// (the shop is closed, per chat.Config.Hours, or no agent is online):
	// WhenOfflineForm, WhenOfflineContact or WhenOfflineHide. Empty means
	// WhenOfflineForm.
	WhenOffline string
	// Contact is how else visitors can reach the shop, listed in the
	// widget's contact panel. The zero value lists nothing.
	Contact Contact
	// TypicalReply is how fast agents typically answer a chat, which the
	// widget shows before a visitor writes ("usually replies in 2
	// minutes"). Zero shows nothing.
	TypicalReply time.Duration
	// Privacy tells whether an agent may export and erase visitors'
	// data from the console (the export and erase frames), for requests
	// to see or to be forgotten; see docs/privacy.md. Nil lets no agent:
	// the shop answers such requests with chat.Desk's own calls.
	Privacy func(chat.Agent) bool
	// Actions are what the shop's own code does for agents in a
	// conversation, shown as buttons in the console; see Action. At most
	// MaxActions.
	Actions []Action
}

// Server serves Parley's realtime protocol over WebSocket and over
// Server-Sent Events with POSTs. Mount VisitorHandler and AgentHandler on
// the shop's mux; call Shutdown before the process exits.
type Server struct {
	cfg  Config
	desk *chat.Desk
	log  *slog.Logger

	wg       sync.WaitGroup
	mu       sync.Mutex
	closing  bool
	sessions map[*session]struct{}
	visitors map[uuid.UUID]int      // open sessions per visitor
	agents   map[string]int         // open sessions per agent
	leaving  map[string]*time.Timer // agents in their grace period
	streams  map[string]*session
	beat     *time.Timer // pings every session while there are any
	// instanceTag ends this Server's SSE session ids, and
	// misdirectedLogged is when a request for another instance's session
	// was last logged (Unix nanoseconds).
	instanceTag       string
	misdirectedLogged atomic.Int64
	live              *liveRegistry
	sums              *summaryFeed
	leases            leaseKeeper
	// refusedOrigins are the origins logged as refused; see originAllowed.
	refusedOrigins map[string]struct{}
	// avail and contact are for visitors' welcomes; see availability.go.
	avail   availability
	contact *wire.Contact
	// tracking is set once TrackPages wraps a handler.
	tracking atomic.Bool
}

var errShuttingDown = errors.New("transport: shutting down")

// New returns a Server for cfg, or an error wrapping chat.ErrInvalid that
// names the bad field.
func New(cfg Config) (*Server, error) {
	bad := func(format string, args ...any) (*Server, error) {
		return nil, fmt.Errorf("%w: transport: "+format, append([]any{chat.ErrInvalid}, args...)...)
	}
	if cfg.Desk == nil {
		return bad("Config.Desk is required")
	}
	if len(cfg.Secret) < MinSecretBytes {
		return bad("Config.Secret is %d bytes; at least %d are needed", len(cfg.Secret), MinSecretBytes)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.HeartbeatInterval, DefaultHeartbeatInterval)
	def(&cfg.HeartbeatTimeout, DefaultHeartbeatTimeout)
	def(&cfg.WriteTimeout, DefaultWriteTimeout)
	def(&cfg.VisitorTokenTTL, DefaultVisitorTokenTTL)
	def(&cfg.AgentGracePeriod, DefaultAgentGracePeriod)
	def(&cfg.VisitorGracePeriod, DefaultVisitorGracePeriod)
	def(&cfg.InvitationInterval, DefaultInvitationInterval)
	def(&cfg.SummaryInterval, DefaultSummaryInterval)
	def(&cfg.PageStay, DefaultPageStay)
	if cfg.PageStay < 0 {
		return bad("Config.PageStay is negative")
	}
	if cfg.SummaryInterval < 0 {
		return bad("Config.SummaryInterval is negative")
	}
	if cfg.InvitationInterval < 0 {
		return bad("Config.InvitationInterval is negative")
	}
	if err := checkInvitations(cfg.Invitations); err != nil {
		return bad("%v", err)
	}
	cfg.Invitations = slices.Clone(cfg.Invitations)
	def(&cfg.WaitWarning, DefaultWaitWarning)
	if cfg.WaitWarning < 0 {
		return bad("Config.WaitWarning is negative")
	}
	if err := checkCanned(cfg.CannedResponses); err != nil {
		return bad("%v", err)
	}
	cfg.CannedResponses = slices.Clone(cfg.CannedResponses)
	if cfg.WhenOffline == "" {
		cfg.WhenOffline = WhenOfflineForm
	}
	if cfg.WhenOffline != WhenOfflineForm && cfg.WhenOffline != WhenOfflineContact && cfg.WhenOffline != WhenOfflineHide {
		return bad("Config.WhenOffline is %q; want %q, %q or %q", cfg.WhenOffline, WhenOfflineForm, WhenOfflineContact, WhenOfflineHide)
	}
	if cfg.TypicalReply < 0 {
		return bad("Config.TypicalReply is negative")
	}
	contact, err := cfg.Contact.wire()
	if err != nil {
		return bad("%v", err)
	}
	if err := checkActions(cfg.Actions); err != nil {
		return bad("%v", err)
	}
	cfg.Actions = slices.Clone(cfg.Actions)
	if cfg.HeartbeatInterval < 0 || cfg.HeartbeatTimeout <= cfg.HeartbeatInterval {
		return bad("Config.HeartbeatTimeout must exceed a positive HeartbeatInterval")
	}
	if cfg.WriteTimeout < 0 || cfg.VisitorTokenTTL < 0 || cfg.SendQueue < 0 || cfg.MaxFrameBytes < 0 ||
		cfg.RateLimit < 0 || cfg.RateBurst < 0 || cfg.MaxConnsPerVisitor < 0 {
		return bad("negative limits are not allowed")
	}
	if cfg.SendQueue == 0 {
		cfg.SendQueue = DefaultSendQueue
	}
	if cfg.MaxFrameBytes == 0 {
		cfg.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.RateBurst == 0 {
		cfg.RateBurst = DefaultRateBurst
	}
	if cfg.MaxConnsPerVisitor == 0 {
		cfg.MaxConnsPerVisitor = DefaultMaxConnsPerVisitor
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:            cfg,
		desk:           cfg.Desk,
		log:            log,
		sessions:       make(map[*session]struct{}),
		visitors:       make(map[uuid.UUID]int),
		agents:         make(map[string]int),
		leaving:        make(map[string]*time.Timer),
		streams:        make(map[string]*session),
		instanceTag:    strings.ReplaceAll(uuid.NewString(), "-", ""),
		leases:         leaseKeeper{holder: uuid.NewString(), stop: make(chan struct{}), done: make(chan struct{})},
		refusedOrigins: make(map[string]struct{}),
		contact:        contact,
	}
	s.live = newLiveRegistry(s)
	s.sums = newSummaryFeed(s)
	return s, nil
}

// VisitorHandler serves the visitors' side of the protocol. Mount it under
// any prefix, for example
//
//	mux.Handle("/chat/", http.StripPrefix("/chat", srv.VisitorHandler()))
//
// It answers GET /ws (WebSocket), POST /sse (hello over SSE), GET
// /sse/{session} (the event stream) and POST /sse/{session} (frames), and
// serves the chat widget at GET /widget.js, which a shop page loads with
// <script src="/chat/widget.js" async></script>, and the page that
// confirms a visitor's email address at GET and POST /email/confirm (see
// chat.Config.EmailConfirmURL).
func (s *Server) VisitorHandler() http.Handler {
	return s.routes(nil)
}

// AgentHandler serves the agents' side of the protocol, on the same paths
// as VisitorHandler, and the agents' console web page at GET / (with its
// assets beside it). Every request is first passed to
// Config.AuthenticateAgent; a request it refuses gets 401 with an error
// frame of code unauthorized as its body, and reaches nothing else.
// AgentHandler panics if Config.AuthenticateAgent is nil, since an agent
// side without authentication must never be served.
func (s *Server) AgentHandler() http.Handler {
	if s.cfg.AuthenticateAgent == nil {
		panic("transport: AgentHandler needs Config.AuthenticateAgent")
	}
	return s.routes(s.cfg.AuthenticateAgent)
}

// routes builds the handler of one side; auth is nil for visitors.
func (s *Server) routes(auth func(*http.Request) (chat.Agent, error)) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) { s.serveWS(w, r, auth) })
	mux.HandleFunc("POST /sse", func(w http.ResponseWriter, r *http.Request) { s.serveSSEHello(w, r, auth) })
	mux.HandleFunc("GET /sse/{session}", func(w http.ResponseWriter, r *http.Request) { s.serveSSEStream(w, r, auth) })
	mux.HandleFunc("POST /sse/{session}", func(w http.ResponseWriter, r *http.Request) { s.serveSSEFrames(w, r, auth) })
	handleUI(mux, auth != nil)
	if auth == nil {
		s.handleEmail(mux)
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := auth(r); err != nil {
			writeHTTPError(w, http.StatusUnauthorized, &wire.ErrorBody{Code: wire.CodeUnauthorized, Message: "agent authentication failed"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// writeHTTPError answers a plain HTTP request with an error frame.
func writeHTTPError(w http.ResponseWriter, status int, body *wire.ErrorBody) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(wire.ServerFrame{Type: wire.FrameError, Error: body})
}

// Shutdown stops the Server gracefully: new connections are refused, the
// frames each connection is handling are finished (stored and acked, or
// answered with an error), every connection is sent a reconnect frame and
// closed, and Shutdown waits for all of them until ctx is done. Call it
// before http.Server.Shutdown, which does not wait for WebSocket or SSE
// connections. It does not close the Desk. Connected agents, and those in
// their grace period, stay online: their presence leases are no longer
// renewed, so unless they reconnect to this or another instance within
// chat.Config.AgentLeaseTTL, a Desk's sweep sets them offline.
func (s *Server) Shutdown(ctx context.Context) error {
	s.live.shutdown(ctx)
	s.sums.shutdown(ctx)
	s.stopLeases()
	s.mu.Lock()
	s.closing = true
	// Agents in their grace period stay online: after a restart they
	// reconnect to this or another instance.
	for id, t := range s.leaving {
		t.Stop()
		delete(s.leaving, id)
	}
	sessions := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	s.mu.Unlock()
	for _, ss := range sessions {
		go ss.drain()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, ss := range sessions {
			ss.cancel(errShuttingDown)
		}
		return ctx.Err()
	}
}

// Stats counts what a Server holds open, for health checks and metrics.
type Stats struct {
	Connections int // open connections, visitors' and agents'
	Visitors    int // visitors with at least one connection
	Agents      int // agents with at least one connection
	Leaving     int // agents in their grace period
	// Paused counts the connections the server has stopped reading
	// because it holds as many of their frames as it may: their client
	// does not read the answers, or their frames wait for the store.
	Paused int
}

// Stats returns the current counts.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Connections: len(s.sessions), Visitors: len(s.visitors), Agents: len(s.agents), Leaving: len(s.leaving)}
	for ss := range s.sessions {
		if ss.waiting.Load() > 0 {
			st.Paused++
		}
	}
	return st
}
