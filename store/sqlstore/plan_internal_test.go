package sqlstore

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// TestConversationPagesUseIndexes asks SQLite how it runs the listings the
// Desk and the transport page through: each searches an index of
// conversations, starts at the cursor's created_at, and sorts nothing but
// the matches of several statuses (the active conversations, a small part
// of the table).
func TestConversationPagesUseIndexes(t *testing.T) {
	ctx := t.Context()
	s := openSQLite(t, Config{})
	after := chat.ConversationCursor{CreatedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), ID: chat.NewID()}
	active := []chat.Status{chat.StatusWaiting, chat.StatusQueued, chat.StatusOpen}
	tests := []struct {
		name   string
		filter chat.ConversationFilter
		index  string // "" for any of the conversations' indexes
	}{
		{"a visitor's newest", chat.ConversationFilter{VisitorID: chat.NewID(), Newest: true, Limit: 51}, "visitor"},
		{"a visitor's next newest", chat.ConversationFilter{VisitorID: chat.NewID(), Newest: true, After: after, Limit: 51}, "visitor"},
		{"an agent's open, newest", chat.ConversationFilter{AgentID: "olga", Statuses: []chat.Status{chat.StatusOpen}, Newest: true, After: after}, ""},
		{"the queue, oldest", chat.ConversationFilter{Statuses: []chat.Status{chat.StatusQueued}, After: after}, "status"},
		{"every active, newest", chat.ConversationFilter{Statuses: active, Newest: true, After: after}, "status"},
	}
	for _, tt := range tests {
		query, args := conversationsQuery(tt.filter, nil, nil)
		rows, err := s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+s.q(query), args...)
		require.NoError(t, err)
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rows.Err())
		rows.Close()
		text := strings.Join(plan, "; ")
		assert.Contains(t, text, "USING INDEX "+s.t.conversations+"_"+tt.index, "%s: %s", tt.name, text)
		assert.NotContains(t, text, "SCAN", "%s reads no whole table or index: %s", tt.name, text)
		if !tt.filter.After.IsZero() {
			assert.Contains(t, text, "created_at", "%s starts at the cursor: %s", tt.name, text)
		}
		if len(tt.filter.Statuses) <= 1 {
			assert.NotContains(t, text, "TEMP B-TREE", "%s sorts nothing: %s", tt.name, text)
		}
	}
}
