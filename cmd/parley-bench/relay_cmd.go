package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parleychat/parley/cmd/parley-bench/internal/load"
)

const relayHelp = `Runs one-to-one conversations: a visitor connection each, and agent consoles
carrying -per-agent conversations each. The visitors send -rate messages per
second together, spread evenly, pipelined (up to 32 frames in flight per
connection) with idempotency keys; with -replies each agent answers every
message. Each message's body carries its send time and number, so the latency
from the sender's send to the receiver's message event is measured, and a
message the server acked but the other side did not receive within -grace is
counted as lost. With -pid (the server's process on this machine) it reports
the server's CPU time and peak resident memory over the run.

Agents authenticate with -agent-header, repeatable, in which %s stands for the
agent's id (bench-agent-0000...). Against "parley-bench serve -token T":

	-agent-header "Authorization: Bearer T" -agent-header "X-Bench-Agent: %s"
`

func relayCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("relay", relayHelp, stderr)
	var (
		t       target
		hdrs    headers
		cfg     load.RelayConfig
		asJSON  bool
		timeout time.Duration
	)
	t.flags(fs, true, 0)
	fs.Var(&hdrs, "agent-header", "a header authenticating agents, `\"Name: value\"`, %s replaced by the agent's id; repeatable")
	fs.StringVar(&cfg.AgentPrefix, "agent-prefix", "bench-agent-", "agent ids are this `prefix` and a number")
	fs.IntVar(&cfg.Conversations, "conversations", 500, "`number` of conversations, one visitor connection each")
	fs.IntVar(&cfg.PerAgent, "per-agent", 10, "conversations each agent console carries; as many as -conversations is one console for all")
	fs.Float64Var(&cfg.Rate, "rate", 2000, "visitor `messages per second`, all conversations together")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long the visitors send")
	fs.BoolVar(&cfg.Replies, "replies", false, "agents answer every visitor message, measuring both directions")
	fs.BoolVar(&cfg.Routing, "routing", false, "let the server's router place conversations (each agent's capacity must be -per-agent, or the router spread them evenly); default: each agent takes its own with assign")
	fs.DurationVar(&cfg.Grace, "grace", 5*time.Second, "how long after the last send an acked message may still arrive before it counts as lost")
	fs.DurationVar(&timeout, "setup-timeout", 2*time.Minute, "bound on connecting and placing the conversations")
	fs.IntVar(&cfg.PID, "pid", 0, "the server's process id on this machine, to report its CPU and memory")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg.AgentHeaders, cfg.SetupTimeout = hdrs, timeout
	var err error
	if cfg.VisitorURL, err = t.wsURL(t.visitorPath); err != nil {
		return err
	}
	if cfg.AgentURL, err = t.agentWSURL(); err != nil {
		return err
	}
	if cfg.Sources, err = t.sourceAddrs(); err != nil {
		return err
	}
	if cfg.Conversations <= 0 || cfg.PerAgent <= 0 || cfg.Rate <= 0 || cfg.Duration <= 0 {
		return usageError("-conversations, -per-agent, -rate and -duration must be positive")
	}
	agents := (cfg.Conversations + cfg.PerAgent - 1) / cfg.PerAgent
	if _, err := raiseFileLimit(uint64(cfg.Conversations+agents)+256, stderr); err != nil {
		return err
	}
	rep, err := load.Relay(ctx, cfg)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printRelay(stdout, rep)
	return nil
}

func printRelay(w io.Writer, r *load.RelayReport) {
	placed := "taken with assign"
	if r.Routing {
		placed = "placed by the server's router"
	}
	replies := "replies off"
	if r.Replies {
		replies = "agents reply to every message"
	}
	fmt.Fprintf(w, "relay: %d conversations, %d agent consoles (%d each, %s), %s\n", r.Conversations, r.Agents, r.PerAgent, placed, replies)
	fmt.Fprintf(w, "setup %.1f s; visitors sent for %.1f s at %.1f msg/s (target %.0f)\n\n", r.SetupSec, r.DurationSec, r.AchievedRate, r.TargetRate)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tsent\tacked\tdelivered\tlost\trefused\tunanswered\tdup\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	row := func(name string, f load.Flow) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t\n", name, f.Sent, f.Acked, f.Delivered, f.Lost, f.Refused, f.Unanswered, f.Duplicates,
			f.Latency.P50, f.Latency.P90, f.Latency.P99, f.Latency.Max)
	}
	row("visitor → agent", r.ToAgent)
	if r.ToVisitor != nil {
		row("agent → visitor", *r.ToVisitor)
		total := load.Flow{Sent: r.Sent, Acked: r.Acked, Delivered: r.Delivered, Lost: r.Lost, Latency: r.Latency,
			Refused: r.ToAgent.Refused + r.ToVisitor.Refused, Unanswered: r.ToAgent.Unanswered + r.ToVisitor.Unanswered,
			Duplicates: r.ToAgent.Duplicates + r.ToVisitor.Duplicates}
		row("both", total)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nerror frames: %s\n", counts(r.Errors))
	fmt.Fprintf(w, "connections closed by the server (close code): %s\n", counts(r.Closed))
	if s := r.Server; s != nil {
		fmt.Fprintf(w, "server pid %d: CPU %.1f%% of one core; RSS %s at the start, peak %s\n", s.PID, s.CPUPercent, mib(s.RSSStart), mib(s.PeakRSS))
	}
}

// counts prints a count per name, largest first.
func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		if m[a] != m[b] {
			return int(m[b] - m[a])
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
