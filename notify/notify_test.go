package notify_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/notify"
)

var sentAt = time.Date(2026, 3, 28, 15, 4, 5, 0, time.UTC)

func load(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// newNotifier returns a notifier for addr with a fixed clock; change
// adjusts the config.
func newNotifier(t testing.TB, addr string, change func(*notify.Config)) *notify.SMTP {
	t.Helper()
	cfg := notify.Config{
		Addr:     addr,
		From:     mail.Address{Name: "Żółty Kot", Address: "sklep@zolty-kot.example"},
		ShopName: "Żółty Kot",
		Now:      func() time.Time { return sentAt },
	}
	if change != nil {
		change(&cfg)
	}
	n, err := notify.New(cfg)
	require.NoError(t, err)
	return n
}

// received is a message as a mail client would see it.
type received struct {
	Header      mail.Header
	Subject     string
	From, To    *mail.Address
	Parts       []textproto.MIMEHeader
	Text, HTML  string // decoded, with CRLF line endings as sent
	ContentType string
}

// parse reads a message the server received, checking its MIME structure.
func parse(t testing.TB, data []byte) received {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	require.NoError(t, err)
	var r received
	r.Header = msg.Header
	dec := new(mime.WordDecoder)
	r.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	from, err := msg.Header.AddressList("From")
	require.NoError(t, err)
	require.Len(t, from, 1)
	to, err := msg.Header.AddressList("To")
	require.NoError(t, err)
	require.Len(t, to, 1)
	r.From, r.To = from[0], to[0]
	assert.Equal(t, "1.0", msg.Header.Get("MIME-Version"))
	_, err = msg.Header.Date()
	assert.NoError(t, err, "Date header")
	assert.Regexp(t, `^<[^<>@\s]+@[^<>@\s]+>$`, msg.Header.Get("Message-ID"))

	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	r.ContentType = mt
	require.Equal(t, "multipart/alternative", mt)
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		r.Parts = append(r.Parts, p.Header)
		require.Equal(t, "quoted-printable", p.Header.Get("Content-Transfer-Encoding"))
		body, err := io.ReadAll(quotedprintable.NewReader(p))
		require.NoError(t, err)
		switch p.Header.Get("Content-Type") {
		case "text/plain; charset=utf-8":
			r.Text = string(body)
		case "text/html; charset=utf-8":
			r.HTML = string(body)
		default:
			t.Fatalf("unexpected part %q", p.Header.Get("Content-Type"))
		}
	}
	require.Len(t, r.Parts, 2)
	return r
}

// crlf turns the LF line endings of a Go literal into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func TestOfflineReceived(t *testing.T) {
	t.Parallel()
	expected := time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC)
	asked := time.Date(2026, 3, 28, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		visitor  chat.Visitor
		loc      string
		body     string
		subject  string
		lang     string
		wantText string
	}{
		{
			name:    "Polish",
			visitor: chat.Visitor{Name: "Łucja Wiśniewska", Email: "lucja@example.pl", Locale: "pl-PL"},
			loc:     "Europe/Warsaw",
			body:    "Gdzie jest moja paczka?\nZażółć gęślą jaźń.",
			subject: "Otrzymaliśmy Twoją wiadomość – Żółty Kot",
			lang:    "pl",
			wantText: `Dzień dobry, Łucja Wiśniewska!

Dziękujemy za kontakt ze sklepem Żółty Kot. Otrzymaliśmy Twoją wiadomość i odpowiemy na nią e-mailem.

Przewidywany czas odpowiedzi: poniedziałek, 30 marca 2026, godz. 10:00 CEST.

Twoja wiadomość:

Łucja Wiśniewska (28.03.2026 16:00):
Gdzie jest moja paczka?
Zażółć gęślą jaźń.

Pozdrawiamy
Żółty Kot
`,
		},
		{
			name:    "Finnish",
			visitor: chat.Visitor{Name: "Äijä Mäkelä", Email: "aija@example.fi", Locale: "fi"},
			loc:     "Europe/Helsinki",
			body:    "Missä pakettini on? Hyvää päivää.",
			subject: "Olemme vastaanottaneet viestisi – Żółty Kot",
			lang:    "fi",
			wantText: `Hei Äijä Mäkelä,

Kiitos yhteydenotostasi (Żółty Kot). Olemme vastaanottaneet viestisi ja vastaamme siihen sähköpostitse.

Voit odottaa vastausta viimeistään maanantaina 30. maaliskuuta 2026 klo 11.00 EEST.

Viestisi:

Äijä Mäkelä (28.3.2026 17.00):
Missä pakettini on? Hyvää päivää.

Ystävällisin terveisin
Żółty Kot
`,
		},
		{
			name:    "Russian",
			visitor: chat.Visitor{Name: "Ёлкина Юлия", Email: "yulia@example.ru", Locale: "ru-RU"},
			loc:     "Europe/Moscow",
			body:    "Где моя посылка? Съешь же ещё этих мягких французских булок.",
			subject: "Мы получили ваше сообщение – Żółty Kot",
			lang:    "ru",
			wantText: `Здравствуйте, Ёлкина Юлия!

Спасибо, что обратились в магазин «Żółty Kot». Мы получили ваше сообщение и ответим на него по электронной почте.

Ожидаемое время ответа: понедельник, 30 марта 2026 г., 11:00 MSK.

Ваше сообщение:

Ёлкина Юлия (28.03.2026 18:00):
Где моя посылка? Съешь же ещё этих мягких французских булок.

С уважением,
Żółty Kot
`,
		},
		{
			name:    "English fallback without a name",
			visitor: chat.Visitor{Email: "guest@example.de", Locale: "de-DE"},
			loc:     "Europe/London",
			body:    ".starts with a dot\n..and two",
			subject: "We have received your message – Żółty Kot",
			lang:    "en",
			wantText: `Hello,

Thank you for contacting Żółty Kot. We have received your message and will reply by email.

You can expect a reply by Monday, 30 March 2026 at 09:00 BST.

Your message:

You (28 Mar 2026 15:00):
.starts with a dot
..and two

Best regards,
Żółty Kot
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, serverOptions{})
			n := newNotifier(t, srv.Addr(), nil)
			tt.visitor.ID = chat.NewID()
			conv := chat.ConversationInfo{ID: chat.NewID(), VisitorID: tt.visitor.ID}
			err := n.Notify(t.Context(), chat.Notice{
				Kind:         chat.NoticeOfflineReceived,
				To:           tt.visitor,
				Conversation: conv,
				Messages: []chat.Message{{
					Author:    chat.Author{Kind: chat.AuthorVisitor, ID: tt.visitor.ID.String(), Name: tt.visitor.Name},
					Body:      tt.body,
					CreatedAt: asked,
				}},
				ExpectedReply: expected,
				Location:      load(t, tt.loc),
			})
			require.NoError(t, err)

			envs := srv.Envelopes()
			require.Len(t, envs, 1)
			env := envs[0]
			assert.Equal(t, "sklep@zolty-kot.example", env.From)
			assert.Equal(t, []string{tt.visitor.Email}, env.To)
			assert.False(t, env.BareLF, "every line ends in CRLF")

			got := parse(t, env.Data)
			assert.Equal(t, tt.subject, got.Subject)
			assert.Equal(t, "Żółty Kot", got.From.Name)
			assert.Equal(t, "sklep@zolty-kot.example", got.From.Address)
			assert.Equal(t, tt.visitor.Name, got.To.Name)
			assert.Equal(t, tt.visitor.Email, got.To.Address)
			assert.Equal(t, tt.lang, got.Header.Get("Content-Language"))
			assert.Equal(t, "auto-generated", got.Header.Get("Auto-Submitted"))
			assert.Equal(t, "<"+conv.ID.String()+"@zolty-kot.example>", got.Header.Get("References"))
			d, _ := got.Header.Date()
			assert.True(t, d.Equal(sentAt), "Date %s", d)
			assert.Equal(t, crlf(tt.wantText), got.Text)

			// Headers are ASCII, their non-ASCII text RFC 2047 encoded.
			head, _, _ := bytes.Cut(env.Data, []byte("\r\n\r\n"))
			for _, b := range head {
				require.Less(t, b, byte(0x80), "raw byte in the header:\n%s", head)
			}
			assert.Contains(t, string(head), "=?utf-8?q?")
			for l := range strings.SplitSeq(string(env.Data), "\r\n") {
				assert.LessOrEqual(t, len(l), 78, "line too long: %q", l)
			}

			// The HTML part says the same.
			assert.Contains(t, got.HTML, `<html lang="`+tt.lang+`">`)
			lines := strings.Split(tt.wantText, "\n")
			assert.Contains(t, got.HTML, "<p>"+lines[0]+"</p>")                  // greeting
			assert.Contains(t, got.HTML, "<p>"+lines[2]+"</p>")                  // intro
			assert.Contains(t, got.HTML, "<p><strong>"+lines[4]+"</strong></p>") // expected reply
			assert.Contains(t, got.HTML, strings.ReplaceAll(tt.body, "\n", "<br>\r\n"))
		})
	}
}

func TestEscaping(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	n := newNotifier(t, srv.Addr(), nil)
	name := `<script>alert("x")</script>`
	err := n.Notify(t.Context(), chat.Notice{
		Kind:     chat.NoticeReply,
		ShopName: "Tom & Jerry's <Shop>",
		To:       chat.Visitor{ID: chat.NewID(), Name: name, Email: "x@example.com"},
		Messages: []chat.Message{{
			Author:      chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Olga"},
			Body:        "1 < 2 & <b>bold</b>\nline two",
			Attachments: []chat.Attachment{{Name: "invoice.pdf", URL: "javascript:alert(1)"}, {Name: "a&b.pdf", URL: "https://shop.example/f?a=1&b=2"}},
			CreatedAt:   sentAt,
		}},
	})
	require.NoError(t, err)
	envs := srv.Envelopes()
	require.Len(t, envs, 1)
	got := parse(t, envs[0].Data)

	assert.Equal(t, name, got.To.Name, "the display name survives encoding")
	assert.Equal(t, "New reply – Tom & Jerry's <Shop>", got.Subject)
	assert.Empty(t, got.Header.Get("Auto-Submitted"), "a reply is written by a person")

	assert.Contains(t, got.Text, "Hello "+name+",\r\n")
	assert.Contains(t, got.Text, "Olga (28 Mar 2026 15:04):\r\n1 < 2 & <b>bold</b>\r\nline two\r\n")

	assert.NotContains(t, got.HTML, "<script>")
	assert.NotContains(t, got.HTML, "<b>bold</b>")
	assert.NotContains(t, got.HTML, "javascript:")
	assert.Contains(t, got.HTML, "<p>Hello &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;,</p>")
	assert.Contains(t, got.HTML, "1 &lt; 2 &amp; &lt;b&gt;bold&lt;/b&gt;<br>\r\nline two")
	assert.Contains(t, got.HTML, "Tom &amp; Jerry&#39;s &lt;Shop&gt;")
	assert.Contains(t, got.HTML, `<a href="#ZgotmplZ">invoice.pdf</a>`)
	assert.Contains(t, got.HTML, `<a href="https://shop.example/f?a=1&amp;b=2">a&amp;b.pdf</a>`)
}

func TestKinds(t *testing.T) {
	t.Parallel()
	warsaw := load(t, "Europe/Warsaw")
	visitor := chat.Visitor{ID: chat.NewID(), Name: "Anna", Email: "anna@example.pl", Locale: "pl"}
	transcript := []chat.Message{
		{Seq: 1, Author: chat.Author{Kind: chat.AuthorVisitor}, Body: "Dzień dobry", CreatedAt: sentAt},
		{Seq: 2, Author: chat.Author{Kind: chat.AuthorAgent, Name: "Olga"}, Body: "Witam, w czym mogę pomóc?", CreatedAt: sentAt.Add(time.Minute)},
		{Seq: 3, Author: chat.Author{Kind: chat.AuthorBot}, Body: "Zamówienie 1042 jest w drodze.", CreatedAt: sentAt.Add(2 * time.Minute)},
	}
	tests := []struct {
		kind     chat.NoticeKind
		messages []chat.Message
		expected time.Time
		subject  string
		want     string // the text part
	}{
		{chat.NoticeTranscript, transcript, time.Time{}, "Zapis rozmowy – Żółty Kot", `Dzień dobry, Anna!

Oto zapis Twojej rozmowy ze sklepem Żółty Kot:

Anna (28.03.2026 16:04):
Dzień dobry

Olga (28.03.2026 16:05):
Witam, w czym mogę pomóc?

Żółty Kot (28.03.2026 16:06):
Zamówienie 1042 jest w drodze.

Pozdrawiamy
Żółty Kot
`},
		{chat.NoticeReply, transcript[1:2], time.Time{}, "Nowa odpowiedź – Żółty Kot", `Dzień dobry, Anna!

Masz nową odpowiedź od sklepu Żółty Kot:

Olga (28.03.2026 16:05):
Witam, w czym mogę pomóc?

Pozdrawiamy
Żółty Kot
`},
		{chat.NoticeOfflineReceived, nil, time.Time{}, "Otrzymaliśmy Twoją wiadomość – Żółty Kot", `Dzień dobry, Anna!

Dziękujemy za kontakt ze sklepem Żółty Kot. Otrzymaliśmy Twoją wiadomość i odpowiemy na nią e-mailem.

Pozdrawiamy
Żółty Kot
`},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			t.Parallel()
			n := newNotifier(t, "127.0.0.1:25", nil)
			msg, err := n.Compose(chat.Notice{Kind: tt.kind, To: visitor, Messages: tt.messages, ExpectedReply: tt.expected, Location: warsaw})
			require.NoError(t, err)
			got := parse(t, msg)
			assert.Equal(t, tt.subject, got.Subject)
			assert.Equal(t, crlf(tt.want), got.Text)
		})
	}
}

func TestLocale(t *testing.T) {
	t.Parallel()
	tests := []struct{ locale, want string }{
		{"pl", "pl"}, {"pl-PL", "pl"}, {"PL_pl", "pl"}, {"fi-FI", "fi"}, {"ru", "ru"},
		{"en-US", "en"}, {"de", "en"}, {"", "en"}, {"plx", "en"}, {"sv-FI", "en"},
	}
	n := newNotifier(t, "127.0.0.1:25", nil)
	for _, tt := range tests {
		msg, err := n.Compose(chat.Notice{Kind: chat.NoticeTranscript, To: chat.Visitor{Email: "a@example.com", Locale: tt.locale}})
		require.NoError(t, err)
		assert.Equal(t, tt.want, parse(t, msg).Header.Get("Content-Language"), tt.locale)
	}
}

func TestInvalidNotice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		n    chat.Notice
	}{
		{"no email", chat.Notice{Kind: chat.NoticeReply, To: chat.Visitor{ID: chat.NewID(), Name: "Anna"}}},
		{"bad email", chat.Notice{Kind: chat.NoticeReply, To: chat.Visitor{Email: "anna at example"}}},
		{"header injection", chat.Notice{Kind: chat.NoticeReply, To: chat.Visitor{Email: "a@example.com\r\nBcc: b@example.com"}}},
		{"unknown kind", chat.Notice{Kind: "coupon", To: chat.Visitor{Email: "a@example.com"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, serverOptions{})
			n := newNotifier(t, srv.Addr(), nil)
			err := n.Notify(t.Context(), tt.n)
			assert.ErrorIs(t, err, chat.ErrInvalid)
			select {
			case <-srv.accepted:
				t.Error("Notify connected to the server")
			default:
			}
			assert.Empty(t, srv.Envelopes())
		})
	}
}

var anna = chat.Notice{Kind: chat.NoticeReply, To: chat.Visitor{Name: "Anna", Email: "anna@example.com"}}

func TestServerRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		step string
		msg  string
		code int
	}{
		{"GREETING", "554 5.3.2 not accepting mail", 554},
		{"MAIL", "550 5.7.1 sender rejected", 550},
		{"RCPT", "550 5.1.1 no such user", 550},
		{"DATA", "554 5.5.1 no", 554},
		{".", "552 5.3.4 message too big", 552},
		{"RCPT", "451 4.3.0 try again later", 451},
	}
	for _, tt := range tests {
		t.Run(tt.step+" "+tt.msg[:3], func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, serverOptions{fail: map[string]string{tt.step: tt.msg}})
			err := newNotifier(t, srv.Addr(), nil).Notify(t.Context(), anna)
			require.Error(t, err)
			var te *textproto.Error
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tt.code, te.Code)
			assert.Contains(t, err.Error(), tt.msg[4:])
			assert.Empty(t, srv.Envelopes())
		})
	}
}

func TestContext(t *testing.T) {
	t.Parallel()
	t.Run("cancelled while waiting for the server", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, serverOptions{hang: true})
		n := newNotifier(t, srv.Addr(), nil)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- n.Notify(ctx, anna) }()
		<-srv.accepted
		cancel()
		err := <-done
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("cancelled before", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, serverOptions{})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := newNotifier(t, srv.Addr(), nil).Notify(ctx, anna)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Empty(t, srv.Envelopes())
	})
	t.Run("deadline", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, serverOptions{hang: true})
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		err := newNotifier(t, srv.Addr(), nil).Notify(ctx, anna)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("config timeout", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, serverOptions{hang: true})
		n := newNotifier(t, srv.Addr(), func(c *notify.Config) { c.Timeout = 50 * time.Millisecond })
		err := n.Notify(t.Context(), anna)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// selfSigned returns server and client TLS configurations for 127.0.0.1.
func selfSigned(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}

func TestTLSAndAuth(t *testing.T) {
	t.Parallel()
	serverTLS, clientTLS := selfSigned(t)
	auth := smtp.PlainAuth("", "shop", "s3cret", "127.0.0.1")
	tests := []struct {
		name     string
		opts     serverOptions
		mode     notify.TLSMode
		auth     smtp.Auth
		wantTLS  bool
		wantAuth string
		wantErr  string
	}{
		{"STARTTLS when offered", serverOptions{tls: serverTLS, auth: true}, notify.StartTLS, auth, true, "\x00shop\x00s3cret", ""},
		{"plain text on loopback", serverOptions{auth: true}, notify.StartTLS, auth, false, "\x00shop\x00s3cret", ""},
		{"implicit TLS", serverOptions{implicitTLS: serverTLS}, notify.ImplicitTLS, nil, true, "", ""},
		{"insecure plain text", serverOptions{}, notify.InsecureAllowPlainText, nil, false, "", ""},
		{"auth not offered", serverOptions{}, notify.StartTLS, auth, false, "", "does not offer AUTH"},
		{"untrusted certificate", serverOptions{tls: serverTLS}, notify.StartTLS, nil, false, "", "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tt.opts)
			n := newNotifier(t, srv.Addr(), func(c *notify.Config) {
				c.TLS, c.Auth = tt.mode, tt.auth
				if tt.wantErr != "certificate" {
					c.TLSConfig = clientTLS
				}
			})
			err := n.Notify(t.Context(), anna)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Empty(t, srv.Envelopes())
				return
			}
			require.NoError(t, err)
			envs := srv.Envelopes()
			require.Len(t, envs, 1)
			assert.Equal(t, tt.wantTLS, envs[0].TLS)
			assert.Equal(t, tt.wantAuth, envs[0].Auth)
			assert.Equal(t, "New reply – Żółty Kot", parse(t, envs[0].Data).Subject)
		})
	}
}

func TestNewConfig(t *testing.T) {
	t.Parallel()
	ok := notify.Config{Addr: "smtp.example.com:587", From: mail.Address{Address: "shop@example.com"}, ShopName: "Shop"}
	tests := []struct {
		name   string
		change func(*notify.Config)
		field  string // named in the error; "" means valid
	}{
		{"valid", func(*notify.Config) {}, ""},
		{"shop name from From", func(c *notify.Config) { c.ShopName, c.From.Name = "", "Shop" }, ""},
		{"no addr", func(c *notify.Config) { c.Addr = "" }, "Config.Addr"},
		{"addr without port", func(c *notify.Config) { c.Addr = "smtp.example.com" }, "Config.Addr"},
		{"no from", func(c *notify.Config) { c.From = mail.Address{} }, "Config.From"},
		{"bad from", func(c *notify.Config) { c.From.Address = "shop" }, "Config.From"},
		{"no shop name", func(c *notify.Config) { c.ShopName = "" }, "Config.ShopName"},
		{"bad TLS mode", func(c *notify.Config) { c.TLS = 7 }, "Config.TLS"},
		{"negative timeout", func(c *notify.Config) { c.Timeout = -time.Second }, "Config.Timeout"},
		{"bad local name", func(c *notify.Config) { c.LocalName = "a\r\nb" }, "Config.LocalName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := ok
			tt.change(&cfg)
			before := cfg
			_, err := notify.New(cfg)
			assert.Equal(t, before, cfg, "New does not change the caller's config")
			if tt.field == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, chat.ErrInvalid)
			assert.ErrorContains(t, err, tt.field)
		})
	}
}
