package route_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/route"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

// carts is a CartSource over a map of carts by customer id, as a shop
// reads them from its database.
type carts struct {
	mu     sync.Mutex
	byID   map[string]*chat.Cart
	failed bool
}

func (c *carts) Cart(_ context.Context, v chat.Visitor) (*chat.Cart, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed {
		return nil, errors.New("the cart service is down")
	}
	return c.byID[v.CustomerID], nil
}

func TestCartValue(t *testing.T) {
	t.Parallel()
	min := chat.Money{Amount: 20000, Currency: "EUR"}
	r := route.CartValue{Min: min, Large: route.Prefer{"senior"}, Small: route.LeastBusy{}}
	pick := func(cart *chat.Cart) string {
		rq := req("", "junior", "senior")
		rq.Candidates[1].Active = 3 // LeastBusy picks junior
		rq.Shop.Cart = cart
		id, err := r.Route(t.Context(), rq)
		require.NoError(t, err)
		return id
	}
	assert.Equal(t, "junior", pick(nil), "no cart")
	assert.Equal(t, "junior", pick(&chat.Cart{Value: chat.Money{Amount: 19999, Currency: "EUR"}}), "just under")
	assert.Equal(t, "senior", pick(&chat.Cart{Value: min}), "exactly the threshold")
	assert.Equal(t, "junior", pick(&chat.Cart{Value: chat.Money{Amount: 90000, Currency: "PLN"}}), "another currency")
	id, err := route.CartValue{Min: min}.Route(t.Context(), req("", "a"))
	require.NoError(t, err)
	assert.Empty(t, id, "a nil router leaves the conversation queued")
}

// TestCartValueWithDesk: the Desk asks the shop's CartSource for the
// visitor's cart before routing, so a large cart reaches the senior agent
// over a SQLite store; a failing source routes as if there were no cart.
func TestCartValueWithDesk(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, store.Close(context.Background())) })
	src := &carts{byID: map[string]*chat.Cart{
		"big":   {Items: []chat.CartItem{{Name: "Oak board", Quantity: 5, Total: chat.Money{Amount: 24500, Currency: "EUR"}}}, Value: chat.Money{Amount: 24500, Currency: "EUR"}},
		"small": {Value: chat.Money{Amount: 990, Currency: "EUR"}},
	}}
	desk, err := chat.NewDesk(chat.Config{Store: store, Carts: src, Router: route.CartValue{
		Min: chat.Money{Amount: 20000, Currency: "EUR"}, Large: route.Prefer{"senior"}, Small: route.Prefer{"junior"},
	}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close(context.Background()) })
	for _, id := range []string{"junior", "senior"} {
		require.NoError(t, desk.SaveAgent(ctx, chat.Agent{ID: id, Name: id}))
		_, err := desk.SetAgentStatus(ctx, id, chat.AgentOnline)
		require.NoError(t, err)
	}
	start := func(customer string) string {
		t.Helper()
		v, err := desk.SaveVisitor(ctx, chat.Visitor{CustomerID: customer, Name: customer})
		require.NoError(t, err)
		return chatWith(t, desk, v)
	}
	assert.Equal(t, "senior", start("big"))
	assert.Equal(t, "junior", start("small"))
	assert.Equal(t, "junior", start(""), "an anonymous visitor without a cart")
	src.mu.Lock()
	src.failed = true
	src.mu.Unlock()
	assert.Equal(t, "junior", start("big"), "a failing cart source routes as without a cart")
}
