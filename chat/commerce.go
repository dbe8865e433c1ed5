package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Limits of the shop's context.
const (
	// MaxShopOrders is how many of a customer's orders the Desk keeps
	// from a CustomerSource, the first ones given.
	MaxShopOrders = 10
	// MaxCartItems is how many cart items the Desk keeps from a
	// CartSource, the first ones given.
	MaxCartItems = 50
	// ShopContextTimeout bounds each call of a CustomerSource or a
	// CartSource.
	ShopContextTimeout = 2 * time.Second
)

// Money is an amount in the minor unit of a currency: 3490 EUR is €34.90.
// The zero Money is no amount.
type Money struct {
	Amount   int64  `json:"amount"`   // in minor units (cents)
	Currency string `json:"currency"` // ISO 4217 code such as "EUR"
}

// IsZero reports whether m is the zero Money.
func (m Money) IsZero() bool { return m == Money{} }

// String formats m as "34.90 EUR", with two decimals.
func (m Money) String() string {
	sign, a := "", m.Amount
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, a/100, a%100, m.Currency)
}

// AtLeast reports whether m is in min's currency and not less than it.
func (m Money) AtLeast(min Money) bool {
	return m.Currency == min.Currency && m.Amount >= min.Amount
}

// Validate reports with ErrInvalid that m has an amount but no currency
// code of three capital letters.
func (m Money) Validate() error {
	if m.IsZero() {
		return nil
	}
	if len(m.Currency) != 3 || strings.Trim(m.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return invalid("currency %.16q is not an ISO 4217 code such as EUR", m.Currency)
	}
	return nil
}

// Customer is what the shop tells agents about a logged-in customer.
type Customer struct {
	ID    string `json:"id"`              // the shop's customer id
	Name  string `json:"name"`            // full name
	Email string `json:"email,omitempty"` // the account's address
	// AdminURL is the customer's page in the shop's own back office; the
	// console links the name to it. Empty shows no link.
	AdminURL string `json:"admin_url,omitempty"`
	// Orders are the customer's latest orders, newest first, at most
	// MaxShopOrders of them.
	Orders []Order `json:"orders,omitempty"`
}

// Order is one of a customer's orders.
type Order struct {
	Number   string    `json:"number"`              // as the customer knows it
	PlacedAt time.Time `json:"placed_at"`           // when it was placed
	Total    Money     `json:"total"`               // what it cost
	Status   string    `json:"status"`              // the shop's own words: "shipped"
	AdminURL string    `json:"admin_url,omitempty"` // the order in the back office
}

// Cart is what the visitor has in their cart now.
type Cart struct {
	// Items are the cart's lines, at most MaxCartItems of them.
	Items []CartItem `json:"items"`
	// Value is the cart's total; its currency is the cart's.
	Value Money `json:"value"`
	// AdminURL is the cart in the back office; empty shows no link.
	AdminURL string `json:"admin_url,omitempty"`
}

// CartItem is one line of a cart.
type CartItem struct {
	ProductID string `json:"product_id,omitempty"`
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
	Total     Money  `json:"total"`         // the line's price, for Quantity
	URL       string `json:"url,omitempty"` // the product's page
}

// ShopContext is what the shop's own data tells about a visitor: the
// customer they are logged in as and their cart. Nil fields are unknown.
// The Desk gives it to the Router (RouteRequest.Shop), and the transport
// shows it to agents and to invitation rules.
type ShopContext struct {
	Customer *Customer `json:"customer,omitempty"`
	Cart     *Cart     `json:"cart,omitempty"`
}

// CustomerSource is implemented by the shop to tell who a visitor is.
type CustomerSource interface {
	// Customer returns the customer the visitor is, or nil when the shop
	// does not know them (an anonymous visitor). It must be quick and
	// safe for concurrent use; its context ends after ShopContextTimeout.
	Customer(ctx context.Context, v Visitor) (*Customer, error)
}

// CartSource is implemented by the shop to tell what a visitor has in
// their cart.
type CartSource interface {
	// Cart returns the visitor's cart, or nil when they have none. It must
	// be quick and safe for concurrent use; its context ends after
	// ShopContextTimeout.
	Cart(ctx context.Context, v Visitor) (*Cart, error)
}

// ShopContext asks Config.Customers and Config.Carts about v. Either
// unset leaves its field nil. Orders and items beyond the limits are
// dropped; an error of either source is returned with what the other
// told, so that a failing cart does not hide the customer.
func (d *Desk) ShopContext(ctx context.Context, v Visitor) (ShopContext, error) {
	var out ShopContext
	var errs []error
	if d.customers != nil {
		c, err := askShop(ctx, "Customers", v, d.customers.Customer)
		if c != nil {
			c.Orders = c.Orders[:min(len(c.Orders), MaxShopOrders):min(len(c.Orders), MaxShopOrders)]
		}
		out.Customer, errs = c, append(errs, err)
	}
	if d.carts != nil {
		c, err := askShop(ctx, "Carts", v, d.carts.Cart)
		if c != nil {
			c.Items = c.Items[:min(len(c.Items), MaxCartItems):min(len(c.Items), MaxCartItems)]
		}
		out.Cart, errs = c, append(errs, err)
	}
	return out, errors.Join(errs...)
}

// askShop calls one of the shop's sources with ShopContextTimeout and
// returns a copy of its answer, or nil and the error naming the field.
func askShop[T any](ctx context.Context, field string, v Visitor, source func(context.Context, Visitor) (*T, error)) (*T, error) {
	ctx, cancel := context.WithTimeout(ctx, ShopContextTimeout)
	defer cancel()
	got, err := source(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("chat: Config.%s: %w", field, err)
	}
	if got == nil {
		return nil, nil
	}
	c := *got
	return &c, nil
}

// HasShopContext reports whether Config.Customers or Config.Carts is set.
func (d *Desk) HasShopContext() bool { return d.customers != nil || d.carts != nil }

// routeShop reads the visitor of c and their shop context for the Router,
// when the shop gave a source. Failures are logged: the conversation is
// routed without them.
func (d *Desk) routeShop(ctx context.Context, req *RouteRequest) {
	if !d.HasShopContext() {
		return
	}
	v, err := d.store.Visitor(ctx, req.Conversation.VisitorID)
	if err != nil {
		d.log.WarnContext(ctx, "chat: reading the visitor to route", "conversation", req.Conversation.ID, "err", err)
		return
	}
	req.Visitor = v
	shop, err := d.ShopContext(ctx, v)
	if err != nil {
		d.log.WarnContext(ctx, "chat: the shop's context for routing", "conversation", req.Conversation.ID, "err", err)
	}
	req.Shop = shop
}
