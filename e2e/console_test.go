package e2e_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/transport"
)

// An agent holds several conversations at once: the one not in view
// counts its unread messages, in the list and in the page title, until
// the agent opens it.
func TestConsoleSeveralChats(t *testing.T) {
	s := newShop(t, nil)
	agent := s.newTab()
	agent.login(s, "olga")
	anna, ben := s.newTab(), s.newTab()
	for i, v := range []*tab{anna, ben} {
		v.open(s.url + "/shop/x")
		v.widgetReady()
		v.click(w(".launcher"))
		v.say([]string{"Hello from Anna", "Hello from Ben"}[i])
	}
	agent.until("both chats are the agent's", cAll("#mine .conv-item")+`.length === 2`)
	agent.click(`document.querySelector("#mine .conv-item:first-child button")`)
	agent.until("the chat shows", `document.querySelector("#log .msg.visitor p")`)
	first := eval[string](agent, `document.querySelector("#log .msg.visitor p").textContent`)
	other := ben
	if first == "Hello from Ben" {
		other = anna
	}
	agent.until("the other chat counts its unread message", cAll("#mine .unread-count")+`.join() === "1" && document.title === "(1) Chat console"`)
	other.say("Are you there?")
	agent.until("and the next one", cAll("#mine .unread-count")+`.join() === "2" && document.title === "(2) Chat console"`)
	agent.click(`document.querySelector("#mine .conv-item.unread button")`)
	agent.until("opening it clears the count", cAll("#mine .unread-count")+`.length === 0 && document.title === "Chat console"`)
	agent.until("and shows the message", cAll("#log .msg.visitor p")+`.includes("Are you there?")`)
}

// The agent's tools: the long-wait warning, canned responses with
// placeholders, private notes that never reach the visitor, and the
// visitor's earlier conversations.
func TestConsoleTools(t *testing.T) {
	s := newShop(t, nil, func(c *transport.Config) {
		c.WaitWarning = time.Millisecond
		c.CannedResponses = []transport.CannedResponse{{Shortcut: "hello", Text: "Hello {name}, this is {agent}."}}
	})
	identity, err := transport.SignIdentity(testSecret, transport.Identity{CustomerID: "c-7", Name: "Anna", Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	s.setPage("x", page{Title: "Shop", Lang: "en", Widget: map[string]string{"identity": identity}})
	agent := s.newTab()
	agent.login(s, "olga")
	agent.do(chromedp.SetValue(chromedp.CSS("#presence"), "away"))
	_ = eval[bool](agent, `document.getElementById("presence").dispatchEvent(new Event("change"))`)
	agent.until("the agent is away", `document.body.dataset.presence === "away"`)

	visitor := s.newTab()
	visitor.open(s.url + "/shop/x")
	visitor.widgetReady()
	visitor.click(w(".launcher"))
	visitor.say("My first question")
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
