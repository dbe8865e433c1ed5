package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// A visitor on a product page starts a chat; it reaches the agent in the
// console, who answers; both sides see typing, the messages and the read
// receipt.
func TestChatVisitorAndAgent(t *testing.T) {
	s := newShop(t, nil)
	s.setPage("bikes", page{Title: "City bikes", Lang: "en"})

	visitor := s.visitorTab("/shop/bikes")
	// The shop's aggressive styles do not reach into the widget.
	require.Equal(t, "15px", eval[string](visitor, `getComputedStyle(`+w(".pw")+`).fontSize`))

	agent := s.agentTab("olga")

	visitor.click(w(".launcher"))
	visitor.until("the panel opens", `!`+w(".panel")+`.hidden && `+w(".launcher")+`.getAttribute("aria-expanded") === "true"`)
	visitor.say("Where is my parcel?")
	visitor.until("the message is acked", wAll(".msg.visitor .state")+`.join() === "Sent"`)
	// Olga was online, so she got the chat as it started, before the
	// widget learnt the conversation's id from the answer to its start.
	visitor.until("the widget names the agent before her first message", w(".status")+`.textContent === "Olga"`)

	agent.until("the conversation is the agent's", cAll("#mine .preview")+`.includes("Where is my parcel?")`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.until("the transcript shows", cAll("#log .msg.visitor p")+`.includes("Where is my parcel?")`)
	visitor.until("the visitor sees the read receipt", wAll(".msg.visitor .state")+`.join() === "Read"`)

	agent.reply("Tomorrow morning. Track it at https://shop.example/track?id=42")
	visitor.until("the reply arrives", wAll(".msg.agent p")+`.some(t => t.startsWith("Tomorrow morning."))`)
	link := eval[map[string]string](visitor, `(() => { const a = `+w(".msg.agent a")+`; return {href: a.href, rel: a.rel, target: a.target}; })()`)
	require.Equal(t, map[string]string{"href": "https://shop.example/track?id=42", "rel": "noopener noreferrer", "target": "_blank"}, link)
	require.Equal(t, "Olga", eval[string](visitor, w(".status")+`.textContent`), "the header names the agent")
	visitor.screenshot("widget-chat")

	// Typing shows on the other side.
	agent.do(chromedp.SendKeys(chromedp.CSS("#input"), "Anything"))
	visitor.until("the visitor sees the agent typing", w(".typing")+`.textContent === "Olga is typing…"`)
	visitor.say("Thanks!")
	agent.until("the visitor's second message arrives", cAll("#log .msg.visitor p")+`.includes("Thanks!")`)
	require.Empty(t, eval[string](visitor, w("#pw-input")+`.value`), "the message box is empty after sending")
	agent.screenshot("console-chat")

	// The live list shows the visitor on their page, chatting.
	agent.click(`document.getElementById("tab-visitors")`)
	agent.until("the visitor is listed", cAll("#visitors tbody td:nth-child(2)")+`.join() === "City bikes — `+s.url+`/shop/bikes" && `+cAll("#visitors tbody td:nth-child(5)")+`.join() === "chatting"`)
	require.Zero(t, s.sse.Load(), "both clients talk over WebSocket, the console despite its CSP")
	require.Equal(t, int64(2), s.ws.Load())
}
