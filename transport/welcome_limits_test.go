package transport_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/parleychat/parley/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The welcome tells both sides the sizes the server accepts, and they are
// exact: text of the limit is taken, one byte more is refused as invalid,
// and a refused address is named so a client can mark its field.
func TestWelcomeLimits(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		v := h.visitor(k)
		l := v.welcome.Limits
		require.NotNil(t, l, "the visitor's welcome carries the limits")
		require.Equal(t, l, h.agent(k, "olga").welcome.Limits, "the agent's welcome carries the same")

		// Two-byte letters, plus one ASCII byte to reach an odd limit.
		text := func(n int) string { return strings.Repeat("ж", n/2) + strings.Repeat("a", n%2) }
		email := func(n int) string { return strings.Repeat("a", n-len("@example.com")) + "@example.com" }
		start := func(name, email string) wire.ServerFrame {
			return v.request(wire.ClientFrame{Type: wire.FrameStart, ConversationID: uuid.New(), Name: name, Email: email})
		}
		refused := func(f wire.ServerFrame, field string) {
			t.Helper()
			require.Equal(t, wire.FrameError, f.Type)
			assert.Equal(t, wire.CodeInvalid, f.Error.Code, f.Error.Message)
			assert.Equal(t, field, f.Error.Field, f.Error.Message)
		}

		require.Equal(t, wire.FrameStarted, start(text(l.Name), email(l.Email)).Type, "a name and an address of the limit")
		refused(start(text(l.Name+1), ""), "")
		refused(start("", email(l.Email+1)), "")
		refused(start("Anna", "anna.@example.com"), "email")

		conv := v.start("")
		send := func(key, body string) wire.ServerFrame {
			return v.request(wire.ClientFrame{Type: wire.FrameSend, ConversationID: conv.ID, Key: key, Body: body})
		}
		require.Equal(t, wire.FrameAck, send("at", text(l.Body)).Type, "a body of the limit")
		f := send("over", text(l.Body+1))
		require.Equal(t, wire.FrameError, f.Type)
		assert.Equal(t, wire.CodeInvalid, f.Error.Code)
		refused(v.request(wire.ClientFrame{Type: wire.FrameTranscript, ConversationID: conv.ID, Email: "anna.@example.com"}), "email")
	})
}
