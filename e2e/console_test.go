package e2e_test

import (
	"testing"
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
