package notify_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/notify"
)

// TestReplyAddress: notices about a conversation carry its reply address
// as Reply-To; a confirmation link, a notice without a conversation and a
// notifier without ReplyAddress carry none.
func TestReplyAddress(t *testing.T) {
	conv := chat.ConversationInfo{ID: uuid.New(), VisitorID: uuid.New()}
	n := newNotifier(t, "smtp.example.com:587", func(c *notify.Config) {
		c.ReplyAddress = func(id uuid.UUID) string { return "reply+" + id.String() + "@reply.zolty-kot.example" }
	})
	to := chat.Visitor{ID: conv.VisitorID, Email: "ola@example.pl", Locale: "pl"}
	for _, kind := range []chat.NoticeKind{chat.NoticeOfflineReceived, chat.NoticeReply, chat.NoticeTranscript} {
		msg, err := n.Compose(chat.Notice{Kind: kind, To: to, Conversation: conv})
		require.NoError(t, err)
		assert.Equal(t, "<reply+"+conv.ID.String()+"@reply.zolty-kot.example>", parse(t, msg).Header.Get("Reply-To"), kind)
	}
	msg, err := n.Compose(chat.Notice{Kind: chat.NoticeConfirmEmail, To: to, Conversation: conv, ConfirmURL: "https://zolty-kot.example/c?t=1"})
	require.NoError(t, err)
	assert.Empty(t, parse(t, msg).Header.Get("Reply-To"), "a confirmation link")
	msg, err = n.Compose(chat.Notice{Kind: chat.NoticeTranscript, To: to})
	require.NoError(t, err)
	assert.Empty(t, parse(t, msg).Header.Get("Reply-To"), "no conversation")
	msg, err = newNotifier(t, "smtp.example.com:587", nil).Compose(chat.Notice{Kind: chat.NoticeReply, To: to, Conversation: conv})
	require.NoError(t, err)
	assert.Empty(t, parse(t, msg).Header.Get("Reply-To"), "no ReplyAddress")
}
