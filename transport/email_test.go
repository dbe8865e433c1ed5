package transport_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// confirmPage is where the tests' Desks say the confirmation page is; the
// tests open the same path on their own server.
const confirmPage = "https://shop.example.com/chat/email/confirm"

// emailHarness serves a Desk with a mailbox on an SQLite file.
func emailHarness(t *testing.T, cfg chat.Config) (*harness, *mailbox) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close(context.Background()) })
	box := &mailbox{}
	cfg.Store, cfg.Notifier = s, box
	return newHarnessWithDesk(t, cfg), box
}

// identified signs an identity with an email address.
func identified(t *testing.T, email string) string {
	t.Helper()
	tok, err := transport.SignIdentity(testSecret, transport.Identity{CustomerID: "c-" + email, Name: "Customer", Email: email, Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	return tok
}

// transcript asks for the transcript over the connection and returns the
// error code, or "" when it was sent.
func transcript(c *client, conv chat.ConversationInfo, email string) string {
	c.t.Helper()
	r := c.request(wire.ClientFrame{Type: wire.FrameTranscript, ConversationID: conv.ID, Email: email})
	if r.Type == wire.FrameError {
		return r.Error.Code
	}
	require.Equal(c.t, wire.FrameOK, r.Type)
	return ""
}

// page fetches a confirmation page of the harness's server.
func (h *harness) page(method, token string) (int, string) {
	h.t.Helper()
	u := h.url + "/chat/email/confirm"
	var resp *http.Response
	var err error
	if method == http.MethodGet {
		resp, err = http.Get(u + "?token=" + url.QueryEscape(token))
	} else {
		resp, err = http.PostForm(u, url.Values{"token": {token}})
	}
	require.NoError(h.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	assert.Equal(h.t, "no-referrer", resp.Header.Get("Referrer-Policy"), "the token in the address goes nowhere else")
	return resp.StatusCode, string(body)
}

func TestTranscriptFrameToTypedAddressNeedsConfirmation(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h, box := emailHarness(t, chat.Config{EmailConfirmURL: confirmPage})
		olga := h.agent(k, "olga")
		v := h.visitor(k)
		r := v.mustRequest(wire.ClientFrame{Type: wire.FrameStart, Name: "Prizes at spam.example", Email: "victim@example.com"})
		c := *r.Conversation
		const spam = "CLICK spam.example NOW"
		v.say(c, spam)
		olga.messages(c, 1)

		require.Equal(t, wire.CodeEmailConfirm, transcript(v, c, ""), "the pre-chat address is not proven")
		sent := box.all()
		require.Len(t, sent, 1, "only a confirmation is sent")
		n := sent[0]
		require.Equal(t, chat.NoticeConfirmEmail, n.Kind)
		assert.Equal(t, "victim@example.com", n.To.Email)
		assert.Empty(t, n.Messages)
		assert.Empty(t, n.To.Name, "not even the name the visitor typed")
		require.True(t, strings.HasPrefix(n.ConfirmURL, confirmPage+"?token="), n.ConfirmURL)
		u, err := url.Parse(n.ConfirmURL)
		require.NoError(t, err)
		token := u.Query().Get("token")

		// Opening the link shows a button and confirms nothing: a mail
		// scanner that follows links proves no address.
		status, body := h.page(http.MethodGet, token)
		assert.Equal(t, http.StatusOK, status)
		assert.Regexp(t, `<form method="post" action="confirm"><input type="hidden" name="token" value="`+regexp.QuoteMeta(token)+`">`, body)
		require.Len(t, box.all(), 1)

		status, body = h.page(http.MethodPost, token)
		assert.Equal(t, http.StatusOK, status, body)
		assert.Contains(t, body, "on its way")
		sent = box.all()
		require.Len(t, sent, 2, "confirming sends the transcript")
		assert.Equal(t, chat.NoticeTranscript, sent[1].Kind)
		assert.Equal(t, "victim@example.com", sent[1].To.Email)
		require.NotEmpty(t, sent[1].Messages)
		assert.Equal(t, spam, sent[1].Messages[0].Body)

		status, _ = h.page(http.MethodPost, token)
		assert.Equal(t, http.StatusNotFound, status, "a link works once")
		status, _ = h.page(http.MethodPost, "forged")
		assert.Equal(t, http.StatusNotFound, status)
		require.Len(t, box.all(), 2)

		assert.Empty(t, transcript(v, c, "VICTIM@example.com"), "a confirmed address gets transcripts at once")
		assert.Len(t, box.all(), 3)
	})
}

func TestTranscriptFrameToIdentityAddressIsSentAtOnce(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h, box := emailHarness(t, chat.Config{EmailConfirmURL: confirmPage})
		h.agent(k, "olga")
		v := h.visitor(k, clientOptions{identity: identified(t, "anna@example.pl")})
		c := v.start("")
		v.say(c, "Dzień dobry")
		assert.Empty(t, transcript(v, c, ""), "the shop vouches for the identity's address")
		sent := box.all()
		require.Len(t, sent, 1)
		assert.Equal(t, chat.NoticeTranscript, sent[0].Kind)
		assert.Equal(t, "anna@example.pl", sent[0].To.Email)

		assert.Equal(t, wire.CodeEmailConfirm, transcript(v, c, "someone@example.com"), "another address is confirmed first")
		v2, err := h.desk.Visitor(t.Context(), v.welcome.Visitor.ID)
		require.NoError(t, err)
		assert.Equal(t, "anna@example.pl", v2.Email, "the customer's address from the shop is kept")
	})
}

func TestTranscriptFrameRefusals(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h, box := emailHarness(t, chat.Config{EmailsPerVisitor: 2, EmailsPerAddress: 3})
		h.agent(k, "olga")

		// Without a confirmation page, a typed address cannot be used.
		anon := h.visitor(k)
		c := anon.start("")
		assert.Equal(t, wire.CodeEmailUnproven, transcript(anon, c, "victim@example.com"))

		// Per visitor.
		v := h.visitor(k, clientOptions{identity: identified(t, "ann@example.com")})
		c = v.start("")
		assert.Empty(t, transcript(v, c, ""))
		assert.Empty(t, transcript(v, c, ""))
		assert.Equal(t, wire.CodeEmailLimit, transcript(v, c, ""), "the visitor's third email today")

		// Per address, whoever asks: four customers with one address.
		for i := range 4 {
			shared, err := transport.SignIdentity(testSecret, transport.Identity{CustomerID: fmt.Sprint("c-shared-", i), Email: "shared@example.com",
				Expires: time.Now().Add(time.Hour)})
			require.NoError(t, err)
			w := h.visitor(k, clientOptions{identity: shared})
			c := w.start("")
			want := ""
			if i == 3 {
				want = wire.CodeEmailLimit
			}
			assert.Equal(t, want, transcript(w, c, ""), "email %d to one address", i+1)
			w.close()
		}

		// Suppressed.
		require.NoError(t, h.desk.SuppressEmail(t.Context(), "bounced@example.com", chat.SuppressComplaint))
		b := h.visitor(k, clientOptions{identity: identified(t, "bounced@example.com")})
		c = b.start("")
		assert.Equal(t, wire.CodeEmailSuppressed, transcript(b, c, ""))
		assert.Len(t, box.all(), 5, "two to ann, three to the shared address")
	})
}

func TestConfirmationPageAtTheLimit(t *testing.T) {
	h, box := emailHarness(t, chat.Config{EmailConfirmURL: confirmPage, EmailsPerVisitor: 1})
	h.agent(ws, "olga")
	v := h.visitor(ws)
	c := v.start("")
	require.Equal(t, wire.CodeEmailConfirm, transcript(v, c, "anna@example.com"), "the confirmation is the day's one email")
	u, err := url.Parse(box.all()[0].ConfirmURL)
	require.NoError(t, err)
	status, body := h.page(http.MethodPost, u.Query().Get("token"))
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Contains(t, body, "Your address is confirmed")
	require.Len(t, box.all(), 1)
	assert.Equal(t, wire.CodeEmailLimit, transcript(v, c, "anna@example.com"), "confirmed, so only the limit stands in the way")
}

// failingTranscripts is a mailbox whose first transcript fails to send.
type failingTranscripts struct {
	mailbox
	failed atomic.Bool
}

func (m *failingTranscripts) Notify(ctx context.Context, n chat.Notice) error {
	if n.Kind == chat.NoticeTranscript && !m.failed.Swap(true) {
		return errors.New("the mail server is down")
	}
	return m.mailbox.Notify(ctx, n)
}

func TestConfirmationPageWhenTheTranscriptFails(t *testing.T) {
	box := &failingTranscripts{}
	h := newHarnessWithDesk(t, chat.Config{Notifier: box, EmailConfirmURL: confirmPage})
	h.agent(ws, "olga")
	v := h.visitor(ws)
	c := v.start("")
	require.Equal(t, wire.CodeEmailConfirm, transcript(v, c, "anna@example.com"))
	u, err := url.Parse(box.all()[0].ConfirmURL)
	require.NoError(t, err)
	status, body := h.page(http.MethodPost, u.Query().Get("token"))
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Contains(t, body, "Your address is confirmed, but the transcript could not be sent. Ask for it again in the chat.")
	assert.Empty(t, transcript(v, c, ""), "asked again, it goes at once")
	assert.Equal(t, chat.NoticeTranscript, box.all()[1].Kind)
}
