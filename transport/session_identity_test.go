package transport_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// shopSession is the test shop's IdentifyVisitor: its session cookie
// names the logged-in customer, and "down" stands for a session store
// that fails.
func shopSession(r *http.Request) (transport.Identity, bool, error) {
	c, err := r.Cookie("shop_session")
	if err != nil || c.Value == "" {
		return transport.Identity{}, false, nil
	}
	if c.Value == "down" {
		return transport.Identity{}, false, errors.New("the session store is down")
	}
	return transport.Identity{CustomerID: "c-" + c.Value, Name: strings.ToUpper(c.Value[:1]) + c.Value[1:], Email: c.Value + "@example.com"}, true, nil
}

// loggedIn is the shop's session cookie of a logged-in customer.
func loggedIn(name string) string { return "shop_session=" + name }

// sqliteFile opens a store on a fresh SQLite file, closed when the test
// ends.
func sqliteFile(t *testing.T) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// sessionHarness serves Parley on an SQLite file, identifying customers
// from the shop's session.
func sessionHarness(t *testing.T, configure ...func(*transport.Config)) *harness {
	t.Helper()
	return newHarnessWithStore(t, sqliteFile(t), append([]func(*transport.Config){func(c *transport.Config) { c.IdentifyVisitor = shopSession }}, configure...)...)
}

// transcript reads every message of a conversation from the store.
func storedMessages(t *testing.T, h *harness, id uuid.UUID) []chat.Message {
	t.Helper()
	ms, err := h.store.Messages(t.Context(), id, chat.MessageQuery{Limit: chat.MaxPageSize})
	require.NoError(t, err)
	return ms
}

// The shop's session identifies the visitor on the server. An anonymous
// visitor who logs in mid-visit keeps their visitor and conversation, and
// the customer on a second device is the same visitor, with the same
// conversation, every message once.
func TestIdentifyVisitorFromSession(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := sessionHarness(t)
		agent := h.agent(k, "olga")
		v := h.visitor(k)
		assert.Empty(t, v.welcome.Visitor.CustomerID, "no session, no customer")
		conv := v.start("")
		v.say(conv, "is the kettle in stock?")
		v.close()

		laptop := h.visitor(k, clientOptions{token: v.welcome.Token, cookie: loggedIn("anna")})
		assert.Equal(t, v.welcome.Visitor.ID, laptop.welcome.Visitor.ID, "logging in keeps the visitor")
		assert.Equal(t, "c-anna", laptop.welcome.Visitor.CustomerID, "identified from the shop's session")
		assert.Equal(t, "Anna", laptop.welcome.Visitor.Name)
		require.Len(t, laptop.welcome.Open, 1, "with their conversation")
		assert.Equal(t, conv.ID, laptop.welcome.Open[0].ID)

		phone := h.visitor(k, clientOptions{cookie: loggedIn("anna")})
		assert.Equal(t, v.welcome.Visitor.ID, phone.welcome.Visitor.ID, "the customer on a second device is the same visitor")
		require.Len(t, phone.welcome.Open, 1, "and sees their open conversation")
		assert.Equal(t, conv.ID, phone.welcome.Open[0].ID)

		laptop.mustRequest(wire.ClientFrame{Type: wire.FrameSync, ConversationID: conv.ID, AfterSeq: conv.LastSeq + 1})
		phone.say(conv, "the blue one")
		got := laptop.messages(conv, 1)
		assert.Equal(t, "the blue one", got[0].Body, "both devices follow the conversation")
		agent.expect(func(f wire.ServerFrame) bool { return f.Message != nil && f.Message.Body == "the blue one" })
		assert.Equal(t, []string{"is the kettle in stock?", "the blue one"}, bodies(visitorMessages(storedMessages(t, h, conv.ID))),
			"no message lost or stored twice")
	})
}

// Identity tokens do not identify anyone when the shop's session does:
// nothing the browser sends makes a visitor a customer. A session store
// that fails refuses the hello rather than let a customer in as nobody.
func TestIdentifyVisitorIgnoresTokens(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := sessionHarness(t)
		v := h.visitor(k, clientOptions{identity: signIdentity(t, "c-anna", "Anna")})
		assert.Empty(t, v.welcome.Visitor.CustomerID, "a signed identity token is not taken")
		assert.Empty(t, v.welcome.Visitor.Name)

		bob := h.visitor(k, clientOptions{identity: signIdentity(t, "c-anna", "Anna"), cookie: loggedIn("bob")})
		assert.Equal(t, "c-bob", bob.welcome.Visitor.CustomerID, "the session decides")

		_, err := h.dial(k, clientOptions{cookie: loggedIn("down")})
		assert.Equal(t, wire.CodeInternal, errorCode(err), "%v", err)
	})
}

// A visitor who chats anonymously on a phone and logs in as a customer who
// is a visitor already (from the laptop) is merged into the customer: the
// phone's conversation, with every message once and in order, becomes the
// customer's, on both devices, and goes on.
func TestLoginMergesIntoTheCustomer(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := sessionHarness(t)
		agent := h.agent(k, "olga")
		laptop := h.visitor(k, clientOptions{cookie: loggedIn("anna")})
		mine := laptop.start("")
		laptop.say(mine, "from the laptop")

		phone := h.visitor(k)
		conv := phone.start("")
		phone.say(conv, "one")
		phone.say(conv, "two")
		agent.expect(func(f wire.ServerFrame) bool { return f.Message != nil && f.Message.Body == "two" })
		before := storedMessages(t, h, conv.ID)
		phone.close()

		in := h.visitor(k, clientOptions{token: phone.welcome.Token, cookie: loggedIn("anna")})
		assert.Equal(t, laptop.welcome.Visitor.ID, in.welcome.Visitor.ID, "the phone is the customer's visitor now")
		assert.NotEqual(t, phone.welcome.Token, in.welcome.Token, "with its token")
		assert.ElementsMatch(t, []uuid.UUID{mine.ID, conv.ID}, ids(in.welcome.Open), "both conversations are the customer's")
		assert.Equal(t, before, storedMessages(t, h, conv.ID), "the merge loses, changes and repeats no message")
		moved, err := h.store.Conversation(t.Context(), conv.ID)
		require.NoError(t, err)
		assert.Equal(t, laptop.welcome.Visitor.ID, moved.VisitorID)

		laptop.mustRequest(wire.ClientFrame{Type: wire.FrameSync, ConversationID: conv.ID, AfterSeq: before[len(before)-1].Seq})
		in.say(conv, "three")
		assert.Equal(t, "three", laptop.messages(conv, 1)[0].Body, "the laptop follows the moved conversation")
		agent.expect(func(f wire.ServerFrame) bool { return f.Message != nil && f.Message.Body == "three" })
		assert.Equal(t, []string{"one", "two", "three"}, bodies(visitorMessages(storedMessages(t, h, conv.ID))), "every message once, in order")

		anon := h.visitor(k, clientOptions{token: phone.welcome.Token})
		assert.Empty(t, anon.welcome.Open, "the phone's old anonymous visitor keeps nothing")
		assertUnreachable(t, anon, conv.ID)
	})
}

// A shared browser: Anna chats logged in and logs out, then Bob logs in.
// The browser keeps Anna's visitor token throughout, but the hellos after
// the logout are someone else's: they reach none of Anna's conversation,
// and nothing of it is sent to them.
func TestSharedBrowserSessions(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := sessionHarness(t)
		agent := h.agent(k, "olga")
		anna := h.visitor(k, clientOptions{cookie: loggedIn("anna")})
		conv := anna.start("")
		anna.say(conv, "deliver to 1 Elm Street")
		agent.expect(func(f wire.ServerFrame) bool { return f.Message != nil && f.Message.Body == "deliver to 1 Elm Street" })
		anna.close()

		out := h.visitor(k, clientOptions{token: anna.welcome.Token})
		assert.NotEqual(t, anna.welcome.Visitor.ID, out.welcome.Visitor.ID, "after the logout the browser is a new visitor")
		assert.Empty(t, out.welcome.Open)
		assertUnreachable(t, out, conv.ID)

		for _, token := range []string{anna.welcome.Token, out.welcome.Token} {
			bob := h.visitor(k, clientOptions{token: token, cookie: loggedIn("bob")})
			assert.Equal(t, "c-bob", bob.welcome.Visitor.CustomerID)
			assert.NotEqual(t, anna.welcome.Visitor.ID, bob.welcome.Visitor.ID, "Bob is not Anna")
			assert.Empty(t, bob.welcome.Open, "Bob's welcome lists none of Anna's conversations")
			assertUnreachable(t, bob, conv.ID)
			agent.mustRequest(wire.ClientFrame{Type: wire.FrameSend, ConversationID: conv.ID, Key: "k-" + token[:8], Body: "It leaves today, Anna."})
			_, leaked := bob.tryExpect(func(f wire.ServerFrame) bool { return f.ConversationID == conv.ID }, 200*time.Millisecond)
			assert.False(t, leaked, "nothing of Anna's conversation reaches Bob")
			bob.close()
		}

		back := h.visitor(k, clientOptions{token: out.welcome.Token, cookie: loggedIn("anna")})
		assert.Equal(t, anna.welcome.Visitor.ID, back.welcome.Visitor.ID, "Anna logging in again on the browser is Anna")
		assert.Equal(t, []uuid.UUID{conv.ID}, ids(back.welcome.Open))
	})
}

// An identity token identifies the customer as the shop's session does: on
// a second browser the customer is the same visitor, with their open
// conversation.
func TestIdentityTokenOnASecondBrowser(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		laptop := h.visitor(k, clientOptions{identity: signIdentity(t, "c-anna", "Anna")})
		conv := laptop.start("")
		laptop.say(conv, "a gift for my sister")

		phone := h.visitor(k, clientOptions{identity: signIdentity(t, "c-anna", "Anna")})
		assert.Equal(t, laptop.welcome.Visitor.ID, phone.welcome.Visitor.ID)
		assert.Equal(t, []uuid.UUID{conv.ID}, ids(phone.welcome.Open))
	})
}

// A customer is one visitor whichever instance each of their devices
// reaches: the link and the merge are in the store, and the merge reaches
// the other instance's connections through the broker.
func TestCustomerAcrossInstances(t *testing.T) {
	forClusters(t, func(t *testing.T, c *cluster) {
		c.configure = append(c.configure, func(cfg *transport.Config) { cfg.IdentifyVisitor = shopSession })
		a, b := c.add(), c.add()
		laptop := a.visitor(ws, clientOptions{cookie: loggedIn("anna")})
		mine := laptop.start("")
		laptop.say(mine, "from the laptop")

		phone := b.visitor(ws)
		conv := phone.start("")
		phone.say(conv, "from the phone")
		phone.close()
		in := b.visitor(ws, clientOptions{token: phone.welcome.Token, cookie: loggedIn("anna")})
		assert.Equal(t, laptop.welcome.Visitor.ID, in.welcome.Visitor.ID, "the visitor the other instance linked")
		assert.ElementsMatch(t, []uuid.UUID{mine.ID, conv.ID}, ids(in.welcome.Open))

		require.Eventually(t, func() bool {
			r := laptop.request(wire.ClientFrame{Type: wire.FrameSync, ConversationID: conv.ID})
			return r.Type != wire.FrameError
		}, wait, 20*time.Millisecond, "the laptop's instance lets the customer's connection reach the moved conversation")
		in.say(conv, "logged in now")
		laptop.expect(func(f wire.ServerFrame) bool { return f.Message != nil && f.Message.Body == "logged in now" })
		assert.Equal(t, []string{"from the phone", "logged in now"}, bodies(visitorMessages(storedMessages(t, a, conv.ID))),
			"every message once")

		tablet := a.visitor(ws, clientOptions{cookie: loggedIn("anna")})
		assert.ElementsMatch(t, []uuid.UUID{mine.ID, conv.ID}, ids(tablet.welcome.Open))
	})
}

// A block of the customer's visitor holds on every device: an anonymous
// visitor who logs in as that customer is refused, and their own chat is
// not merged into the customer's.
func TestLoginChecksTheCustomersVisitor(t *testing.T) {
	h := sessionHarness(t)
	laptop := h.visitor(ws, clientOptions{cookie: loggedIn("anna")})
	laptop.close()
	_, err := h.desk.Block(t.Context(), chat.Block{VisitorID: laptop.welcome.Visitor.ID, Reason: "abuse"})
	require.NoError(t, err)

	phone := h.visitor(ws)
	conv := phone.start("")
	phone.say(conv, "hello")
	phone.close()
	h.requireBlocked(ws, clientOptions{token: phone.welcome.Token, cookie: loggedIn("anna")}, "the customer's visitor is blocked")
	stored, err := h.store.Conversation(t.Context(), conv.ID)
	require.NoError(t, err)
	assert.Equal(t, phone.welcome.Visitor.ID, stored.VisitorID, "nothing was merged")
}
