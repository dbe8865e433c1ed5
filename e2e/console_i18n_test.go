package e2e_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// speaking makes the tab's browser prefer the languages of an
// Accept-Language value, as a browser set up in that language does:
// navigator.languages follows.
func speaking(b *tab, languages string) {
	b.t.Helper()
	ua := eval[string](b, `navigator.userAgent`)
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: languages})
		return err
	}))
}

// An agent whose browser is in Polish gets the console in Polish: the
// page's own texts, what the console writes as things happen, with the
// plural forms Polish needs, a refusal, and the statistics. The agent then picks
// Russian in the header, and the console stays in Russian after a reload.
func TestConsoleInPolish(t *testing.T) {
	s := newShop(t, nil)
	agent := s.newTab()
	speaking(agent, "pl-PL,pl")
	agent.login(s, "olga")
	require.Equal(t, "pl", eval[string](agent, `document.documentElement.lang`))
	require.Equal(t, "pl", eval[string](agent, `document.getElementById("lang").value`))
	require.Equal(t, []string{"Czaty", "Odwiedzający", "Statystyki", "Szukaj"}, eval[[]string](agent, cAll(`[role=tab] [data-t], [role=tab][data-t]`)))
	require.Equal(t, []string{"Kolejka", "Wiadomości offline", "Moje czaty", "Czaty innych konsultantów"}, eval[[]string](agent, `Array.from(document.querySelectorAll(".lists h2"), h => h.firstChild.textContent)`))
	require.Equal(t, "Odpowiedz albo wpisz / i skrót", eval[string](agent, `document.getElementById("input").placeholder`))
	require.Equal(t, "Konsola czatu", eval[string](agent, `document.title`))

	anna, ben := s.newTab(), s.newTab()
	for i, v := range []*tab{anna, ben} {
		v.open(s.url + "/shop/x")
		v.widgetReady()
		v.ask([]string{"Dzień dobry, tu Anna", "Dzień dobry, tu Ben"}[i])
	}
	agent.until("both chats are the agent's", cAll("#mine .conv-item")+`.length === 2`)
	agent.click(`document.querySelector("#mine .conv-item:first-child button")`)
	agent.until("the chat shows, open", `document.getElementById("conv-status").textContent === "otwarta"`)
	other := ben
	if eval[string](agent, `document.querySelector("#log .msg.visitor p").textContent`) == "Dzień dobry, tu Ben" {
		other = anna
	}
	require.Equal(t, []string{"Przekaż", "Historia", "Zamknij czat", "Zablokuj odwiedzającego"},
		eval[[]string](agent, cAll(`.conv-head .actions button:not([hidden])`)))
	require.Equal(t, []string{"1 godzinę", "1 dzień", "7 dni", "30 dni", "Do odblokowania"}, eval[[]string](agent, cAll(`#block-form option`)))

	unread := func(n int, label string) {
		t.Helper()
		agent.until(fmt.Sprintf("the other chat counts %d unread", n), cAll("#mine .unread-count:not([hidden])")+fmt.Sprintf(`.join() === "%d"`, n))
		require.Equal(t, label, eval[string](agent, `document.querySelector("#mine .unread-count:not([hidden])").getAttribute("aria-label")`))
	}
	unread(1, "1 nieprzeczytana wiadomość")
	other.say("Jest tam ktoś?")
	unread(2, "2 nieprzeczytane wiadomości")
	for _, m := range []string{"Halo?", "Czekam", "Proszę o odpowiedź"} {
		other.say(m)
	}
	unread(5, "5 nieprzeczytanych wiadomości")

	agent.reply("W czym mogę pomóc?")
	agent.until("the reply shows", cAll("#log .msg.agent p")+`.includes("W czym mogę pomóc?")`)
	agent.screenshot("console-polish")
	agent.click(`document.getElementById("transfer-btn")`)
	agent.do(chromedp.SendKeys(chromedp.CSS(`#transfer-form [name=agent]`), "marek"))
	agent.click(`document.querySelector("#transfer-form button[type=submit]")`)
	agent.until("the refusal of a transfer to an unknown agent is told in Polish",
		`document.getElementById("conn").textContent === "Nie ma takiej rozmowy ani takiego konsultanta."`)
	agent.click(`document.getElementById("tab-stats")`)
	agent.until("the figures show in Polish", cAll("#stats .tile .k")+`.slice(0, 4).join("|") === "Rozmowy|Obsłużone|Nieobsłużone|Wiadomości offline"`)
	require.Equal(t, "≤30 s", eval[string](agent, `document.querySelectorAll("#stats svg")[3].querySelector("text.lbl").textContent`),
		"durations are written the Polish way")
	require.Equal(t, "Konsultant", eval[string](agent, `document.querySelector("#stats table.agents th").textContent`))

	agent.do(chromedp.SetValue(chromedp.CSS("#lang"), "ru"))
	_ = eval[bool](agent, `document.getElementById("lang").dispatchEvent(new Event("change"))`)
	agent.until("the console is in Russian", `document.getElementById("tab-stats").textContent === "Статистика" && document.documentElement.lang === "ru"`)
	require.Equal(t, "Оператор", eval[string](agent, `document.querySelector("#stats table.agents th").textContent`), "the statistics on screen are redrawn")
	agent.login(s, "olga")
	agent.until("after a reload the console is still in Russian", `document.querySelector("#tab-chats [data-t]").textContent === "Чаты"`)
	require.Equal(t, "ru", eval[string](agent, `document.getElementById("lang").value`))
}

// Every text of the console is in each of its languages, and every
// plural text has a form for each category its language's integers fall
// into.
func TestConsoleTranslationsComplete(t *testing.T) {
	s := newShop(t, nil)
	agent := s.agentTab("olga")
	require.Equal(t, "en", eval[string](agent, `document.documentElement.lang`), "the test browser speaks English")
	require.Equal(t, []string{"en", "pl", "fi", "ru"}, eval[[]string](agent, `Object.keys(Parley.consoleI18n)`))
	missing := eval[[]string](agent, `(() => {
		const out = [], T = Parley.consoleI18n;
		for (const [lang, texts] of Object.entries(T)) {
			for (const key of Object.keys(T.en)) if (texts[key] == null) out.push(lang + " " + key);
			const rules = new Intl.PluralRules(lang);
			for (const [key, text] of Object.entries(texts)) {
				if (typeof text !== "object") continue;
				for (let n = 0; n <= 200; n++) if (text[rules.select(n)] == null) out.push(lang + " " + key + " " + rules.select(n));
				if (text.other == null) out.push(lang + " " + key + " other");
			}
		}
		return [...new Set(out)];
	})()`)
	require.Empty(t, missing, "texts or plural forms missing")
	// The agent's own name and the language list (each language in its
	// own name) are the page's only texts that are not translated.
	untranslated := eval[[]string](agent, `Array.from(document.querySelectorAll("body *"))
		.filter(e => !e.closest("#lang, #me-name") && [...e.childNodes].some(n => n.nodeType === 3 && /\p{L}/u.test(n.textContent)) && !e.hasAttribute("data-t"))
		.map(e => e.outerHTML)`)
	require.Empty(t, untranslated, "every text of the page has a data-t key")
	require.Equal(t, "21 непрочитанное сообщение", eval[string](agent, `Parley.translate("ru", "unread", {n: 21}, Parley.consoleI18n)`))
	require.Equal(t, "22 nieprzeczytane wiadomości", eval[string](agent, `Parley.translate("pl", "unread", {n: 22}, Parley.consoleI18n)`))
}
