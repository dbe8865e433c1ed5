package sqlite_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// TestErasingAndPurgingDeleteUploadedFiles checks that the files uploaded
// to a conversation go with it, the SQL store being a chat.FileStore too:
// when its visitor is erased, and when the retention policy purges it.
func TestErasingAndPurgingDeleteUploadedFiles(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	at := chat.Timestamp(time.Now())
	withFile := func() (chat.Visitor, chat.ConversationInfo, chat.File) {
		v := chat.Visitor{ID: chat.NewID(), Name: "Anna", CreatedAt: at}
		require.NoError(t, s.PutVisitor(ctx, v))
		c, err := s.CreateConversation(ctx, chat.ConversationInfo{ID: chat.NewID(), VisitorID: v.ID, Status: chat.StatusQueued, CreatedAt: at, UpdatedAt: at})
		require.NoError(t, err)
		f := chat.File{ID: chat.NewID(), ConversationID: c.ID, Name: "parcel.pdf", ContentType: "application/pdf", Size: 4,
			Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, CreatedAt: at}
		require.NoError(t, s.PutFile(ctx, f, strings.NewReader("%PDF")))
		return v, c, f
	}

	v, _, erased := withFile()
	_, _, kept := withFile()
	require.NoError(t, s.EraseVisitor(ctx, v.ID))
	_, err := s.File(ctx, erased.ID)
	assert.ErrorIs(t, err, chat.ErrNotFound, "the erased visitor's file is gone")
	_, err = s.File(ctx, kept.ID)
	assert.NoError(t, err, "another visitor's file stays")

	_, c, purged := withFile()
	c.Status, c.ClosedAt = chat.StatusClosed, at.Add(-48*time.Hour)
	_, err = s.UpdateConversation(ctx, c)
	require.NoError(t, err)
	n, err := s.PurgeConversations(ctx, at.Add(-24*time.Hour), 10)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = s.File(ctx, purged.ID)
	assert.ErrorIs(t, err, chat.ErrNotFound, "a purged conversation's file is gone")
	_, err = s.File(ctx, kept.ID)
	assert.NoError(t, err, "a file of an open conversation stays")
}
