package chat_test

import (
	"context"
	"path/filepath"
	"sync"
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
