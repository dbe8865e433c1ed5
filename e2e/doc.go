// Package e2e holds Parley's browser tests: the visitors' widget and the
// agents' console, served by a real transport.Server on a real HTTP
// server, driven in headless Chromium through the DevTools protocol
// (github.com/chromedp/chromedp). The package has no code of its own.
//
// The tests need the chromium binary (the Debian package "chromium"). They
// skip without it, unless PARLEY_REQUIRE_BROWSER=1, which CI sets so that
// a missing browser fails the run. With PARLEY_SCREENSHOTS=1 they save
// screenshots of the widget and the console into docs/images.
//
//	go test ./e2e
package e2e
