package e2e_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// Texts with a number take the plural form the language needs: Polish
// and Russian three (and one for fractions), Finnish and English two.
// Every such text of every language has a form for each category its
// language's integers fall into.
func TestWidgetPluralForms(t *testing.T) {
	s := newShop(t, nil)
	b := s.visitorTab("/shop/x")
	missing := eval[[]string](b, `(() => {
		const out = [];
		for (const [lang, texts] of Object.entries(Parley.i18n)) {
			const rules = new Intl.PluralRules(lang);
			for (const [key, text] of Object.entries(texts)) {
				if (typeof text !== "object") continue;
				for (let n = 0; n <= 200; n++) {
					const form = rules.select(n);
					if (text[form] == null) out.push(lang + " " + key + " " + form + " (" + n + ")");
				}
				if (text.other == null) out.push(lang + " " + key + " other");
			}
		}
		return [...new Set(out)];
	})()`)
	require.Empty(t, missing, "plural forms missing")
	require.Greater(t, eval[int](b, `Object.values(Parley.i18n.ru).filter(x => typeof x === "object").length`), 1, "there are plural texts")

	want := map[string]map[string][]string{
		"en": {
			"unread":       {"1 new message", "2 new messages", "5 new messages", "22 new messages", "25 new messages"},
			"replyMinutes": {"Usually replies within 1 minute", "Usually replies within 2 minutes", "Usually replies within 5 minutes", "Usually replies within 22 minutes", "Usually replies within 25 minutes"},
		},
		"pl": {
			"unread":       {"1 nowa wiadomość", "2 nowe wiadomości", "5 nowych wiadomości", "22 nowe wiadomości", "25 nowych wiadomości"},
			"replyMinutes": {"Odpowiadamy zwykle w 1 minutę", "Odpowiadamy zwykle w 2 minuty", "Odpowiadamy zwykle w 5 minut", "Odpowiadamy zwykle w 22 minuty", "Odpowiadamy zwykle w 25 minut"},
			"replyHours":   {"Odpowiadamy zwykle w 1 godzinę", "Odpowiadamy zwykle w 2 godziny", "Odpowiadamy zwykle w 5 godzin", "Odpowiadamy zwykle w 22 godziny", "Odpowiadamy zwykle w 25 godzin"},
		},
		"fi": {
			"unread":       {"1 uusi viesti", "2 uutta viestiä", "5 uutta viestiä", "22 uutta viestiä", "25 uutta viestiä"},
			"replyMinutes": {"Tyypillinen vastausaika: 1 minuutti", "Tyypillinen vastausaika: 2 minuuttia", "Tyypillinen vastausaika: 5 minuuttia", "Tyypillinen vastausaika: 22 minuuttia", "Tyypillinen vastausaika: 25 minuuttia"},
		},
		"ru": {
			"unread":       {"1 новое сообщение", "2 новых сообщения", "5 новых сообщений", "22 новых сообщения", "25 новых сообщений"},
			"replyMinutes": {"Обычно отвечаем за 1 минуту", "Обычно отвечаем за 2 минуты", "Обычно отвечаем за 5 минут", "Обычно отвечаем за 22 минуты", "Обычно отвечаем за 25 минут"},
			"replyHours":   {"Обычно отвечаем за 1 час", "Обычно отвечаем за 2 часа", "Обычно отвечаем за 5 часов", "Обычно отвечаем за 22 часа", "Обычно отвечаем за 25 часов"},
		},
	}
	for lang, keys := range want {
		for key, texts := range keys {
			got := eval[[]string](b, fmt.Sprintf(`[1, 2, 5, 22, 25].map(n => Parley.translate(%s, %s, {n}))`, js(lang), js(key)))
			require.Equal(t, texts, got, "%s %s", lang, key)
		}
	}
	require.Equal(t, "11 новых сообщений", eval[string](b, `Parley.translate("ru", "unread", {n: 11})`), "eleven is not one")
	require.Equal(t, "21 nowych wiadomości", eval[string](b, `Parley.translate("pl", "unread", {n: 21})`), "in Polish 21 takes the many form")
	require.Equal(t, "21 новое сообщение", eval[string](b, `Parley.translate("ru", "unread", {n: 21})`), "in Russian 21 takes the one form")
	require.Equal(t, "3 new messages", eval[string](b, `Parley.translate("de", "unread", {n: 3})`), "a language without the text falls back to English, with English rules")
}

// The unread count on the launcher's label uses the plural forms.
func TestWidgetUnreadLabel(t *testing.T) {
	s := newShop(t, nil)
	s.setPage("pl", page{Title: "Sklep", Lang: "pl"})
	agent := s.agentTab("olga")
	b := s.visitorTab("/shop/pl")
	b.ask("Dzień dobry")
	b.click(w(".launcher")) // close the window: replies now count as unread
	agent.until("the chat reaches the agent", cAll("#mine .preview")+`.includes("Dzień dobry")`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	for i := 1; i <= 2; i++ {
		agent.reply(fmt.Sprintf("Odpowiedź %d", i))
		b.until("the reply arrives", wAll(".msg.agent p")+fmt.Sprintf(`.length === %d`, i))
	}
	require.Equal(t, "Otwórz czat, 2 nowe wiadomości", eval[string](b, w(".launcher")+`.getAttribute("aria-label")`))
}
