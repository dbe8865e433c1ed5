package main

import (
	"net/http"

	"github.com/parleychat/parley/transport"
)

// identifyVisitor is the chat's transport.Config.IdentifyVisitor: the
// visitor is the customer logged in to the shop's session, read on the
// server from the session cookie of the chat's own request. Nothing goes
// into the pages for it, so there is nothing a browser could forge, and a
// logout or another customer's login shows in the chat's next connection.
func (s *shop) identifyVisitor(r *http.Request) (transport.Identity, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return transport.Identity{}, false, nil
	}
	customer, ok := s.customerOf(c.Value)
	if !ok {
		return transport.Identity{}, false, nil
	}
	return transport.Identity{CustomerID: customer.ID, Name: customer.Name, Email: customer.Email}, true, nil
}

// trackedPages serves the shop's pages through the chat's TrackPages, so
// that agents see the pages a visitor opens even where the widget's script
// is blocked; each page gives its title with transport.SetPageTitle.
func trackedPages(chatServer *transport.Server, p *pages) http.Handler {
	mux := http.NewServeMux()
	p.register(mux)
	return chatServer.TrackPages(mux)
}
