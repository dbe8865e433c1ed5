package pgnotify

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/broker/internal/relay"
)

// FuzzDecode feeds decode what a NOTIFY on the channel could carry: it never
// panics, and an event it accepts survives another round trip unchanged.
func FuzzDecode(f *testing.F) {
	full, err := encode(fullEvent())
	require.NoError(f, err)
	for _, seed := range []string{
		string(full),
		`{"v":1,"ref":42}`,
		`{"v" : 1, "ref" : 7}`,
		`{"v":2,"event":{"type":"typing"}}`,
		`{"v":1,"event":{"type":"typing"},"ref":3}`,
		`{"v":2,"ref":3}`,
		`{"v":1}`,
		`{"v":1,"ref":-1}`,
		`not json`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		e, ref, err := decode(payload)
		if err != nil {
			return
		}
		if ref != 0 {
			require.Positive(t, ref)
			return
		}
		again, err := encode(e)
		require.NoError(t, err)
		e2, ref2, err := decode(again)
		require.NoError(t, err)
		require.Zero(t, ref2)
		require.Equal(t, e, e2)
	})
}

func TestDecodeRefusesOtherVersions(t *testing.T) {
	t.Parallel()
	for _, payload := range []string{
		`{"v":2,"event":{"type":"typing","at":"2026-11-22T10:00:00Z"}}`,
		`{"event":{"type":"typing","at":"2026-11-22T10:00:00Z"}}`,
		`{"v":2,"ref":3}`,
		`{"ref":3}`,
	} {
		_, _, err := decode([]byte(payload))
		require.ErrorIs(t, err, relay.ErrVersion, payload)
	}
	_, ref, err := decode([]byte(`{"v":1,"ref":3}`))
	require.NoError(t, err)
	require.EqualValues(t, 3, ref)
}
