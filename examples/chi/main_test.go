package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChiMountsBothSides starts the example and checks that the chi
// BasicAuth middleware guards the agents' side, that its users connect as
// agents over WebSocket and over SSE, and that visitors connect freely.
func TestChiMountsBothSides(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	ws := "ws://" + ln.Addr().String()

	_, resp, err := websocket.Dial(ctx, ws+"/admin/chat/ws", nil)
	require.Error(t, err)
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the middleware refuses a request without a login")
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "back office", "and it is chi's BasicAuth that refused")

	staff := http.Header{"Authorization": {"Basic b2xnYTpkZW1v"}} // olga:demo
	welcome := hello(t, ctx, ws+"/admin/chat/ws", &websocket.DialOptions{HTTPHeader: staff})
	require.NotNil(t, welcome.Agent)
	assert.Equal(t, "Olga Nowak", welcome.Agent.Name)

	// The SSE fallback goes through the same mount.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/admin/chat/sse", strings.NewReader(`{"type":"hello","v":1}`))
	require.NoError(t, err)
	req.Header = staff.Clone()
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	line := make([]byte, 512)
	n, _ := io.ReadAtLeast(resp.Body, line, len(`data: {"type":"welcome"`))
	resp.Body.Close()
	assert.Contains(t, string(line[:n]), `"welcome"`)

	visitor := hello(t, ctx, ws+"/chat/ws", nil)
	assert.NotNil(t, visitor.Visitor)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("the example did not stop")
	}
}

// hello connects to url, says hello and returns the welcome.
func hello(t *testing.T, ctx context.Context, url string, opts *websocket.DialOptions) wire.ServerFrame {
	t.Helper()
	c, _, err := websocket.Dial(ctx, url, opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.CloseNow() })
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(`{"type":"hello","v":1}`)))
	_, data, err := c.Read(ctx)
	require.NoError(t, err)
	var f wire.ServerFrame
	require.NoError(t, json.Unmarshal(data, &f))
	require.Equal(t, wire.FrameWelcome, f.Type, "%s", data)
	return f
}
