package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
)

// The console lists the visitors on the site with their pages and the
// shop's context, and an agent starts a chat with one of them.
func TestConsoleVisitorsAndProactiveChat(t *testing.T) {
	s := newShop(t, nil, func(sc *shopConfig) {
		c := &sc.Server
		c.VisitorContext = func(_ context.Context, v chat.Visitor) (any, error) {
			return map[string]any{"cart": "2 items, 1299 PLN", "orders": 3}, nil
		}
	})
	s.setPage("bikes", page{Title: "City bikes", Lang: "en", Next: "/shop/helmets"})
	s.setPage("helmets", page{Title: "Helmets", Lang: "en"})
	agent := s.agentTab("olga")
	visitor := s.visitorTab("/shop/bikes")

	agent.click(`document.getElementById("tab-visitors")`)
	agent.until("the visitor is listed on their page", cAll("#visitors tbody td:nth-child(2)")+`.join() === "City bikes — `+s.url+`/shop/bikes"`)
	visitor.next("/shop/helmets")
	visitor.widgetReady()
	agent.until("the list follows the visitor", cAll("#visitors tbody td:nth-child(2)")+`.join() === "Helmets — `+s.url+`/shop/helmets" && `+cAll("#visitors tbody td:nth-child(4)")+`.join() === "2"`)
	require.Contains(t, eval[string](agent, `document.querySelector("#visitors tbody td:nth-child(6)").textContent`), "cart2 items, 1299 PLN")
	agent.screenshot("console-visitors")

	agent.click(`document.querySelector("#visitors .start-chat")`)
	agent.until("the new chat is open in the console", `!document.getElementById("view-chats").hidden && document.getElementById("conv-status").textContent === "open"`)
	visitor.until("the widget names the agent before their first message", w(".status")+`.textContent === "Olga"`)
	agent.reply("Hello! Can I help with the helmets?")
	visitor.until("the visitor gets the agent's message", wAll(".msg.agent p")+`.join() === "Hello! Can I help with the helmets?"`)
	require.Equal(t, "1", eval[string](visitor, w(".badge")+`.textContent`), "an unread badge on the closed widget")
	visitor.ask("Yes, what size am I?")
	agent.until("the answer arrives", cAll("#log .msg.visitor p")+`.join() === "Yes, what size am I?"`)
	agent.until("the info pane shows the pages", cAll("#info .pages li")+`.length === 2`)
	agent.screenshot("console-chat-visitor")
}

// A rule invites a visitor who stays on a product page; the visitor
// accepts and the invitation's text opens the conversation.
func TestInvitationAccepted(t *testing.T) {
	s := newShop(t, nil, func(sc *shopConfig) {
		c := &sc.Server
		c.InvitationInterval = 100 * time.Millisecond
		c.Invitations = []transport.InvitationRule{{
			Name: "bikes", Message: "Need help choosing a bike?", From: "Olga from the bike shop",
			Path: "/shop/bikes", MinTimeOnPage: 300 * time.Millisecond,
		}}
	})
	s.setPage("bikes", page{Title: "City bikes", Lang: "en"})
	agent := s.agentTab("olga")
	visitor := s.visitorTab("/shop/x")
	visitor.open(s.url + "/shop/bikes")
	visitor.widgetReady()
	visitor.until("the invitation shows", `!`+w(".invite")+`.hidden`)
	require.Equal(t, "Need help choosing a bike?", eval[string](visitor, w(".invite .text")+`.textContent`))
	require.Equal(t, "Message from Olga from the bike shop", eval[string](visitor, w(".invite .who")+`.textContent`))
	visitor.screenshot("widget-invitation")
	visitor.click(w(".invite .primary"))
	visitor.until("the chat opens with the invitation's text", `!`+w(".panel")+`.hidden && `+wAll(".msg.bot p")+`.join() === "Need help choosing a bike?"`)
	visitor.say("Yes, for commuting")
	agent.until("the agent gets the chat", cAll("#mine .preview, #queue .preview")+`.includes("Yes, for commuting")`)
}

// A dismissed invitation is not shown again on the next page.
func TestInvitationDismissed(t *testing.T) {
	s := newShop(t, nil, func(sc *shopConfig) {
		c := &sc.Server
		c.InvitationInterval = 100 * time.Millisecond
		c.Invitations = []transport.InvitationRule{{Name: "all", Message: "Questions?"}}
	})
	s.setPage("a", page{Title: "A", Lang: "en", Next: "/shop/b"})
	visitor := s.newTab()
	visitor.open(s.url + "/shop/a")
	visitor.until("the invitation shows", `document.getElementById("parley-chat") && !`+w(".invite")+`.hidden`)
	visitor.click(w(".invite button:not(.primary)"))
	visitor.until("it is gone", w(".invite")+`.hidden`)
	visitor.next("/shop/b")
	visitor.widgetReady()
	// Give the server ten rounds of its rules to (wrongly) invite again.
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		require.True(t, eval[bool](visitor, w(".invite")+`.hidden`), "the dismissed invitation came back")
	}
}
