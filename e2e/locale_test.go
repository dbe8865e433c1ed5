package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// inZone makes the tab's browser report the IANA time zone name, as a
// visitor's computer set to that zone does.
func inZone(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: name})
		return err
	})
}

// A visitor reading the Polish widget on a computer in Warsaw leaves a
// message with nobody online: the automatic answer is in Polish, with the
// time in Warsaw, though the shop keeps its times in UTC. The widget told
// the server its language and the browser's zone.
func TestWidgetOfflineAnswerInItsLanguageAndZone(t *testing.T) {
	// Wednesday 2 December 2026, 09:15 UTC; the answer is promised four
	// hours later, 13:15 UTC, which is 14:15 in Warsaw (CET).
	now := time.Date(2026, 12, 2, 9, 15, 0, 0, time.UTC)
	s := newShop(t, nil, func(sc *shopConfig) { sc.Desk.Now = func() time.Time { return now } })
	s.setPage("pl", page{Title: "Rowery", Lang: "pl"})
	b := s.newTab()
	b.do(inZone("Europe/Warsaw"))
	b.open(s.url + "/shop/pl")
	b.widgetReady()
	b.ask("Czy wysyłacie do Gdańska?")
	b.until("the automatic answer arrives", wAll(".msg.system p")+`.length === 1`)
	require.Equal(t, []string{"Dziękujemy za wiadomość. W tej chwili nikt nie może odpowiedzieć. " +
		"Odpowiedź otrzymasz do 02.12.2026, 14:15 CET, tutaj na czacie."}, eval[[]string](b, wAll(".msg.system p")))

	vs, err := s.desk.Conversations(context.Background(), chat.ConversationFilter{Statuses: []chat.Status{chat.StatusWaiting}})
	require.NoError(t, err)
	require.Len(t, vs, 1)
	v, err := s.desk.Visitor(context.Background(), vs[0].VisitorID)
	require.NoError(t, err)
	require.Equal(t, "pl", v.Locale)
	require.Equal(t, "Europe/Warsaw", v.TimeZone)
}

// A language a page added under a key that is not a language tag is
// refused by the server; the widget connects again without its language
// and zone, and works, in the shop's defaults.
func TestWidgetConnectsWhenItsLanguageIsRefused(t *testing.T) {
	s := newShop(t, nil)
	b := s.visitorTab("/shop/x")
	b.reloadWidget("pt_br", `{title: "Fale conosco"}`)
	b.until("the widget is back in its own language", `document.getElementById("parley-chat") && `+w("#pw-title")+`.textContent === "Fale conosco"`)
	b.widgetReady()
	b.ask("Olá?")
	var c []chat.ConversationInfo
	require.Eventually(t, func() bool {
		var err error
		c, err = s.desk.Conversations(context.Background(), chat.ConversationFilter{Statuses: []chat.Status{chat.StatusWaiting}})
		return err == nil && len(c) == 1
	}, wait, 50*time.Millisecond, "the chat starts")
	v, err := s.desk.Visitor(context.Background(), c[0].VisitorID)
	require.NoError(t, err)
	require.Equal(t, "en", v.Locale, "the refused language is not stored; the first widget's stays")
}
