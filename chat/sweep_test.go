package chat_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// meetingStore holds each system message back until every party of its
// meeting has one to append, so that two Desks sweeping at once both read
// the idle conversation before either writes.
type meetingStore struct {
	chat.Store
	meeting *meeting
}

func (s meetingStore) AppendMessage(ctx context.Context, m chat.Message) (chat.Message, bool, error) {
	if m.Author.Kind == chat.AuthorSystem {
		s.meeting.arrive()
	}
	return s.Store.AppendMessage(ctx, m)
}

// meeting holds back its first parties until all of them have arrived, or
// until a deadline, so that a party that never comes cannot hang the test;
// later arrivals pass at once.
type meeting struct {
	mu      sync.Mutex
	parties int
	all     chan struct{}
}

func newMeeting(parties int) *meeting {
	return &meeting{parties: parties, all: make(chan struct{})}
}

func (m *meeting) arrive() {
	m.mu.Lock()
	if m.parties == 0 {
		m.mu.Unlock()
		return
	}
	m.parties--
	if m.parties == 0 {
		close(m.all)
	}
	m.mu.Unlock()
	select {
	case <-m.all:
	case <-time.After(5 * time.Second):
	}
}

// TestTwoInstancesCloseAnIdleConversationOnce sweeps one idle conversation
// from two Desks on one SQLite file at the same moment: the visitor reads
// "Closed after ..." once, and the conversation is closed once.
func TestTwoInstancesCloseAnIdleConversationOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "parley.db")
	clk := &clock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	broker := &chat.LocalBroker{}
	m := newMeeting(2)
	cfg := func(s chat.Store) chat.Config {
		return chat.Config{Store: meetingStore{Store: s, meeting: m}, Broker: broker, Now: clk.Now, InactivityTimeout: 20 * time.Minute}
	}
	a := setup(t, cfg(sqliteStore(t, path)))
	b := setup(t, cfg(sqliteStore(t, path)))
	a.agent(t, "olga", 0, chat.AgentOnline)
	c := a.start(t, chat.StartRequest{})
	a.post(t, c, visitorAuthor(c), "Is the blue bike in stock?")
	events, err := a.desk.Subscribe(t.Context(), chat.ConversationTopic(c.ID))
	require.NoError(t, err)
	defer events.Close()
	clk.Advance(21 * time.Minute)

	var wg sync.WaitGroup
	for _, f := range []fixture{a, b} {
		wg.Go(func() { assert.NoError(t, f.desk.Sweep(t.Context())) })
	}
	wg.Wait()

	var system []string
	for _, msg := range a.transcript(t, c) {
		if msg.Author.Kind == chat.AuthorSystem {
			system = append(system, msg.Body)
		}
	}
	assert.Len(t, system, 1, "one close message: %q", system)
	assert.Equal(t, chat.StatusClosed, a.info(t, c).Status)
	closes, messages := 0, 0
	for len(events.Events()) > 0 {
		e := <-events.Events()
		switch {
		case e.Type == chat.EventStatus && e.Conversation != nil && e.Conversation.Status == chat.StatusClosed:
			closes++
		case e.Type == chat.EventMessage:
			messages++
		}
	}
	assert.Equal(t, 1, closes, "closed once")
	assert.Equal(t, 1, messages, "one message event")
}

// sweepCounter counts the sweeps and job lease attempts made through it,
// and can lose its releases, as an instance that crashed never makes them.
type sweepCounter struct {
	chat.Store
	sweeps, attempts atomic.Int64
	crashed          atomic.Bool
}

func (s *sweepCounter) ExpiredAgentLeases(ctx context.Context, at time.Time, limit int) ([]string, error) {
	s.sweeps.Add(1) // the first step of every sweep
	return s.Store.ExpiredAgentLeases(ctx, at, limit)
}

func (s *sweepCounter) AcquireJob(ctx context.Context, job, holder string, now, until time.Time) (bool, error) {
	s.attempts.Add(1)
	return s.Store.AcquireJob(ctx, job, holder, now, until)
}

func (s *sweepCounter) ReleaseJob(ctx context.Context, job, holder string) error {
	if s.crashed.Load() {
		return nil
	}
	return s.Store.ReleaseJob(ctx, job, holder)
}

// TestOneInstanceSweepsAtATime runs Desk.Run on three Desks sharing an
// SQLite file: while one holds the sweep's job lease the others skip their
// rounds; the lease of one that crashed expires and another takes over;
// one that closes hands the job over at once.
func TestOneInstanceSweepsAtATime(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "parley.db")
	clk := &clock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	const interval = 2 * time.Millisecond
	start := func() (fixture, *sweepCounter) {
		s := &sweepCounter{Store: sqliteStore(t, path)}
		f := setup(t, chat.Config{Store: s, Now: clk.Now})
		go func() { _ = f.desk.Run(t.Context(), interval) }()
		return f, s
	}
	// waitAttempts waits until s has tried for the lease n more times.
	waitAttempts := func(s *sweepCounter, n int64) {
		t.Helper()
		want := s.attempts.Load() + n
		require.Eventually(t, func() bool { return s.attempts.Load() >= want }, 5*time.Second, time.Millisecond)
	}
	waitSweeps := func(s *sweepCounter) {
		t.Helper()
		require.Eventually(t, func() bool { return s.sweeps.Load() > 0 }, 5*time.Second, time.Millisecond)
	}

	a, aStore := start()
	waitSweeps(aStore)
	b, bStore := start()
	waitAttempts(bStore, 1)
	want := aStore.sweeps.Load() + 5
	require.Eventually(t, func() bool { return aStore.sweeps.Load() >= want }, 5*time.Second, time.Millisecond)
	assert.Zero(t, bStore.sweeps.Load(), "B skips its rounds while A sweeps")

	aStore.crashed.Store(true)
	require.NoError(t, a.desk.Close(t.Context()))
	waitAttempts(bStore, 5)
	assert.Zero(t, bStore.sweeps.Load(), "A crashed: its lease lives on until it expires")
	clk.Advance(time.Minute)
	waitSweeps(bStore)

	_, cStore := start()
	waitAttempts(cStore, 5)
	assert.Zero(t, cStore.sweeps.Load(), "C skips its rounds while B holds the job")
	require.NoError(t, b.desk.Close(t.Context()))
	waitSweeps(cStore) // the clock stands still: B released the job
}
