package chat_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/hours"
)

// clock is a settable time source for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// outbox is a Notifier that keeps what it is given. The notify package
// tests the SMTP side against a real server; here the Desk's decisions of
// what to send, and when, are under test.
type outbox struct {
	mu      sync.Mutex
	notices []chat.Notice
}

func (o *outbox) Notify(_ context.Context, n chat.Notice) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.notices = append(o.notices, n)
	return nil
}

func (o *outbox) all() []chat.Notice {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.notices)
}

// waitFor returns the notices once there are n of them, failing the test
// after a deadline.
func (o *outbox) waitFor(t *testing.T, n int) []chat.Notice {
	t.Helper()
	require.Eventually(t, func() bool { return len(o.all()) >= n }, 5*time.Second, time.Millisecond, "waiting for %d notices", n)
	return o.all()
}

var warsaw = mustLocation("Europe/Warsaw")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// weekdays are the opening hours most tests use: 09:00-17:00, Monday to
// Friday, in Warsaw.
func weekdays(t *testing.T) hours.Hours {
	t.Helper()
	s, err := hours.New(warsaw, "Mon-Fri 09:00-17:00")
	require.NoError(t, err)
	return hours.Hours{Default: s}
}

func (f fixture) post(t *testing.T, id chat.ConversationInfo, a chat.Author, body string) chat.Message {
	t.Helper()
	c, err := f.desk.Conversation(t.Context(), id.ID)
	require.NoError(t, err)
	m, err := c.Post(t.Context(), chat.Message{Author: a, Body: body})
	require.NoError(t, err)
	return m
}

func (f fixture) info(t *testing.T, id chat.ConversationInfo) chat.ConversationInfo {
	t.Helper()
	c, err := f.store.Conversation(t.Context(), id.ID)
	require.NoError(t, err)
	return c
}

func (f fixture) transcript(t *testing.T, c chat.ConversationInfo) []chat.Message {
	t.Helper()
	ms, err := f.store.Messages(t.Context(), c.ID, chat.MessageQuery{Limit: chat.MaxPageSize})
	require.NoError(t, err)
	return ms
}

func visitorAuthor(c chat.ConversationInfo) chat.Author {
	return chat.Author{Kind: chat.AuthorVisitor, ID: c.VisitorID.String()}
}

func TestOfflineRequestIsAcknowledgedOnce(t *testing.T) {
	t.Parallel()
	// Friday 27 November 2026, 16:30 in Warsaw: open, but nobody online.
	clk := &clock{t: time.Date(2026, 11, 27, 16, 30, 0, 0, warsaw)}
	box := &outbox{}
	f := setup(t, chat.Config{Now: clk.Now, Hours: weekdays(t), Notifier: box, ShopName: "Sklep Ania", Location: warsaw})
	f.agent(t, "olga", 0, chat.AgentOffline)
	v, err := f.desk.SaveVisitor(t.Context(), chat.Visitor{Name: "Anna", Email: "anna@example.pl", Locale: "pl-PL"})
	require.NoError(t, err)
	require.NoError(t, f.desk.ProveEmail(t.Context(), v.ID, v.Email), "the shop vouches for her address")
	c := f.start(t, chat.StartRequest{VisitorID: v.ID})
	require.Equal(t, chat.StatusWaiting, c.Status)

	// The visitor sends several messages, some at once.
	var wg sync.WaitGroup
	for _, body := range []string{"Czy macie rozmiar 42?", "W kolorze czarnym.", "Dziękuję!"} {
		wg.Go(func() { f.post(t, c, visitorAuthor(c), body) })
	}
	wg.Wait()

	var acks []chat.Message
	for _, m := range f.transcript(t, c) {
		if m.Author.Kind == chat.AuthorSystem {
			acks = append(acks, m)
		}
	}
	require.Len(t, acks, 1, "one acknowledgement however many messages arrive")
	// Four hours of opening time from Friday 16:30: half an hour on
	// Friday, three and a half from Monday 09:00.
	assert.Contains(t, acks[0].Body, "30.11.2026, 12:30 CET", "the acknowledgement says when to expect an answer")
	assert.Contains(t, acks[0].Body, "Dziękujemy", "in the visitor's language")
	assert.Contains(t, acks[0].Body, "anna@example.pl", "and that the answer also goes by email")

	sent := box.waitFor(t, 1)
	require.Len(t, sent, 1)
	n := sent[0]
	assert.Equal(t, chat.NoticeOfflineReceived, n.Kind)
	assert.Equal(t, "anna@example.pl", n.To.Email)
	assert.Equal(t, "Sklep Ania", n.ShopName)
	assert.True(t, n.ExpectedReply.Equal(time.Date(2026, 11, 30, 12, 30, 0, 0, warsaw)), "expected reply %s", n.ExpectedReply)
	require.Len(t, n.Messages, 1)
	assert.Equal(t, chat.AuthorVisitor, n.Messages[0].Author.Kind, "the email quotes the request")

	// On Monday an agent comes online and gets the request; it is no
	// longer waiting, and messages are not acknowledged again.
	clk.Set(time.Date(2026, 11, 30, 9, 0, 0, 0, warsaw))
	_, err = f.desk.SetAgentStatus(t.Context(), "olga", chat.AgentOnline)
	require.NoError(t, err)
	got := f.info(t, c)
	assert.Equal(t, chat.StatusOpen, got.Status)
	assert.Equal(t, "olga", got.AgentID)
	assert.True(t, got.Offline, "it stays counted as an offline request")
	f.post(t, c, visitorAuthor(c), "Jestem!")
	assert.Len(t, box.all(), 1)
}

func TestOutsideHoursIsOfflineEvenWithAgentsOnline(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 11, 28, 11, 0, 0, 0, warsaw)} // Saturday
	f := setup(t, chat.Config{Now: clk.Now, Hours: weekdays(t), Location: warsaw})
	f.agent(t, "olga", 0, chat.AgentOnline)
	c := f.start(t, chat.StartRequest{})
	assert.Equal(t, chat.StatusWaiting, c.Status, "the shop is closed on Saturday")
	m := f.post(t, c, visitorAuthor(c), "Hello?")
	acks := f.transcript(t, c)[m.Seq:]
	require.Len(t, acks, 1)
	assert.Contains(t, acks[0].Body, "30.11.2026, 13:00 CET", "Monday 09:00 plus four hours")

	// Sweeping while closed leaves it waiting; the first sweep after
	// opening gives it to the agent.
	require.NoError(t, f.desk.Sweep(t.Context()))
	assert.Equal(t, chat.StatusWaiting, f.info(t, c).Status)
	clk.Set(time.Date(2026, 11, 30, 9, 0, 0, 0, warsaw))
	require.NoError(t, f.desk.Sweep(t.Context()))
	assert.Equal(t, "olga", f.info(t, c).AgentID)
}

// TestTheQueueComesBeforeWaitingRequests has one place free for a live
// shopper in the queue and an offline request: the shopper, who is on the
// site now, gets it; the request waits, as its visitor was told.
func TestTheQueueComesBeforeWaitingRequests(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	f.agent(t, "olga", 1, chat.AgentOnline)
	first := f.start(t, chat.StartRequest{})
	require.Equal(t, "olga", first.AgentID)
	// Olga goes offline: her conversation goes back to the queue. Then a
	// visitor arrives while nobody is online: an offline request.
	_, err := f.desk.SetAgentStatus(t.Context(), "olga", chat.AgentOffline)
	require.NoError(t, err)
	require.Equal(t, chat.StatusQueued, f.info(t, first).Status)
	request := f.start(t, chat.StartRequest{})
	require.Equal(t, chat.StatusWaiting, request.Status)

	_, err = f.desk.SetAgentStatus(t.Context(), "olga", chat.AgentOnline)
	require.NoError(t, err)
	assert.Equal(t, "olga", f.info(t, first).AgentID, "the live shopper is offered the place first")
	assert.Equal(t, chat.StatusWaiting, f.info(t, request).Status, "the offline request waits for room")

	// Once olga is free, the request is hers.
	h, err := f.desk.Conversation(t.Context(), first.ID)
	require.NoError(t, err)
	_, err = h.Close(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "olga", f.info(t, request).AgentID, "the request gets the room a closed chat frees")
}

func TestQueuePositionsAndWaits(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	f := setup(t, chat.Config{Now: clk.Now, QueueWait: 3 * time.Minute})
	f.agent(t, "olga", 1, chat.AgentOnline)
	busy := f.start(t, chat.StartRequest{})
	var queued []chat.ConversationInfo
	var subs []*chat.Subscription
	for range 3 {
		v := f.visitor(t)
		sub, err := f.desk.Subscribe(t.Context(), chat.VisitorTopic(v.ID))
		require.NoError(t, err)
		subs = append(subs, sub)
		queued = append(queued, f.start(t, chat.StartRequest{VisitorID: v.ID}))
	}
	nextQueue := func(s *chat.Subscription) chat.QueueStatus {
		t.Helper()
		for {
			e := next(t, s)
			if e.Type == chat.EventQueue {
				return *e.Queue
			}
		}
	}
	for i, s := range subs {
		assert.Equal(t, chat.QueueStatus{Position: i + 1, Wait: time.Duration(i+1) * 3 * time.Minute}, nextQueue(s),
			"visitor %d learns their place; the wait is the default per place until the queue moves", i)
	}

	// The queue moves: a minute later Olga finishes; then again two
	// minutes after that.
	clk.Advance(time.Minute)
	closeIt := func(c chat.ConversationInfo) {
		h, err := f.desk.Conversation(t.Context(), c.ID)
		require.NoError(t, err)
		_, err = h.Close(t.Context())
		require.NoError(t, err)
	}
	closeIt(busy)
	assert.Equal(t, "olga", f.info(t, queued[0]).AgentID, "the oldest in the queue is next")
	assert.Equal(t, chat.QueueStatus{Position: 1, Wait: 3 * time.Minute}, nextQueue(subs[1]))
	assert.Equal(t, chat.QueueStatus{Position: 2, Wait: 6 * time.Minute}, nextQueue(subs[2]))
	clk.Advance(2 * time.Minute)
	closeIt(queued[0])
	// Two departures, two minutes apart, and none since: a place takes a
	// minute.
	assert.Equal(t, chat.QueueStatus{Position: 1, Wait: time.Minute}, nextQueue(subs[2]))
	entries, err := f.desk.Queue(t.Context())
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, queued[2].ID, entries[0].Conversation.ID)
	// Time passing without departures makes the estimate grow.
	clk.Advance(4 * time.Minute)
	entries, err = f.desk.Queue(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 3*time.Minute, entries[0].Wait, "six minutes since the first of two departures: three per place")
}

func TestPickingRespectsCapacity(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	f.agent(t, "olga", 1, chat.AgentOnline)
	f.agent(t, "piotr", 1, chat.AgentOnline)
	a := f.start(t, chat.StartRequest{})
	b := f.start(t, chat.StartRequest{})
	c := f.start(t, chat.StartRequest{})
	require.Equal(t, chat.StatusQueued, c.Status)
	h, err := f.desk.Conversation(t.Context(), c.ID)
	require.NoError(t, err)
	_, err = h.Assign(t.Context(), a.AgentID)
	require.ErrorIs(t, err, chat.ErrAgentBusy, "an agent at capacity cannot pick another")
	assert.Equal(t, chat.StatusQueued, f.info(t, c).Status)

	// A second conversation of the same agent is no pick at all.
	h2, err := f.desk.Conversation(t.Context(), a.ID)
	require.NoError(t, err)
	_, err = h2.Assign(t.Context(), a.AgentID)
	require.NoError(t, err, "assigning an agent's own conversation to them again changes nothing")
	_ = b
}

func TestTransfer(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	f.agent(t, "olga", 2, chat.AgentOnline)
	f.agent(t, "piotr", 2, chat.AgentOnline, "returns")
	f.agent(t, "marta", 2, chat.AgentOffline)
	all, err := f.desk.Subscribe(t.Context(), chat.TopicAll)
	require.NoError(t, err)
	c := f.start(t, chat.StartRequest{})
	require.Equal(t, "olga", c.AgentID)
	h, err := f.desk.Conversation(t.Context(), c.ID)
	require.NoError(t, err)
	olga := chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Olga"}

	_, err = h.Transfer(t.Context(), chat.Transfer{By: olga})
	require.ErrorIs(t, err, chat.ErrInvalid, "a transfer needs a target")
	_, err = h.Transfer(t.Context(), chat.Transfer{AgentID: "marta", By: olga})
	require.ErrorIs(t, err, chat.ErrAgentBusy, "an offline agent cannot take a transfer")
	_, err = h.Transfer(t.Context(), chat.Transfer{AgentID: "nobody", By: olga})
	require.ErrorIs(t, err, chat.ErrNotFound)

	got, err := h.Transfer(t.Context(), chat.Transfer{Department: "returns", By: olga})
	require.NoError(t, err)
	assert.Equal(t, "piotr", got.AgentID, "the returns department's agent gets it")
	assert.Equal(t, "returns", got.Department)
	ms := f.transcript(t, c)
	require.NotEmpty(t, ms)
	last := ms[len(ms)-1]
	assert.Equal(t, chat.AuthorSystem, last.Author.Kind)
	assert.Equal(t, "Olga: Rozmowa przekazana do działu: returns.", last.Body, "in the visitor's language")
	for {
		e := next(t, all)
		if e.Type == chat.EventAssigned && e.ConversationID == c.ID && e.AgentID == "piotr" {
			break
		}
	}

	piotr := chat.Author{Kind: chat.AuthorAgent, ID: "piotr", Name: "Piotr"}
	got, err = h.Transfer(t.Context(), chat.Transfer{AgentID: "olga", By: piotr})
	require.NoError(t, err)
	assert.Equal(t, "olga", got.AgentID)
	assert.Equal(t, chat.StatusOpen, got.Status)
	ms = f.transcript(t, c)
	assert.Equal(t, "Piotr: Rozmowa przekazana do: olga.", ms[len(ms)-1].Body)
	for {
		e := next(t, all)
		if e.Type == chat.EventAssigned && e.ConversationID == c.ID && e.AgentID == "olga" {
			assert.Equal(t, "piotr", e.PreviousAgentID, "the agent it left is told")
			break
		}
	}

	_, err = h.Close(t.Context())
	require.NoError(t, err)
	_, err = h.Transfer(t.Context(), chat.Transfer{AgentID: "piotr", By: olga})
	require.ErrorIs(t, err, chat.ErrClosed)
}

func TestSweepClosesInactiveConversations(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	f := setup(t, chat.Config{Now: clk.Now, InactivityTimeout: 20 * time.Minute})
	f.agent(t, "olga", 1, chat.AgentOnline)
	idle := f.start(t, chat.StartRequest{})
	queued := f.start(t, chat.StartRequest{})
	require.Equal(t, chat.StatusQueued, queued.Status)
	clk.Advance(21 * time.Minute)
	require.NoError(t, f.desk.Sweep(t.Context()))

	got := f.info(t, idle)
	assert.Equal(t, chat.StatusClosed, got.Status, "21 minutes without activity")
	ms := f.transcript(t, idle)
	require.NotEmpty(t, ms)
	assert.Equal(t, "Rozmowa zamknięta. Czas bez aktywności: 20 minut.", ms[len(ms)-1].Body, "in the visitor's language")
	// The queued one is closed too (its visitor is long gone) rather than
	// handed to Olga when the idle one freed her.
	assert.Equal(t, chat.StatusClosed, f.info(t, queued).Status)

	active := f.start(t, chat.StartRequest{})
	require.Equal(t, "olga", active.AgentID)
	clk.Advance(15 * time.Minute)
	f.post(t, active, visitorAuthor(active), "Still there?")
	clk.Advance(6 * time.Minute)
	require.NoError(t, f.desk.Sweep(t.Context()))
	assert.Equal(t, chat.StatusOpen, f.info(t, active).Status, "a message six minutes ago keeps it open")
}

func TestSweepNeverClosesOfflineRequests(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	f := setup(t, chat.Config{Now: clk.Now, InactivityTimeout: time.Minute})
	c := f.start(t, chat.StartRequest{})
	require.Equal(t, chat.StatusWaiting, c.Status)
	clk.Advance(24 * time.Hour)
	require.NoError(t, f.desk.Sweep(t.Context()))
	assert.Equal(t, chat.StatusWaiting, f.info(t, c).Status)
}

func TestRepliesAreEmailedToVisitorsWhoLeft(t *testing.T) {
	t.Parallel()
	box := &outbox{}
	f := setup(t, chat.Config{Notifier: box, ReplyNoticeDelay: 30 * time.Millisecond})
	f.agent(t, "olga", 0, chat.AgentOnline)
	v, err := f.desk.SaveVisitor(t.Context(), chat.Visitor{Name: "Aino", Email: "aino@example.fi", Locale: "fi"})
	require.NoError(t, err)
	require.NoError(t, f.desk.SetVisitorPresence(t.Context(), v.ID, chat.PresenceOnline))
	c := f.start(t, chat.StartRequest{VisitorID: v.ID})
	olga := chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Olga"}
	f.post(t, c, visitorAuthor(c), "Onko tätä varastossa?")
	f.post(t, c, olga, "Hetki, tarkistan.") // the visitor is here: no email

	require.NoError(t, f.desk.SetVisitorPresence(t.Context(), v.ID, chat.PresenceOffline))
	note, err := f.desk.Conversation(t.Context(), c.ID)
	require.NoError(t, err)
	_, err = note.Post(t.Context(), chat.Message{Author: olga, Body: "she left", Internal: true})
	require.NoError(t, err)
	f.post(t, c, olga, "On, 3 kpl.")
	f.post(t, c, olga, "Toimitus 2 päivässä.")

	sent := box.waitFor(t, 1)
	require.Len(t, sent, 1, "the replies made while she was gone go in one email")
	assert.Equal(t, chat.NoticeReply, sent[0].Kind)
	var bodies []string
	for _, m := range sent[0].Messages {
		bodies = append(bodies, m.Body)
	}
	assert.Equal(t, []string{"On, 3 kpl.", "Toimitus 2 päivässä."}, bodies, "only the unseen replies, no notes")

	// Coming back before the delay passes cancels the email.
	f.post(t, c, olga, "Kiitos!")
	require.NoError(t, f.desk.SetVisitorPresence(t.Context(), v.ID, chat.PresenceOnline))
	f.post(t, c, olga, "Hei taas!")
	require.NoError(t, f.desk.SetVisitorPresence(t.Context(), v.ID, chat.PresenceOffline))
	f.post(t, c, olga, "Last one.")
	sent = box.waitFor(t, 2)
	require.Len(t, sent, 2)
	bodies = nil
	for _, m := range sent[1].Messages {
		bodies = append(bodies, m.Body)
	}
	assert.NotContains(t, bodies, "Hei taas!")
	assert.Contains(t, bodies, "Last one.")
}

func TestSendTranscript(t *testing.T) {
	t.Parallel()
	box := &outbox{}
	f := setup(t, chat.Config{Notifier: box, ShopName: "Kauppa"})
	f.agent(t, "olga", 0, chat.AgentOnline)
	c := f.start(t, chat.StartRequest{})
	f.post(t, c, visitorAuthor(c), "Привет")
	h, err := f.desk.Conversation(t.Context(), c.ID)
	require.NoError(t, err)
	_, err = h.Post(t.Context(), chat.Message{Author: chat.Author{Kind: chat.AuthorAgent, ID: "olga"}, Body: "private", Internal: true})
	require.NoError(t, err)
	f.post(t, c, chat.Author{Kind: chat.AuthorAgent, ID: "olga"}, "Здравствуйте!")

	err = f.desk.SendTranscript(t.Context(), c.ID, "")
	require.ErrorIs(t, err, chat.ErrInvalid, "no address known yet")
	err = f.desk.SendTranscript(t.Context(), c.ID, "not an address")
	require.ErrorIs(t, err, chat.ErrInvalid)
	require.NoError(t, f.desk.ProveEmail(t.Context(), c.VisitorID, "Ivan@Example.ru"), "the shop vouches for his address")
	require.NoError(t, f.desk.SendTranscript(t.Context(), c.ID, " ivan@example.ru "))
	sent := box.all()
	require.Len(t, sent, 1)
	assert.Equal(t, chat.NoticeTranscript, sent[0].Kind)
	assert.Equal(t, "Kauppa", sent[0].ShopName)
	var bodies []string
	for _, m := range sent[0].Messages {
		bodies = append(bodies, m.Body)
	}
	assert.Equal(t, []string{"Привет", "Здравствуйте!"}, bodies, "the transcript leaves internal notes out")
	v, err := f.desk.Visitor(t.Context(), c.VisitorID)
	require.NoError(t, err)
	assert.Equal(t, "ivan@example.ru", v.Email, "the address is kept for next time")
}

func TestMetricsTimesAreRecorded(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	f := setup(t, chat.Config{Now: clk.Now})
	f.agent(t, "olga", 1, chat.AgentOnline)
	busy := f.start(t, chat.StartRequest{})
	c := f.start(t, chat.StartRequest{})
	clk.Advance(10 * time.Second)
	version := f.info(t, c).Version
	f.post(t, c, visitorAuthor(c), "Hi")
	f.post(t, c, visitorAuthor(c), "Anyone?")
	// A visitor's message writes nothing but the message: a conversation
	// update beside the message commits would hold them up.
	assert.Equal(t, version, f.info(t, c).Version, "a visitor's messages leave the conversation's Version alone")
	clk.Advance(50 * time.Second)
	h, err := f.desk.Conversation(t.Context(), busy.ID)
	require.NoError(t, err)
	_, err = h.Close(t.Context()) // c gets Olga at t0+60s
	require.NoError(t, err)
	clk.Advance(30 * time.Second)
	olga := chat.Author{Kind: chat.AuthorAgent, ID: "olga"}
	f.post(t, c, olga, "Hello!")
	clk.Advance(30 * time.Second)
	f.post(t, c, olga, "Anything else?")
	got := f.info(t, c)
	assert.Equal(t, t0.Add(time.Minute), got.FirstAssignedAt)
	assert.Equal(t, t0.Add(10*time.Second), got.FirstMessageAt)
	assert.Equal(t, t0.Add(90*time.Second), got.FirstResponseAt, "the first answer, not the last")
	assert.False(t, got.Offline)
	assert.True(t, strings.HasPrefix(string(got.Status), "open"))
}

// TestQueueLongerThanAPageOfTies checks that a queue of more conversations
// than one store page, every one started in the same microsecond, is read
// whole and in order (by id, as the store orders ties).
func TestQueueLongerThanAPageOfTies(t *testing.T) {
	f := setup(t, chat.Config{})
	v := f.visitor(t)
	at := chat.Timestamp(time.Now())
	var ids []uuid.UUID
	for range chat.MaxPageSize + 5 {
		c, err := f.store.CreateConversation(t.Context(), chat.ConversationInfo{ID: chat.NewID(), VisitorID: v.ID,
			Status: chat.StatusQueued, CreatedAt: at, UpdatedAt: at})
		require.NoError(t, err)
		ids = append(ids, c.ID)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })

	q, err := f.desk.Queue(t.Context())
	require.NoError(t, err)
	require.Len(t, q, len(ids))
	for i, e := range q {
		require.Equal(t, ids[i], e.Conversation.ID, "place %d", i+1)
		require.Equal(t, i+1, e.Position)
	}
}

// addressOf returns an email address of exactly n bytes (n at least 30)
// with two-byte letters in its local part.
func addressOf(n int) string {
	local, tail := "zofia.żółć@", ".example.pl"
	return local + strings.Repeat("a", n-len(local)-len(tail)) + tail
}

// TestEmailLimit checks that every address a visitor gives is held to
// MaxEmailBytes, counted in bytes, and that a refusal names the field.
func TestEmailLimit(t *testing.T) {
	t.Parallel()
	box := &outbox{}
	f := setup(t, chat.Config{Notifier: box})
	c := f.start(t, chat.StartRequest{})

	for _, n := range []int{225, chat.MaxEmailBytes} {
		addr := addressOf(n)
		require.Len(t, addr, n)
		require.NoError(t, chat.CheckEmail(addr), "an address of %d bytes", n)
		require.NoError(t, f.desk.ProveEmail(t.Context(), c.VisitorID, addr), "an address of %d bytes", n)
		require.NoError(t, f.desk.SendTranscript(t.Context(), c.ID, addr), "a transcript to an address of %d bytes", n)
		v, err := f.desk.Visitor(t.Context(), c.VisitorID)
		require.NoError(t, err)
		assert.Equal(t, addr, v.Email, "the address of %d bytes is kept", n)
	}

	long := addressOf(chat.MaxEmailBytes + 1)
	require.Less(t, utf8.RuneCountInString(long), chat.MaxEmailBytes, "fewer characters than the limit, more bytes")
	err := chat.CheckEmail(long)
	require.ErrorIs(t, err, chat.ErrInvalid)
	assert.Contains(t, err.Error(), "email is 255 bytes")
	err = f.desk.SendTranscript(t.Context(), c.ID, long)
	require.ErrorIs(t, err, chat.ErrInvalid)
	assert.Contains(t, err.Error(), "email")
	v, err := f.desk.Visitor(t.Context(), c.VisitorID)
	require.NoError(t, err)
	assert.Equal(t, addressOf(chat.MaxEmailBytes), v.Email, "a refused address changes nothing")
	assert.Len(t, box.all(), 2, "only the accepted addresses got a transcript")
}

// TestAnAgentsAnswerTakesTheChat has an agent answer a queued chat: the
// answer assigns it to them, so the visitor is no longer shown a place in
// the queue. An agent without room is refused, and nothing is posted.
func TestAnAgentsAnswerTakesTheChat(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	f.agent(t, "olga", 1, chat.AgentOnline)
	busy := f.start(t, chat.StartRequest{})
	require.Equal(t, "olga", busy.AgentID)
	queued := f.start(t, chat.StartRequest{})
	require.Equal(t, chat.StatusQueued, queued.Status)

	h, err := f.desk.Conversation(t.Context(), queued.ID)
	require.NoError(t, err)
	_, err = h.Post(t.Context(), chat.Message{Author: chat.Author{Kind: chat.AuthorAgent, ID: "olga"}, Body: "Hello!"})
	require.ErrorIs(t, err, chat.ErrAgentBusy, "olga has no room")
	ms, err := f.store.Messages(t.Context(), queued.ID, chat.MessageQuery{})
	require.NoError(t, err)
	assert.Empty(t, ms, "nothing is posted")

	f.agent(t, "piotr", 2, chat.AgentOffline)
	_, err = h.Post(t.Context(), chat.Message{Author: chat.Author{Kind: chat.AuthorAgent, ID: "piotr"}, Body: "Hello!"})
	require.NoError(t, err)
	info := f.info(t, queued)
	assert.Equal(t, chat.StatusOpen, info.Status, "the answer takes the chat")
	assert.Equal(t, "piotr", info.AgentID)
}
