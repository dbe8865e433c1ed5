package transport

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// Limits of Config.CannedResponses.
const (
	MaxCannedResponses = 500
	MaxShortcutBytes   = 64
)

// checkCanned validates Config.CannedResponses.
func checkCanned(responses []wire.CannedResponse) error {
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
