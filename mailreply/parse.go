package mailreply

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
)

// maxParts bounds how many MIME parts an email may have, nested or not.
const maxParts = 100

// email is what the handler needs of an inbound message.
type email struct {
	from        string   // the sender's address
	recipients  []string // the addresses in To, Cc, Delivered-To and X-Original-To
	messageID   string
	auto        bool     // an automatic reply
	plain, html string   // the first text/plain and text/html bodies, decoded to UTF-8
	attachments []string // the names of the attached files
}

// parse reads a raw RFC 5322 message.
func parse(raw []byte) (email, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return email{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var e email
	parser := &mail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: charsetReader}}
	from, err := parser.Parse(m.Header.Get("From"))
	if err != nil {
		return email{}, fmt.Errorf("%w: From: %v", ErrMalformed, err)
	}
	e.from = from.Address
	for _, key := range []string{"To", "Cc", "Delivered-To", "X-Original-To"} {
		for _, v := range m.Header[key] {
			list, err := parser.ParseList(v)
			if err != nil {
				continue // a broken list of others' addresses does not stop the reply
			}
			for _, a := range list {
				e.recipients = append(e.recipients, a.Address)
			}
		}
	}
	e.messageID = strings.TrimSpace(m.Header.Get("Message-Id"))
	e.auto = automatic(m.Header)
	parts := 0
	if err := e.walk(textprotoHeader(m.Header), m.Body, &parts); err != nil {
		return email{}, err
	}
	return e, nil
}

// text returns the new text of the reply: of the plain text part, or of
// the HTML part when there is none.
func (e email) text() string {
	if e.plain != "" {
		return reply(e.plain)
	}
	return reply(htmlText(e.html))
}

// automatic reports whether the headers mark an automatic message
// (RFC 3834, and what common mail systems add).
func automatic(h mail.Header) bool {
	if v := strings.ToLower(h.Get("Auto-Submitted")); v != "" && v != "no" {
		return true
	}
	if h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" {
		return true
	}
	switch strings.ToLower(h.Get("Precedence")) {
	case "bulk", "junk", "auto_reply", "list":
		return true
	}
	return false
}

// header is what walk needs of a part's header.
type header interface{ Get(string) string }

type textprotoHeader mail.Header

func (h textprotoHeader) Get(k string) string { return mail.Header(h).Get(k) }

// walk takes the texts and attachment names of one part, descending into
// multiparts.
func (e *email) walk(h header, body io.Reader, parts *int) error {
	if *parts++; *parts > maxParts {
		return fmt.Errorf("%w: over %d MIME parts", ErrMalformed, maxParts)
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii"
	}
	media, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("%w: Content-Type %.100q: %v", ErrMalformed, ct, err)
	}
	disposition, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	if disposition == "attachment" || (disposition == "inline" && dparams["filename"] != "") {
		e.attachments = append(e.attachments, cmp.Or(decodeWord(dparams["filename"]), decodeWord(params["name"]), "attachment"))
		return nil
	}
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart() // the transfer encoding is decoded here, once
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%w: %v", ErrMalformed, err)
			}
			if err := e.walk(p.Header, p, parts); err != nil {
				return err
			}
		}
	}
	if media != "text/plain" && media != "text/html" {
		if name := cmp.Or(decodeWord(dparams["filename"]), decodeWord(params["name"])); name != "" {
			e.attachments = append(e.attachments, name)
		}
		return nil
	}
	text, err := decodeText(h.Get("Content-Transfer-Encoding"), params["charset"], body)
	if err != nil {
		return err
	}
	if media == "text/plain" && strings.EqualFold(params["format"], "flowed") {
		text = unflow(text, strings.EqualFold(params["delsp"], "yes"))
	}
	switch {
	case media == "text/plain" && e.plain == "":
		e.plain = text
	case media == "text/html" && e.html == "":
		e.html = text
	}
	return nil
}

// unflow joins the lines of a format=flowed text (RFC 3676) that a space
// at their end marks as wrapped, and takes out the space stuffed in front
// of lines. With delsp, the space that marks a wrap is not part of the
// text. Quoted lines keep their '>' marks.
func unflow(text string, delsp bool) string {
	var b strings.Builder
	for line := range strings.Lines(strings.ReplaceAll(text, "\r\n", "\n")) {
		line = strings.TrimSuffix(line, "\n")
		line = strings.TrimPrefix(line, " ") // space-stuffed
		if strings.HasSuffix(line, " ") && line != "-- " {
			if delsp {
				line = line[:len(line)-1]
			}
			b.WriteString(line) // the next line continues it
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// decodeText undoes a part's transfer encoding and character set.
func decodeText(encoding, charset string, body io.Reader) (string, error) {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &skipSpace{r: body})
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	switch strings.ToLower(charset) {
	case "", "utf-8", "utf8", "us-ascii":
		if !utf8.Valid(raw) {
			return "", fmt.Errorf("%w: text is not %s", ErrMalformed, cmp.Or(charset, "UTF-8"))
		}
		return string(raw), nil
	}
	r, err := charsetReader(charset, bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	text, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("%w: charset %.40q: %v", ErrMalformed, charset, err)
	}
	return string(text), nil
}

// charsetReader decodes text in charset to UTF-8.
func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, fmt.Errorf("%w: unknown charset %.40q", ErrMalformed, charset)
	}
	return enc.NewDecoder().Reader(r), nil
}

// decodeWord decodes RFC 2047 words in a parameter, as some mail clients
// send file names.
func decodeWord(s string) string {
	d := &mime.WordDecoder{CharsetReader: charsetReader}
	if out, err := d.DecodeHeader(s); err == nil {
		return out
	}
	return s
}

// skipSpace drops the line breaks and spaces base64 bodies are folded
// with.
type skipSpace struct{ r io.Reader }

func (s *skipSpace) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for _, b := range p[:n] {
		if b != '\r' && b != '\n' && b != ' ' && b != '\t' {
			p[j] = b
			j++
		}
	}
	return j, err
}
