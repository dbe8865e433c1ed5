package transport_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// TestStartRevealsNoOtherConversation starts conversations with ids the
// visitor chose: another visitor's conversation id is answered exactly as
// a fresh id is, and a retried start reaches the same conversation.
func TestStartRevealsNoOtherConversation(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		anna, bob := h.visitor(k), h.visitor(k)
		start := func(c *client, id uuid.UUID) wire.ServerFrame {
			t.Helper()
			r := c.request(wire.ClientFrame{Type: wire.FrameStart, ConversationID: id})
			require.Equal(t, wire.FrameStarted, r.Type, "start answered %+v", r.Error)
			require.NotNil(t, r.Conversation)
			assert.Equal(t, r.ConversationID, r.Conversation.ID)
			assert.Equal(t, c.welcome.Visitor.ID, r.Conversation.VisitorID, "the visitor's own conversation")
			return r
		}

		key := uuid.New()
		first := start(anna, key)
		annas := first.ConversationID
		assert.Equal(t, annas, start(anna, key).ConversationID, "a retried start reaches the same conversation")
		assert.Equal(t, annas, start(anna, annas).ConversationID, "the id the server returned names the conversation")

		// Bob learns Anna's conversation id. Starting with it, or with an
		// id nobody has, is answered the same way: a conversation of his.
		taken := start(bob, annas)
		fresh := start(bob, uuid.New())
		for _, r := range []wire.ServerFrame{taken, fresh} {
			assert.NotEqual(t, annas, r.ConversationID, "Bob never gets Anna's conversation")
			assert.Equal(t, chat.StatusWaiting, r.Conversation.Status)
			assert.Equal(t, int64(1), r.Conversation.Version)
		}
		assert.Equal(t, taken.ConversationID, start(bob, annas).ConversationID, "Bob's retry reaches his conversation")

		for _, c := range []*client{anna, bob} {
			cs, err := h.desk.Conversations(t.Context(), chat.ConversationFilter{VisitorID: c.welcome.Visitor.ID})
			require.NoError(t, err)
			want := 1
			if c == bob {
				want = 2
			}
			assert.Len(t, cs, want, "one conversation per distinct start")
		}
		info, err := h.store.Conversation(t.Context(), annas)
		require.NoError(t, err)
		assert.Equal(t, first.Conversation.Version, info.Version, "Anna's conversation is untouched")
	})
}
