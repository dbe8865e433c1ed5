package transport_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// teapotCard is the card the tests' action shows.
var teapotCard = chat.ProductCard{ProductID: "enamel-teapot", Name: "Enamel teapot", Price: chat.Money{Amount: 3490, Currency: "EUR"},
	ImageURL: "https://cdn.example.com/teapot.jpg", URL: "https://shop.example.com/p/enamel-teapot", AddToCart: "/cart/add"}

// testActions are a shop's actions: one only olga may run, one that asks
// for input and answers privately, one that fails for the agent to read,
// one that crashes, and one whose card is hostile.
func testActions(ran *atomic.Int32) []transport.Action {
	onlyOlga := func(_ context.Context, req transport.ActionRequest) error {
		if req.Agent.ID != "olga" {
			return errors.New("only olga shows products")
		}
		return nil
	}
	anyone := func(context.Context, transport.ActionRequest) error { return nil }
	return []transport.Action{
		{Name: "show-teapot", Label: "Send the teapot", Allow: onlyOlga, Run: func(_ context.Context, req transport.ActionRequest) (transport.ActionResult, error) {
			ran.Add(1)
			card := teapotCard
			return transport.ActionResult{Body: "This one, " + req.Visitor.Name + "?", Card: &card, QuickReplies: []string{"Yes", "No"}}, nil
		}},
		{Name: "parcel", Label: "Parcel status", Input: "Order number", Allow: anyone, Run: func(_ context.Context, req transport.ActionRequest) (transport.ActionResult, error) {
			if req.Input == "" {
				return transport.ActionResult{}, &transport.ActionError{Message: "Give an order number"}
			}
			return transport.ActionResult{Body: "Order " + req.Input + " is with the courier.", Internal: true}, nil
		}},
		{Name: "crash", Label: "Crash", Allow: anyone, Run: func(context.Context, transport.ActionRequest) (transport.ActionResult, error) {
			return transport.ActionResult{}, errors.New("database password is hunter2")
		}},
		{Name: "hostile", Label: "Hostile", Allow: anyone, Run: func(context.Context, transport.ActionRequest) (transport.ActionResult, error) {
			return transport.ActionResult{Card: &chat.ProductCard{ProductID: "x", Name: "<script>alert(1)</script>", URL: "javascript:alert(1)"}}, nil
		}},
	}
}

// TestActions runs the shop's actions from an agent's connection: the
// welcome lists them, the result is posted into the conversation and
// reaches the visitor with its card and quick replies, a private result
// reaches agents only, and refusals and failures are told apart without
// leaking the shop's errors.
func TestActions(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		var ran atomic.Int32
		h := newShopHarness(t, newTestShop(), func(c *transport.Config) { c.Actions = testActions(&ran) })
		olga := h.agent(k, "olga")
		assert.Equal(t, []wire.Action{{Name: "show-teapot", Label: "Send the teapot"}, {Name: "parcel", Label: "Parcel status", Input: "Order number"},
			{Name: "crash", Label: "Crash"}, {Name: "hostile", Label: "Hostile"}}, olga.welcome.Actions)
		v := h.visitor(k, clientOptions{identity: signIdentity(t, "c-anna", "Anna")})
		conv := v.start("")
		olga.mustRequest(wire.ClientFrame{Type: wire.FrameAssign, ConversationID: conv.ID})
		olga.mustRequest(wire.ClientFrame{Type: wire.FrameSync, ConversationID: conv.ID})

		ack := olga.mustRequest(wire.ClientFrame{Type: wire.FrameAction, ConversationID: conv.ID, Action: "show-teapot", Key: "k1"})
		require.Equal(t, wire.FrameAck, ack.Type)
		got := v.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventMessage) && f.Message != nil && f.Message.Card != nil
		})
		assert.Equal(t, teapotCard, *got.Message.Card, "the visitor gets the card")
		assert.Equal(t, []string{"Yes", "No"}, got.Message.QuickReplies)
		assert.Equal(t, "This one, Anna?", got.Message.Body)
		assert.Equal(t, chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Agent olga"}, got.Message.Author)
		again := olga.mustRequest(wire.ClientFrame{Type: wire.FrameAction, ConversationID: conv.ID, Action: "show-teapot", Key: "k1"})
		assert.Equal(t, ack.MessageID, again.MessageID, "a retried frame posts its result once")

		piotr := h.agent(k, "piotr")
		r := piotr.request(wire.ClientFrame{Type: wire.FrameAction, ConversationID: conv.ID, Action: "show-teapot", Key: "k2"})
		assert.Equal(t, wire.CodeForbidden, r.Error.Code, "the shop's permission check refuses piotr")
		assert.NotContains(t, r.Error.Message, "only olga", "the shop's reason is logged, not sent")

		r = olga.request(wire.ClientFrame{Type: wire.FrameAction, ConversationID: conv.ID, Action: "parcel", Key: "k3"})
		assert.Equal(t, wire.CodeActionFailed, r.Error.Code)
		assert.Equal(t, "Give an order number", r.Error.Message, "an ActionError is for the agent to read")
		olga.mustRequest(wire.ClientFrame{Type: wire.FrameAction, ConversationID: conv.ID, Action: "parcel", Input: "1043", Key: "k4"})
		note := olga.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventMessage) && f.Message != nil && f.Message.Internal
		})
		assert.Equal(t, "Order 1043 is with the courier.", note.Message.Body)

		r = olga.request(wire.ClientFrame{Type: wire.FrameAction, ConversationID: conv.ID, Action: "crash", Key: "k5"})
		assert.Equal(t, wire.CodeActionFailed, r.Error.Code)
		assert.NotContains(t, r.Error.Message, "hunter2", "any other error stays in the log")
		r = olga.request(wire.ClientFrame{Type: wire.FrameAction, ConversationID: conv.ID, Action: "hostile", Key: "k6"})
		assert.Equal(t, wire.CodeActionFailed, r.Error.Code, "a card with a javascript: link is not posted")
		r = olga.request(wire.ClientFrame{Type: wire.FrameAction, ConversationID: conv.ID, Action: "refund-everything", Key: "k7"})
		assert.Equal(t, wire.CodeNotFound, r.Error.Code)
		r = v.request(wire.ClientFrame{Type: wire.FrameAction, ConversationID: conv.ID, Action: "show-teapot", Key: "k8"})
		assert.Equal(t, wire.CodeUnknownType, r.Error.Code, "visitors run no actions")

		ms, err := h.store.Messages(t.Context(), conv.ID, chat.MessageQuery{})
		require.NoError(t, err)
		var bodies []string
		for _, m := range ms {
			bodies = append(bodies, m.Body)
		}
		assert.Equal(t, []string{"This one, Anna?", "Order 1043 is with the courier."}, bodies, "only the two results are posted")
		assert.Equal(t, int32(2), ran.Load(), "the action ran for the frame and its retry, never for piotr")
		_, leaked := v.tryExpect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventMessage) && f.Message != nil && f.Message.Internal
		}, 0)
		assert.False(t, leaked, "the visitor never gets the private result")
	})
}

// TestActionsConfig: actions without a permission check or with clashing
// names are refused when the Server is made.
func TestActionsConfig(t *testing.T) {
	t.Parallel()
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	require.NoError(t, err)
	run := func(context.Context, transport.ActionRequest) (transport.ActionResult, error) {
		return transport.ActionResult{}, nil
	}
	allow := func(context.Context, transport.ActionRequest) error { return nil }
	for name, acts := range map[string][]transport.Action{
		"no Allow":     {{Name: "a", Label: "A", Run: run}},
		"no Run":       {{Name: "a", Label: "A", Allow: allow}},
		"a name twice": {{Name: "a", Label: "A", Allow: allow, Run: run}, {Name: "a", Label: "B", Allow: allow, Run: run}},
		"a bad name":   {{Name: "a b", Label: "A", Allow: allow, Run: run}},
		"no label":     {{Name: "a", Allow: allow, Run: run}},
	} {
		_, err := transport.New(transport.Config{Desk: desk, Secret: testSecret, Actions: acts})
		assert.ErrorIs(t, err, chat.ErrInvalid, name)
	}
	_, err = transport.New(transport.Config{Desk: desk, Secret: testSecret, Invitations: []transport.InvitationRule{{Name: "shop:x", Message: "Hi"}}})
	assert.ErrorIs(t, err, chat.ErrInvalid, "an invitation rule named like a trigger")
}
