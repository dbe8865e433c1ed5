package chat_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// TestAgentTopicCarriesTheAgentsConversations checks that an agent's topic
// alone is enough to serve the agent: every event of a conversation
// assigned to them, and the one that takes it away, in order.
func TestAgentTopicCarriesTheAgentsConversations(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	f.agent(t, "olga", 5, chat.AgentOnline)
	f.agent(t, "piotr", 5, chat.AgentOnline)
	c := f.start(t, chat.StartRequest{AgentID: "olga"})
	sub, err := f.desk.Subscribe(t.Context(), chat.AgentTopic("olga"))
	require.NoError(t, err)
	conv, err := f.desk.Conversation(t.Context(), c.ID)
	require.NoError(t, err)
	visitor := chat.Author{Kind: chat.AuthorVisitor, ID: c.VisitorID.String()}

	_, err = conv.Post(t.Context(), chat.Message{Author: visitor, Body: "hello", IdempotencyKey: "k1"})
	require.NoError(t, err)
	assert.Equal(t, chat.EventMessage, next(t, sub).Type)
	require.NoError(t, f.desk.Typing(t.Context(), c.ID, visitor, true))
	assert.Equal(t, chat.EventTyping, next(t, sub).Type)
	require.NoError(t, f.desk.MarkRead(t.Context(), c.ID, visitor, 1))
	assert.Equal(t, chat.EventRead, next(t, sub).Type)
	_, err = conv.Transfer(t.Context(), chat.Transfer{AgentID: "piotr", By: chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Olga"}})
	require.NoError(t, err)
	e := next(t, sub) // the transfer's note goes to piotr, its new agent

	assert.Equal(t, chat.EventAssigned, e.Type)
	assert.Equal(t, "olga", e.PreviousAgentID)

	// Gone to piotr: olga hears nothing more of it; her presence is next.
	_, err = conv.Post(t.Context(), chat.Message{Author: visitor, Body: "still there?", IdempotencyKey: "k2"})
	require.NoError(t, err)
	_, err = f.desk.SetAgentStatus(t.Context(), "olga", chat.AgentAway)
	require.NoError(t, err)
	assert.Equal(t, chat.EventPresence, next(t, sub).Type)
}

// TestFollowAddsTopicsAndDeliversOnce checks a subscription whose topics
// change while it lives.
func TestFollowAddsTopicsAndDeliversOnce(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	f.agent(t, "olga", 5, chat.AgentOnline, "sales")
	queued := f.start(t, chat.StartRequest{Department: "returns"}) // nobody answers it
	require.NotEqual(t, chat.StatusOpen, queued.Status)
	mine := f.start(t, chat.StartRequest{AgentID: "olga", Department: "sales"})
	sub, err := f.desk.Subscribe(t.Context(), chat.AgentTopic("olga"))
	require.NoError(t, err)
	visitor := func(c chat.ConversationInfo) chat.Author {
		return chat.Author{Kind: chat.AuthorVisitor, ID: c.VisitorID.String()}
	}

	// Olga's own conversation, watched as well: each event comes once.
	require.NoError(t, sub.Follow(chat.ConversationTopic(mine.ID), chat.ConversationTopic(queued.ID)))
	assert.True(t, sub.Follows(chat.ConversationTopic(queued.ID)))
	require.NoError(t, f.desk.Typing(t.Context(), mine.ID, visitor(mine), true))
	require.NoError(t, f.desk.Typing(t.Context(), queued.ID, visitor(queued), true))
	e := next(t, sub)
	assert.Equal(t, mine.ID, e.ConversationID)
	e = next(t, sub)
	assert.Equal(t, queued.ID, e.ConversationID, "the watched conversation's event, after the first one once")

	f.desk.Resync()
	assert.Equal(t, chat.EventResync, next(t, sub).Type)

	// Unwatched: nothing of the queued conversation; the next event is
	// olga's own.
	sub.Unfollow(chat.ConversationTopic(queued.ID))
	assert.False(t, sub.Follows(chat.ConversationTopic(queued.ID)))
	require.NoError(t, f.desk.Typing(t.Context(), queued.ID, visitor(queued), false))
	require.NoError(t, f.desk.Typing(t.Context(), mine.ID, visitor(mine), false))
	e = next(t, sub)
	assert.Equal(t, chat.EventTyping, e.Type, "the resync came once")
	assert.Equal(t, mine.ID, e.ConversationID)
	assert.True(t, sub.Follows(chat.AgentTopic("olga")))

	sub.Close()
	assert.ErrorIs(t, sub.Follow(chat.TopicAll), chat.ErrClosed)
	sub.Unfollow(chat.AgentTopic("olga"))
}

// pausingStore holds the first message appended until resume is closed.
type pausingStore struct {
	chat.Store
	once    sync.Once
	entered chan struct{}
	resume  chan struct{}
}

func (s *pausingStore) AppendMessage(ctx context.Context, m chat.Message) (chat.Message, bool, error) {
	s.once.Do(func() {
		close(s.entered)
		<-s.resume
	})
	return s.Store.AppendMessage(ctx, m)
}

// TestMessageGoesToTheAgentAssignedMeanwhile assigns a queued conversation
// while a visitor's message to it is being stored: the message event goes
// to the agent who has the conversation when it is published.
func TestMessageGoesToTheAgentAssignedMeanwhile(t *testing.T) {
	t.Parallel()
	store := &pausingStore{Store: memory.New(), entered: make(chan struct{}), resume: make(chan struct{})}
	f := setup(t, chat.Config{Store: store})
	c := f.start(t, chat.StartRequest{})
	require.NotEqual(t, chat.StatusOpen, c.Status, "nobody is online yet")
	conv, err := f.desk.Conversation(t.Context(), c.ID)
	require.NoError(t, err)
	posted := make(chan error, 1)
	go func() {
		_, err := conv.Post(t.Context(), chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: c.VisitorID.String()}, Body: "hello?", IdempotencyKey: "k"})
		posted <- err
	}()
	<-store.entered // the message's conversation was read while unassigned

	f.agent(t, "olga", 5, chat.AgentOffline)
	sub, err := f.desk.Subscribe(t.Context(), chat.AgentTopic("olga"))
	require.NoError(t, err)
	_, err = conv.Assign(t.Context(), "olga")
	require.NoError(t, err)
	assert.Equal(t, chat.EventAssigned, next(t, sub).Type)
	close(store.resume)
	require.NoError(t, <-posted)
	e := next(t, sub)
	assert.Equal(t, chat.EventMessage, e.Type)
	assert.Equal(t, "olga", e.AgentID)
}
