package main

import (
	"cmp"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/parleychat/parley/transport"
)

// sessionCookie holds the shop's session id.
const sessionCookie = "shop_session"

// pages serves the shop's own pages: the catalogue, the cart, the checkout,
// the customer's orders and the customer login.
type pages struct {
	shop *shop
	log  *slog.Logger
	now  func() time.Time
}

// view is what every page template gets.
type view struct {
	Title    string
	Customer *Customer
	Cart     Cart
	Error    string

	Products []Product
	Product  Product
	Orders   []Order
	Order    Order
}

const layout = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Kettle &amp; Crumb</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:0 auto;padding:0 1rem;color:#222}
header{display:flex;gap:1rem;align-items:baseline;border-bottom:1px solid #ddd;padding:.75rem 0}
header .brand{font-weight:700;margin-right:auto}
a{color:#0b5394}.products{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:1rem;padding:0;list-style:none}
.products li{border:1px solid #ddd;border-radius:.5rem;padding:1rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem;border-bottom:1px solid #eee}
.error{color:#a00}form.inline{display:inline}
</style></head>
<body>
<header>
<a class="brand" href="/">Kettle &amp; Crumb</a>
<a href="/cart">Cart ({{.Cart.Count}})</a>
{{if .Customer}}<a href="/orders">{{.Customer.Name}}</a>
<form class="inline" method="post" action="/logout"><button>Log out</button></form>
{{else}}<a href="/login">Log in</a>{{end}}
</header>
<main>{{template "content" .}}</main>
<script src="/chat/widget.js" async></script>
</body></html>
`

var templates = map[string]string{
	"home": `<h1>Things for the kitchen</h1>
<ul class="products">{{range .Products}}
<li><a href="/p/{{.Slug}}">{{.Name}}</a><br>{{.Price}}</li>{{end}}
</ul>`,
	"product": `<h1>{{.Product.Name}}</h1>
<p>{{.Product.Description}}</p>
<p><strong>{{.Product.Price}}</strong></p>
<form method="post" action="/cart/add">
<input type="hidden" name="slug" value="{{.Product.Slug}}">
<label>Quantity <input name="quantity" type="number" value="1" min="1" max="99"></label>
<button>Add to cart</button></form>`,
	"cart": `<h1>Your cart</h1>
{{if .Cart}}<table><tr><th>Product</th><th>Quantity</th><th>Price</th><th></th></tr>
{{range .Cart}}<tr><td><a href="/p/{{.Product.Slug}}">{{.Product.Name}}</a></td><td>{{.Quantity}}</td><td>{{.Total}}</td>
<td><form method="post" action="/cart/remove"><input type="hidden" name="slug" value="{{.Product.Slug}}"><button>Remove</button></form></td></tr>
{{end}}<tr><th>Total</th><th></th><th>{{.Cart.Total}}</th><th></th></tr></table>
<p><a href="/checkout">Checkout</a></p>
{{else}}<p>Your cart is empty. <a href="/">Have a look around.</a></p>{{end}}`,
	"checkout": `<h1>Checkout</h1>
{{with .Error}}<p class="error">{{.}}</p>{{end}}
{{if .Cart}}<p>Delivery to {{.Customer.Name}}, paid on delivery.</p>
<table>{{range .Cart}}<tr><td>{{.Product.Name}} × {{.Quantity}}</td><td>{{.Total}}</td></tr>{{end}}
<tr><th>Total</th><th>{{.Cart.Total}}</th></tr></table>
<form method="post" action="/checkout"><button>Place order</button></form>
<form method="post" action="/checkout/card"><button id="pay-card">Pay by card now</button> (demo: every card is declined)</form>
{{else}}<p>Your cart is empty.</p>{{end}}`,
	"orders": `<h1>Your orders</h1>
{{if .Order.Number}}<p>Thank you! Order {{.Order.Number}} is placed.</p>{{end}}
<table><tr><th>Order</th><th>Placed</th><th>Items</th><th>Total</th><th>Status</th></tr>
{{range .Orders}}<tr><td>{{.Number}}</td><td>{{.Placed.Format "2 Jan 2006"}}</td><td>{{.Lines.Count}}</td><td>{{.Lines.Total}}</td><td>{{.Status}}</td></tr>{{end}}
</table>`,
	"login": `<h1>Log in</h1>
{{with .Error}}<p class="error">{{.}}</p>{{end}}
<form method="post">
<p><label>Email <input name="email" type="email" autocomplete="username"></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password"></label></p>
<button>Log in</button></form>`,
	"notfound": `<h1>Not found</h1><p>There is nothing here. <a href="/">Back to the shop.</a></p>`,
}

// parsed holds each page's template, parsed once.
var parsed = func() map[string]*template.Template {
	base := template.Must(template.New("layout").Parse(layout))
	out := make(map[string]*template.Template, len(templates))
	for name, content := range templates {
		out[name] = template.Must(template.Must(base.Clone()).New("content").Parse(content))
	}
	return out
}()

// register adds the shop's pages to mux.
func (p *pages) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", p.home)
	mux.HandleFunc("GET /p/{slug}", p.product)
	mux.HandleFunc("GET /cart", p.cart)
	mux.HandleFunc("POST /cart/add", p.addToCart)
	mux.HandleFunc("POST /cart/remove", p.removeFromCart)
	mux.HandleFunc("GET /checkout", p.checkout)
	mux.HandleFunc("POST /checkout", p.placeOrder)
	mux.HandleFunc("GET /orders", p.orders)
	mux.HandleFunc("GET /login", p.loginForm)
	mux.HandleFunc("POST /login", p.login)
	mux.HandleFunc("POST /logout", p.logout)
}

// session returns the request's session id, starting a session (and
// setting its cookie) when there is none.
func (p *pages) session(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(sessionCookie); err == nil && p.shop.hasSession(c.Value) {
		return c.Value
	}
	id := p.shop.newSession()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return id
}

// render writes page name with v, filling in what every page shows.
func (p *pages) render(w http.ResponseWriter, r *http.Request, sid string, status int, name string, v view) {
	v.Cart = p.shop.cart(sid)
	if c, ok := p.shop.customerOf(sid); ok {
		v.Customer = &c
	}
	transport.SetPageTitle(r.Context(), v.Title) // for the agents' page history
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := parsed[name].ExecuteTemplate(w, "layout", v); err != nil {
		p.log.ErrorContext(r.Context(), "rendering a page", "page", name, "err", err)
	}
}

func (p *pages) home(w http.ResponseWriter, r *http.Request) {
	sid := p.session(w, r)
	p.render(w, r, sid, http.StatusOK, "home", view{Title: "Shop", Products: catalogue})
}

func (p *pages) product(w http.ResponseWriter, r *http.Request) {
	sid := p.session(w, r)
	prod, ok := productBySlug(r.PathValue("slug"))
	if !ok {
		p.render(w, r, sid, http.StatusNotFound, "notfound", view{Title: "Not found"})
		return
	}
	p.render(w, r, sid, http.StatusOK, "product", view{Title: prod.Name, Product: prod})
}

func (p *pages) cart(w http.ResponseWriter, r *http.Request) {
	sid := p.session(w, r)
	p.render(w, r, sid, http.StatusOK, "cart", view{Title: "Cart"})
}

func (p *pages) addToCart(w http.ResponseWriter, r *http.Request) {
	sid := p.session(w, r)
	// A product card in the chat posts product_id.
	prod, ok := productBySlug(cmp.Or(r.PostFormValue("slug"), r.PostFormValue("product_id")))
	qty, err := strconv.Atoi(r.PostFormValue("quantity"))
	if !ok || err != nil || qty < 1 || qty > 99 {
		http.Error(w, "no such product, or a quantity outside 1 to 99", http.StatusBadRequest)
		return
	}
	p.shop.updateCart(sid, func(c Cart) Cart { return addLine(c, prod, qty) })
	http.Redirect(w, r, "/cart", http.StatusSeeOther)
}

func (p *pages) removeFromCart(w http.ResponseWriter, r *http.Request) {
	sid := p.session(w, r)
	slug := r.PostFormValue("slug")
	p.shop.updateCart(sid, func(c Cart) Cart { return removeLine(c, slug) })
	http.Redirect(w, r, "/cart", http.StatusSeeOther)
}

func (p *pages) checkout(w http.ResponseWriter, r *http.Request) {
	sid := p.session(w, r)
	if _, ok := p.shop.customerOf(sid); !ok {
		http.Redirect(w, r, "/login?next=checkout", http.StatusSeeOther)
		return
	}
	p.render(w, r, sid, http.StatusOK, "checkout", view{Title: "Checkout"})
}

func (p *pages) placeOrder(w http.ResponseWriter, r *http.Request) {
	sid := p.session(w, r)
	c, ok := p.shop.customerOf(sid)
	if !ok {
		http.Redirect(w, r, "/login?next=checkout", http.StatusSeeOther)
		return
	}
	o, ok := p.shop.placeOrder(sid, p.now())
	if !ok {
		http.Redirect(w, r, "/cart", http.StatusSeeOther)
		return
	}
	p.render(w, r, sid, http.StatusOK, "orders", view{Title: "Your orders", Order: o, Orders: p.shop.ordersOf(c.ID)})
}

func (p *pages) orders(w http.ResponseWriter, r *http.Request) {
	sid := p.session(w, r)
	c, ok := p.shop.customerOf(sid)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	p.render(w, r, sid, http.StatusOK, "orders", view{Title: "Your orders", Orders: p.shop.ordersOf(c.ID)})
}

func (p *pages) loginForm(w http.ResponseWriter, r *http.Request) {
	sid := p.session(w, r)
	p.render(w, r, sid, http.StatusOK, "login", view{Title: "Log in"})
}

func (p *pages) login(w http.ResponseWriter, r *http.Request) {
	sid := p.session(w, r)
	newSID, ok := p.shop.login(sid, r.PostFormValue("email"), r.PostFormValue("password"))
	if !ok {
		p.render(w, r, sid, http.StatusUnauthorized, "login", view{Title: "Log in", Error: "Wrong email or password."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: newSID, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	next := "/"
	if r.URL.Query().Get("next") == "checkout" {
		next = "/checkout"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (p *pages) logout(w http.ResponseWriter, r *http.Request) {
	p.shop.logout(p.session(w, r))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
