package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func contextCases() []testCase {
	return []testCase{
		{"Canceled", func(t *testing.T, f *fixture) { testDoneContext(t, f, canceled(), context.Canceled) }},
		{"DeadlineExceeded", func(t *testing.T, f *fixture) { testDoneContext(t, f, expired(), context.DeadlineExceeded) }},
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func expired() context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	_ = cancel // the deadline has passed; cancel only releases a timer that never ran
	return ctx
}

// testDoneContext calls every method with a context that is already done
// and checks that each returns the context's error and writes nothing.
func testDoneContext(t *testing.T, f *fixture, done context.Context, want error) {
	c := f.conversation()
	before := f.messages(c.ID, chat.MessageQuery{})
	check := func(what string, err error) {
		t.Helper()
		require.Error(t, err, "%s with a done context", what)
		assert.True(t, errors.Is(err, want), "%s with a done context returns %v, got %v", what, want, err)
	}

	v := newVisitor()
	check("PutVisitor", f.s.PutVisitor(done, v))
	_, err := f.s.Visitor(f.ctx, v.ID)
	assert.ErrorIs(t, err, chat.ErrNotFound, "PutVisitor with a done context stored the visitor")
	_, err = f.s.Visitor(done, c.VisitorID)
	check("Visitor", err)

	a := newAgent()
	check("PutAgent", f.s.PutAgent(done, a))
	_, err = f.s.Agent(f.ctx, a.ID)
	assert.ErrorIs(t, err, chat.ErrNotFound, "PutAgent with a done context stored the agent")
	_, err = f.s.Agent(done, a.ID)
	check("Agent", err)
	_, err = f.s.Agents(done)
	check("Agents", err)

	nc := newConversation(c.VisitorID)
	_, err = f.s.CreateConversation(done, nc)
	check("CreateConversation", err)
	_, err = f.s.Conversation(f.ctx, nc.ID)
	assert.ErrorIs(t, err, chat.ErrNotFound, "CreateConversation with a done context stored the conversation")
	_, err = f.s.Conversation(done, c.ID)
	check("Conversation", err)

	upd := c
	upd.Status = chat.StatusClosed
	upd.ClosedAt = baseTime()
	_, err = f.s.UpdateConversation(done, upd)
	check("UpdateConversation", err)
	_, err = f.s.Conversations(done, chat.ConversationFilter{VisitorID: c.VisitorID})
	check("Conversations", err)

	m := newMessage(c.ID, "never stored")
	_, _, err = f.s.AppendMessage(done, m)
	check("AppendMessage", err)
	_, err = f.s.Messages(done, c.ID, chat.MessageQuery{})
	check("Messages", err)

	p := newPageView(c.VisitorID, baseTime())
	check("AddPageView", f.s.AddPageView(done, p))
	_, err = f.s.PageViews(done, c.VisitorID, 0)
	check("PageViews", err)

	// Nothing changed.
	requireConversation(t, c, f.get(c.ID), "a done context changed the conversation")
	requireMessages(t, before, f.messages(c.ID, chat.MessageQuery{}), "a done context appended a message")
	assert.Empty(t, f.pageViews(c.VisitorID, 0), "AddPageView with a done context stored the page view")

	// The store still works with a live context.
	f.appendMessage(newMessage(c.ID, "after the done context"))
	_, err = f.s.Visitor(f.ctx, uuid.New())
	assert.ErrorIs(t, err, chat.ErrNotFound)
}
