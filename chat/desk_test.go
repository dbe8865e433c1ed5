package chat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// fixture is a Desk over a fresh memory store.
type fixture struct {
	desk  *chat.Desk
	store chat.Store
}

func setup(t *testing.T, cfg chat.Config) fixture {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = memory.New()
	}
	d, err := chat.NewDesk(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	return fixture{desk: d, store: cfg.Store}
}

func (f fixture) visitor(t *testing.T) chat.Visitor {
	t.Helper()
	v, err := f.desk.SaveVisitor(t.Context(), chat.Visitor{Name: "Anna Kowalska", Locale: "pl"})
	require.NoError(t, err)
	return v
}

func (f fixture) agent(t *testing.T, id string, capacity int, status chat.AgentStatus, departments ...string) {
	t.Helper()
	require.NoError(t, f.desk.SaveAgent(t.Context(), chat.Agent{ID: id, Name: id, Capacity: capacity, Departments: departments}))
	if status != chat.AgentOffline {
		_, err := f.desk.SetAgentStatus(t.Context(), id, status)
		require.NoError(t, err)
	}
}

func (f fixture) start(t *testing.T, req chat.StartRequest) chat.ConversationInfo {
	t.Helper()
	if req.VisitorID == uuid.Nil {
		req.VisitorID = f.visitor(t).ID
	}
	c, err := f.desk.Start(t.Context(), req)
	require.NoError(t, err)
	info, err := c.Info(t.Context())
	require.NoError(t, err)
	return info
}

// next waits for the next event on s.
func next(t *testing.T, s *chat.Subscription) chat.Event {
	t.Helper()
	select {
	case e, ok := <-s.Events():
		require.True(t, ok, "subscription ended: %v", s.Err())
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
		return chat.Event{}
	}
}

func TestNewDeskValidatesConfig(t *testing.T) {
	t.Parallel()
	_, err := chat.NewDesk(chat.Config{})
	require.ErrorIs(t, err, chat.ErrInvalid)
	assert.ErrorContains(t, err, "Config.Store")
	_, err = chat.NewDesk(chat.Config{Store: memory.New(), SubscriptionBuffer: -1})
	require.ErrorIs(t, err, chat.ErrInvalid)
	assert.ErrorContains(t, err, "SubscriptionBuffer")
}

func TestStartWaitsUntilAnAgentComesOnline(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	all, err := f.desk.Subscribe(t.Context(), chat.TopicAll)
	require.NoError(t, err)

	f.agent(t, "olga", 0, chat.AgentOffline)
	c := f.start(t, chat.StartRequest{})
	assert.Equal(t, chat.StatusWaiting, c.Status, "with nobody online, a conversation is an offline request")
	assert.True(t, c.Offline)
	assert.Empty(t, c.AgentID)
	e := next(t, all)
	assert.Equal(t, chat.EventStatus, e.Type)
	assert.Equal(t, chat.StatusWaiting, e.Conversation.Status)

	_, err = f.desk.SetAgentStatus(t.Context(), "olga", chat.AgentOnline)
	require.NoError(t, err)
	e = next(t, all)
	assert.Equal(t, chat.EventPresence, e.Type)
	assert.Equal(t, chat.PresenceOnline, e.Presence)
	e = next(t, all)
	require.Equal(t, chat.EventAssigned, e.Type)
	assert.Equal(t, "olga", e.AgentID)
	assert.Equal(t, c.ID, e.ConversationID)

	got, err := f.store.Conversation(t.Context(), c.ID)
	require.NoError(t, err)
	assert.Equal(t, chat.StatusOpen, got.Status)
	assert.Equal(t, "olga", got.AgentID)
	assert.False(t, got.AssignedAt.IsZero())
}

func TestCapacityIsNeverExceeded(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	f.agent(t, "a1", 2, chat.AgentOnline)
	f.agent(t, "a2", 3, chat.AgentOnline)

	// Many visitors arrive at once: exactly 5 can be served.
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() { f.start(t, chat.StartRequest{}) })
	}
	wg.Wait()
	count := func(agent string, s chat.Status) int {
		cs, err := f.desk.Conversations(t.Context(), chat.ConversationFilter{AgentID: agent, Statuses: []chat.Status{s}})
		require.NoError(t, err)
		return len(cs)
	}
	assert.Equal(t, 2, count("a1", chat.StatusOpen))
	assert.Equal(t, 3, count("a2", chat.StatusOpen))
	assert.Equal(t, 7, count("", chat.StatusQueued))

	// Closing one frees a place for the oldest queued conversation.
	queued, err := f.desk.Conversations(t.Context(), chat.ConversationFilter{Statuses: []chat.Status{chat.StatusQueued}})
	require.NoError(t, err)
	open, err := f.desk.Conversations(t.Context(), chat.ConversationFilter{AgentID: "a1"})
	require.NoError(t, err)
	h, err := f.desk.Conversation(t.Context(), open[0].ID)
	require.NoError(t, err)
	_, err = h.Close(t.Context())
	require.NoError(t, err)
	oldest, err := f.store.Conversation(t.Context(), queued[0].ID)
	require.NoError(t, err)
	assert.Equal(t, "a1", oldest.AgentID)
	assert.Equal(t, 2, count("a1", chat.StatusOpen))
	assert.Equal(t, 6, count("", chat.StatusQueued))
}

func TestDepartmentsDecideWhoIsACandidate(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	f.agent(t, "returns-only", 0, chat.AgentOnline, "returns")
	delivery := f.start(t, chat.StartRequest{Department: "delivery"})
	assert.Equal(t, chat.StatusWaiting, delivery.Status, "nobody online serves delivery")
	returns := f.start(t, chat.StartRequest{Department: "returns"})
	assert.Equal(t, "returns-only", returns.AgentID)
	anything := f.start(t, chat.StartRequest{})
	assert.Equal(t, "returns-only", anything.AgentID)

	f.agent(t, "generalist", 0, chat.AgentOnline)
	got, err := f.store.Conversation(t.Context(), delivery.ID)
	require.NoError(t, err)
	assert.Equal(t, "generalist", got.AgentID, "a generalist coming online takes the waiting delivery question")
}

func TestCustomRouterIsAskedAndChecked(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []chat.RouteRequest
	choice := "b"
	f := setup(t, chat.Config{Router: chat.RouterFunc(func(_ context.Context, req chat.RouteRequest) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, req)
		return choice, nil
	})})
	f.agent(t, "a", 0, chat.AgentOnline)
	f.agent(t, "b", 4, chat.AgentOnline)
	c := f.start(t, chat.StartRequest{Department: "orders"})
	assert.Equal(t, "b", c.AgentID)
	mu.Lock()
	last := seen[len(seen)-1]
	mu.Unlock()
	require.Len(t, last.Candidates, 2)
	assert.Equal(t, "a", last.Candidates[0].Agent.ID, "candidates are ordered by id")
	assert.Equal(t, "orders", last.Conversation.Department)

	// A router that names someone who is not a candidate leaves it queued.
	mu.Lock()
	choice = "nobody"
	mu.Unlock()
	c = f.start(t, chat.StartRequest{})
	assert.Equal(t, chat.StatusQueued, c.Status)
}

// TestPostKeyReused posts messages that repeat an idempotency key: a
// retry gets the original, anything else is refused and stores nothing.
func TestPostKeyReused(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	c := f.start(t, chat.StartRequest{})
	h, err := f.desk.Conversation(t.Context(), c.ID)
	require.NoError(t, err)
	visitor := chat.Author{Kind: chat.AuthorVisitor, ID: c.VisitorID.String(), Name: "Anna"}
	agent := chat.Author{Kind: chat.AuthorAgent, ID: "olga"}
	f.agent(t, "olga", 0, chat.AgentOnline)
	first, err := h.Post(t.Context(), chat.Message{Author: visitor, Body: "Dzień dobry!", IdempotencyKey: "k1"})
	require.NoError(t, err)

	renamed := visitor
	renamed.Name = "Anna Nowak"
	again, err := h.Post(t.Context(), chat.Message{Author: renamed, Body: "Dzień dobry!", IdempotencyKey: "k1"})
	require.NoError(t, err, "a retry, even after the visitor gave their name")
	assert.Equal(t, first, again)

	for name, m := range map[string]chat.Message{
		"another body":   {Author: visitor, Body: "Hello?"},
		"attachments":    {Author: visitor, Body: "Dzień dobry!", Attachments: []chat.Attachment{{Name: "a.png", URL: "https://shop.example.com/a.png"}}},
		"another author": {Author: agent, Body: "Dzień dobry!"},
		"a note":         {Author: agent, Body: "Dzień dobry!", Internal: true},
	} {
		m.IdempotencyKey = "k1"
		_, err := h.Post(t.Context(), m)
		assert.ErrorIs(t, err, chat.ErrKeyReused, name)
	}
	ms, err := h.History(t.Context(), chat.MessageQuery{})
	require.NoError(t, err)
	assert.Equal(t, []chat.Message{first}, ms, "nothing was stored")
}

func TestPost(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	f.agent(t, "olga", 0, chat.AgentOnline)
	c := f.start(t, chat.StartRequest{})
	h, err := f.desk.Conversation(t.Context(), c.ID)
	require.NoError(t, err)
	sub, err := h.Subscribe(t.Context())
	require.NoError(t, err)
	visitor := chat.Author{Kind: chat.AuthorVisitor, ID: c.VisitorID.String(), Name: "Anna"}

	m1, err := h.Post(t.Context(), chat.Message{Author: visitor, Body: "Dzień dobry!", IdempotencyKey: "k1"})
	require.NoError(t, err)
	assert.Equal(t, int64(1), m1.Seq)
	e := next(t, sub)
	require.Equal(t, chat.EventMessage, e.Type)
	assert.Equal(t, m1, *e.Message)
	assert.Equal(t, "olga", e.AgentID)

	again, err := h.Post(t.Context(), chat.Message{Author: visitor, Body: "Dzień dobry!", IdempotencyKey: "k1"})
	require.NoError(t, err)
	assert.Equal(t, m1, again, "a retried post returns the original")

	m2, err := h.Post(t.Context(), chat.Message{Author: chat.Author{Kind: chat.AuthorAgent, ID: "olga"}, Body: "Hello"})
	require.NoError(t, err)
	assert.Equal(t, int64(2), m2.Seq)
	e = next(t, sub)
	assert.Equal(t, m2.ID, e.Message.ID, "the retry published nothing")

	_, err = h.Post(t.Context(), chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: uuid.NewString()}, Body: "hi"})
	assert.ErrorIs(t, err, chat.ErrInvalid, "another visitor cannot post here")
	_, err = h.Post(t.Context(), chat.Message{Author: visitor, Body: "   "})
	assert.ErrorIs(t, err, chat.ErrInvalid)

	_, err = h.Close(t.Context())
	require.NoError(t, err)
	_, err = h.Post(t.Context(), chat.Message{Author: visitor, Body: "still there?"})
	assert.ErrorIs(t, err, chat.ErrClosed)

	yes := true
	rated, err := h.Rate(t.Context(), 5, &yes)
	require.NoError(t, err)
	assert.Equal(t, 5, rated.Rating)
	require.NotNil(t, rated.Resolved)
	assert.True(t, *rated.Resolved)
	_, err = h.Rate(t.Context(), 6, nil)
	assert.ErrorIs(t, err, chat.ErrInvalid)

	history, err := h.History(t.Context(), chat.MessageQuery{})
	require.NoError(t, err)
	assert.Equal(t, []chat.Message{m1, m2}, history)
}

func TestStartWithAnIDIsSafeToRetry(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	v := f.visitor(t)
	id := uuid.New()
	first, err := f.desk.Start(t.Context(), chat.StartRequest{ID: id, VisitorID: v.ID})
	require.NoError(t, err)
	second, err := f.desk.Start(t.Context(), chat.StartRequest{ID: id, VisitorID: v.ID})
	require.NoError(t, err)
	assert.Equal(t, first.ID(), second.ID())
	all, err := f.desk.Conversations(t.Context(), chat.ConversationFilter{VisitorID: v.ID})
	require.NoError(t, err)
	assert.Len(t, all, 1)

	other := f.visitor(t)
	_, err = f.desk.Start(t.Context(), chat.StartRequest{ID: id, VisitorID: other.ID})
	assert.ErrorIs(t, err, chat.ErrConflict, "another visitor cannot take over the id")

	_, err = f.desk.Start(t.Context(), chat.StartRequest{VisitorID: uuid.New()})
	assert.ErrorIs(t, err, chat.ErrNotFound)
}

func TestProactiveStartAssignsTheAgent(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	f.agent(t, "olga", 1, chat.AgentOnline)
	f.agent(t, "piotr", 1, chat.AgentAway)
	c := f.start(t, chat.StartRequest{AgentID: "piotr"})
	assert.Equal(t, "piotr", c.AgentID)
	assert.Equal(t, chat.StatusOpen, c.Status)
	_, err := f.desk.Start(t.Context(), chat.StartRequest{VisitorID: f.visitor(t).ID, AgentID: "ghost"})
	assert.ErrorIs(t, err, chat.ErrNotFound)
}

func TestTransferTellsBothAgents(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	f.agent(t, "olga", 1, chat.AgentOnline)
	f.agent(t, "piotr", 0, chat.AgentAway)
	c := f.start(t, chat.StartRequest{})
	waiting := f.start(t, chat.StartRequest{})
	require.Equal(t, chat.StatusQueued, waiting.Status)

	olga, err := f.desk.Subscribe(t.Context(), chat.AgentTopic("olga"))
	require.NoError(t, err)
	piotr, err := f.desk.Subscribe(t.Context(), chat.AgentTopic("piotr"))
	require.NoError(t, err)
	h, err := f.desk.Conversation(t.Context(), c.ID)
	require.NoError(t, err)
	moved, err := h.Assign(t.Context(), "piotr")
	require.NoError(t, err)
	assert.Equal(t, "piotr", moved.AgentID)
	for _, s := range []*chat.Subscription{olga, piotr} {
		e := next(t, s)
		assert.Equal(t, chat.EventAssigned, e.Type)
		assert.Equal(t, "olga", e.PreviousAgentID)
		assert.Equal(t, c.ID, e.ConversationID)
	}
	// Olga has room again and gets the waiting conversation.
	e := next(t, olga)
	assert.Equal(t, waiting.ID, e.ConversationID)
}

func TestSubscriptions(t *testing.T) {
	t.Parallel()

	t.Run("slow consumer is cut off without blocking the publisher", func(t *testing.T) {
		t.Parallel()
		f := setup(t, chat.Config{SubscriptionBuffer: 2})
		c := f.start(t, chat.StartRequest{})
		slow, err := f.desk.Subscribe(t.Context(), chat.ConversationTopic(c.ID))
		require.NoError(t, err)
		fast, err := f.desk.Subscribe(t.Context(), chat.ConversationTopic(c.ID))
		require.NoError(t, err)
		author := chat.Author{Kind: chat.AuthorVisitor, ID: c.VisitorID.String()}
		for i := range 5 {
			require.NoError(t, f.desk.Typing(t.Context(), c.ID, author, i%2 == 0))
			next(t, fast)
		}
		n := 0
		for range slow.Events() {
			n++
		}
		assert.Equal(t, 2, n, "the buffered events are still delivered")
		assert.ErrorIs(t, slow.Err(), chat.ErrSlowConsumer)
		assert.NoError(t, fast.Err())
	})

	t.Run("Ready and Next keep the same bound", func(t *testing.T) {
		t.Parallel()
		f := setup(t, chat.Config{})
		c := f.start(t, chat.StartRequest{})
		slow, err := f.desk.SubscribeBuffer(t.Context(), chat.ConversationTopic(c.ID), 3)
		require.NoError(t, err)
		reader, err := f.desk.SubscribeBuffer(t.Context(), chat.ConversationTopic(c.ID), 3)
		require.NoError(t, err)
		author := chat.Author{Kind: chat.AuthorVisitor, ID: c.VisitorID.String()}
		for i := range 6 {
			require.NoError(t, f.desk.Typing(t.Context(), c.ID, author, i%2 == 0))
			select {
			case <-reader.Ready():
			case <-time.After(5 * time.Second):
				t.Fatal("no event is ready")
			}
			e, ok := reader.Next()
			require.True(t, ok, "Ready means an event is queued")
			assert.Equal(t, i%2 == 0, e.Typing, "events come in order")
			_, ok = reader.Next()
			assert.False(t, ok, "one event at a time was published")
			if i < 3 {
				select {
				case <-slow.Done():
					t.Fatalf("cut off with %d events waiting; it may hold 3", i+1)
				default:
				}
			}
		}
		select {
		case <-slow.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("a subscriber 3 events behind the fourth is not cut off")
		}
		assert.ErrorIs(t, slow.Err(), chat.ErrSlowConsumer)
		var typing []bool
		for e, ok := slow.Next(); ok; e, ok = slow.Next() {
			typing = append(typing, e.Typing)
		}
		assert.Equal(t, []bool{true, false, true}, typing, "the queued events are still delivered")
		assert.NoError(t, reader.Err())
		select {
		case <-reader.Done():
			t.Fatal("a subscriber that reads is never cut off")
		default:
		}
	})

	t.Run("context ends it", func(t *testing.T) {
		t.Parallel()
		f := setup(t, chat.Config{})
		ctx, cancel := context.WithCancel(t.Context())
		s, err := f.desk.Subscribe(ctx, chat.TopicAll)
		require.NoError(t, err)
		cancel()
		_, open := <-s.Events()
		assert.False(t, open)
		assert.ErrorIs(t, s.Err(), context.Canceled)
	})

	t.Run("close is quiet and repeatable", func(t *testing.T) {
		t.Parallel()
		f := setup(t, chat.Config{})
		s, err := f.desk.Subscribe(t.Context(), chat.TopicAll)
		require.NoError(t, err)
		s.Close()
		s.Close()
		_, open := <-s.Events()
		assert.False(t, open)
		assert.NoError(t, s.Err())
	})

	t.Run("desk close ends them all", func(t *testing.T) {
		t.Parallel()
		f := setup(t, chat.Config{})
		s, err := f.desk.Subscribe(t.Context(), chat.TopicAll)
		require.NoError(t, err)
		require.NoError(t, f.desk.Close(context.Background()))
		_, open := <-s.Events()
		assert.False(t, open)
		assert.ErrorIs(t, s.Err(), chat.ErrClosed)
		_, err = f.desk.Subscribe(t.Context(), chat.TopicAll)
		assert.ErrorIs(t, err, chat.ErrClosed)
		_, err = f.desk.SaveVisitor(t.Context(), chat.Visitor{})
		assert.ErrorIs(t, err, chat.ErrClosed)
	})
}

func TestDesksSharingABrokerSeeEachOthersEvents(t *testing.T) {
	t.Parallel()
	store := memory.New()
	broker := &chat.LocalBroker{}
	a := setup(t, chat.Config{Store: store, Broker: broker})
	b := setup(t, chat.Config{Store: store, Broker: broker})
	sub, err := b.desk.Subscribe(t.Context(), chat.TopicAll)
	require.NoError(t, err)
	c := a.start(t, chat.StartRequest{})
	e := next(t, sub)
	assert.Equal(t, c.ID, e.ConversationID)
}

func TestEventsEncodeToJSON(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	c := f.start(t, chat.StartRequest{})
	sub, err := f.desk.Subscribe(t.Context(), chat.VisitorTopic(c.VisitorID))
	require.NoError(t, err)
	h, err := f.desk.Conversation(t.Context(), c.ID)
	require.NoError(t, err)
	_, err = h.Post(t.Context(), chat.Message{Author: chat.Author{Kind: chat.AuthorBot, Name: "Shop"}, Body: "Заказ отправлен 📦"})
	require.NoError(t, err)
	e := next(t, sub)
	raw, err := json.Marshal(e)
	require.NoError(t, err)
	var back chat.Event
	require.NoError(t, json.Unmarshal(raw, &back))
	assert.Equal(t, e, back)
}

func TestSignalsValidateInput(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	c := f.start(t, chat.StartRequest{})
	visitor := chat.Author{Kind: chat.AuthorVisitor, ID: c.VisitorID.String()}
	assert.ErrorIs(t, f.desk.Typing(t.Context(), uuid.New(), visitor, true), chat.ErrNotFound)
	assert.ErrorIs(t, f.desk.Typing(t.Context(), c.ID, chat.Author{Kind: "ghost"}, true), chat.ErrInvalid)
	assert.ErrorIs(t, f.desk.MarkRead(t.Context(), c.ID, visitor, -1), chat.ErrInvalid)
	assert.ErrorIs(t, f.desk.SetVisitorPresence(t.Context(), c.VisitorID, "busy"), chat.ErrInvalid)
	_, err := f.desk.SetAgentStatus(t.Context(), "nobody", chat.AgentOnline)
	assert.ErrorIs(t, err, chat.ErrNotFound)
	_, err = f.desk.SetAgentStatus(t.Context(), "nobody", "busy")
	assert.ErrorIs(t, err, chat.ErrInvalid)
}

func TestSaveVisitorKeepsCreatedAt(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 29, 0, 30, 0, 123456789, time.FixedZone("CET", 3600))
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f := setup(t, chat.Config{Now: clock})
	v, err := f.desk.SaveVisitor(t.Context(), chat.Visitor{})
	require.NoError(t, err)
	assert.Equal(t, chat.Timestamp(now), v.CreatedAt)
	assert.Equal(t, time.UTC, v.CreatedAt.Location())

	mu.Lock()
	later := now.Add(time.Hour)
	now = later
	mu.Unlock()
	v2, err := f.desk.SaveVisitor(t.Context(), chat.Visitor{ID: v.ID, Name: "Matti Virtanen", CustomerID: "c-17"})
	require.NoError(t, err)
	assert.Equal(t, v.CreatedAt, v2.CreatedAt)
	assert.Equal(t, chat.Timestamp(later), v2.LastSeenAt)
	got, err := f.desk.Visitor(t.Context(), v.ID)
	require.NoError(t, err)
	assert.Equal(t, v2, got)
}

func TestValidateLimits(t *testing.T) {
	t.Parallel()
	base := chat.Message{
		ID:             uuid.New(),
		ConversationID: uuid.New(),
		Author:         chat.Author{Kind: chat.AuthorAgent, ID: "olga"},
		Body:           "ok",
		CreatedAt:      time.Now(),
	}
	long := make([]byte, chat.MaxBodyBytes)
	for i := range long {
		long[i] = 'x'
	}
	cases := map[string]struct {
		edit func(*chat.Message)
		ok   bool
	}{
		"valid":               {func(*chat.Message) {}, true},
		"body at the limit":   {func(m *chat.Message) { m.Body = string(long) }, true},
		"body over the limit": {func(m *chat.Message) { m.Body = string(long) + "x" }, false},
		"empty body":          {func(m *chat.Message) { m.Body = "" }, false},
		"blank body":          {func(m *chat.Message) { m.Body = " \n\t" }, false},
		"attachment only": {func(m *chat.Message) {
			m.Body = ""
			m.Attachments = []chat.Attachment{{Name: "a.png", URL: "https://shop/a.png"}}
		}, true},
		"invalid UTF-8":      {func(m *chat.Message) { m.Body = "a\xffb" }, false},
		"NUL byte":           {func(m *chat.Message) { m.Body = "a\x00b" }, false},
		"nil id":             {func(m *chat.Message) { m.ID = uuid.Nil }, false},
		"nil conversation":   {func(m *chat.Message) { m.ConversationID = uuid.Nil }, false},
		"unknown author":     {func(m *chat.Message) { m.Author.Kind = "robot" }, false},
		"agent without id":   {func(m *chat.Message) { m.Author.ID = "" }, false},
		"system without id":  {func(m *chat.Message) { m.Author = chat.Author{Kind: chat.AuthorSystem} }, true},
		"no time":            {func(m *chat.Message) { m.CreatedAt = time.Time{} }, false},
		"key over the limit": {func(m *chat.Message) { m.IdempotencyKey = string(long[:chat.MaxIDBytes+1]) }, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m := base
			tc.edit(&m)
			err := m.Validate()
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, chat.ErrInvalid)
			}
		})
	}
	_, err := chat.ParseID("not-a-uuid")
	assert.ErrorIs(t, err, chat.ErrInvalid)
	_, err = chat.ParseID(uuid.Nil.String())
	assert.ErrorIs(t, err, chat.ErrInvalid)
	id := uuid.New()
	got, err := chat.ParseID(id.String())
	require.NoError(t, err)
	assert.Equal(t, id, got)
}

func TestStoreErrorsReachTheCaller(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	_, err := f.desk.Conversation(t.Context(), uuid.New())
	assert.True(t, errors.Is(err, chat.ErrNotFound), fmt.Sprint(err))
}

func TestOfflineAgentsConversationsAreRequeued(t *testing.T) {
	f := setup(t, chat.Config{})
	f.agent(t, "olga", 0, chat.AgentOnline)
	first := f.start(t, chat.StartRequest{})
	second := f.start(t, chat.StartRequest{})
	require.Equal(t, "olga", first.AgentID)
	require.Equal(t, "olga", second.AgentID)
	events, err := f.desk.Subscribe(t.Context(), chat.ConversationTopic(first.ID))
	require.NoError(t, err)

	_, err = f.desk.SetAgentStatus(t.Context(), "olga", chat.AgentOffline)
	require.NoError(t, err)
	for _, c := range []chat.ConversationInfo{first, second} {
		got, err := f.store.Conversation(t.Context(), c.ID)
		require.NoError(t, err)
		assert.Equal(t, chat.StatusQueued, got.Status, "an offline agent's conversation goes back to the queue")
		assert.Empty(t, got.AgentID)
	}
	e := next(t, events)
	assert.Equal(t, chat.EventPresence, e.Type, "the visitor is told the agent went offline")
	assert.Equal(t, chat.PresenceOffline, e.Presence)
	e = next(t, events)
	require.Equal(t, chat.EventStatus, e.Type)
	assert.Equal(t, chat.StatusQueued, e.Conversation.Status)
	assert.Equal(t, "olga", e.PreviousAgentID, "the event says whom the conversation left")

	f.agent(t, "marek", 1, chat.AgentOnline)
	got, err := f.store.Conversation(t.Context(), first.ID)
	require.NoError(t, err)
	assert.Equal(t, "marek", got.AgentID, "the oldest requeued conversation goes to the next agent online")
	got, err = f.store.Conversation(t.Context(), second.ID)
	require.NoError(t, err)
	assert.Equal(t, chat.StatusQueued, got.Status, "capacity still holds")
}
