package sqlite_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// On SQLite the text search folds ASCII letters only: LOWER knows no
// others, so "ŻÓŁW" finds only itself, while "Parcel" finds "PARCEL".
func TestSearchFoldsASCIIOnly(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	now := time.Now()
	v := chat.Visitor{ID: chat.NewID(), CreatedAt: now, LastSeenAt: now}
	require.NoError(t, s.PutVisitor(ctx, v))
	c, err := s.CreateConversation(ctx, chat.ConversationInfo{ID: chat.NewID(), VisitorID: v.ID, Status: chat.StatusOpen, CreatedAt: now, UpdatedAt: now})
	require.NoError(t, err)
	_, _, err = s.AppendMessage(ctx, chat.Message{ID: chat.NewID(), ConversationID: c.ID, Author: chat.Author{Kind: chat.AuthorBot, Name: "Shop"},
		Body: "PARCEL with a ŻÓŁW inside", CreatedAt: now})
	require.NoError(t, err)
	count := func(text string) int {
		found, err := s.SearchConversations(ctx, chat.SearchQuery{Text: text})
		require.NoError(t, err)
		return len(found)
	}
	require.Equal(t, 1, count("parcel"))
	require.Equal(t, 1, count("ŻÓŁW"), "the same letters match")
	require.Equal(t, 0, count("żółw"), "other letters in another case do not")
}
