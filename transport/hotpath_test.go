package transport_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/wire"
)

// countingStore counts the calls a Desk makes to a real store: every write
// and the reads of a conversation, a visitor, agents and messages.
type countingStore struct {
	chat.Store
	mu    sync.Mutex
	calls map[string]int
}

func newCountingStore(s chat.Store) *countingStore {
	return &countingStore{Store: s, calls: make(map[string]int)}
}

func (s *countingStore) count(name string) {
	s.mu.Lock()
	s.calls[name]++
	s.mu.Unlock()
}

// since returns the calls made after the snapshot before was taken.
func (s *countingStore) since(before map[string]int) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int)
	for name, n := range s.calls {
		if d := n - before[name]; d > 0 {
			out[name] = d
		}
	}
	return out
}

func (s *countingStore) snapshot() map[string]int { return s.since(nil) }

// writes are the Store's methods that write. The transport's agent lease
// renewals run on a timer of their own and are not counted.
var writes = []string{"PutVisitor", "PutAgent", "CreateConversation", "UpdateConversation", "AppendMessage",
	"AddPageView", "PutBlock", "DeleteBlock", "CountEmail", "ProveEmail", "AddEmailConfirmation", "ConfirmEmail",
	"SuppressEmail", "UnsuppressEmail", "ReleaseAgentLease", "DeleteAgentLeases"}

func writesIn(calls map[string]int) int {
	n := 0
	for _, w := range writes {
		n += calls[w]
	}
	return n
}

func (s *countingStore) Conversation(ctx context.Context, id uuid.UUID) (chat.ConversationInfo, error) {
	s.count("Conversation")
	return s.Store.Conversation(ctx, id)
}

func (s *countingStore) Visitor(ctx context.Context, id uuid.UUID) (chat.Visitor, error) {
	s.count("Visitor")
	return s.Store.Visitor(ctx, id)
}

func (s *countingStore) Agents(ctx context.Context) ([]chat.Agent, error) {
	s.count("Agents")
	return s.Store.Agents(ctx)
}

func (s *countingStore) Messages(ctx context.Context, id uuid.UUID, q chat.MessageQuery) ([]chat.Message, error) {
	s.count("Messages")
	return s.Store.Messages(ctx, id, q)
}

func (s *countingStore) PutVisitor(ctx context.Context, v chat.Visitor) error {
	s.count("PutVisitor")
	return s.Store.PutVisitor(ctx, v)
}

func (s *countingStore) PutAgent(ctx context.Context, a chat.Agent) error {
	s.count("PutAgent")
	return s.Store.PutAgent(ctx, a)
}

func (s *countingStore) CreateConversation(ctx context.Context, c chat.ConversationInfo) (chat.ConversationInfo, error) {
	s.count("CreateConversation")
	return s.Store.CreateConversation(ctx, c)
}

func (s *countingStore) UpdateConversation(ctx context.Context, c chat.ConversationInfo) (chat.ConversationInfo, error) {
	s.count("UpdateConversation")
	return s.Store.UpdateConversation(ctx, c)
}

func (s *countingStore) AppendMessage(ctx context.Context, m chat.Message) (chat.Message, bool, error) {
	s.count("AppendMessage")
	return s.Store.AppendMessage(ctx, m)
}

func (s *countingStore) AddPageView(ctx context.Context, p chat.PageView) error {
	s.count("AddPageView")
	return s.Store.AddPageView(ctx, p)
}

func (s *countingStore) PutBlock(ctx context.Context, b chat.Block) error {
	s.count("PutBlock")
	return s.Store.PutBlock(ctx, b)
}

func (s *countingStore) DeleteBlock(ctx context.Context, id uuid.UUID) error {
	s.count("DeleteBlock")
	return s.Store.DeleteBlock(ctx, id)
}

func (s *countingStore) CountEmail(ctx context.Context, visitorID uuid.UUID, address string, at time.Time, limits chat.EmailLimits) error {
	s.count("CountEmail")
	return s.Store.CountEmail(ctx, visitorID, address, at, limits)
}

func (s *countingStore) ProveEmail(ctx context.Context, visitorID uuid.UUID, address string, at time.Time) error {
	s.count("ProveEmail")
	return s.Store.ProveEmail(ctx, visitorID, address, at)
}

func (s *countingStore) AddEmailConfirmation(ctx context.Context, c chat.EmailConfirmation) error {
	s.count("AddEmailConfirmation")
	return s.Store.AddEmailConfirmation(ctx, c)
}

func (s *countingStore) ConfirmEmail(ctx context.Context, tokenHash string, now time.Time) (chat.EmailConfirmation, error) {
	s.count("ConfirmEmail")
	return s.Store.ConfirmEmail(ctx, tokenHash, now)
}

func (s *countingStore) SuppressEmail(ctx context.Context, e chat.EmailSuppression) error {
	s.count("SuppressEmail")
	return s.Store.SuppressEmail(ctx, e)
}

func (s *countingStore) UnsuppressEmail(ctx context.Context, address string) error {
	s.count("UnsuppressEmail")
	return s.Store.UnsuppressEmail(ctx, address)
}

func (s *countingStore) ReleaseAgentLease(ctx context.Context, agentID, holder string, at time.Time) (bool, error) {
	s.count("ReleaseAgentLease")
	return s.Store.ReleaseAgentLease(ctx, agentID, holder, at)
}

func (s *countingStore) DeleteAgentLeases(ctx context.Context, agentID string, at time.Time) error {
	s.count("DeleteAgentLeases")
	return s.Store.DeleteAgentLeases(ctx, agentID, at)
}

// newCountingHarness serves a Desk over a counting SQLite file store.
func newCountingHarness(t *testing.T) (*harness, *countingStore) {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	cs := newCountingStore(s)
	return newHarnessWithStore(t, cs), cs
}

func TestSendWritesOnceAndReadsNoConversation(t *testing.T) {
	t.Parallel()
	t.Run("open", func(t *testing.T) {
		t.Parallel()
		h, store := newCountingHarness(t)
		agent := h.agent(ws, "olga")
		v := h.visitor(ws)
		c := v.start("")
		agent.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventAssigned) && f.ConversationID == c.ID
		})
		v.say(c, "first")
		for i, body := range []string{"second", "third", "fourth"} {
			before := store.snapshot()
			v.say(c, body)
			calls := store.since(before)
			assert.LessOrEqual(t, writesIn(calls), 1, "message %d: %v", i+2, calls)
			assert.Zero(t, calls["Conversation"], "message %d read its conversation: %v", i+2, calls)
		}
		info, err := store.Store.Conversation(t.Context(), c.ID)
		require.NoError(t, err)
		assert.Equal(t, chat.StatusOpen, info.Status)
	})
	t.Run("waiting", func(t *testing.T) {
		t.Parallel()
		h, store := newCountingHarness(t)
		v := h.visitor(ws)
		c := v.start("")
		require.Equal(t, chat.StatusWaiting, c.Status, "with no agent online the conversation is an offline request")
		v.say(c, "first") // the first message is acknowledged, a second write
		for i, body := range []string{"second", "third", "fourth"} {
			before := store.snapshot()
			v.say(c, body)
			calls := store.since(before)
			assert.LessOrEqual(t, writesIn(calls), 1, "message %d: %v", i+2, calls)
			assert.Zero(t, calls["Conversation"], "message %d read its conversation: %v", i+2, calls)
			assert.Zero(t, calls["Visitor"], "message %d read its visitor: %v", i+2, calls)
		}
		ms, err := store.Store.Messages(t.Context(), c.ID, chat.MessageQuery{})
		require.NoError(t, err)
		var acks int
		for _, m := range ms {
			if m.Author.Kind == chat.AuthorSystem {
				acks++
			}
		}
		assert.Equal(t, 1, acks, "the request is acknowledged once")
		assert.Len(t, ms, 5)
	})
}
