package transport_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
)

// TestHistory checks that an agent gets a visitor's conversations newest
// first, at most MaxHistory of them, and that visitors cannot ask.
func TestHistory(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		agent := h.agent(k, "olga")
		v := h.visitor(k)
		id := v.welcome.Visitor.ID
		var started []chat.ConversationInfo
		for range 3 {
			c := v.start("")
			v.mustRequest(transport.ClientFrame{Type: transport.FrameClose, ConversationID: c.ID})
			started = append(started, c)
		}
		other := h.visitor(k)
		other.start("")

		r := agent.mustRequest(transport.ClientFrame{Type: transport.FrameHistory, VisitorID: id})
		require.Equal(t, transport.FrameHistory, r.Type)
		assert.Equal(t, id, r.VisitorID)
		var got []string
		for _, c := range r.Open {
			assert.Equal(t, id, c.VisitorID, "only this visitor's conversations")
			got = append(got, c.ID.String())
		}
		assert.Equal(t, []string{started[2].ID.String(), started[1].ID.String(), started[0].ID.String()}, got, "newest first")
		assert.Equal(t, chat.StatusClosed, r.Open[0].Status)

		denied := v.request(transport.ClientFrame{Type: transport.FrameHistory, VisitorID: id})
		require.Equal(t, transport.FrameError, denied.Type)
		assert.Equal(t, transport.CodeUnknownType, denied.Error.Code, "visitors may not read histories")

		// A regular customer, not connected now.
		regular, err := h.desk.SaveVisitor(t.Context(), chat.Visitor{Name: "Stały klient"})
		require.NoError(t, err)
		var first chat.Conversation
		for i := range transport.MaxHistory + 2 {
			c, err := h.desk.Start(t.Context(), chat.StartRequest{VisitorID: regular.ID})
			require.NoError(t, err)
			if i == 0 {
				first = c
			}
		}
		r = agent.mustRequest(transport.ClientFrame{Type: transport.FrameHistory, VisitorID: regular.ID})
		require.Len(t, r.Open, transport.MaxHistory, "the list is bounded")
		for _, c := range r.Open {
			assert.NotEqual(t, first.ID(), c.ID, "the oldest are left out")
		}

		unknown := agent.request(transport.ClientFrame{Type: transport.FrameHistory, VisitorID: chat.NewID()})
		require.Equal(t, transport.FrameError, unknown.Type)
		assert.Equal(t, transport.CodeNotFound, unknown.Error.Code)
	})
}
