package e2e_test

import (
	"fmt"
	"html/template"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// The shop's page cannot hide the widget or cover it by accident: page
// rules that hide every div, or every element, or the widget's own
// element, do not reach it, and neither does a cookie banner stacked at
// the highest z-index. The launcher stays visible and takes a real
// click, and the window it opens is on top too.
func TestWidgetSurvivesHostilePage(t *testing.T) {
	s := newShop(t, nil)
	cover := template.HTML(`<aside id="cover">We use cookies. <button>OK</button></aside>`)
	s.setPage("divs", page{Title: "Shop", Lang: "en", Body: cover, Style: `
		div { display: none !important; }
		#cover { position: fixed; inset: 0; z-index: 2147483647; background: rgba(0, 0, 0, .6); color: #fff; }`})
	s.setPage("everything", page{Title: "Shop", Lang: "en", Body: cover, Style: `
		* { visibility: hidden !important; }
		parley-chat, :not(:defined) { display: none !important; opacity: 0 !important; transform: scale(0) !important; }
		#cover { visibility: visible !important; position: fixed; inset: 0; z-index: 2147483647; background: rgba(0, 0, 0, .6); }`})
	for _, name := range []string{"divs", "everything"} {
		b := s.visitorTab("/shop/" + name)
		// The banner comes after the widget, as banners loaded late do, so
		// that at the same z-index it would be on top. A page script that
		// hides the widget's element by hand does not win either.
		b.do(chromedp.Evaluate[chromedp.Void](`document.body.append(document.getElementById("cover"));
			document.getElementById("parley-chat").style.setProperty("display", "none", "important")`))
		require.True(t, eval[bool](b, `document.elementFromPoint(innerWidth / 2, innerHeight / 2).id === "cover"`), "%s: the banner covers the page", name)
		at := eval[map[string]float64](b, `(() => { const r = `+w(".launcher")+`.getBoundingClientRect(); return {x: r.x + r.width / 2, y: r.y + r.height / 2, w: r.width}; })()`)
		require.Equal(t, 60.0, at["w"], "%s: the launcher's width", name)
		require.True(t, eval[bool](b, w(".launcher")+`.checkVisibility({opacityProperty: true, visibilityProperty: true})`), "%s: the launcher is visible", name)
		require.True(t, eval[bool](b, hitsWidget(at["x"], at["y"], ".launcher")), "%s: the launcher is on top at its centre", name)
		b.do(chromedp.MouseClickXY(at["x"], at["y"]))
		b.until(name+": a real click opens the window", `!`+w(".panel")+`.hidden`)
		panel := eval[map[string]float64](b, `(() => { const r = `+w(".panel")+`.getBoundingClientRect(); return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()`)
		require.True(t, eval[bool](b, hitsWidget(panel["x"], panel["y"], ".panel")), "%s: the window is on top", name)
	}
}

// hitsWidget is a JavaScript test that the point x, y of the viewport
// shows the widget's element matching sel, above everything of the page.
func hitsWidget(x, y float64, sel string) string {
	return fmt.Sprintf(`(() => {
		const host = document.getElementById("parley-chat");
		const hit = host.shadowRoot.elementFromPoint(%[1]g, %[2]g);
		return document.elementFromPoint(%[1]g, %[2]g) === host && !!hit && !!hit.closest(%[3]s);
	})()`, x, y, js(sel))
}
