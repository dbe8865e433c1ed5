package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	// SignatureHeader carries the signature: "t=<unix seconds>,v1=<hex>".
	// v1 is the hex HMAC-SHA256, keyed with the endpoint's secret, of the
	// seconds, a full stop and the body as sent. A receiver may find more
	// than one v1; any one that matches will do.
	SignatureHeader = "Parley-Signature"
	// IDHeader repeats the delivery's id, the same on every attempt.
	IDHeader = "Parley-Webhook-Id"
	// EventHeader repeats the delivery's event type.
	EventHeader = "Parley-Webhook-Event"
	// AttemptHeader counts the attempts, from 1.
	AttemptHeader = "Parley-Webhook-Attempt"
)

// DefaultTolerance is how far a signature's time may be from the clock
// when Verify is given a tolerance of zero.
const DefaultTolerance = 5 * time.Minute

// Reasons Verify refuses a delivery. Test for them with errors.Is.
var (
	// ErrMalformedSignature means the signature header is missing or not
	// of the form "t=<unix seconds>,v1=<hex>".
	ErrMalformedSignature = errors.New("webhook: malformed signature header")
	// ErrSignatureMismatch means no signature in the header matches the
	// body and time: a wrong secret, or a body or time changed on the way.
	ErrSignatureMismatch = errors.New("webhook: signature does not match")
	// ErrStaleSignature means the signature's time is further from the
	// clock than the tolerance: a delivery replayed later, or a clock that
	// is off. The error is a *TimestampError.
	ErrStaleSignature = errors.New("webhook: signature time outside the tolerance")
)

// TimestampError is the error of a signature whose time is out of
// tolerance. It wraps ErrStaleSignature.
type TimestampError struct {
	Signed    time.Time     // the time in the header
	Now       time.Time     // the clock when verifying
	Tolerance time.Duration // how far apart they may be
}

func (e *TimestampError) Error() string {
	return fmt.Sprintf("webhook: signed at %s, %s from now, over the tolerance of %s",
		e.Signed.UTC().Format(time.RFC3339), e.Now.Sub(e.Signed).Round(time.Second), e.Tolerance)
}

// Unwrap returns ErrStaleSignature.
func (e *TimestampError) Unwrap() error { return ErrStaleSignature }

// Sign returns the value of SignatureHeader for body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	sec := t.Unix()
	return "t=" + strconv.FormatInt(sec, 10) + ",v1=" + hex.EncodeToString(mac(secret, sec, body))
}

func mac(secret []byte, sec int64, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(strconv.FormatInt(sec, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a delivery as received: header is the value of
// SignatureHeader, body the request body byte for byte (read it whole
// before decoding). It returns nil when a signature matches and its time
// is within tolerance of now (DefaultTolerance when zero), and otherwise
// an error wrapping ErrMalformedSignature, ErrSignatureMismatch or
// ErrStaleSignature. Deliveries are repeated until acknowledged: use the
// IDHeader to do each once.
func Verify(secret []byte, header string, body []byte, tolerance time.Duration) error {
	return verifyAt(secret, header, body, tolerance, time.Now())
}

func verifyAt(secret []byte, header string, body []byte, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var sec int64
	var sigs [][]byte
	seenTime := false
	for part := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: %.40q has no '='", ErrMalformedSignature, part)
		}
		switch key {
		case "t":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || seenTime {
				return fmt.Errorf("%w: time %.40q", ErrMalformedSignature, value)
			}
			sec, seenTime = n, true
		case "v1":
			sig, err := hex.DecodeString(value)
			if err != nil || len(sig) != sha256.Size {
				return fmt.Errorf("%w: v1 is not %d hex bytes", ErrMalformedSignature, sha256.Size)
			}
			sigs = append(sigs, sig)
		}
		// Other keys are later schemes; they are skipped.
	}
	if !seenTime || len(sigs) == 0 {
		return fmt.Errorf("%w: it needs t= and v1=", ErrMalformedSignature)
	}
	want := mac(secret, sec, body)
	matched := false
	for _, sig := range sigs {
		matched = hmac.Equal(sig, want) || matched
	}
	if !matched {
		return ErrSignatureMismatch
	}
	signed := time.Unix(sec, 0)
	if d := now.Sub(signed); d > tolerance || d < -tolerance {
		return &TimestampError{Signed: signed, Now: now, Tolerance: tolerance}
	}
	return nil
}
