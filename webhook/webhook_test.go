package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/advisor"
	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/webhook"
)

// secret is the signing key of the test endpoints.
var secret = []byte("0123456789abcdef0123456789abcdef")

// received is one request the receiver got, its signature checked.
type received struct {
	delivery webhook.Delivery
	attempt  int
	verified error
	status   int
}

// receiver is an endpoint over real HTTP that records what arrives. Its
// answer comes from respond, which sees the request's number (from 1).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	arrived chan struct{} // a value per request answered
	entered chan struct{} // a value per request begun
	respond func(n int, r *http.Request) int
}

func newReceiver(t *testing.T, respond func(n int, r *http.Request) int) *receiver {
	t.Helper()
	rc := &receiver{arrived: make(chan struct{}, 1000), entered: make(chan struct{}, 1000), respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.entered <- struct{}{}
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		rec := received{verified: webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, 0)}
		rec.attempt, _ = strconv.Atoi(r.Header.Get(webhook.AttemptHeader))
		assert.NoError(t, json.Unmarshal(body, &rec.delivery))
		assert.Equal(t, rec.delivery.ID.String(), r.Header.Get(webhook.IDHeader))
		assert.Equal(t, string(rec.delivery.Type), r.Header.Get(webhook.EventHeader))
		rc.mu.Lock()
		n := len(rc.got) + 1
		rc.mu.Unlock()
		rec.status = http.StatusOK
		if rc.respond != nil {
			rec.status = rc.respond(n, r)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, rec)
		rc.mu.Unlock()
		rc.arrived <- struct{}{}
		w.WriteHeader(rec.status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// requests returns what arrived so far.
func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// accepted returns the deliveries answered with 2xx, by id, each checked
// to be accepted once.
func (rc *receiver) accepted(t *testing.T) map[uuid.UUID]webhook.Delivery {
	t.Helper()
	out := map[uuid.UUID]webhook.Delivery{}
	for _, r := range rc.requests() {
		assert.NoError(t, r.verified, "every delivery is signed")
		if r.status/100 == 2 {
			_, dup := out[r.delivery.ID]
			assert.False(t, dup, "delivery %s accepted twice", r.delivery.ID)
			out[r.delivery.ID] = r.delivery
		}
	}
	return out
}

// waitAccepted waits until n deliveries were accepted.
func (rc *receiver) waitAccepted(t *testing.T, n int) map[uuid.UUID]webhook.Delivery {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if got := rc.accepted(t); len(got) >= n {
			return got
		}
		select {
		case <-rc.arrived:
		case <-deadline:
			t.Fatalf("%d deliveries accepted, want %d", len(rc.accepted(t)), n)
		}
	}
}

// waitEntered waits for a request to begin.
func (rc *receiver) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-rc.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no request arrived")
	}
}

// openStore opens the SQLite file at path.
func openStore(t *testing.T, path string) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// config returns a Config for one endpoint at url, fast to retry.
func config(s chat.OutboxStore, url string, events ...webhook.EventType) webhook.Config {
	return webhook.Config{
		Store:                s,
		Endpoints:            []webhook.Endpoint{{Name: "shop", URL: url, Secret: secret, Events: events}},
		AllowPrivateNetworks: true, // the receiver is on loopback
		MinRetry:             20 * time.Millisecond,
		MaxRetry:             100 * time.Millisecond,
		PollInterval:         20 * time.Millisecond,
		Timeout:              5 * time.Second,
	}
}

func newWebhooks(t *testing.T, cfg webhook.Config) *webhook.Webhooks {
	t.Helper()
	w, err := webhook.New(cfg)
	require.NoError(t, err)
	return w
}

// run runs w until the test ends or stop is called, which waits for Run
// to return.
func run(t *testing.T, w *webhook.Webhooks) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			assert.ErrorIs(t, <-done, context.Canceled)
		})
	}
	t.Cleanup(stop)
	return stop
}

// messageEvent is a stored message as the Desk records it.
func messageEvent(body string) chat.Event {
	m := chat.Message{ID: chat.NewID(), ConversationID: chat.NewID(), Seq: 1, Author: chat.Author{Kind: chat.AuthorVisitor},
		Body: body, CreatedAt: time.Now().UTC()}
	return chat.Event{Type: chat.EventMessage, ConversationID: m.ConversationID, VisitorID: chat.NewID(), Message: &m, At: m.CreatedAt}
}

// TestDeskEvents: a Desk on SQLite records its facts, and they arrive,
// signed, at the endpoints subscribed to them; internal notes and passing
// signals do not.
func TestDeskEvents(t *testing.T) {
	ctx := t.Context()
	all := newReceiver(t, nil)
	messages := newReceiver(t, nil)
	s := openStore(t, filepath.Join(t.TempDir(), "parley.db"))
	cfg := config(s, all.URL)
	cfg.Endpoints = append(cfg.Endpoints, webhook.Endpoint{Name: "messages", URL: messages.URL, Secret: secret,
		Events: []webhook.EventType{webhook.MessageCreated}})
	w := newWebhooks(t, cfg)
	run(t, w)
	desk, err := chat.NewDesk(chat.Config{Store: s, Recorder: w})
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close(context.Background()) })

	v, err := desk.SaveVisitor(ctx, chat.Visitor{Name: "Ola"})
	require.NoError(t, err)
	require.NoError(t, desk.SaveAgent(ctx, chat.Agent{ID: "anna", Name: "Anna"}))
	_, err = desk.SetAgentStatus(ctx, "anna", chat.AgentOnline)
	require.NoError(t, err)
	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	visitor := chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}
	agent := chat.Author{Kind: chat.AuthorAgent, ID: "anna", Name: "Anna"}
	_, err = conv.Post(ctx, chat.Message{Author: visitor, Body: "Gdzie jest moja paczka?"})
	require.NoError(t, err)
	_, err = conv.Post(ctx, chat.Message{Author: agent, Body: "note to self", Internal: true})
	require.NoError(t, err)
	require.NoError(t, desk.Typing(ctx, conv.ID(), visitor, true))
	_, err = conv.Post(ctx, chat.Message{Author: agent, Body: "Jutro."})
	require.NoError(t, err)
	require.NoError(t, desk.SaveAgent(ctx, chat.Agent{ID: "ben", Name: "Ben"}))
	_, err = desk.SetAgentStatus(ctx, "ben", chat.AgentOnline)
	require.NoError(t, err)
	_, err = conv.Transfer(ctx, chat.Transfer{AgentID: "ben", By: agent})
	require.NoError(t, err)
	_, err = conv.Close(ctx)
	require.NoError(t, err)
	yes := true
	_, err = conv.Rate(ctx, 5, &yes)
	require.NoError(t, err)

	// The transfer adds an assignment and a system message saying so.
	got := all.waitAccepted(t, 8)
	types := map[webhook.EventType][]webhook.Delivery{}
	for _, d := range got {
		types[d.Type] = append(types[d.Type], d)
		assert.Equal(t, conv.ID(), d.ConversationID)
		assert.Equal(t, v.ID, d.VisitorID)
	}
	require.Len(t, types[webhook.ConversationStarted], 1)
	require.Len(t, types[webhook.ConversationAssigned], 2)
	require.Len(t, types[webhook.MessageCreated], 3, "the note is not delivered")
	require.Len(t, types[webhook.ConversationClosed], 1)
	require.Len(t, types[webhook.ConversationRated], 1)
	assigned := map[string]string{} // agent to previous agent
	for _, d := range types[webhook.ConversationAssigned] {
		assigned[d.AgentID] = d.PreviousAgentID
	}
	assert.Equal(t, map[string]string{"anna": "", "ben": "anna"}, assigned, "a transfer names the agent it leaves")
	assert.Equal(t, 5, types[webhook.ConversationRated][0].Conversation.Rating)
	var bodies []string
	for _, d := range types[webhook.MessageCreated] {
		if d.Message.Author.Kind != chat.AuthorSystem {
			bodies = append(bodies, d.Message.Body)
		}
	}
	assert.ElementsMatch(t, []string{"Gdzie jest moja paczka?", "Jutro."}, bodies)

	only := messages.waitAccepted(t, 3)
	for _, d := range only {
		assert.Equal(t, webhook.MessageCreated, d.Type, "an endpoint gets only what it subscribed to")
		_, same := got[d.ID]
		assert.False(t, same, "each endpoint's delivery has an id of its own")
	}
	require.NoError(t, w.DeliverDue(ctx))
	assert.Len(t, all.requests(), 8, "nothing more arrives")
}

// TestOfflineRequest: a conversation started while the shop is closed
// arrives as an offline request.
func TestOfflineRequest(t *testing.T) {
	ctx := t.Context()
	rc := newReceiver(t, nil)
	s := openStore(t, filepath.Join(t.TempDir(), "parley.db"))
	w := newWebhooks(t, config(s, rc.URL, webhook.OfflineRequest, webhook.ConversationStarted))
	desk, err := chat.NewDesk(chat.Config{Store: s, Recorder: w, Hours: closed{}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close(context.Background()) })
	v, err := desk.SaveVisitor(ctx, chat.Visitor{})
	require.NoError(t, err)
	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	require.NoError(t, w.DeliverDue(ctx))
	got := rc.accepted(t)
	require.Len(t, got, 1)
	for _, d := range got {
		assert.Equal(t, webhook.OfflineRequest, d.Type)
		assert.Equal(t, conv.ID(), d.ConversationID)
		assert.Equal(t, chat.StatusWaiting, d.Conversation.Status)
	}
}

// TestOfflineRequestFromTheAdvisor: a conversation the virtual advisor
// hands over while the shop is closed arrives as an offline request when
// it is handed over, after its start.
func TestOfflineRequestFromTheAdvisor(t *testing.T) {
	ctx := t.Context()
	rc := newReceiver(t, nil)
	s := openStore(t, filepath.Join(t.TempDir(), "parley.db"))
	w := newWebhooks(t, config(s, rc.URL, webhook.OfflineRequest, webhook.ConversationStarted))
	adv, err := advisor.New(advisor.Config{Bot: advisor.BotFunc(func(context.Context, advisor.Question) (advisor.Reply, error) {
		return advisor.Reply{}, advisor.ErrNoAnswer
	})})
	require.NoError(t, err)
	desk, err := chat.NewDesk(chat.Config{Store: s, Recorder: w, Hours: closed{}, Advisor: adv})
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close(context.Background()) })
	v, err := desk.SaveVisitor(ctx, chat.Visitor{})
	require.NoError(t, err)
	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	_, err = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: "Do you sell gift cards?"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		c, err := conv.Info(ctx)
		require.NoError(t, err)
		return c.Status == chat.StatusWaiting
	}, 10*time.Second, 5*time.Millisecond, "the advisor hands over")
	require.NoError(t, w.DeliverDue(ctx))
	types := map[webhook.EventType]chat.Status{}
	for _, d := range rc.accepted(t) {
		types[d.Type] = d.Conversation.Status
	}
	assert.Equal(t, map[webhook.EventType]chat.Status{webhook.ConversationStarted: chat.StatusBot, webhook.OfflineRequest: chat.StatusWaiting}, types)
}

// closed is opening hours that never open.
type closed struct{}

func (closed) IsOpen(string, time.Time) bool                            { return false }
func (closed) ExpectedReply(string, time.Time, time.Duration) time.Time { return time.Time{} }

// TestRetriesUntilAccepted: an endpoint that fails three times and then
// accepts gets the delivery four times, always with the same id and the
// attempts counted, is never given it again once accepted, and the outbox
// is left empty.
func TestRetriesUntilAccepted(t *testing.T) {
	rc := newReceiver(t, func(n int, _ *http.Request) int {
		if n <= 3 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	s := openStore(t, filepath.Join(t.TempDir(), "parley.db"))
	w := newWebhooks(t, config(s, rc.URL))
	require.NoError(t, w.RecordEvent(t.Context(), messageEvent("hello")))
	// Driven by hand, so that each attempt's outcome is stored when
	// DeliverDue returns.
	require.Eventually(t, func() bool {
		_ = w.DeliverDue(t.Context())
		return len(rc.accepted(t)) == 1
	}, 10*time.Second, 5*time.Millisecond)
	got := rc.accepted(t)
	reqs := rc.requests()
	require.Len(t, reqs, 4)
	for i, r := range reqs {
		assert.Equal(t, i+1, r.attempt)
		assert.Contains(t, got, r.delivery.ID, "every attempt carries the same id")
		assert.NoError(t, r.verified)
	}
	left, err := s.ClaimOutbox(t.Context(), "webhook:shop", "test", time.Now().Add(24*time.Hour), time.Now().Add(25*time.Hour), 10)
	require.NoError(t, err)
	assert.Empty(t, left, "an accepted delivery leaves the outbox")
}

// TestGivesUp: after MaxAttempts failures a delivery is dropped.
func TestGivesUp(t *testing.T) {
	rc := newReceiver(t, func(int, *http.Request) int { return http.StatusBadGateway })
	s := openStore(t, filepath.Join(t.TempDir(), "parley.db"))
	cfg := config(s, rc.URL)
	cfg.MaxAttempts = 2
	// Written by DeliverDue's goroutines, read once they are done.
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	w := newWebhooks(t, cfg)
	require.NoError(t, w.RecordEvent(t.Context(), messageEvent("hello")))
	err := w.DeliverDue(t.Context())
	var status *webhook.StatusError
	require.ErrorAs(t, err, &status)
	assert.Equal(t, http.StatusBadGateway, status.StatusCode)
	require.Eventually(t, func() bool {
		_ = w.DeliverDue(t.Context())
		return len(rc.requests()) >= 2
	}, 10*time.Second, 10*time.Millisecond)
	left, err := s.ClaimOutbox(t.Context(), "webhook:shop", "test", time.Now().Add(24*time.Hour), time.Now().Add(25*time.Hour), 10)
	require.NoError(t, err)
	assert.Empty(t, left, "dropped after the last attempt")
	assert.Len(t, rc.requests(), 2)
	assert.Contains(t, logs.String(), `level=ERROR msg="webhook: dropping a delivery after its last attempt" endpoint=shop delivery=`+
		rc.requests()[0].delivery.ID.String(), "and the log names it")
}

// TestResumesAfterCrash: a delivery claimed by an instance that crashed
// is delivered, once its lease ends, by another instance that opens the
// same SQLite file afresh.
func TestResumesAfterCrash(t *testing.T) {
	rc := newReceiver(t, nil)
	path := filepath.Join(t.TempDir(), "parley.db")
	first := openStore(t, path)
	w := newWebhooks(t, config(first, rc.URL))
	require.NoError(t, w.RecordEvent(t.Context(), messageEvent("hello")))
	leaseEnd := time.Now().Add(500 * time.Millisecond)
	claimed, err := first.ClaimOutbox(t.Context(), "webhook:shop", "crashed", time.Now(), leaseEnd, 10)
	require.NoError(t, err)
	require.Len(t, claimed, 1, "the crashed instance held it")
	require.NoError(t, first.Close(t.Context()))

	second := openStore(t, path)
	run(t, newWebhooks(t, config(second, rc.URL)))
	got := rc.waitAccepted(t, 1)
	assert.False(t, time.Now().Before(leaseEnd), "not before the crashed instance's lease ended")
	assert.Contains(t, got, claimed[0].ID)
	assert.Len(t, rc.requests(), 1)
}

// TestResumesAfterShutdown: a delivery cut short when Run stops is made
// due again, and the next instance delivers it with the same id.
func TestResumesAfterShutdown(t *testing.T) {
	release := make(chan struct{})
	rc := newReceiver(t, func(n int, r *http.Request) int {
		if n == 1 {
			select { // hold the first attempt until the instance stops
			case <-release:
			case <-r.Context().Done():
			}
		}
		return http.StatusOK
	})
	path := filepath.Join(t.TempDir(), "parley.db")
	s := openStore(t, path)
	w := newWebhooks(t, config(s, rc.URL))
	require.NoError(t, w.RecordEvent(t.Context(), messageEvent("hello")))
	stop := run(t, w)
	rc.waitEntered(t) // the first attempt is in the receiver's hands
	stop()
	close(release)

	run(t, newWebhooks(t, config(openStore(t, path), rc.URL)))
	deadline := time.After(10 * time.Second)
	for {
		reqs := rc.requests()
		if len(reqs) >= 2 && reqs[len(reqs)-1].status == http.StatusOK {
			assert.Equal(t, reqs[0].delivery.ID, reqs[len(reqs)-1].delivery.ID, "the same delivery, by id")
			break
		}
		select {
		case <-rc.arrived:
		case <-deadline:
			t.Fatalf("the next instance did not deliver: %d requests", len(reqs))
		}
	}
}

// TestPrivateAddresses: without AllowPrivateNetworks, a URL naming a
// loopback address is refused by New, and a name that resolves to one is
// refused when connecting, so the receiver never hears of it; the
// delivery waits in the outbox, and an instance that allows private
// networks delivers it.
func TestPrivateAddresses(t *testing.T) {
	rc := newReceiver(t, nil)
	s := openStore(t, filepath.Join(t.TempDir(), "parley.db"))
	cfg := config(s, rc.URL)
	cfg.AllowPrivateNetworks = false
	_, err := webhook.New(cfg)
	require.ErrorIs(t, err, chat.ErrInvalid, "a literal loopback address")
	require.ErrorIs(t, err, webhook.ErrForbiddenAddress)

	for _, host := range []string{"10.1.2.3", "192.168.0.1", "[::1]", "169.254.169.254", "[fd00::1]", "100.64.0.1", "0.0.0.0", "224.0.0.1", "[fe80::1]"} {
		cfg.Endpoints[0].URL = "http://" + host + "/hook"
		_, err := webhook.New(cfg)
		assert.ErrorIs(t, err, webhook.ErrForbiddenAddress, host)
	}

	cfg.Endpoints[0].URL = strings.Replace(rc.URL, "127.0.0.1", "localhost", 1)
	w := newWebhooks(t, cfg)
	require.NoError(t, w.RecordEvent(t.Context(), messageEvent("hello")))
	err = w.DeliverDue(t.Context())
	require.ErrorIs(t, err, webhook.ErrForbiddenAddress, "the resolved address is checked when dialling")
	var addr *webhook.AddressError
	require.ErrorAs(t, err, &addr)
	assert.True(t, addr.Addr.IsLoopback(), addr.Addr.String())
	assert.Empty(t, rc.requests(), "nothing reached the receiver")

	cfg.AllowPrivateNetworks = true
	cfg.MinRetry = time.Millisecond
	allowed := newWebhooks(t, cfg)
	require.Eventually(t, func() bool {
		_ = allowed.DeliverDue(t.Context())
		return len(rc.accepted(t)) == 1
	}, 10*time.Second, 10*time.Millisecond, "allowed, the waiting delivery goes")
}

// TestFailingEndpointDoesNotSlowTheChat: while an endpoint holds every
// request without answering, the Desk stores and publishes messages as
// usual; the deliveries wait in the outbox.
func TestFailingEndpointDoesNotSlowTheChat(t *testing.T) {
	ctx := t.Context()
	hold := make(chan struct{})
	rc := newReceiver(t, func(_ int, r *http.Request) int {
		select {
		case <-hold:
		case <-r.Context().Done():
		}
		return http.StatusOK
	})
	healthy := newReceiver(t, nil)
	s := openStore(t, filepath.Join(t.TempDir(), "parley.db"))
	cfg := config(s, rc.URL)
	cfg.Endpoints = append(cfg.Endpoints, webhook.Endpoint{Name: "healthy", URL: healthy.URL, Secret: secret})
	w := newWebhooks(t, cfg)
	stop := run(t, w)
	desk, err := chat.NewDesk(chat.Config{Store: s, Recorder: w})
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close(context.Background()) })
	v, err := desk.SaveVisitor(ctx, chat.Visitor{})
	require.NoError(t, err)
	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	rc.waitEntered(t) // the endpoint now holds the first delivery
	sub, err := conv.Subscribe(ctx)
	require.NoError(t, err)
	const n = 20
	for i := range n {
		_, err := conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: "message " + strconv.Itoa(i)})
		require.NoError(t, err)
		select {
		case e := <-sub.Events():
			assert.Equal(t, chat.EventMessage, e.Type)
		case <-time.After(10 * time.Second):
			t.Fatal("the message was not published")
		}
	}
	assert.Empty(t, rc.requests(), "every message went through while the endpoint held its first delivery")
	healthy.waitAccepted(t, n+1) // and another endpoint got every delivery meanwhile
	stop()
	close(hold)
	run(t, newWebhooks(t, config(s, rc.URL)))
	rc.waitAccepted(t, n+1)
}

// TestConfig: New refuses what it cannot work with, naming it.
func TestConfig(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "parley.db"))
	good := config(s, "https://hooks.example.com/parley")
	for name, change := range map[string]func(*webhook.Config){
		"no store":       func(c *webhook.Config) { c.Store = nil },
		"no name":        func(c *webhook.Config) { c.Endpoints[0].Name = "" },
		"bad name":       func(c *webhook.Config) { c.Endpoints[0].Name = "a b" },
		"short secret":   func(c *webhook.Config) { c.Endpoints[0].Secret = []byte("short") },
		"ftp":            func(c *webhook.Config) { c.Endpoints[0].URL = "ftp://example.com/" },
		"relative":       func(c *webhook.Config) { c.Endpoints[0].URL = "/hook" },
		"credentials":    func(c *webhook.Config) { c.Endpoints[0].URL = "https://u:p@example.com/" },
		"unknown event":  func(c *webhook.Config) { c.Endpoints[0].Events = []webhook.EventType{"message"} },
		"negative retry": func(c *webhook.Config) { c.MinRetry = -1 },
		"min over max":   func(c *webhook.Config) { c.MinRetry, c.MaxRetry = time.Hour, time.Minute },
		"same name twice": func(c *webhook.Config) {
			c.Endpoints = append(c.Endpoints, c.Endpoints[0])
		},
	} {
		cfg := good
		cfg.Endpoints = append([]webhook.Endpoint(nil), good.Endpoints...)
		change(&cfg)
		_, err := webhook.New(cfg)
		assert.ErrorIs(t, err, chat.ErrInvalid, name)
	}
	_, err := webhook.New(good)
	assert.NoError(t, err)
}

// TestRetryAfterAndRedirects: a 503 with Retry-After waits that long
// before the next attempt; a redirect is a failed attempt, not followed.
func TestRetryAfterAndRedirects(t *testing.T) {
	elsewhere := newReceiver(t, nil)
	rc := newReceiver(t, func(n int, _ *http.Request) int { return http.StatusServiceUnavailable })
	rc.Config.Handler = retryAfter(rc.Config.Handler, "30")
	moved := httptest.NewServer(http.RedirectHandler(elsewhere.URL, http.StatusTemporaryRedirect))
	t.Cleanup(moved.Close)
	s := openStore(t, filepath.Join(t.TempDir(), "parley.db"))
	cfg := config(s, rc.URL)
	cfg.MaxRetry = time.Minute
	cfg.Endpoints = append(cfg.Endpoints, webhook.Endpoint{Name: "moved", URL: moved.URL, Secret: secret})
	w := newWebhooks(t, cfg)
	require.NoError(t, w.RecordEvent(t.Context(), messageEvent("hello")))
	before := time.Now()
	err := w.DeliverDue(t.Context())
	var status *webhook.StatusError
	require.ErrorAs(t, err, &status)
	assert.Empty(t, elsewhere.requests(), "the redirect was not followed")

	for target, wait := range map[string]time.Duration{"webhook:shop": 30 * time.Second, "webhook:moved": cfg.MinRetry} {
		early, err := s.ClaimOutbox(t.Context(), target, "test", before.Add(wait-time.Millisecond), before.Add(time.Hour), 10)
		require.NoError(t, err)
		assert.Empty(t, early, "%s: not due before %s", target, wait)
		due, err := s.ClaimOutbox(t.Context(), target, "test", time.Now().Add(wait+wait/10+time.Millisecond), before.Add(time.Hour), 10)
		require.NoError(t, err)
		require.Len(t, due, 1, "%s: due after %s", target, wait)
		assert.Equal(t, 1, due[0].Attempts)
	}
}

// retryAfter adds a Retry-After header to h's answers.
func retryAfter(h http.Handler, seconds string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", seconds)
		h.ServeHTTP(w, r)
	})
}

// TestTwoInstances: two Desks on one SQLite file, joined by a broker, each
// with its own Webhooks delivering from the shared outbox: every fact is
// recorded once, by the instance that made it, and every delivery reaches
// the endpoint once, though both instances deliver at the same time.
func TestTwoInstances(t *testing.T) {
	ctx := t.Context()
	rc := newReceiver(t, nil)
	path := filepath.Join(t.TempDir(), "parley.db")
	broker := &chat.LocalBroker{}
	var desks []*chat.Desk
	var hooks []*webhook.Webhooks
	for range 2 {
		s := openStore(t, path)
		w := newWebhooks(t, config(s, rc.URL, webhook.MessageCreated))
		run(t, w)
		hooks = append(hooks, w)
		d, err := chat.NewDesk(chat.Config{Store: s, Broker: broker, Recorder: w})
		require.NoError(t, err)
		t.Cleanup(func() { _ = d.Close(context.Background()) })
		desks = append(desks, d)
	}
	// Each Desk follows the other's events, as the console would.
	for _, d := range desks {
		sub, err := d.Subscribe(ctx, chat.TopicAll)
		require.NoError(t, err)
		t.Cleanup(sub.Close)
	}
	v, err := desks[0].SaveVisitor(ctx, chat.Visitor{})
	require.NoError(t, err)
	conv, err := desks[0].Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	const n = 30
	for i := range n {
		c, err := desks[i%2].Conversation(ctx, conv.ID())
		require.NoError(t, err)
		_, err = c.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: "message " + strconv.Itoa(i)})
		require.NoError(t, err)
	}
	// Nobody is online: the first message also gets the system's
	// acknowledgement of an offline request.
	got := rc.waitAccepted(t, n+1)
	bodies := map[string]int{}
	for _, d := range got {
		bodies[d.Message.Body]++
	}
	for i := range n {
		assert.Equal(t, 1, bodies["message "+strconv.Itoa(i)], "message %d once", i)
	}
	for _, w := range hooks {
		require.NoError(t, w.DeliverDue(ctx))
	}
	assert.Len(t, rc.requests(), n+1, "no delivery was attempted twice")
}
