package webhook

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerify(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	body := []byte(`{"id":"x","type":"message.created"}`)
	now := time.Unix(1_800_000_000, 0)
	header := Sign(secret, now, body)
	require.NoError(t, verifyAt(secret, header, body, 0, now))
	require.NoError(t, verifyAt(secret, header, body, 0, now.Add(DefaultTolerance)), "at the edge of the tolerance")

	tampered := []byte(strings.Replace(string(body), "message", "massage", 1))
	assert.ErrorIs(t, verifyAt(secret, header, tampered, 0, now), ErrSignatureMismatch, "a changed body")
	assert.ErrorIs(t, verifyAt([]byte("another secret, 32 bytes long..."), header, body, 0, now), ErrSignatureMismatch, "another secret")
	moved := strings.Replace(header, "t=1800000000", "t=1800000001", 1)
	assert.ErrorIs(t, verifyAt(secret, moved, body, 0, now), ErrSignatureMismatch, "a changed time")

	err := verifyAt(secret, header, body, time.Minute, now.Add(2*time.Minute))
	require.ErrorIs(t, err, ErrStaleSignature, "replayed later")
	var stale *TimestampError
	require.ErrorAs(t, err, &stale)
	assert.Equal(t, now, stale.Signed)
	assert.Equal(t, time.Minute, stale.Tolerance)
	assert.ErrorIs(t, verifyAt(secret, header, body, time.Minute, now.Add(-2*time.Minute)), ErrStaleSignature, "from the future")

	rotated := header + ",v1=" + strings.Repeat("ab", 32)
	assert.NoError(t, verifyAt(secret, rotated, body, 0, now), "any v1 that matches will do")
	assert.NoError(t, verifyAt(secret, header+",v2=whatever", body, 0, now), "later schemes are skipped")

	for _, bad := range []string{"", "t=1800000000", "v1=" + strings.Repeat("ab", 32), "t=x,v1=ab", "t=1800000000,v1=zz",
		"t=1800000000,v1=abab", "garbage", "t=1,t=2,v1=" + strings.Repeat("ab", 32)} {
		assert.ErrorIs(t, verifyAt(secret, bad, body, 0, now), ErrMalformedSignature, bad)
	}
}

// FuzzVerify: no header makes Verify panic, and only a header signed with
// the secret passes.
func FuzzVerify(f *testing.F) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	f.Add(Sign(secret, now, []byte("{}")), []byte("{}"))
	f.Add("t=1800000000,v1=00", []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := verifyAt(secret, header, body, 0, now)
		if err == nil && !strings.Contains(header, Sign(secret, now, body)[len("t=1800000000,"):]) {
			t.Fatalf("%q passed without the signature of its body", header)
		}
	})
}
