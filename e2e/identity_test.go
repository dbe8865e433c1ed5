package e2e_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
)

// A shared browser: Anna chats while logged in and logs out, then Bob logs
// in on the same browser. Neither the page after the logout nor Bob's
// widget shows or receives anything of Anna's chat.
func TestSharedBrowserLogout(t *testing.T) {
	s := newShop(t, nil)
	s.setPage("anna", page{Title: "Kettles", Lang: "en", Widget: map[string]string{"identity": signIdentity(t, "c-anna", "Anna")}})
	s.setPage("out", page{Title: "Logged out", Lang: "en"})
	s.setPage("bob", page{Title: "Mugs", Lang: "en", Widget: map[string]string{"identity": signIdentity(t, "c-bob", "Bob")}})

	agent := s.agentTab("olga")
	b := s.visitorTab("/shop/anna")
	b.ask("Deliver to 1 Elm Street")
	answer(agent, b, "Deliver to 1 Elm Street", "It leaves today, Anna.")
	anna := widgetState(b)
	secrets := []string{"1 Elm Street", "It leaves today", anna.Conv}

	frames := b.recordFrames()
	b.open(s.url + "/shop/out")
	b.until("the logged-out page is connected, without Anna's conversation", widgetConnected+` && !`+widgetStateJS+`.conv`)
	assert.Equal(t, []string{"Hi! How can we help you today?"}, eval[[]string](b, wAll(".msg p")), "none of Anna's chat after the logout")

	b.open(s.url + "/shop/bob")
	b.until("Bob's widget is connected", widgetConnected)
	b.say("Hello, Bob here")
	b.until("Bob's message is acked", acked("Hello, Bob here"))
	assert.Equal(t, []string{"Hello, Bob here"}, eval[[]string](b, wAll(".msg.visitor p")), "Bob sees his own chat only")
	assert.Empty(t, eval[[]string](b, wAll(".msg.agent p")), "and no reply to Anna")
	agent.until("Bob's chat is a conversation of its own", cAll("#mine .conv-item")+`.length === 2`)

	received := frames.waitFor(t, "Hello, Bob here")
	for _, secret := range secrets {
		assert.NotContains(t, received, secret, "the widget received nothing of Anna's chat after the logout")
	}
	assert.NotEqual(t, visitorOf(t, s, anna.Conv), visitorOf(t, s, widgetState(b).Conv), "Bob is another visitor")
}

// Anna writes while the network is down and logs out before it comes back;
// the next customer on the browser neither sees her unsent message nor
// sends it in their own name.
func TestSharedBrowserDropsUnsentChat(t *testing.T) {
	s := newShop(t, nil)
	s.setPage("anna", page{Title: "Kettles", Lang: "en", Widget: map[string]string{"identity": signIdentity(t, "c-anna", "Anna")}})
	s.setPage("bob", page{Title: "Mugs", Lang: "en", Widget: map[string]string{"identity": signIdentity(t, "c-bob", "Bob")}})

	b := s.visitorTab("/shop/anna")
	s.net.setDown(true)
	b.until("the widget notices", w(".status")+`.textContent === "Connection lost. Reconnecting…"`)
	b.ask("Call me on 555-0100")
	b.until("the message waits in the outbox", `(s => s.outbox && s.outbox.length === 1 && s.start)(`+widgetStateJS+`)`)
	b.open("about:blank") // Anna leaves while offline
	s.net.setDown(false)

	frames := b.recordFrames()
	b.open(s.url + "/shop/bob")
	b.until("Bob's widget is connected", widgetConnected)
	b.say("Hello, Bob here")
	b.until("Bob's message is acked", acked("Hello, Bob here"))
	assert.Equal(t, []string{"Hello, Bob here"}, eval[[]string](b, wAll(".msg.visitor p")), "Anna's unsent message is not shown")
	assert.NotContains(t, frames.waitFor(t, "Hello, Bob here"), "555-0100")
	assert.NotContains(t, eval[string](b, widgetStateJS+`.outbox.map(o => o.body).join()`), "555-0100", "nor kept")

	convs, err := s.desk.Conversations(t.Context(), chat.ConversationFilter{Limit: chat.MaxPageSize})
	require.NoError(t, err)
	require.Len(t, convs, 1, "Bob's conversation only")
	ms, err := s.desk.Store().Messages(t.Context(), convs[0].ID, chat.MessageQuery{})
	require.NoError(t, err)
	for _, m := range ms {
		assert.NotContains(t, m.Body, "555-0100", "Anna's message is never sent as Bob's")
	}
}

// Parley.reset() forgets the visitor at once, drops the chat shown and
// what was typed, and goes on as a new anonymous visitor with none of the
// earlier chat.
func TestWidgetReset(t *testing.T) {
	s := newShop(t, nil)
	b := s.visitorTab("/shop/x")
	b.ask("My order number is 1042")
	b.until("the message is acked", wAll(".msg.visitor .state")+`.join() === "Sent"`)
	before := widgetState(b)
	oldVisitor := visitorOf(t, s, before.Conv)

	b.do(chromedp.SetValue(chromedp.JSPath(w("#pw-input")), "a draft with my card number"))

	require.True(t, eval[bool](b, `Parley.reset(), !Object.keys(localStorage).some(k => k.startsWith("parley:"))`),
		"the stored visitor is forgotten at once")
	assert.Equal(t, []string{"Hi! How can we help you today?"}, eval[[]string](b, wAll(".msg p")), "the chat shown is gone")
	assert.Empty(t, eval[string](b, w("#pw-input")+`.value`), "and so is what was typed")
	b.until("the widget is connected again", widgetConnected+` && `+widgetStateJS+`.token`)
	b.say("A new question")
	b.until("the new message is acked", acked("A new question"))
	assert.Equal(t, []string{"A new question"}, eval[[]string](b, wAll(".msg.visitor p")))
	assert.NotContains(t, eval[string](b, wAll(".msg p")+`.join()`), "1042")

	after := widgetState(b)
	assert.NotEqual(t, before.Conv, after.Conv)
	assert.NotEqual(t, before.Token, after.Token)
	assert.NotEqual(t, oldVisitor, visitorOf(t, s, after.Conv), "the new chat belongs to a new visitor")
	assert.Equal(t, oldVisitor, visitorOf(t, s, before.Conv), "the old chat stays with the old visitor")
}

// signIdentity signs a logged-in customer's identity for an hour.
func signIdentity(t *testing.T, customerID, name string) string {
	t.Helper()
	token, err := transport.SignIdentity(testSecret, transport.Identity{CustomerID: customerID, Name: name, Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	return token
}

// widgetStateJS is what the widget keeps in localStorage, as a JavaScript
// object ({} when nothing).
const widgetStateJS = `JSON.parse(localStorage[Object.keys(localStorage).find(k => k.startsWith("parley:"))] || "{}")`

// widgetConnected holds when the widget has been welcomed.
var widgetConnected = `window.Parley && Parley.language && document.getElementById("parley-chat") && ` +
	`!["Connecting…", "Connection lost. Reconnecting…"].includes(` + w(".status") + `.textContent)`

// acked holds when the visitor's messages include text and all are acked.
func acked(text string) string {
	return wAll(".msg.visitor p") + `.includes(` + js(text) + `) && ` +
		wAll(".msg.visitor .state") + `.every(s => s === "Sent" || s === "Read")`
}

// storedState is the part of the widget's stored state the tests read.
type storedState struct {
	Token string `json:"token"`
	Conv  string `json:"conv"`
}

func widgetState(b *tab) storedState {
	b.t.Helper()
	var st storedState
	require.NoError(b.t, json.Unmarshal([]byte(eval[string](b, `JSON.stringify(`+widgetStateJS+`)`)), &st))
	return st
}

// visitorOf returns the visitor of a conversation.
func visitorOf(t *testing.T, s *shop, conversation string) uuid.UUID {
	t.Helper()
	id, err := chat.ParseID(conversation)
	require.NoError(t, err, "a conversation id")
	c, err := s.desk.Store().Conversation(t.Context(), id)
	require.NoError(t, err)
	return c.VisitorID
}

// frameLog is every WebSocket message a tab received since recordFrames.
type frameLog struct {
	mu     sync.Mutex
	frames []string
}

// waitFor waits until a received message contains want, which shows that
// the log is complete up to it, and returns every message.
func (l *frameLog) waitFor(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		l.mu.Lock()
		all := strings.Join(l.frames, "\n")
		l.mu.Unlock()
		if strings.Contains(all, want) {
			return all
		}
		if time.Now().After(deadline) {
			t.Fatalf("no WebSocket message with %q within %s", want, wait)
		}
		time.Sleep(20 * time.Millisecond) // the polling interval
	}
}

// recordFrames records the WebSocket messages the tab receives from now
// on, whatever page it shows.
func (b *tab) recordFrames() *frameLog {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
		return err
	}))
	ctx, cancel := context.WithCancel(b.ctx)
	b.t.Cleanup(cancel)
	l := &frameLog{}
	events := chromedp.Events(ctx, network.WebSocketFrameReceived)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			if ev.Response != nil {
				l.mu.Lock()
				l.frames = append(l.frames, string(ev.Response.PayloadData))
				l.mu.Unlock()
			}
		}
	}()
	return l
}
