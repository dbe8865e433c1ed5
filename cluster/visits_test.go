package cluster_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

func isInvite(f wire.ServerFrame) bool { return f.Type == wire.FrameInvite }

// TestVisitorsAcrossInstances follows a visitor over instances: the agent
// on B lists them while they browse on A; an invitation made on A and
// dismissed there is not made again when their next page reaches C; and
// the agent starts a chat with them from B while they are on C.
func TestVisitorsAcrossInstances(t *testing.T) {
	forEachBroker(t, func(t *testing.T, b brokerKind) {
		in := newCluster(t, b, options{invitations: []transport.InvitationRule{
			{Name: "bikes", Message: "Which bike are you after?", Path: "/p/*"},
		}}).instances(3)
		olga := in[1].agent(t, "olga", 5)
		onA := in[0].visitor(t, "")
		id := onA.welcome.Visitor.ID
		onA.request(wire.ClientFrame{Type: wire.FramePage, URL: "https://shop.example.com/p/city-bike"})
		olga.expect("the visitor on A in B's live list", func(f wire.ServerFrame) bool {
			return f.Type == wire.FrameVisitor && f.VisitorID == id && f.State != nil && len(f.State.Pages) == 1
		})
		inv := onA.expect("the invitation", isInvite)
		onA.request(wire.ClientFrame{Type: wire.FrameInviteReply, InvitationID: inv.InvitationID})
		onA.close()

		onC := in[2].visitor(t, onA.welcome.Token)
		require.Equal(t, id, onC.welcome.Visitor.ID)
		onC.request(wire.ClientFrame{Type: wire.FramePage, URL: "https://shop.example.com/p/cargo-bike"})
		// The rules run before a page is answered: an invitation for this
		// page would have come first.
		_, err := onC.tryExpect(isInvite, 0)
		assert.Error(t, err, "dismissed on A, not made again on C")

		started := olga.request(wire.ClientFrame{Type: wire.FrameStart, VisitorID: id})
		require.Equal(t, wire.FrameStarted, started.Type)
		conv := *started.Conversation
		assert.Equal(t, "olga", conv.AgentID)
		olga.say(conv.ID, "hello-from-B")
		onC.expect("the proactive chat's message on C", isMessage(conv.ID, "hello-from-B"))
		stored, err := in[0].store.Visit(t.Context(), id)
		require.NoError(t, err)
		require.Len(t, stored.Invitations, 1, "one invitation that visit")
		assert.Equal(t, chat.InvitationDismissed, stored.Invitations[0].Status)
	})
}
