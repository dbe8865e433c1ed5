package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startShop runs the demo with cfg as a user would, on a free port, and
// returns its base URL. The shop is stopped, and must stop cleanly, when
// the test ends.
func startShop(t *testing.T, cfg config) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	cfg.addr = "127.0.0.1:0"
	if cfg.dataDir == "" {
		cfg.dataDir = t.TempDir()
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, cfg, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var base string
	printed := ""
	for lines.Scan() {
		printed += lines.Text() + "\n"
		if m := regexp.MustCompile(`Shop:\s+(http://\S+)/`).FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
		}
		if strings.HasPrefix(lines.Text(), "Press Ctrl-C") {
			break
		}
	}
	require.NotEmpty(t, base, "the demo prints the shop URL")
	assert.Contains(t, printed, "Staff console:  "+base+"/staff/chat/")
	assert.Contains(t, printed, "Staff login:    olga / demo")
	assert.Contains(t, printed, "Customer login: anna@example.com / demo")
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Error("the demo did not stop")
		}
	})
	return base
}

// browser is an HTTP client with cookies, like a browser.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar}
}

// get fetches url and returns the status and body.
func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// post submits a form and returns the status and body after redirects.
func post(t *testing.T, c *http.Client, url string, form url.Values) (int, string) {
	t.Helper()
	resp, err := c.PostForm(url, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

const widget = `<script src="/chat/widget.js" async`

// hello opens a WebSocket to the chat at url, says hello with identity
// (may be empty) and returns the welcome.
func hello(t *testing.T, url, identity string, header http.Header) wire.ServerFrame {
	t.Helper()
	return helloFrame(t, url, wire.ClientFrame{Identity: identity}, header)
}

// helloFrame is hello with the visitor token and identity of f.
func helloFrame(t *testing.T, url string, hi wire.ClientFrame, header http.Header) wire.ServerFrame {
	t.Helper()
	ctx := t.Context()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
	require.NoError(t, err)
	defer c.CloseNow()
	hi.Type, hi.V = wire.FrameHello, wire.ProtocolVersion
	b, err := json.Marshal(hi)
	require.NoError(t, err)
	require.NoError(t, c.Write(ctx, websocket.MessageText, b))
	_, data, err := c.Read(ctx)
	require.NoError(t, err)
	var f wire.ServerFrame
	require.NoError(t, json.Unmarshal(data, &f))
	require.Equal(t, wire.FrameWelcome, f.Type, "%s", data)
	return f
}

// TestShopStartsServesAndStops checks the chat's two sides: visitors
// connect freely, the console needs the staff login, and the printed
// credentials work.
func TestShopStartsServesAndStops(t *testing.T) {
	base := startShop(t, config{})
	ws := "ws" + strings.TrimPrefix(base, "http")

	resp, err := http.Post(base+"/staff/chat/sse", "application/json", strings.NewReader(`{"type":"hello","v":1}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the agent side needs the shop's login")
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic", "a browser is asked to log in")

	resp, err = http.Get(base + "/chat/widget.js")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the script every page loads is there")
	assert.Contains(t, resp.Header.Get("Content-Type"), "javascript")

	req, err := http.NewRequest(http.MethodGet, base+"/staff/chat/", nil)
	require.NoError(t, err)
	req.SetBasicAuth("olga", "demo")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the console opens with the staff login")
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")

	assert.NotNil(t, hello(t, ws+"/chat/ws", "", nil).Visitor)
	agent := hello(t, ws+"/staff/chat/ws", "", http.Header{"Authorization": {"Basic b2xnYTpkZW1v"}}) // olga:demo
	require.NotNil(t, agent.Agent, "the printed demo credentials log in")
	assert.Equal(t, "Olga Nowak", agent.Agent.Name)
}

func TestPagesRender(t *testing.T) {
	base := startShop(t, config{})
	c := browser(t)
	status, body := get(t, c, base+"/")
	assert.Equal(t, http.StatusOK, status)
	for _, p := range catalogue {
		assert.Contains(t, body, `href="/p/`+p.Slug+`"`, "the home page lists every product")
	}
	assert.Contains(t, body, widget, "every page loads the chat widget")
	assert.NotContains(t, body, "data-identity", "an anonymous visitor has no identity")

	status, body = get(t, c, base+"/p/oak-board")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "<h1>Oak cutting board</h1>")
	assert.Contains(t, body, "€49.00")
	assert.Contains(t, body, widget)

	status, body = get(t, c, base+"/p/no-such-thing")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, body, widget, "the chat is there on the not-found page too")

	for _, path := range []string{"/cart", "/login"} {
		status, body = get(t, c, base+path)
		assert.Equal(t, http.StatusOK, status, path)
		assert.Contains(t, body, widget, path)
	}
}

// TestCustomerLogin logs the demo customer in and checks that the chat
// then takes the visitor for that customer, from the shop's session: the
// pages carry no identity.
func TestCustomerLogin(t *testing.T) {
	base := startShop(t, config{})
	ws := "ws" + strings.TrimPrefix(base, "http")
	c := browser(t)
	status, body := post(t, c, base+"/login", url.Values{"email": {"anna@example.com"}, "password": {"wrong"}})
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, body, "Wrong email or password.")
	assert.Empty(t, hello(t, ws+"/chat/ws", "", cookies(c, base)).Visitor.CustomerID)

	status, body = post(t, c, base+"/login", url.Values{"email": {"anna@example.com"}, "password": {"demo"}})
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "Anna Kowalska", "the header names the customer")
	assert.Contains(t, body, widget+`></script>`, "the widget's tag carries nothing of the customer")

	welcome := hello(t, ws+"/chat/ws", "", cookies(c, base))
	require.NotNil(t, welcome.Visitor)
	assert.Equal(t, "c-1", welcome.Visitor.CustomerID)
	assert.Equal(t, "Anna Kowalska", welcome.Visitor.Name)
	assert.Equal(t, "anna@example.com", welcome.Visitor.Email)

	status, body = get(t, c, base+"/orders")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "<td>1042</td>", "the demo customer has past orders")
	assert.Contains(t, body, "<td>1043</td>")

	status, body = post(t, c, base+"/logout", nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `href="/login"`)
	next := helloFrame(t, ws+"/chat/ws", wire.ClientFrame{Token: welcome.Token}, cookies(c, base))
	assert.NotEqual(t, welcome.Visitor.ID, next.Visitor.ID, "after the logout the browser's visitor is not the customer")
	assert.Empty(t, next.Visitor.CustomerID)
}

// cookies is the Cookie header the browser c sends to base.
func cookies(c *http.Client, base string) http.Header {
	u, _ := url.Parse(base)
	h := http.Header{}
	for _, k := range c.Jar.Cookies(u) {
		h.Add("Cookie", k.String())
	}
	return h
}

// TestPagesTracked checks that the shop's pages are recorded for the
// agents' live list as they are served, for a visitor whose browser has
// Parley's cookie, with the page's title.
func TestPagesTracked(t *testing.T) {
	base := startShop(t, config{})
	ws := "ws" + strings.TrimPrefix(base, "http")
	c := browser(t)
	v := hello(t, ws+"/chat/ws", "", nil)
	u, err := url.Parse(base)
	require.NoError(t, err)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: transport.VisitorCookie, Value: v.Token, Path: "/"}})
	status, _ := get(t, c, base+"/p/oak-board")
	require.Equal(t, http.StatusOK, status)

	agent := hello(t, ws+"/staff/chat/ws", "", http.Header{"Authorization": {"Basic b2xnYTpkZW1v"}}) // olga:demo
	var page *wire.VisitedPage
	for _, st := range agent.Visitors {
		if st.Visitor.ID == v.Visitor.ID {
			page = st.Page
		}
	}
	require.NotNil(t, page, "the visitor is listed with the page they opened")
	assert.Equal(t, base+"/p/oak-board", page.URL)
	assert.Equal(t, "Oak cutting board", page.Title)
}

// TestCartAndCheckout fills a cart anonymously, logs in on the way to the
// checkout, places the order and finds it among the customer's orders.
func TestCartAndCheckout(t *testing.T) {
	base := startShop(t, config{})
	c := browser(t)
	_, body := post(t, c, base+"/cart/add", url.Values{"slug": {"stoneware-mug"}, "quantity": {"2"}})
	_, body = post(t, c, base+"/cart/add", url.Values{"slug": {"oak-board"}, "quantity": {"1"}})
	assert.Contains(t, body, "Cart (3)")
	assert.Contains(t, body, "€74.00", "2 × €12.50 + €49.00")

	_, body = post(t, c, base+"/cart/add", url.Values{"slug": {"stoneware-mug"}, "quantity": {"1"}})
	assert.Contains(t, body, "<td>3</td><td>€37.50</td>", "adding a product again adds to its line")
	_, body = post(t, c, base+"/cart/remove", url.Values{"slug": {"oak-board"}})
	assert.Contains(t, body, "Cart (3)")
	assert.NotContains(t, body, "Oak cutting board")

	status, _ := post(t, c, base+"/cart/add", url.Values{"slug": {"stoneware-mug"}, "quantity": {"0"}})
	assert.Equal(t, http.StatusBadRequest, status)

	status, body = get(t, c, base+"/checkout")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "<h1>Log in</h1>", "the checkout asks an anonymous visitor to log in")
	status, body = post(t, c, base+"/login?next=checkout", url.Values{"email": {"anna@example.com"}, "password": {"demo"}})
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "<h1>Checkout</h1>", "and returns to it")
	assert.Contains(t, body, "€37.50", "the anonymous cart came along")

	_, body = post(t, c, base+"/checkout", nil)
	assert.Contains(t, body, "Order 1044 is placed.")
	assert.Contains(t, body, "Cart (0)")
	assert.Regexp(t, `<td>1044</td><td>[^<]+</td><td>3</td><td>€37.50</td>`, body)

	_, body = post(t, c, base+"/checkout", nil)
	assert.Contains(t, body, "Your cart is empty.", "an empty cart places no order")
}

// TestAgentsSeeTheCustomersCartAndOrders connects an agent, then the
// logged-in demo customer with a full cart, and checks that the agent's
// visitor list shows the customer with the shop's context: name, cart,
// cart value and past orders.
func TestAgentsSeeTheCustomersCartAndOrders(t *testing.T) {
	base := startShop(t, config{})
	ws := "ws" + strings.TrimPrefix(base, "http")
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()

	c := browser(t)
	post(t, c, base+"/login", url.Values{"email": {"anna@example.com"}, "password": {"demo"}})
	post(t, c, base+"/cart/add", url.Values{"slug": {"oak-board"}, "quantity": {"2"}})

	agent, _, err := websocket.Dial(ctx, ws+"/staff/chat/ws", &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Basic b2xnYTpkZW1v"}},
	})
	require.NoError(t, err)
	defer agent.CloseNow()
	require.NoError(t, agent.Write(ctx, websocket.MessageText, []byte(`{"type":"hello","v":1}`)))

	visitor := hello(t, ws+"/chat/ws", "", cookies(c, base))
	require.Equal(t, "c-1", visitor.Visitor.CustomerID)

	var got *chat.ShopContext
	for got == nil || got.Cart == nil || len(got.Cart.Items) == 0 {
		_, data, err := agent.Read(ctx)
		require.NoError(t, err, "the agent never saw the customer and their cart")
		var f wire.ServerFrame
		require.NoError(t, json.Unmarshal(data, &f))
		states := f.Visitors
		if f.State != nil {
			states = append(states, *f.State)
		}
		for _, s := range states {
			if s.Visitor.CustomerID == "c-1" && s.Shop != nil {
				got = s.Shop
			}
		}
	}
	require.NotNil(t, got.Customer)
	assert.Equal(t, "Anna Kowalska", got.Customer.Name)
	assert.Equal(t, "/staff/customers/c-1", got.Customer.AdminURL)
	assert.Equal(t, chat.Money{Amount: 9800, Currency: "EUR"}, got.Cart.Value)
	require.Len(t, got.Cart.Items, 1)
	assert.Equal(t, chat.CartItem{ProductID: "oak-board", Name: "Oak cutting board", Quantity: 2, Total: chat.Money{Amount: 9800, Currency: "EUR"},
		URL: "/p/oak-board"}, got.Cart.Items[0])
	require.Len(t, got.Customer.Orders, 2)
	assert.Equal(t, "1043", got.Customer.Orders[0].Number, "newest first")
	assert.Equal(t, "shipped", got.Customer.Orders[0].Status)
	assert.Equal(t, "/staff/orders/1043", got.Customer.Orders[0].AdminURL)
	assert.Equal(t, chat.Money{Amount: 3490, Currency: "EUR"}, got.Customer.Orders[0].Total)
	assert.Equal(t, "1042", got.Customer.Orders[1].Number)
}

// TestStorageBackends runs the shop on PostgreSQL and MySQL when their
// test databases are configured.
func TestStorageBackends(t *testing.T) {
	for _, b := range []struct{ store, env string }{{"postgres", "PARLEY_TEST_POSTGRES"}, {"mysql", "PARLEY_TEST_MYSQL"}} {
		t.Run(b.store, func(t *testing.T) {
			dsn := os.Getenv(b.env)
			if dsn == "" {
				t.Skipf("set %s to a DSN to run the shop on %s", b.env, b.store)
			}
			base := startShop(t, config{store: b.store, dsn: dsn})
			ws := "ws" + strings.TrimPrefix(base, "http")
			assert.NotNil(t, hello(t, ws+"/chat/ws", "", nil).Visitor)
		})
	}
}
