package e2e_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The shop styles the widget through its custom properties and parts,
// and may give the launcher its own icon.
func TestWidgetStylingHooks(t *testing.T) {
	s := newShop(t, nil)
	s.setPage("x", page{Title: "Shop", Lang: "en", Widget: map[string]string{"launcher-icon": "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"}, Style: `
		parley-chat { --parley-accent: rgb(0, 100, 0); --parley-radius: 4px; --parley-font: monospace;
			--parley-text: rgb(10, 20, 30); --parley-background: rgb(250, 250, 240); }
		parley-chat::part(launcher) { width: 72px; height: 72px; }
		parley-chat::part(header) { letter-spacing: 1px; }`})
	b := s.visitorTab("/shop/x")
	b.click(w(".launcher"))
	b.until("the window opens", `!`+w(".panel")+`.hidden`)
	style := func(sel, prop string) string {
		return eval[string](b, `getComputedStyle(`+w(sel)+`).getPropertyValue(`+js(prop)+`)`)
	}
	require.Equal(t, "rgb(0, 100, 0)", style(".launcher", "background-color"))
	require.Equal(t, "rgb(0, 100, 0)", style(".panel header", "background-color"))
	require.Equal(t, "4px", style(".panel", "border-top-left-radius"))
	require.Equal(t, "monospace", style(".pw", "font-family"))
	require.Equal(t, "rgb(10, 20, 30)", style(".log", "color"))
	require.Equal(t, "rgb(250, 250, 240)", style(".panel", "background-color"))
	require.Equal(t, "72px", style(".launcher", "width"))
	require.Equal(t, "1px", style(".panel header", "letter-spacing"))
	require.Equal(t, "IMG", eval[string](b, w(".launcher .i-open")+`.tagName`), "the shop's icon")
}
