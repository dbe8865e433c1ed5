package transport_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// logCapture is a slog.Handler that keeps every record.
type logCapture struct {
	mu      sync.Mutex
	records []slog.Record
}

func (c *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCapture) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *logCapture) WithGroup(string) slog.Handler            { return c }

func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, r.Clone())
	return nil
}

// matching returns the attributes of the records whose message contains
// text.
func (c *logCapture) matching(text string) []map[string]slog.Value {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]slog.Value
	for _, r := range c.records {
		if !strings.Contains(r.Message, text) {
			continue
		}
		attrs := map[string]slog.Value{"level": slog.StringValue(r.Level.String())}
		r.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value
			return true
		})
		out = append(out, attrs)
	}
	return out
}

// proxy serves a reverse proxy in front of backend that rewrites Host to
// the backend's, as many proxies do, and says so in X-Forwarded-Host; or,
// with keepHost, passes the browser's Host on.
func proxy(t *testing.T, backend *atomic.Pointer[url.URL], keepHost bool) *httptest.Server {
	t.Helper()
	p := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(backend.Load())
		pr.SetXForwarded()
		if keepHost {
			pr.Out.Host = pr.In.Host
		}
	}})
	t.Cleanup(p.Close)
	return p
}

// TestRefusedOriginsAreLogged puts the server behind a proxy that
// rewrites Host: the widget's requests come from the proxy's origin and
// are refused, and each refused origin is logged once, over WebSocket and
// SSE, with what it was compared with. Listing the proxy's host in
// AllowedOrigins lets them in.
func TestRefusedOriginsAreLogged(t *testing.T) {
	var backend atomic.Pointer[url.URL]
	front := proxy(t, &backend, false)
	logs := &logCapture{}
	h := newHarness(t, func(c *transport.Config) {
		c.Logger = slog.New(logs)
		c.AllowedOrigins = []string{"shop.example.com"}
	})
	backendURL, err := url.Parse(h.url)
	require.NoError(t, err)
	backend.Store(backendURL)
	wsURL := "ws" + strings.TrimPrefix(front.URL, "http") + "/chat/ws"
	dial := func(origin string) (*http.Response, error) {
		c, resp, err := websocket.Dial(t.Context(), wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
		if err == nil {
			c.CloseNow()
		}
		return resp, err
	}
	hello := func(origin string) int {
		req, _ := http.NewRequest(http.MethodPost, front.URL+"/chat/sse", strings.NewReader(`{"type":"hello","v":1}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}

	page := front.URL // the shop's page, served through the proxy
	for range 2 {
		resp, err := dial(page)
		require.Error(t, err, "the proxied WebSocket is refused")
		require.NotNil(t, resp)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		var f wire.ServerFrame
		require.NoError(t, decodeJSON(resp, &f), "the refusal is an error frame")
		assert.Equal(t, wire.CodeUnauthorized, f.Error.Code)
	}
	other := "https://other.example"
	assert.Equal(t, http.StatusForbidden, hello(other))
	assert.Equal(t, http.StatusForbidden, hello(other))

	frontURL, err := url.Parse(front.URL)
	require.NoError(t, err)
	logged := logs.matching("another origin")
	require.Len(t, logged, 2, "each refused origin is logged once, over either transport")
	for i, origin := range []string{page, other} {
		l := logged[i]
		assert.Equal(t, slog.LevelWarn.String(), l["level"].String())
		assert.Equal(t, origin, l["origin"].String())
		assert.Equal(t, backendURL.Host, l["host"].String(), "the Host the proxy sent")
		assert.Equal(t, frontURL.Host, l["x_forwarded_host"].String())
		assert.Equal(t, []string{"shop.example.com"}, l["allowed"].Any())
	}

	// The remedy the log names: the site's host in AllowedOrigins.
	fixed := newHarness(t, func(c *transport.Config) { c.AllowedOrigins = []string{frontURL.Host} })
	fixedURL, err := url.Parse(fixed.url)
	require.NoError(t, err)
	backend.Store(fixedURL)
	_, err = dial(page)
	assert.NoError(t, err, "with the proxy's host allowed, the WebSocket connects through the proxy")
	assert.Equal(t, http.StatusOK, hello(page))

	// The other remedy: a proxy that passes the browser's Host on.
	var plain atomic.Pointer[url.URL]
	plain.Store(backendURL)
	kept := proxy(t, &plain, true)
	c, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(kept.URL, "http")+"/chat/ws",
		&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {kept.URL}}})
	require.NoError(t, err, "a proxy that keeps Host needs no AllowedOrigins")
	c.CloseNow()
	assert.Len(t, logs.matching("another origin"), 2, "nothing more was refused")
}
