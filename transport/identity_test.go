package transport_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// signIdentity signs the identity of a logged-in customer, valid for an
// hour.
func signIdentity(t *testing.T, customerID, name string) string {
	t.Helper()
	token, err := transport.SignIdentity(testSecret, transport.Identity{CustomerID: customerID, Name: name, Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	return token
}

// On a shared browser the widget keeps the visitor token of the customer
// who chatted there. When that customer logs out, or another customer logs
// in, the hello carries the old token with no identity or another one: it
// gets a new visitor, who reaches none of the customer's conversations.
func TestIdentityChangeStartsANewVisitor(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		for _, tc := range []struct {
			test     string
			identity string
			customer string
			name     string
		}{
			{"another customer logs in", signIdentity(t, "c-bob", "Bob"), "c-bob", "Bob"},
			{"the customer logs out", "", "", ""},
		} {
			t.Run(tc.test, func(t *testing.T) {
				h := newHarness(t)
				anna := h.visitor(k, clientOptions{identity: signIdentity(t, "c-anna", "Anna")})
				conv := anna.start("")
				anna.say(conv, "deliver to 1 Elm Street")
				anna.close()

				next := h.visitor(k, clientOptions{token: anna.welcome.Token, identity: tc.identity})
				assert.NotEqual(t, anna.welcome.Visitor.ID, next.welcome.Visitor.ID, "a new visitor")
				assert.NotEqual(t, anna.welcome.Token, next.welcome.Token, "with a token of their own")
				assert.Equal(t, tc.customer, next.welcome.Visitor.CustomerID)
				assert.Equal(t, tc.name, next.welcome.Visitor.Name, "nothing of the customer's comes along")
				assert.Empty(t, next.welcome.Open, "the welcome lists none of the customer's conversations")
				assertUnreachable(t, next, conv.ID)

				again := h.visitor(k, clientOptions{token: next.welcome.Token, identity: tc.identity})
				assert.Equal(t, next.welcome.Visitor.ID, again.welcome.Visitor.ID, "the new token brings the new visitor back")

				// A tab the customer still has open, with their token and
				// identity, goes on as the customer.
				back := h.visitor(k, clientOptions{token: anna.welcome.Token, identity: signIdentity(t, "c-anna", "Anna")})
				assert.Equal(t, anna.welcome.Visitor.ID, back.welcome.Visitor.ID)
				require.Len(t, back.welcome.Open, 1)
				assert.Equal(t, conv.ID, back.welcome.Open[0].ID)
				stored, err := h.store.Visitor(t.Context(), anna.welcome.Visitor.ID)
				require.NoError(t, err)
				assert.Equal(t, "c-anna", stored.CustomerID, "the customer's visitor is left as it was")
				assert.Equal(t, "Anna", stored.Name)
			})
		}
	})
}

// An anonymous visitor who logs in mid-visit stays the same visitor, with
// their conversation; so does a customer whose page brings a fresh
// identity. An expired identity is refused, as always.
func TestLoggingInKeepsTheVisitor(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		v := h.visitor(k)
		conv := v.start("")
		v.say(conv, "is the kettle in stock?")
		v.close()

		anna := h.visitor(k, clientOptions{token: v.welcome.Token, identity: signIdentity(t, "c-anna", "Anna")})
		assert.Equal(t, v.welcome.Visitor.ID, anna.welcome.Visitor.ID, "logging in keeps the visitor")
		assert.Equal(t, "c-anna", anna.welcome.Visitor.CustomerID)
		require.Len(t, anna.welcome.Open, 1, "and their conversation")
		assert.Equal(t, conv.ID, anna.welcome.Open[0].ID)
		anna.mustRequest(wire.ClientFrame{Type: wire.FrameSync, ConversationID: conv.ID})
		got := visitorMessages(anna.messages(conv, int(anna.welcome.Open[0].LastSeq)))
		require.NotEmpty(t, got)
		assert.Equal(t, "is the kettle in stock?", got[0].Body)
		anna.close()

		next := h.visitor(k, clientOptions{token: anna.welcome.Token, identity: signIdentity(t, "c-anna", "Anna K.")})
		assert.Equal(t, v.welcome.Visitor.ID, next.welcome.Visitor.ID, "the same customer on the next page is the same visitor")
		assert.Equal(t, "Anna K.", next.welcome.Visitor.Name)

		expired, err := transport.SignIdentity(testSecret, transport.Identity{CustomerID: "c-anna", Expires: time.Now().Add(-time.Second)})
		require.NoError(t, err)
		_, err = h.dial(k, clientOptions{token: anna.welcome.Token, identity: expired})
		assert.Equal(t, wire.CodeTokenExpired, errorCode(err), "%v", err)
		stored, err := h.store.Visitor(t.Context(), v.welcome.Visitor.ID)
		require.NoError(t, err)
		assert.Equal(t, "Anna K.", stored.Name, "a refused hello changes nothing")
	})
}
