package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/transport"
)

// One browser serves the whole test binary; each test opens its own
// browser contexts (separate cookies and storage) in it.
var (
	browser   context.Context
	noBrowser string
)

// wait bounds every wait for something the page should show.
const wait = 15 * time.Second

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	path := chromiumPath()
	if path == "" {
		if os.Getenv("PARLEY_REQUIRE_BROWSER") != "" {
			fmt.Fprintln(os.Stderr, "e2e: PARLEY_REQUIRE_BROWSER is set but there is no chromium binary; install the Debian package chromium")
			return 1
		}
		noBrowser = "no chromium binary; install the Debian package chromium (apt-get install chromium) to run the browser tests"
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "parley-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.DisableGPU, chromedp.UserDataDir(dir), chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true), chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("mute-audio", true))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: starting chromium:", err)
		return 1
	}
	browser = bctx
	return m.Run()
}

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

var testSecret = []byte("e2e-secret-0123456789abcdef-0123456789")

// shop is a shop's web app with Parley mounted: product pages that load
// the widget, a staff login, and the console behind it.
type shop struct {
	t    *testing.T
	desk *chat.Desk
	srv  *transport.Server
	url  string
	net  *cutListener
	http *http.Server
	ws   atomic.Int64 // WebSocket requests
	sse  atomic.Int64 // SSE requests

	mu    sync.Mutex
	pages map[string]page
}

// page is a shop page: its title, <html lang> and the widget tag's data-
// attributes.
type page struct {
	Title  string
	Lang   string
	Widget map[string]string
	Next   string        // the path a link on the page leads to
	Style  template.CSS  // more of the page's own styles
	Body   template.HTML // more of the page's own markup, after the link
}

// mailbox is the shop's mail as far as the tests care: a chat.Notifier
// that keeps what it is asked to send.
type mailbox struct {
	mu      sync.Mutex
	notices []chat.Notice
}

func (m *mailbox) Notify(_ context.Context, n chat.Notice) error {
	if n.To.Email == "" {
		return fmt.Errorf("%w: no address", chat.ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.notices = append(m.notices, n)
	return nil
}

// sent returns the notices of a kind sent so far.
func (m *mailbox) sent(kind chat.NoticeKind) []chat.Notice {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []chat.Notice
	for _, n := range m.notices {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// shopConfig is what a test may change about the shop: the Desk's and
// the Server's configuration, and the agents' capacity.
type shopConfig struct {
	Desk     chat.Config
	Server   transport.Config
	Capacity int
	// Routes adds the shop's own endpoints, such as its cart, to the mux.
	Routes func(*http.ServeMux)
}

func newShop(t *testing.T, store chat.Store, configure ...func(*shopConfig)) *shop {
	t.Helper()
	if noBrowser != "" {
		t.Skip(noBrowser)
	}
	t.Parallel()
	if store == nil {
		store = memory.New()
	}
	var sc shopConfig
	sc.Desk.Store = store
	for _, c := range configure {
		c(&sc)
	}
	desk, err := chat.NewDesk(sc.Desk)
	require.NoError(t, err)
	cfg := sc.Server
	cfg.Desk = desk
	cfg.Secret = testSecret
	cfg.AgentGracePeriod = -1
	cfg.AuthenticateAgent = func(r *http.Request) (chat.Agent, error) {
		c, err := r.Cookie("staff")
		if err != nil || c.Value == "" {
			return chat.Agent{}, errors.New("not logged in")
		}
		return chat.Agent{ID: c.Value, Name: strings.ToUpper(c.Value[:1]) + c.Value[1:], Capacity: sc.Capacity}, nil
	}
	srv, err := transport.New(cfg)
	require.NoError(t, err)
	s := &shop{t: t, desk: desk, srv: srv, pages: map[string]page{}}
	mux := http.NewServeMux()
	// Count the requests of each transport, to tell which one a client used.
	count := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/sse") {
				s.sse.Add(1)
			} else if strings.HasSuffix(r.URL.Path, "/ws") {
				s.ws.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	}
	mux.Handle("/chat/", count(http.StripPrefix("/chat", srv.VisitorHandler())))
	mux.Handle("/staff/chat/", count(http.StripPrefix("/staff/chat", srv.AgentHandler())))
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "staff", Value: r.URL.Query().Get("as"), Path: "/"})
		http.Redirect(w, r, "/staff/chat/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /shop/{page}", s.servePage)
	// The shop's customers log in and out here, with a session cookie
	// that a test's Config.IdentifyVisitor may read (see customerSession).
	mux.HandleFunc("GET /account/login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "customer", Value: r.URL.Query().Get("as"), Path: "/", HttpOnly: true})
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /account/logout", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "customer", Path: "/", MaxAge: -1})
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusSeeOther)
	})
	if sc.Routes != nil {
		sc.Routes(mux)
	}
	hs := httptest.NewUnstartedServer(mux)
	s.net = &cutListener{Listener: hs.Listener}
	hs.Listener = s.net
	hs.Start()
	s.url, s.http = hs.URL, hs.Config
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		_ = srv.Shutdown(ctx)
		hs.Close()
		_ = desk.Close(context.Background())
	})
	return s
}

// setPage defines the page at /shop/{name}.
func (s *shop) setPage(name string, p page) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[name] = p
}

// pageHTML is a shop page with styles that would wreck a widget that is
// not isolated from them.
var pageHTML = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: serif; background: #fafaf5; margin: 40px; }
button, textarea, p, div { font-size: 30px !important; background: #f0f !important; }
{{.Style}}
</style></head>
<body><h1>{{.Title}}</h1><p>Our finest products.</p>{{if .Next}}<a id="next" href="{{.Next}}">Next page</a>{{end}}{{.Body}}
<script src="/chat/widget.js" async{{.Attrs}}></script>
</body></html>`))

func (s *shop) servePage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p, ok := s.pages[r.PathValue("page")]
	s.mu.Unlock()
	if !ok {
		p = page{Title: "Product " + r.PathValue("page"), Lang: "en"}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// html/template refuses attribute names it cannot vet, such as
	// data-phone-hours; the test's own names are safe.
	var attrs strings.Builder
	for _, k := range slices.Sorted(maps.Keys(p.Widget)) {
		fmt.Fprintf(&attrs, ` data-%s="%s"`, k, html.EscapeString(p.Widget[k]))
	}
	_ = pageHTML.Execute(w, struct {
		page
		Attrs template.HTMLAttr
	}{p, template.HTMLAttr(attrs.String())})
}

// cutListener is the shop's listener with a switch that cuts the network:
// every open connection is closed and new ones are refused, as when a
// visitor's train enters a tunnel.
type cutListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
	down  bool
}

func (l *cutListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		if l.down {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.conns = append(l.conns, c)
		l.mu.Unlock()
		return c, nil
	}
}

// setDown cuts the network, or brings it back.
func (l *cutListener) setDown(down bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down = down
	if down {
		for _, c := range l.conns {
			c.Close()
		}
		l.conns = nil
	}
}

// stop stops the shop's server as when its process ends: the listener
// is closed (connections are refused) and every open connection with it.
func (s *shop) stop() {
	s.t.Helper()
	l := s.net
	l.mu.Lock()
	defer l.mu.Unlock()
	require.NoError(s.t, l.Listener.Close())
	for _, c := range l.conns {
		c.Close()
	}
	l.conns = nil
}

// restart listens again on the stopped server's port and serves on it.
func (s *shop) restart() {
	s.t.Helper()
	ln, err := net.Listen("tcp", s.net.Addr().String())
	require.NoError(s.t, err, "listening again on the same port")
	l := &cutListener{Listener: ln}
	s.net = l
	s.t.Cleanup(func() { _ = ln.Close() })
	go func() { _ = s.http.Serve(l) }()
}

// tab is one browser tab in a browser context of its own.
type tab struct {
	t   *testing.T
	ctx context.Context
}

func (s *shop) newTab() *tab {
	s.t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	s.t.Cleanup(cancel)
	// Without motion, screenshots never catch a window half faded in.
	reduceMotion := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}})
		return err
	})
	require.NoError(s.t, chromedp.Do(ctx, reduceMotion), "opening a tab")
	// The page's console goes into the log of a failed test.
	var mu sync.Mutex
	var lines []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			lines = append(lines, m.String())
			mu.Unlock()
		}
	}()
	s.t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if s.t.Failed() && len(lines) > 0 {
			s.t.Logf("browser console:\n%s", strings.Join(lines, "\n"))
		}
	})
	return &tab{t: s.t, ctx: ctx}
}

// do runs actions with a deadline.
func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, actions...))
}

func (b *tab) open(url string) { b.t.Helper(); b.do(chromedp.Navigate(url)) }

// eval evaluates a JavaScript expression and decodes its value into T.
func eval[T any](b *tab, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(b.t, err, "evaluating %s", js)
	return v
}

// until waits for a JavaScript condition to hold; what says what was
// expected, for the failure message. It polls, so it survives the page
// navigating and elements that do not exist yet.
func (b *tab) until(what, js string) {
	b.t.Helper()
	deadline := time.Now().Add(wait)
	var last error
	for {
		ctx, cancel := context.WithTimeout(b.ctx, time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+js+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting until %s: timed out (%s); last error: %v", what, js, last)
		}
		time.Sleep(50 * time.Millisecond) // the polling interval
	}
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// w is a JavaScript expression for the first element in the widget's
// shadow root that matches a CSS selector.
func w(sel string) string {
	return `document.getElementById("parley-chat").shadowRoot.querySelector(` + js(sel) + `)`
}

// wAll is the texts of every element in the widget that matches sel.
func wAll(sel string) string {
	return `Array.from(document.getElementById("parley-chat").shadowRoot.querySelectorAll(` + js(sel) + `), e => e.textContent)`
}

// cAll is the texts of every element of the console that matches sel.
func cAll(sel string) string {
	return `Array.from(document.querySelectorAll(` + js(sel) + `), e => e.textContent)`
}

// widgetReady waits for the widget to connect.
func (b *tab) widgetReady() {
	b.t.Helper()
	b.until("the widget is connected", `window.Parley && Parley.language && document.getElementById("parley-chat") && `+w(".status")+`.textContent === ""`)
}

// next follows the page's "Next page" link and waits until the page at
// path has loaded, so that what follows does not see the old page.
func (b *tab) next(path string) {
	b.t.Helper()
	b.click(`document.getElementById("next")`)
	b.until("the next page loads", `location.pathname === `+js(path)+` && document.readyState === "complete"`)
}

// reloadWidget takes the widget off the page and loads it again with
// data-lang set to lang, after the page has added the translations
// i18n (a JavaScript object literal) under that key.
func (b *tab) reloadWidget(lang, i18n string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`
		document.getElementById("parley-chat").remove();
		delete Parley.open;
		Parley.i18n[` + js(lang) + `] = ` + i18n + `;
		const s = document.createElement("script");
		s.src = "/chat/widget.js"; s.dataset.lang = ` + js(lang) + `;
		document.body.append(s);`))
}

// say writes a message into the widget and presses Enter, as a visitor.
// The text is pasted rather than typed key by key, which is slow.
func (b *tab) say(text string) {
	b.t.Helper()
	sel := chromedp.JSPath(w("#pw-input"))
	b.do(chromedp.Click(sel), chromedp.SetValue(sel, text), enter)
}

// enter presses Enter without the char event that SendKeys adds, which
// would type a line break after the page has handled the keydown.
var enter = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
		})
		if err != nil {
			return err
		}
	}
	return nil
})

// click clicks the element a JavaScript expression gives.
func (b *tab) click(expr string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.JSPath(expr)))
}

// login opens the console as an agent.
func (b *tab) login(s *shop, agent string) {
	b.t.Helper()
	b.open(s.url + "/login?as=" + agent)
	b.until("the console is connected", `document.getElementById("me-name").textContent !== ""`)
}

// agentTab opens a tab in which agent is logged in to the console.
func (s *shop) agentTab(agent string) *tab {
	s.t.Helper()
	b := s.newTab()
	b.login(s, agent)
	return b
}

// visitorTab opens a tab on a shop page and waits for its widget.
func (s *shop) visitorTab(path string) *tab {
	s.t.Helper()
	b := s.newTab()
	b.open(s.url + path)
	b.widgetReady()
	return b
}

// ask opens the widget and sends text.
func (b *tab) ask(text string) {
	b.t.Helper()
	b.click(w(".launcher"))
	b.say(text)
}

// goAway sets the console's agent away.
func (b *tab) goAway() {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS("#presence"), "away"))
	_ = eval[bool](b, `document.getElementById("presence").dispatchEvent(new Event("change"))`)
	b.until("the agent is away", `document.body.dataset.presence === "away"`)
}

// reply writes into the console's composer and presses Enter.
func (b *tab) reply(text string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS("#input")), chromedp.SetValue(chromedp.CSS("#input"), text), enter)
}

// screenshot saves the viewport to docs/images/name.png when
// PARLEY_SCREENSHOTS is set.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	if os.Getenv("PARLEY_SCREENSHOTS") == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(b.t, err)
	require.NoError(b.t, os.WriteFile(filepath.Join("..", "docs", "images", name+".png"), png, 0o644))
}
