package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/hours"
	"github.com/parleychat/parley/transport"
)

// Before writing, the visitor sees whether anyone is there and how fast
// they usually answer, on the launcher and in the window's header, and
// sees it change while on the page; the launcher becomes the window's
// close control while it is open.
func TestWidgetAvailabilityOnline(t *testing.T) {
	s := newShop(t, nil, func(sc *shopConfig) { sc.Server.TypicalReply = 3 * time.Minute })
	b := s.visitorTab("/shop/x")
	b.until("the launcher shows nobody is online", w(".launcher .dot.off")+` && !`+w(".launcher .dot")+`.hidden`)
	s.agentTab("olga")
	b.until("the launcher shows someone came online", w(".launcher .dot.on"))
	require.Equal(t, "We are online · Usually replies within 3 minutes", eval[string](b, w("#pw-avail")+`.textContent`))
	require.Equal(t, "pw-avail", eval[string](b, w(".launcher")+`.getAttribute("aria-describedby")`), "screen readers hear it on the launcher")
	require.Equal(t, "Open chat", eval[string](b, w(".launcher")+`.getAttribute("aria-label")`))
	b.click(w(".launcher"))
	b.until("the window opens", `!`+w(".panel")+`.hidden`)
	require.Equal(t, []string{"Close chat window", "true"}, eval[[]string](b, `[`+w(".launcher")+`.getAttribute("aria-label"), `+w(".launcher")+`.getAttribute("aria-expanded")]`))
	require.True(t, eval[bool](b, w(".launcher .i-close")+`.checkVisibility() && !`+w(".launcher .i-open")+`.checkVisibility()`), "the launcher shows a close sign")
	require.True(t, eval[bool](b, w(".offline")+`.hidden && !`+w(".composer")+`.hidden`))
	b.screenshot("widget-online")
	b.click(w(".launcher"))
	b.until("the launcher closes it", w(".panel")+`.hidden && `+w(".launcher")+`.getAttribute("aria-label") === "Open chat"`)
}

// With nobody online and the default choice, the window says so before
// the visitor writes and asks where to reply; the contact panel opens
// from the header at any time.
func TestWidgetAvailabilityOfflineForm(t *testing.T) {
	week := shopWeek(t)
	s := newShop(t, nil, func(sc *shopConfig) {
		sc.Server.Contact = transport.Contact{Phone: "+48 22 123 45 67", PhoneHours: &week, Email: "help@shop.example",
			GaduGadu: "1234567", Viber: "+48 600 100 200", Telegram: "@shopchat"}
	})
	b := s.zonedTab("/shop/x", "America/New_York")
	b.until("the launcher shows nobody is online", w(".launcher .dot.off")+` && !`+w(".launcher .dot")+`.hidden`)
	b.click(w(".launcher"))
	require.Equal(t, "We are offline", eval[string](b, w("#pw-avail")+`.textContent`))
	require.True(t, eval[bool](b, `!`+w(".offline")+`.hidden && !`+w("form.reply")+`.hidden && !`+w(".composer")+`.hidden`),
		"the offline notice and the question where to reply show before the visitor writes")
	require.True(t, eval[bool](b, w(".contact")+`.hidden`), "the contact panel waits to be asked for")
	b.click(w(".contact-btn"))
	b.until("the contact panel opens", `!`+w(".contact")+`.hidden && `+w(".contact-btn")+`.getAttribute("aria-expanded") === "true"`)
	require.Equal(t, []string{
		"tel:+48221234567", "mailto:help@shop.example", "https://t.me/shopchat", "gg:1234567", "viber://chat?number=%2B48600100200",
	}, eval[[]string](b, `Array.from(document.getElementById("parley-chat").shadowRoot.querySelectorAll(".contacts a"), a => a.getAttribute("href"))`))
	require.Equal(t, "Phone: +48 22 123 45 67 Mon–Fri 09:00–17:00, Sat 10:00–14:00 (Europe/Warsaw)", eval[string](b, w(".contacts li")+`.textContent`),
		"the phone's hours come from the shop's schedule, on the shop's clock")
	b.click(w(".contact-btn"))
	b.until("the contact panel closes", w(".contact")+`.hidden`)
	b.say("Is anyone there?")
	b.until("an offline request shows the contacts", w(".status")+`.textContent === "We are offline" && !`+w(".contact")+`.hidden`)
}

// The shop may show its contacts instead of the chat while nobody is
// online; the page's own settings win over the server's.
func TestWidgetAvailabilityContactPanel(t *testing.T) {
	week := shopWeek(t)
	s := newShop(t, nil, func(sc *shopConfig) {
		sc.Server.WhenOffline = transport.WhenOfflineContact
		sc.Server.Contact = transport.Contact{Phone: "+48 22 123 45 67", PhoneHours: &week, Email: "help@shop.example", WhatsApp: "+48 221 234 567"}
	})
	s.setPage("x", page{Title: "Sklep", Lang: "pl", Widget: map[string]string{"email": "sklep@shop.example"}})
	b := s.zonedTab("/shop/x", "Europe/Warsaw") // the shop's zone is not named
	b.click(w(".launcher"))
	b.until("the contact panel is the window", `!`+w(".contact")+`.hidden && `+w(".composer")+`.hidden && `+w(".log")+`.hidden && `+w(".contact-btn")+`.hidden`)
	require.Equal(t, "Jesteśmy offline", eval[string](b, w("#pw-avail")+`.textContent`))
	require.Equal(t, []string{
		"Telefon: +48 22 123 45 67 pon.–pt. 09:00–17:00, sob. 10:00–14:00",
		"E-mail: sklep@shop.example",
		"WhatsApp: +48 221 234 567",
	}, eval[[]string](b, wAll(".contacts li")))
	require.True(t, eval[bool](b, w(".contact")+`.contains(`+w(".panel")+`.getRootNode().activeElement)`), "the focus goes to the first contact")
	b.screenshot("widget-contact")
}

// Without contact options to show, the contact choice keeps the chat.
func TestWidgetAvailabilityContactPanelEmpty(t *testing.T) {
	s := newShop(t, nil, func(sc *shopConfig) { sc.Server.WhenOffline = transport.WhenOfflineContact })
	b := s.visitorTab("/shop/x")
	b.click(w(".launcher"))
	b.until("the offline form shows", `!`+w(".offline")+`.hidden && !`+w(".composer")+`.hidden && `+w(".contact")+`.hidden && `+w(".contact-btn")+`.hidden`)
}

// The shop may hide the launcher while nobody is online; a visitor who
// has a conversation going still gets it.
func TestWidgetAvailabilityHidden(t *testing.T) {
	s := newShop(t, nil, func(sc *shopConfig) { sc.Server.WhenOffline = transport.WhenOfflineHide })
	b := s.visitorTab("/shop/x")
	b.until("the launcher is hidden", `!`+w(".launcher")+`.checkVisibility()`)
	b.do(chromedp.Evaluate[chromedp.Void](`Parley.send("Hello?")`))
	b.until("the conversation brings it back", w(".launcher")+`.checkVisibility()`)
}

// zonedTab opens a tab whose browser is in the time zone tz on a shop
// page, and waits for its widget.
func (s *shop) zonedTab(path, tz string) *tab {
	s.t.Helper()
	b := s.newTab()
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: tz})
		return err
	}))
	b.open(s.url + path)
	b.widgetReady()
	return b
}

// shopWeek is a shop's opening hours in Warsaw.
func shopWeek(t *testing.T) hours.Schedule {
	t.Helper()
	warsaw, err := time.LoadLocation("Europe/Warsaw")
	require.NoError(t, err)
	week, err := hours.New(warsaw, "Mon-Fri 09:00-17:00; Sat 10:00-14:00")
	require.NoError(t, err)
	return week
}
