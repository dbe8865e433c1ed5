package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
)

// commerce is what the shop tells Parley and does for it: who a visitor
// is and what is in their cart (chat.CustomerSource and chat.CartSource),
// the actions agents run from the console, the chat the shop opens when a
// card is declined, and the staff's pages the console links to.
type commerce struct {
	shop  *shop
	pages *pages
	log   *slog.Logger
	chat  *transport.Server // set once the chat server exists, before serving

	mu      sync.Mutex
	coupons map[string]string // applied coupon code by customer id
}

// The shop's coupons: code and percentage off.
var coupons = map[string]int64{"WELCOME10": 10, "KETTLE5": 5}

// contextOrders is how many of a customer's orders agents see, newest first.
const contextOrders = 5

func newCommerce(s *shop, p *pages, log *slog.Logger) *commerce {
	return &commerce{shop: s, pages: p, log: log, coupons: make(map[string]string)}
}

var (
	_ chat.CustomerSource = (*commerce)(nil)
	_ chat.CartSource     = (*commerce)(nil)
)

// euro turns the shop's money into Parley's.
func euro(m Money) chat.Money { return chat.Money{Amount: int64(m), Currency: "EUR"} }

// customerByID returns the customer with the id. s.mu is held.
func (s *shop) customerByID(id string) (Customer, bool) {
	for _, c := range s.customers {
		if c.ID == id {
			return c, true
		}
	}
	return Customer{}, false
}

// Customer tells Parley who a logged-in visitor is, with their latest
// orders. Anonymous visitors are not known to the shop.
func (c *commerce) Customer(_ context.Context, v chat.Visitor) (*chat.Customer, error) {
	if v.CustomerID == "" {
		return nil, nil
	}
	s := c.shop
	s.mu.Lock()
	defer s.mu.Unlock()
	cu, ok := s.customerByID(v.CustomerID)
	if !ok {
		return nil, fmt.Errorf("no customer %q", v.CustomerID)
	}
	out := &chat.Customer{ID: cu.ID, Name: cu.Name, Email: cu.Email, AdminURL: "/staff/customers/" + cu.ID}
	orders := s.orders[cu.ID]
	for i := len(orders) - 1; i >= 0 && len(out.Orders) < contextOrders; i-- {
		o := orders[i]
		out.Orders = append(out.Orders, chat.Order{Number: o.Number, PlacedAt: o.Placed, Total: euro(o.Lines.Total()),
			Status: o.Status, AdminURL: "/staff/orders/" + o.Number})
	}
	return out, nil
}

// Cart tells Parley what a logged-in customer has in their cart.
func (c *commerce) Cart(_ context.Context, v chat.Visitor) (*chat.Cart, error) {
	if v.CustomerID == "" {
		return nil, nil
	}
	c.shop.mu.Lock()
	cart := slices.Clone(c.shop.carts[v.CustomerID])
	c.shop.mu.Unlock()
	out := &chat.Cart{Items: []chat.CartItem{}, Value: euro(c.discounted(v.CustomerID, cart.Total())),
		AdminURL: "/staff/customers/" + v.CustomerID}
	for _, l := range cart {
		out.Items = append(out.Items, chat.CartItem{ProductID: l.Product.Slug, Name: l.Product.Name, Quantity: l.Quantity,
			Total: euro(l.Total()), URL: "/p/" + l.Product.Slug})
	}
	return out, nil
}

// discounted is total less the customer's coupon.
func (c *commerce) discounted(customerID string, total Money) Money {
	c.mu.Lock()
	defer c.mu.Unlock()
	return total - total*Money(coupons[c.coupons[customerID]])/100
}

// register adds the card payment and the staff's pages to mux.
func (c *commerce) register(mux *http.ServeMux) {
	mux.HandleFunc("POST /checkout/card", c.payByCard)
	mux.Handle("GET /staff/orders/{number}", staffOnly(http.HandlerFunc(c.staffOrder)))
	mux.Handle("GET /staff/customers/{id}", staffOnly(http.HandlerFunc(c.staffCustomer)))
}

// payByCard is the demo's card payment, which declines every card. The
// shop tells Parley, which invites the customer to chat; agents see why.
func (c *commerce) payByCard(w http.ResponseWriter, r *http.Request) {
	sid := c.pages.session(w, r)
	cu, ok := c.shop.customerOf(sid)
	if !ok {
		http.Redirect(w, r, "/login?next=checkout", http.StatusSeeOther)
		return
	}
	_, err := c.chat.Trigger(r.Context(), transport.Trigger{CustomerID: cu.ID, Reason: transport.ReasonPaymentDeclined,
		Message: "Your card was declined. Can we help?"})
	if err != nil && !errors.Is(err, transport.ErrTriggerLimited) && !errors.Is(err, transport.ErrNotOnSite) {
		c.log.WarnContext(r.Context(), "inviting a customer whose card was declined", "err", err)
	}
	c.pages.render(w, r, sid, http.StatusOK, "checkout", view{Title: "Checkout",
		Error: "Your card was declined. Try another card, or pay on delivery."})
}

// actions are what agents can do for a customer from the console.
func (c *commerce) actions() []transport.Action {
	return []transport.Action{
		{Name: "send-product", Label: "Send a product", Input: "Product (such as oak-board)", Allow: anyAgent, Run: c.sendProduct},
		{Name: "apply-coupon", Label: "Apply a coupon", Input: "Coupon code", Allow: customersOnly, Run: c.applyCoupon},
		{Name: "resend-confirmation", Label: "Resend order confirmation", Input: "Order number (empty: the latest)", Allow: customersOnly, Run: c.resendConfirmation},
		{Name: "parcel-status", Label: "Parcel status", Input: "Order number (empty: the latest)", Allow: customersOnly, Run: c.parcelStatus},
	}
}

// anyAgent lets every agent run the action.
func anyAgent(context.Context, transport.ActionRequest) error { return nil }

// customersOnly allows actions on a logged-in customer's account only:
// an anonymous visitor's word is no proof of whose order it is.
func customersOnly(_ context.Context, req transport.ActionRequest) error {
	if req.Visitor.CustomerID == "" {
		return errors.New("the visitor is not logged in")
	}
	return nil
}

func (c *commerce) sendProduct(_ context.Context, req transport.ActionRequest) (transport.ActionResult, error) {
	want := strings.ToLower(strings.TrimSpace(req.Input))
	i := slices.IndexFunc(catalogue, func(p Product) bool {
		return want != "" && (p.Slug == want || strings.Contains(strings.ToLower(p.Name), want))
	})
	if i < 0 {
		return transport.ActionResult{}, &transport.ActionError{Message: fmt.Sprintf("No product %q", req.Input)}
	}
	p := catalogue[i]
	return transport.ActionResult{Card: &chat.ProductCard{ProductID: p.Slug, Name: p.Name, Price: euro(p.Price),
		URL: "/p/" + p.Slug, AddToCart: "/cart/add"}}, nil
}

func (c *commerce) applyCoupon(_ context.Context, req transport.ActionRequest) (transport.ActionResult, error) {
	code := strings.ToUpper(strings.TrimSpace(req.Input))
	pct, ok := coupons[code]
	if !ok {
		return transport.ActionResult{}, &transport.ActionError{Message: fmt.Sprintf("No coupon %q", req.Input)}
	}
	c.mu.Lock()
	c.coupons[req.Visitor.CustomerID] = code
	c.mu.Unlock()
	return transport.ActionResult{
		Body:         fmt.Sprintf("I have applied the coupon %s to your cart: %d%% off. Anything else I can do?", code, pct),
		QuickReplies: []string{"That's all, thanks!", "When will it arrive?"},
	}, nil
}

// order returns the customer's order with the number, or their latest
// for an empty number.
func (c *commerce) order(customerID, number string) (Order, error) {
	orders := c.shop.ordersOf(customerID)
	number = strings.TrimPrefix(strings.TrimSpace(number), "#")
	for _, o := range orders {
		if number == "" || o.Number == number {
			return o, nil
		}
	}
	return Order{}, &transport.ActionError{Message: fmt.Sprintf("The customer has no order %q", number)}
}

func (c *commerce) resendConfirmation(ctx context.Context, req transport.ActionRequest) (transport.ActionResult, error) {
	o, err := c.order(req.Visitor.CustomerID, req.Input)
	if err != nil {
		return transport.ActionResult{}, err
	}
	c.shop.mu.Lock()
	cu, _ := c.shop.customerByID(req.Visitor.CustomerID)
	c.shop.mu.Unlock()
	// A real shop queues the email here.
	c.log.InfoContext(ctx, "demo: order confirmation sent again", "order", o.Number, "to", cu.Email)
	return transport.ActionResult{Body: fmt.Sprintf("I have sent the confirmation of order %s to %s again.", o.Number, cu.Email)}, nil
}

func (c *commerce) parcelStatus(_ context.Context, req transport.ActionRequest) (transport.ActionResult, error) {
	o, err := c.order(req.Visitor.CustomerID, req.Input)
	if err != nil {
		return transport.ActionResult{}, err
	}
	status := "not shipped yet"
	if o.Status == "shipped" || o.Status == "delivered" {
		status = fmt.Sprintf("parcel KC%sPL, %s (sent %s)", o.Number, o.Status, o.Placed.AddDate(0, 0, 1).Format("2 Jan"))
	}
	return transport.ActionResult{Internal: true, Body: fmt.Sprintf("Order %s: %s.", o.Number, status)}, nil
}

// staffPage is the staff's view of a customer or an order, which the
// console links to.
var staffPage = template.Must(template.New("staff").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · staff</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:1rem auto;padding:0 1rem}td,th{text-align:left;padding:.3rem}</style></head>
<body><h1>{{.Title}}</h1>
{{with .Customer}}<p>{{.Name}} · {{.Email}} · id {{.ID}}</p>{{end}}
<table><tr><th>Order</th><th>Placed</th><th>Total</th><th>Status</th></tr>
{{range .Orders}}<tr><td><a href="/staff/orders/{{.Number}}">{{.Number}}</a></td><td>{{.Placed.Format "2 Jan 2006 15:04"}}</td><td>{{.Lines.Total}}</td><td>{{.Status}}</td></tr>{{end}}
</table></body></html>`))

func (c *commerce) staffCustomer(w http.ResponseWriter, r *http.Request) {
	c.shop.mu.Lock()
	cu, ok := c.shop.customerByID(r.PathValue("id"))
	c.shop.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	c.staffRender(w, r, staffView{cu.Name, &cu, c.shop.ordersOf(cu.ID)})
}

func (c *commerce) staffOrder(w http.ResponseWriter, r *http.Request) {
	c.shop.mu.Lock()
	var found []Order
	for _, os := range c.shop.orders {
		for _, o := range os {
			if o.Number == r.PathValue("number") {
				found = append(found, o)
			}
		}
	}
	c.shop.mu.Unlock()
	if len(found) == 0 {
		http.NotFound(w, r)
		return
	}
	c.staffRender(w, r, staffView{"Order " + found[0].Number, nil, found})
}

// staffView is what staffPage shows: a customer's orders, or an order.
type staffView struct {
	Title    string
	Customer *Customer // nil for an order
	Orders   []Order
}

func (c *commerce) staffRender(w http.ResponseWriter, r *http.Request, v staffView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := staffPage.Execute(w, v); err != nil {
		c.log.ErrorContext(r.Context(), "rendering a staff page", "err", err)
	}
}
