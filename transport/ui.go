package transport

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The web clients ship inside the module: the visitors' widget and the
// agents' console are plain JavaScript and CSS files under ui/, embedded at
// build time and served by the handlers. No build step, no CDN.
//
//go:embed ui
var uiFiles embed.FS

// asset is one embedded file ready to serve, with its gzip form.
type asset struct {
	body, gz    []byte
	contentType string
	etag        string
}

// uiFile returns one embedded file.
func uiFile(name string) []byte {
	b, err := uiFiles.ReadFile("ui/" + name)
	if err != nil {
		panic("transport: missing embedded file " + name) // the embed directive guarantees it
	}
	return b
}

// uiScript joins a client's scripts into one: the shared DOM helpers and
// connection code, and the client, in a function scope so that they add no globals. The
// widget also gets its translations (which the page may extend through
// window.Parley.i18n) and its stylesheet as a string, so that a shop page
// loads the whole widget with one request. The console gets the widget's
// translation function and its own texts, window.Parley.consoleI18n.
func uiScript(widget bool) []byte {
	var b bytes.Buffer
	b.Write(uiFile("i18n.js"))
	if !widget {
		b.Write(uiFile("console_i18n.js"))
	}
	b.WriteString("(function () {\n")
	if widget {
		css, _ := json.Marshal(string(uiFile("widget.css")))
		fmt.Fprintf(&b, "var PARLEY_WIDGET_CSS = %s;\n", css)
	}
	b.Write(uiFile("dom.js"))
	b.Write(uiFile("conn.js"))
	b.Write(uiFile("files.js"))
	if widget {
		b.Write(uiFile("widget.js"))
	} else {
		b.Write(uiFile("console.js"))
	}
	b.WriteString("})();\n")
	return b.Bytes()
}

// compactJS drops what a browser does not need from a script: the
// indentation, and lines that are only a comment. Line breaks stay, so
// what remains parses as the source did (no statement ends elsewhere)
// and errors in the browser name the same code. The sources use no
// template literals, whose lines this would change.
func compactJS(src []byte) []byte {
	var b bytes.Buffer
	for line := range bytes.Lines(src) {
		line = bytes.TrimLeft(line, " \t")
		if !bytes.HasPrefix(line, []byte("//")) {
			b.Write(line)
		}
	}
	return b.Bytes()
}

// newAsset prepares body for serving.
func newAsset(contentType string, body []byte) asset {
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	sum := sha256.Sum256(body)
	return asset{body: body, gz: gz.Bytes(), contentType: contentType, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

// consoleCSP keeps the console to its own scripts and styles: a message
// that somehow reached the page as markup still could not run.
const consoleCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; media-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"

// serve answers with the asset, gzipped when the client accepts it, and
// revalidated by ETag so that a new release reaches browsers at once.
func (a asset) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	if strings.HasPrefix(a.contentType, "text/html") {
		h.Set("Content-Security-Policy", consoleCSP)
		h.Set("Referrer-Policy", "same-origin")
	}
	body := a.body
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// handleUI adds the web client of one side to mux: the widget for
// visitors, the console for agents.
func handleUI(mux *http.ServeMux, agents bool) {
	const js = "text/javascript; charset=utf-8"
	add := func(path string, a asset) { mux.HandleFunc("GET "+path, a.serve) }
	if !agents {
		add("/widget.js", newAsset(js, compactJS(uiScript(true))))
		return
	}
	add("/{$}", newAsset("text/html; charset=utf-8", uiFile("console.html")))
	add("/console.js", newAsset(js, uiScript(false)))
	add("/console.css", newAsset("text/css; charset=utf-8", uiFile("console.css")))
}
