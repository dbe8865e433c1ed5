package chat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Defaults for the email fields of Config.
const (
	// DefaultEmailsPerVisitor is how many emails one visitor may be sent
	// in a UTC day.
	DefaultEmailsPerVisitor = 5
	// DefaultEmailsPerAddress is how many emails one address may be sent
	// in a UTC day, whichever visitors asked for them.
	DefaultEmailsPerAddress = 5
	// DefaultEmailConfirmTTL is how long a confirmation link works.
	DefaultEmailConfirmTTL = 24 * time.Hour
)

// Refusals of the email rules. Test for them with errors.Is.
var (
	// ErrEmailLimit means the visitor, or the address, has been sent as
	// many emails today (UTC) as Config.EmailsPerVisitor or
	// EmailsPerAddress allow. Nothing was sent.
	ErrEmailLimit = errors.New("chat: daily email limit reached")
	// ErrEmailSuppressed means the address bounced or complained and is on
	// the suppression list (Desk.SuppressEmail). Nothing was sent.
	ErrEmailSuppressed = errors.New("chat: email address suppressed")
	// ErrConfirmationSent means the address is not yet proven for the
	// visitor: a confirmation email with a link was sent instead of what
	// was asked for, which follows once the visitor opens the link.
	ErrConfirmationSent = errors.New("chat: confirmation email sent")
	// ErrEmailUnproven means the address is not proven for the visitor and
	// cannot be confirmed, because Config.EmailConfirmURL is not set.
	// Nothing was sent.
	ErrEmailUnproven = errors.New("chat: email address not proven")
)

// EmailStore keeps what the email rules need in the shared store, so that
// they hold across instances and restarts: how many emails each visitor and
// address got per day, which addresses each visitor proved, the pending
// confirmation links, and the suppression list.
//
// Addresses are compared byte for byte; the Desk passes them trimmed and in
// lower case. An address is 1 to MaxEmailBytes bytes of UTF-8 without NUL;
// other input returns ErrInvalid. Visitors need not be stored: the rows here
// refer to a visitor id without checking it. Every method is safe for
// concurrent use, also from several processes sharing one database.
type EmailStore interface {
	// CountEmail records one email to address, asked for by visitorID, on
	// the UTC day of at, provided fewer than limits.PerVisitor emails of
	// that visitor and fewer than limits.PerAddress emails to that address
	// are recorded on that day. Otherwise it records nothing and returns
	// an error wrapping ErrEmailLimit. The check and the record are one
	// atomic step: concurrent calls never exceed a limit. Counts of earlier
	// days may be forgotten. Limits below 1 are ErrInvalid.
	CountEmail(ctx context.Context, visitorID uuid.UUID, address string, at time.Time, limits EmailLimits) error
	// ProveEmail records that visitorID proved address. Proving it again
	// changes nothing.
	ProveEmail(ctx context.Context, visitorID uuid.UUID, address string, at time.Time) error
	// EmailProven reports whether visitorID proved address.
	EmailProven(ctx context.Context, visitorID uuid.UUID, address string) (bool, error)
	// AddEmailConfirmation stores a pending confirmation. One with the same
	// TokenHash returns ErrConflict.
	AddEmailConfirmation(ctx context.Context, c EmailConfirmation) error
	// ConfirmEmail takes the pending confirmation with tokenHash whose
	// ExpiresAt is after now: in one atomic step it deletes it, proves its
	// address for its visitor as ProveEmail does, and returns it. An
	// unknown, used or expired one returns ErrNotFound; only one of
	// concurrent calls with the same hash succeeds. Expired confirmations
	// may be deleted at any time.
	ConfirmEmail(ctx context.Context, tokenHash string, now time.Time) (EmailConfirmation, error)
	// SuppressEmail puts s.Address on the suppression list, replacing the
	// entry of the same address.
	SuppressEmail(ctx context.Context, s EmailSuppression) error
	// UnsuppressEmail takes address off the suppression list. An address
	// that is not on it returns ErrNotFound.
	UnsuppressEmail(ctx context.Context, address string) error
	// EmailSuppression returns the suppression list's entry for address,
	// or ErrNotFound when it is not on the list.
	EmailSuppression(ctx context.Context, address string) (EmailSuppression, error)
}

// EmailLimits are the daily caps CountEmail enforces.
type EmailLimits struct {
	PerVisitor int // emails one visitor may be sent per UTC day
	PerAddress int // emails one address may be sent per UTC day
}

// Validate reports with ErrInvalid a limit below 1.
func (l EmailLimits) Validate() error {
	if l.PerVisitor < 1 || l.PerAddress < 1 {
		return invalid("email limits %d per visitor and %d per address must be at least 1", l.PerVisitor, l.PerAddress)
	}
	return nil
}

// EmailConfirmation is a confirmation link waiting to be opened.
type EmailConfirmation struct {
	// TokenHash is the hex SHA-256 of the token in the link; the token
	// itself is only in the email.
	TokenHash string `json:"token_hash"`
	// VisitorID is the visitor who gave the address.
	VisitorID uuid.UUID `json:"visitor_id"`
	// Address is the address to confirm.
	Address string `json:"address"`
	// ConversationID is the conversation whose transcript is sent once the
	// address is confirmed; uuid.Nil when nothing waits.
	ConversationID uuid.UUID `json:"conversation_id,omitzero"`
	// ExpiresAt is when the link stops working.
	ExpiresAt time.Time `json:"expires_at"`
}

// Validate reports with ErrInvalid why c cannot be stored.
func (c EmailConfirmation) Validate() error {
	if len(c.TokenHash) != 2*sha256.Size || strings.Trim(c.TokenHash, "0123456789abcdef") != "" {
		return invalid("confirmation token hash is not 64 lower-case hex digits")
	}
	return firstErr(checkID("confirmation visitor id", c.VisitorID), CheckAddress(c.Address), checkTime("confirmation expiry", c.ExpiresAt))
}

// SuppressionReason says why an address is suppressed.
type SuppressionReason string

// Suppression reasons.
const (
	SuppressBounce    SuppressionReason = "bounce"    // mail to it bounced
	SuppressComplaint SuppressionReason = "complaint" // its owner marked mail as spam
)

// EmailSuppression is one entry of the suppression list: an address
// Parley sends nothing to.
type EmailSuppression struct {
	Address string            `json:"address"`
	Reason  SuppressionReason `json:"reason"`
	At      time.Time         `json:"at"` // when it was recorded
}

// Validate reports with ErrInvalid why s cannot be stored.
func (s EmailSuppression) Validate() error {
	if s.Reason != SuppressBounce && s.Reason != SuppressComplaint {
		return invalid("suppression reason %.32q is not bounce or complaint", s.Reason)
	}
	return firstErr(CheckAddress(s.Address), checkTime("suppression time", s.At))
}

// CheckAddress reports with ErrInvalid an address an EmailStore cannot
// keep: empty, over MaxEmailBytes, not UTF-8 or with a NUL byte.
func CheckAddress(address string) error {
	if address == "" {
		return invalid("email address is empty")
	}
	return checkText("email address", address, MaxEmailBytes)
}

// emailRules are the Desk's email settings.
type emailRules struct {
	fileLink   func(Attachment) string // Config.FileLink
	confirmURL *url.URL                // nil: anonymous visitors cannot confirm
	confirmTTL time.Duration
	limits     EmailLimits
}

// newEmailRules fills the defaults of the email fields of cfg and checks
// them.
func newEmailRules(cfg Config) (emailRules, error) {
	r := emailRules{
		fileLink:   cfg.FileLink,
		confirmTTL: cfg.EmailConfirmTTL,
		limits:     EmailLimits{PerVisitor: cfg.EmailsPerVisitor, PerAddress: cfg.EmailsPerAddress},
	}
	if r.confirmTTL < 0 || r.limits.PerVisitor < 0 || r.limits.PerAddress < 0 {
		return r, invalid("Config.EmailConfirmTTL, EmailsPerVisitor and EmailsPerAddress cannot be negative")
	}
	if r.confirmTTL == 0 {
		r.confirmTTL = DefaultEmailConfirmTTL
	}
	if r.limits.PerVisitor == 0 {
		r.limits.PerVisitor = DefaultEmailsPerVisitor
	}
	if r.limits.PerAddress == 0 {
		r.limits.PerAddress = DefaultEmailsPerAddress
	}
	if cfg.EmailConfirmURL != "" {
		u, err := url.Parse(cfg.EmailConfirmURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
			return r, invalid("Config.EmailConfirmURL %.200q is not an absolute http or https URL without a fragment", cfg.EmailConfirmURL)
		}
		r.confirmURL = u
	}
	return r, nil
}

// addressKey is an address as the email rules count and compare it.
func addressKey(address string) string { return strings.ToLower(strings.TrimSpace(address)) }

// ProveEmail records that the visitor owns address, so that transcripts
// go to it without a confirmation link and other notices to it may carry
// what the visitor wrote. The transport calls it for the address in a
// verified identity token; call it yourself for an address your shop has
// verified in its own way.
func (d *Desk) ProveEmail(ctx context.Context, visitorID uuid.UUID, address string) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	if err := firstErr(checkID("visitor id", visitorID), CheckEmail(strings.TrimSpace(address))); err != nil {
		return err
	}
	key := addressKey(address)
	// Most calls prove an address again (every connection of a customer
	// does): a read spares the write.
	if proven, err := d.store.EmailProven(ctx, visitorID, key); err != nil || proven {
		return err
	}
	return d.store.ProveEmail(ctx, visitorID, key, d.timestamp())
}

// SuppressEmail puts address on the suppression list: Parley sends it
// nothing more, and requests for it return ErrEmailSuppressed. Call it from
// the handler of your mail provider's bounce and complaint webhook.
func (d *Desk) SuppressEmail(ctx context.Context, address string, reason SuppressionReason) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	return d.store.SuppressEmail(ctx, EmailSuppression{Address: addressKey(address), Reason: reason, At: d.timestamp()})
}

// UnsuppressEmail takes address off the suppression list, for example when
// its owner asks for mail again. An address not on the list returns
// ErrNotFound.
func (d *Desk) UnsuppressEmail(ctx context.Context, address string) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	return d.store.UnsuppressEmail(ctx, addressKey(address))
}

// ConfirmEmail opens the confirmation link whose token is given: the
// address becomes proven for the visitor who asked, and the transcript
// waiting for it is sent. An unknown, used or expired token returns
// ErrNotFound. The returned confirmation says which address and
// conversation it was; when the transcript then fails (the daily limit, the
// Notifier) the address stays proven and the error is returned with it.
func (d *Desk) ConfirmEmail(ctx context.Context, token string) (EmailConfirmation, error) {
	if err := d.checkOpen(); err != nil {
		return EmailConfirmation{}, err
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != confirmTokenBytes {
		return EmailConfirmation{}, fmt.Errorf("%w: the confirmation link is not valid", ErrNotFound)
	}
	c, err := d.store.ConfirmEmail(ctx, tokenHash(token), d.timestamp())
	if err != nil {
		return EmailConfirmation{}, err
	}
	if c.ConversationID == uuid.Nil {
		return c, nil
	}
	conv, err := d.store.Conversation(ctx, c.ConversationID)
	if err != nil {
		return c, err
	}
	v, err := d.store.Visitor(ctx, c.VisitorID)
	if err != nil {
		return c, err
	}
	return c, d.sendTranscript(ctx, conv, v, c.Address)
}

// confirmTokenBytes is the length of a confirmation token before encoding.
const confirmTokenBytes = 32

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// transcriptTo sends the transcript of c to address for visitor v when v
// proved the address, and otherwise a confirmation link that sends it once
// opened.
func (d *Desk) transcriptTo(ctx context.Context, c ConversationInfo, v Visitor, address string) error {
	proven, err := d.store.EmailProven(ctx, v.ID, addressKey(address))
	if err != nil {
		return err
	}
	if proven {
		return d.sendTranscript(ctx, c, v, address)
	}
	return d.sendConfirmation(ctx, c, v, address)
}

// sendConfirmation emails address a link that proves it for v. The email
// carries nothing the visitor wrote: not even their name.
func (d *Desk) sendConfirmation(ctx context.Context, c ConversationInfo, v Visitor, address string) error {
	if d.email.confirmURL == nil {
		return fmt.Errorf("%w: %.64q needs confirming and no Config.EmailConfirmURL is set", ErrEmailUnproven, address)
	}
	raw := make([]byte, confirmTokenBytes)
	_, _ = rand.Read(raw) // never fails
	token := base64.RawURLEncoding.EncodeToString(raw)
	link := *d.email.confirmURL
	q := link.Query()
	q.Set("token", token)
	link.RawQuery = q.Encode()
	n := Notice{
		Kind:         NoticeConfirmEmail,
		To:           Visitor{ID: v.ID, Email: address, Locale: v.Locale},
		Conversation: c,
		ConfirmURL:   link.String(),
	}
	if err := d.admit(ctx, v.ID, address); err != nil {
		return err
	}
	conf := EmailConfirmation{TokenHash: tokenHash(token), VisitorID: v.ID, Address: addressKey(address),
		ConversationID: c.ID, ExpiresAt: d.timestamp().Add(d.email.confirmTTL)}
	if err := d.store.AddEmailConfirmation(ctx, conf); err != nil {
		return err
	}
	if err := d.send(ctx, n); err != nil {
		return err
	}
	return fmt.Errorf("%w: to %.64q", ErrConfirmationSent, address)
}

// sendTranscript emails the transcript of c, without internal notes, to
// address.
func (d *Desk) sendTranscript(ctx context.Context, c ConversationInfo, v Visitor, address string) error {
	transcript, err := d.transcript(ctx, c.ID)
	if err != nil {
		return err
	}
	if err := d.admit(ctx, v.ID, address); err != nil {
		return err
	}
	v.Email = address
	return d.send(ctx, Notice{Kind: NoticeTranscript, To: v, Conversation: c, Messages: transcript})
}

// transcript reads every message of a conversation but internal notes,
// page by page.
func (d *Desk) transcript(ctx context.Context, id uuid.UUID) ([]Message, error) {
	out := []Message{}
	var after int64
	for {
		page, err := d.store.Messages(ctx, id, MessageQuery{After: after, Limit: MaxPageSize})
		if err != nil {
			return nil, err
		}
		for _, m := range page {
			if !m.Internal {
				out = append(out, m)
			}
			after = m.Seq
		}
		if len(page) < MaxPageSize {
			return out, nil
		}
	}
}

// admit applies the email rules to one email to address for visitorID: a
// suppressed address gets nothing, and the email counts against the daily
// limits.
func (d *Desk) admit(ctx context.Context, visitorID uuid.UUID, address string) error {
	key := addressKey(address)
	_, err := d.store.EmailSuppression(ctx, key)
	switch {
	case err == nil:
		return fmt.Errorf("%w: %.64q", ErrEmailSuppressed, address)
	case !errors.Is(err, ErrNotFound):
		return err
	}
	return d.store.CountEmail(ctx, visitorID, key, d.timestamp(), d.email.limits)
}

// send hands n to the Notifier with the shop's name and time zone.
func (d *Desk) send(ctx context.Context, n Notice) error {
	n.ShopName, n.Location = d.shopName, d.zoneOf(n.To)
	n.Messages = d.email.linkFiles(n.Messages)
	return d.notifier.Notify(ctx, n)
}

// linkFiles returns ms with the attachments of uploaded files linked by
// Config.FileLink, and those it gives no link left out. ms is not changed.
func (r emailRules) linkFiles(ms []Message) []Message {
	out := slices.Clone(ms)
	for i, m := range out {
		var kept []Attachment
		for _, a := range m.Attachments {
			if a.FileID != uuid.Nil {
				if r.fileLink == nil {
					continue
				}
				if a.URL = r.fileLink(a); a.URL == "" {
					continue
				}
			}
			kept = append(kept, a)
		}
		out[i].Attachments = kept
	}
	return out
}

// screen applies the email rules to a notice the Desk sends on its own (an
// offline acknowledgement, replies): when the visitor has not proven the
// address, the notice loses what the visitor wrote (their name and their
// own messages), so that an address typed by anyone carries only the
// shop's words. It returns false, after logging why, when the notice must
// not be sent.
func (d *Desk) screen(ctx context.Context, n *Notice) bool {
	proven, err := d.store.EmailProven(ctx, n.To.ID, addressKey(n.To.Email))
	if err == nil {
		err = d.admit(ctx, n.To.ID, n.To.Email)
	}
	if err != nil {
		d.log.WarnContext(ctx, "chat: not sending a notice", "kind", n.Kind, "conversation", n.Conversation.ID, "err", err)
		return false
	}
	if proven {
		return true
	}
	n.To.Name = ""
	kept := n.Messages[:0:0]
	for _, m := range n.Messages {
		if m.Author.Kind != AuthorVisitor {
			kept = append(kept, m)
		}
	}
	n.Messages = kept
	return true
}
