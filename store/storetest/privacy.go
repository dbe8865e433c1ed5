package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func privacyCases() []testCase {
	return []testCase{
		{"EraseVisitor", testEraseVisitor},
		{"PurgeConversations", testPurgeConversations},
		{"PurgePageViews", testPurgePageViews},
		{"PurgeInvalid", testPurgeInvalid},
	}
}

// visitorData fills the store with one of everything kept about a new
// visitor, and returns the visitor and their conversations.
func (f *fixture) visitorData() (chat.Visitor, []chat.ConversationInfo, string) {
	f.t.Helper()
	ctx, t := f.ctx, f.t
	v := f.visitor()
	a := f.agent()
	var convs []chat.ConversationInfo
	for range 2 {
		c := f.assign(f.create(newConversation(v.ID)), a.ID, 0)
		m := newMessage(c.ID, "Gdzie jest moja paczka?")
		m.Author = chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String(), Name: v.Name}
		f.appendMessage(m)
		f.appendMessage(newMessage(c.ID, "Już sprawdzam."))
		convs = append(convs, c)
	}
	f.addPageView(newPageView(v.ID, baseTime()))
	visit := f.startVisit(v.ID, "instance-a", baseTime(), baseTime().Add(time.Minute))
	require.NoError(t, f.s.AddInvitation(ctx, visit.ID, chat.Invitation{ID: uuid.New(), Rule: "cart", Body: "Pomóc?",
		Status: chat.InvitationPending, At: baseTime()}), "AddInvitation")
	f.schedule(chat.ReplyNotice{ConversationID: convs[0].ID, VisitorID: v.ID, After: 1, Due: baseTime()})
	require.NoError(t, f.s.CountEmail(ctx, v.ID, "anna@example.com", baseTime(), chat.EmailLimits{PerVisitor: 5, PerAddress: 5}), "CountEmail")
	require.NoError(t, f.s.ProveEmail(ctx, v.ID, "anna@example.com", baseTime()), "ProveEmail")
	token := newTokenHash()
	require.NoError(t, f.s.AddEmailConfirmation(ctx, chat.EmailConfirmation{TokenHash: token, VisitorID: v.ID,
		Address: "anna@example.com", ExpiresAt: baseTime().Add(time.Hour)}), "AddEmailConfirmation")
	return v, convs, token
}

func testEraseVisitor(t *testing.T, f *fixture) {
	ctx := f.ctx
	v, convs, token := f.visitorData()
	other, otherConvs, _ := f.visitorData()

	require.NoError(t, f.s.EraseVisitor(ctx, v.ID), "EraseVisitor")
	_, err := f.s.Visitor(ctx, v.ID)
	assert.ErrorIs(t, err, chat.ErrNotFound, "the visitor is gone")
	for _, c := range convs {
		_, err := f.s.Conversation(ctx, c.ID)
		assert.ErrorIs(t, err, chat.ErrNotFound, "their conversation is gone")
		_, err = f.s.Messages(ctx, c.ID, chat.MessageQuery{})
		assert.ErrorIs(t, err, chat.ErrNotFound, "with its messages")
	}
	listed := f.listConversations(chat.ConversationFilter{VisitorID: v.ID})
	assert.Empty(t, listed, "no conversation of theirs is listed")
	assert.Empty(t, f.pageViews(v.ID, 10), "their page views are gone")
	_, err = f.s.Visit(ctx, v.ID)
	assert.ErrorIs(t, err, chat.ErrNotFound, "their visit is gone")
	assert.NotContains(t, f.live(baseTime(), v.ID, other.ID), v.ID, "their presence lease is gone")
	assert.Empty(t, f.due(baseTime().Add(time.Hour), chat.ReplyNotice{ConversationID: convs[0].ID}), "the email waiting for them is gone")
	proven, err := f.s.EmailProven(ctx, v.ID, "anna@example.com")
	require.NoError(t, err, "EmailProven")
	assert.False(t, proven, "their proven address is forgotten")
	_, err = f.s.ConfirmEmail(ctx, token, baseTime())
	assert.ErrorIs(t, err, chat.ErrNotFound, "their pending confirmation is gone")
	// Their count of emails starts again: the limit of one a day lets one more through.
	assert.NoError(t, f.s.CountEmail(ctx, v.ID, "erased@example.com", baseTime(), chat.EmailLimits{PerVisitor: 1, PerAddress: 5}),
		"their count of emails is gone")

	// Nothing of the other visitor's is touched.
	_, err = f.s.Visitor(ctx, other.ID)
	assert.NoError(t, err, "another visitor stays")
	for _, c := range otherConvs {
		ms := f.messages(c.ID, chat.MessageQuery{})
		assert.Len(t, ms, 2, "another visitor's messages stay")
	}
	assert.Len(t, f.pageViews(other.ID, 10), 1, "another visitor's page views stay")
	visit, err := f.s.Visit(ctx, other.ID)
	require.NoError(t, err, "another visitor's visit stays")
	assert.Len(t, visit.Invitations, 1, "with its invitation")
	assert.Len(t, f.due(baseTime().Add(time.Hour), chat.ReplyNotice{ConversationID: otherConvs[0].ID}), 1, "another visitor's email waits")
	proven, err = f.s.EmailProven(ctx, other.ID, "anna@example.com")
	require.NoError(t, err, "EmailProven")
	assert.True(t, proven, "another visitor's proven address stays")

	require.NoError(t, f.s.EraseVisitor(ctx, v.ID), "erasing again is no error")
	require.NoError(t, f.s.EraseVisitor(ctx, chat.NewID()), "erasing an unknown visitor is no error")
	assert.ErrorIs(t, f.s.EraseVisitor(ctx, uuid.Nil), chat.ErrInvalid, "a nil id")
	assert.ErrorIs(t, f.s.EraseVisitor(canceled(), other.ID), context.Canceled, "a done context")
}

// longAgo is a time before any other case's data, so that purging before
// it removes only what the purge cases made, on a shared store too.
func longAgo() time.Time { return time.Date(1980, time.January, 1, 12, 0, 0, 0, time.UTC) }

func testPurgeConversations(t *testing.T, f *fixture) {
	ctx := f.ctx
	v := f.visitor()
	closedAt := func(day int) chat.ConversationInfo {
		c := newConversation(v.ID)
		c.CreatedAt, c.UpdatedAt = longAgo(), longAgo()
		c = f.create(c)
		f.appendMessage(newMessage(c.ID, "old"))
		c = f.get(c.ID)
		c.Status, c.ClosedAt = chat.StatusClosed, longAgo().AddDate(0, 0, day)
		c, err := f.s.UpdateConversation(ctx, c)
		require.NoError(t, err, "UpdateConversation")
		return c
	}
	third, first, second := closedAt(3), closedAt(1), closedAt(2)
	if ts, ok := f.s.(chat.TagStore); ok {
		require.NoError(t, ts.AddTag(ctx, first.ID, "purged"), "AddTag: a purge takes the tags along")
	}
	kept := closedAt(400) // closed after the cut-off
	open := newConversation(v.ID)
	open.CreatedAt, open.UpdatedAt = longAgo(), longAgo()
	open = f.create(open) // old, but not closed
	cut := longAgo().AddDate(0, 6, 0)

	n, err := f.s.PurgeConversations(ctx, cut, 2)
	require.NoError(t, err, "PurgeConversations")
	assert.Equal(t, 2, n, "the limit is kept")
	for _, c := range []chat.ConversationInfo{first, second} {
		_, err := f.s.Conversation(ctx, c.ID)
		assert.ErrorIs(t, err, chat.ErrNotFound, "the oldest closed go first")
		_, err = f.s.Messages(ctx, c.ID, chat.MessageQuery{})
		assert.ErrorIs(t, err, chat.ErrNotFound, "with their messages")
	}
	f.get(third.ID)
	n, err = f.s.PurgeConversations(ctx, cut, 2)
	require.NoError(t, err, "PurgeConversations")
	assert.Equal(t, 1, n, "the rest")
	n, err = f.s.PurgeConversations(ctx, cut, 2)
	require.NoError(t, err, "PurgeConversations")
	assert.Zero(t, n, "nothing is left to purge")
	f.get(kept.ID)
	f.get(open.ID)
	assert.Len(t, f.messages(kept.ID, chat.MessageQuery{}), 1, "a conversation closed after the cut-off keeps its messages")
}

func testPurgePageViews(t *testing.T, f *fixture) {
	ctx := f.ctx
	v, w := f.visitor(), f.visitor()
	for day := range 3 {
		f.addPageView(newPageView(v.ID, longAgo().AddDate(0, 0, day)))
		f.addPageView(newPageView(w.ID, longAgo().AddDate(0, 0, day)))
	}
	recent := f.addPageView(newPageView(v.ID, longAgo().AddDate(2, 0, 0)))
	cut := longAgo().AddDate(0, 6, 0)
	n, err := f.s.PurgePageViews(ctx, cut, 4)
	require.NoError(t, err, "PurgePageViews")
	assert.Equal(t, 4, n, "the limit is kept")
	n, err = f.s.PurgePageViews(ctx, cut, 4)
	require.NoError(t, err, "PurgePageViews")
	assert.Equal(t, 2, n, "the rest")
	assert.Equal(t, []chat.PageView{recent}, f.pageViews(v.ID, 10), "a page view after the cut-off stays")
	assert.Empty(t, f.pageViews(w.ID, 10), "old page views are gone")
}

func testPurgeInvalid(t *testing.T, f *fixture) {
	for _, limit := range []int{-1, chat.MaxPageSize + 1} {
		_, err := f.s.PurgeConversations(f.ctx, longAgo(), limit)
		assert.ErrorIs(t, err, chat.ErrInvalid, "PurgeConversations limit %d", limit)
		_, err = f.s.PurgePageViews(f.ctx, longAgo(), limit)
		assert.ErrorIs(t, err, chat.ErrInvalid, "PurgePageViews limit %d", limit)
	}
	_, err := f.s.PurgeConversations(f.ctx, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), 10)
	assert.ErrorIs(t, err, chat.ErrInvalid, "a time after 9999")
	_, err = f.s.PurgePageViews(canceled(), longAgo(), 10)
	assert.ErrorIs(t, err, context.Canceled, "a done context")
}
