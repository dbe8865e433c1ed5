package chat_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// TestInactivityCloseInTheVisitorsLanguage closes idle chats of visitors
// of each language with timeouts whose numbers take every plural form:
// Polish and Russian have three (1 minuta, 2 minuty, 5 minut), and differ
// at 21; Finnish and English two.
func TestInactivityCloseInTheVisitorsLanguage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		locale  string
		timeout time.Duration
		want    string
	}{
		{"", 30 * time.Minute, "Closed after 30 minutes without activity."},
		{"en-GB", time.Minute, "Closed after 1 minute without activity."},
		{"en", 90 * time.Minute, "Closed after 1 hour 30 minutes without activity."},
		{"en", 25*time.Hour + 30*time.Second, "Closed after 1 day 1 hour 30 seconds without activity."},
		{"de-DE", 2 * time.Hour, "Closed after 2 hours without activity."},
		{"pl", time.Minute, "Rozmowa zamknięta. Czas bez aktywności: 1 minuta."},
		{"pl-PL", 2 * time.Minute, "Rozmowa zamknięta. Czas bez aktywności: 2 minuty."},
		{"pl", 5 * time.Minute, "Rozmowa zamknięta. Czas bez aktywności: 5 minut."},
		{"pl", 12 * time.Minute, "Rozmowa zamknięta. Czas bez aktywności: 12 minut."},
		{"pl", 21 * time.Minute, "Rozmowa zamknięta. Czas bez aktywności: 21 minut."},
		{"pl", 22 * time.Minute, "Rozmowa zamknięta. Czas bez aktywności: 22 minuty."},
		{"pl_PL", 90 * time.Minute, "Rozmowa zamknięta. Czas bez aktywności: 1 godzina 30 minut."},
		{"pl", 2*time.Hour + time.Minute, "Rozmowa zamknięta. Czas bez aktywności: 2 godziny 1 minuta."},
		{"pl", 45 * time.Second, "Rozmowa zamknięta. Czas bez aktywności: 45 sekund."},
		{"ru", time.Minute, "Чат закрыт. Время без активности: 1 минута."},
		{"ru-RU", 2 * time.Minute, "Чат закрыт. Время без активности: 2 минуты."},
		{"ru", 5 * time.Minute, "Чат закрыт. Время без активности: 5 минут."},
		{"ru", 11 * time.Minute, "Чат закрыт. Время без активности: 11 минут."},
		{"ru", 21 * time.Minute, "Чат закрыт. Время без активности: 21 минута."},
		{"ru", 24 * time.Minute, "Чат закрыт. Время без активности: 24 минуты."},
		{"ru", 3*time.Hour + 30*time.Minute, "Чат закрыт. Время без активности: 3 часа 30 минут."},
		{"fi", time.Minute, "Keskustelu suljettu. Aika ilman toimintaa: 1 minuutti."},
		{"fi-FI", 2 * time.Minute, "Keskustelu suljettu. Aika ilman toimintaa: 2 minuuttia."},
		{"fi", 90 * time.Minute, "Keskustelu suljettu. Aika ilman toimintaa: 1 tunti 30 minuuttia."},
	} {
		t.Run(tc.locale+"/"+tc.timeout.String(), func(t *testing.T) {
			t.Parallel()
			clk := &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
			f := setup(t, chat.Config{Now: clk.Now, InactivityTimeout: tc.timeout})
			f.agent(t, "olga", 0, chat.AgentOnline)
			v, err := f.desk.SaveVisitor(t.Context(), chat.Visitor{Locale: tc.locale})
			require.NoError(t, err)
			c := f.start(t, chat.StartRequest{VisitorID: v.ID})
			clk.Advance(tc.timeout + time.Second)
			require.NoError(t, f.desk.Sweep(t.Context()))
			require.Equal(t, chat.StatusClosed, f.info(t, c).Status)
			ms := f.transcript(t, c)
			require.NotEmpty(t, ms)
			assert.Equal(t, chat.AuthorSystem, ms[len(ms)-1].Author.Kind)
			assert.Equal(t, tc.want, ms[len(ms)-1].Body)
		})
	}
}

// TestTransferInTheVisitorsLanguage: the transfer notes are system
// messages the visitor reads, so they are in the visitor's language.
func TestTransferInTheVisitorsLanguage(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	f.agent(t, "olga", 0, chat.AgentOnline, "delivery")
	f.agent(t, "piotr", 0, chat.AgentOnline, "returns")
	v, err := f.desk.SaveVisitor(t.Context(), chat.Visitor{Locale: "ru-RU"})
	require.NoError(t, err)
	c := f.start(t, chat.StartRequest{VisitorID: v.ID, Department: "delivery"})
	require.Equal(t, "olga", c.AgentID)
	h, err := f.desk.Conversation(t.Context(), c.ID)
	require.NoError(t, err)

	_, err = h.Transfer(t.Context(), chat.Transfer{Department: "returns", By: chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Ольга"}})
	require.NoError(t, err)
	ms := f.transcript(t, c)
	assert.Equal(t, "Ольга: Чат передан в отдел: returns.", ms[len(ms)-1].Body)

	require.NoError(t, f.desk.SaveAgent(t.Context(), chat.Agent{ID: "olga", Name: "Ольга Петрова", Status: chat.AgentOnline}))
	_, err = h.Transfer(t.Context(), chat.Transfer{AgentID: "olga", By: chat.Author{Kind: chat.AuthorBot}})
	require.NoError(t, err)
	ms = f.transcript(t, c)
	assert.Equal(t, "Чат передан: Ольга Петрова.", ms[len(ms)-1].Body)
}

// TestOfflineAckInTheVisitorsZone: a visitor in New York writing to a
// Warsaw shop is told the expected answer in New York time, and the
// notices carry the visitor's zone.
func TestOfflineAckInTheVisitorsZone(t *testing.T) {
	t.Parallel()
	newYork := mustLocation("America/New_York")
	// Friday 27 November 2026, 16:30 in Warsaw: open, but nobody online.
	clk := &clock{t: time.Date(2026, 11, 27, 16, 30, 0, 0, warsaw)}
	box := &outbox{}
	f := setup(t, chat.Config{Now: clk.Now, Hours: weekdays(t), Notifier: box, Location: warsaw})
	v, err := f.desk.SaveVisitor(t.Context(), chat.Visitor{Email: "sam@example.com", Locale: "en-US", TimeZone: "America/New_York"})
	require.NoError(t, err)
	require.NoError(t, f.desk.ProveEmail(t.Context(), v.ID, v.Email))
	c := f.start(t, chat.StartRequest{VisitorID: v.ID})
	f.post(t, c, visitorAuthor(c), "Do you ship to Boston?")

	// Monday 12:30 in Warsaw is 06:30 in New York.
	expected := time.Date(2026, 11, 30, 12, 30, 0, 0, warsaw)
	ms := f.transcript(t, c)
	require.Len(t, ms, 2)
	assert.Equal(t, "Thank you for your message. Nobody can answer right now. "+
		"You can expect an answer by 2026-11-30 06:30 EST, here in the chat. We will also send it to sam@example.com.", ms[1].Body)

	n := box.waitFor(t, 1)[0]
	assert.True(t, n.ExpectedReply.Equal(expected))
	assert.Equal(t, "America/New_York", n.Location.String(), "the email shows times in the visitor's zone")
	assert.Equal(t, newYork.String(), n.ExpectedReply.Location().String())

	require.NoError(t, f.desk.SendTranscript(t.Context(), c.ID, ""))
	sent := box.waitFor(t, 2)
	assert.Equal(t, "America/New_York", sent[1].Location.String(), "the transcript's times too")
}

func TestVisitorLanguageAndZoneAreChecked(t *testing.T) {
	t.Parallel()
	f := setup(t, chat.Config{})
	for _, tz := range []string{"Mars/Olympus", "Local", "../../etc/passwd", "Europe/Warsaw\x00"} {
		_, err := f.desk.SaveVisitor(t.Context(), chat.Visitor{TimeZone: tz})
		assert.ErrorIs(t, err, chat.ErrInvalid, "%q", tz)
		assert.ErrorIs(t, chat.CheckTimeZone(tz), chat.ErrInvalid, "%q", tz)
	}
	v, err := f.desk.SaveVisitor(t.Context(), chat.Visitor{TimeZone: "Europe/Helsinki", Locale: "fi-FI"})
	require.NoError(t, err)
	got, err := f.desk.Visitor(t.Context(), v.ID)
	require.NoError(t, err)
	assert.Equal(t, "Europe/Helsinki", got.TimeZone)

	for _, ok := range []string{"pl", "fi-FI", "sr-Latn-RS", "es-419", "zh-Hant-TW", "en-GB-oxendict"} {
		assert.NoError(t, chat.CheckLocale(ok), ok)
	}
	for _, bad := range []string{"", "p", "pl_PL", "pl-", "-pl", "1a", "pl--PL", "pl-toolongsubtag", "<script>", "ру", "pl PL",
		"en-aaaaaaaa-bbbbbbbb-cccccccc-dddddddd"} {
		assert.ErrorIs(t, chat.CheckLocale(bad), chat.ErrInvalid, "%q", bad)
	}
}
