package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/hours"
	"github.com/parleychat/parley/store/memory"
)

// TestDeskOfflineRequestByEmail follows an offline request from the Desk to
// the mailbox: a Russian-speaking visitor writes on a Friday afternoon with
// nobody online, and the email that arrives at the SMTP server promises the
// answer for Monday, after the weekend, in the visitor's language.
func TestDeskOfflineRequestByEmail(t *testing.T) {
	t.Parallel()
	moscow := load(t, "Europe/Moscow")
	srv := startServer(t, serverOptions{})
	week, err := hours.New(moscow, "Mon-Fri 09:00-18:00")
	require.NoError(t, err)
	friday := time.Date(2026, 3, 27, 17, 0, 0, 0, moscow)
	desk, err := chat.NewDesk(chat.Config{
		Store:       memory.New(),
		Notifier:    newNotifier(t, srv.Addr(), nil),
		Hours:       hours.Hours{Default: week},
		ReplyWithin: 3 * time.Hour,
		Location:    moscow,
		Now:         func() time.Time { return friday },
	})
	require.NoError(t, err)
	ctx := t.Context()
	v, err := desk.SaveVisitor(ctx, chat.Visitor{Name: "Ёлкина Юлия", Email: "yulia@example.ru", Locale: "ru-RU"})
	require.NoError(t, err)
	// The shop vouches for her address, so the email may quote her.
	require.NoError(t, desk.ProveEmail(ctx, v.ID, v.Email))
	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	_, err = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String(), Name: v.Name}, Body: "Где моя посылка?"})
	require.NoError(t, err)
	require.NoError(t, desk.Close(context.Background())) // waits for the email to be sent

	envs := srv.Envelopes()
	require.Len(t, envs, 1)
	assert.Equal(t, []string{"yulia@example.ru"}, envs[0].To)
	got := parse(t, envs[0].Data)
	assert.Equal(t, "ru", got.Header.Get("Content-Language"))
	assert.Equal(t, "Мы получили ваше сообщение – Żółty Kot", got.Subject)
	// One hour on Friday (17:00-18:00), two on Monday from 09:00.
	assert.Contains(t, got.Text, "Ожидаемое время ответа: понедельник, 30 марта 2026 г., 11:00 MSK.")
	assert.Contains(t, got.Text, "Где моя посылка?")
}

// TestDeskEmailsInTheVisitorsZone: a shop keeping its times in UTC emails a
// visitor whose widget showed Polish in Warsaw. The acknowledgement, the
// reply notice and the transcript are in Polish with every time in
// Warsaw's zone, not the shop's.
func TestDeskEmailsInTheVisitorsZone(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	// Wednesday 2 December 2026, 09:15 UTC, which is 10:15 in Warsaw. The
	// answer is promised four hours later: 14:15 in Warsaw.
	now := time.Date(2026, 12, 2, 9, 15, 0, 0, time.UTC)
	desk, err := chat.NewDesk(chat.Config{
		Store:            memory.New(),
		Notifier:         newNotifier(t, srv.Addr(), nil),
		Now:              func() time.Time { return now },
		ReplyNoticeDelay: time.Millisecond,
	})
	require.NoError(t, err)
	defer desk.Close(context.Background())
	ctx := t.Context()
	v, err := desk.SaveVisitor(ctx, chat.Visitor{Email: "anna@example.pl", Locale: "pl", TimeZone: "Europe/Warsaw"})
	require.NoError(t, err)
	require.NoError(t, desk.ProveEmail(ctx, v.ID, v.Email), "the shop vouches for the address")
	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	_, err = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: "Czy mają Państwo rower miejski?"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(srv.Envelopes()) == 1 }, 10*time.Second, time.Millisecond, "the acknowledgement")

	// An agent answers the visitor, who has left: the reply is emailed.
	require.NoError(t, desk.SaveAgent(ctx, chat.Agent{ID: "olga", Name: "Olga", Status: chat.AgentOnline}))
	_, err = desk.SetAgentStatus(ctx, "olga", chat.AgentOnline)
	require.NoError(t, err)
	_, err = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Olga"}, Body: "Tak, w trzech kolorach."})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(srv.Envelopes()) == 2 }, 10*time.Second, time.Millisecond, "the reply notice")

	require.NoError(t, desk.SendTranscript(ctx, conv.ID(), ""))
	envs := srv.Envelopes()
	require.Len(t, envs, 3)

	ack := parse(t, envs[0].Data)
	assert.Equal(t, "pl", ack.Header.Get("Content-Language"))
	assert.Contains(t, ack.Text, "Przewidywany czas odpowiedzi: środa, 2 grudnia 2026, godz. 14:15 CET.")
	assert.Contains(t, ack.Text, "Ty (02.12.2026 10:15):")

	reply := parse(t, envs[1].Data)
	assert.Equal(t, "Nowa odpowiedź – Żółty Kot", reply.Subject)
	assert.Contains(t, reply.Text, "Olga (02.12.2026 10:15):\r\nTak, w trzech kolorach.")

	transcript := parse(t, envs[2].Data)
	assert.Equal(t, "Zapis rozmowy – Żółty Kot", transcript.Subject)
	assert.Contains(t, transcript.Text, "Ty (02.12.2026 10:15):\r\nCzy mają Państwo rower miejski?")
	assert.Contains(t, transcript.Text, "Olga (02.12.2026 10:15):")
}
