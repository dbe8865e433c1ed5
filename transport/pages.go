package transport

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// VisitorCookie is the cookie in which the widget keeps the visitor's
// token (the one the welcome gives it), on the whole site (Path=/), so
// that TrackPages knows the visitor of a page request. It carries nothing
// the widget's localStorage does not.
const VisitorCookie = "parley_visitor"

// trackedWindow is how close after a page TrackPages recorded the
// widget's report of the same page is taken for that page, and not stored
// again.
const trackedWindow = chat.VisitGap / 60

// pageKey is the context key of the page TrackPages is recording.
type pageKey struct{}

// trackedPage is what the shop's handler says of the page TrackPages is
// recording.
type trackedPage struct{ title string }

// SetPageTitle gives the title of the page being served, as agents see it
// in the visitor's page history, to TrackPages. Call it from a handler
// that TrackPages wraps, with the request's context, before the handler
// returns; the last call wins. A title longer than chat.MaxTitleBytes is
// cut to it. Outside TrackPages it does nothing.
func SetPageTitle(ctx context.Context, title string) {
	if p, ok := ctx.Value(pageKey{}).(*trackedPage); ok {
		p.title = cut(strings.ToValidUTF8(title, "\uFFFD"), chat.MaxTitleBytes)
	}
}

// cut returns the longest prefix of s, valid UTF-8, of at most n bytes.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// TrackPages wraps the shop's own page handler so that the pages it
// serves are recorded on the server, in the same page history and live
// visitor list as the pages the widget reports: the page's address (as
// the request names it, with the scheme of its connection), the title
// the handler gives with SetPageTitle, the referrer and the time. That
// works where the widget's script is blocked or not on the page, and
// costs no request besides the page's own: one store write, made before
// the page's response ends, and when the visitor is not listed yet, the
// reads that list them. A visitor with no connection stays on the live
// list for Config.PageStay after each page.
//
// A page is recorded when the request is a GET carrying the
// VisitorCookie of a stored visitor, and the handler answers it with a
// success status and an HTML body. The visitor of a customer the shop
// identified is recorded only when Config.IdentifyVisitor says the request
// is that customer's, so the pages of whoever uses a shared browser after
// a customer logged out never go into the customer's history. The widget's
// own report of a page that TrackPages recorded is not stored again.
func (s *Server) TrackPages(next http.Handler) http.Handler {
	s.tracking.Store(true)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		c, err := r.Cookie(VisitorCookie)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		at := s.cfg.Now()
		visitor, err := verifyVisitor(s.cfg.Secret, c.Value, at)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		page := &trackedPage{}
		rec := &pageRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), pageKey{}, page)))
		if !rec.recordable() {
			return
		}
		if err := s.recordPage(r, visitor, chat.PageView{VisitorID: visitor, URL: pageURL(r), Title: page.title, Referrer: r.Referer(), At: at}); err != nil {
			s.log.WarnContext(r.Context(), "transport: recording a page", "visitor", visitor, "err", err)
		}
	})
}

// recordPage stores a page view of the visitor whose cookie a page request
// carried, and shows it on the live list.
func (s *Server) recordPage(r *http.Request, visitor uuid.UUID, pv chat.PageView) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.cfg.WriteTimeout)
	defer cancel()
	v, err := s.desk.Visitor(ctx, visitor)
	if errors.Is(err, chat.ErrNotFound) {
		return nil // a token from a store that was reset
	}
	if err != nil {
		return err
	}
	if v.CustomerID != "" {
		if s.cfg.IdentifyVisitor == nil {
			return nil // nothing tells whose request it is
		}
		id, ok, err := s.cfg.IdentifyVisitor(r)
		if err != nil {
			return err
		}
		if !ok || id.CustomerID != v.CustomerID {
			return nil // not the customer's
		}
	}
	if len(pv.URL) > chat.MaxURLBytes {
		return nil
	}
	if len(pv.Referrer) > chat.MaxURLBytes {
		pv.Referrer = ""
	}
	pv.Referrer = strings.ToValidUTF8(pv.Referrer, "")
	pv, err = s.desk.RecordPageView(ctx, pv)
	if err != nil {
		return err
	}
	s.live.trackedPage(ctx, v, pv)
	return nil
}

// pageURL is the address of a page request: the scheme of its connection,
// the Host header and the request target.
func pageURL(r *http.Request) string {
	u := url.URL{Scheme: "http", Host: r.Host}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	return strings.ToValidUTF8(u.String()+r.URL.RequestURI(), "\uFFFD")
}

// samePage reports whether two page addresses name the same page: the
// same path and query, whatever the scheme and host (a proxy in front of
// the shop may change them).
func samePage(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.EscapedPath() == ub.EscapedPath() && ua.RawQuery == ub.RawQuery
}

// trackedAlready reports whether TrackPages recorded the page a widget
// reports, just before: the visitor's newest page view is of the same
// page, less than trackedWindow old.
func (ss *session) trackedAlready(ctx context.Context, pageURL string) (bool, error) {
	s := ss.srv
	if !s.tracking.Load() {
		return false, nil
	}
	views, err := s.desk.Store().PageViews(ctx, ss.visitor.ID, 1)
	if err != nil || len(views) == 0 {
		return false, err
	}
	last := views[0]
	return samePage(last.URL, pageURL) && s.cfg.Now().Sub(last.At) < trackedWindow, nil
}

// pageRecorder notes the status and type of the response it passes on.
type pageRecorder struct {
	http.ResponseWriter
	status int
	start  []byte // the body's first bytes, to sniff its type when the handler sets none
}

func (p *pageRecorder) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
	p.ResponseWriter.WriteHeader(code)
}

func (p *pageRecorder) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	if n := min(len(b), sniffLen-len(p.start)); n > 0 {
		p.start = append(p.start, b[:n]...)
	}
	return p.ResponseWriter.Write(b)
}

// sniffLen is how much of a body http.DetectContentType looks at.
const sniffLen = 512

// Flush passes a flush on, for handlers that stream.
func (p *pageRecorder) Flush() {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	_ = http.NewResponseController(p.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the writer underneath.
func (p *pageRecorder) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// recordable reports whether the response was a page: a success with an
// HTML body.
func (p *pageRecorder) recordable() bool {
	if p.status < 200 || p.status > 299 {
		return false
	}
	ct := p.Header().Get("Content-Type")
	if ct == "" {
		ct = http.DetectContentType(p.start) // as net/http does
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "text/html"
}
