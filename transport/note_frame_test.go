package transport_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// collect gathers every frame a client receives until until accepts one,
// that one included.
func (c *client) collect(until func(wire.ServerFrame) bool) []wire.ServerFrame {
	c.t.Helper()
	var all []wire.ServerFrame
	c.expect(func(f wire.ServerFrame) bool {
		all = append(all, f)
		return until(f)
	})
	return all
}

// assertNoLeak fails if any frame carries the secret or an internal
// message.
func assertNoLeak(t *testing.T, secret string, frames ...wire.ServerFrame) {
	t.Helper()
	for _, f := range frames {
		b, err := json.Marshal(f)
		require.NoError(t, err)
		assert.NotContains(t, string(b), secret, "a visitor received the note in a %s frame", f.Type)
		if f.Message != nil {
			assert.False(t, f.Message.Internal, "a visitor received an internal message")
		}
	}
}

// TestNoteFrame posts a private note with the agent's note frame and
// checks that agents get it and the visitor never does: not live, not in
// a sync's catch-up, not in a welcome.
func TestNoteFrame(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		const secret = "note-7f3a: VIP, offer free delivery"
		h := newHarness(t)
		agent := h.agent(k, "olga")
		v := h.visitor(k)
		conv := v.start("")
		v.say(conv, "Is the blue kettle in stock?")

		note := wire.ClientFrame{Type: wire.FrameNote, ConversationID: conv.ID, Key: "note-1", Body: secret}
		ack := agent.mustRequest(note)
		require.Equal(t, wire.FrameAck, ack.Type)
		assert.Equal(t, int64(2), ack.Seq)
		again := agent.mustRequest(note)
		assert.Equal(t, ack.MessageID, again.MessageID, "a resent note is stored once")
		agent.say(conv, "Yes, 12 left.")

		got := agent.messages(conv, 3)
		assert.True(t, got[1].Internal, "agents receive the note")
		assert.Equal(t, secret, got[1].Body)
		assert.Equal(t, chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Agent olga"}, got[1].Author)

		live := v.collect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventMessage) && f.Seq == 3
		})
		assertNoLeak(t, secret, live...)

		// A second tab: its welcome, and a catch-up from the start.
		tab := h.visitor(k, clientOptions{token: v.welcome.Token})
		assertNoLeak(t, secret, tab.welcome)
		tab.send(wire.ClientFrame{Type: wire.FrameSync, ID: "s", ConversationID: conv.ID})
		caught := tab.collect(func(f wire.ServerFrame) bool { return f.Type == wire.FrameSynced })
		assertNoLeak(t, secret, caught...)
		var seqs []int64
		for _, f := range caught {
			if f.Type == string(chat.EventMessage) {
				seqs = append(seqs, f.Seq)
			}
		}
		assert.Equal(t, []int64{1, 3}, seqs, "the catch-up skips the note")

		denied := v.request(wire.ClientFrame{Type: wire.FrameNote, ConversationID: conv.ID, Key: "v-1", Body: "mine"})
		require.Equal(t, wire.FrameError, denied.Type)
		assert.Equal(t, wire.CodeUnknownType, denied.Error.Code, "visitors cannot write notes")

		taken := agent.request(wire.ClientFrame{Type: wire.FrameNote, ConversationID: conv.ID, Key: "k-Yes, 12 left.", Body: "Yes, 12 left."})
		require.Equal(t, wire.FrameError, taken.Type)
		assert.Equal(t, wire.CodeKeyReused, taken.Error.Code, "a key taken by a public message is refused, even with its body")
		assert.True(t, strings.Contains(taken.Error.Message, "new key"))
		reused := agent.request(wire.ClientFrame{Type: wire.FrameNote, ConversationID: conv.ID, Key: "note-1", Body: "changed my mind"})
		require.Equal(t, wire.FrameError, reused.Type)
		assert.Equal(t, wire.CodeKeyReused, reused.Error.Code, "a note's key with another body is refused")
	})
}
