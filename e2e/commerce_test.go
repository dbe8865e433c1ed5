package e2e_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
)

// annasShop is a shop's view of its customer Anna: who she is, her last
// order, and her cart.
type annasShop struct{}

func (annasShop) Customer(_ context.Context, v chat.Visitor) (*chat.Customer, error) {
	if v.CustomerID != "c-anna" {
		return nil, nil
	}
	return &chat.Customer{ID: v.CustomerID, Name: "Anna Kowalska", AdminURL: "https://admin.example.com/c/anna",
		Orders: []chat.Order{{Number: "1043", PlacedAt: time.Date(2026, 11, 30, 14, 5, 0, 0, time.UTC), Total: chat.Money{Amount: 3490, Currency: "EUR"},
			Status: "shipped", AdminURL: "javascript:alert(1)"}}}, nil
}

func (annasShop) Cart(_ context.Context, v chat.Visitor) (*chat.Cart, error) {
	if v.CustomerID != "c-anna" {
		return nil, nil
	}
	return &chat.Cart{Value: chat.Money{Amount: 9800, Currency: "EUR"}, Items: []chat.CartItem{
		{Name: "Oak <b>cutting</b> board", Quantity: 2, Total: chat.Money{Amount: 9800, Currency: "EUR"}, URL: "/p/oak-board"}}}, nil
}

// annaPage puts the page x of the shop before Anna, logged in.
func annaPage(t *testing.T, s *shop) {
	t.Helper()
	identity, err := transport.SignIdentity(testSecret, transport.Identity{CustomerID: "c-anna", Name: "Anna Kowalska", Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	s.setPage("x", page{Title: "Checkout", Lang: "en", Widget: map[string]string{"identity": identity}})
}

// inTokyo makes the tab's clock run in Tokyo, nine hours ahead of UTC.
func inTokyo(b *tab) {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Tokyo"})
		return err
	}))
}

// The shop's code reaches out: its trigger shows the invitation in the
// widget live, accepting it starts the chat, and the agent sees why it
// started, with the customer's orders and cart as lists, the times in
// the agent's own zone and no link that is not http.
func TestTriggerToInvitation(t *testing.T) {
	s := newShop(t, nil, func(sc *shopConfig) { sc.Desk.Customers, sc.Desk.Carts = annasShop{}, annasShop{} })
	annaPage(t, s)
	agent := s.newTab()
	inTokyo(agent)
	agent.login(s, "olga")
	visitor := s.visitorTab("/shop/x")
	agent.until("Anna is on the list", cAll("#visitors .name")+`.includes("Anna Kowalska")`)

	_, err := s.srv.Trigger(t.Context(), transport.Trigger{CustomerID: "c-anna", Reason: transport.ReasonPaymentDeclined,
		Message: "Your card was declined. Can we help?"})
	require.NoError(t, err)
	visitor.until("the invitation shows", `!`+w(".invite")+`.hidden && `+w("#pw-inv-msg")+`.textContent === "Your card was declined. Can we help?"`)
	visitor.click(w(".invite .primary"))
	visitor.until("the chat opens with it", wAll(".msg.bot p")+`.join() === "Your card was declined. Can we help?"`)

	agent.until("the chat is the agent's", cAll("#mine .conv-item")+`.length === 1`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.until("the agent sees why it started", cAll("#log .msg.note p")+`.includes("Started by the shop after: payment_declined")`)
	agent.until("and the orders as a list", cAll("#info .orders li")+`.length === 1`)
	order := eval[string](agent, `document.querySelector("#info .orders li").textContent`)
	require.Contains(t, order, "#1043")
	require.Contains(t, order, "11:05 PM", "14:05 UTC in Tokyo")
	require.Contains(t, order, "€34.90")
	require.False(t, eval[bool](agent, `!!document.querySelector("#info .orders a")`), "a javascript: link is shown as text")
	require.Equal(t, "https://admin.example.com/c/anna", eval[string](agent, `document.querySelector("#info .customer a").href`))
	require.Equal(t, "2 × Oak <b>cutting</b> board · €98.00", eval[string](agent, `document.querySelector("#info .cart li").textContent`),
		"markup in the shop's data stays text")
	require.Contains(t, eval[string](agent, `document.querySelector("#info .shop").textContent`), "Cart €98.00")
	agent.until("the invitation is listed with its reason", cAll("#info .invitations li")+`.some(x => x.startsWith("shop:payment_declined: accepted"))`)
	require.False(t, eval[bool](agent, `!!document.querySelector("#info pre, #info .raw")`))
	agent.screenshot("console-shop-context")
	visitor.until("the visitor never sees the note", wAll(".msg p")+`.every(x => !x.includes("Started by the shop"))`)
}

// hostileCard is a card whose text is markup.
var hostileCard = chat.ProductCard{ProductID: "enamel-teapot", Name: `Teapot <img src=x onerror="window.pwned=1">`,
	Price: chat.Money{Amount: 3490, Currency: "EUR"}, ImageURL: "/shop/teapot.png", URL: "/shop/teapot", AddToCart: "/cart/add"}

// An agent runs the shop's action: its product card and quick replies
// reach the widget, drawn as text; "add to cart" posts to the shop's own
// cart endpoint with the visitor's cookies; a quick reply is sent as the
// visitor's message; and the console shows the card and the replies
// offered.
func TestActionProductCardAndQuickReplies(t *testing.T) {
	var mu sync.Mutex
	var added []string
	s := newShop(t, nil, func(sc *shopConfig) {
		sc.Server.Actions = []transport.Action{{Name: "show-teapot", Label: "Show the teapot",
			Allow: func(context.Context, transport.ActionRequest) error { return nil },
			Run: func(context.Context, transport.ActionRequest) (transport.ActionResult, error) {
				card := hostileCard
				return transport.ActionResult{Body: "This one?", Card: &card, QuickReplies: []string{"Yes, thanks", "<b>No</b>"}}, nil
			}}}
		sc.Routes = func(mux *http.ServeMux) {
			mux.HandleFunc("POST /cart/add", func(w http.ResponseWriter, r *http.Request) {
				c, err := r.Cookie("cart")
				if err != nil || r.PostFormValue("quantity") != "1" {
					http.Error(w, "no cart", http.StatusBadRequest)
					return
				}
				mu.Lock()
				added = append(added, c.Value+":"+r.PostFormValue("product_id"))
				mu.Unlock()
				http.Redirect(w, r, "/shop/cart", http.StatusSeeOther)
			})
		}
	})
	agent := s.agentTab("olga")
	visitor := s.visitorTab("/shop/x")
	visitor.do(chromedp.Evaluate[chromedp.Void](`document.cookie = "cart=anna-cart; path=/";
		window.carted = []; Parley.on("cart", e => window.carted.push(e.product_id));`))
	visitor.ask("Do you have a teapot?")
	agent.until("the chat is the agent's", cAll("#mine .conv-item")+`.length === 1`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.until("the action's button shows", `document.querySelector('#shop-actions [data-action="show-teapot"]')`)
	agent.click(`document.querySelector('#shop-actions [data-action="show-teapot"]')`)

	visitor.until("the card shows", w(".msg.agent .card .name")+` !== null`)
	require.Equal(t, hostileCard.Name, eval[string](visitor, w(".msg.agent .card .name")+`.textContent`), "the name is text")
	require.Equal(t, 1, eval[int](visitor, `document.getElementById("parley-chat").shadowRoot.querySelectorAll(".msg.agent .card img").length`),
		"the card's own picture, and no element from the name")
	require.Equal(t, s.url+"/shop/teapot.png", eval[string](visitor, w(".msg.agent .card img")+`.src`))
	require.False(t, eval[bool](visitor, `window.pwned === 1`))
	require.Equal(t, "€34.90", eval[string](visitor, w(".msg.agent .card .price")+`.textContent`))
	require.Equal(t, s.url+"/shop/teapot", eval[string](visitor, w(".msg.agent .card a.name")+`.href`))
	require.Equal(t, []string{"Yes, thanks", "<b>No</b>"}, eval[[]string](visitor, wAll(".msg.agent .quick button")))

	visitor.click(w(".msg.agent .card button.add"))
	visitor.until("the product is added", w(".msg.agent .card button.add")+`.textContent === "Added to cart"`)
	mu.Lock()
	require.Equal(t, []string{"anna-cart:enamel-teapot"}, added, "posted once, to the shop's cart, with the visitor's cookie")
	mu.Unlock()
	require.Equal(t, []string{"enamel-teapot"}, eval[[]string](visitor, `window.carted`), "the page hears of it")

	visitor.click(w(".msg.agent .quick button"))
	agent.until("the quick reply arrives as the visitor's message", cAll("#log .msg.visitor p")+`.includes("Yes, thanks")`)
	visitor.until("the replies are gone once answered", wAll(".quick button")+`.length === 0`)
	require.Equal(t, hostileCard.Name, eval[string](agent, `document.querySelector("#log .msg .card .name").textContent`))
	require.Equal(t, []string{"Yes, thanks", "<b>No</b>"}, eval[[]string](agent, cAll("#log .msg .quick li")))
	require.False(t, eval[bool](agent, `window.pwned === 1`))
	visitor.screenshot("widget-product-card")
}

// runAction presses the console's button of the shop's action and, when
// it asks for one, gives it input.
func (b *tab) runAction(name, input string) {
	b.t.Helper()
	b.click(`document.querySelector('#shop-actions [data-action=` + js(name) + `]')`)
	if input == "" {
		return
	}
	b.until("the action asks for its input", `!document.getElementById("action-form").hidden`)
	b.do(chromedp.SetValue(chromedp.CSS(`#action-form input[name=value]`), input))
	b.click(`document.querySelector('#action-form button[type=submit]')`)
}

// TestDemoShopCommerce goes through the demo shop's commerce features in
// a browser: a declined card invites the customer, the console shows
// their cart and orders as lists and the shop's actions, a product card
// sent by an action goes into the cart from the chat, and a coupon's
// quick reply answers the agent.
func TestDemoShopCommerce(t *testing.T) {
	if noBrowser != "" {
		t.Skip(noBrowser)
	}
	t.Parallel()
	demo := startDemoShop(t, buildDemoShop(t), t.TempDir())
	shopURL := demo.printed["Shop"]
	s := &shop{t: t}
	agent := demo.staffTab(s)
	agent.open(demo.printed["Staff console"])
	agent.until("the console is connected", `document.getElementById("me-name").textContent !== ""`)

	customer := s.newTab()
	customer.open(shopURL + "login")
	customer.do(chromedp.SetValue(chromedp.CSS(`input[name=email]`), "anna@example.com"),
		chromedp.SetValue(chromedp.CSS(`input[name=password]`), "demo"))
	customer.click(`document.querySelector("main form button")`)
	customer.until("Anna is logged in", `document.querySelector("header a[href='/orders']")`)
	customer.open(shopURL + "p/stoneware-mug")
	customer.click(`document.querySelector("form[action='/cart/add'] button")`)
	customer.until("the mug is in the cart", `location.pathname === "/cart" && document.readyState === "complete"`)
	customer.open(shopURL + "checkout")
	customer.widgetReady()
	customer.click(`document.getElementById("pay-card")`)
	customer.until("the card is declined", `document.querySelector(".error") && document.querySelector(".error").textContent.startsWith("Your card was declined")`)
	customer.until("and the chat invites", `document.getElementById("parley-chat") && !`+w(".invite")+`.hidden && `+w("#pw-inv-msg")+`.textContent === "Your card was declined. Can we help?"`)
	customer.click(w(".invite .primary"))

	agent.until("the chat reaches the console", cAll("#mine .conv-item")+`.length === 1`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.until("the console shows why it started", cAll("#log .msg.note p")+`.includes("Started by the shop after: payment_declined")`)
	agent.until("the cart as a list", cAll("#info .cart li")+`.join() === "1 × Stoneware mug · €12.50"`)
	agent.until("and the last orders", cAll("#info .orders li")+`.length === 2`)
	require.Equal(t, []string{"send-product", "apply-coupon", "resend-confirmation", "parcel-status"},
		eval[[]string](agent, `Array.from(document.querySelectorAll("#shop-actions button"), b => b.dataset.action)`))

	agent.runAction("send-product", "oak")
	customer.until("the product card shows", w(".msg.agent .card .name")+` && `+w(".msg.agent .card .name")+`.textContent === "Oak cutting board"`)
	customer.click(w(".msg.agent .card button.add"))
	customer.until("it is added to the cart", w(".msg.agent .card button.add")+`.textContent === "Added to cart"`)
	agent.until("the console sees the new cart", cAll("#info .cart li")+`.length === 2`)

	agent.runAction("apply-coupon", "welcome10")
	customer.until("the quick replies show", wAll(".quick button")+`.join("|") === "That's all, thanks!|When will it arrive?"`)
	customer.click(w(".quick button"))
	agent.until("the visitor's quick reply arrives", cAll("#log .msg.visitor p")+`.includes("That's all, thanks!")`)

	customer.open(shopURL + "cart")
	customer.until("the cart page has the product", `document.querySelector("main").textContent.includes("Oak cutting board")`)
	demo.interrupt(t)
}
