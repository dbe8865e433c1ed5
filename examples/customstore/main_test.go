package main

import (
	"bytes"
	"context"
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
	desk, err := chat.NewDesk(chat.Config{Store: store})
	require.NoError(t, err)
	defer desk.Close()

	v, err := desk.SaveVisitor(ctx, chat.Visitor{Name: "Anna"})
	require.NoError(t, err)
	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	for range 3 {
		_, err := conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: "hello"})
		require.NoError(t, err)
	}
	_, err = desk.Visitor(ctx, uuid.New())
	require.ErrorIs(t, err, chat.ErrNotFound)
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = store.AppendMessage(canceled, chat.Message{ConversationID: conv.ID(), Author: chat.Author{Kind: chat.AuthorBot}, Body: "x"})
	require.Error(t, err)

	stats := store.Stats()
	assert.Equal(t, 4, stats["AppendMessage"].Calls)
	assert.Equal(t, 1, stats["AppendMessage"].Errors, "the canceled append failed")
	assert.Positive(t, stats["Visitor"].Calls)
	assert.Zero(t, stats["Visitor"].Errors, "not found is an answer, not a failure")
	assert.Contains(t, logs.String(), "method=AppendMessage", "with a threshold of 1ns every call is slow")
}

// TestRun runs the program itself over SQLite.
func TestRun(t *testing.T) {
	require.NoError(t, run(t.Context()))
}
