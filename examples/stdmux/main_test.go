package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAgentSideBehindSessionMiddleware starts the example, checks that the
// agents' endpoint refuses a request without the shop's session, signs in
// through the shop's own form and connects as that agent, and stops it.
func TestAgentSideBehindSessionMiddleware(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	ws := "ws://" + ln.Addr().String()

	_, resp, err := websocket.Dial(ctx, ws+"/staff/chat/ws", nil)
	require.Error(t, err, "no session, no agent connection")
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = client.PostForm(base+"/staff/login", url.Values{"user": {"olga"}, "password": {"wrong"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, err = client.PostForm(base+"/staff/login", url.Values{"user": {"olga"}, "password": {"demo"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	welcome := hello(t, ctx, ws+"/staff/chat/ws", &websocket.DialOptions{HTTPClient: client})
	require.NotNil(t, welcome.Agent, "the agent welcome names the agent")
	assert.Equal(t, "olga", welcome.Agent.ID)
	assert.Equal(t, "Olga Nowak", welcome.Agent.Name)

	visitor := hello(t, ctx, ws+"/chat/ws", nil)
	assert.NotNil(t, visitor.Visitor, "visitors need no login")

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
	require.Equal(t, wire.FrameWelcome, f.Type, "%s", strings.TrimSpace(string(data)))
	return f
}
