package transport_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// TestInternalNotesNeverReachVisitors: an agent's private note is stored in
// the transcript between public messages; agents get it, the visitor gets
// neither a live frame nor a catch-up frame for it, and their view of the
// transcript still moves past it.
func TestInternalNotesNeverReachVisitors(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		agent := h.agent(k, "olga")
		v := h.visitor(k)
		conv := v.start("")
		v.say(conv, "Is the blue kettle in stock?")
		c, err := h.desk.Conversation(t.Context(), conv.ID)
		require.NoError(t, err)
		_, err = c.Post(t.Context(), chat.Message{Author: chat.Author{Kind: chat.AuthorAgent, ID: "olga"}, Body: "<b>VIP</b>: offer free delivery", Internal: true})
		require.NoError(t, err)
		agent.say(conv, "Yes, 12 left.")

		got := agent.messages(conv, 3)
		assert.True(t, got[1].Internal, "agents receive the note")
		live := v.messages(conv, 2)
		assert.Equal(t, []int64{1, 3}, []int64{live[0].Seq, live[1].Seq}, "the visitor's live view skips the note")

		// A new connection of the same visitor catches up from the start.
		again := h.visitor(k, clientOptions{token: v.welcome.Token})
		synced := again.mustRequest(wire.ClientFrame{Type: wire.FrameSync, ConversationID: conv.ID})
		require.Equal(t, wire.FrameSynced, synced.Type)
		assert.Equal(t, int64(3), synced.LastSeq, "the sync ends past the note")
		var seqs []int64
		for _, f := range again.pending {
			if f.Type == string(chat.EventMessage) && f.ConversationID == conv.ID {
				assert.False(t, f.Message.Internal, "no internal note in a visitor's catch-up")
				seqs = append(seqs, f.Seq)
			}
		}
		assert.Equal(t, []int64{1, 3}, seqs, "the visitor's catch-up skips the note")
	})
}
