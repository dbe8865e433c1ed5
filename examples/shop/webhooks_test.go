package main

import (
	"bufio"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

// TestDemoWebhooks: the demo's receiver prints each delivery of the
// chat's events, verified, and stops cleanly.
func TestDemoWebhooks(t *testing.T) {
	ctx := t.Context()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(context.Background()) })
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	hooks, err := startWebhooks(ctx, []byte("the demo shop's secret, 32 bytes"), store, pw, nil)
	require.NoError(t, err)
	desk, err := chat.NewDesk(chat.Config{Store: store, Recorder: hooks.hooks})
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close(context.Background()) })

	v, err := desk.SaveVisitor(ctx, chat.Visitor{})
	require.NoError(t, err)
	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	_, err = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: "Is the kettle in stock?"})
	require.NoError(t, err)

	// Nobody is online, so the chat is an offline request.
	want := map[string]bool{"offline_request.created": false, "message.created": false}
	line := regexp.MustCompile(`^Webhook received \(signature verified\): (\S+) conversation=` + conv.ID().String())
	lines := make(chan string)
	go func() {
		s := bufio.NewScanner(pr)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	deadline := time.After(10 * time.Second)
	for seen := 0; seen < len(want); {
		select {
		case l := <-lines:
			m := line.FindStringSubmatch(l)
			require.NotNil(t, m, "printed %q", l)
			if done, ok := want[m[1]]; ok && !done {
				want[m[1]] = true
				seen++
			}
		case <-deadline:
			t.Fatalf("not printed: %v", want)
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	require.NoError(t, hooks.stop(ctx))
}
