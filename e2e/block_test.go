package e2e_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// An agent blocks an abusive visitor from the console, for a chosen time
// and only after confirming; the visitor's widget says they cannot chat,
// at once and after a reload.
func TestConsoleBlockVisitor(t *testing.T) {
	s := newShop(t, nil)
	agent := s.agentTab("olga")
	visitor := s.visitorTab("/shop/x")
	_ = eval[bool](visitor, `(Parley.on("blocked", () => { window.sawBlocked = true; }), true)`)
	visitor.ask("You are all useless!!!")
	agent.until("the chat is the agent's", cAll("#mine .conv-item")+`.length === 1`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.until("the chat shows", cAll("#log .msg.visitor p")+`.includes("You are all useless!!!")`)

	agent.click(`document.getElementById("block-btn")`)
	agent.until("the block form opens", `!document.getElementById("block-form").hidden`)
	agent.do(chromedp.SetValue(chromedp.CSS(`#block-form select[name="duration"]`), "3600000"),
		chromedp.SetValue(chromedp.CSS(`#block-form input[name="reason"]`), "insults"))
	agent.click(`document.getElementById("block-submit")`)
	agent.until("the agent is asked to confirm", `!document.getElementById("block-confirm").hidden && `+
		`document.getElementById("block-confirm").textContent.includes("(1 hour)") && document.getElementById("block-submit").textContent === "Yes, block"`)
	blocks, err := s.desk.Blocks(t.Context())
	require.NoError(t, err)
	require.Empty(t, blocks, "nothing is blocked before the agent confirms")

	agent.click(`document.getElementById("block-submit")`)
	agent.until("the console shows the block", `document.getElementById("block-form").hidden && document.getElementById("block-btn").hidden && `+
		cAll("#info .blocked-note")+`.some(t => t.includes("insults"))`)
	visitor.until("the visitor is told", w(".banner.blocked")+` && !`+w(".banner")+`.hidden && `+w(".banner")+`.textContent.startsWith("Sorry, you cannot chat with us here.") && `+
		w(".composer")+`.hidden && window.sawBlocked`)

	blocks, err = s.desk.Blocks(t.Context())
	require.NoError(t, err)
	require.Len(t, blocks, 1)
	b := blocks[0]
	assert.Equal(t, "olga", b.AgentID)
	assert.Equal(t, "insults", b.Reason)
	convs, err := s.desk.Conversations(t.Context(), chat.ConversationFilter{})
	require.NoError(t, err)
	require.Len(t, convs, 1)
	assert.Equal(t, convs[0].VisitorID, b.VisitorID, "the chat's visitor is blocked")
	assert.WithinDuration(t, b.CreatedAt.Add(time.Hour), b.ExpiresAt, time.Second, "blocked for the hour chosen")

	// A new page load is refused at hello, and the widget says so again.
	visitor.open(s.url + "/shop/y")
	visitor.until("the widget says so after a reload", w(".banner.blocked")+` && `+w(".banner")+`.textContent.startsWith("Sorry, you cannot chat")`)

	agent.click(`document.getElementById("unblock-btn")`)
	agent.until("the agent can block again", `!document.getElementById("block-btn").hidden`)
	blocks, err = s.desk.Blocks(t.Context())
	require.NoError(t, err)
	require.Empty(t, blocks, "unblocked")
}
