package chat_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// A merge on one Desk reaches another that holds the conversation in its
// cache, for a long time: the moved conversation's events go to the new
// visitor there, and the new visitor may write in it.
func TestMergeVisitorAcrossDesks(t *testing.T) {
	t.Parallel()
	d := setupTwoDesks(t, nil, time.Hour)
	c := d.a.start(t, chat.StartRequest{})
	require.NoError(t, d.say(t, d.b.desk, c, "Is the kettle in stock?")) // B caches c
	customer := d.a.visitor(t)

	moved, err := d.a.desk.MergeVisitor(t.Context(), c.VisitorID, customer.ID)
	require.NoError(t, err)
	require.Len(t, moved, 1)
	assert.Equal(t, customer.ID, moved[0].VisitorID)

	sub, err := d.b.desk.Subscribe(t.Context(), chat.VisitorTopic(customer.ID))
	require.NoError(t, err)
	defer sub.Close()
	require.Eventually(t, func() bool {
		_, info, err := d.b.desk.Lookup(t.Context(), c.ID)
		return err == nil && info.VisitorID == customer.ID
	}, 5*time.Second, 10*time.Millisecond, "B learns of the move from the event")
	h, err := d.b.desk.Conversation(t.Context(), c.ID)
	require.NoError(t, err)
	_, err = h.Post(t.Context(), chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: customer.ID.String()}, Body: "the blue one"})
	require.NoError(t, err, "the customer writes in the moved conversation")
	for {
		e := next(t, sub)
		if e.Type == chat.EventMessage {
			assert.Equal(t, "the blue one", e.Message.Body, "on the customer's topic")
			break
		}
	}
}

// withoutCustomers is a Store that keeps no customer links.
type withoutCustomers struct{ chat.Store }

// A Desk whose Store keeps no customer links links nothing: each browser
// of a customer is a visitor of its own, and nothing is merged.
func TestLinkCustomerWithoutCustomerStore(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{Store: withoutCustomers{memory.New()}})
	a, b := uuid.New(), uuid.New()
	got, err := f.desk.LinkCustomer(t.Context(), "c-anna", a)
	require.NoError(t, err)
	assert.Equal(t, a, got)
	got, err = f.desk.LinkCustomer(t.Context(), "c-anna", b)
	require.NoError(t, err)
	assert.Equal(t, b, got, "not linked")
	_, err = f.desk.LinkCustomer(t.Context(), "", b)
	assert.ErrorIs(t, err, chat.ErrInvalid)
	_, err = f.desk.MergeVisitor(t.Context(), a, b)
	assert.True(t, errors.Is(err, errors.ErrUnsupported), "%v", err)

	linked := setup(t, chat.Config{})
	got, err = linked.desk.LinkCustomer(t.Context(), "c-anna", a)
	require.NoError(t, err)
	assert.Equal(t, a, got)
	got, err = linked.desk.LinkCustomer(t.Context(), "c-anna", b)
	require.NoError(t, err)
	assert.Equal(t, a, got, "a CustomerStore keeps the first link")
}
