package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// staffHeader carries the demo's staff login.
var staffHeader = http.Header{"Authorization": {"Basic b2xnYTpkZW1v"}}

// dialAs connects to the chat at url with the request header (a browser's
// cookies, a staff login) and says hello, like the widget on a page of the
// shop.
func dialAs(t *testing.T, ctx context.Context, url string, header http.Header) (*wsClient, wire.ServerFrame) {
	t.Helper()
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
	require.NoError(t, err)
	t.Cleanup(func() { conn.CloseNow() })
	c := &wsClient{t: t, ctx: ctx, conn: conn}
	c.send(wire.ClientFrame{Type: wire.FrameHello, V: wire.ProtocolVersion})
	return c, c.expect("the welcome", func(f wire.ServerFrame) bool { return f.Type == wire.FrameWelcome })
}

// answer sends f with request id and returns the answer, error or not.
func (c *wsClient) answer(id string, f wire.ClientFrame) wire.ServerFrame {
	c.t.Helper()
	f.ID = id
	c.send(f)
	for {
		_, data, err := c.conn.Read(c.ctx)
		require.NoError(c.t, err, "waiting for the answer to %s", f.Type)
		var got wire.ServerFrame
		require.NoError(c.t, json.Unmarshal(data, &got))
		if got.ID == id {
			return got
		}
	}
}

// startDemo starts the shop and returns its address, that of its
// WebSockets, and a context for the test's waits.
func startDemo(t *testing.T) (base, ws string, ctx context.Context) {
	t.Helper()
	base = startShop(t, config{})
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	t.Cleanup(cancel)
	return base, "ws" + strings.TrimPrefix(base, "http"), ctx
}

// loggedIn logs Anna in with a browser and returns it with the cookies
// it sends, which identify her to the chat.
func loggedIn(t *testing.T, base string) (*http.Client, http.Header) {
	t.Helper()
	c := browser(t)
	status, _ := post(t, c, base+"/login", url.Values{"email": {"anna@example.com"}, "password": {"demo"}})
	require.Equal(t, http.StatusOK, status)
	return c, cookies(c, base)
}

// TestDeclinedCardInvites: a declined card at checkout invites the
// customer to chat, live on their widget's connection, once per visit,
// and agents see why.
func TestDeclinedCardInvites(t *testing.T) {
	base, ws, ctx := startDemo(t)
	anna, session := loggedIn(t, base)
	agent, _ := dialAs(t, ctx, ws+"/staff/chat/ws", staffHeader)
	widget, welcome := dialAs(t, ctx, ws+"/chat/ws", session)
	agent.expect("the customer on the list", func(f wire.ServerFrame) bool {
		return f.Type == wire.FrameVisitor && f.VisitorID == welcome.Visitor.ID
	})

	status, body := post(t, anna, base+"/checkout/card", nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "Your card was declined.")
	inv := widget.expect("the invitation", func(f wire.ServerFrame) bool { return f.Type == wire.FrameInvite })
	assert.Equal(t, "Your card was declined. Can we help?", inv.Body)
	agent.expect("the invitation with its reason", func(f wire.ServerFrame) bool {
		return f.Type == wire.FrameVisitor && f.State != nil && len(f.State.Invitations) == 1 && f.State.Invitations[0].Rule == "shop:payment_declined"
	})

	started := widget.answer("accept", wire.ClientFrame{Type: wire.FrameInviteReply, InvitationID: inv.InvitationID, Accept: true})
	require.Equal(t, wire.FrameStarted, started.Type)
	// The messages come before the answer to the sync.
	agent.send(wire.ClientFrame{Type: wire.FrameSync, ID: "sync", ConversationID: started.ConversationID})
	note := agent.expect("the note that says why", func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.Message != nil && f.Message.Internal
	})
	assert.Equal(t, "Started by the shop after: payment_declined", note.Message.Body)

	// A second decline in the same visit does not invite again.
	status, _ = post(t, anna, base+"/checkout/card", nil)
	assert.Equal(t, http.StatusOK, status)
}

// TestActionsRunShopCode runs the demo's actions from the console's
// side of the protocol: a product card the customer adds to the cart
// from, a coupon with quick replies, a parcel lookup for agents only,
// and the permission check that keeps anonymous visitors' orders safe.
func TestActionsRunShopCode(t *testing.T) {
	base, ws, ctx := startDemo(t)
	anna, session := loggedIn(t, base)
	agent, aw := dialAs(t, ctx, ws+"/staff/chat/ws", staffHeader)
	var names []string
	for _, a := range aw.Actions {
		names = append(names, a.Name)
	}
	assert.Equal(t, []string{"send-product", "apply-coupon", "resend-confirmation", "parcel-status"}, names)

	widget, _ := dialAs(t, ctx, ws+"/chat/ws", session)
	started := widget.answer("start", wire.ClientFrame{Type: wire.FrameStart})
	require.Equal(t, wire.FrameStarted, started.Type)
	conv := started.ConversationID
	run := func(id, action, input string) wire.ServerFrame {
		return agent.answer(id, wire.ClientFrame{Type: wire.FrameAction, ConversationID: conv, Action: action, Input: input, Key: id})
	}

	require.Equal(t, wire.FrameAck, run("a1", "send-product", "oak").Type)
	card := widget.expect("the product card", func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.Message != nil && f.Message.Card != nil
	})
	assert.Equal(t, chat.ProductCard{ProductID: "oak-board", Name: "Oak cutting board", Price: chat.Money{Amount: 4900, Currency: "EUR"},
		URL: "/p/oak-board", AddToCart: "/cart/add"}, *card.Message.Card)
	// What the widget's button does: post the product to the shop's cart.
	status, body := post(t, anna, base+card.Message.Card.AddToCart, url.Values{"product_id": {card.Message.Card.ProductID}, "quantity": {"1"}})
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "Oak cutting board", "the card's product is in the cart")

	require.Equal(t, wire.FrameAck, run("a2", "apply-coupon", "welcome10").Type)
	coupon := widget.expect("the coupon's answer", func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.Message != nil && len(f.Message.QuickReplies) > 0
	})
	assert.Equal(t, []string{"That's all, thanks!", "When will it arrive?"}, coupon.Message.QuickReplies)
	refused := run("a3", "apply-coupon", "FREE100")
	require.Equal(t, wire.FrameError, refused.Type)
	assert.Equal(t, wire.CodeActionFailed, refused.Error.Code)
	assert.Equal(t, `No coupon "FREE100"`, refused.Error.Message)

	require.Equal(t, wire.FrameAck, run("a4", "parcel-status", "1043").Type)
	require.Equal(t, wire.FrameAck, run("a5", "resend-confirmation", "").Type)
	resent := widget.expect("the confirmation note", func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.Message != nil && strings.HasPrefix(f.Message.Body, "I have sent the confirmation")
	})
	assert.Equal(t, "I have sent the confirmation of order 1043 to anna@example.com again.", resent.Message.Body,
		"an empty number means the latest order")

	// An anonymous visitor's word is no proof of whose order it is.
	stranger, _ := dialAs(t, ctx, ws+"/chat/ws", nil)
	other := stranger.answer("start", wire.ClientFrame{Type: wire.FrameStart})
	denied := agent.answer("a6", wire.ClientFrame{Type: wire.FrameAction, ConversationID: other.ConversationID, Action: "parcel-status", Key: "a6"})
	require.Equal(t, wire.FrameError, denied.Type)
	assert.Equal(t, wire.CodeForbidden, denied.Error.Code)
}
