package e2e_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// An agent holds several conversations at once: the one not in view
// counts its unread messages, in the list and in the page title, until
// the agent opens it.
func TestConsoleSeveralChats(t *testing.T) {
	s := newShop(t, nil)
	agent := s.agentTab("olga")
	anna, ben := s.newTab(), s.newTab()
	for i, v := range []*tab{anna, ben} {
		v.open(s.url + "/shop/x")
		v.widgetReady()
		v.ask([]string{"Hello from Anna", "Hello from Ben"}[i])
	}
	agent.until("both chats are the agent's", cAll("#mine .conv-item")+`.length === 2`)
	agent.click(`document.querySelector("#mine .conv-item:first-child button")`)
	agent.until("the chat shows", `document.querySelector("#log .msg.visitor p")`)
	first := eval[string](agent, `document.querySelector("#log .msg.visitor p").textContent`)
	other := ben
	if first == "Hello from Ben" {
		other = anna
	}
	agent.until("the other chat counts its unread message", cAll("#mine .unread-count:not([hidden])")+`.join() === "1" && document.title === "(1) Chat console"`)
	other.say("Are you there?")
	agent.until("and the next one", cAll("#mine .unread-count:not([hidden])")+`.join() === "2" && document.title === "(2) Chat console"`)
	agent.click(`document.querySelector("#mine .conv-item.unread button")`)
	agent.until("opening it clears the count", cAll("#mine .unread-count:not([hidden])")+`.length === 0 && document.title === "Chat console"`)
	agent.until("and shows the message", cAll("#log .msg.visitor p")+`.includes("Are you there?")`)
}

// The agent's tools: the long-wait warning, canned responses with
// placeholders, private notes that never reach the visitor, and the
// visitor's earlier conversations.
func TestConsoleTools(t *testing.T) {
	s := newShop(t, nil, func(sc *shopConfig) {
		c := &sc.Server
		c.WaitWarning = time.Millisecond
		c.CannedResponses = []wire.CannedResponse{{Shortcut: "hello", Text: "Hello {name}, this is {agent}."}}
	})
	identity, err := transport.SignIdentity(testSecret, transport.Identity{CustomerID: "c-7", Name: "Anna", Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	s.setPage("x", page{Title: "Shop", Lang: "en", Widget: map[string]string{"identity": identity}})
	agent := s.agentTab("olga")
	agent.goAway()

	visitor := s.visitorTab("/shop/x")
	visitor.ask("My first question")
	agent.until("the waiting request is flagged", cAll("#waiting .conv-item.warn .meta")+`.some(m => m.endsWith("waiting!"))`)
	agent.click(`document.querySelector("#waiting .conv-item button")`)
	agent.click(`document.getElementById("pick-btn")`)
	agent.until("the agent has it", `document.getElementById("conv-status").textContent === "open"`)

	agent.do(chromedp.Click(chromedp.CSS("#input")), chromedp.SendKeys(chromedp.CSS("#input"), "/hel"))
	agent.until("the shortcut is suggested", `document.getElementById("canned-hint").textContent === "/hello → Hello {name}, this is {agent}."`)
	agent.do(chromedp.SendKeys(chromedp.CSS("#input"), "lo\t"))
	require.Equal(t, "Hello Anna, this is Olga.", eval[string](agent, `document.getElementById("input").value`))
	agent.do(enter)

	agent.do(chromedp.Click(chromedp.CSS("#note-mode")))
	agent.reply("Regular customer, offer free delivery")
	agent.until("the note shows as a note", cAll("#log .msg.note p")+`.join() === "Regular customer, offer free delivery"`)
	agent.screenshot("console-note")
	agent.do(chromedp.Click(chromedp.CSS("#note-mode")))
	agent.reply("Anything else?")
	visitor.until("the visitor gets the public replies only", wAll(".msg.agent p")+`.join("|") === "Hello Anna, this is Olga.|Anything else?"`)

	agent.click(`document.getElementById("close-btn")`)
	visitor.until("the chat ends", `!`+w(".endview")+`.hidden`)
	visitor.click(w(".endview .new"))
	visitor.say("A second question")
	agent.until("the new request is listed", cAll("#waiting .conv-item")+`.length === 1`)
	agent.click(`document.querySelector("#waiting .conv-item button")`)
	agent.click(`document.getElementById("history-btn")`)
	agent.until("the earlier conversation is listed", cAll("#info .history li")+`.length === 1`)
	agent.click(`document.querySelector("#info .history button")`)
	agent.until("its transcript opens, notes included", cAll("#log .msg:not(.system) p")+`.join("|") === "My first question|Hello Anna, this is Olga.|Regular customer, offer free delivery|Anything else?"`)
}

// When every agent is busy the visitor waits in the queue and is told
// their place and the estimated wait; when the agent has room again the
// chat reaches them.
func TestQueuePosition(t *testing.T) {
	s := newShop(t, nil, func(sc *shopConfig) { sc.Capacity = 1 })
	agent := s.agentTab("olga")
	anna, ben := s.newTab(), s.newTab()
	anna.open(s.url + "/shop/x")
	anna.widgetReady()
	anna.ask("I was first")
	agent.until("Anna's chat is the agent's", cAll("#mine .conv-item")+`.length === 1`)
	ben.open(s.url + "/shop/x")
	ben.widgetReady()
	ben.ask("And I am second")
	ben.until("Ben is told his place", w(".banner")+`.textContent === "You are number 1 in the queue. Estimated wait: about 2 min."`)
	ben.screenshot("widget-queued")
	agent.until("the console lists Ben in the queue", cAll("#queue .conv-item")+`.length === 1 && document.getElementById("queue-count").textContent === "1"`)
	agent.click(`document.querySelector("#queue .conv-item button")`)
	agent.until("with his place", `document.getElementById("conv-status").textContent === "queued #1"`)

	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.click(`document.getElementById("close-btn")`)
	agent.until("Ben's chat reaches the agent", cAll("#mine .conv-item .preview")+`.includes("And I am second")`)
	ben.until("Ben is no longer queued and sees who answers", w(".banner")+`.hidden && `+w(".status")+`.textContent === "Olga"`)
}

// An agent hands a chat to a colleague, who gets it in their list; the
// visitor's transcript says who took over.
func TestConsoleTransfer(t *testing.T) {
	s := newShop(t, nil)
	olga, marek := s.newTab(), s.newTab()
	olga.login(s, "olga")
	visitor := s.visitorTab("/shop/x")
	visitor.ask("Question about returns")
	olga.until("the chat is Olga's", cAll("#mine .conv-item")+`.length === 1`)
	marek.login(s, "marek")
	olga.click(`document.querySelector("#mine .conv-item button")`)
	olga.click(`document.getElementById("transfer-btn")`)
	olga.do(chromedp.SendKeys(chromedp.CSS(`#transfer-form [name=agent]`), "marek"))
	olga.click(`document.querySelector("#transfer-form button[type=submit]")`)
	marek.until("Marek has it", cAll("#mine .conv-item")+`.length === 1`)
	olga.until("Olga sees it under her colleagues' chats", cAll("#mine .conv-item")+`.length === 0 && `+cAll("#others .conv-item")+`.length === 1`)
	visitor.until("the visitor is told", wAll(".msg.system p")+`.length === 1`)
	marek.click(`document.querySelector("#mine .conv-item button")`)
	marek.reply("Marek here, I handle returns.")
	visitor.until("the new agent answers", wAll(".msg.agent p")+`.includes("Marek here, I handle returns.")`)
	olga.until("Olga, who still has it on screen, watches it", cAll("#log .msg.agent p")+`.includes("Marek here, I handle returns.")`)
}

// A queued chat opened in the console is followed while it is on screen:
// the visitor's new messages appear live; after the agent opens another,
// coming back to it shows what was written meanwhile.
func TestConsoleWatchesTheChatOnScreen(t *testing.T) {
	s := newShop(t, nil, func(sc *shopConfig) { sc.Capacity = 1 })
	agent := s.agentTab("olga")
	anna, ben := s.newTab(), s.newTab()
	anna.open(s.url + "/shop/x")
	anna.widgetReady()
	anna.ask("I was first")
	agent.until("Anna's chat is the agent's", cAll("#mine .conv-item")+`.length === 1`)
	ben.open(s.url + "/shop/x")
	ben.widgetReady()
	ben.ask("And I am second")
	agent.until("the console lists Ben in the queue", cAll("#queue .conv-item")+`.length === 1`)
	agent.click(`document.querySelector("#queue .conv-item button")`)
	agent.until("his chat shows", cAll("#log .msg.visitor p")+`.join("|") === "And I am second"`)
	ben.say("Anyone there?")
	agent.until("his new message appears live", cAll("#log .msg.visitor p")+`.join("|") === "And I am second|Anyone there?"`)

	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.until("Anna's chat shows", cAll("#log .msg.visitor p")+`.join("|") === "I was first"`)
	ben.say("Hello?")
	agent.click(`document.querySelector("#queue .conv-item button")`)
	agent.until("back on Ben's chat, the message written meanwhile is there", cAll("#log .msg.visitor p")+`.join("|") === "And I am second|Anyone there?|Hello?"`)
}

// The statistics page draws the service report as figures, inline SVG
// charts and a table per agent.
func TestConsoleStats(t *testing.T) {
	s := newShop(t, nil)
	agent := s.agentTab("olga")
	visitor := s.visitorTab("/shop/x")
	visitor.ask("Hi")
	agent.until("the chat is the agent's", cAll("#mine .conv-item")+`.length === 1`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.reply("Hello!")
	visitor.until("the answer arrives", wAll(".msg.agent p")+`.length === 1`)
	agent.click(`document.getElementById("close-btn")`)
	visitor.until("the end view shows", `!`+w(".endview")+`.hidden`)
	visitor.click(w(`.stars [data-n="5"]`))
	visitor.click(w(".rate .primary"))
	visitor.until("thanks", `!`+w(".thanks")+`.hidden`)

	agent.click(`document.getElementById("tab-stats")`)
	agent.until("the figures show", cAll("#stats .tile")+`.slice(0, 2).join("|") === "1Conversations|1Answered"`)
	require.Contains(t, eval[[]string](agent, cAll("#stats .tile")), "5.0 / 5 (1)Rating")
	require.Equal(t, []int{7, 24, 8, 8, 5}, eval[[]int](agent, `Array.from(document.querySelectorAll("#stats svg"), s => s.querySelectorAll("rect").length)`),
		"bars for the week's days, the hours, the queue wait and first response histograms, and the ratings")
	require.Equal(t, []string{"≤30s", "≤1m", "≤2m", "≤5m", "≤10m", "≤30m", "≤1h", ">1h"},
		eval[[]string](agent, `Array.from(document.querySelectorAll("#stats svg")[3].querySelectorAll("text.lbl"), x => x.textContent)`),
		"the first response histogram's buckets")
	require.Equal(t, "olga", eval[string](agent, `document.querySelector("#stats table.agents tbody td").textContent`))
	agent.screenshot("console-stats")
}
