package e2e_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/advisor"
	"github.com/parleychat/parley/advisor/faq"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

// TestAdvisorHandoff: the virtual advisor answers a visitor in the widget
// with a "Talk to a person" button under its answer; pressing it hands
// the chat to the agent online, whose console shows what the advisor said
// and the note of why it handed over.
func TestAdvisorHandoff(t *testing.T) {
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "shop.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(context.Background()) })
	answers, err := faq.New(faq.Config{Entries: []faq.Entry{
		{Language: "en", Questions: []string{"When will my parcel arrive?"}, Answer: "Parcels arrive in 2 to 3 working days."},
	}})
	require.NoError(t, err)
	adv, err := advisor.New(advisor.Config{Bot: answers, Name: "Parcel helper"})
	require.NoError(t, err)
	s := newShop(t, store, func(sc *shopConfig) { sc.Desk.Advisor = adv })
	agent := s.agentTab("olga")
	visitor := s.visitorTab("/shop/x")

	visitor.ask("When will my parcel arrive?")
	visitor.until("the advisor answers", wAll(".msg.bot p")+`.includes("Parcels arrive in 2 to 3 working days.")`)
	require.Equal(t, "Virtual advisor", eval[string](visitor, w(".status")+`.textContent`), "the header says who answers")
	require.Equal(t, []string{"Talk to a person"}, eval[[]string](visitor, wAll(".msg.bot .quick button")))
	visitor.screenshot("widget-advisor")

	visitor.click(w(".msg.bot .quick button"))
	visitor.until("the visitor is told a person takes over", wAll(".msg.system p")+`.some(t => t.startsWith("A person from our team takes over"))`)
	agent.until("the chat is the agent's", cAll("#mine .conv-item")+`.length === 1`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.until("the agent sees the advisor's answer", cAll("#log .msg.bot p")+`.includes("Parcels arrive in 2 to 3 working days.")`)
	agent.until("and why it handed over", cAll("#log .msg.note p")+`.some(t => t.includes("the visitor asked for a person"))`)
	visitor.until("the header names the agent", w(".status")+`.textContent === "Olga"`)
	require.False(t, eval[bool](visitor, wAll(".msg p")+`.some(t => t.includes("handed this conversation over"))`), "the note stays with the agents")

	agent.reply("Hi, Olga here. Let me check your parcel.")
	visitor.until("the agent's reply arrives", wAll(".msg.agent p")+`.includes("Hi, Olga here. Let me check your parcel.")`)
}
