package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/cmd/parley-bench/internal/load"
	"github.com/parleychat/parley/internal/pgtest"
	"github.com/parleychat/parley/wire"
)

const testToken = "test-token"

// agentFlags are the relay flags that authenticate against serve.
var agentFlags = []string{"-agent-header", "Authorization: Bearer " + testToken, "-agent-header", "X-Bench-Agent: %s"}

// serve runs "parley-bench serve" in the test's process on a free port
// with the store spec names and any further flags, and returns its
// address. The server stops when the test ends.
func serve(t *testing.T, store string, flags ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0", "-store", store, "-token", testToken}, flags...), pw, &stderr)
		pw.Close()
	}()
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case first <- sc.Text():
			default:
			}
		}
		close(first)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case c := <-code:
			if c != 0 {
				t.Errorf("serve exited with %d: %s", c, stderr.String())
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop within 20 s")
		}
	})
	select {
	case line, ok := <-first:
		if !ok {
			t.Fatalf("serve printed nothing: %s", stderr.String())
		}
		// parley-bench serve: pid 123 listening on 127.0.0.1:4567, store memory
		f := strings.Fields(line)
		if len(f) < 7 || f[2] != "pid" || f[3] != strconv.Itoa(os.Getpid()) || f[4] != "listening" {
			t.Fatalf("serve's first line is %q", line)
		}
		return strings.TrimSuffix(f[6], ",")
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not start within 20 s: %s", stderr.String())
	}
	return ""
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// command runs parley-bench with args and decodes its -json report into
// report.
func command(t *testing.T, report any, args ...string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), append(args, "-json"), &stdout, &stderr); code != 0 {
		t.Fatalf("parley-bench %s exited with %d: %s", strings.Join(args, " "), code, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), report); err != nil {
		t.Fatalf("decoding the report: %v\n%s", err, stdout.String())
	}
}

func TestRelay(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		store    string
		perAgent int
		routing  bool
		replies  bool
	}{
		{"memory/per-agent-5/assign/replies", "memory", 5, false, true},
		{"memory/per-agent-10/routing", "memory", 10, true, false},
		{"sqlite/per-agent-5/routing/replies", "sqlite", 5, true, true},
		{"sqlite/per-agent-10/assign", "sqlite", 10, false, false},
		{"postgres/per-agent-5/assign/replies", "postgres", 5, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := tc.store
			switch store {
			case "sqlite":
				store = "sqlite:" + filepath.Join(t.TempDir(), "bench.db")
			case "postgres":
				store = pgtest.Schema(t, "bench_")
			}
			addr := serve(t, store)
			args := append([]string{"relay", "-url", "http://" + addr, "-conversations", "10", "-per-agent", strconv.Itoa(tc.perAgent),
				"-rate", "50", "-duration", "2s", "-grace", "5s", "-pid", strconv.Itoa(os.Getpid()),
				"-routing=" + strconv.FormatBool(tc.routing), "-replies=" + strconv.FormatBool(tc.replies)}, agentFlags...)
			var rep load.RelayReport
			command(t, &rep, args...)

			wantAgents := 10 / tc.perAgent
			if rep.Conversations != 10 || rep.Agents != wantAgents || rep.PerAgent != tc.perAgent || rep.Routing != tc.routing || rep.Replies != tc.replies {
				t.Errorf("report describes %d conversations, %d agents of %d, routing %v, replies %v; want 10, %d of %d, %v, %v",
					rep.Conversations, rep.Agents, rep.PerAgent, rep.Routing, rep.Replies, wantAgents, tc.perAgent, tc.routing, tc.replies)
			}
			// 50 msg/s for 2 s: 100 visitor messages, one per 200 ms per conversation.
			if rep.ToAgent.Sent != 100 {
				t.Errorf("visitors sent %d messages, want 100", rep.ToAgent.Sent)
			}
			checkFlow(t, "visitor → agent", rep.ToAgent)
			wantTotal := rep.ToAgent.Sent
			if tc.replies {
				if rep.ToVisitor == nil {
					t.Fatal("no agent → visitor figures with replies")
				}
				if rep.ToVisitor.Sent != rep.ToAgent.Delivered {
					t.Errorf("agents replied %d times to %d messages", rep.ToVisitor.Sent, rep.ToAgent.Delivered)
				}
				checkFlow(t, "agent → visitor", *rep.ToVisitor)
				wantTotal += rep.ToVisitor.Sent
			} else if rep.ToVisitor != nil {
				t.Errorf("agent → visitor figures without replies: %+v", rep.ToVisitor)
			}
			if rep.Sent != wantTotal || rep.Delivered != wantTotal || rep.Acked != wantTotal || rep.Lost != 0 {
				t.Errorf("totals: sent %d, acked %d, delivered %d, lost %d; want %d, %d, %d, 0", rep.Sent, rep.Acked, rep.Delivered, rep.Lost, wantTotal, wantTotal, wantTotal)
			}
			checkLatency(t, "both", rep.Latency, wantTotal)
			if rep.AchievedRate < 30 || rep.AchievedRate > 55 {
				t.Errorf("achieved rate %.1f msg/s, want about 50", rep.AchievedRate)
			}
			if rep.DurationSec < 1.9 || rep.SetupSec <= 0 {
				t.Errorf("sent for %.2f s after a setup of %.2f s", rep.DurationSec, rep.SetupSec)
			}
			if len(rep.Errors) != 0 || len(rep.Closed) != 0 {
				t.Errorf("errors %v, connections closed %v; want none", rep.Errors, rep.Closed)
			}
			if s := rep.Server; s == nil || s.PID != os.Getpid() || s.CPUPercent <= 0 || s.RSSStart <= 0 || s.PeakRSS < s.RSSStart {
				t.Errorf("server figures %+v", s)
			}
			if open := openConversations(t, addr); len(open) != 0 {
				t.Errorf("%d conversations left open after the run", len(open))
			}
		})
	}
}

// TestRelayBetweenInstances runs two servers on one SQLite file, joined
// by a Redis broker, with the visitors on one and the agents on the other
// (-agent-url): every message crosses the broker and arrives.
func TestRelayBetweenInstances(t *testing.T) {
	t.Parallel()
	redisURL := os.Getenv("PARLEY_TEST_REDIS")
	if redisURL == "" {
		t.Skip("PARLEY_TEST_REDIS is not set (e.g. redis://127.0.0.1:6379/0)")
	}
	store := "sqlite:" + filepath.Join(t.TempDir(), "bench.db")
	prefix := fmt.Sprintf("benchtest%d", time.Now().UnixNano())
	visitors := serve(t, store, "-broker", redisURL, "-broker-prefix", prefix)
	agents := serve(t, store, "-broker", redisURL, "-broker-prefix", prefix)
	var rep load.RelayReport
	command(t, &rep, append([]string{"relay", "-url", "http://" + visitors, "-agent-url", "http://" + agents,
		"-conversations", "10", "-per-agent", "5", "-rate", "50", "-duration", "2s", "-grace", "5s"}, agentFlags...)...)
	checkFlow(t, "visitor → agent", rep.ToAgent)
	if rep.ToAgent.Sent != 100 || rep.Delivered != rep.Sent || rep.Lost != 0 {
		t.Errorf("sent %d, delivered %d, lost %d; want 100 sent, every one delivered", rep.ToAgent.Sent, rep.Delivered, rep.Lost)
	}
}

// openConversations returns the conversations an agent's welcome lists:
// the shop's waiting, queued and open ones.
func openConversations(t *testing.T, addr string) []chat.ConversationInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	h := http.Header{}
	h.Set("Authorization", "Bearer "+testToken)
	h.Set("X-Bench-Agent", "checker")
	ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/staff/chat/ws", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(8 << 20)
	if err := wsjson.Write(ctx, ws, wire.ClientFrame{Type: wire.FrameHello, V: wire.ProtocolVersion}); err != nil {
		t.Fatal(err)
	}
	var welcome wire.ServerFrame
	if err := wsjson.Read(ctx, ws, &welcome); err != nil || welcome.Type != wire.FrameWelcome {
		t.Fatalf("welcome: %+v, %v", welcome, err)
	}
	return welcome.Open
}

// checkFlow checks that every message of a direction was acked and
// delivered once, with sane latencies.
func checkFlow(t *testing.T, name string, f load.Flow) {
	t.Helper()
	if f.Sent == 0 || f.Acked != f.Sent || f.Delivered != f.Sent || f.Lost != 0 || f.Refused != 0 || f.Unanswered != 0 || f.Duplicates != 0 {
		t.Errorf("%s: %+v; want every message acked and delivered once", name, f)
	}
	checkLatency(t, name, f.Latency, f.Delivered)
}

func checkLatency(t *testing.T, name string, l load.Latency, count int64) {
	t.Helper()
	if l.Count != count || l.P50 <= 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.Max {
		t.Errorf("%s latency %+v; want %d positive, ordered figures", name, l, count)
	}
}

func TestIdle(t *testing.T) {
	t.Parallel()
	p := newProxy(t, serve(t, "memory"))
	var rep load.IdleReport
	command(t, &rep, "idle", "-url", "http://"+p.addr(), "-conns", "200", "-rate", "2000", "-sources", "2", "-settle", "200ms", "-pid", strconv.Itoa(os.Getpid()))
	if rep.Connections != 200 || rep.Opened != 200 || rep.Held != 200 || len(rep.Failures) != 0 || len(rep.Closed) != 0 {
		t.Errorf("asked for %d, opened %d, held %d, failures %v, closed %v; want 200 opened and held", rep.Connections, rep.Opened, rep.Held, rep.Failures, rep.Closed)
	}
	if got := p.sources(); len(got) != 2 || got["127.0.0.2"] != 100 || got["127.0.0.3"] != 100 {
		t.Errorf("connections came from %v; want 100 each from 127.0.0.2 and 127.0.0.3", got)
	}
	if s := rep.Server; s == nil || s.RSSBefore <= 0 || s.RSSAfter <= 0 {
		t.Errorf("server figures %+v", s)
	}
}

// TestRelayCountsLoss runs against a real server whose path to the agents
// starts dropping everything halfway through: the messages the server
// acked after that never reach the agent, and the report must say they
// were lost.
func TestRelayCountsLoss(t *testing.T) {
	t.Parallel()
	addr := serve(t, "memory")
	p := newProxy(t, addr)
	// After 20 of the 100 messages reached the agent, whenever that is.
	p.dropAfter(20, []byte("parley-bench v"))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	rep, err := load.Relay(ctx, load.RelayConfig{
		VisitorURL:    "ws://" + addr + "/chat/ws",
		AgentURL:      "ws://" + p.addr() + "/staff/chat/ws",
		AgentHeaders:  []string{"Authorization: Bearer " + testToken, "X-Bench-Agent: %s"},
		Conversations: 10,
		PerAgent:      10,
		Rate:          50,
		Duration:      2 * time.Second,
		Grace:         time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.ToAgent
	if f.Sent != 100 || f.Acked != 100 {
		t.Errorf("sent %d, acked %d; want 100 each: the visitors' path works", f.Sent, f.Acked)
	}
	if f.Lost == 0 || f.Delivered == 0 || f.Delivered+f.Lost != f.Acked || rep.Lost != f.Lost {
		t.Errorf("delivered %d, lost %d (total %d) of %d acked; want some of each, adding up", f.Delivered, f.Lost, rep.Lost, f.Acked)
	}
	if f.Latency.Count != f.Delivered {
		t.Errorf("%d latencies for %d deliveries", f.Latency.Count, f.Delivered)
	}
}

// proxy forwards TCP connections to a server, remembering where they came
// from. Told to, it discards everything the server sends once it has
// forwarded a number of copies of a marker, as a stalled network path
// would.
type proxy struct {
	ln      net.Listener
	mu      sync.Mutex
	from    map[string]int
	marker  []byte
	left    int // copies of marker still to forward
	dropped chan struct{}
	once    sync.Once
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, from: map[string]int{}, dropped: make(chan struct{})}
	var wg sync.WaitGroup
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		p.mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			host, _, _ := net.SplitHostPort(client.RemoteAddr().String())
			p.mu.Lock()
			p.from[host]++
			conns = append(conns, client, server)
			p.mu.Unlock()
			wg.Go(func() { io.Copy(server, client); server.Close() })
			wg.Go(func() { p.copyBack(client, server); client.Close() })
		}
	})
	return p
}

// copyBack copies the server's bytes to the client until the drop.
func (p *proxy) copyBack(client, server net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := server.Read(buf)
		select {
		case <-p.dropped:
		default:
			p.count(buf[:n])
			if _, werr := client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

// dropAfter makes the proxy drop everything after n copies of marker.
// (A copy split between two reads is not counted, which only delays the
// drop.)
func (p *proxy) dropAfter(n int, marker []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.left, p.marker = n, marker
}

func (p *proxy) count(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.marker == nil {
		return
	}
	p.left -= bytes.Count(b, p.marker)
	if p.left <= 0 {
		p.once.Do(func() { close(p.dropped) })
	}
}

func (p *proxy) sources() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.from)
}

func TestCommandLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"relay", "-h"}, 0, "Usage: parley-bench relay"},
		{[]string{"idle", "-h"}, 0, "RLIMIT_NOFILE"},
		{[]string{"serve", "-h"}, 0, "sqlite:PATH"},
		{nil, 2, "parley-bench relay [flags]"},
		{[]string{"launch"}, 2, `unknown command "launch"`},
		{[]string{"relay", "-conversations", "0"}, 2, "must be positive"},
		{[]string{"relay", "-agent-header", "no colon"}, 1, `not "Name: value"`},
		{[]string{"idle", "-url", "http://192.0.2.1:8080", "-sources", "2"}, 2, "set -sources 0"},
		{[]string{"serve", "-store", "oracle:x"}, 1, "is not memory"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(t.Context(), tc.args, &stdout, &stderr)
		if out := stdout.String() + stderr.String(); code != tc.code || !strings.Contains(out, tc.says) {
			t.Errorf("parley-bench %s: exit %d, printed %q; want %d and %q", strings.Join(tc.args, " "), code, out, tc.code, tc.says)
		}
	}
}
