package transport_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// When the shop names supervisors, an agent may not change another
// agent's conversation (refused with forbidden), sees only their own
// statistics, and reads only their own notes and those of their own
// conversations; a supervisor may do and read everything.
func TestAgentRoles(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t, withSupervisor("boss"))
		olga := h.agent(k, "olga")
		require.Equal(t, "agent", olga.welcome.Role)
		v := h.visitor(k)
		c := v.start("")
		v.say(c, "Hello")
		waitAssigned(t, h, c, "olga")
		olga.mustRequest(wire.ClientFrame{Type: wire.FrameNote, ConversationID: c.ID, Key: "n1", Body: "regular customer"})

		marek := h.agent(k, "marek")
		boss := h.agent(k, "boss")
		require.Equal(t, "agent", marek.welcome.Role)
		require.Equal(t, "supervisor", boss.welcome.Role)
		for _, f := range []wire.ClientFrame{
			{Type: wire.FrameSend, ConversationID: c.ID, Key: "m1", Body: "Marek here"},
			{Type: wire.FrameNote, ConversationID: c.ID, Key: "m2", Body: "mine now"},
			{Type: wire.FrameAssign, ConversationID: c.ID},
			{Type: wire.FrameTransfer, ConversationID: c.ID, AgentID: "marek"},
			{Type: wire.FrameClose, ConversationID: c.ID},
			{Type: wire.FrameTag, ConversationID: c.ID, Tag: "vip"},
			{Type: wire.FrameUntag, ConversationID: c.ID, Tag: "vip"},
		} {
			r := marek.request(f)
			require.Equal(t, wire.FrameError, r.Type, "%s", f.Type)
			assert.Equal(t, wire.CodeForbidden, r.Error.Code, "%s", f.Type)
		}

		// Marek may read the transcript, without Olga's note; the
		// supervisor reads it with the note.
		texts := func(c2 *client) []string {
			t.Helper()
			c2.send(wire.ClientFrame{Type: wire.FrameSync, ID: "s", ConversationID: c.ID})
			var out []string
			for _, f := range c2.collect(func(f wire.ServerFrame) bool { return f.Type == wire.FrameSynced }) {
				if f.Type == string(chat.EventMessage) && f.ConversationID == c.ID && f.Message.Author.Kind != chat.AuthorSystem {
					out = append(out, f.Message.Body)
				}
			}
			return out
		}
		assert.Equal(t, []string{"Hello"}, texts(marek), "an agent does not read another's notes")
		assert.Equal(t, []string{"Hello", "regular customer"}, texts(boss), "a supervisor reads every note")

		// Live, too: Marek, watching, gets Olga's reply but not her note.
		olga.mustRequest(wire.ClientFrame{Type: wire.FrameNote, ConversationID: c.ID, Key: "n2", Body: "second note"})
		olga.say(c, "Public reply")
		for _, f := range marek.collect(func(f wire.ServerFrame) bool { return f.Message != nil && f.Message.Body == "Public reply" }) {
			assert.False(t, f.Message != nil && f.Message.Internal, "no note reaches Marek live: %+v", f.Message)
		}
		boss.expect(func(f wire.ServerFrame) bool { return f.Message != nil && f.Message.Body == "second note" })

		from, to := time.Now().Add(-time.Hour).Format(time.RFC3339), time.Now().Add(time.Hour).Format(time.RFC3339)
		assert.Zero(t, marek.mustRequest(wire.ClientFrame{Type: wire.FrameStats, From: from, To: to}).Stats.Total.Conversations, "Marek's own statistics")
		assert.Equal(t, 1, olga.mustRequest(wire.ClientFrame{Type: wire.FrameStats, From: from, To: to}).Stats.Total.Conversations, "Olga's own")
		shop := boss.mustRequest(wire.ClientFrame{Type: wire.FrameStats, From: from, To: to}).Stats
		assert.Equal(t, 1, shop.Total.Conversations)
		search := wire.ClientFrame{Type: wire.FrameSearch, Text: "regular customer", From: from, To: to}
		assert.Empty(t, marek.mustRequest(search).Results, "Marek's search does not reach Olga's note")
		assert.Len(t, boss.mustRequest(search).Results, 1, "the supervisor's does")

		boss.mustRequest(wire.ClientFrame{Type: wire.FrameTransfer, ConversationID: c.ID, AgentID: "marek"})
		marek.mustRequest(wire.ClientFrame{Type: wire.FrameSend, ConversationID: c.ID, Key: "m3", Body: "Marek here"})
		r := olga.request(wire.ClientFrame{Type: wire.FrameClose, ConversationID: c.ID})
		require.Equal(t, wire.FrameError, r.Type)
		assert.Equal(t, wire.CodeForbidden, r.Error.Code, "now Olga may not close it")
		marek.mustRequest(wire.ClientFrame{Type: wire.FrameClose, ConversationID: c.ID})
		olga.mustRequest(wire.ClientFrame{Type: wire.FrameClose, ConversationID: c.ID}) // closed, no longer held: closing again is the usual no-op
	})
}

// A shop that names no supervisors keeps every agent free to change any
// conversation, and sends no role.
func TestNoRolesWithoutSupervisors(t *testing.T) {
	h := newHarness(t)
	olga := h.agent(ws, "olga")
	assert.Empty(t, olga.welcome.Role)
	v := h.visitor(ws)
	c := v.start("")
	v.say(c, "Hello")
	waitAssigned(t, h, c, "olga")
	marek := h.agent(ws, "marek")
	marek.mustRequest(wire.ClientFrame{Type: wire.FrameClose, ConversationID: c.ID})
}

// waitAssigned waits until the conversation is the agent's.
func waitAssigned(t *testing.T, h *harness, c chat.ConversationInfo, agentID string) {
	t.Helper()
	require.Eventually(t, func() bool {
		info, err := h.desk.Store().Conversation(t.Context(), c.ID)
		return err == nil && info.AgentID == agentID
	}, 5*time.Second, 10*time.Millisecond, "the conversation is %s's", agentID)
}
