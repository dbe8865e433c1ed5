package transport

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// fuzzSecret signs the fuzz targets' tokens.
var fuzzSecret = []byte("fuzz-secret-fuzz-secret-fuzz-secret!")

// fuzzNow is the time the fuzz targets verify tokens at.
var fuzzNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// respelled returns tok with the last character of its signature changed
// in the bits that base64 leaves over (the signature's 32 bytes fill 42
// characters and 4 bits of a 43rd): another spelling of the same bytes.
func respelled(tok string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, tok[len(tok)-1])
	return tok[:len(tok)-1] + string(alphabet[i^1])
}

// signedToken returns body signed with fuzzSecret for domain, in the form
// of both kinds of token.
func signedToken(domain string, body []byte) string {
	enc := b64.EncodeToString(body)
	return enc + "." + b64.EncodeToString(mac(fuzzSecret, domain, enc))
}

// refused reports whether a token parser refused tok, failing t when the
// error is not ErrUnauthorized.
func refused(t *testing.T, tok string, err error) bool {
	t.Helper()
	if err != nil && !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("%q: the error %v is not ErrUnauthorized", tok, err)
	}
	return err != nil
}

// FuzzVisitorToken feeds verifyVisitor tokens as a client could send them
// and, so that the fuzzer gets past the signature, any body signed with
// the secret. It must never panic, refuse with ErrUnauthorized, and accept
// only the exact token the server would have made.
func FuzzVisitorToken(f *testing.F) {
	id := uuid.MustParse("7c9e6679-7425-40de-944b-e07fc1f90ae7")
	identity, err := SignIdentity(fuzzSecret, Identity{CustomerID: "c-42", Expires: fuzzNow.Add(time.Hour)})
	if err != nil {
		f.Fatal(err)
	}
	valid := visitorToken(fuzzSecret, id, fuzzNow.Add(time.Hour))
	for _, seed := range []string{
		valid, respelled(valid),
		visitorToken(fuzzSecret, id, fuzzNow.Add(-time.Hour)),
		visitorToken([]byte("another-secret-another-secret-another"), id, fuzzNow.Add(time.Hour)),
		identity, "", ".", "a.b", "..", "\xff.\xff",
	} {
		f.Add(seed, []byte(seed))
	}
	f.Fuzz(func(t *testing.T, token string, body []byte) {
		for _, tok := range []string{token, signedToken(visitorTokenDomain, body)} {
			got, err := verifyVisitor(fuzzSecret, tok, fuzzNow)
			if refused(t, tok, err) {
				continue
			}
			body, _, _ := strings.Cut(tok, ".")
			raw, _ := b64.DecodeString(body)
			exp := time.Unix(int64(binary.BigEndian.Uint64(raw[16:])), 0)
			if want := visitorToken(fuzzSecret, got, exp); tok != want {
				t.Fatalf("accepted %q, which the server would write as %q", tok, want)
			}
			if !fuzzNow.Before(exp) {
				t.Fatalf("accepted %q, which expired at %s", tok, exp)
			}
		}
	})
}

// FuzzIdentityToken does the same for verifyIdentity: identity tokens as
// sent, and any payload signed with the secret. An accepted token names a
// customer and has not expired.
func FuzzIdentityToken(f *testing.F) {
	id := uuid.MustParse("7c9e6679-7425-40de-944b-e07fc1f90ae7")
	for _, seed := range []Identity{
		{CustomerID: "c-42", Name: "Anna Nowak", Email: "anna@example.pl", Locale: "pl", Expires: fuzzNow.Add(time.Hour)},
		{CustomerID: "c-43", Expires: fuzzNow.Add(-time.Hour)},
	} {
		tok, err := SignIdentity(fuzzSecret, seed)
		if err != nil {
			f.Fatal(err)
		}
		body, _, _ := strings.Cut(tok, ".")
		payload, _ := b64.DecodeString(body)
		f.Add(tok, payload)
		f.Add(respelled(tok), payload)
	}
	for _, seed := range []string{
		visitorToken(fuzzSecret, id, fuzzNow.Add(time.Hour)), "", ".", "a.b",
		`{"cid":"","exp":4102444800}`, `{"cid":"c","exp":-1}`, `{"cid":7}`, `[]`, `null`,
	} {
		f.Add(seed, []byte(seed))
	}
	f.Fuzz(func(t *testing.T, token string, payload []byte) {
		for _, tok := range []string{token, signedToken(identityTokenDomain, payload)} {
			got, err := verifyIdentity(fuzzSecret, tok, fuzzNow)
			if refused(t, tok, err) {
				continue
			}
			if got.CustomerID == "" || !fuzzNow.Before(got.Expires) {
				t.Fatalf("accepted %q for %+v", tok, got)
			}
			body, _, _ := strings.Cut(tok, ".")
			raw, _ := b64.DecodeString(body)
			if want := signedToken(identityTokenDomain, raw); tok != want {
				t.Fatalf("accepted %q, which the server would write as %q", tok, want)
			}
		}
	})
}
