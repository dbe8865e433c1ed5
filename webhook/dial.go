package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress means an endpoint's address is on a loopback,
// private, link-local or other non-public network and
// Config.AllowPrivateNetworks is not set. The error is an *AddressError.
var ErrForbiddenAddress = errors.New("webhook: address not on the public internet")

// AddressError names the address a delivery refused to connect to. It
// wraps ErrForbiddenAddress.
type AddressError struct {
	Addr netip.Addr
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("webhook: %s is not a public address; set Config.AllowPrivateNetworks to deliver to it", e.Addr)
}

// Unwrap returns ErrForbiddenAddress.
func (e *AddressError) Unwrap() error { return ErrForbiddenAddress }

// sharedSpace is the carrier-grade NAT range of RFC 6598, private in use
// though netip does not call it so.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// public reports whether a is an address on the public internet.
func public(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsGlobalUnicast() && !a.IsPrivate() && !a.IsLoopback() && !a.IsLinkLocalUnicast() && !sharedSpace.Contains(a)
}

// checkAddress refuses a non-public address unless allowed.
func checkAddress(a netip.Addr, allowPrivate bool) error {
	if allowPrivate || public(a) {
		return nil
	}
	return &AddressError{Addr: a.Unmap()}
}

// newClient returns the HTTP client deliveries go through. The address is
// checked when the connection is made, after the name is resolved, so a
// name that resolves to a public address when the endpoint is configured
// and to a private one later (DNS rebinding) is still refused. It uses no
// proxy, which would connect in its place, and follows no redirect.
func newClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{
		Timeout: 10 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("webhook: dialling %q: %w", address, err)
			}
			return checkAddress(ap.Addr(), allowPrivate)
		},
	}
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
