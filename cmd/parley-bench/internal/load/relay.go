package load

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/wire"
)

// RelayConfig configures Relay. Zero fields take the defaults named.
type RelayConfig struct {
	// VisitorURL and AgentURL are the WebSocket endpoints of the visitors'
	// and the agents' handlers, such as ws://127.0.0.1:8080/chat/ws.
	VisitorURL, AgentURL string
	// AgentHeaders are the headers that authenticate an agent's
	// connection, each "Name: value", with every %s in the value replaced
	// by the agent's id.
	AgentHeaders []string
	// AgentPrefix starts the ids of the agents, followed by their number:
	// bench-agent-0000, bench-agent-0001... Empty means "bench-agent-".
	AgentPrefix string
	// Conversations is how many one-to-one conversations run, each with
	// a visitor connection of its own. Zero means 500.
	Conversations int
	// PerAgent is how many conversations each agent's console carries.
	// Zero means 10; PerAgent >= Conversations is one console for all.
	PerAgent int
	// Rate is how many messages per second the visitors send together,
	// spread evenly over them and over time. Zero means 2,000.
	Rate float64
	// Duration is how long the visitors send. Zero means 10 s.
	Duration time.Duration
	// Replies makes each agent answer every visitor message it receives,
	// so both directions are measured.
	Replies bool
	// Routing leaves placing conversations to the server's router: each
	// agent carries the conversations routed to it. Without it, each agent
	// takes its PerAgent conversations with an assign frame.
	Routing bool
	// Grace is how long after the last send a message acked by the server
	// may still arrive before it counts as lost. Zero means 5 s.
	Grace time.Duration
	// SetupTimeout bounds connecting, starting the conversations and
	// placing them with the agents. Zero means 2 minutes.
	SetupTimeout time.Duration
	// PID, when not zero, is the server's process on this machine, whose
	// CPU time and resident memory the report gives.
	PID int
	// Sources are local addresses to connect from, in turn; empty lets
	// the system choose.
	Sources []string
}

func (c *RelayConfig) defaults() error {
	if c.VisitorURL == "" || c.AgentURL == "" {
		return errors.New("relay: the visitor and agent URLs are required")
	}
	if c.AgentPrefix == "" {
		c.AgentPrefix = "bench-agent-"
	}
	if c.Conversations == 0 {
		c.Conversations = 500
	}
	if c.PerAgent == 0 {
		c.PerAgent = 10
	}
	if c.Rate == 0 {
		c.Rate = 2000
	}
	if c.Duration == 0 {
		c.Duration = 10 * time.Second
	}
	if c.Grace == 0 {
		c.Grace = 5 * time.Second
	}
	if c.SetupTimeout == 0 {
		c.SetupTimeout = 2 * time.Minute
	}
	switch {
	case c.Conversations < 0, c.PerAgent < 0, c.Rate < 0, c.Duration < 0, c.Grace < 0:
		return errors.New("relay: conversations, per-agent, rate, duration and grace must not be negative")
	}
	for _, h := range c.AgentHeaders {
		if name, _, ok := strings.Cut(h, ":"); !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("relay: agent header %q is not \"Name: value\"", h)
		}
	}
	return nil
}

// RelayReport is what a relay run measured.
type RelayReport struct {
	Conversations int     `json:"conversations"`
	Agents        int     `json:"agents"`
	PerAgent      int     `json:"per_agent"`
	Routing       bool    `json:"routing"`
	Replies       bool    `json:"replies"`
	TargetRate    float64 `json:"target_rate"`   // visitor messages per second asked for
	AchievedRate  float64 `json:"achieved_rate"` // visitor messages per second sent
	DurationSec   float64 `json:"duration_s"`    // how long the visitors sent
	SetupSec      float64 `json:"setup_s"`       // connecting and placing the conversations

	// Totals over both directions.
	Sent      int64   `json:"sent"`
	Acked     int64   `json:"acked"`
	Delivered int64   `json:"delivered"`
	Lost      int64   `json:"lost"`
	Latency   Latency `json:"latency"`

	ToAgent   Flow  `json:"to_agent"`             // visitor → agent
	ToVisitor *Flow `json:"to_visitor,omitempty"` // agent → visitor, with replies

	// Errors counts error frames by code; Closed counts connections the
	// server ended during the run, by WebSocket close code ("abnormal"
	// when no close frame came).
	Errors map[string]int64 `json:"errors"`
	Closed map[string]int64 `json:"closed"`

	Server *Server `json:"server,omitempty"`
}

// convo is one of the run's conversations.
type convo struct {
	idx       int
	id        uuid.UUID
	visitor   *conn
	owner     atomic.Int32 // index of the agent that carries it, -1 until placed
	toAgent   stream
	toVisitor stream
}

// agentConn is one agent's console.
type agentConn struct {
	idx     int
	id      string
	c       *conn
	replies chan int // conversations to answer, by index
}

type relay struct {
	cfg    RelayConfig
	base   time.Time // the run's monotonic clock starts here
	convs  []*convo
	agents []*agentConn
	claims sync.Map // conversation id → agent index, from assigned and status events
	// measuring is set once the conversations are placed: from then on
	// their ids and owners are read by the connections' readers.
	measuring atomic.Bool
	live      atomic.Bool // agents still reply

	errors, closed counter
}

func (r *relay) now() time.Duration { return time.Since(r.base) }

// Relay runs cfg's conversations: it connects the agents and visitors,
// starts and places the conversations, has the visitors send at the rate
// for the duration (with the agents replying if asked), waits the grace
// period and reports. The error is for a run that could not be set up;
// what went wrong during the run is in the report.
func Relay(ctx context.Context, cfg RelayConfig) (*RelayReport, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	r := &relay{cfg: cfg, base: time.Now()}
	dialers, err := dialersFor(cfg.Sources, 30*time.Second)
	if err != nil {
		return nil, err
	}
	defer r.closeAll()

	setupStart := time.Now()
	setup, cancel := context.WithTimeout(ctx, cfg.SetupTimeout)
	defer cancel()
	if err := r.connectAgents(setup, dialers); err != nil {
		return nil, err
	}
	if err := r.startConversations(setup, dialers); err != nil {
		return nil, err
	}
	if err := r.place(setup); err != nil {
		return nil, err
	}
	setupTime := time.Since(setupStart)

	w, err := watch(cfg.PID)
	if err != nil {
		return nil, fmt.Errorf("relay: watching the server's process: %w", err)
	}
	r.measuring.Store(true)
	r.live.Store(true)
	var repliers sync.WaitGroup
	replyCtx, stopReplies := context.WithCancel(ctx)
	defer stopReplies()
	if cfg.Replies {
		for _, a := range r.agents {
			repliers.Go(func() { r.reply(replyCtx, a) })
		}
	}
	sendTime := r.send(ctx)
	r.drain(ctx)
	server, werr := w.finish()
	r.live.Store(false)
	stopReplies()
	repliers.Wait()
	if werr != nil {
		return nil, fmt.Errorf("relay: reading the server's process: %w", werr)
	}

	rep := r.report(sendTime, setupTime)
	rep.Server = server
	r.closeConversations(ctx)
	return rep, nil
}

// agentHeader returns the headers of agent id's handshakes.
func (r *relay) agentHeader(id string) http.Header {
	h := http.Header{}
	for _, line := range r.cfg.AgentHeaders {
		name, value, _ := strings.Cut(line, ":")
		h.Add(strings.TrimSpace(name), strings.ReplaceAll(strings.TrimSpace(value), "%s", id))
	}
	return h
}

// parallel runs f(0..n-1) on at most 64 goroutines and returns the first
// error.
func parallel(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(ctx, i); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

func (r *relay) connectAgents(ctx context.Context, dialers []*dialer) error {
	n := (r.cfg.Conversations + r.cfg.PerAgent - 1) / r.cfg.PerAgent
	r.agents = make([]*agentConn, n)
	for i := range r.agents {
		r.agents[i] = &agentConn{idx: i, id: fmt.Sprintf("%s%04d", r.cfg.AgentPrefix, i), replies: make(chan int, 1<<16)}
	}
	return parallel(ctx, n, func(ctx context.Context, i int) error {
		a := r.agents[i]
		ws, err := dialers[i%len(dialers)].dial(ctx, r.cfg.AgentURL, r.agentHeader(a.id))
		if err != nil {
			return fmt.Errorf("relay: connecting agent %s: %w", a.id, err)
		}
		a.c = newConn(ws, func(f *wire.ServerFrame) { r.agentFrame(a, f) }, r.connClosed)
		if _, err := a.c.hello(ctx); err != nil {
			return fmt.Errorf("relay: agent %s hello: %w", a.id, err)
		}
		if _, err := a.c.request(ctx, &wire.ClientFrame{Type: wire.FramePresence, Presence: "online"}); err != nil {
			return fmt.Errorf("relay: agent %s presence: %w", a.id, err)
		}
		return nil
	})
}

func (r *relay) startConversations(ctx context.Context, dialers []*dialer) error {
	r.convs = make([]*convo, r.cfg.Conversations)
	for i := range r.convs {
		r.convs[i] = &convo{idx: i}
		r.convs[i].owner.Store(-1)
	}
	return parallel(ctx, len(r.convs), func(ctx context.Context, i int) error {
		cv := r.convs[i]
		ws, err := dialers[i%len(dialers)].dial(ctx, r.cfg.VisitorURL, nil)
		if err != nil {
			return fmt.Errorf("relay: connecting visitor %d: %w", i, err)
		}
		cv.visitor = newConn(ws, func(f *wire.ServerFrame) { r.visitorFrame(cv, f) }, r.connClosed)
		if _, err := cv.visitor.hello(ctx); err != nil {
			return fmt.Errorf("relay: visitor %d hello: %w", i, err)
		}
		started, err := cv.visitor.request(ctx, &wire.ClientFrame{Type: wire.FrameStart, ConversationID: uuid.New()})
		if err != nil {
			return fmt.Errorf("relay: visitor %d start: %w", i, err)
		}
		cv.id = started.ConversationID
		return nil
	})
}

// place gives every conversation its agent: by assign frames, or by
// waiting for the server's router to place each with one of the run's
// agents.
func (r *relay) place(ctx context.Context) error {
	if !r.cfg.Routing {
		return parallel(ctx, len(r.convs), func(ctx context.Context, i int) error {
			cv := r.convs[i]
			a := r.agents[i/r.cfg.PerAgent]
			if _, err := a.c.request(ctx, &wire.ClientFrame{Type: wire.FrameAssign, ConversationID: cv.id}); err != nil {
				return fmt.Errorf("relay: agent %s taking conversation %s: %w", a.id, cv.id, err)
			}
			cv.owner.Store(int32(a.idx))
			return nil
		})
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		placed := 0
		for _, cv := range r.convs {
			if v, ok := r.claims.Load(cv.id); ok {
				cv.owner.Store(int32(v.(int)))
				placed++
			}
		}
		if placed == len(r.convs) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("relay: %d of %d conversations were not routed to the run's agents (is each agent's capacity at least -per-agent, and no other agent online?): %w",
				len(r.convs)-placed, len(r.convs), ctx.Err())
		case <-t.C:
		}
	}
}

// agentFrame handles an event or error an agent's console receives.
func (r *relay) agentFrame(a *agentConn, f *wire.ServerFrame) {
	switch f.Type {
	case "message":
		if f.Message == nil {
			return
		}
		s, ok := parseStamp(f.Message.Body)
		if !ok || s.dir != toAgent || s.conv < 0 || s.conv >= len(r.convs) || !r.measuring.Load() {
			return
		}
		cv := r.convs[s.conv]
		// Every console sees every conversation; a message counts at the
		// agent that carries its conversation.
		if cv.id != f.ConversationID || int(cv.owner.Load()) != a.idx {
			return
		}
		cv.toAgent.deliver(s.seq, r.now()-s.sent)
		if r.cfg.Replies && r.live.Load() {
			select {
			case a.replies <- cv.idx:
			default:
				r.errors.add("bench_reply_queue_full")
			}
		}
	case "assigned", "status":
		if c := f.Conversation; c != nil && c.AgentID == a.id {
			r.claims.Store(c.ID, a.idx)
		}
	case wire.FrameError:
		r.frameError(f)
	}
}

// visitorFrame handles an event or error a visitor receives.
func (r *relay) visitorFrame(cv *convo, f *wire.ServerFrame) {
	switch f.Type {
	case "message":
		if f.Message == nil {
			return
		}
		s, ok := parseStamp(f.Message.Body)
		if !ok || s.dir != toVisitor || s.conv != cv.idx || !r.measuring.Load() {
			return
		}
		cv.toVisitor.deliver(s.seq, r.now()-s.sent)
	case wire.FrameError:
		r.frameError(f)
	}
}

func (r *relay) frameError(f *wire.ServerFrame) {
	if f.Error != nil {
		r.errors.add(f.Error.Code)
	} else {
		r.errors.add("error_without_code")
	}
}

// connClosed counts a connection the server ended.
func (r *relay) connClosed(err error) { r.closed.add(closeCause(err)) }

// post sends one message of cv in direction s.dir on c.
func (r *relay) post(ctx context.Context, c *conn, cv *convo, st *stream, dir direction, key string) {
	seq := st.next()
	s := stamp{dir: dir, conv: cv.idx, seq: seq, sent: r.now()}
	f := &wire.ClientFrame{Type: wire.FrameSend, ConversationID: cv.id, Key: fmt.Sprintf("%s-%d", key, seq), Body: s.body()}
	err := c.send(ctx, f, func(a answer) {
		switch {
		case a.err != nil:
		case a.frame.Type == wire.FrameAck:
			st.mark(seq, stateAcked)
		case a.frame.Type == wire.FrameError:
			st.mark(seq, stateRefused)
			r.frameError(a.frame)
		}
	})
	if err != nil && ctx.Err() == nil {
		r.errors.add("bench_write_failed")
	}
}

// send runs the visitors' sending and returns how long it took.
func (r *relay) send(ctx context.Context) time.Duration {
	n := len(r.convs)
	interval := time.Duration(float64(time.Second) * float64(n) / r.cfg.Rate)
	start := time.Now()
	end := start.Add(r.cfg.Duration)
	var wg sync.WaitGroup
	for i, cv := range r.convs {
		offset := interval * time.Duration(i) / time.Duration(n)
		wg.Go(func() {
			t := time.NewTimer(time.Hour)
			defer t.Stop()
			key := "v" + cv.id.String()[:8]
			for k := 0; ; k++ {
				at := start.Add(offset + time.Duration(k)*interval)
				if !at.Before(end) {
					return
				}
				t.Reset(time.Until(at))
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				r.post(ctx, cv.visitor, cv, &cv.toAgent, toAgent, key)
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// reply answers the visitor messages a's console received.
func (r *relay) reply(ctx context.Context, a *agentConn) {
	for {
		select {
		case <-ctx.Done():
			return
		case i := <-a.replies:
			cv := r.convs[i]
			r.post(ctx, a.c, cv, &cv.toVisitor, toVisitor, "a"+cv.id.String()[:8])
		}
	}
}

// drain waits until every message is answered and every acked one
// delivered, at most the grace period.
func (r *relay) drain(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Grace)
	defer cancel()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		settled := true
		for _, cv := range r.convs {
			if !cv.toAgent.settled() || !cv.toVisitor.settled() {
				settled = false
				break
			}
		}
		// A reply may still be queued at its agent, not yet counted.
		for _, a := range r.agents {
			if len(a.replies) > 0 {
				settled = false
			}
		}
		if settled {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *relay) report(sendTime, setupTime time.Duration) *RelayReport {
	rep := &RelayReport{
		Conversations: len(r.convs),
		Agents:        len(r.agents),
		PerAgent:      min(r.cfg.PerAgent, len(r.convs)),
		Routing:       r.cfg.Routing,
		Replies:       r.cfg.Replies,
		TargetRate:    r.cfg.Rate,
		DurationSec:   sendTime.Seconds(),
		SetupSec:      setupTime.Seconds(),
		Errors:        r.errors.snapshot(),
		Closed:        r.closed.snapshot(),
	}
	var toAgent, toVisitor, all []time.Duration
	for _, cv := range r.convs {
		cv.toAgent.tally(&rep.ToAgent)
		toAgent = append(toAgent, cv.toAgent.latencies...)
		if r.cfg.Replies {
			if rep.ToVisitor == nil {
				rep.ToVisitor = &Flow{}
			}
			cv.toVisitor.tally(rep.ToVisitor)
			toVisitor = append(toVisitor, cv.toVisitor.latencies...)
		}
	}
	all = append(append(all, toAgent...), toVisitor...)
	rep.ToAgent.Latency = summarise(toAgent)
	rep.Latency = summarise(all)
	rep.Sent, rep.Acked, rep.Delivered, rep.Lost = rep.ToAgent.Sent, rep.ToAgent.Acked, rep.ToAgent.Delivered, rep.ToAgent.Lost
	if rep.ToVisitor != nil {
		rep.ToVisitor.Latency = summarise(toVisitor)
		rep.Sent += rep.ToVisitor.Sent
		rep.Acked += rep.ToVisitor.Acked
		rep.Delivered += rep.ToVisitor.Delivered
		rep.Lost += rep.ToVisitor.Lost
	}
	if sendTime > 0 {
		rep.AchievedRate = float64(rep.ToAgent.Sent) / sendTime.Seconds()
	}
	return rep
}

// closeConversations closes the run's conversations, so that the next run
// against the same store starts with agents that carry nothing.
func (r *relay) closeConversations(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_ = parallel(ctx, len(r.convs), func(ctx context.Context, i int) error {
		cv := r.convs[i]
		if cv.visitor != nil && cv.id != uuid.Nil {
			_, _ = cv.visitor.request(ctx, &wire.ClientFrame{Type: wire.FrameClose, ConversationID: cv.id})
		}
		return nil
	})
}

// closeAll closes every connection.
func (r *relay) closeAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, cv := range r.convs {
		if cv != nil && cv.visitor != nil {
			wg.Go(func() { cv.visitor.close(ctx) })
		}
	}
	for _, a := range r.agents {
		if a != nil && a.c != nil {
			wg.Go(func() { a.c.close(ctx) })
		}
	}
	wg.Wait()
}
