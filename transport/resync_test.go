package transport_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/broker/brokertest"
	"github.com/parleychat/parley/broker/redisbroker"
	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/wire"
)

// redisInstance is an instance of the shop on its own Redis broker,
// reached through a proxy that can cut it off; the broker's reconnect
// hook calls the Desk's Resync, as the broker's documentation shows.
func redisInstance(t *testing.T, store chat.Store, serverURL, prefix string) (*harness, *brokertest.Proxy) {
	t.Helper()
	p, proxied := brokertest.ProxyURL(t, serverURL)
	var desk atomic.Pointer[chat.Desk]
	b, err := redisbroker.New(redisbroker.Config{
		URL:         proxied,
		Prefix:      prefix,
		MaxBackoff:  200 * time.Millisecond,
		HealthCheck: 200 * time.Millisecond,
		OnReconnect: func() {
			if d := desk.Load(); d != nil {
				d.Resync()
			}
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	h := newHarnessWithDesk(t, chat.Config{Store: store, Broker: b})
	desk.Store(h.desk)
	return h, p
}

// TestBrokerOutageCaughtUpWithoutReconnecting runs two instances on one
// SQLite file, each with its own Redis broker. While instance B's broker
// is cut off, an agent on instance A replies to a visitor connected to B
// (over WebSocket, and over SSE);
// once the broker is back, the visitor receives the replies on the same
// connection, each once and in order, without sending sync.
func TestBrokerOutageCaughtUpWithoutReconnecting(t *testing.T) {
	serverURL := os.Getenv("PARLEY_TEST_REDIS")
	if serverURL == "" {
		t.Skip("PARLEY_TEST_REDIS is not set (e.g. redis://127.0.0.1:6379/0)")
	}
	forKinds(t, func(t *testing.T, k kind) { testBrokerOutage(t, k, serverURL) })
}

func testBrokerOutage(t *testing.T, k kind, serverURL string) {
	prefix := "parleytest-" + chat.NewID().String()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(context.Background()) })
	a, _ := redisInstance(t, store, serverURL, prefix)
	b, proxyB := redisInstance(t, store, serverURL, prefix)

	ada := a.agent(ws, "ada")
	visitor := b.visitor(k)
	c := visitor.start("")
	require.Equal(t, "ada", c.AgentID)
	fromAda := func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.ConversationID == c.ID && f.Message.Author.Kind == chat.AuthorAgent
	}
	ada.say(c, "Hello, how can I help?")
	assert.Equal(t, "Hello, how can I help?", visitor.expect(fromAda).Message.Body, "the brokers connect the instances")

	restore := proxyB.Cut()
	restored := false
	t.Cleanup(func() {
		if !restored {
			restore()
		}
	})
	missed := []string{"The blue bike is in stock.", "Size M too."}
	for _, body := range missed {
		ada.say(c, body) // stored and acknowledged on instance A
	}
	restore()
	restored = true

	var got []chat.Message
	for len(got) < len(missed) {
		got = append(got, *visitor.expect(fromAda).Message)
	}
	ada.say(c, "Anything else?") // live again
	got = append(got, *visitor.expect(fromAda).Message)
	var bodies []string
	for i, m := range got {
		bodies = append(bodies, m.Body)
		if i > 0 {
			assert.Greater(t, m.Seq, got[i-1].Seq, "in order")
		}
	}
	assert.Equal(t, append(missed, "Anything else?"), bodies, "each reply once, in order")
	assert.NoError(t, visitor.err(), "the visitor's connection stayed open")
}

// deafBroker is a shared LocalBroker whose subscribers hear nothing while
// deaf is set, as an instance whose broker connection is down.
type deafBroker struct {
	*chat.LocalBroker
	deaf atomic.Bool
}

func (b *deafBroker) Subscribe(ctx context.Context, deliver func(chat.Event)) (func(), error) {
	return b.LocalBroker.Subscribe(ctx, func(e chat.Event) {
		if !b.deaf.Load() {
			deliver(e)
		}
	})
}

// TestResyncCatchesUpEveryFollowedConversation has an agent on instance B
// follow three conversations while B hears nothing from instance A, where
// the visitors write, one of them more than a page of messages. After
// Resync the agent's connection receives every message of each, once and
// in order.
func TestResyncCatchesUpEveryFollowedConversation(t *testing.T) {
	t.Parallel()
	store := memory.New()
	shared := &chat.LocalBroker{}
	a := newHarnessWithDesk(t, chat.Config{Store: store, Broker: shared})
	broker := &deafBroker{LocalBroker: shared}
	b := newHarnessWithDesk(t, chat.Config{Store: store, Broker: broker})
	ada := b.agent(ws, "ada")

	counts := []int{chat.MaxPageSize + 5, 2, 1}
	convs := make([]chat.ConversationInfo, len(counts))
	for i := range convs {
		v, err := a.desk.SaveVisitor(t.Context(), chat.Visitor{Name: "Visitor"})
		require.NoError(t, err)
		h, err := a.desk.Start(t.Context(), chat.StartRequest{VisitorID: v.ID})
		require.NoError(t, err)
		convs[i], err = h.Info(t.Context())
		require.NoError(t, err)
		require.Equal(t, "ada", convs[i].AgentID)
		ada.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventAssigned) && f.ConversationID == convs[i].ID
		})
	}

	broker.deaf.Store(true)
	for i, c := range convs {
		h, err := a.desk.Conversation(t.Context(), c.ID)
		require.NoError(t, err)
		for n := range counts[i] {
			_, err := h.Post(t.Context(), chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: c.VisitorID.String()}, Body: fmt.Sprintf("question %d", n)})
			require.NoError(t, err)
		}
	}
	broker.deaf.Store(false)
	b.desk.Resync()

	for i, c := range convs {
		var seqs []int64
		for len(seqs) < counts[i] {
			f := ada.expect(func(f wire.ServerFrame) bool {
				return f.Type == string(chat.EventMessage) && f.ConversationID == c.ID && f.Message.Author.Kind == chat.AuthorVisitor
			})
			seqs = append(seqs, f.Seq)
		}
		for n := 1; n < len(seqs); n++ {
			require.Greater(t, seqs[n], seqs[n-1], "conversation %d: each message once, in order", i)
		}
	}
	require.NoError(t, ada.err(), "the agent's connection stayed open")
}

// TestResyncResendsWhatChangedMeanwhile closes one conversation and
// transfers another on instance A while instance B, where the visitor and
// the agent are connected, hears nothing: after Resync the visitor learns
// that the chat was closed, and the agent that the other chat is no longer
// theirs, on the connections they have.
func TestResyncResendsWhatChangedMeanwhile(t *testing.T) {
	t.Parallel()
	store := memory.New()
	shared := &chat.LocalBroker{}
	a := newHarnessWithDesk(t, chat.Config{Store: store, Broker: shared})
	broker := &deafBroker{LocalBroker: shared}
	b := newHarnessWithDesk(t, chat.Config{Store: store, Broker: broker})
	ada := b.agent(ws, "ada")
	visitor := b.visitor(ws)
	closing := visitor.start("")
	require.Equal(t, "ada", closing.AgentID)
	other, err := a.desk.SaveVisitor(t.Context(), chat.Visitor{Name: "Visitor"})
	require.NoError(t, err)
	h, err := a.desk.Start(t.Context(), chat.StartRequest{VisitorID: other.ID})
	require.NoError(t, err)
	moving, err := h.Info(t.Context())
	require.NoError(t, err)
	require.Equal(t, "ada", moving.AgentID)
	ada.expect(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventAssigned) && f.ConversationID == moving.ID
	})
	require.NoError(t, a.desk.SaveAgent(t.Context(), chat.Agent{ID: "bob", Name: "Bob", Capacity: 5}))
	_, err = a.desk.SetAgentStatus(t.Context(), "bob", chat.AgentOnline)
	require.NoError(t, err)

	broker.deaf.Store(true)
	hc, err := a.desk.Conversation(t.Context(), closing.ID)
	require.NoError(t, err)
	_, err = hc.Close(t.Context())
	require.NoError(t, err)
	hm, err := a.desk.Conversation(t.Context(), moving.ID)
	require.NoError(t, err)
	_, err = hm.Transfer(t.Context(), chat.Transfer{AgentID: "bob", By: chat.Author{Kind: chat.AuthorAgent, ID: "ada", Name: "Ada"}})
	require.NoError(t, err)
	late, err := a.desk.SaveVisitor(t.Context(), chat.Visitor{Name: "Late visitor"})
	require.NoError(t, err)
	hl, err := a.desk.Start(t.Context(), chat.StartRequest{VisitorID: late.ID})
	require.NoError(t, err)
	broker.deaf.Store(false)
	b.desk.Resync()

	closed := visitor.expect(func(f wire.ServerFrame) bool {
		return f.ConversationID == closing.ID && f.Conversation != nil && f.Conversation.Status == chat.StatusClosed
	})
	assert.Equal(t, string(chat.EventStatus), closed.Type, "the visitor is told the chat was closed")
	ada.expect(func(f wire.ServerFrame) bool {
		return f.ConversationID == moving.ID && f.Conversation != nil && f.Conversation.AgentID == "bob"
	})
	ada.expect(func(f wire.ServerFrame) bool {
		return f.Type == wire.FrameConversations && slices.ContainsFunc(f.Open, func(c chat.ConversationInfo) bool { return c.ID == hl.ID() })
	})
	require.NoError(t, visitor.err(), "the visitor's connection stayed open")
	require.NoError(t, ada.err(), "the agent's connection stayed open")
}
