package transport

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// Reasons a session ends, each mapped to a close code and error code.
var (
	errSlowConsumer     = errors.New("transport: the client did not keep up")
	errHeartbeatTimeout = errors.New("transport: the client stopped answering")
)

// agentQueueFactor is how many times longer an agent's event queue is
// than a visitor's.
const agentQueueFactor = 8

// maxInFlight is how many frames of one connection the server holds at a
// time: read, and not yet answered on the wire. While it holds that many
// it reads no more of the connection, so a client that sends faster than
// it reads is slowed down by TCP instead of being disconnected.
const maxInFlight = 32

// session is one connection of a visitor or an agent, over either
// transport. The transport reads frames and passes them to receive, and
// runs pump to write what the session sends.
type session struct {
	srv     *Server
	agent   *chat.Agent // nil for a visitor
	visitor chat.Visitor
	addr    netip.Addr // where the client connected from; see Config.ClientIP
	// named is the name a visitor gave in the pre-chat form on this
	// connection; nil means visitor.Name.
	named atomic.Pointer[string]
	sub   *chat.Subscription
	live  *liveBox // agents: visitor-list frames waiting to be sent
	// sums holds the conversations summaries waiting to be sent to an
	// agent; nil for visitors and for supervisors, who follow everything.
	sums       *summaryBox
	supervisor bool

	// queue holds the answers to the client's frames in the order the
	// frames came, each taking one of the slots until the pump has
	// written it; see admit.
	queue   chan *reply
	slots   chan struct{}
	waiting atomic.Int32 // frames read and waiting for a slot
	// unasked holds the frames the server sends on its own besides
	// events: invitations and blocks, at most Config.SendQueue of them.
	// It is allocated when one comes.
	unaskedMu sync.Mutex
	unasked   []outItem
	// wake tells the pump that an unasked frame or a heartbeat is due.
	wake chan struct{}
	beat atomic.Bool // a heartbeat is due

	ctx    context.Context
	cancel context.CancelCauseFunc

	lastIn atomic.Int64 // unix nanoseconds of the last frame received

	// orderMu orders the frames taken: it guards the rate limit, the
	// queue's order and what each frame waits for (see schedule).
	orderMu  sync.Mutex
	limiter  bucket
	draining bool
	last     map[uuid.UUID]*reply // per conversation, the last frame taken since the last lone frame
	lone     *reply               // the last frame handled alone
	since    []*reply             // the conversation frames taken since lone
	handlers sync.WaitGroup       // frames being handled

	streamID string // SSE only
	attached atomic.Bool
	endOnce  sync.Once
}

// reply is the answer to one client frame; done is closed once it is set.
type reply struct {
	it   outItem
	done chan struct{}
}

func (r *reply) set(it outItem) {
	r.it = it
	close(r.done)
}

// outItem is something the pump sends: a frame, or a sync it carries out.
type outItem struct {
	frame   *wire.ServerFrame
	sync    *syncRequest
	track   uuid.UUID // register the conversation as followed from seq 0
	untrack uuid.UUID // stop following the conversation
	last    bool      // close the connection after this frame
}

type syncRequest struct {
	id             string
	conversationID uuid.UUID
	after          int64
}

// open authenticates a hello and starts a session. agent is the agent the
// shop authenticated, or nil on the visitors' side.
func (s *Server) open(ctx context.Context, r *http.Request, data []byte, agent *chat.Agent) (*session, *wire.ServerFrame, error) {
	f, err := wire.DecodeClientFrame(data)
	if err != nil {
		return nil, nil, err
	}
	if f.Type != wire.FrameHello {
		return nil, nil, wire.Errorf(wire.CodeHelloFirst, "the first frame must be hello")
	}
	if f.V != wire.ProtocolVersion {
		return nil, nil, wire.Errorf(wire.CodeUnsupported, "protocol version %d is not supported; this server speaks %d", f.V, wire.ProtocolVersion)
	}
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		return nil, nil, errShuttingDown
	}

	ss := &session{srv: s, addr: s.clientIP(r), queue: make(chan *reply, maxInFlight), slots: make(chan struct{}, maxInFlight),
		wake: make(chan struct{}, 1)}
	ss.limiter = bucket{rate: s.cfg.RateLimit, burst: float64(s.cfg.RateBurst), tokens: float64(s.cfg.RateBurst), last: s.cfg.Now()}
	welcome := &wire.ServerFrame{Type: wire.FrameWelcome, ID: f.ID, V: wire.ProtocolVersion,
		HeartbeatMS: s.cfg.HeartbeatInterval.Milliseconds(), TimeoutMS: s.cfg.HeartbeatTimeout.Milliseconds(),
		Limits: &wire.Limits{Body: chat.MaxBodyBytes, Name: chat.MaxNameBytes, Email: chat.MaxEmailBytes}}
	if s.cfg.Files != nil {
		welcome.Limits.File, welcome.Limits.FileTypes = s.cfg.MaxFileBytes, s.cfg.FileTypes
	}
	var topic chat.Topic
	if agent != nil {
		a, err := s.saveAgent(ctx, *agent)
		if err != nil {
			return nil, nil, err
		}
		ss.agent = &a
		ss.live = newLiveBox()
		welcome.Agent = &a
		if topic, err = s.followAgent(ss); err != nil {
			return nil, nil, err
		}
		welcome.Role = ss.role()
		// The summaries collect the changes from now on, so none made
		// after the list is read is lost.
		welcome.Open, err = s.agentConversations(ctx, a.ID)
		if err != nil {
			ss.unfollowAgent()
			return nil, nil, err
		}
	} else {
		v, err := s.identifyVisitor(ctx, r, f, func(v chat.Visitor) error { return s.admit(ctx, r, v, ss.addr) })
		if err != nil {
			return nil, nil, err
		}
		ss.visitor = v
		welcome.Visitor = &v
		welcome.Availability, welcome.Contact = s.availability(ctx), s.contact
		welcome.Token = visitorToken(s.cfg.Secret, v.ID, s.cfg.Now().Add(s.cfg.VisitorTokenTTL))
		welcome.Open, err = s.activeConversations(ctx, v.ID)
		if err != nil {
			return nil, nil, err
		}
		topic = chat.VisitorTopic(v.ID)
	}

	// The session outlives the request that opened it (SSE), so its
	// context does not derive from the request's.
	ss.ctx, ss.cancel = context.WithCancelCause(context.WithoutCancel(ctx))
	buffer := s.cfg.SendQueue
	if agent != nil {
		buffer *= agentQueueFactor // agents follow many conversations
	}
	// The events of the client's own frames in flight have room besides:
	// a client that reads is never cut off for what it sends.
	buffer += maxInFlight
	ss.sub, err = s.desk.SubscribeBuffer(ss.ctx, topic, buffer)
	if err != nil {
		ss.unfollowAgent()
		ss.cancel(err)
		return nil, nil, err
	}
	ss.touch()
	if err := s.register(ss); err != nil {
		ss.unfollowAgent()
		ss.sub.Close()
		ss.cancel(err)
		return nil, nil, err
	}
	if ss.agent != nil {
		welcome.Visitors = s.live.addAgent(ss)
		welcome.Canned, welcome.WaitWarningMS = s.cfg.CannedResponses, s.cfg.WaitWarning.Milliseconds()
		welcome.Actions = s.actionList()
	} else {
		s.live.connect(ctx, ss)
	}
	return ss, welcome, nil
}

// saveAgent stores the agent the shop authenticated, keeping the stored
// status, and marks them online.
func (s *Server) saveAgent(ctx context.Context, a chat.Agent) (chat.Agent, error) {
	a.Status = chat.AgentOffline
	if old, err := s.desk.Store().Agent(ctx, a.ID); err == nil {
		a.Status = old.Status
	}
	if err := a.Validate(); err != nil {
		return chat.Agent{}, fmt.Errorf("the agent from AuthenticateAgent: %w", err)
	}
	if err := s.holdAgent(ctx, a.ID); err != nil {
		return chat.Agent{}, err
	}
	if err := s.desk.SaveAgent(ctx, a); err != nil {
		return chat.Agent{}, err
	}
	if a.Status == chat.AgentOffline {
		return s.desk.SetAgentStatus(ctx, a.ID, chat.AgentOnline)
	}
	return a, nil
}

// identifyVisitor finds or creates the visitor of a hello. A visitor who
// is a logged-in customer stays that customer: a hello with another
// customer's identity, or with none because the customer logged out, gets
// another visitor, so whoever uses the browser next never reaches the
// customer's conversations. A customer is one visitor on every device
// (see chat.CustomerStore): an anonymous visitor who logs in becomes the
// customer's visitor, or, when the customer is one already, is merged into
// it with their conversations. admit decides whether the visitor may come
// in; it is called before anything is stored.
func (s *Server) identifyVisitor(ctx context.Context, r *http.Request, f wire.ClientFrame, admit func(chat.Visitor) error) (chat.Visitor, error) {
	now := s.cfg.Now()
	var v chat.Visitor
	stored := false // v is a visitor of the store, who may have conversations
	if f.Token != "" {
		id, err := verifyVisitor(s.cfg.Secret, f.Token, now)
		if err != nil {
			return chat.Visitor{}, err
		}
		v, err = s.desk.Visitor(ctx, id)
		switch {
		case errors.Is(err, chat.ErrNotFound):
			v = chat.Visitor{ID: id} // a valid token from a store that was reset
		case err != nil:
			return chat.Visitor{}, err
		default:
			stored = true
		}
	}
	id, identified, err := s.identity(r, f, now)
	if err != nil {
		return chat.Visitor{}, err
	}
	if v.CustomerID != "" && v.CustomerID != id.CustomerID {
		v, stored = chat.Visitor{}, false // another customer, or the customer logged out
	}
	// What the hello and the shop say of the visitor, whoever they turn
	// out to be.
	describe := func(v chat.Visitor) chat.Visitor {
		if identified {
			v.CustomerID, v.Name, v.Email = id.CustomerID, id.Name, id.Email
			v.Locale = cmp.Or(id.Locale, v.Locale)
		}
		// The widget's language wins over the identity's: the visitor
		// reads what the Desk writes next to the widget's own words.
		v.Locale = cmp.Or(f.Lang, v.Locale)
		v.TimeZone = cmp.Or(f.TimeZone, v.TimeZone)
		return v
	}
	v = describe(v)
	if err := admit(v); err != nil {
		return chat.Visitor{}, err
	}
	if identified {
		if v, err = s.customerVisitor(ctx, v, stored, describe, admit); err != nil {
			return chat.Visitor{}, err
		}
	}
	v, err = s.desk.SaveVisitor(ctx, v)
	if err == nil && identified && id.Email != "" {
		err = s.desk.ProveEmail(ctx, v.ID, id.Email) // the shop vouches for it
	}
	return v, err
}

// identity returns the customer a hello comes from: as
// Config.IdentifyVisitor reads the shop's session when it is set, or else
// as the hello's identity token says. identified is false for an
// anonymous visitor.
func (s *Server) identity(r *http.Request, f wire.ClientFrame, now time.Time) (id Identity, identified bool, err error) {
	if s.cfg.IdentifyVisitor != nil {
		id, identified, err = s.cfg.IdentifyVisitor(r)
		if err != nil {
			s.log.WarnContext(r.Context(), "transport: Config.IdentifyVisitor failed", "err", err)
			return Identity{}, false, fmt.Errorf("transport: Config.IdentifyVisitor: %w", err)
		}
		if identified && id.CustomerID == "" {
			return Identity{}, false, errors.New("transport: Config.IdentifyVisitor identified a customer without a CustomerID")
		}
		if !identified {
			id = Identity{}
		}
		return id, identified, nil
	}
	if f.Identity == "" {
		return Identity{}, false, nil
	}
	id, err = verifyIdentity(s.cfg.Secret, f.Identity, now)
	return id, err == nil, err
}

// customerVisitor returns the visitor of v.CustomerID, a customer, that
// admit let in: v, the hello's visitor, when the customer has no visitor
// yet, or else the customer's visitor, as describe makes it, into which v
// is merged when it was stored (an anonymous visitor who logged in brings
// their conversations along). admit sees the customer's visitor too.
func (s *Server) customerVisitor(ctx context.Context, v chat.Visitor, stored bool, describe func(chat.Visitor) chat.Visitor,
	admit func(chat.Visitor) error) (chat.Visitor, error) {
	if v.ID == uuid.Nil {
		v.ID = chat.NewID()
	}
	linked, err := s.desk.LinkCustomer(ctx, v.CustomerID, v.ID)
	if err != nil || linked == v.ID {
		return v, err
	}
	from := v.ID
	v, err = s.desk.Visitor(ctx, linked)
	switch {
	case errors.Is(err, chat.ErrNotFound):
		v = chat.Visitor{ID: linked} // linked by a hello that stored nothing
	case err != nil:
		return chat.Visitor{}, err
	}
	v = describe(v)
	if err := admit(v); err != nil {
		return chat.Visitor{}, err
	}
	if !stored {
		return v, nil
	}
	// The customer's visitor is stored before what it is to receive.
	if v, err = s.desk.SaveVisitor(ctx, v); err != nil {
		return chat.Visitor{}, err
	}
	if _, err := s.desk.MergeVisitor(ctx, from, v.ID); err != nil {
		return chat.Visitor{}, err
	}
	return v, nil
}

// register adds a session, enforcing the per-visitor cap, and announces
// presence for a first connection.
func (s *Server) register(ss *session) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return errShuttingDown
	}
	first := false
	if ss.agent == nil {
		if s.visitors[ss.visitor.ID] >= s.cfg.MaxConnsPerVisitor {
			s.mu.Unlock()
			return wire.Errorf(wire.CodeTooManyConns, "a visitor may have %d connections open", s.cfg.MaxConnsPerVisitor)
		}
		s.visitors[ss.visitor.ID]++
		first = s.visitors[ss.visitor.ID] == 1
	} else {
		s.agents[ss.agent.ID]++
		if t := s.leaving[ss.agent.ID]; t != nil {
			t.Stop() // back within the grace period
			delete(s.leaving, ss.agent.ID)
		}
	}
	s.sessions[ss] = struct{}{}
	if s.beat == nil {
		s.beat = time.AfterFunc(s.cfg.HeartbeatInterval, s.heartbeat)
	}
	s.wg.Add(1)
	s.mu.Unlock()
	if first {
		if err := s.desk.SetVisitorPresence(ss.ctx, ss.visitor.ID, chat.PresenceOnline); err != nil {
			s.log.Warn("transport: visitor presence", "err", err)
		}
	}
	return nil
}

// heartbeat has every session check its client's silence and ping it.
// One timer serves all the sessions; it runs while there are any.
func (s *Server) heartbeat() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sessions) == 0 {
		s.beat = nil
		return
	}
	for ss := range s.sessions {
		ss.heartbeat()
	}
	s.beat.Reset(s.cfg.HeartbeatInterval)
}

// end closes a session for good and announces presence for a last
// connection. It is called once, by the transport, when it stops.
func (ss *session) end(reason error) {
	ss.endOnce.Do(func() { ss.finish(reason) })
}

func (ss *session) finish(reason error) {
	s := ss.srv
	ss.cancel(reason)
	ss.sub.Close()
	s.mu.Lock()
	delete(s.sessions, ss)
	if ss.streamID != "" {
		delete(s.streams, ss.streamID)
	}
	var lastVisitor, lastAgent bool
	if ss.agent == nil {
		s.visitors[ss.visitor.ID]--
		if lastVisitor = s.visitors[ss.visitor.ID] == 0; lastVisitor {
			delete(s.visitors, ss.visitor.ID)
		}
	} else {
		s.agents[ss.agent.ID]--
		if lastAgent = s.agents[ss.agent.ID] == 0; lastAgent {
			delete(s.agents, ss.agent.ID)
		}
	}
	s.mu.Unlock()
	if ss.agent != nil {
		ss.unfollowAgent()
		s.live.removeAgent(ss)
	} else {
		s.live.disconnect(ss)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	if lastVisitor {
		if err := s.desk.SetVisitorPresence(ctx, ss.visitor.ID, chat.PresenceOffline); err != nil && !errors.Is(err, chat.ErrClosed) {
			s.log.Warn("transport: visitor presence", "err", err)
		}
	}
	if lastAgent {
		s.agentLeft(ss.agent.ID)
	}
	// No frame is taken once the session's context is done (see take).
	// Those being handled finish within WriteTimeout each; Shutdown waits
	// for them, the client's close does not.
	ss.orderMu.Lock()
	ss.orderMu.Unlock() //nolint:staticcheck // a frame being taken is then counted
	go func() {
		ss.handlers.Wait()
		s.wg.Done()
	}()
}

// agentLeft releases an agent's presence lease once their grace period
// passes without a new connection, which sets them offline unless another
// instance holds them.
func (s *Server) agentLeft(id string) {
	offline := func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
		defer cancel()
		if err := s.releaseAgent(ctx, id); err != nil && !errors.Is(err, chat.ErrClosed) {
			s.log.Warn("transport: agent presence", "err", err)
		}
	}
	if s.cfg.AgentGracePeriod < 0 {
		offline()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || s.agents[id] > 0 || s.leaving[id] != nil {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(s.cfg.AgentGracePeriod, func() {
		s.mu.Lock()
		current := s.leaving[id] == t && s.agents[id] == 0
		if current {
			delete(s.leaving, id)
		}
		s.mu.Unlock()
		if current {
			offline()
		}
	})
	s.leaving[id] = t
}

// drain is the session's part of a graceful shutdown: stop taking frames,
// let those being handled finish, then tell the client to reconnect.
func (ss *session) drain() {
	ss.orderMu.Lock()
	ss.draining = true
	ss.orderMu.Unlock()
	ss.handlers.Wait()
	ss.enqueueFinal(&wire.ServerFrame{Type: wire.FrameReconnect, Error: errorBody(errShuttingDown)})
	if !ss.attached.Load() {
		ss.cancel(errShuttingDown) // an SSE session without a stream has nobody to tell
	}
}

func (ss *session) touch() { ss.lastIn.Store(ss.srv.cfg.Now().UnixNano()) }

// enqueue hands the pump a frame the client did not ask for. A full
// queue means the client is not reading: the session ends as a slow
// consumer.
func (ss *session) enqueue(it outItem) {
	ss.unaskedMu.Lock()
	full := len(ss.unasked) >= ss.srv.cfg.SendQueue
	if !full {
		ss.unasked = append(ss.unasked, it)
	}
	ss.unaskedMu.Unlock()
	if full {
		ss.cancel(errSlowConsumer)
		return
	}
	ss.signal()
}

// nextUnasked takes the oldest unasked frame, if any.
func (ss *session) nextUnasked() (outItem, bool) {
	ss.unaskedMu.Lock()
	defer ss.unaskedMu.Unlock()
	if len(ss.unasked) == 0 {
		return outItem{}, false
	}
	it := ss.unasked[0]
	ss.unasked[0] = outItem{}
	ss.unasked = ss.unasked[1:]
	if len(ss.unasked) == 0 {
		ss.unasked = nil // an idle session holds no queue
	} else {
		ss.signal() // the pump takes one per turn
	}
	return it, true
}

// heartbeat makes the pump check the client's silence and ping it.
func (ss *session) heartbeat() {
	ss.beat.Store(true)
	ss.signal()
}

// signal wakes the pump for wake's reasons.
func (ss *session) signal() {
	select {
	case ss.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// enqueueFinal queues a last frame after the answers queued before it,
// ending the session if it finds no room within WriteTimeout.
func (ss *session) enqueueFinal(f *wire.ServerFrame) {
	t := time.NewTimer(ss.srv.cfg.WriteTimeout)
	defer t.Stop()
	select {
	case ss.slots <- struct{}{}:
	case <-ss.ctx.Done():
		return
	case <-t.C:
		ss.cancel(errShuttingDown)
		return
	}
	ss.orderMu.Lock()
	defer ss.orderMu.Unlock()
	r := &reply{done: make(chan struct{})}
	ss.queue <- r
	r.set(outItem{frame: f, last: true})
}

// receive takes one frame from the client; see take. It reports false
// when the frame was not taken because the session or ctx ended.
func (ss *session) receive(ctx context.Context, data []byte) bool {
	ss.touch()
	if bytes.Equal(data, pongFrame) {
		// The pong as clients send it is known without decoding: an idle
		// connection's reader never runs the JSON decoder, whose deep
		// calls would grow its stack.
		return true
	}
	f, err := wire.DecodeClientFrame(data)
	if err == nil && f.Type == wire.FramePong {
		return true
	}
	if err != nil {
		f = wire.ClientFrame{ID: requestID(data)}
	}
	return ss.take(ctx, f, err)
}

// admit takes a slot for a frame. While maxInFlight frames are held it
// waits, and the transport reads no more of the connection: a client
// that does not read what it asked for is slowed down, not cut off. The
// pump ends the session when a write waits WriteTimeout.
func (ss *session) admit(ctx context.Context) bool {
	select {
	case ss.slots <- struct{}{}:
		return true
	default:
	}
	ss.waiting.Add(1)
	defer ss.waiting.Add(-1)
	select {
	case ss.slots <- struct{}{}:
		// The client was not silent while its frame waited: the
		// heartbeat counts its silence from here, not from the read.
		ss.touch()
		return true
	case <-ss.ctx.Done():
		return false
	case <-ctx.Done():
		return false
	}
}

// take queues the answer to frame f, or to the error bad it failed to
// decode with, in the order frames come, and has the frame handled.
func (ss *session) take(ctx context.Context, f wire.ClientFrame, bad error) bool {
	if !ss.admit(ctx) {
		return false
	}
	ss.orderMu.Lock()
	defer ss.orderMu.Unlock()
	if ss.ctx.Err() != nil {
		return false
	}
	r := &reply{done: make(chan struct{})}
	ss.queue <- r // never blocks: the slot is room in the queue
	if bad != nil {
		r.set(outItem{frame: errorFrame(f.ID, bad)})
		return true
	}
	if f.Type == wire.FramePing {
		r.set(outItem{frame: &wire.ServerFrame{Type: wire.FramePong, ID: f.ID}})
		return true
	}
	if ok, wait := ss.limiter.allow(ss.srv.cfg.Now()); !ok {
		r.set(outItem{frame: errorFrame(f.ID, &rateLimitError{retryAfter: wait})})
		return true
	}
	if ss.draining {
		r.set(outItem{frame: errorFrame(f.ID, errShuttingDown)})
		return true
	}
	ss.schedule(f, r)
	return true
}

// orderKey is the conversation by which a frame is ordered, or uuid.Nil
// for a frame handled alone. The frames that only add to a conversation
// (send, note, typing, read, sync) are handled in order with the earlier
// frames of their conversation and beside those of other conversations;
// every other frame waits for every earlier frame, and every later frame
// waits for it. docs/protocol.md states this rule.
func orderKey(f wire.ClientFrame) uuid.UUID {
	switch f.Type {
	case wire.FrameSend, wire.FrameNote, wire.FrameTyping, wire.FrameRead, wire.FrameSync, wire.FrameUnwatch, wire.FrameAction:
		return f.ConversationID
	}
	return uuid.Nil
}

// schedule starts handling f once the frames it is ordered after are
// handled. Called with orderMu held.
func (ss *session) schedule(f wire.ClientFrame, r *reply) {
	var after []*reply
	if key := orderKey(f); key != uuid.Nil {
		after = append(after, ss.lone, ss.last[key])
		if ss.last == nil {
			ss.last = make(map[uuid.UUID]*reply)
		}
		ss.last[key] = r
		ss.since = append(ss.since, r)
		ss.forgetHandled()
	} else {
		after = append(ss.since, ss.lone)
		ss.lone, ss.since = r, nil
		clear(ss.last)
	}
	ss.handlers.Add(1)
	go ss.run(f, r, after)
}

// forgetHandled drops the handled frames from what later frames may
// have to wait for, once there are many: an agent may write to any
// number of conversations without a lone frame between.
func (ss *session) forgetHandled() {
	if len(ss.since) <= 2*maxInFlight {
		return
	}
	handled := func(r *reply) bool {
		select {
		case <-r.done:
			return true
		default:
			return false
		}
	}
	ss.since = slices.DeleteFunc(ss.since, handled)
	maps.DeleteFunc(ss.last, func(_ uuid.UUID, r *reply) bool { return handled(r) })
}

// run handles f after the frames in after and sets its answer.
func (ss *session) run(f wire.ClientFrame, r *reply, after []*reply) {
	defer ss.handlers.Done()
	for _, a := range after {
		if a != nil {
			<-a.done
		}
	}
	// A frame in hand is finished even if the session is being torn down,
	// so that nothing is stored without its answer being attempted.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ss.ctx), ss.srv.cfg.WriteTimeout)
	defer cancel()
	it, err := ss.handle(ctx, f)
	if err != nil {
		if errorBody(err).Code == wire.CodeInternal {
			ss.srv.log.Error("transport: handling a frame", "type", f.Type, "err", err)
		}
		it = outItem{frame: errorFrame(f.ID, err)}
	}
	r.set(it)
}

// requestID digs the id out of a frame that failed to decode, so the
// error can still answer it.
func requestID(data []byte) string {
	var f struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(data, &f) != nil || len(f.ID) > wire.MaxRequestIDBytes {
		return ""
	}
	return f.ID
}

// handle carries out one decoded frame and returns the answer.
func (ss *session) handle(ctx context.Context, f wire.ClientFrame) (outItem, error) {
	d := ss.srv.desk
	ok := outItem{frame: &wire.ServerFrame{Type: wire.FrameOK, ID: f.ID, ConversationID: f.ConversationID}}
	if f.Type == wire.FrameHello {
		return outItem{}, wire.Errorf(wire.CodeHelloFirst, "hello was already sent")
	}
	if !ss.allowed(f.Type) {
		return outItem{}, wire.Errorf(wire.CodeUnknownType, "%s is not a %s frame", f.Type, ss.side())
	}
	if ss.agent == nil {
		if err := ss.checkBlocked(ctx, f); err != nil {
			return outItem{}, err
		}
	}
	if f.Type == wire.FrameBlock || f.Type == wire.FrameUnblock || f.Type == wire.FrameBlocks {
		return ss.blockFrame(ctx, f)
	}
	if f.Type == wire.FrameExport || f.Type == wire.FrameErase {
		return ss.privacyFrame(ctx, f)
	}
	if f.Type == wire.FramePresence {
		return ok, ss.setPresence(ctx, f.Presence)
	}
	if f.Type == wire.FramePage {
		if done, err := ss.trackedAlready(ctx, f.URL); done || err != nil {
			return ok, err
		}
		pv, err := d.RecordPageView(ctx, chat.PageView{VisitorID: ss.visitor.ID, URL: f.URL, Title: f.Title, Referrer: f.Referrer,
			At: ss.srv.cfg.Now()})
		if err == nil {
			ss.srv.live.page(ctx, ss, pv)
		}
		return ok, err
	}
	if ss.agent == nil {
		ss.srv.live.active(ss)
	}
	if f.Type == wire.FrameCart {
		// The cart changed without a page: agents see it at once.
		ss.srv.live.refreshContext(ctx, ss.visitor.ID, ss.visitor)
		return ok, nil
	}
	if f.Type == wire.FrameInviteReply {
		return ss.srv.live.reply(ctx, ss, f)
	}
	if f.Type == wire.FrameHistory {
		if ss.agent == nil && f.VisitorID != ss.visitor.ID {
			// A visitor reads only their own; another's is as if absent.
			return outItem{}, wire.Errorf(wire.CodeNotFound, "no such visitor")
		}
		return ss.srv.history(ctx, f)
	}
	if f.Type == wire.FrameStats {
		return ss.srv.stats(ctx, f, ss.statsAgent())
	}
	if f.Type == wire.FrameTag || f.Type == wire.FrameUntag || f.Type == wire.FrameTags {
		if f.Type != wire.FrameTags && ss.restricted() {
			_, info, err := ss.srv.desk.Lookup(ctx, f.ConversationID)
			if err != nil {
				return outItem{}, err
			}
			if err := ss.checkRole(f, info); err != nil {
				return outItem{}, err
			}
		}
		return ss.srv.tagFrame(ctx, f)
	}
	if f.Type == wire.FrameSearch {
		return ss.srv.search(ctx, f, ss.restricted())
	}
	if f.Type == wire.FrameStart {
		req := chat.StartRequest{ID: f.ConversationID, VisitorID: ss.visitor.ID, Department: f.Department}
		if ss.agent != nil {
			if f.VisitorID == uuid.Nil {
				return outItem{}, wire.Errorf(wire.CodeInvalid, "an agent's start needs visitor_id")
			}
			req.VisitorID, req.AgentID = f.VisitorID, ss.agent.ID
		} else if err := ss.prechat(ctx, f); err != nil {
			return outItem{}, err
		} else if req.ID, err = ss.startID(ctx, req.ID); err != nil {
			return outItem{}, err
		}
		c, err := d.Start(ctx, req)
		if err != nil {
			return outItem{}, err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return outItem{}, err
		}
		return outItem{frame: &wire.ServerFrame{Type: wire.FrameStarted, ID: f.ID, ConversationID: info.ID, Conversation: &info}, track: info.ID}, nil
	}

	conv, info, err := ss.conversation(ctx, f.ConversationID)
	if err != nil {
		return outItem{}, err
	}
	if err := ss.checkRole(f, info); err != nil {
		return outItem{}, err
	}
	switch f.Type {
	case wire.FrameSend:
		files, err := ss.srv.attachments(ctx, info.ID, f.Files)
		if err != nil {
			return outItem{}, err
		}
		m, err := conv.Post(ctx, chat.Message{Author: ss.author(), Body: f.Body, Attachments: files, IdempotencyKey: f.Key})
		if err != nil {
			return outItem{}, err
		}
		return outItem{frame: ackFrame(f, m)}, nil
	case wire.FrameNote:
		return ss.note(ctx, conv, f)
	case wire.FrameAction:
		return ss.action(ctx, conv, info, f)
	case wire.FrameSync:
		if err := ss.watch(info); err != nil {
			return outItem{}, err
		}
		return outItem{sync: &syncRequest{id: f.ID, conversationID: info.ID, after: f.AfterSeq}}, nil
	case wire.FrameUnwatch:
		ok.untrack = ss.unwatch(info)
		return ok, nil
	case wire.FrameTyping:
		return ok, d.Typing(ctx, info.ID, ss.author(), f.Typing)
	case wire.FrameRead:
		return ok, d.MarkRead(ctx, info.ID, ss.author(), f.Seq)
	case wire.FrameRate:
		_, err := conv.Rate(ctx, f.Rating, f.Resolved)
		return ok, err
	case wire.FrameClose:
		_, err := conv.Close(ctx)
		return ok, err
	case wire.FrameAssign:
		agentID := f.AgentID
		if agentID == "" {
			agentID = ss.agent.ID
		}
		_, err := conv.Assign(ctx, agentID)
		return ok, err
	case wire.FrameTransfer:
		_, err := conv.Transfer(ctx, chat.Transfer{AgentID: f.AgentID, Department: f.Department, By: ss.author()})
		return ok, err
	case wire.FrameTranscript:
		if err := checkEmail(f.Email); err != nil {
			return ok, err
		}
		return ok, d.SendTranscript(ctx, info.ID, f.Email)
	}
	return outItem{}, wire.Errorf(wire.CodeUnknownType, "unknown frame type %.32q", f.Type)
}

// conversation returns the conversation a frame names, if this session may
// act on it. A visitor asking for someone else's conversation gets the same
// not-found error as for one that does not exist.
func (ss *session) conversation(ctx context.Context, id uuid.UUID) (chat.Conversation, chat.ConversationInfo, error) {
	conv, info, err := ss.srv.desk.Lookup(ctx, id)
	if err != nil {
		return nil, chat.ConversationInfo{}, err
	}
	if ss.agent == nil && info.VisitorID != ss.visitor.ID {
		return nil, chat.ConversationInfo{}, fmt.Errorf("%w: conversation %s", chat.ErrNotFound, id)
	}
	return conv, info, nil
}

func (ss *session) setPresence(ctx context.Context, p chat.Presence) error {
	if ss.agent != nil {
		_, err := ss.srv.desk.SetAgentStatus(ctx, ss.agent.ID, chat.AgentStatus(p))
		return err
	}
	return ss.srv.desk.SetVisitorPresence(ctx, ss.visitor.ID, p)
}

func (ss *session) author() chat.Author {
	if ss.agent != nil {
		return chat.Author{Kind: chat.AuthorAgent, ID: ss.agent.ID, Name: ss.agent.Name}
	}
	name := ss.visitor.Name
	if n := ss.named.Load(); n != nil {
		name = *n
	}
	return chat.Author{Kind: chat.AuthorVisitor, ID: ss.visitor.ID.String(), Name: name}
}

func (ss *session) side() string {
	if ss.agent != nil {
		return "agent"
	}
	return "visitor"
}

func (ss *session) allowed(t string) bool {
	types := visitorTypes
	if ss.agent != nil {
		types = agentTypes
	}
	for _, a := range types {
		if a == t {
			return true
		}
	}
	return false
}

// sender writes one encoded frame to the connection.
type sender func(ctx context.Context, frame []byte) error

// pump writes to the connection until the session ends and returns why it
// ended. It is the only writer, so everything it sends is in order: for
// each followed conversation it keeps the highest Seq sent and sends every
// message exactly once and without gaps, filling a gap from the store.
func (ss *session) pump(send sender) error {
	ss.attached.Store(true)
	p := &pumpState{ss: ss, send: send, seen: make(map[uuid.UUID]int64)}
	events := ss.sub.Ready()
	var live, sums <-chan struct{}
	if ss.live != nil {
		live = ss.live.ready
	}
	if ss.sums != nil {
		sums = ss.sums.ready
	}
	var head *reply               // the next answer, once it is set
	always := make(chan struct{}) // closed: a turn of catching up is ready at once
	close(always)
	for {
		// Events go first: an answer can wait, since the client's frames
		// then wait unread, but the events' queue is what cuts a client
		// off.
		select {
		case <-events:
			if err := p.received(); err != nil {
				return err
			}
			continue
		default:
		}
		var queue <-chan *reply
		var ready, catching <-chan struct{}
		if len(p.behind) > 0 {
			catching = always
		}
		if head == nil {
			queue = ss.queue
		} else {
			ready = head.done
		}
		select {
		case <-ss.ctx.Done():
			return context.Cause(ss.ctx)
		case <-events:
			if err := p.received(); err != nil {
				return err
			}
		case head = <-queue:
		case <-ready:
			it := head.it
			head = nil
			if err := p.item(it); err != nil {
				return ss.writeFailed(err)
			}
			<-ss.slots
			if it.last {
				return errShuttingDown
			}
		case <-ss.wake:
			if ss.beat.Swap(false) {
				if err := p.heartbeat(); err != nil {
					return err
				}
			}
			if it, ok := ss.nextUnasked(); ok {
				if err := p.item(it); err != nil {
					return ss.writeFailed(err)
				}
			}
		case <-catching:
			if err := p.catchUpNext(); err != nil {
				return ss.writeFailed(err)
			}
		case <-live:
			for _, f := range ss.live.take() {
				if err := p.write(f); err != nil {
					return ss.writeFailed(err)
				}
			}
		case <-sums:
			if err := p.summary(ss.sums.take()); err != nil {
				return ss.writeFailed(err)
			}
		}
	}
}

// heartbeat ends a silent session and pings the client otherwise.
func (p *pumpState) heartbeat() error {
	ss := p.ss
	// A client whose frames wait unread is not silent.
	silent := ss.srv.cfg.Now().Sub(time.Unix(0, ss.lastIn.Load()))
	if silent > ss.srv.cfg.HeartbeatTimeout && ss.waiting.Load() == 0 {
		return errHeartbeatTimeout
	}
	// Encoded once: an idle connection's pump then never runs the JSON
	// encoder, whose deep calls would grow its stack.
	return p.writeEncoded(pingFrame)
}

// pingFrame is the ping frame, encoded, and pongFrame the pong.
var (
	pingFrame = []byte(`{"type":"` + wire.FramePing + `"}`)
	pongFrame = []byte(`{"type":"` + wire.FramePong + `"}`)
)

// received sends the events queued on the subscription and tells why it
// ended once it has.
func (p *pumpState) received() error {
	ss := p.ss
	// The events queued before the end are sent first.
	ended := false
	select {
	case <-ss.sub.Done():
		ended = true
	default:
	}
	for {
		e, ok := ss.sub.Next()
		if !ok {
			break
		}
		if err := p.event(e); err != nil {
			return ss.writeFailed(err)
		}
	}
	if !ended {
		return nil
	}
	if err := ss.sub.Err(); errors.Is(err, chat.ErrSlowConsumer) {
		return errSlowConsumer
	} else if err != nil {
		return err
	}
	return context.Cause(ss.ctx)
}

// writeFailed explains a failed write: a write that timed out, or one
// that was blocked while the subscription overflowed, means the client is
// not keeping up.
func (ss *session) writeFailed(err error) error {
	if cause := context.Cause(ss.ctx); cause != nil {
		return cause
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ss.sub.Err(), chat.ErrSlowConsumer) {
		return errSlowConsumer
	}
	return err
}

// pumpState is what the pump keeps between writes.
type pumpState struct {
	ss   *session
	send sender
	seen map[uuid.UUID]int64 // highest Seq sent per followed conversation
	// behind lists the followed conversations still to catch up from the
	// store after an EventResync, one per turn of the pump, so that events
	// and answers keep flowing meanwhile.
	behind []uuid.UUID
}

// catchUpNext catches up one conversation of behind: the messages it
// missed, then its state as stored, in a status frame, since it may have
// been closed, transferred or rated meanwhile.
func (p *pumpState) catchUpNext() error {
	id := p.behind[len(p.behind)-1]
	p.behind = p.behind[:len(p.behind)-1]
	if err := p.catchUp(id, 0); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(p.ss.ctx, p.ss.srv.cfg.WriteTimeout)
	c, err := p.ss.srv.desk.Store().Conversation(ctx, id)
	cancel()
	if err != nil {
		return fmt.Errorf("transport: reading a conversation to catch up: %w", err)
	}
	p.followState(&c)
	return p.write(&wire.ServerFrame{Type: string(chat.EventStatus), ConversationID: id, Conversation: &c,
		AgentID: c.AgentID, At: c.UpdatedAt.UTC().Format(time.RFC3339Nano)})
}

// followState follows a conversation that appears in state c while the
// connection is open (started by an agent, assigned to them, or new in
// the queue for a supervisor) from the state's last message; earlier
// messages come with a sync. One that went to another agent is no longer
// followed, unless watched.
func (p *pumpState) followState(c *chat.ConversationInfo) {
	if _, followed := p.seen[c.ID]; !followed && p.ss.follows(c) {
		p.seen[c.ID] = c.LastSeq
	} else if followed && !p.ss.follows(c) {
		delete(p.seen, c.ID)
	}
}

func (p *pumpState) write(f *wire.ServerFrame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return p.writeEncoded(b)
}

// writeEncoded writes an encoded frame within WriteTimeout.
func (p *pumpState) writeEncoded(b []byte) error {
	ctx, cancel := context.WithTimeout(p.ss.ctx, p.ss.srv.cfg.WriteTimeout)
	defer cancel()
	return p.send(ctx, b)
}

func (p *pumpState) item(it outItem) error {
	if it.track != uuid.Nil {
		if _, ok := p.seen[it.track]; !ok {
			p.seen[it.track] = 0
		}
	}
	if it.untrack != uuid.Nil {
		delete(p.seen, it.untrack)
	}
	if it.sync != nil {
		return p.sync(it.sync)
	}
	return p.write(it.frame)
}

// sync sends the messages after r.after and then a synced frame; from
// then on the conversation's live messages follow without gap.
func (p *pumpState) sync(r *syncRequest) error {
	p.seen[r.conversationID] = r.after
	if err := p.catchUp(r.conversationID, 0); err != nil {
		return err
	}
	return p.write(&wire.ServerFrame{Type: wire.FrameSynced, ID: r.id, ConversationID: r.conversationID, LastSeq: p.seen[r.conversationID]})
}

// catchUp sends the stored messages after the last one sent, up to and
// including upTo (0: all of them).
func (p *pumpState) catchUp(id uuid.UUID, upTo int64) error {
	for {
		after := p.seen[id]
		q := chat.MessageQuery{After: after, Limit: chat.MaxPageSize}
		if upTo > 0 {
			q.Before = upTo + 1
		}
		ctx, cancel := context.WithTimeout(p.ss.ctx, p.ss.srv.cfg.WriteTimeout)
		ms, err := p.ss.srv.desk.Store().Messages(ctx, id, q)
		cancel()
		if err != nil {
			return fmt.Errorf("transport: reading missed messages: %w", err)
		}
		for i := range ms {
			if err := p.message(&ms[i]); err != nil {
				return err
			}
		}
		if len(ms) < chat.MaxPageSize {
			return nil
		}
	}
}

// message sends m if it is the next one of its conversation. A visitor's
// connection skips internal notes, and a restricted agent's the notes it
// may not read (see readsNote): it moves past them without a frame.
func (p *pumpState) message(m *chat.Message) error {
	if m.Seq <= p.seen[m.ConversationID] {
		return nil
	}
	if m.Internal && (p.ss.agent == nil || !p.ss.readsNote(m)) {
		p.seen[m.ConversationID] = m.Seq
		return nil
	}
	if err := p.write(&wire.ServerFrame{Type: string(chat.EventMessage), ConversationID: m.ConversationID, Message: m, Seq: m.Seq}); err != nil {
		return err
	}
	p.seen[m.ConversationID] = m.Seq
	return nil
}

// event turns a desk event into frames.
func (p *pumpState) event(e chat.Event) error {
	f := &wire.ServerFrame{Type: string(e.Type), ConversationID: e.ConversationID, At: e.At.UTC().Format(time.RFC3339Nano)}
	switch e.Type {
	case chat.EventResync:
		// The Desk may have missed events of other instances: every
		// followed conversation is read again after the last message
		// sent, and its state resent.
		p.behind = slices.Collect(maps.Keys(p.seen))
		return nil
	case chat.EventMessage:
		m := e.Message
		last, followed := p.seen[m.ConversationID]
		if !followed {
			// The client has not synced this conversation: sending this
			// message now could put it ahead of earlier ones the sync is
			// about to send. The sync sends it.
			return nil
		}
		if m.Seq > last+1 {
			if err := p.catchUp(m.ConversationID, m.Seq); err != nil {
				return err
			}
		}
		return p.message(m)
	case chat.EventAssigned, chat.EventStatus, chat.EventRated:
		if e.Conversation != nil {
			p.followState(e.Conversation)
		}
		f.Conversation, f.AgentID, f.PreviousAgentID = e.Conversation, e.AgentID, e.PreviousAgentID
		if e.Type == chat.EventAssigned && e.Author.Kind == chat.AuthorAgent {
			f.Author = &e.Author // who the visitor now talks to
		}
	case chat.EventTyping:
		f.Author, f.Typing = &e.Author, e.Typing
	case chat.EventRead:
		f.Author, f.Seq = &e.Author, e.Seq
	case chat.EventPresence:
		f.Author, f.Presence = &e.Author, e.Presence
	case chat.EventQueue:
		if e.Queue == nil {
			return nil
		}
		f.Position, f.WaitMS = e.Queue.Position, e.Queue.Wait.Milliseconds()
	default:
		return nil
	}
	return p.write(f)
}

// closeReason maps why a session ended to a WebSocket close code and the
// error the client is told.
func closeReason(err error) (code int, body *wire.ErrorBody) {
	var pe *wire.Error
	switch {
	case errors.Is(err, errSlowConsumer):
		return CloseSlowConsumer, &wire.ErrorBody{Code: wire.CodeSlowConsumer, Message: "the connection fell behind; reconnect and sync"}
	case errors.Is(err, errHeartbeatTimeout):
		return CloseHeartbeatTimeout, &wire.ErrorBody{Code: wire.CodeHeartbeatTimeout, Message: "no frame within the heartbeat timeout"}
	case errors.Is(err, errShuttingDown), errors.Is(err, chat.ErrClosed):
		return CloseServiceRestart, &wire.ErrorBody{Code: wire.CodeUnavailable, Message: "the server is shutting down; reconnect"}
	case errors.As(err, &pe) && pe.Code == wire.CodeTooLarge:
		return int(websocket.StatusMessageTooBig), &wire.ErrorBody{Code: pe.Code, Message: pe.Message}
	}
	return int(websocket.StatusInternalError), &wire.ErrorBody{Code: wire.CodeInternal, Message: "internal error; reconnect"}
}
