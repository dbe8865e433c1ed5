package main

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Product is one article of the catalogue.
type Product struct {
	Slug        string
	Name        string
	Description string
	Price       Money
}

// Money is an amount in euro cents.
type Money int64

// String formats m as "€12.50".
func (m Money) String() string { return fmt.Sprintf("€%d.%02d", m/100, m%100) }

// catalogue is the shop's range, in display order.
var catalogue = []Product{
	{"enamel-teapot", "Enamel teapot", "A 1.2 litre teapot in white enamel with a beech handle. Works on gas, electric and induction hobs.", 3490},
	{"stoneware-mug", "Stoneware mug", "Hand-glazed stoneware mug, 350 ml, dishwasher safe. Each one is a little different.", 1250},
	{"linen-towel", "Linen tea towel", "Washed linen tea towel, 50 × 70 cm, in natural grey. Dries glass without lint.", 990},
	{"oak-board", "Oak cutting board", "Solid oak board, 40 × 25 cm, oiled. Juice groove on one side, flat on the other.", 4900},
}

// productBySlug returns the product with slug.
func productBySlug(slug string) (Product, bool) {
	i := slices.IndexFunc(catalogue, func(p Product) bool { return p.Slug == slug })
	if i < 0 {
		return Product{}, false
	}
	return catalogue[i], true
}

// Customer is a registered customer of the shop.
type Customer struct {
	ID, Name, Email, Password string
}

// demoCustomer is the customer login the demo prints at start.
var demoCustomer = Customer{ID: "c-1", Name: "Anna Kowalska", Email: "anna@example.com", Password: "demo"}

// Line is one product in a cart or an order.
type Line struct {
	Product  Product
	Quantity int
}

// Total is the line's price.
func (l Line) Total() Money { return l.Product.Price * Money(l.Quantity) }

// Cart is a list of lines, one per product.
type Cart []Line

// Count is the number of items in the cart.
func (c Cart) Count() int {
	n := 0
	for _, l := range c {
		n += l.Quantity
	}
	return n
}

// Total is the cart's value.
func (c Cart) Total() Money {
	var t Money
	for _, l := range c {
		t += l.Total()
	}
	return t
}

// Order is a placed order.
type Order struct {
	Number string
	Placed time.Time
	Lines  Cart
	Status string
}

// session is one browser's state: its cart while anonymous, and the
// customer once logged in.
type session struct {
	customerID string
	cart       Cart
}

// shop holds the shop's state in memory: sessions, the carts of logged-in
// customers and their orders. A real shop keeps these in its database.
type shop struct {
	mu        sync.Mutex
	customers map[string]Customer // by email
	sessions  map[string]*session // by session cookie
	carts     map[string]Cart     // by customer id
	orders    map[string][]Order  // by customer id, oldest first
	nextOrder int
}

// newShop returns a shop with the demo customer and two past orders of
// theirs.
func newShop(now time.Time) *shop {
	mug, _ := productBySlug("stoneware-mug")
	towel, _ := productBySlug("linen-towel")
	teapot, _ := productBySlug("enamel-teapot")
	return &shop{
		customers: map[string]Customer{demoCustomer.Email: demoCustomer},
		sessions:  make(map[string]*session),
		carts:     make(map[string]Cart),
		orders: map[string][]Order{demoCustomer.ID: {
			{Number: "1042", Placed: now.AddDate(0, 0, -40), Lines: Cart{{mug, 4}, {towel, 2}}, Status: "delivered"},
			{Number: "1043", Placed: now.AddDate(0, 0, -2), Lines: Cart{{teapot, 1}}, Status: "shipped"},
		}},
		nextOrder: 1044,
	}
}

// newSession starts an anonymous session and returns its id.
func (s *shop) newSession() string {
	id := rand.Text()
	s.mu.Lock()
	s.sessions[id] = &session{}
	s.mu.Unlock()
	return id
}

// customerOf returns the customer logged in to session id, if any.
func (s *shop) customerOf(id string) (Customer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[id]
	if !ok || ss.customerID == "" {
		return Customer{}, false
	}
	for _, c := range s.customers {
		if c.ID == ss.customerID {
			return c, true
		}
	}
	return Customer{}, false
}

// hasSession reports whether id is a live session.
func (s *shop) hasSession(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sessions[id]
	return ok
}

// login checks the credentials and logs session id in. The session gets a
// new id, which login returns, so that an id known before the login is
// worthless after it. The anonymous cart is added to the customer's.
func (s *shop) login(id, email, password string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[email]
	ss := s.sessions[id]
	if !ok || ss == nil || !equalSecret(c.Password, password) {
		return "", false
	}
	delete(s.sessions, id)
	id = rand.Text()
	s.sessions[id] = ss
	ss.customerID = c.ID
	cart := s.carts[c.ID]
	for _, l := range ss.cart {
		cart = addLine(cart, l.Product, l.Quantity)
	}
	s.carts[c.ID] = cart
	ss.cart = nil
	return id, true
}

// logout ends the customer's login in session id; their cart stays with
// their account.
func (s *shop) logout(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss := s.sessions[id]; ss != nil {
		ss.customerID = ""
	}
}

// cart returns a copy of session id's cart: the customer's when logged
// in, the session's own otherwise.
func (s *shop) cart(id string) Cart {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[id]
	switch {
	case ss == nil:
		return nil
	case ss.customerID != "":
		return slices.Clone(s.carts[ss.customerID])
	default:
		return slices.Clone(ss.cart)
	}
}

// updateCart replaces session id's cart with f of it.
func (s *shop) updateCart(id string, f func(Cart) Cart) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[id]
	switch {
	case ss == nil:
	case ss.customerID != "":
		s.carts[ss.customerID] = f(s.carts[ss.customerID])
	default:
		ss.cart = f(ss.cart)
	}
}

// addLine returns cart with quantity more of p.
func addLine(cart Cart, p Product, quantity int) Cart {
	for i := range cart {
		if cart[i].Product.Slug == p.Slug {
			cart[i].Quantity += quantity
			return cart
		}
	}
	return append(cart, Line{Product: p, Quantity: quantity})
}

// removeLine returns cart without p.
func removeLine(cart Cart, slug string) Cart {
	return slices.DeleteFunc(cart, func(l Line) bool { return l.Product.Slug == slug })
}

// placeOrder turns the logged-in customer's cart into an order. It returns
// false when nobody is logged in or the cart is empty.
func (s *shop) placeOrder(id string, now time.Time) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[id]
	if ss == nil || ss.customerID == "" || len(s.carts[ss.customerID]) == 0 {
		return Order{}, false
	}
	o := Order{Number: fmt.Sprint(s.nextOrder), Placed: now, Lines: s.carts[ss.customerID], Status: "paid, being packed"}
	s.nextOrder++
	s.orders[ss.customerID] = append(s.orders[ss.customerID], o)
	delete(s.carts, ss.customerID)
	return o, true
}

// ordersOf returns the customer's orders, newest first.
func (s *shop) ordersOf(customerID string) []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.orders[customerID])
	slices.Reverse(out)
	return out
}

// equalSecret compares a stored password with a given one in constant time.
func equalSecret(stored, given string) bool {
	return subtle.ConstantTimeCompare([]byte(stored), []byte(given)) == 1
}
