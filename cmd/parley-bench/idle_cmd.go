package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/parleychat/parley/cmd/parley-bench/internal/load"
)

const idleHelp = `Opens idle visitor connections: each says hello, gets its welcome, and then
only answers the server's pings. They are opened at most -rate per second,
from -sources loopback addresses in turn so that 100,000 connections do not
run out of ephemeral ports (about 28,000 per source address). The command
raises its own open-file limit (RLIMIT_NOFILE) to fit them and says so; the
server needs a limit as large (parley-bench serve raises its own).

With -pid (the server's process on this machine) it reads the server's
resident memory before opening and after all are open and -settle has passed,
and reports the growth per connection held.
`

func idleCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("idle", idleHelp, stderr)
	var (
		t      target
		cfg    load.IdleConfig
		asJSON bool
	)
	t.flags(fs, false, 4)
	fs.IntVar(&cfg.Connections, "conns", 1000, "`number` of idle connections")
	fs.Float64Var(&cfg.Rate, "rate", 500, "connections opened per `second` at most")
	fs.DurationVar(&cfg.Settle, "settle", 3*time.Second, "wait after the last connection opened before reading the server's memory")
	fs.DurationVar(&cfg.Hold, "hold", 0, "keep the connections open this long after measuring (they answer pings)")
	fs.DurationVar(&cfg.DialTimeout, "dial-timeout", 15*time.Second, "bound on each connection's opening and hello")
	fs.IntVar(&cfg.PID, "pid", 0, "the server's process id on this machine, to report its memory per connection")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if cfg.Connections <= 0 || cfg.Rate <= 0 {
		return usageError("-conns and -rate must be positive")
	}
	var err error
	if cfg.VisitorURL, err = t.wsURL(t.visitorPath); err != nil {
		return err
	}
	if cfg.Sources, err = t.sourceAddrs(); err != nil {
		return err
	}
	if _, err := raiseFileLimit(uint64(cfg.Connections)+256, stderr); err != nil {
		return err
	}
	rep, err := load.Idle(ctx, cfg)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(stdout, "idle: %d connections asked for, %d welcomed in %.1f s, %d held after %.1f s more\n",
		rep.Connections, rep.Opened, rep.OpenSec, rep.Held, rep.HoldSec)
	if len(rep.Sources) > 0 {
		fmt.Fprintf(stdout, "source addresses: %s to %s\n", rep.Sources[0], rep.Sources[len(rep.Sources)-1])
	}
	fmt.Fprintf(stdout, "failures: %s\n", counts(rep.Failures))
	fmt.Fprintf(stdout, "closed by the server (close code): %s\n", counts(rep.Closed))
	if s := rep.Server; s != nil {
		fmt.Fprintf(stdout, "server pid %d: RSS %s before, %s after; %.1f KiB per connection\n",
			s.PID, mib(s.RSSBefore), mib(s.RSSAfter), s.RSSPerConnection/1024)
	}
	return nil
}
