package notify_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// TestRichMessagesAsText: a product card and quick replies reach email as
// text, its markup escaped in the HTML part like any message's.
func TestRichMessagesAsText(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	n := newNotifier(t, srv.Addr(), nil)
	err := n.Notify(t.Context(), chat.Notice{
		Kind: chat.NoticeTranscript,
		To:   chat.Visitor{ID: chat.NewID(), Name: "Anna", Email: "anna@example.com"},
		Messages: []chat.Message{{
			Author: chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Olga"},
			Body:   "This one?",
			Card: &chat.ProductCard{ProductID: "teapot", Name: "Teapot <b>XL</b>", Price: chat.Money{Amount: 3490, Currency: "EUR"},
				URL: "https://shop.example/p/teapot", AddToCart: "/cart/add"},
			QuickReplies: []string{"Yes", "<i>No</i>"},
			CreatedAt:    sentAt,
		}},
	})
	require.NoError(t, err)
	envs := srv.Envelopes()
	require.Len(t, envs, 1)
	got := parse(t, envs[0].Data)
	assert.Contains(t, got.Text, "This one?\r\nTeapot <b>XL</b> — 34.90 EUR — https://shop.example/p/teapot\r\n  • Yes\r\n  • <i>No</i>\r\n")
	assert.Contains(t, got.HTML, "Teapot &lt;b&gt;XL&lt;/b&gt; — 34.90 EUR — https://shop.example/p/teapot")
	assert.NotContains(t, got.HTML, "<i>No</i>")
}
