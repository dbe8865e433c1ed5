package transport_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The widget and the console are served from the module itself, with
// caching by ETag, gzip, and the console behind the agents' authentication.
func TestUIAssets(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	get := func(path string, header map[string]string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, h.url+path, nil)
		require.NoError(t, err)
		req.Header.Set("Accept-Encoding", "identity")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultTransport.RoundTrip(req)
		require.NoError(t, err)
		t.Cleanup(func() { res.Body.Close() })
		return res
	}

	res := get("/chat/widget.js", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "text/javascript; charset=utf-8", res.Header.Get("Content-Type"))
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Contains(t, string(body), "function parleyConnect(", "the connection code is inside")
	require.Contains(t, string(body), "PARLEY_WIDGET_CSS", "the stylesheet is inside")

	etag := res.Header.Get("ETag")
	require.NotEmpty(t, etag)
	require.Equal(t, http.StatusNotModified, get("/chat/widget.js", map[string]string{"If-None-Match": etag}).StatusCode)

	gz := get("/chat/widget.js", map[string]string{"Accept-Encoding": "gzip"})
	require.Equal(t, "gzip", gz.Header.Get("Content-Encoding"))
	zipped, err := io.ReadAll(gz.Body)
	require.NoError(t, err)
	require.Less(t, len(zipped), 30<<10, "the widget stays under 30 KiB gzipped")
	zr, err := gzip.NewReader(strings.NewReader(string(zipped)))
	require.NoError(t, err)
	unzipped, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.Equal(t, body, unzipped)
	t.Logf("widget.js: %d bytes, %d gzipped", len(body), len(zipped))

	require.Equal(t, http.StatusNotFound, get("/chat/console.js", nil).StatusCode, "visitors get no console")
	require.Equal(t, http.StatusUnauthorized, get("/staff/chat/", nil).StatusCode, "the console needs an agent")
	require.Equal(t, http.StatusUnauthorized, get("/staff/chat/console.js", nil).StatusCode)

	agent := map[string]string{"X-Test-Agent": "olga"}
	page := get("/staff/chat/", agent)
	require.Equal(t, http.StatusOK, page.StatusCode)
	require.Equal(t, "text/html; charset=utf-8", page.Header.Get("Content-Type"))
	require.Contains(t, page.Header.Get("Content-Security-Policy"), "script-src 'self'")
	html, err := io.ReadAll(page.Body)
	require.NoError(t, err)
	require.Contains(t, string(html), `<script src="console.js" defer></script>`)
	for path, typ := range map[string]string{"/staff/chat/console.js": "text/javascript; charset=utf-8", "/staff/chat/console.css": "text/css; charset=utf-8"} {
		res := get(path, agent)
		require.Equal(t, http.StatusOK, res.StatusCode, path)
		require.Equal(t, typ, res.Header.Get("Content-Type"), path)
	}
	require.Equal(t, http.StatusNotFound, get("/staff/chat/nothing", agent).StatusCode)
}
