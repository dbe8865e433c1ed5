package e2e_test

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/transport"
)

// The conversation survives page navigation: the widget keeps the
// visitor token in localStorage, resumes with sync, stays open, and shows
// what arrived while the next page loaded. The store is a SQLite file.
func TestWidgetResumesAfterNavigation(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(context.Background()) })
	s := newShop(t, store)
	s.setPage("a", page{Title: "Helmets", Lang: "en", Next: "/shop/b"})
	s.setPage("b", page{Title: "Gloves", Lang: "en"})

	agent := s.agentTab("olga")
	visitor := s.visitorTab("/shop/a")
	visitor.ask("Do you have size M?")
	agent.until("the chat is routed to the agent", cAll("#mine .preview")+`.includes("Do you have size M?")`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.reply("Yes, in black.")
	visitor.until("the reply arrives", wAll(".msg.agent p")+`.join() === "Yes, in black."`)
	token := eval[string](visitor, `Object.keys(localStorage).filter(k => k.startsWith("parley:")).map(k => JSON.parse(localStorage[k]).token)[0]`)
	require.NotEmpty(t, token)

	visitor.do(chromedp.Click(chromedp.CSS("#next")))
	visitor.until("the next page loaded", `document.title === "Gloves"`)
	agent.reply("Anything else?") // sent while the visitor's page changes
	visitor.until("the transcript is back, in order, with the new reply",
		wAll(".msg p")+`.join("|") === "Do you have size M?|Yes, in black.|Anything else?"`)
	require.True(t, eval[bool](visitor, `!`+w(".panel")+`.hidden`), "the window stays open across pages")
	visitor.say("No, thanks")
	agent.until("the same conversation goes on", cAll("#log .msg p")+`.join("|") === "Do you have size M?|Yes, in black.|Anything else?|No, thanks"`)
	require.Len(t, eval[[]string](agent, cAll("#mine .conv-item")), 1, "one conversation, one visitor")
}

// Network loss: the widget reconnects with backoff and sends what the
// visitor wrote while offline, once.
func TestWidgetReconnectsAndResends(t *testing.T) {
	s := newShop(t, nil)
	agent := s.agentTab("olga")
	visitor := s.visitorTab("/shop/x")
	visitor.ask("First")
	agent.until("the first message arrives", cAll("#mine .preview")+`.includes("First")`)
	agent.click(`document.querySelector("#mine .conv-item button")`)

	s.net.setDown(true)
	visitor.until("the widget notices", w(".status")+`.textContent === "Connection lost. Reconnecting…"`)
	visitor.say("Second, written offline")
	require.Equal(t, "Sending…", eval[string](visitor, wAll(".msg.visitor .state")+`.pop()`))
	s.net.setDown(false)
	agent.until("the message arrives once, in order", cAll("#log .msg.visitor p")+`.join("|") === "First|Second, written offline"`)
	visitor.until("the widget is acked", wAll(".msg.visitor .state")+`.every(s => s === "Sent" || s === "Read")`)
	visitor.until("the widget is back online", w(".status")+`.textContent === "Olga"`)
}

// The chat is rendered as text: markup and javascript: links written by
// a visitor, an agent or in a customer's name never run, in the widget or
// in the console, and show literally.
func TestMessagesAreInert(t *testing.T) {
	const name = `<img src=x onerror="window.__xss=1">Eve`
	s := newShop(t, nil)
	identity, err := transport.SignIdentity(testSecret, transport.Identity{CustomerID: "c-1", Name: name, Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	s.setPage("p", page{Title: `<script>window.__xss=1</script>Bikes`, Lang: "en", Widget: map[string]string{"identity": identity}})
	attacks := []string{
		`<script>window.__xss=1</script>`,
		`<img src=x onerror="window.__xss=1">`,
		`javascript:window.__xss=1`,
		`<a href="javascript:window.__xss=1">click</a>`,
	}

	agent := s.agentTab("olga")
	visitor := s.visitorTab("/shop/p")
	visitor.click(w(".launcher"))
	for _, a := range attacks {
		visitor.say(a)
	}
	agent.until("the messages arrive", cAll("#mine .conv-item")+`.length === 1`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.until("the console shows them literally", cAll("#log .msg.visitor p")+`.join("\n") === `+js(join(attacks)))
	for _, a := range attacks {
		agent.reply(a)
	}
	visitor.until("the widget shows them literally", wAll(".msg.agent p")+`.join("\n") === `+js(join(attacks)))
	require.Equal(t, name, eval[string](agent, `document.getElementById("conv-title").textContent`), "the name is text too")
	agent.click(`document.getElementById("tab-visitors")`)
	agent.until("the visitor list shows the name and the page title as text",
		cAll("#visitors tbody td:nth-child(1) .name")+`.join() === `+js(name)+` && `+
			cAll("#visitors tbody td:nth-child(2)")+`.join() === `+js("<script>window.__xss=1</script>Bikes — "+s.url+"/shop/p"))

	for side, b := range map[string]*tab{"visitor": visitor, "agent": agent} {
		require.True(t, eval[bool](b, `window.__xss === undefined`), "%s: no injected script ran", side)
		root := `document`
		if side == "visitor" {
			root = `document.getElementById("parley-chat").shadowRoot`
		}
		require.Zero(t, eval[int](b, root+`.querySelectorAll(".msg img, .msg script, .msg a, h2 img, td img, td script").length`), "%s: no element came from the text", side)
	}
}

func join(lines []string) string {
	s := ""
	for i, l := range lines {
		if i > 0 {
			s += "\n"
		}
		s += l
	}
	return s
}

// The widget speaks Polish, Finnish and Russian, chosen by data-lang, by
// the page's <html lang>, or by the browser.
func TestWidgetLanguages(t *testing.T) {
	s := newShop(t, nil)
	s.setPage("pl", page{Title: "Rowery", Lang: "en", Widget: map[string]string{"lang": "pl"}})
	s.setPage("fi", page{Title: "Polkupyörät", Lang: "fi"})
	s.setPage("ru", page{Title: "Велосипеды", Lang: "ru-RU"})
	s.setPage("de", page{Title: "Fahrräder", Lang: "de"})
	for _, c := range []struct{ page, lang, title, placeholder, launcher string }{
		{"pl", "pl", "Porozmawiaj z nami", "Napisz wiadomość…", "Otwórz czat"},
		{"fi", "fi", "Keskustele kanssamme", "Kirjoita viesti…", "Avaa chat"},
		{"ru", "ru", "Напишите нам", "Введите сообщение…", "Открыть чат"},
		{"de", "en", "Chat with us", "Type your message…", "Open chat"},
	} {
		b := s.newTab()
		b.open(s.url + "/shop/" + c.page)
		b.widgetReady()
		require.Equal(t, c.lang, eval[string](b, `Parley.language()`), c.page)
		require.Equal(t, c.launcher, eval[string](b, w(".launcher")+`.getAttribute("aria-label")`), c.page)
		b.click(w(".launcher"))
		require.Equal(t, c.title, eval[string](b, w("#pw-title")+`.textContent`), c.page)
		require.Equal(t, c.placeholder, eval[string](b, w("#pw-input")+`.placeholder`), c.page)
		if c.page != "de" {
			b.screenshot("widget-" + c.lang)
		}
	}
}

// A page adds a language through window.Parley.i18n before the widget
// loads; missing strings fall back to English.
func TestWidgetAddedLanguage(t *testing.T) {
	s := newShop(t, nil)
	b := s.visitorTab("/shop/x")
	b.reloadWidget("de", `{title: "Chat mit uns"}`)
	b.until("the widget is back in German", `document.getElementById("parley-chat") && `+w("#pw-title")+`.textContent === "Chat mit uns"`)
	require.Equal(t, "Type your message…", eval[string](b, w("#pw-input")+`.placeholder`))
}

// With no agent online the conversation is an offline request: the
// widget says so, shows the automatic acknowledgement and the shop's other
// contacts, and the chat goes on when an agent comes and picks it.
func TestWidgetOffline(t *testing.T) {
	s := newShop(t, nil)
	s.setPage("x", page{Title: "Shop", Lang: "en", Widget: map[string]string{
		"phone": "+48 22 123 45 67", "phone-hours": "Mon–Fri 9–17", "email": "help@shop.example",
		"whatsapp": "+48 221 234 567", "telegram": "@shopchat", "skype": "shop.help",
	}})
	visitor := s.visitorTab("/shop/x")
	visitor.ask("Is anyone there?")
	visitor.until("the offline notice shows", `!`+w(".offline")+`.hidden && `+w(".status")+`.textContent === "We are offline"`)
	visitor.until("the acknowledgement arrives", wAll(".msg.system p")+`.length === 1`)
	require.Equal(t, []string{
		"tel:+48221234567", "mailto:help@shop.example", "https://wa.me/48221234567", "https://t.me/shopchat", "skype:shop.help?chat",
	}, eval[[]string](visitor, `Array.from(document.getElementById("parley-chat").shadowRoot.querySelectorAll(".contacts a"), a => a.getAttribute("href"))`))
	require.Equal(t, "Phone: +48 22 123 45 67 Mon–Fri 9–17", eval[string](visitor, w(".contacts li")+`.textContent`))
	require.False(t, eval[bool](visitor, w("form.reply")+`.hidden`), "asks where to reply")
	visitor.screenshot("widget-offline")
	visitor.do(chromedp.SendKeys(chromedp.JSPath(w("#pw-f-reply")), "not an address"))
	visitor.click(w("form.reply button"))
	require.False(t, eval[bool](visitor, w("form.reply")+`.hidden`), "a bad address is refused")
	visitor.do(chromedp.SetValue(chromedp.JSPath(w("#pw-f-reply")), "ola@example.com"))
	visitor.click(w("form.reply button"))
	visitor.until("the form goes", w("form.reply")+`.hidden`)
	require.Eventually(t, func() bool {
		vs, err := s.desk.Conversations(context.Background(), chat.ConversationFilter{Statuses: []chat.Status{chat.StatusWaiting}})
		if err != nil || len(vs) != 1 {
			return false
		}
		v, err := s.desk.Visitor(context.Background(), vs[0].VisitorID)
		return err == nil && v.Email == "ola@example.com"
	}, wait, 50*time.Millisecond, "the address is saved on the visitor")

	agent := s.agentTab("olga")
	agent.until("the request reaches the agent", cAll(".conv-item .preview")+`.some(p => p !== "")`)
	agent.click(`document.querySelector(".conv-item button")`)
	agent.until("the transcript shows", cAll("#log .msg.visitor p")+`.includes("Is anyone there?")`)
	if eval[bool](agent, `!document.getElementById("pick-btn").hidden`) {
		agent.click(`document.getElementById("pick-btn")`)
	}
	agent.until("the agent has it", `document.getElementById("conv-status").textContent === "open"`)
	agent.reply("Hi, I am here now.")
	visitor.until("the reply arrives and the notice goes", wAll(".msg.agent p")+`.join() === "Hi, I am here now." && `+w(".offline")+`.hidden`)
}

// An agent who is away gets no chats; an offline request waits in the
// console's list until the agent picks it.
func TestConsolePicksWaitingRequest(t *testing.T) {
	s := newShop(t, nil)
	agent := s.agentTab("olga")
	agent.goAway()
	visitor := s.visitorTab("/shop/x")
	visitor.ask("Hello?")
	agent.until("the request is listed", cAll("#waiting .preview")+`.length === 1`)
	agent.click(`document.querySelector("#waiting .conv-item button")`)
	agent.click(`document.getElementById("pick-btn")`)
	agent.until("the agent has it", cAll("#mine .conv-item")+`.length === 1 && document.getElementById("conv-status").textContent === "open"`)
	agent.reply("Picked it up.")
	visitor.until("the visitor gets the answer", wAll(".msg.agent p")+`.join() === "Picked it up."`)
}

// The page's JavaScript API drives the widget, and the SSE fallback
// carries the whole chat.
func TestWidgetAPIOverSSE(t *testing.T) {
	s := newShop(t, nil)
	s.setPage("x", page{Title: "Shop", Lang: "en", Widget: map[string]string{"transport": "sse"}})
	agent := s.agentTab("olga")
	visitor := s.visitorTab("/shop/x")
	visitor.do(chromedp.Evaluate[chromedp.Void](`
		window.events = [];
		Parley.on("open", () => events.push("open"));
		Parley.on("close", () => events.push("close"));
		Parley.on("message", m => events.push(m.author.kind + ":" + m.body));
		Parley.on("conversation-closed", () => events.push("closed"));
		Parley.open();
		Parley.prefill("typed for you");
		Parley.send("Hello over SSE");`))
	require.Equal(t, "typed for you", eval[string](visitor, w("#pw-input")+`.value`))
	agent.until("the message arrives", cAll("#mine .preview")+`.includes("Hello over SSE")`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.reply("Hello back")
	visitor.until("the reply arrives", `events.includes("agent:Hello back")`)
	visitor.do(chromedp.Evaluate[chromedp.Void](`Parley.close()`))
	agent.click(`document.getElementById("close-btn")`)
	visitor.until("the page hears of the end", `events.includes("closed")`)
	require.Equal(t, []string{"open", "visitor:Hello over SSE", "agent:Hello back", "close", "closed"}, eval[[]string](visitor, `events`))
	require.Equal(t, int64(1), s.ws.Load(), "only the console used WebSocket")
	require.NotZero(t, s.sse.Load())
}

// The pre-chat form asks what the shop configured; the topic becomes the
// conversation's department. At the end the visitor rates the chat.
func TestWidgetPrechatAndRating(t *testing.T) {
	mail := &mailbox{}
	s := newShop(t, nil, func(sc *shopConfig) {
		sc.Desk.Notifier = mail
		sc.Desk.EmailConfirmURL = "https://shop.example.com/chat/email/confirm" // opened below on the test's server
	})
	s.setPage("x", page{Title: "Shop", Lang: "en", Widget: map[string]string{
		"prechat": "name,email", "topics": "delivery:Delivery|returns:Returns",
	}})
	agent := s.agentTab("olga")
	visitor := s.visitorTab("/shop/x")
	visitor.click(w(".launcher"))
	visitor.until("the form shows", `!`+w("form.prechat")+`.hidden && `+w(".composer")+`.hidden`)
	visitor.click(w("form.prechat button[type=submit]"))
	require.Equal(t, "Please fill in this field.", eval[string](visitor, w(".err")+`.textContent`))
	visitor.do(
		chromedp.SendKeys(chromedp.JSPath(w("#pw-f-name")), "Anna"),
		chromedp.SendKeys(chromedp.JSPath(w("#pw-f-email")), "anna@example.com"),
		chromedp.SetValue(chromedp.JSPath(w("#pw-f-topic")), "returns"),
	)
	visitor.screenshot("widget-prechat")
	visitor.click(w("form.prechat button[type=submit]"))
	visitor.until("the composer shows", `!`+w(".composer")+`.hidden`)
	visitor.say("I want to return a helmet")
	agent.until("the chat arrives with its topic", cAll("#mine .meta")+`.some(t => t.startsWith("returns"))`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.reply("Sure, I have sent you a label.")
	visitor.until("the reply arrives", wAll(".msg.agent p")+`.length === 1`)
	agent.click(`document.getElementById("close-btn")`)

	visitor.until("the end view shows", `!`+w(".endview")+`.hidden && `+w(".composer")+`.hidden`)
	visitor.click(w(`.endview [data-v=yes]`))
	visitor.click(w(`.stars [data-n="4"]`))
	visitor.screenshot("widget-rating")
	visitor.click(w(".rate .primary"))
	visitor.until("thanks", `!`+w(".thanks")+`.hidden`)
	agent.until("the agent sees the rating", `document.getElementById("conv-status").textContent === "closed · rated 4/5"`)
	info, err := s.desk.Conversations(context.Background(), chat.ConversationFilter{Statuses: []chat.Status{chat.StatusClosed}})
	require.NoError(t, err)
	require.Len(t, info, 1)
	require.Equal(t, 4, info[0].Rating)
	require.True(t, *info[0].Resolved)
	require.Equal(t, "returns", info[0].Department)
	v, err := s.desk.Visitor(context.Background(), info[0].VisitorID)
	require.NoError(t, err)
	require.Equal(t, [2]string{"Anna", "anna@example.com"}, [2]string{v.Name, v.Email}, "the form's answers are saved on the visitor")

	// The transcript goes to the address from the form unless changed,
	// once its owner confirms it: the form's address is only typed.
	require.Equal(t, "anna@example.com", eval[string](visitor, w("#pw-f-tr")+`.value`))
	visitor.click(w("form.transcript button"))
	visitor.until("the widget asks to confirm", wAll(".endview [role=status]")+
		`.includes("Check your inbox: open the link we sent to anna@example.com to get the transcript.")`)
	confirm := mail.sent(chat.NoticeConfirmEmail)
	require.Len(t, confirm, 1)
	require.Empty(t, mail.sent(chat.NoticeTranscript))
	link, err := url.Parse(confirm[0].ConfirmURL)
	require.NoError(t, err)
	inbox := s.newTab()
	inbox.open(s.url + link.Path + "?" + link.RawQuery)
	inbox.click(`document.querySelector("form button")`)
	inbox.until("the page confirms", `document.body.textContent.includes("The chat transcript is on its way.")`)
	sent := mail.sent(chat.NoticeTranscript)
	require.Len(t, sent, 1)
	require.Equal(t, "anna@example.com", sent[0].To.Email)
	require.Equal(t, info[0].ID, sent[0].Conversation.ID)
}

// The widget is usable by keyboard alone, and fills a phone's screen.
func TestWidgetKeyboardAndPhone(t *testing.T) {
	s := newShop(t, nil)
	b := s.newTab()
	s.setPage("x", page{Title: "Shop", Lang: "en", Next: "/shop/y"})
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	b.open(s.url + "/shop/x")
	b.widgetReady()
	// Tab from the page's link to the launcher, and open it with Enter.
	b.do(chromedp.Focus(chromedp.CSS("#next")), chromedp.KeyEvent("\t"))
	b.until("the launcher has the focus", `document.activeElement.id === "parley-chat" && `+w(".launcher")+` === document.getElementById("parley-chat").shadowRoot.activeElement`)
	b.do(chromedp.KeyEvent("\r"))
	b.until("the message box has the focus", `document.getElementById("parley-chat").shadowRoot.activeElement === `+w("#pw-input"))
	require.Equal(t, "dialog", eval[string](b, w(".panel")+`.getAttribute("role")`))
	require.Equal(t, "log", eval[string](b, w(".log")+`.getAttribute("role")`))
	rect := eval[map[string]float64](b, `(() => { const r = `+w(".panel")+`.getBoundingClientRect(); return {w: r.width, h: r.height}; })()`)
	require.Equal(t, map[string]float64{"w": 390, "h": 844}, rect, "the window fills the phone's screen")
	b.screenshot("widget-phone")
	b.do(chromedp.KeyEvent("\u001b"))
	b.until("Escape closes it and gives the focus back", w(".panel")+`.hidden && document.getElementById("parley-chat").shadowRoot.activeElement === `+w(".launcher"))
}
