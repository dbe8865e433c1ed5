package mailreply_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/mailreply"
	"github.com/parleychat/parley/notify"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

var secret = []byte("a secret of thirty-two bytes....")

// setup is a Desk on a SQLite file with a Receiver served over HTTP.
type setup struct {
	desk      *chat.Desk
	addresses *mailreply.Addresses
	receiver  *mailreply.Receiver
	server    *httptest.Server
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	desk, err := chat.NewDesk(chat.Config{Store: s})
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close(context.Background()) })
	addresses, err := mailreply.NewAddresses(mailreply.AddressConfig{Secret: secret, Domain: "reply.shop.example"})
	require.NoError(t, err)
	r, err := mailreply.New(mailreply.Config{Desk: desk, Addresses: addresses})
	require.NoError(t, err)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &setup{desk: desk, addresses: addresses, receiver: r, server: srv}
}

// conversation starts a conversation of a visitor with the given email.
func (s *setup) conversation(t *testing.T, email string) chat.Conversation {
	t.Helper()
	v, err := s.desk.SaveVisitor(t.Context(), chat.Visitor{Name: "Visitor", Email: email})
	require.NoError(t, err)
	c, err := s.desk.Start(t.Context(), chat.StartRequest{VisitorID: v.ID, Department: "sales"})
	require.NoError(t, err)
	return c
}

// email reads a testdata email addressed to address.
func email(t *testing.T, file, address string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", file))
	require.NoError(t, err)
	return []byte(strings.ReplaceAll(string(raw), "{{REPLY}}", address))
}

// post POSTs a raw email and returns the status.
func (s *setup) post(t *testing.T, raw []byte) int {
	t.Helper()
	resp, err := http.Post(s.server.URL, "message/rfc822", bytes.NewReader(raw))
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// visitorMessages returns the visitor's messages of a conversation.
func visitorMessages(t *testing.T, c chat.Conversation) []string {
	t.Helper()
	ms, err := c.History(t.Context(), chat.MessageQuery{})
	require.NoError(t, err)
	out := []string{}
	for _, m := range ms {
		if m.Author.Kind == chat.AuthorVisitor {
			out = append(out, m.Body)
		}
	}
	return out
}

// TestRepliesOverHTTP: each testdata email POSTed to the handler lands in
// its conversation as the visitor's message, without the quoted history,
// once however often it is POSTed.
func TestRepliesOverHTTP(t *testing.T) {
	s := newSetup(t)
	for file, c := range map[string]struct{ from, text string }{
		"plain.eml":          {"Anna.Virtanen@example.fi", "Thanks! Can I still change the size to 42?\n\nAnna"},
		"html-only.eml":      {"tom.baker@example.com", "Hi, the parcel arrived but the box was damaged.\nCould you send a new one?\n\nTom"},
		"attachment.eml":     {"mark@example.org", "Here is the invoice you asked for.\n\nBest regards,\nMark"},
		"polish-qp.eml":      {"lukasz@example.pl", "Dzień dobry,\n\nczy mogę zapłacić przy odbiorze? Zależy mi na szybkiej dostawie.\n\nPozdrawiam\nŁukasz Żółkiewski"},
		"russian-base64.eml": {"ivan@example.ru", "Здравствуйте!\n\nПодскажите, пожалуйста, когда придёт мой заказ номер 1234?\n\nСпасибо,\nИван"},
	} {
		t.Run(file, func(t *testing.T) {
			conv := s.conversation(t, c.from)
			raw := email(t, file, s.addresses.Address(conv.ID()))
			require.Equal(t, http.StatusNoContent, s.post(t, raw))
			assert.Equal(t, []string{c.text}, visitorMessages(t, conv))
			require.Equal(t, http.StatusNoContent, s.post(t, raw), "a provider's retry")
			assert.Equal(t, []string{c.text}, visitorMessages(t, conv), "is stored once")
		})
	}
}

// TestRefusals: forged, unsigned and foreign addresses, another sender and
// automatic replies are refused with 406 and typed errors, and nothing is
// stored.
func TestRefusals(t *testing.T) {
	s := newSetup(t)
	conv := s.conversation(t, "anna.virtanen@example.fi")
	good := s.addresses.Address(conv.ID())
	other, err := mailreply.NewAddresses(mailreply.AddressConfig{Secret: []byte("another secret of 32 bytes......"), Domain: "reply.shop.example"})
	require.NoError(t, err)
	local, domain, _ := strings.Cut(good, "@")
	flipped := []byte(local)
	flipped[len(flipped)-1] = map[bool]byte{true: 'b', false: 'a'}[flipped[len(flipped)-1] == 'a']

	for name, c := range map[string]struct {
		raw  []byte
		want error
	}{
		"another shop's secret":    {email(t, "plain.eml", other.Address(conv.ID())), mailreply.ErrForgedAddress},
		"a changed token":          {email(t, "plain.eml", string(flipped)+"@"+domain), mailreply.ErrForgedAddress},
		"another conversation":     {email(t, "plain.eml", strings.Replace(good, local[6:14], "aaaaaaaa", 1)), mailreply.ErrForgedAddress},
		"unsigned":                 {email(t, "plain.eml", "reply@reply.shop.example"), mailreply.ErrNoReplyAddress},
		"another domain":           {email(t, "plain.eml", strings.Replace(good, "reply.shop.example", "evil.example", 1)), mailreply.ErrNoReplyAddress},
		"another sender":           {email(t, "html-only.eml", good), mailreply.ErrWrongSender},
		"an automatic reply":       {email(t, "autoreply.eml", good), mailreply.ErrAutoReply},
		"a bulk message":           {[]byte("From: anna.virtanen@example.fi\r\nTo: " + good + "\r\nPrecedence: bulk\r\n\r\nNews\r\n"), mailreply.ErrAutoReply},
		"nothing but quotes":       {[]byte("From: anna.virtanen@example.fi\r\nTo: " + good + "\r\nMessage-ID: <q@x>\r\n\r\n> quoted\r\n"), mailreply.ErrEmptyReply},
		"not an email":             {[]byte("hello"), mailreply.ErrMalformed},
		"an unknown charset":       {[]byte("From: anna.virtanen@example.fi\r\nTo: " + good + "\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nHi\r\n"), mailreply.ErrMalformed},
		"a text over MaxBodyBytes": {[]byte("From: anna.virtanen@example.fi\r\nTo: " + good + "\r\n\r\n" + strings.Repeat("long ", chat.MaxBodyBytes/5+1) + "\r\n"), chat.ErrInvalid},
		"an unreadable boundary":   {[]byte("From: anna.virtanen@example.fi\r\nTo: " + good + "\r\nContent-Type: multipart/mixed\r\n\r\nHi\r\n"), mailreply.ErrMalformed},
	} {
		_, err := s.receiver.Receive(t.Context(), bytes.NewReader(c.raw))
		assert.ErrorIs(t, err, c.want, name)
		assert.True(t, mailreply.Permanent(err), name)
		assert.Equal(t, http.StatusNotAcceptable, s.post(t, c.raw), name)
	}
	assert.Empty(t, visitorMessages(t, conv), "nothing was stored")
}

// TestClosedConversation: a reply to a closed conversation starts a new
// one of the visitor, in the same department, once.
func TestClosedConversation(t *testing.T) {
	s := newSetup(t)
	conv := s.conversation(t, "anna.virtanen@example.fi")
	_, err := conv.Close(t.Context())
	require.NoError(t, err)
	raw := email(t, "plain.eml", s.addresses.Address(conv.ID()))
	m, err := s.receiver.Receive(t.Context(), bytes.NewReader(raw))
	require.NoError(t, err)
	assert.NotEqual(t, conv.ID(), m.ConversationID)
	again, err := s.receiver.Receive(t.Context(), bytes.NewReader(raw))
	require.NoError(t, err)
	assert.Equal(t, m.ID, again.ID, "the same email received again is the same message")
	next, err := s.desk.Conversation(t.Context(), m.ConversationID)
	require.NoError(t, err)
	info, err := next.Info(t.Context())
	require.NoError(t, err)
	old, err := conv.Info(t.Context())
	require.NoError(t, err)
	assert.Equal(t, old.VisitorID, info.VisitorID)
	assert.Equal(t, "sales", info.Department)
	assert.Equal(t, []string{"Thanks! Can I still change the size to 42?\n\nAnna"}, visitorMessages(t, next))
}

// TestProviderForm: a provider that POSTs a form with the raw email in a
// field, and the envelope recipient apart, is understood.
func TestProviderForm(t *testing.T) {
	s := newSetup(t)
	conv := s.conversation(t, "ivan@example.ru")
	// The headers name the shop's general address; the envelope the reply
	// address (as when the reply address was in Bcc).
	raw := email(t, "russian-base64.eml", "shop@shop.example")
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	require.NoError(t, form.WriteField("body-mime", string(raw)))
	require.NoError(t, form.WriteField("recipient", s.addresses.Address(conv.ID())))
	require.NoError(t, form.Close())
	resp, err := http.Post(s.server.URL, form.FormDataContentType(), &body)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Len(t, visitorMessages(t, conv), 1)
}

// TestSMTPDeliver: Deliver takes the envelope as an SMTP server has it.
func TestSMTPDeliver(t *testing.T) {
	s := newSetup(t)
	conv := s.conversation(t, "lukasz@example.pl")
	raw := email(t, "polish-qp.eml", "sklep@shop.example")
	err := s.receiver.Deliver(t.Context(), "lukasz@example.pl", []string{"sklep@shop.example"}, bytes.NewReader(raw))
	require.ErrorIs(t, err, mailreply.ErrNoReplyAddress)
	require.NoError(t, s.receiver.Deliver(t.Context(), "lukasz@example.pl", []string{s.addresses.Address(conv.ID())}, bytes.NewReader(raw)))
	assert.Len(t, visitorMessages(t, conv), 1)
}

// TestNoticeRoundTrip: a reply notice composed by notify carries the reply
// address in Reply-To; the visitor's mail client answers it quoting the
// notice, and only the new text reaches the conversation.
func TestNoticeRoundTrip(t *testing.T) {
	s := newSetup(t)
	conv := s.conversation(t, "ola@example.pl")
	info, err := conv.Info(t.Context())
	require.NoError(t, err)
	n, err := notify.New(notify.Config{Addr: "smtp.shop.example:587", From: mail.Address{Name: "Parley Shop", Address: "shop@shop.example"},
		ReplyAddress: s.addresses.Address})
	require.NoError(t, err)
	sent, err := n.Compose(chat.Notice{Kind: chat.NoticeReply, To: chat.Visitor{ID: info.VisitorID, Email: "ola@example.pl", Locale: "pl"},
		Conversation: info, Messages: []chat.Message{{Author: chat.Author{Kind: chat.AuthorAgent, Name: "Anna"}, Body: "Paczka wyjdzie jutro.",
			CreatedAt: time.Now()}}})
	require.NoError(t, err)
	m, err := mail.ReadMessage(bytes.NewReader(sent))
	require.NoError(t, err)
	replyTo, err := mail.ParseAddress(m.Header.Get("Reply-To"))
	require.NoError(t, err)
	id, err := s.addresses.Conversation(replyTo.Address)
	require.NoError(t, err)
	require.Equal(t, conv.ID(), id)

	var quoted strings.Builder
	for _, line := range strings.Split("Dzień dobry,\nAnna odpowiedziała:\nPaczka wyjdzie jutro.", "\n") {
		quoted.WriteString("> " + line + "\r\n")
	}
	answer := "From: Ola <ola@example.pl>\r\nTo: " + replyTo.String() + "\r\nSubject: Re: " + m.Header.Get("Subject") +
		"\r\nMessage-ID: <" + uuid.NewString() + "@example.pl>\r\nIn-Reply-To: " + m.Header.Get("Message-ID") +
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDziękuję, czekam!\r\n\r\nW dniu 2.12.2026 o 10:55, Parley Shop pisze:\r\n" + quoted.String()
	require.Equal(t, http.StatusNoContent, s.post(t, []byte(answer)))
	assert.Equal(t, []string{"Dziękuję, czekam!"}, visitorMessages(t, conv))

	confirm, err := n.Compose(chat.Notice{Kind: chat.NoticeConfirmEmail, To: chat.Visitor{ID: info.VisitorID, Email: "ola@example.pl"},
		Conversation: info, ConfirmURL: "https://shop.example/chat/email/confirm?token=x"})
	require.NoError(t, err)
	m, err = mail.ReadMessage(bytes.NewReader(confirm))
	require.NoError(t, err)
	assert.Empty(t, m.Header.Get("Reply-To"), "a confirmation link has no reply address")
}

// TestMaxBytes: an email over Config.MaxBytes is refused unread.
func TestMaxBytes(t *testing.T) {
	s := newSetup(t)
	conv := s.conversation(t, "mark@example.org")
	raw := email(t, "attachment.eml", s.addresses.Address(conv.ID()))
	small, err := mailreply.New(mailreply.Config{Desk: s.desk, Addresses: s.addresses, MaxBytes: int64(len(raw) - 1)})
	require.NoError(t, err)
	_, err = small.Receive(t.Context(), bytes.NewReader(raw))
	require.ErrorIs(t, err, mailreply.ErrMalformed)
	assert.Empty(t, visitorMessages(t, conv))
	fits, err := mailreply.New(mailreply.Config{Desk: s.desk, Addresses: s.addresses, MaxBytes: int64(len(raw))})
	require.NoError(t, err)
	_, err = fits.Receive(t.Context(), bytes.NewReader(raw))
	require.NoError(t, err)
}

// TestAnySender: with InsecureAnySender, whoever has the reply address
// writes into the conversation.
func TestAnySender(t *testing.T) {
	s := newSetup(t)
	conv := s.conversation(t, "someone.else@example.com")
	r, err := mailreply.New(mailreply.Config{Desk: s.desk, Addresses: s.addresses, InsecureAnySender: true})
	require.NoError(t, err)
	_, err = r.Receive(t.Context(), bytes.NewReader(email(t, "plain.eml", s.addresses.Address(conv.ID()))))
	require.NoError(t, err)
	assert.Len(t, visitorMessages(t, conv), 1)
}
