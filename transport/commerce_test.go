package transport_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// testShop is a shop's customers and carts, as its CustomerSource and
// CartSource tell them.
type testShop struct {
	mu    sync.Mutex
	carts map[string]*chat.Cart // by customer id
}

func newTestShop() *testShop { return &testShop{carts: make(map[string]*chat.Cart)} }

func (s *testShop) Customer(_ context.Context, v chat.Visitor) (*chat.Customer, error) {
	if v.CustomerID == "" {
		return nil, nil
	}
	return &chat.Customer{ID: v.CustomerID, Name: v.Name, AdminURL: "https://admin.example.com/customers/" + v.CustomerID,
		Orders: []chat.Order{{Number: "1043", PlacedAt: time.Date(2026, 11, 30, 14, 5, 0, 0, time.UTC),
			Total: chat.Money{Amount: 3490, Currency: "EUR"}, Status: "shipped", AdminURL: "https://admin.example.com/orders/1043"}}}, nil
}

func (s *testShop) Cart(_ context.Context, v chat.Visitor) (*chat.Cart, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.carts[v.CustomerID], nil
}

func (s *testShop) setCart(customerID string, amount int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.carts[customerID] = &chat.Cart{Items: []chat.CartItem{{Name: "Oak board", Quantity: 1, Total: chat.Money{Amount: amount, Currency: "EUR"}}},
		Value: chat.Money{Amount: amount, Currency: "EUR"}}
}

// newShopHarness serves a Desk over an SQLite file that asks shop about
// customers and carts.
func newShopHarness(t *testing.T, shop *testShop, configure ...func(*transport.Config)) *harness {
	t.Helper()
	return newHarnessWithDesk(t, chat.Config{Store: sqliteFile(t), Customers: shop, Carts: shop}, configure...)
}

// TestShopContextOnTheList: agents see the customer, their orders and
// their cart as the shop's sources tell, read again on every page and on
// a cart frame, and an invitation rule on the cart's value fires once the
// cart is large.
func TestShopContextOnTheList(t *testing.T) {
	t.Parallel()
	shop := newTestShop()
	shop.setCart("c-anna", 990)
	h := newShopHarness(t, shop, func(c *transport.Config) {
		c.InvitationInterval = 5 * time.Millisecond
		c.Invitations = []transport.InvitationRule{{Name: "big-cart", Message: "Ordering for a restaurant? Ask about our trade prices.",
			MinCartValue: chat.Money{Amount: 20000, Currency: "EUR"}}}
	})
	agent := h.agent(ws, "olga")
	v := h.visitor(ws, clientOptions{identity: signIdentity(t, "c-anna", "Anna Kowalska")})
	id := v.welcome.Visitor.ID
	st := agent.expectVisitor(id, func(st wire.VisitorState) bool { return st.Shop != nil })
	require.NotNil(t, st.Shop.Customer)
	assert.Equal(t, "Anna Kowalska", st.Shop.Customer.Name)
	require.Len(t, st.Shop.Customer.Orders, 1)
	assert.Equal(t, "1043", st.Shop.Customer.Orders[0].Number)
	assert.Equal(t, chat.Money{Amount: 3490, Currency: "EUR"}, st.Shop.Customer.Orders[0].Total)
	require.NotNil(t, st.Shop.Cart)
	assert.Equal(t, int64(990), st.Shop.Cart.Value.Amount)
	v.noInviteYet()

	shop.setCart("c-anna", 24500)
	v.page("https://shop.example.com/cart")
	agent.expectVisitor(id, func(st wire.VisitorState) bool {
		return st.Shop != nil && st.Shop.Cart != nil && st.Shop.Cart.Value.Amount == 24500
	})
	inv := v.expect(isInvite)
	assert.Equal(t, "Ordering for a restaurant? Ask about our trade prices.", inv.Body, "the cart rule fires once the cart is large")

	// A product added from the chat changes the cart without a page.
	shop.setCart("c-anna", 30000)
	v.mustRequest(wire.ClientFrame{Type: wire.FrameCart})
	agent.expectVisitor(id, func(st wire.VisitorState) bool {
		return st.Shop != nil && st.Shop.Cart != nil && st.Shop.Cart.Value.Amount == 30000
	})
	r := agent.request(wire.ClientFrame{Type: wire.FrameCart})
	assert.Equal(t, wire.CodeUnknownType, r.Error.Code, "cart is a visitor's frame")
}

// triggerRefusal returns why a trigger was refused, or "".
func triggerRefusal(t *testing.T, err error) string {
	t.Helper()
	var le *transport.TriggerLimitError
	if !errors.As(err, &le) {
		require.NoError(t, err)
		return ""
	}
	assert.ErrorIs(t, err, transport.ErrTriggerLimited)
	return le.Why
}

// TestTrigger follows the shop's triggers to one customer: an invitation
// shown live and seen by agents with its reason; the limits that refuse
// a repeat, a second while one is pending, and more while chatting; and
// an Open trigger that starts the conversation with a note for agents.
func TestTrigger(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		ctx := t.Context()
		h := newShopHarness(t, newTestShop(), func(c *transport.Config) { c.VisitorGracePeriod = time.Hour })
		agent := h.agent(k, "olga")
		v := h.visitor(k, clientOptions{identity: signIdentity(t, "c-anna", "Anna Kowalska")})
		id := v.welcome.Visitor.ID
		agent.expectVisitor(id, func(wire.VisitorState) bool { return true })

		_, err := h.srv.Trigger(ctx, transport.Trigger{CustomerID: "c-nobody", Reason: transport.ReasonPaymentDeclined, Message: "Hi"})
		assert.ErrorIs(t, err, transport.ErrNotOnSite, "a customer who is not on the site")
		_, err = h.srv.Trigger(ctx, transport.Trigger{CustomerID: "c-anna", Reason: "payment declined", Message: "Hi"})
		assert.ErrorIs(t, err, chat.ErrInvalid, "a reason with a space")
		_, err = h.srv.Trigger(ctx, transport.Trigger{CustomerID: "c-anna", Reason: transport.ReasonPaymentDeclined})
		assert.ErrorIs(t, err, chat.ErrInvalid, "no message")

		res, err := h.srv.Trigger(ctx, transport.Trigger{CustomerID: "c-anna", Reason: transport.ReasonPaymentDeclined,
			Message: "Your card was declined. Can we help?"})
		require.NoError(t, err)
		assert.Equal(t, id, res.VisitorID)
		inv := v.expect(isInvite)
		assert.Equal(t, res.InvitationID, inv.InvitationID)
		assert.Equal(t, "Your card was declined. Can we help?", inv.Body)
		st := agent.expectVisitor(id, func(st wire.VisitorState) bool { return len(st.Invitations) == 1 })
		assert.Equal(t, "shop:payment_declined", st.Invitations[0].Rule, "agents see the reason")

		assert.Equal(t, "reason", triggerRefusal(t, func() error {
			_, err := h.srv.Trigger(ctx, transport.Trigger{VisitorID: id, Reason: transport.ReasonPaymentDeclined, Message: "Again?"})
			return err
		}()), "one trigger per reason and visit")
		assert.Equal(t, "pending", triggerRefusal(t, func() error {
			_, err := h.srv.Trigger(ctx, transport.Trigger{VisitorID: id, Reason: transport.ReasonOutOfStock, Message: "Sold out"})
			return err
		}()), "none while an invitation waits for an answer")

		v.mustRequest(wire.ClientFrame{Type: wire.FrameInviteReply, InvitationID: inv.InvitationID})
		open, err := h.srv.Trigger(ctx, transport.Trigger{VisitorID: id, Reason: transport.ReasonCheckoutError, Open: true,
			Message: "Something went wrong at checkout. We are here to help."})
		require.NoError(t, err)
		require.NotEqual(t, uuid.Nil, open.ConversationID)
		started := v.expect(func(f wire.ServerFrame) bool {
			return f.Conversation != nil && f.Conversation.ID == open.ConversationID
		})
		assert.Equal(t, id, started.Conversation.VisitorID, "the visitor is shown the conversation the shop opened")
		all, err := h.store.Messages(ctx, open.ConversationID, chat.MessageQuery{})
		require.NoError(t, err)
		require.Len(t, all, 2)
		assert.Equal(t, "Something went wrong at checkout. We are here to help.", all[0].Body)
		assert.True(t, all[1].Internal, "the reason is a note for agents")
		assert.Equal(t, "Started by the shop after: checkout_error", all[1].Body)

		assert.Equal(t, "chatting", triggerRefusal(t, func() error {
			_, err := h.srv.Trigger(ctx, transport.Trigger{VisitorID: id, Reason: transport.ReasonCartIdle, Message: "Still there?"})
			return err
		}()), "none while the visitor chats")
	})
}

// TestTriggersPerVisit: however many reasons the shop's code makes up, a
// visit takes MaxTriggersPerVisit of them.
func TestTriggersPerVisit(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	h := newShopHarness(t, newTestShop())
	agent := h.agent(ws, "olga")
	v := h.visitor(ws)
	id := v.welcome.Visitor.ID
	agent.expectVisitor(id, func(wire.VisitorState) bool { return true })
	for i := range transport.MaxTriggersPerVisit + 2 {
		_, err := h.srv.Trigger(ctx, transport.Trigger{VisitorID: id, Reason: fmt.Sprint("loop-", i), Message: "Hello again"})
		if i >= transport.MaxTriggersPerVisit {
			assert.Equal(t, "visit", triggerRefusal(t, err), "trigger %d", i)
			continue
		}
		require.NoError(t, err, "trigger %d", i)
		inv := v.expect(isInvite)
		v.mustRequest(wire.ClientFrame{Type: wire.FrameInviteReply, InvitationID: inv.InvitationID})
	}
}

// noCustomerLinks is a Store that keeps no customer links (it is not a
// chat.CustomerStore): each device of a customer is a visitor of its own.
type noCustomerLinks struct{ chat.Store }

// TestTriggerCustomerOnTwoDevices: a trigger for a customer on the site
// on two devices that are two visitors (the store keeps no customer links)
// reaches the one active last.
func TestTriggerCustomerOnTwoDevices(t *testing.T) {
	t.Parallel()
	shop := newTestShop()
	h := newHarnessWithDesk(t, chat.Config{Store: noCustomerLinks{sqliteFile(t)}, Customers: shop, Carts: shop})
	agent := h.agent(ws, "olga")
	phone := h.visitor(ws, clientOptions{identity: signIdentity(t, "c-anna", "Anna")})
	laptop := h.visitor(ws, clientOptions{identity: signIdentity(t, "c-anna", "Anna")})
	require.NotEqual(t, phone.welcome.Visitor.ID, laptop.welcome.Visitor.ID)
	for _, v := range []*client{phone, laptop} {
		agent.expectVisitor(v.welcome.Visitor.ID, func(wire.VisitorState) bool { return true })
	}
	laptop.page("https://shop.example.com/checkout")
	phone.page("https://shop.example.com/cart")
	res, err := h.srv.Trigger(t.Context(), transport.Trigger{CustomerID: "c-anna", Reason: transport.ReasonCartIdle, Message: "Still deciding?"})
	require.NoError(t, err)
	assert.Equal(t, phone.welcome.Visitor.ID, res.VisitorID, "the device used last")
	phone.expect(isInvite)
	laptop.noInviteYet()
}

// TestTriggerCustomerOneVisitor: with customer links a customer's two
// devices are one visitor, and a trigger for the customer shows on both.
func TestTriggerCustomerOneVisitor(t *testing.T) {
	t.Parallel()
	h := newShopHarness(t, newTestShop())
	agent := h.agent(ws, "olga")
	phone := h.visitor(ws, clientOptions{identity: signIdentity(t, "c-anna", "Anna")})
	laptop := h.visitor(ws, clientOptions{identity: signIdentity(t, "c-anna", "Anna")})
	require.Equal(t, phone.welcome.Visitor.ID, laptop.welcome.Visitor.ID)
	agent.expectVisitor(phone.welcome.Visitor.ID, func(wire.VisitorState) bool { return true })
	res, err := h.srv.Trigger(t.Context(), transport.Trigger{CustomerID: "c-anna", Reason: transport.ReasonCartIdle, Message: "Still deciding?"})
	require.NoError(t, err)
	assert.Equal(t, phone.welcome.Visitor.ID, res.VisitorID)
	phone.expect(isInvite)
	laptop.expect(isInvite)
}

// TestTriggerAcrossInstances: the shop's code on one instance reaches a
// visitor connected to another, live, and the limits hold across them.
func TestTriggerAcrossInstances(t *testing.T) {
	forClusters(t, func(t *testing.T, c *cluster) {
		ctx := t.Context()
		a, b := c.add(), c.add()
		olga := a.agent(ws, "olga")
		v := b.visitor(ws)
		id := v.welcome.Visitor.ID
		olga.expectVisitor(id, func(wire.VisitorState) bool { return true })
		_, err := a.srv.Trigger(ctx, transport.Trigger{VisitorID: id, Reason: transport.ReasonOutOfStock, Message: "The teapot sold out. Shall we suggest another?"})
		require.NoError(t, err)
		inv := v.expect(isInvite)
		assert.Equal(t, "The teapot sold out. Shall we suggest another?", inv.Body)
		assert.Equal(t, "pending", triggerRefusal(t, func() error {
			_, err := b.srv.Trigger(ctx, transport.Trigger{VisitorID: id, Reason: transport.ReasonCouponRejected, Message: "Coupon?"})
			return err
		}()), "the other instance sees the pending invitation in the store")
		v.mustRequest(wire.ClientFrame{Type: wire.FrameInviteReply, InvitationID: inv.InvitationID})
		assert.Equal(t, "reason", triggerRefusal(t, func() error {
			_, err := b.srv.Trigger(ctx, transport.Trigger{VisitorID: id, Reason: transport.ReasonOutOfStock, Message: "Again"})
			return err
		}()))
	})
}
