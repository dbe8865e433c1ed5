package load

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parleychat/parley/wire"
)

// IdleConfig configures Idle. Zero fields take the defaults named.
type IdleConfig struct {
	// VisitorURL is the WebSocket endpoint of the visitors' handler.
	VisitorURL string
	// Connections is how many idle visitor connections to open. Zero
	// means 1,000.
	Connections int
	// Rate is how many connections are opened per second at most. Zero
	// means 500.
	Rate float64
	// Sources are the local addresses to connect from, in turn. Each
	// gives the connections to one server address about 28,000 ephemeral
	// ports; empty lets the system choose.
	Sources []string
	// Settle is how long to wait after the last connection is open before
	// measuring the server's memory. Zero means 3 s.
	Settle time.Duration
	// Hold is how long to keep the connections open after measuring,
	// answering the server's pings. Zero closes them at once.
	Hold time.Duration
	// DialTimeout bounds each connection's opening and hello. Zero means
	// 15 s.
	DialTimeout time.Duration
	// PID, when not zero, is the server's process on this machine, whose
	// resident memory is read before and after.
	PID int
}

func (c *IdleConfig) defaults() error {
	if c.VisitorURL == "" {
		return errors.New("idle: the visitor URL is required")
	}
	if c.Connections == 0 {
		c.Connections = 1000
	}
	if c.Rate == 0 {
		c.Rate = 500
	}
	if c.Settle == 0 {
		c.Settle = 3 * time.Second
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = 15 * time.Second
	}
	if c.Connections < 0 || c.Rate < 0 || c.Settle < 0 || c.Hold < 0 || c.DialTimeout < 0 {
		return errors.New("idle: connections, rate, settle, hold and dial timeout must not be negative")
	}
	return nil
}

// IdleReport is what an idle run measured.
type IdleReport struct {
	Connections int      `json:"connections"` // asked for
	Sources     []string `json:"sources,omitempty"`
	Opened      int64    `json:"opened"` // welcomed by the server
	Held        int64    `json:"held"`   // still open at the end
	OpenSec     float64  `json:"open_s"` // from the first dial to the last welcome
	HoldSec     float64  `json:"hold_s"` // how long they were held after measuring
	// Failures counts connections that never got a welcome, by cause:
	// an errno of the dial (EADDRNOTAVAIL: out of ephemeral ports;
	// EMFILE: out of file descriptors), "timeout", "HTTP 503", or the
	// error code of a refused hello.
	Failures map[string]int64 `json:"failures"`
	// Closed counts welcomed connections the server ended, by WebSocket
	// close code ("abnormal" when no close frame came).
	Closed map[string]int64 `json:"closed"`
	Server *IdleServer      `json:"server,omitempty"`
}

// IdleServer is the server's memory around an idle run.
type IdleServer struct {
	PID       int   `json:"pid"`
	RSSBefore int64 `json:"rss_before_bytes"`
	RSSAfter  int64 `json:"rss_after_bytes"` // after all were open and Settle passed
	// RSSPerConnection is (RSSAfter-RSSBefore)/Held at the time of
	// measuring, in bytes.
	RSSPerConnection float64 `json:"rss_per_connection_bytes"`
}

// Idle opens cfg.Connections visitor connections that say hello and then
// only answer pings, measures the server's memory, holds them and closes
// them.
func Idle(ctx context.Context, cfg IdleConfig) (*IdleReport, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	dialers, err := dialersFor(cfg.Sources, cfg.DialTimeout)
	if err != nil {
		return nil, err
	}
	rep := &IdleReport{Connections: cfg.Connections, Sources: cfg.Sources}
	var before int64
	if cfg.PID != 0 {
		if before, err = rss(cfg.PID); err != nil {
			return nil, fmt.Errorf("idle: reading the server's memory: %w", err)
		}
	}

	var (
		held, opened     atomic.Int64
		failures, closed counter
		mu               sync.Mutex
		conns            []*conn
		wg               sync.WaitGroup
	)
	open := func(i int) {
		ctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
		defer cancel()
		ws, err := dialers[i%len(dialers)].dial(ctx, cfg.VisitorURL, nil)
		if err != nil {
			failures.add(failureCause(err))
			return
		}
		// state goes from opening to welcomed, or to ended first.
		const opening, welcomed, ended = 0, 1, 2
		var state atomic.Int32
		c := newConn(ws, nil, func(err error) {
			if state.CompareAndSwap(welcomed, ended) {
				held.Add(-1)
				closed.add(closeCause(err))
			}
			state.CompareAndSwap(opening, ended)
		})
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		if _, err := c.hello(ctx); err != nil {
			failures.add("hello: " + failureCause(err))
			return
		}
		if !state.CompareAndSwap(opening, welcomed) {
			failures.add("closed after the welcome")
			return
		}
		held.Add(1)
		opened.Add(1)
	}

	start := time.Now()
	sem := make(chan struct{}, 1024) // handshakes in progress
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	t := time.NewTimer(0)
	defer t.Stop()
dialing:
	for i := range cfg.Connections {
		t.Reset(time.Until(start.Add(time.Duration(i) * interval)))
		select {
		case <-ctx.Done():
			break dialing
		case <-t.C:
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break dialing
		}
		wg.Go(func() {
			defer func() { <-sem }()
			open(i)
		})
	}
	wg.Wait()
	rep.OpenSec = time.Since(start).Seconds()

	defer func() {
		closing, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		mu.Lock()
		defer mu.Unlock()
		_ = parallel(closing, len(conns), func(ctx context.Context, i int) error {
			conns[i].close(ctx)
			return nil
		})
	}()

	if err := sleep(ctx, cfg.Settle); err != nil {
		return nil, err
	}
	if cfg.PID != 0 {
		after, err := rss(cfg.PID)
		if err != nil {
			return nil, fmt.Errorf("idle: reading the server's memory: %w", err)
		}
		rep.Server = &IdleServer{PID: cfg.PID, RSSBefore: before, RSSAfter: after}
		if n := held.Load(); n > 0 {
			rep.Server.RSSPerConnection = float64(after-before) / float64(n)
		}
	}
	holdStart := time.Now()
	if err := sleep(ctx, cfg.Hold); err != nil {
		return nil, err
	}
	rep.HoldSec = time.Since(holdStart).Seconds()
	rep.Opened, rep.Held = opened.Load(), held.Load()
	rep.Failures, rep.Closed = failures.snapshot(), closed.snapshot()
	return rep, nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// failureCause names why a connection could not be opened.
func failureCause(err error) string {
	var errno syscall.Errno
	var he *httpError
	var pe *wire.Error
	var ne net.Error
	switch {
	case errors.As(err, &errno):
		if name := errnoName(errno); name != "" {
			return name
		}
		return errno.Error()
	case errors.As(err, &he):
		return fmt.Sprintf("HTTP %d", he.status)
	case errors.As(err, &pe):
		return pe.Code
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "closed " + closeCause(err)
}

// errnoName gives the errors that tell a load generator's limits their
// usual names.
func errnoName(e syscall.Errno) string {
	switch e {
	case syscall.EADDRNOTAVAIL:
		return "EADDRNOTAVAIL"
	case syscall.EADDRINUSE:
		return "EADDRINUSE"
	case syscall.EMFILE:
		return "EMFILE"
	case syscall.ENFILE:
		return "ENFILE"
	case syscall.ECONNREFUSED:
		return "ECONNREFUSED"
	case syscall.ECONNRESET:
		return "ECONNRESET"
	case syscall.ETIMEDOUT:
		return "ETIMEDOUT"
	}
	return ""
}

// dialersFor returns a dialer per source address, or one that lets the
// system choose when there are none.
func dialersFor(sources []string, timeout time.Duration) ([]*dialer, error) {
	if len(sources) == 0 {
		return []*dialer{newDialer(nil, nil, timeout)}, nil
	}
	ds := make([]*dialer, len(sources))
	for i, s := range sources {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, fmt.Errorf("source address %q is not an IP address", s)
		}
		ds[i] = newDialer(ip, http.Header{}, timeout)
	}
	return ds, nil
}
