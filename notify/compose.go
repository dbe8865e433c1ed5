package notify

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// Compose returns the email Notify would send for n, as an RFC 5322
// message with CRLF line endings: a multipart/alternative body with a plain
// text and an HTML part, both UTF-8 in quoted-printable, and headers with
// non-ASCII names and subject encoded as RFC 2047 words. Use it to preview
// notices, or to hand them to a mail service that takes whole messages.
//
// The language follows n.To.Locale (see the package documentation). Times
// are shown in n.Location. An unknown n.Kind, or a recipient without a
// valid Email, returns an error wrapping chat.ErrInvalid.
func (s *SMTP) Compose(n chat.Notice) ([]byte, error) {
	switch n.Kind {
	case chat.NoticeOfflineReceived, chat.NoticeReply, chat.NoticeTranscript:
	case chat.NoticeConfirmEmail:
		if n.ConfirmURL == "" {
			return nil, invalid("a %s notice needs ConfirmURL", n.Kind)
		}
	default:
		return nil, invalid("notice kind %.32q is unknown", n.Kind)
	}
	if n.To.Email == "" {
		return nil, invalid("visitor %s has no email address", n.To.ID)
	}
	to, err := mail.ParseAddress(n.To.Email)
	if err != nil {
		return nil, invalid("visitor %s: email %.64q: %v", n.To.ID, n.To.Email, err)
	}
	to.Name = oneLine(n.To.Name)
	c := s.content(n)

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	now := s.now()
	header := []struct{ key, value string }{
		{"Date", now.Format(time.RFC1123Z)},
		{"From", s.from.String()},
		{"To", to.String()},
		{"Subject", mime.QEncoding.Encode("utf-8", c.Subject)},
		{"Message-ID", "<" + uuid.NewString() + "@" + domain(s.from.Address) + ">"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "multipart/alternative; boundary=" + mw.Boundary()},
		{"Content-Language", c.Lang},
	}
	if n.Conversation.ID != uuid.Nil {
		// Notices about one conversation thread together in mail clients.
		header = append(header, struct{ key, value string }{"References", "<" + n.Conversation.ID.String() + "@" + domain(s.from.Address) + ">"})
	}
	if s.replyTo != nil && n.Conversation.ID != uuid.Nil && n.Kind != chat.NoticeConfirmEmail {
		header = append(header, struct{ key, value string }{"Reply-To", (&mail.Address{Address: s.replyTo(n.Conversation.ID)}).String()})
	}
	if n.Kind != chat.NoticeReply {
		header = append(header, struct{ key, value string }{"Auto-Submitted", "auto-generated"}) // RFC 3834
	}
	var head bytes.Buffer
	for _, h := range header {
		writeHeader(&head, h.key, h.value)
	}
	head.WriteString("\r\n")

	if err := writePart(mw, "text/plain; charset=utf-8", func(w io.Writer) error {
		_, err := io.WriteString(w, c.text())
		return err
	}); err != nil {
		return nil, err
	}
	if err := writePart(mw, "text/html; charset=utf-8", func(w io.Writer) error {
		return htmlBody.Execute(w, c)
	}); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return append(head.Bytes(), buf.Bytes()...), nil
}

// writePart writes one quoted-printable part.
func writePart(mw *multipart.Writer, contentType string, body func(io.Writer) error) error {
	w, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {contentType},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return err
	}
	qp := quotedprintable.NewWriter(w)
	if err := body(qp); err != nil {
		return err
	}
	return qp.Close()
}

// content is what a notice says, in its language, before it is formatted
// as text or HTML.
type content struct {
	Lang     string
	Subject  string
	Greeting string
	Intro    string
	Expected string // the expected reply line; empty when there is none
	Link     string // the confirmation link, shown after Intro
	Heading  string // above the messages; may be empty
	Messages []line
	Regards  string
	Shop     string
}

// line is one message as shown in a notice.
type line struct {
	Author      string
	Time        string
	Body        []string // the lines of the body
	Attachments []chat.Attachment
}

func (s *SMTP) content(n chat.Notice) content {
	t := languageFor(n.To.Locale)
	shop := oneLine(n.ShopName)
	if shop == "" {
		shop = s.shop
	}
	loc := n.Location
	if loc == nil {
		loc = time.UTC
	}
	c := content{
		Lang:     t.tag,
		Subject:  fmt.Sprintf(t.subject[n.Kind], shop),
		Greeting: t.hello,
		Intro:    fmt.Sprintf(t.intro[n.Kind], shop),
		Regards:  t.regards,
		Shop:     shop,
	}
	if name := oneLine(n.To.Name); name != "" {
		c.Greeting = fmt.Sprintf(t.helloTo, name)
	}
	if n.Kind == chat.NoticeConfirmEmail {
		c.confirm(n.ConfirmURL)
		return c
	}
	if n.Kind == chat.NoticeOfflineReceived {
		if !n.ExpectedReply.IsZero() {
			c.Expected = fmt.Sprintf(t.expect, t.when(n.ExpectedReply.In(loc)))
		}
		if len(n.Messages) > 0 {
			c.Heading = t.request
		}
	}
	for _, m := range n.Messages {
		author := oneLine(m.Author.Name)
		if author == "" {
			switch m.Author.Kind {
			case chat.AuthorVisitor:
				author = cmp.Or(oneLine(n.To.Name), t.you)
			default:
				author = shop
			}
		}
		c.Messages = append(c.Messages, line{
			Author:      author,
			Time:        t.stamp(m.CreatedAt.In(loc)),
			Body:        strings.Split(strings.ReplaceAll(m.Text(), "\r\n", "\n"), "\n"),
			Attachments: m.Attachments,
		})
	}
	return c
}

// text renders c as the plain text part.
func (c content) text() string {
	var b strings.Builder
	b.WriteString(c.Greeting + "\n\n" + c.Intro + "\n")
	if c.Link != "" {
		b.WriteString("\n" + c.Link + "\n")
	}
	if c.Expected != "" {
		b.WriteString("\n" + c.Expected + "\n")
	}
	if c.Heading != "" {
		b.WriteString("\n" + c.Heading + "\n")
	}
	for _, m := range c.Messages {
		fmt.Fprintf(&b, "\n%s (%s):\n", m.Author, m.Time)
		for _, l := range m.Body {
			b.WriteString(l + "\n")
		}
		for _, a := range m.Attachments {
			fmt.Fprintf(&b, "[%s] %s\n", a.Name, a.URL)
		}
	}
	b.WriteString("\n" + c.Regards + "\n" + c.Shop + "\n")
	return b.String()
}

var htmlBody = template.Must(template.New("notice").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body>
<p>{{.Greeting}}</p>
<p>{{.Intro}}</p>
{{- with .Link}}
<p><a href="{{.}}">{{.}}</a></p>
{{- end}}
{{- with .Expected}}
<p><strong>{{.}}</strong></p>
{{- end}}
{{- with .Heading}}
<p>{{.}}</p>
{{- end}}
{{- range .Messages}}
<div class="message">
<p><b>{{.Author}}</b> <small>{{.Time}}</small></p>
<p>{{range $i, $l := .Body}}{{if $i}}<br>
{{end}}{{$l}}{{end}}</p>
{{- range .Attachments}}
<p><a href="{{.URL}}">{{.Name}}</a></p>
{{- end}}
</div>
{{- end}}
<p>{{.Regards}}<br>
{{.Shop}}</p>
</body>
</html>
`))

// oneLine replaces control characters, line breaks among them, with spaces
// and trims the result, for names that go into headers and greetings.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s))
}

// domain returns the domain of an email address, for Message-ID.
func domain(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return addr[i+1:]
	}
	return "localhost"
}

// writeHeader writes one header field, folded at spaces so that lines
// stay within 78 characters where the value allows; a long first word goes
// on a line of its own. Encoded words are at most 75 characters long, so
// they always fit.
func writeHeader(b *bytes.Buffer, key, value string) {
	const max = 78
	b.WriteString(key + ":")
	n := len(key) + 1
	for i, word := range strings.Split(value, " ") {
		if n+1+len(word) > max && (i > 0 || 1+len(word) <= max) {
			b.WriteString("\r\n")
			n = 0
		}
		b.WriteString(" " + word)
		n += 1 + len(word)
	}
	b.WriteString("\r\n")
}
