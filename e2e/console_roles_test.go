package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// When the shop names supervisors, an agent who opens a colleague's chat
// reads it without the colleague's notes and gets no controls to change
// it, and their statistics are their own; a supervisor gets the controls,
// the notes and the whole shop's statistics.
func TestConsoleSupervisorAndAgent(t *testing.T) {
	s := newShop(t, nil, func(sc *shopConfig) { sc.Server.Supervisor = func(a chat.Agent) bool { return a.ID == "boss" } })
	olga := s.agentTab("olga")
	visitor := s.visitorTab("/shop/x")
	visitor.ask("Is this in stock?")
	olga.until("the chat is Olga's", cAll("#mine .conv-item")+`.length === 1`)
	olga.click(`document.querySelector("#mine .conv-item button")`)
	olga.do(chromedp.Click(chromedp.CSS("#note-mode")))
	olga.reply("Regular customer")
	olga.until("the note is stored", cAll("#log .msg.note p")+`.join() === "Regular customer"`)

	marek, boss := s.agentTab("marek"), s.agentTab("boss")
	for _, b := range []*tab{marek, boss} {
		b.until("Olga's chat is listed", cAll("#others .conv-item")+`.length === 1`)
		b.click(`document.querySelector("#others .conv-item button")`)
		b.until("the chat shows", cAll("#log .msg.visitor p")+`.join() === "Is this in stock?"`)
	}
	visible := `["pick-btn", "close-btn", "transfer-btn", "composer"].filter(id => !document.getElementById(id).hidden)`
	require.Equal(t, "agent", eval[string](marek, `document.body.dataset.role`))
	require.Empty(t, eval[[]string](marek, visible), "an agent gets no controls for a colleague's chat")
	require.Equal(t, "This is olga's chat: only a supervisor can change it.", eval[string](marek, `document.getElementById("role-hint").textContent`))
	require.Zero(t, eval[int](marek, `document.querySelectorAll("#log .msg.note").length`), "nor the colleague's notes")
	marek.screenshot("console-agent-role")

	require.Equal(t, "supervisor", eval[string](boss, `document.body.dataset.role`))
	boss.until("the supervisor reads the note", cAll("#log .msg.note p")+`.join() === "Regular customer"`)
	require.Equal(t, []string{"pick-btn", "close-btn", "transfer-btn", "composer"}, eval[[]string](boss, visible))
	require.Equal(t, "Take over", eval[string](boss, `document.getElementById("pick-btn").textContent`))
	require.True(t, eval[bool](boss, `document.getElementById("role-hint").hidden`))

	marek.click(`document.getElementById("tab-stats")`)
	marek.until("Marek's own statistics", cAll("#stats .tile .v")+`[0] === "0"`)
	require.False(t, eval[bool](marek, `document.getElementById("stats-scope").hidden`), "the console says whose they are")
	boss.click(`document.getElementById("tab-stats")`)
	boss.until("the shop's statistics", cAll("#stats .tile .v")+`[0] === "1"`)
	require.True(t, eval[bool](boss, `document.getElementById("stats-scope").hidden`))

	boss.click(`document.getElementById("tab-chats")`)
	boss.click(`document.getElementById("pick-btn")`)
	boss.until("the supervisor takes the chat over", cAll("#mine .conv-item")+`.length === 1`)
}
