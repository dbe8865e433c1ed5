package e2e_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// storedStart is the widget's saved state: the start it has not had an
// answer to, if any.
const storedStart = `Object.keys(localStorage).filter(k => k.startsWith("parley:")).map(k => JSON.parse(localStorage[k]).start)[0]`

// An address the server refuses is shown at the email field, what was
// typed stays, and the corrected form starts the chat. The widget checks
// the address with the server's rule before sending it.
func TestWidgetRefusedAddress(t *testing.T) {
	s := newShop(t, nil)
	s.setPage("x", page{Title: "Shop", Lang: "en", Widget: map[string]string{"prechat": "name,email"}})
	visitor := s.visitorTab("/shop/x")
	visitor.click(w(".launcher"))
	visitor.do(chromedp.SetValue(chromedp.JSPath(w("#pw-f-name")), "Anna"),
		chromedp.SetValue(chromedp.JSPath(w("#pw-f-email")), "anna.@example.com"))
	visitor.click(w("form.prechat .primary"))
	visitor.until("the address is refused at its field", w("#pw-e-email")+`?.textContent === "Please enter a valid email address." && `+
		w("#pw-f-email")+`.getAttribute("aria-invalid") === "true"`)
	require.True(t, eval[bool](visitor, `!`+w("form.prechat")+`.hidden && `+w("#pw-f-name")+`.value === "Anna" && `+w("#pw-f-email")+`.value === "anna.@example.com"`),
		"the form stays, filled in")
	require.True(t, eval[bool](visitor, storedStart+` == null`), "nothing is saved to replay")

	visitor.do(chromedp.SetValue(chromedp.JSPath(w("#pw-f-name")), strings.Repeat("ж", 101)),
		chromedp.SetValue(chromedp.JSPath(w("#pw-f-email")), "anna@example.com"))
	visitor.click(w("form.prechat .primary"))
	visitor.until("a name over the limit in bytes is refused at its field, and only it",
		w("#pw-e-name")+`?.textContent === "This name is too long." && !`+w("#pw-e-email"))

	visitor.do(chromedp.SetValue(chromedp.JSPath(w("#pw-f-name")), "Anna"))
	visitor.click(w("form.prechat .primary"))
	visitor.until("the chat starts", w("form.prechat")+`.hidden && !`+w(".composer")+`.hidden`)
	visitor.say("Where is my order?")
	visitor.until("the message is sent", wAll(".msg.visitor .state")+`.join() === "Sent"`)
	visitorHas(t, s, "anna@example.com", "Where is my order?")
}

// A start the server refuses when the widget replays it (saved by a page
// that did not know the rule) is dropped from localStorage, the form shows
// again with the refused address and the reason at it, the message written
// meanwhile is kept, and the corrected form delivers it: the widget is
// never stuck on "Sending…".
func TestWidgetRefusedStartIsNotReplayed(t *testing.T) {
	s := newShop(t, nil)
	s.setPage("x", page{Title: "Shop", Lang: "en", Widget: map[string]string{"prechat": "name,email"}})
	visitor := s.visitorTab("/shop/x")
	id := uuid.NewString()
	_ = eval[bool](visitor, `(() => {
		const k = Object.keys(localStorage).find(k => k.startsWith("parley:"));
		const saved = JSON.parse(localStorage[k]);
		saved.conv = `+js(id)+`;
		saved.outbox = [{key: "k-1", body: "Where is my order?", conv: `+js(id)+`}];
		saved.start = {type: "start", conversation_id: `+js(id)+`, name: "Anna", email: "anna.@example.com"};
		localStorage[k] = JSON.stringify(saved);
		return true;
	})()`)
	visitor.open(s.url + "/shop/x")
	visitor.until("the widget is loaded", `document.getElementById("parley-chat")`)
	visitor.click(w(".launcher"))
	visitor.until("the form is back with the server's reason at the address",
		`!`+w("form.prechat")+`.hidden && `+w("#pw-e-email")+`?.textContent === "Please enter a valid email address."`)
	require.Equal(t, "anna.@example.com", eval[string](visitor, w("#pw-f-email")+`.value`), "the refused address is kept")
	require.Equal(t, "Anna", eval[string](visitor, w("#pw-f-name")+`.value`))
	require.Equal(t, []string{"Where is my order?"}, eval[[]string](visitor, wAll(".msg.visitor p")), "the message is kept")
	require.True(t, eval[bool](visitor, storedStart+` == null`), "the refused start is not saved")

	// The next page does not replay it: the form waits, with the message.
	visitor.open(s.url + "/shop/x")
	visitor.until("the form shows without an error", `document.getElementById("parley-chat") && !`+w("form.prechat")+`.hidden && !`+w("#pw-e-email"))
	require.Equal(t, []string{"Where is my order?"}, eval[[]string](visitor, wAll(".msg.visitor p")), "the message is still kept")
	visitor.do(chromedp.SetValue(chromedp.JSPath(w("#pw-f-name")), "Anna"),
		chromedp.SetValue(chromedp.JSPath(w("#pw-f-email")), "anna@example.com"))
	visitor.click(w("form.prechat .primary"))
	visitor.until("the kept message is delivered", wAll(".msg.visitor .state")+`.join() === "Sent"`)
	visitorHas(t, s, "anna@example.com", "Where is my order?")
}

// visitorHas checks that the desk holds one conversation, with one message,
// from a visitor with the address.
func visitorHas(t *testing.T, s *shop, email, body string) {
	t.Helper()
	ctx := context.Background()
	cs, err := s.desk.Conversations(ctx, chat.ConversationFilter{Statuses: []chat.Status{chat.StatusWaiting, chat.StatusQueued, chat.StatusOpen}})
	require.NoError(t, err)
	require.Len(t, cs, 1)
	v, err := s.desk.Visitor(ctx, cs[0].VisitorID)
	require.NoError(t, err)
	require.Equal(t, email, v.Email)
	require.Equal(t, []string{body}, visitorBodies(t, s, cs[0].ID))
}

// visitorBodies is what the visitor wrote in a conversation, as stored.
func visitorBodies(t *testing.T, s *shop, conversation uuid.UUID) []string {
	t.Helper()
	ms, err := s.desk.Store().Messages(context.Background(), conversation, chat.MessageQuery{})
	require.NoError(t, err)
	var bodies []string
	for _, m := range ms {
		if m.Author.Kind == chat.AuthorVisitor {
			bodies = append(bodies, m.Body)
		}
	}
	return bodies
}

// chatting opens a visitor's tab that asks first, and the console of the
// agent who gets the chat, open on it.
func (s *shop) chatting(first string) (agent, visitor *tab) {
	s.t.Helper()
	agent = s.agentTab("olga")
	visitor = s.visitorTab("/shop/x")
	visitor.ask(first)
	agent.until("the chat is routed to the agent", cAll("#mine .preview")+`.includes(`+js(first)+`)`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	return agent, visitor
}

// A message over the server's limit in bytes (4,500 Cyrillic letters are
// 9,000 bytes, under 8,000 characters) is not sent: the widget and the
// console say so and keep the text in the box.
func TestMessageOverTheLimitIsKept(t *testing.T) {
	long := strings.Repeat("ж", 4500)
	s := newShop(t, nil)
	agent, visitor := s.chatting("Hello")

	visitor.say(long)
	visitor.until("the widget warns", `!`+w("#pw-too-long")+`.hidden && `+w("#pw-too-long")+`.textContent.includes("too long")`)
	require.Equal(t, long, eval[string](visitor, w("#pw-input")+`.value`), "the text stays in the box")
	require.Equal(t, []string{"Hello"}, eval[[]string](visitor, wAll(".msg.visitor p")))
	visitor.do(chromedp.SetValue(chromedp.JSPath(w("#pw-input")), long[:2*4000]))
	_ = eval[bool](visitor, w("#pw-input")+`.dispatchEvent(new Event("input"))`)
	visitor.until("the warning goes when the text fits", w("#pw-too-long")+`.hidden`)
	_ = eval[bool](visitor, `Parley.send(`+js(long)+`), true`)
	visitor.until("the page's too long message is not delivered", wAll(".msg.visitor.failed .state")+`.join() === "Not delivered — Retry"`)

	agent.reply(long)
	agent.until("the console warns", `!document.getElementById("too-long").hidden`)
	require.Equal(t, long, eval[string](agent, `document.getElementById("input").value`), "the reply stays in the box")
	require.Zero(t, eval[int](agent, `document.querySelectorAll("#log .msg.agent").length`))
}

// A message the server refuses is shown as not delivered, with its text,
// in the widget and in the console; Retry sends it again with its key.
func TestRefusedMessagesShowNotDelivered(t *testing.T) {
	s := newShop(t, nil)
	agent, visitor := s.chatting("Hello")

	// A NUL byte is refused by the server as invalid.
	_ = eval[bool](visitor, `Parley.send("a\u0000b"), true`)
	visitor.until("the widget shows it was not delivered", wAll(".msg.visitor.failed .state")+`.join() === "Not delivered — Retry"`)
	require.Equal(t, "a\x00b", eval[string](visitor, w(".msg.visitor.failed p")+`.textContent`))
	visitor.click(w(".msg.visitor.failed .retry"))
	visitor.until("a retry that is refused again says so again", wAll(".msg.visitor.failed .state")+`.join() === "Not delivered — Retry"`)

	_ = eval[bool](agent, `document.getElementById("input").value = "c\u0000d", true`)
	agent.do(chromedp.Click(chromedp.CSS("#input")), enter)
	agent.until("the console shows it was not delivered", cAll("#log .msg.failed .state")+`.join() === "Not delivered — Retry"`)
	require.Equal(t, "c\x00d", eval[string](agent, `document.querySelector("#log .msg.failed p").textContent`))
}

// A visitor who writes faster than the server's rate limit allows sees the
// messages the server kept refusing as not delivered; Retry delivers each
// once.
func TestWidgetRetryAfterRateLimit(t *testing.T) {
	s := newShop(t, nil, func(sc *shopConfig) {
		sc.Server.RateLimit, sc.Server.RateBurst = 0.5, 4
	})
	visitor := s.visitorTab("/shop/x")
	visitor.click(w(".launcher"))
	_ = eval[bool](visitor, `[1,2,3,4,5,6,7,8].forEach(n => Parley.send("m" + n)), true`)
	visitor.until("some are not delivered", wAll(".msg.visitor.failed")+`.length > 0`)
	for eval[int](visitor, wAll(".msg.visitor.failed")+`.length`) > 0 {
		visitor.click(w(".msg.visitor.failed .retry"))
		visitor.until("the retried message is on its way", wAll(".msg.visitor.failed")+`.length === 0 || `+wAll(".msg.visitor .state")+`.includes("Sending…")`)
		visitor.until("and delivered or refused", `!`+wAll(".msg.visitor .state")+`.includes("Sending…")`)
	}
	visitor.until("all are sent", wAll(".msg.visitor .state")+`.every(s => s === "Sent")`)
	cs, err := s.desk.Conversations(context.Background(), chat.ConversationFilter{})
	require.NoError(t, err)
	require.Len(t, cs, 1)
	require.ElementsMatch(t, []string{"m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"}, visitorBodies(t, s, cs[0].ID), "each message once")
}

// While the server is down the widget's header and the console say that
// the connection is lost, through every attempt to reconnect, and go back
// when the server is up again on the same port.
func TestOutageShowsReconnecting(t *testing.T) {
	s := newShop(t, nil)
	agent, visitor := s.chatting("Hello")
	visitor.until("the header names the agent", w(".status")+`.textContent === "Olga"`)

	// Each page records every text its status line shows, and counts its
	// attempts to connect.
	record := func(b *tab, status string) {
		_ = eval[bool](b, `(() => {
			const el = `+status+`;
			window.__seen = [];
			new MutationObserver(() => { if (window.__seen.at(-1) !== el.textContent) window.__seen.push(el.textContent); })
				.observe(el, {childList: true, characterData: true, subtree: true});
			const WS = WebSocket;
			window.__dials = 0;
			window.WebSocket = function (u) { window.__dials++; return new WS(u); };
			return true;
		})()`)
	}
	record(visitor, w(".status"))
	record(agent, `document.getElementById("conn")`)

	s.stop()
	for _, b := range []*tab{visitor, agent} {
		b.until("the page tried to reconnect twice", `window.__dials >= 2`)
	}
	// What the line showed before the loss may vary: the server's end of the
	// agent's connection can requeue the chat, and the visitor's header
	// empties, before the visitor's own connection drops. From the loss on
	// the line says one thing, through every attempt.
	fromLoss := func(b *tab, lost string) []string {
		seen := eval[[]string](b, `window.__seen`)
		if i := slices.Index(seen, lost); i >= 0 {
			return seen[i:]
		}
		return seen
	}
	require.Equal(t, []string{"Connection lost. Reconnecting…"}, fromLoss(visitor, "Connection lost. Reconnecting…"), "the widget, through the attempts")
	require.Equal(t, []string{"Connection lost; reconnecting…"}, fromLoss(agent, "Connection lost; reconnecting…"), "the console, through the attempts")
	s.restart()
	visitor.until("the header names the agent again", w(".status")+`.textContent === "Olga"`)
	agent.until("the console is connected again", `document.getElementById("conn").textContent === ""`)
	visitor.say("Back again")
	agent.until("the chat goes on", cAll("#log .msg.visitor p")+`.join("|") === "Hello|Back again"`)
}

// Every built-in language has every text of the English one, the failure
// messages included.
func TestWidgetLanguagesAreComplete(t *testing.T) {
	s := newShop(t, nil)
	visitor := s.visitorTab("/shop/x")
	for _, lang := range []string{"pl", "fi", "ru"} {
		missing := eval[[]string](visitor, `Object.keys(Parley.i18n.en).filter(k => !Parley.i18n[`+js(lang)+`][k])`)
		require.Empty(t, missing, "%s lacks texts", lang)
	}
}

// Without a pre-chat form, the messages of a start the server refuses (a
// page set a topic over the limit) show as not delivered; Retry starts
// again and delivers them.
func TestWidgetRefusedStartWithoutForm(t *testing.T) {
	s := newShop(t, nil)
	visitor := s.visitorTab("/shop/x")
	visitor.click(w(".launcher"))
	_ = eval[bool](visitor, `Parley.setTopic("x".repeat(200)), Parley.send("Hello"), true`)
	visitor.until("the message is not delivered", wAll(".msg.visitor.failed .state")+`.join() === "Not delivered — Retry"`)
	require.True(t, eval[bool](visitor, storedStart+` == null`), "the refused start is not saved")
	_ = eval[bool](visitor, `Parley.setTopic("delivery"), true`)
	visitor.click(w(".msg.visitor.failed .retry"))
	visitor.until("it is delivered", wAll(".msg.visitor .state")+`.join() === "Sent"`)
	cs, err := s.desk.Conversations(context.Background(), chat.ConversationFilter{})
	require.NoError(t, err)
	require.Len(t, cs, 1)
	require.Equal(t, "delivery", cs[0].Department)
}

// A transcript the server refuses (this shop sends no email) is said at
// the address field, which keeps the address for another try.
func TestWidgetRefusedTranscript(t *testing.T) {
	s := newShop(t, nil)
	agent, visitor := s.chatting("Hello")
	agent.click(`document.getElementById("close-btn")`)
	visitor.until("the chat ends", `!`+w(".endview")+`.hidden`)
	visitor.do(chromedp.SetValue(chromedp.JSPath(w("#pw-f-tr")), "anna@example.com"))
	visitor.click(w("form.transcript button"))
	visitor.until("the refusal shows at the field", w("#pw-f-tr")+`.validationMessage === "That did not work. Please try again."`)
	require.True(t, eval[bool](visitor, `!`+w("form.transcript")+`.hidden && `+w("#pw-f-tr")+`.value === "anna@example.com"`),
		"the form stays with the address")
}

// An address to reply to that does not reach the server (it is down) is
// not taken as saved: the field says so and keeps it, and once the server
// is back the same form saves it.
func TestWidgetReplyAddressNotSaved(t *testing.T) {
	s := newShop(t, nil)
	visitor := s.visitorTab("/shop/x")
	visitor.ask("Is anyone there?")
	visitor.until("the widget asks where to reply", `!`+w("form.reply")+`.hidden`)
	s.stop()
	visitor.until("the connection is lost", w(".status")+`.textContent === "Connection lost. Reconnecting…"`)
	visitor.do(chromedp.SetValue(chromedp.JSPath(w("#pw-f-reply")), "ola@example.com"))
	visitor.click(w("form.reply button"))
	visitor.until("the field says it was not saved", w("#pw-f-reply")+`.validationMessage === "That did not work. Please try again."`)
	require.True(t, eval[bool](visitor, `!`+w("form.reply")+`.hidden && `+w("#pw-f-reply")+`.value === "ola@example.com"`),
		"the form stays with the address")
	s.restart()
	visitor.until("the widget is back", w(".status")+`.textContent === "We are offline"`)
	visitor.click(w("form.reply button"))
	visitor.until("the form goes", w("form.reply")+`.hidden`)
	require.Eventually(t, func() bool {
		vs, err := s.desk.Conversations(context.Background(), chat.ConversationFilter{Statuses: []chat.Status{chat.StatusWaiting}})
		if err != nil || len(vs) != 1 {
			return false
		}
		v, err := s.desk.Visitor(context.Background(), vs[0].VisitorID)
		return err == nil && v.Email == "ola@example.com"
	}, wait, 20*time.Millisecond, "the address is saved once the server is back")
}
