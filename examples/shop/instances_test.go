package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/internal/pgtest"
	"github.com/parleychat/parley/wire"
)

// TestSecretSharedByInstancesStartingTogether starts several instances'
// secret loading at once on one data directory: they all end up with the
// one secret, whole.
func TestSecretSharedByInstancesStartingTogether(t *testing.T) {
	for range 20 {
		path := filepath.Join(t.TempDir(), "secret")
		const n = 8
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			secrets [n][]byte
			errs    [n]error
		)
		for i := range n {
			wg.Go(func() {
				<-start
				secrets[i], errs[i] = loadSecret(path)
			})
		}
		close(start)
		wg.Wait()
		for i := range n {
			require.NoError(t, errs[i])
			require.Equal(t, secrets[0], secrets[i], "instance %d has a secret of its own", i)
		}
		onDisk, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, secrets[0], onDisk)
		again, err := loadSecret(path)
		require.NoError(t, err)
		require.Equal(t, onDisk, again, "a restart keeps the secret")
	}
}

func TestShortSecretRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(path, []byte("short"), 0o600))
	_, err := loadSecret(path)
	require.ErrorContains(t, err, "a secret needs at least")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "short", string(b), "the file is left for the operator to fix")
}

func TestBrokerFlag(t *testing.T) {
	for _, bad := range []string{"http://example.com", "amqp://localhost", "localhost:6379"} {
		_, _, err := openBroker(bad, "", nil, func() {})
		assert.ErrorContains(t, err, "want a redis://, nats:// or postgres:// URL", bad)
	}
	_, _, err := openBroker("postgres://localhost/shop", "Not-Valid", nil, func() {})
	assert.ErrorIs(t, err, chat.ErrInvalid, "the broker's own checks reach the user")
	assert.Equal(t, "redis://:xxxxx@localhost:6379/0", describeBroker("redis://:hunter2@localhost:6379/0"), "no password in the output")
	for _, good := range []string{"redis://localhost:6379/0", "nats://localhost:4222", "postgres://localhost/shop"} {
		b, closeBroker, err := openBroker(good, "", nil, func() {})
		require.NoError(t, err, good)
		assert.NotNil(t, b, good)
		assert.NoError(t, closeBroker(t.Context()), "a broker never used closes at once")
	}
}

// randomName is lower-case letters and digits, fresh for every call.
func randomName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// wsClient is one side of the chat over a WebSocket.
type wsClient struct {
	t    *testing.T
	ctx  context.Context
	conn *websocket.Conn
}

// dialChat connects to the chat at url and says hello.
func dialChat(t *testing.T, ctx context.Context, url string, header http.Header) *wsClient {
	t.Helper()
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
	require.NoError(t, err)
	t.Cleanup(func() { conn.CloseNow() })
	c := &wsClient{t: t, ctx: ctx, conn: conn}
	c.send(wire.ClientFrame{Type: wire.FrameHello, V: wire.ProtocolVersion})
	c.expect("the welcome", func(f wire.ServerFrame) bool { return f.Type == wire.FrameWelcome })
	return c
}

func (c *wsClient) send(f wire.ClientFrame) {
	c.t.Helper()
	b, err := json.Marshal(f)
	require.NoError(c.t, err)
	require.NoError(c.t, c.conn.Write(c.ctx, websocket.MessageText, b))
}

// expect reads frames until match accepts one, which it returns; it fails
// the test when the connection ends or the test's deadline passes first.
func (c *wsClient) expect(what string, match func(wire.ServerFrame) bool) wire.ServerFrame {
	c.t.Helper()
	for {
		_, data, err := c.conn.Read(c.ctx)
		require.NoError(c.t, err, "waiting for %s", what)
		var f wire.ServerFrame
		require.NoError(c.t, json.Unmarshal(data, &f))
		require.NotEqual(c.t, wire.FrameError, f.Type, "waiting for %s: %s", what, data)
		if match(f) {
			return f
		}
	}
}

// TestTwoInstances runs two instances of the shop on one PostgreSQL
// database with each broker -broker can choose: a visitor on instance A
// starts a chat, the agent connected to instance B is given it and
// replies, and the visitor receives the reply on the connection they have.
func TestTwoInstances(t *testing.T) {
	for _, b := range []struct{ name, env, example string }{
		{"redis", "PARLEY_TEST_REDIS", "redis://127.0.0.1:6379/0"},
		{"nats", "PARLEY_TEST_NATS", "nats://127.0.0.1:4222"},
		{"pgnotify", pgtest.EnvDSN, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
	} {
		t.Run(b.name, func(t *testing.T) {
			brokerURL := os.Getenv(b.env)
			if brokerURL == "" {
				t.Skipf("%s is not set (e.g. %s)", b.env, b.example)
			}
			testTwoInstances(t, brokerURL)
		})
	}
}

func testTwoInstances(t *testing.T, brokerURL string) {
	dsn := pgtest.Schema(t, "shop_")
	shared := config{store: "postgres", dsn: dsn, broker: brokerURL, brokerPrefix: "shop" + randomName(), dataDir: t.TempDir()}
	a := "ws" + strings.TrimPrefix(startShop(t, shared), "http")
	b := "ws" + strings.TrimPrefix(startShop(t, shared), "http")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	agent := dialChat(t, ctx, b+"/staff/chat/ws", http.Header{"Authorization": {"Basic b2xnYTpkZW1v"}}) // olga:demo
	visitor := dialChat(t, ctx, a+"/chat/ws", nil)
	visitor.send(wire.ClientFrame{Type: wire.FrameStart, ID: "r1"})
	started := visitor.expect("the chat to start", func(f wire.ServerFrame) bool { return f.ID == "r1" })
	require.Equal(t, wire.FrameStarted, started.Type)
	conv := started.Conversation.ID
	// The demo's virtual advisor answers first; the visitor asks for a
	// person, and the agent online on the other instance is given the chat.
	require.Equal(t, chat.StatusBot, started.Conversation.Status, "the virtual advisor has the chat")
	visitor.send(wire.ClientFrame{Type: wire.FrameSend, ID: "r0", ConversationID: conv, Key: "k0", Body: "Talk to a person"})
	assigned := visitor.expect("the chat handed to an agent", func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventAssigned) && f.ConversationID == conv
	})
	assert.Equal(t, demoAgent.user, assigned.Conversation.AgentID, "the agent online on the other instance is given the chat")
	visitor.send(wire.ClientFrame{Type: wire.FrameSend, ID: "r2", ConversationID: conv, Key: "k1", Body: "Is the copper kettle in stock?"})

	question := agent.expect("the visitor's question on instance B", func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.ConversationID == conv && f.Message.Author.Kind == chat.AuthorVisitor
	})
	assert.Equal(t, "Is the copper kettle in stock?", question.Message.Body)
	agent.send(wire.ClientFrame{Type: wire.FrameSend, ID: "r1", ConversationID: conv, Key: "k2", Body: "Yes, three left."})
	ack := agent.expect("the reply's ack", func(f wire.ServerFrame) bool { return f.ID == "r1" })
	require.Equal(t, wire.FrameAck, ack.Type)

	reply := visitor.expect("the agent's reply on instance A", func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.ConversationID == conv && f.Message.Author.Kind == chat.AuthorAgent
	})
	assert.Equal(t, "Yes, three left.", reply.Message.Body)
	assert.Equal(t, demoAgent.name, reply.Message.Author.Name)
}
