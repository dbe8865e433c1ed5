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
