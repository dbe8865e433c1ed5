package transport

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// ErrUnauthorized is returned for a token or agent session that is not
// valid: forged, damaged, or signed with another secret.
var ErrUnauthorized = errors.New("transport: unauthorized")

// ErrTokenExpired is returned for a token whose expiry has passed. It wraps
// ErrUnauthorized.
var ErrTokenExpired = fmt.Errorf("%w: the token has expired", ErrUnauthorized)

// MinSecretBytes is the shortest Config.Secret accepted.
const MinSecretBytes = 32

// Domain separation: a visitor token can never be passed off as an
// identity token or the other way round.
const (
	visitorTokenDomain  = "parley visitor token v1\x00"
	identityTokenDomain = "parley identity token v1\x00"
)

// b64 encodes tokens. Strict decoding refuses the other spellings of the
// same bytes (the bits left over in the last character set); see decode for
// the rest of what makes each token's accepted form the only one.
var b64 = base64.RawURLEncoding.Strict()

// decode decodes one part of a token. encoding/base64 skips carriage
// returns and newlines anywhere in its input, so they are refused first:
// a token with them in it is not one the server wrote.
func decode(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("transport: line breaks in a token")
	}
	return b64.DecodeString(s)
}

// Identity is a logged-in shop customer, as the shop vouches for them: in
// an identity token (SignIdentity), or from its session
// (Config.IdentifyVisitor).
type Identity struct {
	CustomerID string `json:"cid"`
	Name       string `json:"name,omitempty"`
	Email      string `json:"email,omitempty"`
	// Locale is the customer's language, used when the hello carries no
	// lang: the language the widget shows wins, since the visitor reads
	// Parley's messages next to the widget's own words.
	Locale string `json:"locale,omitempty"`
	// Expires is when the token stops being accepted. Required by
	// SignIdentity; Config.IdentifyVisitor leaves it unused.
	Expires time.Time `json:"-"`
}

// identityClaims is the signed payload of an identity token.
type identityClaims struct {
	Identity
	Exp int64 `json:"exp"`
}

// SignIdentity returns a token that identifies a logged-in customer to
// Parley. The shop calls it on the server, with the same secret as
// Config.Secret, and hands the token to the widget (for example in a
// data-identity attribute), on every page while the customer is logged
// in: a visitor who was the customer and comes back without it, or with
// another customer's, is a new visitor. Agents then see the customer's
// name, email and customer id. The token is signed, not encrypted: do not
// put anything in it that the customer may not see.
func SignIdentity(secret []byte, id Identity) (string, error) {
	if len(secret) < MinSecretBytes {
		return "", fmt.Errorf("%w: the secret is %d bytes; at least %d are needed", chat.ErrInvalid, len(secret), MinSecretBytes)
	}
	if id.CustomerID == "" {
		return "", fmt.Errorf("%w: Identity.CustomerID is required", chat.ErrInvalid)
	}
	if id.Expires.IsZero() {
		return "", fmt.Errorf("%w: Identity.Expires is required", chat.ErrInvalid)
	}
	v := chat.Visitor{ID: uuid.New(), Name: id.Name, Email: id.Email, Locale: id.Locale, CustomerID: id.CustomerID, CreatedAt: id.Expires}
	if err := v.Validate(); err != nil {
		return "", err
	}
	payload, err := json.Marshal(identityClaims{Identity: id, Exp: id.Expires.Unix()})
	if err != nil {
		return "", err
	}
	body := b64.EncodeToString(payload)
	return body + "." + b64.EncodeToString(mac(secret, identityTokenDomain, body)), nil
}

// verifyIdentity checks an identity token and returns what it says.
func verifyIdentity(secret []byte, token string, now time.Time) (Identity, error) {
	body, sig, ok := strings.Cut(token, ".")
	if !ok || !validMAC(secret, identityTokenDomain, body, sig) {
		return Identity{}, fmt.Errorf("%w: the identity token is not valid", ErrUnauthorized)
	}
	payload, err := decode(body)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: the identity token is damaged", ErrUnauthorized)
	}
	var c identityClaims
	if err := json.Unmarshal(payload, &c); err != nil || c.CustomerID == "" {
		return Identity{}, fmt.Errorf("%w: the identity token is damaged", ErrUnauthorized)
	}
	c.Identity.Expires = time.Unix(c.Exp, 0)
	if !now.Before(c.Identity.Expires) {
		return Identity{}, ErrTokenExpired
	}
	return c.Identity, nil
}

// visitorToken returns the token that lets an anonymous visitor come back
// as the same visitor until expires.
func visitorToken(secret []byte, id uuid.UUID, expires time.Time) string {
	var raw [24]byte
	copy(raw[:16], id[:])
	binary.BigEndian.PutUint64(raw[16:], uint64(expires.Unix()))
	body := b64.EncodeToString(raw[:])
	return body + "." + b64.EncodeToString(mac(secret, visitorTokenDomain, body))
}

// verifyVisitor checks a visitor token and returns the visitor's id.
func verifyVisitor(secret []byte, token string, now time.Time) (uuid.UUID, error) {
	body, sig, ok := strings.Cut(token, ".")
	if !ok || !validMAC(secret, visitorTokenDomain, body, sig) {
		return uuid.Nil, fmt.Errorf("%w: the visitor token is not valid", ErrUnauthorized)
	}
	raw, err := decode(body)
	if err != nil || len(raw) != 24 {
		return uuid.Nil, fmt.Errorf("%w: the visitor token is damaged", ErrUnauthorized)
	}
	if exp := int64(binary.BigEndian.Uint64(raw[16:])); now.Unix() >= exp {
		return uuid.Nil, ErrTokenExpired
	}
	return uuid.UUID(raw[:16]), nil
}

func mac(secret []byte, domain, body string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(domain))
	h.Write([]byte(body))
	return h.Sum(nil)
}

func validMAC(secret []byte, domain, body, sig string) bool {
	got, err := decode(sig)
	return err == nil && hmac.Equal(got, mac(secret, domain, body))
}
