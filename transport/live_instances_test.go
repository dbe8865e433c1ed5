package transport_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/broker/redisbroker"
	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/internal/pgtest"
	"github.com/parleychat/parley/store/postgres"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// instanceLease is the presence lease time of the instances in these
// tests: short, so that a stopped instance's visitors drop off soon,
// yet three renewals long, so that a renewal late under the race detector
// on a loaded machine does not drop a visitor who is still there.
const instanceLease = 3 * time.Second

// cluster is several instances of one shop, each a Desk and a Server on a
// real listener, with a store of its own on one database and a broker
// between them.
type cluster struct {
	t         *testing.T
	newStore  func() chat.Store
	broker    func() chat.Broker
	configure []func(*transport.Config)
}

// add starts one more instance.
func (c *cluster) add() *harness {
	c.t.Helper()
	return newHarnessWithDesk(c.t, chat.Config{Store: c.newStore(), Broker: c.broker(), AgentLeaseTTL: instanceLease}, c.configure...)
}

// forClusters runs test on instances sharing an SQLite file and a
// LocalBroker; sharing a PostgreSQL schema when PARLEY_TEST_POSTGRES is
// set; and over Redis when PARLEY_TEST_REDIS is set.
func forClusters(t *testing.T, test func(t *testing.T, c *cluster)) {
	sqlite := func(t *testing.T) func() chat.Store {
		path := filepath.Join(t.TempDir(), "shop.db")
		return func() chat.Store {
			s, err := sqlite.Open(context.Background(), path, sqlstore.Config{})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close(context.Background()) })
			return s
		}
	}
	local := func() func() chat.Broker {
		b := &chat.LocalBroker{}
		return func() chat.Broker { return b }
	}
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		test(t, &cluster{t: t, newStore: sqlite(t), broker: local()})
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		dsn := pgtest.Schema(t, "live_")
		test(t, &cluster{t: t, broker: local(), newStore: func() chat.Store {
			db, err := sql.Open("pgx", dsn)
			require.NoError(t, err)
			db.SetMaxOpenConns(4)
			s, err := postgres.Open(context.Background(), db, sqlstore.Config{})
			require.NoError(t, err)
			t.Cleanup(func() {
				_ = s.Close(context.Background())
				_ = db.Close()
			})
			return s
		}})
	})
	t.Run("Redis", func(t *testing.T) {
		t.Parallel()
		url := os.Getenv("PARLEY_TEST_REDIS")
		if url == "" {
			t.Skip("PARLEY_TEST_REDIS is not set (e.g. redis://127.0.0.1:6379/0)")
		}
		prefix := "live-" + uuid.NewString()
		test(t, &cluster{t: t, newStore: sqlite(t), broker: func() chat.Broker {
			b, err := redisbroker.New(redisbroker.Config{URL: url, Prefix: prefix})
			require.NoError(t, err)
			t.Cleanup(func() { _ = b.Close(context.Background()) })
			return b
		}})
	})
}

// TestLiveListAcrossInstances checks that every console lists every
// visitor, whichever instance each is connected to: with their pages and
// time on site, from the start on an instance started later, and until
// they leave.
func TestLiveListAcrossInstances(t *testing.T) {
	forClusters(t, func(t *testing.T, c *cluster) {
		c.configure = append(c.configure, func(cfg *transport.Config) { cfg.VisitorGracePeriod = -1 })
		a, b := c.add(), c.add()
		olga := a.agent(ws, "olga")
		v := b.visitor(ws)
		id := v.welcome.Visitor.ID
		v.page("https://shop.example.com/p/city-bike")
		st := olga.expectVisitor(id, func(st wire.VisitorState) bool { return len(st.Pages) == 1 })
		assert.Equal(t, "https://shop.example.com/p/city-bike", st.Pages[0].URL, "the console on A sees the page opened on B")
		require.NotNil(t, st.Page)
		assert.WithinDuration(t, time.Now(), st.OnlineSince, time.Minute, "with the time on site")

		v.page("https://shop.example.com/cart")
		olga.expectVisitor(id, func(st wire.VisitorState) bool {
			return len(st.Pages) == 2 && st.Page.URL == "https://shop.example.com/cart"
		})
		piotr := a.agent(ws, "piotr")
		listedSt, ok := listed(piotr.welcome, id)
		require.True(t, ok, "a console that connects later lists the visitor of the other instance")
		assert.Len(t, listedSt.Pages, 2)

		late := c.add() // knows nothing yet: it reads who is on the site from the store
		anna := late.agent(ws, "anna")
		got, ok := listed(anna.welcome, id)
		if !ok || len(got.Pages) != 2 {
			got = anna.expectVisitor(id, func(st wire.VisitorState) bool { return len(st.Pages) == 2 })
		}
		assert.Equal(t, st.OnlineSince, got.OnlineSince, "every instance counts the time on site from the same start")

		v.close()
		for _, agent := range []*client{olga, anna} {
			agent.expect(func(f wire.ServerFrame) bool { return f.Type == wire.FrameVisitorLeft && f.VisitorID == id })
		}
	})
}

// TestAgentChatsWithVisitorOnAnotherInstance starts a chat from a console
// on one instance with a visitor connected to another, and they talk.
func TestAgentChatsWithVisitorOnAnotherInstance(t *testing.T) {
	forClusters(t, func(t *testing.T, c *cluster) {
		a, b := c.add(), c.add()
		olga := a.agent(ws, "olga")
		v := b.visitor(ws)
		id := v.welcome.Visitor.ID
		olga.expectVisitor(id, func(wire.VisitorState) bool { return true })

		started := olga.mustRequest(wire.ClientFrame{Type: wire.FrameStart, VisitorID: id})
		require.Equal(t, wire.FrameStarted, started.Type)
		conv := *started.Conversation
		olga.say(conv, "Hello from the bike shop, can I help?")
		got := v.messages(conv, 1)
		assert.Equal(t, "Hello from the bike shop, can I help?", got[0].Body, "the visitor on B gets the agent's message from A")
		v.say(conv, "Yes, which size?")
		heard := olga.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventMessage) && f.ConversationID == conv.ID && f.Message.Author.Kind == chat.AuthorVisitor
		})
		assert.Equal(t, "Yes, which size?", heard.Message.Body)
		olga.expectVisitor(id, func(st wire.VisitorState) bool { return st.ConversationID == conv.ID })
	})
}

// TestInvitationsAcrossInstances checks that a rule invites a visitor once
// per visit whichever instances their pages reach, at once or one after
// the other, and after an instance restarts; that a dismissal on one
// instance holds on the others; and that an invitation made on one
// instance is accepted on another.
func TestInvitationsAcrossInstances(t *testing.T) {
	forClusters(t, func(t *testing.T, c *cluster) {
		c.configure = append(c.configure, func(cfg *transport.Config) {
			cfg.VisitorGracePeriod = -1
			cfg.Invitations = []transport.InvitationRule{{Name: "bikes", Message: "Which bike are you after?", Path: "/p/*"}}
		})
		a, b := c.add(), c.add()
		bob := b.agent(ws, "bob")

		// Two tabs on two instances open a product page at once.
		tabA := a.visitor(ws)
		id := tabA.welcome.Visitor.ID
		tabB := b.visitor(ws, clientOptions{token: tabA.welcome.Token})
		var wg sync.WaitGroup
		for _, tab := range []*client{tabA, tabB} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tab.send(wire.ClientFrame{Type: wire.FramePage, URL: "https://shop.example.com/p/city-bike"})
			}()
		}
		wg.Wait()
		inv := tabA.expect(isInvite)
		assert.Equal(t, inv.InvitationID, tabB.expect(isInvite).InvitationID, "both tabs show the one invitation")
		stored, err := a.store.Visit(t.Context(), id)
		require.NoError(t, err)
		require.Len(t, stored.Invitations, 1, "two instances trying the rule at once invite once")

		// Dismissed on A: B's console sees it, and B does not show it again.
		tabA.mustRequest(wire.ClientFrame{Type: wire.FrameInviteReply, InvitationID: inv.InvitationID})
		bob.expectVisitor(id, func(st wire.VisitorState) bool {
			got, _ := invitationOf(st, inv.InvitationID)
			return got.Status == chat.InvitationDismissed
		})
		tabA.close()
		tabB.close()
		bob.expect(func(f wire.ServerFrame) bool { return f.Type == wire.FrameVisitorLeft && f.VisitorID == id })
		next := b.visitor(ws, clientOptions{token: tabA.welcome.Token})
		next.page("https://shop.example.com/p/cargo-bike")
		next.noInviteYet()
		next.close()

		// A restarted instance knows the visit too.
		require.NoError(t, a.srv.Shutdown(t.Context()))
		restarted := c.add()
		again := restarted.visitor(ws, clientOptions{token: tabA.welcome.Token})
		again.page("https://shop.example.com/p/kids-bike")
		again.noInviteYet()
		again.close()

		// Made on one instance, accepted on the other.
		onA := restarted.visitor(ws)
		other := onA.welcome.Visitor.ID
		onB := b.visitor(ws, clientOptions{token: onA.welcome.Token})
		onA.page("https://shop.example.com/p/city-bike")
		made := onA.expect(isInvite)
		require.Equal(t, made.InvitationID, onB.expect(isInvite).InvitationID, "the other instance shows it too")
		accepted := onB.mustRequest(wire.ClientFrame{Type: wire.FrameInviteReply, InvitationID: made.InvitationID, Accept: true})
		require.Equal(t, wire.FrameStarted, accepted.Type)
		first := onB.messages(*accepted.Conversation, 1)
		assert.Equal(t, "Which bike are you after?", first[0].Body, "the invitation opens the conversation")
		bob.expectVisitor(other, func(st wire.VisitorState) bool {
			got, _ := invitationOf(st, made.InvitationID)
			return got.Status == chat.InvitationAccepted && st.ConversationID == accepted.ConversationID
		})
		again2 := onA.mustRequest(wire.ClientFrame{Type: wire.FrameInviteReply, InvitationID: made.InvitationID, Accept: true})
		assert.Equal(t, accepted.ConversationID, again2.ConversationID, "accepting again on the first instance finds the same conversation")
	})
}

// TestVisitorOfStoppedInstanceDrops stops an instance without a goodbye:
// its visitor drops off the other instances' lists within the lease time.
func TestVisitorOfStoppedInstanceDrops(t *testing.T) {
	forClusters(t, func(t *testing.T, c *cluster) {
		c.configure = append(c.configure, func(cfg *transport.Config) { cfg.VisitorGracePeriod = time.Hour })
		a, b := c.add(), c.add()
		olga := a.agent(ws, "olga")
		v := b.visitor(ws)
		id := v.welcome.Visitor.ID
		olga.expectVisitor(id, func(wire.VisitorState) bool { return true })

		stopped := time.Now()
		require.NoError(t, b.srv.Shutdown(t.Context()), "the instance stops: its leases are not renewed, nor released")
		olga.expect(func(f wire.ServerFrame) bool { return f.Type == wire.FrameVisitorLeft && f.VisitorID == id })
		took := time.Since(stopped)
		t.Logf("the visitor dropped off %v after their instance stopped (lease time %v)", took, instanceLease)
		assert.Less(t, took, instanceLease+instanceLease/2, "within the lease time, give or take the scheduling")
	})
}
