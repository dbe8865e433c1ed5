package chat_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// TestExportAndEraseAVisitor exports what a visitor's chat left behind, on
// a real SQLite file, then erases it: the agent is told the chat closed,
// and nothing of the visitor remains, while another visitor's chat does.
func TestExportAndEraseAVisitor(t *testing.T) {
	f := setup(t, chat.Config{Store: sqliteStore(t, filepath.Join(t.TempDir(), "parley.db"))})
	ctx := t.Context()
	f.agent(t, "olga", 5, chat.AgentOnline)
	anna := f.visitor(t)
	c := f.start(t, chat.StartRequest{VisitorID: anna.ID})
	h, err := f.desk.Conversation(ctx, c.ID)
	require.NoError(t, err)
	_, err = h.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: anna.ID.String()}, Body: "Mój numer zamówienia to 1234"})
	require.NoError(t, err)
	_, err = h.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorAgent, ID: "olga"}, Body: "Sprawdzam"})
	require.NoError(t, err)
	_, err = h.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorAgent, ID: "olga"}, Body: "staff only", Internal: true})
	require.NoError(t, err)
	_, err = f.desk.RecordPageView(ctx, chat.PageView{VisitorID: anna.ID, URL: "https://shop.example.com/cart", Title: "Koszyk"})
	require.NoError(t, err)
	other := f.visitor(t)
	kept := f.start(t, chat.StartRequest{VisitorID: other.ID})
	visit, err := f.desk.StartVisit(ctx, "instance-a", anna.ID)
	require.NoError(t, err)

	export, err := f.desk.ExportVisitor(ctx, anna.ID)
	require.NoError(t, err)
	assert.Equal(t, anna.ID, export.Visitor.ID)
	require.Len(t, export.Conversations, 1)
	var bodies []string
	for _, m := range export.Conversations[0].Messages {
		bodies = append(bodies, m.Body)
	}
	assert.Contains(t, bodies, "Mój numer zamówienia to 1234")
	assert.Contains(t, bodies, "Sprawdzam")
	assert.NotContains(t, bodies, "staff only", "internal notes are the shop's, not the visitor's")
	require.Len(t, export.PageViews, 1)
	assert.Equal(t, "https://shop.example.com/cart", export.PageViews[0].URL)
	require.NotNil(t, export.Visit, "the current visit")
	assert.Equal(t, visit.ID, export.Visit.ID)
	_, err = json.Marshal(export)
	require.NoError(t, err, "the export encodes to JSON")

	sub, err := f.desk.Subscribe(ctx, chat.TopicAll)
	require.NoError(t, err)
	defer sub.Close()
	require.NoError(t, f.desk.EraseVisitor(ctx, anna.ID))
	deadline := time.After(10 * time.Second)
	for closed := false; !closed; {
		select {
		case e := <-sub.Events():
			closed = e.Type == chat.EventStatus && e.ConversationID == c.ID && e.Conversation != nil && e.Conversation.Status == chat.StatusClosed
		case <-deadline:
			t.Fatal("the agent was not told the erased visitor's chat closed")
		}
	}
	_, err = f.desk.ExportVisitor(ctx, anna.ID)
	assert.ErrorIs(t, err, chat.ErrNotFound, "nothing remains of the visitor")
	_, err = f.store.Conversation(ctx, c.ID)
	assert.ErrorIs(t, err, chat.ErrNotFound, "nor of their conversation")
	views, err := f.store.PageViews(ctx, anna.ID, 10)
	require.NoError(t, err)
	assert.Empty(t, views, "nor of their page views")
	_, err = f.store.Conversation(ctx, kept.ID)
	assert.NoError(t, err, "another visitor's chat stays")
	require.NoError(t, f.desk.EraseVisitor(ctx, anna.ID), "erasing twice is no error")
}

// TestSweepPurgesWhatTheRetentionPolicyNoLongerKeeps runs Sweep with a
// retention policy over a real SQLite file: a conversation closed longer
// ago than the policy keeps goes, with old page views; newer ones stay.
func TestSweepPurgesWhatTheRetentionPolicyNoLongerKeeps(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	f := setup(t, chat.Config{Store: sqliteStore(t, filepath.Join(t.TempDir(), "parley.db")), Now: clock, InactivityTimeout: -1,
		Retention: chat.Retention{Conversations: 30 * 24 * time.Hour, PageViews: 7 * 24 * time.Hour}})
	ctx := t.Context()
	v := f.visitor(t)
	old := f.start(t, chat.StartRequest{VisitorID: v.ID})
	h, err := f.desk.Conversation(ctx, old.ID)
	require.NoError(t, err)
	_, err = h.Close(ctx)
	require.NoError(t, err)
	_, err = f.desk.RecordPageView(ctx, chat.PageView{VisitorID: v.ID, URL: "https://shop.example.com/old"})
	require.NoError(t, err)

	now = now.AddDate(0, 0, 20)
	recent := f.start(t, chat.StartRequest{VisitorID: v.ID})
	h, err = f.desk.Conversation(ctx, recent.ID)
	require.NoError(t, err)
	_, err = h.Close(ctx)
	require.NoError(t, err)

	now = now.AddDate(0, 0, 13)
	_, err = f.desk.RecordPageView(ctx, chat.PageView{VisitorID: v.ID, URL: "https://shop.example.com/new"})
	require.NoError(t, err)
	now = now.AddDate(0, 0, 2) // old closed 35 days ago, recent 15; page views 35 and 2 days old
	require.NoError(t, f.desk.Sweep(ctx))
	_, err = f.store.Conversation(ctx, old.ID)
	assert.ErrorIs(t, err, chat.ErrNotFound, "a conversation closed 35 days ago is purged")
	_, err = f.store.Conversation(ctx, recent.ID)
	assert.NoError(t, err, "one closed 15 days ago stays")
	views, err := f.store.PageViews(ctx, v.ID, 10)
	require.NoError(t, err)
	require.Len(t, views, 1, "page views over a week old are purged")
	assert.Equal(t, "https://shop.example.com/new", views[0].URL, "a newer one stays")

	_, err = chat.NewDesk(chat.Config{Store: f.store, Retention: chat.Retention{PageViews: -time.Hour}})
	assert.ErrorIs(t, err, chat.ErrInvalid, "a negative retention")
}
