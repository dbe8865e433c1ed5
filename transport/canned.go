package transport

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/parleychat/parley/chat"
)

// Limits of Config.CannedResponses.
const (
	MaxCannedResponses = 500
	MaxShortcutBytes   = 64
)

// CannedResponse is a reply agents insert by its shortcut instead of
// typing it. The agent console expands two placeholders in Text when it
// inserts it: {name} becomes the visitor's name and {agent} the agent's.
// The server sends the responses in the agent's welcome as they are.
type CannedResponse struct {
	// Shortcut is what the agent types to find the response, for example
	// "hello" or "delivery-time". 1 to MaxShortcutBytes bytes without
	// spaces, unique.
	Shortcut string `json:"shortcut"`
	// Text is the response, at most chat.MaxBodyBytes.
	Text string `json:"text"`
}

// checkCanned validates Config.CannedResponses.
func checkCanned(responses []CannedResponse) error {
	if len(responses) > MaxCannedResponses {
		return fmt.Errorf("Config.CannedResponses has %d responses, over the limit of %d", len(responses), MaxCannedResponses)
	}
	seen := make(map[string]bool, len(responses))
	for i, r := range responses {
		switch {
		case r.Shortcut == "" || len(r.Shortcut) > MaxShortcutBytes || !utf8.ValidString(r.Shortcut) ||
			strings.IndexFunc(r.Shortcut, unicode.IsSpace) >= 0:
			return fmt.Errorf("Config.CannedResponses[%d]: Shortcut must be 1 to %d bytes of UTF-8 without spaces", i, MaxShortcutBytes)
		case seen[r.Shortcut]:
			return fmt.Errorf("Config.CannedResponses[%d]: Shortcut %q is used twice", i, r.Shortcut)
		case strings.TrimSpace(r.Text) == "" || len(r.Text) > chat.MaxBodyBytes || !utf8.ValidString(r.Text) ||
			strings.IndexByte(r.Text, 0) >= 0:
			return fmt.Errorf("Config.CannedResponses[%d]: Text must be 1 to %d bytes of UTF-8 text", i, chat.MaxBodyBytes)
		}
		seen[r.Shortcut] = true
	}
	return nil
}
