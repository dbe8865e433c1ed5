package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// TestAdvisorAnswersInFrontOfTheAgents: a visitor of the demo shop asks
// about delivery in Polish and gets the advisor's answer with the offer
// of a person; with nobody online, asking for one leaves an offline
// request with the time to expect an answer.
func TestAdvisorAnswersInFrontOfTheAgents(t *testing.T) {
	base := startShop(t, config{})
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/chat/ws", nil)
	require.NoError(t, err)
	defer c.CloseNow()
	send := func(f wire.ClientFrame) {
		b, err := json.Marshal(f)
		require.NoError(t, err)
		require.NoError(t, c.Write(ctx, websocket.MessageText, b))
	}
	next := func(match func(wire.ServerFrame) bool) wire.ServerFrame {
		for {
			_, data, err := c.Read(ctx)
			require.NoError(t, err)
			var f wire.ServerFrame
			require.NoError(t, json.Unmarshal(data, &f))
			if match(f) {
				return f
			}
		}
	}
	send(wire.ClientFrame{Type: wire.FrameHello, V: wire.ProtocolVersion, Lang: "pl"})
	next(func(f wire.ServerFrame) bool { return f.Type == wire.FrameWelcome })
	send(wire.ClientFrame{Type: wire.FrameStart, ID: "s"})
	started := next(func(f wire.ServerFrame) bool { return f.ID == "s" })
	require.Equal(t, wire.FrameStarted, started.Type)
	assert.Equal(t, chat.StatusBot, started.Conversation.Status, "the advisor answers first")

	send(wire.ClientFrame{Type: wire.FrameSend, ConversationID: started.ConversationID, Key: "q1", Body: "Kiedy dotrze moja paczka?"})
	answer := next(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.Message.Author.Kind == chat.AuthorBot
	}).Message
	assert.Contains(t, answer.Body, "paczki docierają w 2–3 dni robocze")
	assert.Equal(t, "Oakwood helper", answer.Author.Name)
	require.Contains(t, answer.QuickReplies, "Porozmawiaj z konsultantem")

	send(wire.ClientFrame{Type: wire.FrameSend, ConversationID: started.ConversationID, Key: "q2", Body: "Porozmawiaj z konsultantem"})
	ack := next(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.Message.IdempotencyKey == "parley:offline-ack"
	}).Message
	assert.Contains(t, ack.Body, "Odpowiedź otrzymasz do", "nobody is online: the expected time")
}
