package chat_test

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

const confirmURL = "https://shop.example.com/chat/email/confirm"

// sqliteStore opens a store on an SQLite file, closed when the test ends.
func sqliteStore(t *testing.T, path string) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close(context.Background())) })
	return s
}

// chatWith starts a conversation of a new anonymous visitor, who writes
// body, and an agent answers.
func chatWith(t *testing.T, f fixture, body string) chat.ConversationInfo {
	t.Helper()
	f.agent(t, "olga", 0, chat.AgentOnline)
	v, err := f.desk.SaveVisitor(t.Context(), chat.Visitor{Name: "Buy cheap pills at spam.example", Locale: "en"})
	require.NoError(t, err)
	c := f.start(t, chat.StartRequest{VisitorID: v.ID})
	f.post(t, c, visitorAuthor(c), body)
	f.post(t, c, chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Olga"}, "How can I help?")
	return c
}

// carries reports whether any text of n, the visitor's name included,
// contains s.
func carries(n chat.Notice, s string) bool {
	if strings.Contains(n.To.Name, s) || strings.Contains(n.ConfirmURL, s) {
		return true
	}
	for _, m := range n.Messages {
		if strings.Contains(m.Body, s) || strings.Contains(m.Author.Name, s) {
			return true
		}
	}
	return false
}

// token returns the token of a confirmation notice's link.
func token(t *testing.T, n chat.Notice) string {
	t.Helper()
	require.Equal(t, chat.NoticeConfirmEmail, n.Kind)
	u, err := url.Parse(n.ConfirmURL)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(n.ConfirmURL, confirmURL+"?"), "the link is the configured page: %s", n.ConfirmURL)
	tok := u.Query().Get("token")
	require.NotEmpty(t, tok)
	return tok
}

func TestTranscriptToUnprovenAddressWaitsForConfirmation(t *testing.T) {
	t.Parallel()
	box := &outbox{}
	clk := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	f := setup(t, chat.Config{Store: sqliteStore(t, filepath.Join(t.TempDir(), "parley.db")), Notifier: box, Now: clk.Now,
		EmailConfirmURL: confirmURL})
	const spam = "VISIT spam.example FOR PRIZES"
	c := chatWith(t, f, spam)

	err := f.desk.SendTranscript(t.Context(), c.ID, "victim@example.com")
	require.ErrorIs(t, err, chat.ErrConfirmationSent)
	sent := box.all()
	require.Len(t, sent, 1, "only the confirmation is sent")
	n := sent[0]
	assert.Equal(t, "victim@example.com", n.To.Email)
	assert.False(t, carries(n, spam), "the confirmation carries no text of the visitor's")
	assert.False(t, carries(n, "spam.example"), "not even their name")
	assert.Empty(t, n.Messages)

	// Asking again sends another link, with another token; both work
	// until one is used.
	require.ErrorIs(t, f.desk.SendTranscript(t.Context(), c.ID, "victim@example.com"), chat.ErrConfirmationSent)
	sent = box.all()
	require.Len(t, sent, 2)
	first, second := token(t, sent[0]), token(t, sent[1])
	require.NotEqual(t, first, second)

	_, err = f.desk.ConfirmEmail(t.Context(), "not-a-token")
	require.ErrorIs(t, err, chat.ErrNotFound)
	conf, err := f.desk.ConfirmEmail(t.Context(), second)
	require.NoError(t, err)
	assert.Equal(t, c.ID, conf.ConversationID)
	assert.Equal(t, c.VisitorID, conf.VisitorID)
	sent = box.all()
	require.Len(t, sent, 3, "confirming sends the transcript")
	assert.Equal(t, chat.NoticeTranscript, sent[2].Kind)
	assert.Equal(t, "victim@example.com", sent[2].To.Email)
	assert.True(t, carries(sent[2], spam), "the transcript goes to the address its owner confirmed")

	_, err = f.desk.ConfirmEmail(t.Context(), second)
	require.ErrorIs(t, err, chat.ErrNotFound, "a link works once")
	require.NoError(t, f.desk.SendTranscript(t.Context(), c.ID, "Victim@Example.com"), "a proven address gets transcripts at once")
	require.Len(t, box.all(), 4)

	// The first link expires.
	clk.Advance(chat.DefaultEmailConfirmTTL)
	_, err = f.desk.ConfirmEmail(t.Context(), first)
	require.ErrorIs(t, err, chat.ErrNotFound, "an expired link")
	require.Len(t, box.all(), 4)
}

func TestTranscriptWithoutConfirmURLGoesOnlyToProvenAddresses(t *testing.T) {
	t.Parallel()
	box := &outbox{}
	f := setup(t, chat.Config{Notifier: box})
	c := chatWith(t, f, "hello")
	require.ErrorIs(t, f.desk.SendTranscript(t.Context(), c.ID, "victim@example.com"), chat.ErrEmailUnproven)
	assert.Empty(t, box.all(), "nothing is sent")
	require.NoError(t, f.desk.ProveEmail(t.Context(), c.VisitorID, "victim@example.com"))
	require.NoError(t, f.desk.SendTranscript(t.Context(), c.ID, ""), "the address given before is kept")
	assert.Len(t, box.all(), 1)
}

// TestEmailLimitsHoldAcrossDesks runs two Desks, as two instances of the
// shop would, on one SQLite file through two stores.
func TestEmailLimitsHoldAcrossDesks(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "parley.db")
	clk := &clock{t: time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)}
	box := &outbox{}
	cfg := chat.Config{Notifier: box, Now: clk.Now, EmailsPerVisitor: 2, EmailsPerAddress: 3}
	cfg.Store = sqliteStore(t, path)
	a := setup(t, cfg)
	cfg.Store = sqliteStore(t, path)
	b := setup(t, cfg)
	desks := []fixture{a, b}

	// Per visitor: two emails, whichever instance sends them.
	c := chatWith(t, a, "hello")
	require.NoError(t, a.desk.ProveEmail(t.Context(), c.VisitorID, "one@example.com"))
	require.NoError(t, a.desk.ProveEmail(t.Context(), c.VisitorID, "two@example.com"))
	require.NoError(t, a.desk.SendTranscript(t.Context(), c.ID, "one@example.com"))
	require.NoError(t, b.desk.SendTranscript(t.Context(), c.ID, "two@example.com"))
	err := a.desk.SendTranscript(t.Context(), c.ID, "one@example.com")
	require.ErrorIs(t, err, chat.ErrEmailLimit, "the visitor's third email of the day")
	require.Len(t, box.all(), 2)

	// Per address: three emails, whichever visitors ask.
	for i := range 4 {
		f := desks[i%2]
		c := chatWith(t, f, "hello")
		require.NoError(t, f.desk.ProveEmail(t.Context(), c.VisitorID, "shared@example.com"))
		err := f.desk.SendTranscript(t.Context(), c.ID, "Shared@example.com")
		if i < 3 {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, chat.ErrEmailLimit, "the address's fourth email of the day, in any case")
		}
	}
	require.Len(t, box.all(), 5)

	// The limits are per UTC day.
	clk.Advance(time.Hour)
	require.NoError(t, b.desk.SendTranscript(t.Context(), c.ID, "one@example.com"), "a new day")
	require.Len(t, box.all(), 6)
}

func TestSuppressedAddressGetsNothing(t *testing.T) {
	t.Parallel()
	box := &outbox{}
	store := memory.New()
	f := setup(t, chat.Config{Store: store, Notifier: box, EmailConfirmURL: confirmURL})
	c := chatWith(t, f, "hello")
	require.NoError(t, f.desk.ProveEmail(t.Context(), c.VisitorID, "bounced@example.com"))
	require.ErrorIs(t, f.desk.SuppressEmail(t.Context(), "x@example.com", "dislike"), chat.ErrInvalid)
	require.NoError(t, f.desk.SuppressEmail(t.Context(), " Bounced@Example.com", chat.SuppressBounce))
	sup, err := store.EmailSuppression(t.Context(), "bounced@example.com")
	require.NoError(t, err)
	assert.Equal(t, chat.SuppressBounce, sup.Reason)

	require.ErrorIs(t, f.desk.SendTranscript(t.Context(), c.ID, "bounced@example.com"), chat.ErrEmailSuppressed, "a proven address")
	other := chatWith(t, f, "hello")
	require.ErrorIs(t, f.desk.SendTranscript(t.Context(), other.ID, "BOUNCED@example.com"), chat.ErrEmailSuppressed, "no confirmation either")

	// Nor notices the Desk sends on its own: an offline request.
	offline := setup(t, chat.Config{Store: store, Notifier: box})
	v, err := offline.desk.SaveVisitor(t.Context(), chat.Visitor{Email: "bounced@example.com"})
	require.NoError(t, err)
	_, err = offline.desk.SetAgentStatus(t.Context(), "olga", chat.AgentOffline)
	require.NoError(t, err)
	req := offline.start(t, chat.StartRequest{VisitorID: v.ID})
	require.Equal(t, chat.StatusWaiting, req.Status)
	offline.post(t, req, visitorAuthor(req), "anyone?")
	require.NoError(t, offline.desk.Close(t.Context()), "Close waits for the notices being sent")
	assert.Empty(t, box.all(), "a suppressed address gets nothing")

	require.NoError(t, f.desk.UnsuppressEmail(t.Context(), "bounced@example.com"))
	require.ErrorIs(t, f.desk.UnsuppressEmail(t.Context(), "bounced@example.com"), chat.ErrNotFound)
	require.NoError(t, f.desk.SendTranscript(t.Context(), c.ID, "bounced@example.com"), "lifted")
	assert.Len(t, box.all(), 1)
}

// TestUnprovenNoticesCarryNoVisitorText checks the offline
// acknowledgement to an address the visitor typed: it is sent, without
// their message or their name, since anyone may have typed it.
func TestUnprovenNoticesCarryNoVisitorText(t *testing.T) {
	t.Parallel()
	box := &outbox{}
	f := setup(t, chat.Config{Notifier: box})
	v, err := f.desk.SaveVisitor(t.Context(), chat.Visitor{Name: "Cheap pills", Email: "victim@example.com"})
	require.NoError(t, err)
	c := f.start(t, chat.StartRequest{VisitorID: v.ID})
	require.Equal(t, chat.StatusWaiting, c.Status)
	f.post(t, c, visitorAuthor(c), "VISIT spam.example")
	n := box.waitFor(t, 1)[0]
	assert.Equal(t, chat.NoticeOfflineReceived, n.Kind)
	assert.Equal(t, "victim@example.com", n.To.Email)
	assert.Empty(t, n.Messages, "the request is left out")
	assert.Empty(t, n.To.Name, "and the name the visitor typed")
}

func TestEmailConfigIsChecked(t *testing.T) {
	t.Parallel()
	for _, cfg := range []chat.Config{
		{EmailsPerVisitor: -1},
		{EmailsPerAddress: -1},
		{EmailConfirmTTL: -time.Second},
		{EmailConfirmURL: "/chat/email/confirm"},
		{EmailConfirmURL: "ftp://shop.example.com/confirm"},
	} {
		cfg.Store = memory.New()
		_, err := chat.NewDesk(cfg)
		require.ErrorIs(t, err, chat.ErrInvalid, "%+v", cfg)
		assert.Contains(t, err.Error(), "Config.Email")
	}
}

func TestEmailLimitDefaults(t *testing.T) {
	t.Parallel()
	box := &outbox{}
	f := setup(t, chat.Config{Notifier: box})
	c := chatWith(t, f, "hello")
	require.NoError(t, f.desk.ProveEmail(t.Context(), c.VisitorID, "anna@example.com"))
	for range chat.DefaultEmailsPerVisitor {
		require.NoError(t, f.desk.SendTranscript(t.Context(), c.ID, "anna@example.com"))
	}
	require.ErrorIs(t, f.desk.SendTranscript(t.Context(), c.ID, "anna@example.com"), chat.ErrEmailLimit)
	assert.Equal(t, 5, chat.DefaultEmailsPerVisitor)
	assert.Equal(t, 5, chat.DefaultEmailsPerAddress)
	assert.Len(t, box.all(), 5)
}

// TestNoticesOverTheLimitAreDropped checks that the acknowledgements of
// offline requests count against the address's limit too.
func TestNoticesOverTheLimitAreDropped(t *testing.T) {
	t.Parallel()
	box := &outbox{}
	f := setup(t, chat.Config{Notifier: box, EmailsPerAddress: 1})
	for range 2 {
		v, err := f.desk.SaveVisitor(t.Context(), chat.Visitor{Email: "victim@example.com"})
		require.NoError(t, err)
		c := f.start(t, chat.StartRequest{VisitorID: v.ID})
		require.Equal(t, chat.StatusWaiting, c.Status)
		f.post(t, c, visitorAuthor(c), "anyone?")
	}
	require.NoError(t, f.desk.Close(t.Context()), "Close waits for the notices being sent")
	assert.Len(t, box.all(), 1, "the second acknowledgement is over the address's limit")
}

// TestEmailedAttachments: in emails, an uploaded file's attachment gets
// the link Config.FileLink gives it, or is left out without one; a file
// kept elsewhere keeps its own URL; the stored message is not changed.
func TestEmailedAttachments(t *testing.T) {
	t.Parallel()
	uploaded := chat.Attachment{Name: "paczka.png", ContentType: "image/png", FileID: chat.NewID(), URL: "files/x"}
	external := chat.Attachment{Name: "faktura.pdf", URL: "https://files.example.com/f/1"}
	for name, link := range map[string]func(chat.Attachment) string{
		"linked": func(a chat.Attachment) string {
			return "https://shop.example.com/chat/files/" + a.FileID.String() + "?sig=s"
		},
		"no link":   func(chat.Attachment) string { return "" },
		"no linker": nil,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			box := &outbox{}
			f := setup(t, chat.Config{Notifier: box, FileLink: link})
			c := chatWith(t, f, "hello")
			conv, _, err := f.desk.Lookup(t.Context(), c.ID)
			require.NoError(t, err)
			m, err := conv.Post(t.Context(), chat.Message{Author: chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Olga"},
				Body: "The photo and the invoice", Attachments: []chat.Attachment{uploaded, external}})
			require.NoError(t, err)
			require.NoError(t, f.desk.ProveEmail(t.Context(), c.VisitorID, "anna@example.com"))
			require.NoError(t, f.desk.SendTranscript(t.Context(), c.ID, "anna@example.com"))
			sent := box.all()
			require.Len(t, sent, 1)
			last := sent[0].Messages[len(sent[0].Messages)-1]
			want := []chat.Attachment{external}
			if name == "linked" {
				linked := uploaded
				linked.URL = link(uploaded)
				want = []chat.Attachment{linked, external}
			}
			assert.Equal(t, want, last.Attachments)
			stored, err := conv.History(t.Context(), chat.MessageQuery{After: m.Seq - 1, Limit: 1})
			require.NoError(t, err)
			assert.Equal(t, []chat.Attachment{uploaded, external}, stored[0].Attachments, "the stored message keeps its attachments")
		})
	}
}
