package transport_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// shopPages serves the test shop's own pages wrapped in TrackPages:
// /p/{name} is an HTML page titled after its name, /api/cart is JSON,
// /missing is a 404 page, and /plain is HTML whose type net/http sniffs.
func shopPages(t *testing.T, h *harness) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /p/{name}", func(w http.ResponseWriter, r *http.Request) {
		transport.SetPageTitle(r.Context(), "Product "+r.PathValue("name"))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!doctype html><title>"+r.PathValue("name")+"</title>")
	})
	mux.HandleFunc("GET /plain", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "<!doctype html><p>sniffed")
	})
	mux.HandleFunc("POST /p/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<p>posted")
	})
	mux.HandleFunc("GET /api/cart", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"items":2}`)
	})
	mux.HandleFunc("GET /missing", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "<p>not here")
	})
	hs := httptest.NewServer(h.srv.TrackPages(mux))
	t.Cleanup(hs.Close)
	return hs.URL
}

// open requests a shop page as a browser with these cookies would, and
// returns its status.
func open(t *testing.T, method, url, referrer string, cookies ...string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	require.NoError(t, err)
	if len(cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(cookies, "; "))
	}
	if referrer != "" {
		req.Header.Set("Referer", referrer)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func parleyCookie(token string) string { return transport.VisitorCookie + "=" + token }

func pageViews(t *testing.T, h *harness, visitor uuid.UUID) []chat.PageView {
	t.Helper()
	views, err := h.store.PageViews(t.Context(), visitor, chat.MaxPageSize)
	require.NoError(t, err)
	return views
}

// pagesOnly serves the shop's pages for a visitor who connected once and
// left the live list (visitors leave at once), and an agent "olga"
// watching the list. The visitor's closed client holds their token.
func pagesOnly(t *testing.T, configure func(*transport.Config)) (h *harness, shop string, v, agent *client) {
	t.Helper()
	h = sessionHarness(t, func(c *transport.Config) { c.VisitorGracePeriod = -1 }, configure)
	shop = shopPages(t, h)
	v = h.visitor(ws)
	v.close()
	agent = h.agent(ws, "olga")
	waitUnlisted(t, h, v.welcome.Visitor.ID)
	return h, shop, v, agent
}

// The shop's own pages are recorded on the server for a visitor with
// Parley's cookie, and put them on the agents' live list with no
// connection at all, as when the widget's script is blocked; requests
// that are not pages are not.
func TestTrackPages(t *testing.T) {
	h, shop, v, agent := pagesOnly(t, func(c *transport.Config) {})
	id := v.welcome.Visitor.ID

	cookie := parleyCookie(v.welcome.Token)
	require.Equal(t, http.StatusOK, open(t, http.MethodGet, shop+"/p/kettle?colour=blue", "https://search.example/?q=kettle", cookie))
	views := pageViews(t, h, id)
	require.Len(t, views, 1, "the page is stored before its response ends")
	assert.Equal(t, shop+"/p/kettle?colour=blue", views[0].URL)
	assert.Equal(t, "Product kettle", views[0].Title, "with the title the shop gave")
	assert.Equal(t, "https://search.example/?q=kettle", views[0].Referrer)
	assert.WithinDuration(t, views[0].At, v.welcome.Visitor.CreatedAt, wait)

	st := agent.expectVisitor(id, func(st wire.VisitorState) bool { return st.Page != nil })
	assert.Equal(t, shop+"/p/kettle?colour=blue", st.Page.URL, "the visitor is listed with the page, with no connection")
	assert.Equal(t, "Product kettle", st.Page.Title)

	open(t, http.MethodGet, shop+"/plain", "", cookie)
	agent.expectVisitor(id, func(st wire.VisitorState) bool { return st.Page != nil && st.Page.URL == shop+"/plain" })

	for _, tc := range []struct {
		name   string
		method string
		path   string
		cookie string
	}{
		{"a POST", http.MethodPost, "/p/kettle", cookie},
		{"JSON", http.MethodGet, "/api/cart", cookie},
		{"a 404", http.MethodGet, "/missing", cookie},
		{"no cookie", http.MethodGet, "/p/mug", ""},
		{"a forged cookie", http.MethodGet, "/p/mug", parleyCookie(v.welcome.Token[:10] + "x" + v.welcome.Token[11:])},
	} {
		var cookies []string
		if tc.cookie != "" {
			cookies = append(cookies, tc.cookie)
		}
		open(t, tc.method, shop+tc.path, "", cookies...)
		assert.Len(t, pageViews(t, h, id), 2, "%s is not recorded", tc.name)
	}

	// The widget connects on the page TrackPages recorded and reports it
	// too: it is not stored twice.
	back := h.visitor(ws, clientOptions{token: v.welcome.Token})
	open(t, http.MethodGet, shop+"/p/teapot", "", cookie)
	back.page("https://shop.example/p/teapot")
	back.page(shop + "/p/cups")
	urls := []string{}
	for _, p := range pageViews(t, h, id) {
		urls = append(urls, p.URL)
	}
	assert.Equal(t, []string{shop + "/p/kettle?colour=blue", shop + "/plain", shop + "/p/teapot", shop + "/p/cups"}, urls,
		"the widget's report of a recorded page is not stored again; its other pages are")
}

// A customer's visitor is tracked only on the customer's own requests:
// after the customer logs out, or another one logs in, the browser still
// carries the cookie, but nothing goes into the customer's history.
func TestTrackPagesFollowsTheSession(t *testing.T) {
	h := sessionHarness(t)
	shop := shopPages(t, h)
	anna := h.visitor(ws, clientOptions{cookie: loggedIn("anna")})
	cookie := parleyCookie(anna.welcome.Token)

	open(t, http.MethodGet, shop+"/p/kettle", "", cookie, loggedIn("anna"))
	require.Len(t, pageViews(t, h, anna.welcome.Visitor.ID), 1, "the customer's own page")
	open(t, http.MethodGet, shop+"/p/secret-gift", "", cookie)
	open(t, http.MethodGet, shop+"/p/secret-gift", "", cookie, loggedIn("bob"))
	assert.Len(t, pageViews(t, h, anna.welcome.Visitor.ID), 1, "no page of anyone else")

	withTokens := newHarness(t)
	tokenShop := shopPages(t, withTokens)
	signed := withTokens.visitor(ws, clientOptions{identity: signIdentity(t, "c-anna", "Anna")})
	open(t, http.MethodGet, tokenShop+"/p/kettle", "", parleyCookie(signed.welcome.Token))
	assert.Empty(t, pageViews(t, withTokens, signed.welcome.Visitor.ID),
		"without IdentifyVisitor nothing tells whose request it is: a customer's pages are not tracked")
}

// A visitor seen only through their pages leaves the live list
// Config.PageStay after the last one.
func TestTrackPagesStay(t *testing.T) {
	_, shop, v, agent := pagesOnly(t, func(c *transport.Config) { c.PageStay = 300 * time.Millisecond })
	id := v.welcome.Visitor.ID

	open(t, http.MethodGet, shop+"/p/kettle", "", parleyCookie(v.welcome.Token))
	agent.expectVisitor(id, func(st wire.VisitorState) bool { return st.Page != nil })
	agent.expect(func(f wire.ServerFrame) bool { return f.Type == wire.FrameVisitorLeft && f.VisitorID == id })
}
