package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/transport"
)

// TestShopStartsServesAndStops runs the demo as a user would and checks
// it serves the shop and the chat, and stops cleanly.
func TestShopStartsServesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, "127.0.0.1:0", t.TempDir(), pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var base string
	for lines.Scan() {
		if m := regexp.MustCompile(`Shop:\s+(http://\S+)/`).FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
			break
		}
	}
	require.NotEmpty(t, base, "the demo prints the shop URL")
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	resp, err := http.Get(base + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	resp, err = http.Post(base+"/staff/chat/sse", "application/json", strings.NewReader(`{"type":"hello","v":1}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the agent side needs the shop's login")

	ws := "ws" + strings.TrimPrefix(base, "http")
	c, _, err := websocket.Dial(ctx, ws+"/chat/ws", nil)
	require.NoError(t, err)
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(`{"type":"hello","v":1}`)))
	_, data, err := c.Read(ctx)
	require.NoError(t, err)
	var welcome transport.ServerFrame
	require.NoError(t, json.Unmarshal(data, &welcome))
	assert.Equal(t, transport.FrameWelcome, welcome.Type)

	agent, _, err := websocket.Dial(ctx, ws+"/staff/chat/ws", &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Basic b2xnYTpkZW1v"}}, // olga:demo
	})
	require.NoError(t, err)
	require.NoError(t, agent.Write(ctx, websocket.MessageText, []byte(`{"type":"hello","v":1}`)))
	_, data, err = agent.Read(ctx)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"welcome"`, "the printed demo credentials log in")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("the demo did not stop")
	}
}
