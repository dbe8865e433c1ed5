package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMetrics chats on the demo, a customer with the demo agent over
// WebSocket, and then scrapes /metrics over HTTP as Prometheus would.
func TestMetrics(t *testing.T) {
	base := startShop(t, config{instance: "shop-1"})
	ws := "ws" + strings.TrimPrefix(base, "http")
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()

	// open connects to url and says hello.
	open := func(url string, header http.Header) *websocket.Conn {
		c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.CloseNow() })
		write(ctx, t, c, wire.ClientFrame{Type: wire.FrameHello, V: wire.ProtocolVersion})
		await(ctx, t, c, wire.FrameWelcome)
		return c
	}
	agent := open(ws+"/staff/chat/ws", http.Header{"Authorization": {"Basic b2xnYTpkZW1v"}})
	visitor := open(ws+"/chat/ws", nil)
	write(ctx, t, visitor, wire.ClientFrame{Type: wire.FrameStart, ID: "start"})
	conv := await(ctx, t, visitor, wire.FrameStarted).Conversation
	require.NotNil(t, conv)
	write(ctx, t, visitor, wire.ClientFrame{Type: wire.FrameSend, ID: "s", ConversationID: conv.ID, Key: "k1", Body: "Hello?"})
	await(ctx, t, visitor, wire.FrameAck)
	write(ctx, t, agent, wire.ClientFrame{Type: wire.FrameSend, ID: "s", ConversationID: conv.ID, Key: "k2", Body: "Hello, Olga here."})
	await(ctx, t, agent, wire.FrameAck)

	status, body := get(t, http.DefaultClient, base+"/metrics")
	require.Equal(t, http.StatusOK, status)
	served := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		served[line] = true
		if name, _, ok := strings.Cut(line, " "); ok {
			served[name] = true
		}
	}
	for _, line := range []string{
		`parley_connections{parley_instance="shop-1"} 2`,
		`parley_connected{parley_instance="shop-1",side="agent"} 1`,
		`parley_connected{parley_instance="shop-1",side="visitor"} 1`,
		`parley_messages_total{author="agent",parley_instance="shop-1"} 1`,
		`parley_messages_total{author="visitor",parley_instance="shop-1"} 1`,
		`parley_agents{parley_instance="shop-1",status="online"} 1`,
	} {
		assert.True(t, served[line], "/metrics lacks %s", line)
	}
	assert.True(t, served[`parley_store_seconds_count{method="AppendMessage",parley_instance="shop-1"}`], "Store calls are timed")
	assert.True(t, served["go_goroutines"], "the Go runtime's metrics are served too")
}

// write sends f on c.
func write(ctx context.Context, t *testing.T, c *websocket.Conn, f wire.ClientFrame) {
	t.Helper()
	b, err := json.Marshal(f)
	require.NoError(t, err)
	require.NoError(t, c.Write(ctx, websocket.MessageText, b))
}

// await reads frames from c until one of type typ, failing on an error frame.
func await(ctx context.Context, t *testing.T, c *websocket.Conn, typ string) wire.ServerFrame {
	t.Helper()
	for {
		_, data, err := c.Read(ctx)
		require.NoError(t, err, "waiting for %s", typ)
		var f wire.ServerFrame
		require.NoError(t, json.Unmarshal(data, &f))
		require.NotEqual(t, wire.FrameError, f.Type, "%s", data)
		if f.Type == typ {
			return f
		}
	}
}
