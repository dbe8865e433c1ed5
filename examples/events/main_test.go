package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// setup returns a Desk with the order bot running on the demo orders.
func setup(t *testing.T) *chat.Desk {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	require.NoError(t, err)
	// An agent is online, so the chats are live ones rather than offline
	// requests, and the transcripts hold only the visitor's and the bot's
	// messages.
	require.NoError(t, desk.SaveAgent(ctx, chat.Agent{ID: "olga", Name: "Olga"}))
	_, err = desk.SetAgentStatus(ctx, "olga", chat.AgentOnline)
	require.NoError(t, err)
	wait, err := startOrderBot(ctx, desk, demoOrders, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		assert.ErrorIs(t, wait(), context.Canceled)
		desk.Close(ctx)
	})
	return desk
}

// ask starts a conversation for visitor v, posts each of questions and
// returns the transcript once the bot's answer to the last one is there.
func ask(t *testing.T, desk *chat.Desk, v chat.Visitor, questions ...string) []chat.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	v, err := desk.SaveVisitor(ctx, v)
	require.NoError(t, err)
	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	events, err := conv.Subscribe(ctx)
	require.NoError(t, err)
	defer events.Close()
	var last chat.Message
	for _, q := range questions {
		last, err = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: q})
		require.NoError(t, err)
	}
	for e := range events.Events() {
		if e.Type == chat.EventMessage && e.Message.Author.Kind == chat.AuthorBot && e.Message.Seq > last.Seq {
			break
		}
	}
	require.NoError(t, events.Err(), "no answer from the bot before the deadline")
	history, err := conv.History(ctx, chat.MessageQuery{})
	require.NoError(t, err)
	return history
}

func bodies(ms []chat.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, string(m.Author.Kind)+": "+m.Body)
	}
	return out
}

func TestBotAnswersTheCustomersOrder(t *testing.T) {
	desk := setup(t)
	history := ask(t, desk, chat.Visitor{Name: "Anna", CustomerID: "c-1"},
		"Hello!",
		"Where is my order #1042?",
	)
	// The bot ignored the greeting: its only message answers the question.
	assert.Equal(t, []string{
		"visitor: Hello!",
		"visitor: Where is my order #1042?",
		"bot: Order 1042: shipped on Monday with DHL, tracking 00340434161094042557.",
	}, bodies(history))
}

func TestBotDisclosesNoOtherCustomersOrder(t *testing.T) {
	desk := setup(t)
	history := ask(t, desk, chat.Visitor{Name: "Piotr", CustomerID: "c-2"}, "status of order 1042 please")
	assert.Equal(t, "I cannot find order 1042 on your account. An agent will help you shortly.", history[len(history)-1].Body)

	history = ask(t, desk, chat.Visitor{}, "order no. 1043?")
	assert.Equal(t, "Please sign in to the shop so that I can look up order 1043 for you.", history[len(history)-1].Body)
}

// TestRunOverWebSocket starts the program, connects as the signed-in demo
// customer, asks about an order and gets the bot's answer as a message
// frame, then stops the program.
func TestRunOverWebSocket(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	secret := make([]byte, 32)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(runCtx, ln, secret) }()

	identity, err := transport.SignIdentity(secret, transport.Identity{CustomerID: "c-1", Name: "Anna", Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	c, _, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/chat/ws", nil)
	require.NoError(t, err)
	defer c.CloseNow()
	send := func(f wire.ClientFrame) {
		b, err := json.Marshal(f)
		require.NoError(t, err)
		require.NoError(t, c.Write(ctx, websocket.MessageText, b))
	}
	read := func(typ string) wire.ServerFrame {
		for {
			_, data, err := c.Read(ctx)
			require.NoError(t, err)
			var f wire.ServerFrame
			require.NoError(t, json.Unmarshal(data, &f))
			if f.Type == typ {
				return f
			}
		}
	}
	send(wire.ClientFrame{Type: wire.FrameHello, V: wire.ProtocolVersion, Identity: identity})
	assert.Equal(t, "c-1", read(wire.FrameWelcome).Visitor.CustomerID)
	send(wire.ClientFrame{Type: wire.FrameStart})
	started := read(wire.FrameStarted)
	send(wire.ClientFrame{Type: wire.FrameSend, ConversationID: started.ConversationID, Key: uuid.NewString(), Body: "Any news on order 1043?"})
	for {
		m := read("message")
		if m.Message.Author.Kind == chat.AuthorBot {
			assert.Equal(t, "Order 1043: paid, being packed.", m.Message.Body)
			break
		}
	}

	stop()
	require.NoError(t, <-done)
}
