package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/store/storetest"
)

// TestConformance runs the whole chat.Store suite against the wrapper: a
// wrapper that dropped a field, swallowed an error or changed an answer
// fails here.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) chat.Store {
		return NewStore(memory.New(), nil, 0)
	})
}

// TestMeasuresAndLogs checks what the wrapper adds: calls and failures
// counted per method, not-found answers not counted as failures, and slow
// calls logged.
func TestMeasuresAndLogs(t *testing.T) {
	ctx := t.Context()
	var logs bytes.Buffer
	store := NewStore(memory.New(), slog.New(slog.NewTextHandler(&logs, nil)), time.Nanosecond)

	now := chat.Timestamp(time.Now())
	v := chat.Visitor{ID: chat.NewID(), Name: "Anna", CreatedAt: now}
	require.NoError(t, store.PutVisitor(ctx, v))
	conv, err := store.CreateConversation(ctx, chat.ConversationInfo{ID: chat.NewID(), VisitorID: v.ID, Status: chat.StatusQueued, CreatedAt: now})
	require.NoError(t, err)
	message := func() chat.Message {
		return chat.Message{ID: chat.NewID(), ConversationID: conv.ID, Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: "hello", CreatedAt: now}
	}
	for range 3 {
		_, _, err := store.AppendMessage(ctx, message())
		require.NoError(t, err)
	}
	_, err = store.Visitor(ctx, uuid.New())
	require.ErrorIs(t, err, chat.ErrNotFound)
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = store.AppendMessage(canceled, message())
	require.Error(t, err)

	stats := store.Stats()
	assert.Equal(t, 4, stats["AppendMessage"].Calls)
	assert.Equal(t, 1, stats["AppendMessage"].Errors, "the canceled append failed")
	assert.Equal(t, 1, stats["Visitor"].Calls)
	assert.Zero(t, stats["Visitor"].Errors, "not found is an answer, not a failure")
	assert.Positive(t, stats["AppendMessage"].Total)
	assert.Contains(t, logs.String(), "method=AppendMessage", "with a threshold of 1ns every call is slow")

	// A Desk works through the wrapper like through any store.
	desk, err := chat.NewDesk(chat.Config{Store: store})
	require.NoError(t, err)
	defer desk.Close(ctx)
	c, err := desk.Conversation(ctx, conv.ID)
	require.NoError(t, err)
	history, err := c.History(ctx, chat.MessageQuery{})
	require.NoError(t, err)
	assert.Len(t, history, 3)
	assert.Equal(t, 1, store.Stats()["Messages"].Calls)
}

// TestRun runs the program itself over SQLite.
func TestRun(t *testing.T) {
	require.NoError(t, run(t.Context()))
}

// storeOnly is a chat.Store that keeps no customer links.
type storeOnly struct{ chat.Store }

// TestWrapsAStoreWithoutCustomers checks that over a store that keeps no
// customer links the wrapper links nothing, as the Desk would.
func TestWrapsAStoreWithoutCustomers(t *testing.T) {
	store := NewStore(storeOnly{memory.New()}, nil, 0)
	a, b := chat.NewID(), chat.NewID()
	got, err := store.LinkCustomer(t.Context(), "c-anna", a)
	require.NoError(t, err)
	assert.Equal(t, a, got)
	got, err = store.LinkCustomer(t.Context(), "c-anna", b)
	require.NoError(t, err)
	assert.Equal(t, b, got, "nothing was linked")
	_, err = store.LinkCustomer(t.Context(), "", b)
	assert.ErrorIs(t, err, chat.ErrInvalid)
	_, err = store.MergeVisitor(t.Context(), a, b)
	assert.ErrorIs(t, err, errors.ErrUnsupported)
}
