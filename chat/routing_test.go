package chat_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

// readCountingStore counts the store reads a placement makes.
type readCountingStore struct {
	chat.Store
	conversations, loads atomic.Int64
}

func (s *readCountingStore) Conversations(ctx context.Context, f chat.ConversationFilter) ([]chat.ConversationInfo, error) {
	s.conversations.Add(1)
	return s.Store.Conversations(ctx, f)
}

func (s *readCountingStore) AgentLoads(ctx context.Context, ids []string) ([]chat.AgentLoad, error) {
	s.loads.Add(1)
	return s.Store.AgentLoads(ctx, ids)
}

// reads returns the store reads made while fn ran.
func (s *readCountingStore) reads(fn func()) int64 {
	before := s.conversations.Load() + s.loads.Load()
	fn()
	return s.conversations.Load() + s.loads.Load() - before
}

// TestPlacementReadsDoNotGrowWithAgents starts a conversation with 2 and
// with 60 agents online, on a real SQLite file: placing it reads the
// agents' loads in the same few store calls, however many agents there are,
// since the Desk holds its routing lock while it reads.
func TestPlacementReadsDoNotGrowWithAgents(t *testing.T) {
	readsWith := func(agents int) int64 {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close(context.Background()) })
		s := &readCountingStore{Store: db}
		f := setup(t, chat.Config{Store: s})
		for i := range agents {
			f.agent(t, fmt.Sprintf("agent-%02d", i), 3, chat.AgentOnline)
		}
		v := f.visitor(t)
		var info chat.ConversationInfo
		n := s.reads(func() { info = f.start(t, chat.StartRequest{VisitorID: v.ID}) })
		require.Equal(t, chat.StatusOpen, info.Status, "the conversation is placed with one of %d agents", agents)
		return n
	}
	few, many := readsWith(2), readsWith(60)
	assert.Equal(t, few, many, "store reads to place a conversation with 2 agents online (%d) and with 60 (%d)", few, many)
}
