package chat_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// bigShop knows a customer with many orders and a long cart, and fails
// for one customer's cart.
type bigShop struct{}

func (bigShop) Customer(_ context.Context, v chat.Visitor) (*chat.Customer, error) {
	c := &chat.Customer{ID: v.CustomerID, Name: "Anna"}
	for range chat.MaxShopOrders + 5 {
		c.Orders = append(c.Orders, chat.Order{Number: "1"})
	}
	return c, nil
}

func (bigShop) Cart(_ context.Context, v chat.Visitor) (*chat.Cart, error) {
	if v.CustomerID == "broken" {
		return nil, errors.New("cart service down")
	}
	c := &chat.Cart{}
	for range chat.MaxCartItems + 5 {
		c.Items = append(c.Items, chat.CartItem{Name: "Mug", Quantity: 1})
	}
	return c, nil
}

// TestShopContext: the Desk keeps the first MaxShopOrders orders and
// MaxCartItems items, and a failing source leaves only its part out.
func TestShopContext(t *testing.T) {
	t.Parallel()
	desk, err := chat.NewDesk(chat.Config{Store: memory.New(), Customers: bigShop{}, Carts: bigShop{}})
	require.NoError(t, err)
	shop, err := desk.ShopContext(t.Context(), chat.Visitor{CustomerID: "c-1"})
	require.NoError(t, err)
	assert.Len(t, shop.Customer.Orders, chat.MaxShopOrders)
	assert.Len(t, shop.Cart.Items, chat.MaxCartItems)

	shop, err = desk.ShopContext(t.Context(), chat.Visitor{CustomerID: "broken"})
	require.ErrorContains(t, err, "cart service down")
	assert.NotNil(t, shop.Customer, "the customer is told without the cart")
	assert.Nil(t, shop.Cart)

	plain, err := chat.NewDesk(chat.Config{Store: memory.New()})
	require.NoError(t, err)
	assert.False(t, plain.HasShopContext())
	shop, err = plain.ShopContext(t.Context(), chat.Visitor{CustomerID: "c-1"})
	require.NoError(t, err)
	assert.Equal(t, chat.ShopContext{}, shop)
}

func TestMoney(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "34.90 EUR", chat.Money{Amount: 3490, Currency: "EUR"}.String())
	assert.Equal(t, "-0.05 PLN", chat.Money{Amount: -5, Currency: "PLN"}.String())
	assert.True(t, chat.Money{Amount: 100, Currency: "EUR"}.AtLeast(chat.Money{Amount: 100, Currency: "EUR"}))
	assert.False(t, chat.Money{Amount: 900, Currency: "PLN"}.AtLeast(chat.Money{Amount: 100, Currency: "EUR"}))
	assert.ErrorIs(t, chat.Money{Amount: 1, Currency: "eur"}.Validate(), chat.ErrInvalid)
	assert.NoError(t, chat.Money{}.Validate())
}
