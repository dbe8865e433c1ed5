package chat_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

// TestReplyNoticeSurvivesARestart schedules reply emails on one Desk,
// closes it before they are due, and has a new Desk on the same SQLite
// file send them when due, once, except to a visitor who came back.
func TestReplyNoticeSurvivesARestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "parley.db")
	clk := &clock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	box := &outbox{}
	cfg := func(s chat.Store) chat.Config {
		return chat.Config{Store: s, Notifier: box, Now: clk.Now, ReplyNoticeDelay: 2 * time.Minute}
	}
	olga := chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Olga"}

	first, err := sqlite.Open(t.Context(), path, sqlstore.Config{})
	require.NoError(t, err)
	a := setup(t, cfg(first))
	a.agent(t, "olga", 0, chat.AgentOnline)
	chatOf := func(name, email string) chat.ConversationInfo {
		v, err := a.desk.SaveVisitor(t.Context(), chat.Visitor{Name: name, Email: email, Locale: "en"})
		require.NoError(t, err)
		c := a.start(t, chat.StartRequest{VisitorID: v.ID})
		a.post(t, c, visitorAuthor(c), "Is the blue bike in stock?")
		return c
	}
	gone := chatOf("Aino", "aino@example.fi")
	back := chatOf("Piotr", "piotr@example.pl")
	for _, c := range []chat.ConversationInfo{gone, back} {
		a.post(t, c, olga, "Yes, three of them.")
		a.post(t, c, olga, "Delivery takes two days.")
	}
	require.NoError(t, a.desk.Close(t.Context()))
	require.NoError(t, first.Close(t.Context()))
	assert.Empty(t, box.all(), "nothing was due before the restart")

	b := setup(t, cfg(sqliteStore(t, path)))
	// Piotr comes back, reads the replies in the chat, and leaves again.
	require.NoError(t, b.desk.SetVisitorPresence(t.Context(), back.VisitorID, chat.PresenceOnline))
	require.NoError(t, b.desk.SetVisitorPresence(t.Context(), back.VisitorID, chat.PresenceOffline))
	require.NoError(t, b.desk.Sweep(t.Context()))
	clk.Advance(2 * time.Minute)
	require.NoError(t, b.desk.Sweep(t.Context()))
	box.waitFor(t, 1)
	require.NoError(t, b.desk.Sweep(t.Context()))
	require.NoError(t, b.desk.Close(context.Background())) // waits for the emails being sent

	sent := box.all()
	require.Len(t, sent, 1, "sent once, and not to the visitor who came back since")
	assert.Equal(t, chat.NoticeReply, sent[0].Kind)
	assert.Equal(t, gone.ID, sent[0].Conversation.ID)
	var bodies []string
	for _, m := range sent[0].Messages {
		bodies = append(bodies, m.Body)
	}
	assert.Equal(t, []string{"Yes, three of them.", "Delivery takes two days."}, bodies)
}
