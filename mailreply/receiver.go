package mailreply

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// DefaultMaxBytes caps the size of one inbound email, attachments
// included, when Config.MaxBytes is zero.
const DefaultMaxBytes = 25 << 20

// Config configures a Receiver.
type Config struct {
	// Desk takes the replies. Required.
	Desk *chat.Desk
	// Addresses reads the reply addresses; give it the AddressConfig the
	// notifier's addresses were made with. Required.
	Addresses *Addresses
	// MaxBytes caps one email. Zero means DefaultMaxBytes.
	MaxBytes int64
	// InsecureAnySender takes replies from any sender who has the reply
	// address. Off, the email's From must be the visitor's own address,
	// so that a forwarded email does not let its new readers write in the
	// visitor's name.
	InsecureAnySender bool
	// Logger receives refused emails. Nil means no logs.
	Logger *slog.Logger
}

// Receiver appends emailed replies to their conversations. It is an
// http.Handler for mail providers that forward inbound email by HTTP, and
// its Deliver method suits a small SMTP server's data handler. It is safe
// for concurrent use.
type Receiver struct {
	desk      *chat.Desk
	addresses *Addresses
	maxBytes  int64
	anySender bool
	log       *slog.Logger
}

// New returns a Receiver for cfg. An invalid cfg returns an error wrapping
// chat.ErrInvalid that names the field.
func New(cfg Config) (*Receiver, error) {
	if cfg.Desk == nil || cfg.Addresses == nil {
		return nil, fmt.Errorf("%w: mailreply: Config.Desk and Config.Addresses are required", chat.ErrInvalid)
	}
	if cfg.MaxBytes < 0 {
		return nil, fmt.Errorf("%w: mailreply: Config.MaxBytes is negative", chat.ErrInvalid)
	}
	r := &Receiver{desk: cfg.Desk, addresses: cfg.Addresses, maxBytes: cmp.Or(cfg.MaxBytes, DefaultMaxBytes),
		anySender: cfg.InsecureAnySender, log: cfg.Logger}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r, nil
}

// Receive appends the reply in raw, a whole RFC 5322 message, to the
// conversation its reply address names, as a message of the visitor, and
// returns it. recipients are the envelope's recipients (SMTP RCPT TO, or
// what a provider reports); the message's To, Cc, Delivered-To and
// X-Original-To are looked at too.
//
// The text is the plain text part, or the HTML part turned into text,
// without the quoted history, lines quoted with '>' and the signature.
// Attachments are left out. A reply to a closed conversation starts a new
// conversation of the visitor, in the same department. The email's
// Message-ID makes the message's idempotency key: the same email received
// twice is stored once.
//
// Refusals wrap ErrNoReplyAddress, ErrForgedAddress, ErrWrongSender,
// ErrAutoReply, ErrEmptyReply, ErrMalformed, or chat.ErrInvalid for a
// text over chat.MaxBodyBytes; nothing is stored then. Errors of the Desk
// are returned as they are.
func (r *Receiver) Receive(ctx context.Context, raw io.Reader, recipients ...string) (chat.Message, error) {
	data, err := io.ReadAll(io.LimitReader(raw, r.maxBytes+1))
	if err != nil {
		return chat.Message{}, err
	}
	if int64(len(data)) > r.maxBytes {
		return chat.Message{}, fmt.Errorf("%w: over %d bytes", ErrMalformed, r.maxBytes)
	}
	e, err := parse(data)
	if err != nil {
		return chat.Message{}, err
	}
	id, err := r.conversationOf(append(recipients, e.recipients...))
	if err != nil {
		return chat.Message{}, err
	}
	if e.auto {
		return chat.Message{}, fmt.Errorf("%w: from %.100q", ErrAutoReply, e.from)
	}
	conv, info, err := r.desk.Lookup(ctx, id)
	if err != nil {
		return chat.Message{}, err
	}
	v, err := r.desk.Visitor(ctx, info.VisitorID)
	if err != nil {
		return chat.Message{}, err
	}
	if !r.anySender && !strings.EqualFold(strings.TrimSpace(v.Email), e.from) {
		return chat.Message{}, fmt.Errorf("%w: %.100q wrote to conversation %s", ErrWrongSender, e.from, id)
	}
	text := e.text()
	if text == "" {
		return chat.Message{}, fmt.Errorf("%w: from %.100q to conversation %s", ErrEmptyReply, e.from, id)
	}
	key := e.messageID
	if key == "" {
		key = string(data)
	}
	sum := sha256.Sum256([]byte(key))
	m := chat.Message{
		Author:         chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String(), Name: v.Name},
		Body:           text,
		IdempotencyKey: "email:" + hex.EncodeToString(sum[:]),
	}
	stored, err := conv.Post(ctx, m)
	if errors.Is(err, chat.ErrClosed) {
		// The new conversation's id comes from the email, so that the
		// same email received again finds it rather than starting another.
		next := uuid.NewSHA1(id, sum[:])
		conv, err = r.desk.Start(ctx, chat.StartRequest{ID: next, VisitorID: v.ID, Department: info.Department})
		if err != nil {
			return chat.Message{}, err
		}
		stored, err = conv.Post(ctx, m)
	}
	return stored, err
}

// conversationOf returns the conversation of the first reply address
// among the recipients. A forged one is reported when there is no good
// one.
func (r *Receiver) conversationOf(recipients []string) (uuid.UUID, error) {
	var forged error
	for _, a := range recipients {
		id, err := r.addresses.Conversation(a)
		if err == nil {
			return id, nil
		}
		if errors.Is(err, ErrForgedAddress) && forged == nil {
			forged = err
		}
	}
	if forged != nil {
		return uuid.Nil, forged
	}
	return uuid.Nil, fmt.Errorf("%w: recipients %.200q", ErrNoReplyAddress, recipients)
}

// Deliver is Receive for an SMTP server: from and to are the envelope's
// MAIL FROM and RCPT TO, data the message. Answer the client with a
// permanent failure (5xx) when it returns an error Permanent reports, and
// with a temporary one (4xx) otherwise.
func (r *Receiver) Deliver(ctx context.Context, from string, to []string, data io.Reader) error {
	_, err := r.Receive(ctx, data, to...)
	if err != nil {
		r.log.WarnContext(ctx, "mailreply: refused an email", "from", from, "to", to, "err", err)
	}
	return err
}

// Permanent reports whether err refuses the email for good, so that
// sending it again cannot help: everything but a failure of the Desk or
// its Store.
func Permanent(err error) bool {
	for _, p := range []error{ErrNoReplyAddress, ErrForgedAddress, ErrWrongSender, ErrAutoReply, ErrEmptyReply, ErrMalformed,
		chat.ErrInvalid, chat.ErrNotFound, chat.ErrBlocked} {
		if errors.Is(err, p) {
			return true
		}
	}
	return false
}

// ServeHTTP takes an email a mail provider forwards: a POST whose body is
// the raw message (Content-Type message/rfc822, or any but a form), or a
// multipart form with the raw message in the field "email" (SendGrid's
// Inbound Parse with raw messages) or "body-mime" (Mailgun's forward to a
// URL ending in "mime"), and the envelope recipient, if any, in
// "recipient". It answers 204 when the reply is stored, 406 when the
// email is refused for good (providers do not retry it), and 500 when the
// Desk failed (providers retry, and the retry is stored once).
//
// Anyone who can reach the handler can post a reply in the name of a
// visitor whose reply address and email address they know: mount it
// behind the check your provider offers (a secret in the URL, basic
// authentication, a signature header).
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST the email", http.StatusMethodNotAllowed)
		return
	}
	req.Body = http.MaxBytesReader(w, req.Body, r.maxBytes+1<<20)
	var raw io.Reader = req.Body
	var recipients []string
	if strings.HasPrefix(req.Header.Get("Content-Type"), "multipart/form-data") {
		if err := req.ParseMultipartForm(1 << 20); err != nil {
			http.Error(w, "unreadable form", http.StatusBadRequest)
			return
		}
		defer req.MultipartForm.RemoveAll()
		field := cmp.Or(req.FormValue("email"), req.FormValue("body-mime"))
		if field == "" {
			http.Error(w, "no email or body-mime field", http.StatusBadRequest)
			return
		}
		raw = bytes.NewReader([]byte(field))
		if rcpt := req.FormValue("recipient"); rcpt != "" {
			recipients = strings.Split(rcpt, ",")
		}
	}
	m, err := r.Receive(req.Context(), raw, recipients...)
	switch {
	case err == nil:
		r.log.InfoContext(req.Context(), "mailreply: reply stored", "conversation", m.ConversationID, "seq", m.Seq)
		w.WriteHeader(http.StatusNoContent)
	case Permanent(err):
		r.log.WarnContext(req.Context(), "mailreply: refused an email", "err", err)
		http.Error(w, "refused", http.StatusNotAcceptable)
	default:
		r.log.ErrorContext(req.Context(), "mailreply: storing a reply", "err", err)
		http.Error(w, "try again later", http.StatusInternalServerError)
	}
}
