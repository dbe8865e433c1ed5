package transport

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/parleychat/parley/wire"
)

// maxLoggedOrigins bounds the refused origins a Server remembers having
// logged. When it is reached the memory is cleared, so an origin may be
// logged again after this many others.
const maxLoggedOrigins = 100

// originAllowed reports whether a browser request comes from the
// handler's own host or an allowed origin. Requests without Origin are
// not from a browser page on another site. A refused origin is logged
// the first time, with what it was compared with: behind a proxy that
// rewrites Host, every widget request is refused, and the log is where
// the shop finds out why.
func (s *Server) originAllowed(r *http.Request) bool {
	if s.originMatches(r) {
		return true
	}
	origin := r.Header.Get("Origin")
	s.mu.Lock()
	_, logged := s.refusedOrigins[origin]
	if !logged {
		if len(s.refusedOrigins) >= maxLoggedOrigins {
			clear(s.refusedOrigins)
		}
		s.refusedOrigins[origin] = struct{}{}
	}
	s.mu.Unlock()
	if !logged {
		s.log.Warn("transport: refused a request from a page of another origin; "+
			"behind a proxy that rewrites Host, add the site's host to Config.AllowedOrigins",
			"origin", origin, "host", r.Host, "x_forwarded_host", r.Header.Get("X-Forwarded-Host"),
			"allowed", s.cfg.AllowedOrigins, "path", r.URL.Path)
	}
	return false
}

// refuseOrigin answers a request whose origin is not allowed.
func refuseOrigin(w http.ResponseWriter) {
	writeHTTPError(w, http.StatusForbidden, &wire.ErrorBody{Code: wire.CodeUnauthorized, Message: "origin not allowed"})
}

// originMatches is the check of originAllowed.
func (s *Server) originMatches(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, p := range s.cfg.AllowedOrigins {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(target)); ok {
			return true
		}
	}
	return false
}
