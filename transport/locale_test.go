package transport_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// systemMessage waits for the next system message of conversation c.
func (c *client) systemMessage(conv chat.ConversationInfo) chat.Message {
	c.t.Helper()
	f := c.expect(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.ConversationID == conv.ID && f.Message.Author.Kind == chat.AuthorSystem
	})
	return *f.Message
}

// TestOfflineAnswerInTheWidgetsLanguageAndZone: an anonymous visitor whose
// widget shows Polish in Warsaw starts a chat with nobody online, and the
// automatic answer is in Polish with the time in Warsaw, not in English
// and UTC, the shop's zone.
func TestOfflineAnswerInTheWidgetsLanguageAndZone(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		// Wednesday 2 December 2026, 09:15 UTC; the answer is promised
		// four hours later, 13:15 UTC, which is 14:15 in Warsaw (CET).
		now := time.Date(2026, 12, 2, 9, 15, 0, 0, time.UTC)
		h := newHarnessWithDesk(t, chat.Config{Now: func() time.Time { return now }})
		v := h.visitor(k, clientOptions{lang: "pl", tz: "Europe/Warsaw"})
		assert.Equal(t, "pl", v.welcome.Visitor.Locale)
		assert.Equal(t, "Europe/Warsaw", v.welcome.Visitor.TimeZone)

		c := v.start("")
		require.Equal(t, chat.StatusWaiting, c.Status, "nobody is online")
		v.say(c, "Czy wysyłacie do Gdańska?")
		ack := v.systemMessage(c)
		assert.Equal(t, "Dziękujemy za wiadomość. W tej chwili nikt nie może odpowiedzieć. "+
			"Odpowiedź otrzymasz do 02.12.2026, 14:15 CET, tutaj na czacie.", ack.Body)

		stored, err := h.store.Visitor(t.Context(), v.welcome.Visitor.ID)
		require.NoError(t, err)
		assert.Equal(t, "pl", stored.Locale)
		assert.Equal(t, "Europe/Warsaw", stored.TimeZone, "the zone is kept for later messages and emails")
	})
}

// TestWidgetLanguageWinsOverIdentity: the shop's identity token may carry
// the customer's account language, but the visitor reads the widget's, so
// the hello's lang wins; without one, the identity's locale is used, and
// a hello without lang or tz keeps what was stored.
func TestWidgetLanguageWinsOverIdentity(t *testing.T) {
	h := newHarness(t)
	identity, err := transport.SignIdentity(testSecret, transport.Identity{
		CustomerID: "c-7", Name: "Aino", Locale: "fi-FI", Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)

	v := h.visitor(ws, clientOptions{identity: identity, lang: "ru", tz: "Europe/Helsinki"})
	assert.Equal(t, "ru", v.welcome.Visitor.Locale, "the widget's language wins")
	assert.Equal(t, "Europe/Helsinki", v.welcome.Visitor.TimeZone)

	again := h.visitor(ws, clientOptions{identity: identity, token: v.welcome.Token})
	assert.Equal(t, "fi-FI", again.welcome.Visitor.Locale, "without lang, the identity's locale")
	assert.Equal(t, "Europe/Helsinki", again.welcome.Visitor.TimeZone, "without tz, the stored zone stays")

	anon := h.visitor(ws, clientOptions{lang: "pl"})
	back := h.visitor(ws, clientOptions{token: anon.welcome.Token})
	assert.Equal(t, "pl", back.welcome.Visitor.Locale, "a hello without lang keeps the stored language")
	assert.Empty(t, back.welcome.Visitor.TimeZone)
}

// TestHelloRefusesBadLanguageOrZone: a lang that is not a language tag,
// or a tz the server's time zone database lacks, refuses the hello with
// invalid and a message naming the field.
func TestHelloRefusesBadLanguageOrZone(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		for _, tc := range []struct {
			opts  clientOptions
			field string
		}{
			{clientOptions{lang: "pl_PL"}, "lang"},
			{clientOptions{lang: "<script>"}, "lang"},
			{clientOptions{lang: strings.Repeat("a", 9)}, "lang"},
			{clientOptions{lang: "en-" + strings.Repeat("abcdefgh-", 4) + "x"}, "lang"},
			{clientOptions{lang: "pl", tz: "Mars/Olympus"}, "tz"},
			{clientOptions{tz: "Local"}, "tz"},
			{clientOptions{tz: "../../etc/passwd"}, "tz"},
			{clientOptions{tz: strings.Repeat("Europe/", 20)}, "tz"},
		} {
			_, err := h.dial(k, tc.opts)
			require.Equal(t, wire.CodeInvalid, errorCode(err), "%+v: %v", tc.opts, err)
			assert.True(t, strings.HasPrefix(err.Error(), "invalid: "+tc.field+" "), "the message names %s: %v", tc.field, err)
		}
		ok := h.visitor(k, clientOptions{lang: "sr-Latn-RS", tz: "America/Argentina/Buenos_Aires"})
		assert.Equal(t, "sr-Latn-RS", ok.welcome.Visitor.Locale)
	})
}

// TestSystemMessagesInTheVisitorsLanguage: the inactivity close and a
// transfer post their system messages in the language of the visitor's
// widget, with durations written out and the right plural form.
func TestSystemMessagesInTheVisitorsLanguage(t *testing.T) {
	for _, tc := range []struct {
		lang    string
		timeout time.Duration
		closed  string
		moved   string
	}{
		{"pl", 2 * time.Minute, "Rozmowa zamknięta. Czas bez aktywności: 2 minuty.", "Agent olga: Rozmowa przekazana do: Agent piotr."},
		{"pl", 5 * time.Minute, "Rozmowa zamknięta. Czas bez aktywności: 5 minut.", "Agent olga: Rozmowa przekazana do: Agent piotr."},
		{"ru", 21 * time.Minute, "Чат закрыт. Время без активности: 21 минута.", "Agent olga: Чат передан: Agent piotr."},
		{"ru", 90 * time.Minute, "Чат закрыт. Время без активности: 1 час 30 минут.", "Agent olga: Чат передан: Agent piotr."},
		{"en", 30 * time.Minute, "Closed after 30 minutes without activity.", "Agent olga: Transferred to Agent piotr."},
	} {
		t.Run(tc.lang+"/"+tc.timeout.String(), func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			// The clock jumps further than the transport's renewals reach: a long
			// lease keeps the agents online across the jump.
			h := newHarnessWithDesk(t, chat.Config{Now: clk.Now, InactivityTimeout: tc.timeout, AgentLeaseTTL: 24 * time.Hour})
			olga := h.agent(ws, "olga")
			h.agent(ws, "piotr")
			v := h.visitor(ws, clientOptions{lang: tc.lang})
			c := v.start("")
			require.Equal(t, "olga", c.AgentID)

			olga.mustRequest(wire.ClientFrame{Type: wire.FrameTransfer, ConversationID: c.ID, AgentID: "piotr"})
			assert.Equal(t, tc.moved, v.systemMessage(c).Body)

			clk.advance(tc.timeout + time.Second)
			require.NoError(t, h.desk.Sweep(t.Context()))
			assert.Equal(t, tc.closed, v.systemMessage(c).Body)
		})
	}
}
