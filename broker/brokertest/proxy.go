package brokertest

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy is a TCP proxy between a broker and its server, for losing the
// broker's connection for real in a test: Cut closes every connection
// through it and refuses new ones, Stall lets no byte through while
// closing nothing (as a network that drops packets), and Restore lets
// everything through again. Its address stays the same throughout.
type Proxy struct {
	target string
	ln     net.Listener
	wg     sync.WaitGroup
	done   chan struct{} // closed when the proxy stops

	mu      sync.Mutex
	cut     bool
	flowing chan struct{} // closed while bytes pass; open while stalled
	conns   map[net.Conn]struct{}
}

// NewProxy starts a proxy on a free port of 127.0.0.1 that forwards to
// target (host:port) and stops it when the test ends.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("proxy: %v", err)
	}
	flowing := make(chan struct{})
	close(flowing)
	p := &Proxy{target: target, ln: ln, done: make(chan struct{}), flowing: flowing, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	tb.Cleanup(p.close)
	return p
}

// Addr returns the proxy's host:port, to give the broker instead of the
// server's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut closes every connection through the proxy and refuses new ones
// until Restore. It returns Restore, to fit Capabilities.NewCuttable.
func (p *Proxy) Cut() (restore func()) {
	p.mu.Lock()
	p.cut = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	return p.Restore
}

// Stall stops every byte through the proxy, both ways, on the
// connections there are and on new ones, without closing any: the broker
// sees silence. It returns Restore.
func (p *Proxy) Stall() (restore func()) {
	p.mu.Lock()
	select {
	case <-p.flowing:
		p.flowing = make(chan struct{})
	default: // stalled already
	}
	p.mu.Unlock()
	return p.Restore
}

// Restore lets connections and bytes through again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	select {
	case <-p.flowing:
	default:
		close(p.flowing)
	}
	p.mu.Unlock()
}

// flow waits while the proxy is stalled and reports false when it stops.
func (p *Proxy) flow() bool {
	p.mu.Lock()
	flowing := p.flowing
	p.mu.Unlock()
	select {
	case <-flowing:
		return true
	case <-p.done:
		return false
	}
}

// pipe copies src to dst, holding what it read while the proxy is
// stalled, until either side fails.
func (p *Proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.flow() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.serve(c) })
	}
}

// serve forwards one connection until either side closes it or the proxy
// is cut.
func (p *Proxy) serve(c net.Conn) {
	if !p.track(c) {
		_ = c.Close()
		return
	}
	defer p.untrack(c)
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(s) {
		_ = s.Close()
		return
	}
	defer p.untrack(s)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		p.pipe(dst, src)
		done <- struct{}{}
	}
	go pipe(s, c)
	go pipe(c, s)
	<-done
	_ = c.Close()
	_ = s.Close()
	<-done
}

// track registers c to be closed by Cut; it reports false while cut.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut || p.conns == nil {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
	_ = c.Close()
}

// close stops the proxy and waits for its goroutines.
func (p *Proxy) close() {
	_ = p.ln.Close()
	close(p.done)
	p.mu.Lock()
	for c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

// ProxyURL starts a Proxy to the host of serverURL (such as
// redis://127.0.0.1:6379/0) and returns it with serverURL pointing at the
// proxy instead.
func ProxyURL(tb testing.TB, serverURL string) (*Proxy, string) {
	tb.Helper()
	u, err := url.Parse(serverURL)
	if err != nil {
		tb.Fatalf("proxy: %v", err)
	}
	p := NewProxy(tb, u.Host)
	u.Host = p.Addr()
	return p, u.String()
}
