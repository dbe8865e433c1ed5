package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/transport"
)

// The widget passes an automated accessibility audit (axe-core) with no
// serious or critical violation: closed, open, in the offline form, with
// the pre-chat form and with the contact panel open.
func TestWidgetAccessibility(t *testing.T) {
	s := newShop(t, nil, func(sc *shopConfig) {
		sc.Server.Contact = transport.Contact{Phone: "+48 22 123 45 67", Email: "help@shop.example", Telegram: "@shopchat"}
	})
	s.setPage("pre", page{Title: "Shop", Lang: "en", Widget: map[string]string{"prechat": "name,email", "topics": "delivery:Delivery|returns:Returns"}})
	b := s.visitorTab("/shop/x")
	b.audit("closed")
	b.click(w(".launcher"))
	b.until("the offline form shows", `!`+w(".offline")+`.hidden && !`+w("form.reply")+`.hidden`)
	b.audit("open, offline form")
	b.click(w(".contact-btn"))
	b.until("the contact panel shows", `!`+w(".contact")+`.hidden`)
	b.audit("contact panel")
	b.say("Hello?")
	b.until("the offline request is acknowledged", wAll(".msg.system p")+`.length === 1`)
	b.audit("offline request")

	s.agentTab("olga")
	p := s.visitorTab("/shop/pre")
	p.click(w(".launcher"))
	p.until("the pre-chat form shows", `!`+w("form.prechat")+`.hidden`)
	p.audit("pre-chat form")
}

// The audit passes in a chat with an agent and at its end, with the
// rating and the transcript form.
func TestWidgetAccessibilityInChat(t *testing.T) {
	s := newShop(t, nil)
	agent := s.agentTab("olga")
	b := s.visitorTab("/shop/x")
	b.ask("Hi")
	agent.until("the chat reaches the agent", cAll("#mine .preview")+`.includes("Hi")`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.reply("Hello, how can I help?")
	b.until("the reply arrives", wAll(".msg.agent p")+`.length === 1`)
	b.audit("in a chat")
	agent.click(`document.getElementById("close-btn")`)
	b.until("the end view shows", `!`+w(".endview")+`.hidden`)
	b.audit("ended")
}

// Focus stays inside the open window, as in a modal dialog: Tab from its
// last control goes to its first, Shift+Tab from the first to the last.
func TestWidgetKeepsFocusInside(t *testing.T) {
	s := newShop(t, nil)
	b := s.visitorTab("/shop/x")
	b.click(w(".launcher"))
	b.until("the message box has the focus", `document.getElementById("parley-chat").shadowRoot.activeElement === `+w("#pw-input"))
	require.Equal(t, []string{"dialog", "true"}, eval[[]string](b, `[`+w(".panel")+`.getAttribute("role"), `+w(".panel")+`.getAttribute("aria-modal")]`))
	active := `document.getElementById("parley-chat").shadowRoot.activeElement`
	b.do(chromedp.Focus(chromedp.JSPath(w(".send"))), chromedp.KeyEvent("\t"))
	b.until("Tab from the last control goes to the first", active+` === `+w("header .min"))
	b.do(chromedp.KeyEvent("\t", chromedp.KeyModifiers(chromedp.ModifierShift)))
	b.until("Shift+Tab from the first goes to the last", active+` === `+w(".send"))
}

// audit runs axe-core (e2e/testdata/axe) on the widget as it is shown
// now and fails the test on any serious or critical violation.
func (b *tab) audit(state string) {
	b.t.Helper()
	if eval[bool](b, `typeof axe === "undefined"`) {
		src, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
		require.NoError(b.t, err)
		b.do(chromedp.Evaluate[chromedp.Void](string(src)))
	}
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`axe.run({include: [["#parley-chat"]]}, {resultTypes: ["violations"]}).then(r => {
		if (!r.passes.concat(r.violations).some(p => p.id === "button-name")) throw new Error("axe-core did not check the widget's buttons");
		return r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v =>
			v.impact + " " + v.id + ": " + v.help + v.nodes.map(n => "\n\t" + n.target.flat().join(" ") + ": " + n.failureSummary).join(""));
	})`, chromedp.EvalAwaitPromise))
	require.NoError(b.t, err, "%s: running axe-core", state)
	require.Empty(b.t, found, "%s: accessibility violations:\n%s", state, strings.Join(found, "\n"))
}
