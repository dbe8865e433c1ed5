package transport_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// TestAgentWelcomeCarriesConsoleSettings checks that an agent's welcome
// brings the canned responses and the long-wait threshold, and a
// visitor's does not.
func TestAgentWelcomeCarriesConsoleSettings(t *testing.T) {
	canned := []wire.CannedResponse{
		{Shortcut: "hello", Text: "Hello {name}, this is {agent}. How can I help?"},
		{Shortcut: "delivery", Text: "Orders placed before 14:00 ship the same day."},
	}
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t, func(c *transport.Config) {
			c.CannedResponses = canned
			c.WaitWarning = 90 * time.Second
		})
		agent := h.agent(k, "olga")
		assert.Equal(t, canned, agent.welcome.Canned)
		assert.Equal(t, int64(90_000), agent.welcome.WaitWarningMS)
		v := h.visitor(k)
		assert.Empty(t, v.welcome.Canned, "visitors do not get the agents' settings")
		assert.Zero(t, v.welcome.WaitWarningMS)
	})
	h := newHarness(t)
	assert.Equal(t, transport.DefaultWaitWarning.Milliseconds(), h.agent(ws, "olga").welcome.WaitWarningMS, "the default threshold")
}

func TestCannedResponsesValidated(t *testing.T) {
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	require.NoError(t, err)
	for name, cfg := range map[string]transport.Config{
		"no shortcut":           {CannedResponses: []wire.CannedResponse{{Text: "Hi"}}},
		"shortcut with a space": {CannedResponses: []wire.CannedResponse{{Shortcut: "say hi", Text: "Hi"}}},
		"duplicate shortcut":    {CannedResponses: []wire.CannedResponse{{Shortcut: "a", Text: "Hi"}, {Shortcut: "a", Text: "Ho"}}},
		"blank text":            {CannedResponses: []wire.CannedResponse{{Shortcut: "a", Text: " "}}},
		"long text":             {CannedResponses: []wire.CannedResponse{{Shortcut: "a", Text: strings.Repeat("x", chat.MaxBodyBytes+1)}}},
		"too many":              {CannedResponses: make([]wire.CannedResponse, transport.MaxCannedResponses+1)},
		"negative wait":         {WaitWarning: -time.Second},
	} {
		cfg.Desk, cfg.Secret = desk, testSecret
		_, err := transport.New(cfg)
		assert.ErrorIs(t, err, chat.ErrInvalid, name)
	}
}
