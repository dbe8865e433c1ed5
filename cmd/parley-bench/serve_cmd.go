package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/parleychat/parley/cmd/parley-bench/internal/benchserve"
)

const serveHelp = `Runs the reference server the project's figures are measured on: a
chat.Desk and a transport.Server mounted at /chat/ and /staff/chat/ as
docs/getting-started.md shows, over the store -store names:

	memory                 the in-memory store (the default)
	sqlite:PATH            an SQLite file, created and migrated if needed
	postgres://...         a PostgreSQL DSN (add search_path=SCHEMA to use a schema of its own)
	mysql:DSN              a MySQL or MariaDB DSN, such as mysql:root@tcp(127.0.0.1:3306)/test

Agents authenticate with "Authorization: Bearer TOKEN" and name themselves in
"X-Bench-Agent". Each agent's capacity is -capacity and each connection may
send -rate-limit frames per second (the library's default of 10 is meant for
browsers, not a console carrying hundreds of conversations). It raises its
open-file limit, prints its pid, address and the relay flags to use, and
serves until interrupted.
`

func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", serveHelp, stderr)
	var (
		cfg        benchserve.Config
		logLevel   slog.Level
		cpuProfile string
	)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "`address` to listen on; port 0 picks one")
	fs.StringVar(&cfg.Store, "store", "memory", "the `store`: memory, sqlite:PATH, postgres://DSN or mysql:DSN")
	fs.StringVar(&cfg.TablePrefix, "table-prefix", "", "`prefix` of the SQL stores' tables (empty: parley_)")
	fs.StringVar(&cfg.Token, "token", "", "the agents' shared `token`; empty makes a random one")
	fs.IntVar(&cfg.AgentCapacity, "capacity", 100_000, "each agent's capacity (most open conversations)")
	fs.StringVar(&cfg.Router, "router", "leastbusy", "routing policy: leastbusy (spreads conversations evenly) or first (the first online agent with room)")
	fs.Float64Var(&cfg.RateLimit, "rate-limit", 100_000, "frames per second each connection may send")
	fs.IntVar(&cfg.RateBurst, "rate-burst", 100_000, "frames each connection may send at once")
	fs.TextVar(&logLevel, "log-level", slog.LevelWarn, "least `level` logged to stderr: DEBUG, INFO, WARN or ERROR")
	fs.StringVar(&cfg.Broker, "broker", "", "connect to the other instances through this broker `URL`: redis://, nats:// or postgres:// (empty: this instance alone)")
	fs.StringVar(&cfg.BrokerPrefix, "broker-prefix", "parleybench", "the broker's channel `prefix`, the same on every instance")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to `file`, for go tool pprof")
	if err := parse(fs, args); err != nil {
		return err
	}
	if cfg.Token == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		cfg.Token = hex.EncodeToString(b)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel}))
	if _, err := raiseFileLimit(1<<20, stderr); err != nil {
		return err
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	srv, err := benchserve.Start(ctx, cfg)
	if err != nil {
		return err
	}
	addr := srv.Addr().String()
	pid := os.Getpid()
	fmt.Fprintf(stdout, "parley-bench serve: pid %d listening on %s, store %s\n", pid, addr, storeKind(cfg.Store))
	fmt.Fprintf(stdout, "load it with:\n  parley-bench relay -url http://%s -pid %d -agent-header %q -agent-header %q\n  parley-bench idle -url http://%s -pid %d\n",
		addr, pid, benchserve.TokenHeader+": Bearer "+cfg.Token, benchserve.AgentHeader+": %s", addr, pid)

	var served error
	select {
	case <-ctx.Done():
	case served = <-srv.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	return served
}

// storeKind names the store without its DSN, which may hold a password.
func storeKind(spec string) string {
	switch {
	case spec == "" || spec == "memory":
		return "memory"
	case strings.HasPrefix(spec, "sqlite:"):
		return spec
	case strings.HasPrefix(spec, "mysql:"):
		return "mysql"
	}
	return "postgres"
}
