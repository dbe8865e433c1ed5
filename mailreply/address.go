package mailreply

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// Refusals of an inbound email. Test for them with errors.Is.
var (
	// ErrNoReplyAddress means no recipient of the email is a reply address
	// of the shop's domain: it was not sent to one Parley gave out.
	ErrNoReplyAddress = errors.New("mailreply: not addressed to a reply address")
	// ErrForgedAddress means a recipient has the form of a reply address
	// but its signature does not match: it was made up or changed.
	ErrForgedAddress = errors.New("mailreply: reply address not signed by this shop")
	// ErrWrongSender means the email comes from another address than the
	// visitor's of the conversation.
	ErrWrongSender = errors.New("mailreply: sender is not the conversation's visitor")
	// ErrAutoReply means the email is an automatic answer (an
	// out-of-office notice, a bounce): answering it could loop.
	ErrAutoReply = errors.New("mailreply: automatic reply")
	// ErrEmptyReply means nothing is left of the email once the quoted
	// history and the signature are taken away.
	ErrEmptyReply = errors.New("mailreply: no text in the reply")
	// ErrMalformed means the email cannot be read: broken headers or
	// MIME structure, an unknown character set, or over the size limit.
	ErrMalformed = errors.New("mailreply: malformed email")
)

// tokenMAC is how many bytes of the HMAC a reply address carries: 80 bits,
// beyond guessing.
const tokenMAC = 10

// DefaultPrefix starts the local part of reply addresses.
const DefaultPrefix = "reply"

// token is the base32 alphabet in lower case without padding: mail systems
// may change the case of a local part, and base32 survives that.
var token = base32.StdEncoding.WithPadding(base32.NoPadding)

// Addresses makes and reads the reply addresses of one shop:
// <prefix>+<token>@<domain>, where the token carries the conversation's id
// and an HMAC-SHA256 of it keyed with the shop's secret. Give every
// instance the same secret. It is safe for concurrent use.
type Addresses struct {
	secret []byte
	domain string
	prefix string
}

// AddressConfig configures Addresses.
type AddressConfig struct {
	// Secret keys the signatures: at least 32 bytes, random, kept like a
	// password. Changing it makes the addresses given out before refused.
	// Required.
	Secret []byte
	// Domain is the domain whose mail reaches the inbound handler, such as
	// "reply.shop.example". Required.
	Domain string
	// Prefix starts the local part. Empty means DefaultPrefix.
	Prefix string
}

// NewAddresses returns Addresses for cfg. An invalid cfg returns an error
// wrapping chat.ErrInvalid that names the field.
func NewAddresses(cfg AddressConfig) (*Addresses, error) {
	if len(cfg.Secret) < 32 {
		return nil, fmt.Errorf("%w: mailreply: AddressConfig.Secret is %d bytes, under 32", chat.ErrInvalid, len(cfg.Secret))
	}
	a := &Addresses{secret: append([]byte(nil), cfg.Secret...), domain: strings.ToLower(cfg.Domain), prefix: strings.ToLower(cfg.Prefix)}
	if a.prefix == "" {
		a.prefix = DefaultPrefix
	}
	if _, err := mail.ParseAddress(a.prefix + "+x@" + a.domain); err != nil || a.domain == "" || strings.ContainsAny(a.prefix, "+@") {
		return nil, fmt.Errorf("%w: mailreply: AddressConfig.Domain %q or Prefix %q do not make an email address", chat.ErrInvalid, cfg.Domain, cfg.Prefix)
	}
	return a, nil
}

func (a *Addresses) mac(id uuid.UUID) []byte {
	h := hmac.New(sha256.New, a.secret)
	h.Write([]byte("parley reply address\x00"))
	h.Write(id[:])
	return h.Sum(nil)[:tokenMAC]
}

// Address returns the reply address of the conversation. notify.Config's
// ReplyAddress takes it.
func (a *Addresses) Address(conversationID uuid.UUID) string {
	raw := append(conversationID[:], a.mac(conversationID)...)
	return a.prefix + "+" + strings.ToLower(token.EncodeToString(raw)) + "@" + a.domain
}

// Conversation returns the conversation whose reply address is address.
// An address of another domain or without the prefix returns
// ErrNoReplyAddress; one whose token is not signed with the secret,
// ErrForgedAddress.
func (a *Addresses) Conversation(address string) (uuid.UUID, error) {
	local, domain, ok := strings.Cut(strings.ToLower(strings.TrimSpace(address)), "@")
	tok, tagged := strings.CutPrefix(local, a.prefix+"+")
	if !ok || domain != a.domain || !tagged {
		return uuid.Nil, fmt.Errorf("%w: %.100q", ErrNoReplyAddress, address)
	}
	raw, err := token.DecodeString(strings.ToUpper(tok))
	// The last character has bits the decoder ignores: an address is only
	// the one Address makes, never a variant that decodes the same.
	if err != nil || len(raw) != len(uuid.UUID{})+tokenMAC || strings.ToLower(token.EncodeToString(raw)) != tok {
		return uuid.Nil, fmt.Errorf("%w: %.100q has no token", ErrForgedAddress, address)
	}
	id := uuid.UUID(raw[:len(uuid.UUID{})])
	if !hmac.Equal(raw[len(id):], a.mac(id)) {
		return uuid.Nil, fmt.Errorf("%w: %.100q", ErrForgedAddress, address)
	}
	return id, nil
}
