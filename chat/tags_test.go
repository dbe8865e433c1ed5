package chat_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// Agents tag conversations: tags are normalized, kept once each, limited
// in number, and find their conversations with the search, which trims
// its texts.
func TestDeskTags(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	c1 := f.start(t, chat.StartRequest{})
	c2 := f.start(t, chat.StartRequest{})
	f.post(t, c1, visitorAuthor(c1), "Where is my Parcel?")
	ctx := t.Context()

	tags, err := f.desk.AddTag(ctx, c1.ID, "  VIP ")
	require.NoError(t, err)
	require.Equal(t, []string{"vip"}, tags)
	tags, err = f.desk.AddTag(ctx, c1.ID, "Refund")
	require.NoError(t, err)
	require.Equal(t, []string{"refund", "vip"}, tags)
	tags, err = f.desk.RemoveTag(ctx, c1.ID, "VIP")
	require.NoError(t, err)
	require.Equal(t, []string{"refund"}, tags)
	_, err = f.desk.AddTag(ctx, c1.ID, "   ")
	require.ErrorIs(t, err, chat.ErrInvalid, "an empty tag")
	_, err = f.desk.AddTag(ctx, chat.NewID(), "vip")
	require.ErrorIs(t, err, chat.ErrNotFound)

	for i := range chat.MaxTags - 1 {
		_, err := f.desk.AddTag(ctx, c2.ID, fmt.Sprintf("t%02d", i))
		require.NoError(t, err)
	}
	tags, err = f.desk.AddTag(ctx, c2.ID, "refund")
	require.NoError(t, err)
	require.Len(t, tags, chat.MaxTags)
	_, err = f.desk.AddTag(ctx, c2.ID, "one-too-many")
	require.ErrorIs(t, err, chat.ErrInvalid, "over MaxTags")
	tags, err = f.desk.AddTag(ctx, c2.ID, "t00")
	require.NoError(t, err, "a tag it has changes nothing, even at the limit")
	require.Len(t, tags, chat.MaxTags)

	found, err := f.desk.SearchConversations(ctx, chat.SearchQuery{Tag: " REFUND"})
	require.NoError(t, err)
	require.Len(t, found, 2)
	found, err = f.desk.SearchConversations(ctx, chat.SearchQuery{Tag: "refund", Text: "  parcel "})
	require.NoError(t, err)
	require.Len(t, found, 1)
	require.Equal(t, c1.ID, found[0].ID)
}

// The report of a period keeps, when asked, to the conversations with a
// tag.
func TestReportByTag(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	c1 := f.start(t, chat.StartRequest{})
	f.start(t, chat.StartRequest{})
	_, err := f.desk.AddTag(t.Context(), c1.ID, "refund")
	require.NoError(t, err)
	q := chat.ReportQuery{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}
	all, err := f.desk.Report(t.Context(), q)
	require.NoError(t, err)
	require.Equal(t, 2, all.Total.Conversations)
	q.Tag = "Refund"
	tagged, err := f.desk.Report(t.Context(), q)
	require.NoError(t, err)
	require.Equal(t, 1, tagged.Total.Conversations)
	q.Tag = "nothing"
	none, err := f.desk.Report(t.Context(), q)
	require.NoError(t, err)
	require.Zero(t, none.Total.Conversations)
}

// A Store without tags makes the tag and search methods, and a report by
// tag, fail with errors.ErrUnsupported; everything else works.
func TestTagsNeedATagStore(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{Store: struct{ chat.Store }{memory.New()}})
	c := f.start(t, chat.StartRequest{})
	_, err := f.desk.AddTag(t.Context(), c.ID, "vip")
	require.True(t, errors.Is(err, errors.ErrUnsupported), "AddTag: %v", err)
	_, err = f.desk.SearchConversations(t.Context(), chat.SearchQuery{Text: "x"})
	require.ErrorIs(t, err, errors.ErrUnsupported)
	_, err = f.desk.Report(t.Context(), chat.ReportQuery{From: time.Now().Add(-time.Hour), To: time.Now(), Tag: "vip"})
	require.ErrorIs(t, err, errors.ErrUnsupported)
	_, err = f.desk.Report(t.Context(), chat.ReportQuery{From: time.Now().Add(-time.Hour), To: time.Now()})
	require.NoError(t, err)
}
