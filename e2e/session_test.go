package e2e_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/transport"
)

// customerSession identifies visitors from the shop's session cookie set
// by /account/login: no token goes into the shop's pages.
func customerSession(sc *shopConfig) {
	sc.Server.IdentifyVisitor = func(r *http.Request) (transport.Identity, bool, error) {
		c, err := r.Cookie("customer")
		if err != nil || c.Value == "" {
			return transport.Identity{}, false, nil
		}
		return transport.Identity{CustomerID: "c-" + c.Value, Name: strings.ToUpper(c.Value[:1]) + c.Value[1:]}, true, nil
	}
}

// sqliteShop is a shop on an SQLite file, identifying customers from its
// session.
func sqliteShop(t *testing.T) *shop {
	t.Helper()
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(context.Background()) })
	return newShop(t, store, customerSession)
}

// answer has the agent open the chat in which the visitor asked question
// and reply, and waits until the visitor reads the reply.
func answer(agent, visitor *tab, question, reply string) {
	agent.t.Helper()
	agent.until("the question reaches the agent", cAll("#mine .preview")+`.includes(`+js(question)+`)`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.reply(reply)
	visitor.until("the visitor reads the reply", wAll(".msg.agent p")+`.join() === `+js(reply))
}

// Anna chats anonymously on her phone, then logs in to the shop, as she
// had on her laptop before. The phone's chat goes on as Anna's, every
// message shown once, and her laptop shows the same conversation.
func TestLoginMerge(t *testing.T) {
	s := sqliteShop(t)
	laptop := s.newTab()
	laptop.open(s.url + "/account/login?as=anna&to=/shop/mugs")
	laptop.widgetReady()

	agent := s.agentTab("olga")
	phone := s.visitorTab("/shop/kettle")
	phone.ask("Is the kettle in stock?")
	answer(agent, phone, "Is the kettle in stock?", "Yes, two left.")
	before := widgetState(phone)

	phone.open(s.url + "/account/login?as=anna&to=/shop/kettle")
	phone.until("the widget is connected after the login", widgetConnected)
	phone.until("the chat goes on after the login", wAll(".msg.agent p")+`.join() === "Yes, two left."`)
	after := widgetState(phone)
	assert.Equal(t, before.Conv, after.Conv, "the same conversation")
	assert.NotEqual(t, before.Token, after.Token, "of another visitor: Anna's")
	assert.Equal(t, []string{"Is the kettle in stock?"}, eval[[]string](phone, wAll(".msg.visitor p")), "each message once")
	assert.Equal(t, []string{"Yes, two left."}, eval[[]string](phone, wAll(".msg.agent p")))
	phone.say("I'll take it")
	phone.until("the message after the login is acked", acked("I'll take it"))
	agent.until("the agent reads it in the same conversation", cAll("#mine .preview")+`.includes("I'll take it")`)
	assert.Equal(t, 1, eval[int](agent, `document.querySelectorAll("#mine .conv-item").length`), "no second conversation")

	laptop.open(s.url + "/shop/mugs")
	laptop.until("the laptop's widget is connected", widgetConnected)
	laptop.click(w(".launcher"))
	laptop.until("the laptop shows the phone's conversation", wAll(".msg.visitor p")+`.join() === "Is the kettle in stock?,I'll take it"`)
	assert.Equal(t, before.Conv, widgetState(laptop).Conv)

	id, err := chat.ParseID(before.Conv)
	require.NoError(t, err)
	ms, err := s.desk.Store().Messages(t.Context(), id, chat.MessageQuery{})
	require.NoError(t, err)
	var said []string
	for _, m := range ms {
		if m.Author.Kind != chat.AuthorSystem {
			said = append(said, m.Body)
		}
	}
	assert.Equal(t, []string{"Is the kettle in stock?", "Yes, two left.", "I'll take it"}, said, "nothing lost or stored twice")
	v, err := s.desk.Visitor(t.Context(), visitorOf(t, s, before.Conv))
	require.NoError(t, err)
	assert.Equal(t, "c-anna", v.CustomerID, "the conversation is the customer's")
}

// A shared browser with the shop's session: Anna chats logged in and logs
// out in another window of the browser, and Bob logs in. The window still
// showing Anna's chat drops it as soon as the other connects as someone
// else, and Bob's widget neither shows nor receives anything of it.
func TestSharedBrowserSession(t *testing.T) {
	s := sqliteShop(t)
	agent := s.agentTab("olga")
	b := s.newTab()
	b.open(s.url + "/account/login?as=anna&to=/shop/kettle")
	b.widgetReady()
	b.ask("Deliver to 1 Elm Street")
	answer(agent, b, "Deliver to 1 Elm Street", "It leaves today, Anna.")
	anna := widgetState(b)

	// Anna logs out in another window of the browser (a frame here) while
	// this one still shows her chat.
	_ = eval[bool](b, `(f => (f.src = "/account/logout?to=/shop/out", document.body.append(f), true))(document.createElement("iframe"))`)
	b.until("the window showing Anna's chat drops it as the other connects", `!`+wAll(".msg p")+`.join().includes("Elm Street") && `+
		widgetConnected+` && `+widgetStateJS+`.token !== `+js(anna.Token))
	// From here on the window speaks as someone else. (Recording from
	// before the logout would catch the answers to Anna's own last
	// requests, such as her read receipt, still on their way to her.)
	frames := b.recordFrames()
	b.open(s.url + "/shop/out")
	b.until("the logged-out page is connected, without Anna's conversation", widgetConnected+` && !`+widgetStateJS+`.conv`)
	b.open(s.url + "/account/login?as=bob&to=/shop/mugs")
	b.until("Bob's widget is connected", widgetConnected)
	b.say("Hello, Bob here")
	b.until("Bob's message is acked", acked("Hello, Bob here"))
	assert.Equal(t, []string{"Hello, Bob here"}, eval[[]string](b, wAll(".msg.visitor p")), "Bob sees his own chat only")
	assert.Empty(t, eval[[]string](b, wAll(".msg.agent p")))
	received := frames.waitFor(t, "Hello, Bob here")
	for _, secret := range []string{"1 Elm Street", "It leaves today", anna.Conv} {
		assert.NotContains(t, received, secret, "nothing of Anna's chat reaches the browser after the logout")
	}
	assert.NotEqual(t, visitorOf(t, s, anna.Conv), visitorOf(t, s, widgetState(b).Conv), "Bob is another visitor")
}

// A single-page shop reports its routes with Parley.page; the widget
// keeps the visitor's token in the cookie TrackPages reads, and removes it
// with Parley.reset.
func TestWidgetPageAPIAndCookie(t *testing.T) {
	s := newShop(t, nil)
	b := s.visitorTab("/shop/app")
	token := widgetState(b).Token
	assert.True(t, eval[bool](b, `document.cookie.split("; ").includes(`+js(transport.VisitorCookie+"=")+` + encodeURIComponent(`+js(token)+`))`),
		"the token is in the site's cookie")

	_ = eval[bool](b, `Parley.page("/shop/app#/cart", "Your cart"), Parley.page("/shop/app#/checkout"), true`)
	id, err := chat.ParseID(eval[string](b, widgetStateJS+`.visitor`))
	require.NoError(t, err)
	var got []chat.PageView
	require.Eventually(t, func() bool {
		got, err = s.desk.Store().PageViews(t.Context(), id, 0)
		return err == nil && len(got) == 3
	}, wait, 20*time.Millisecond, "the page the browser loaded and the two routes")
	assert.Equal(t, s.url+"/shop/app#/cart", got[1].URL, "relative to the page")
	assert.Equal(t, "Your cart", got[1].Title)
	assert.Equal(t, s.url+"/shop/app", got[1].Referrer)
	assert.Equal(t, "Product app", got[2].Title, "the document's title when none is given")
	assert.Equal(t, s.url+"/shop/app#/cart", got[2].Referrer, "the previous route")

	_ = eval[bool](b, `Parley.reset(), true`)
	assert.False(t, eval[bool](b, `document.cookie.includes(`+js(transport.VisitorCookie+"=")+`)`), "reset removes the cookie")
}

// A single-page shop logs the customer in and out without a page load and
// calls Parley.refresh: the anonymous chat goes on as the customer's after
// the login, and is dropped after the logout.
func TestWidgetRefreshAfterLogin(t *testing.T) {
	s := sqliteShop(t)
	agent := s.agentTab("olga")
	b := s.visitorTab("/shop/app")
	b.ask("Do you ship to Finland?")
	answer(agent, b, "Do you ship to Finland?", "We do.")
	before := widgetState(b)

	_ = eval[bool](b, `fetch("/account/login?as=anna&to=/shop/x").then(() => Parley.refresh()), true`)
	b.until("the widget is Anna's", widgetConnected+` && `+widgetStateJS+`.token !== `+js(before.Token))
	assert.Equal(t, "c-anna", func() string {
		v, err := s.desk.Visitor(t.Context(), visitorOf(t, s, before.Conv))
		require.NoError(t, err)
		return v.CustomerID
	}(), "the chat is the customer's")
	b.until("the chat goes on", wAll(".msg.agent p")+`.join() === "We do."`)
	assert.Equal(t, before.Conv, widgetState(b).Conv)

	_ = eval[bool](b, `fetch("/account/logout?to=/shop/x").then(() => Parley.refresh()), true`)
	b.until("the chat is dropped after the logout", widgetConnected+` && !`+widgetStateJS+`.conv && !`+wAll(".msg p")+`.join().includes("We do.")`)
}
