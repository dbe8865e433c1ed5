package notify_test

import (
	"context"
	"net/url"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

// TestDeskConfirmationByEmail follows a transcript asked for by an
// anonymous visitor to the mailbox: the first email only asks to confirm
// the address, in the visitor's language, and carries nothing the visitor
// wrote; the link in it sends the transcript.
func TestDeskConfirmationByEmail(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(context.Background()) })
	desk, err := chat.NewDesk(chat.Config{
		Store:           store,
		Notifier:        newNotifier(t, srv.Addr(), nil),
		EmailConfirmURL: "https://zolty-kot.example/chat/email/confirm",
	})
	require.NoError(t, err)
	t.Cleanup(func() { desk.Close(context.Background()) })
	ctx := t.Context()
	v, err := desk.SaveVisitor(ctx, chat.Visitor{Name: "Wygraj iPhone na spam.example", Locale: "pl-PL"})
	require.NoError(t, err)
	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	const spam = "Kup tanio na spam.example"
	_, err = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String(), Name: v.Name}, Body: spam})
	require.NoError(t, err)

	info, err := conv.Info(ctx)
	require.NoError(t, err)
	require.ErrorIs(t, desk.SendTranscript(ctx, info.ID, "ofiara@example.pl"), chat.ErrConfirmationSent)
	envs := srv.Envelopes()
	require.Len(t, envs, 1)
	assert.Equal(t, []string{"ofiara@example.pl"}, envs[0].To)
	got := parse(t, envs[0].Data)
	assert.Equal(t, "Potwierdź swój adres e-mail – Żółty Kot", got.Subject)
	for _, part := range []string{got.Text, got.HTML, got.Subject, got.To.Name} {
		assert.NotContains(t, part, "spam.example", "nothing the visitor wrote, name included")
	}
	link := regexp.MustCompile(`https://zolty-kot\.example/chat/email/confirm\?token=[A-Za-z0-9_-]+`).FindString(got.Text)
	require.NotEmpty(t, link, "the text has the link:\n%s", got.Text)
	assert.Contains(t, got.HTML, `href="`+link+`"`)

	u, err := url.Parse(link)
	require.NoError(t, err)
	_, err = desk.ConfirmEmail(ctx, u.Query().Get("token"))
	require.NoError(t, err)
	envs = srv.Envelopes()
	require.Len(t, envs, 2)
	got = parse(t, envs[1].Data)
	assert.Equal(t, "Zapis rozmowy – Żółty Kot", got.Subject)
	assert.Contains(t, got.Text, spam, "the confirmed address gets the transcript")
}
