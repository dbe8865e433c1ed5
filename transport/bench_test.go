package transport_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// BenchmarkDelivery measures how long a visitor's message takes to reach
// the agent (send → agent receives the message event), with 1,000 (and
// 10,000) conversations open and visitors sending 2,000 messages per
// second between them, on the SQLite store and, to show the transport's
// own share, on the memory store. b.N is the number of messages; the p50 and
// p99 latencies are reported.
func BenchmarkDelivery(b *testing.B) {
	b.Run("SQLite", func(b *testing.B) {
		store, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), sqlstore.Config{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { store.Close(context.Background()) })
		benchDelivery(b, newBenchHarness(b, store), 1000)
	})
	b.Run("memory", func(b *testing.B) { benchDelivery(b, newBenchHarness(b, memory.New()), 1000) })
	// 10,000 connections do not fit in one process's file limit next to
	// their server, so the server runs as a child process here.
	b.Run("SQLite-10000", func(b *testing.B) {
		_, addr := startCrashServer(b, filepath.Join(b.TempDir(), "bench.db"))
		benchDelivery(b, &harness{t: b, url: "http://" + addr}, 10000)
	})
}

func benchDelivery(b *testing.B, h *harness, conversations int) {
	const rate = 2000 // messages per second, all visitors together

	agent := h.rawDial(b, "/staff/chat/ws", "olga")
	// The agent reads from the start: while the visitors connect, their
	// conversations' events already flow to it.
	var mu sync.Mutex
	sent := make(map[string]time.Time, b.N)
	latencies := make([]time.Duration, 0, b.N)
	done := make(chan struct{})
	go func() {
		for {
			_, data, err := agent.Read(context.Background())
			if err != nil {
				return
			}
			var f wire.ServerFrame
			if json.Unmarshal(data, &f) != nil {
				continue
			}
			if f.Type == wire.FramePing {
				_ = agent.Write(context.Background(), websocket.MessageText, []byte(`{"type":"pong"}`))
			}
			if f.Type != "message" || f.Message == nil {
				continue
			}
			now := time.Now()
			mu.Lock()
			if t, ok := sent[f.Message.IdempotencyKey]; ok {
				latencies = append(latencies, now.Sub(t))
				delete(sent, f.Message.IdempotencyKey)
				if len(latencies) == b.N {
					close(done)
				}
			}
			mu.Unlock()
		}
	}()

	conns := make([]*websocket.Conn, conversations)
	defer func() {
		agent.CloseNow()
		for _, c := range conns {
			if c != nil {
				c.CloseNow()
			}
		}
	}()
	ids := make([]string, conversations)
	for i := range conns {
		conns[i] = h.rawDial(b, "/chat/ws", "")
		f := rawRequest(b, conns[i], `{"type":"start","id":"s"}`, "s")
		ids[i] = f.ConversationID.String()
		go drain(conns[i])
	}

	b.ResetTimer()
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	for i := range b.N {
		<-tick.C
		key := strconv.Itoa(i)
		frame := fmt.Sprintf(`{"type":"send","conversation_id":%q,"key":%q,"body":"Is the blue bike in stock?"}`, ids[i%conversations], key)
		mu.Lock()
		sent[key] = time.Now()
		mu.Unlock()
		if err := conns[i%conversations].Write(context.Background(), websocket.MessageText, []byte(frame)); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		mu.Lock()
		n := len(latencies)
		mu.Unlock()
		b.Fatalf("only %d of %d messages reached the agent", n, b.N)
	}
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
}

// newBenchHarness serves the store with limits raised so that the load
// generator is not rate limited.
func newBenchHarness(b *testing.B, store chat.Store) *harness {
	b.Helper()
	return newHarnessWithStore(b, store, func(c *transport.Config) {
		c.RateLimit, c.RateBurst = 1e6, 1e6
		c.SendQueue = 1024
	})
}

// rawDial opens a WebSocket and says hello; agent is the agent id, or ""
// for a visitor.
func (h *harness) rawDial(b *testing.B, path, agent string) *websocket.Conn {
	b.Helper()
	hd := map[string][]string{}
	if agent != "" {
		hd["X-Test-Agent"] = []string{agent}
	}
	c, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(h.url, "http")+path, &websocket.DialOptions{HTTPHeader: hd})
	if err != nil {
		b.Fatal(err)
	}
	c.SetReadLimit(1 << 20)
	rawRequest(b, c, `{"type":"hello","id":"h","v":1}`, "h")
	return c
}

func rawRequest(b *testing.B, c *websocket.Conn, frame, id string) wire.ServerFrame {
	b.Helper()
	if err := c.Write(context.Background(), websocket.MessageText, []byte(frame)); err != nil {
		b.Fatal(err)
	}
	for {
		_, data, err := c.Read(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		var f wire.ServerFrame
		if err := json.Unmarshal(data, &f); err != nil {
			b.Fatal(err)
		}
		if f.ID == id {
			if f.Type == wire.FrameError {
				b.Fatalf("%s: %s", f.Error.Code, f.Error.Message)
			}
			return f
		}
	}
}

// drain reads and drops everything a connection receives, answering pings.
func drain(c *websocket.Conn) {
	for {
		_, data, err := c.Read(context.Background())
		if err != nil {
			return
		}
		if strings.Contains(string(data), `"type":"ping"`) {
			_ = c.Write(context.Background(), websocket.MessageText, []byte(`{"type":"pong"}`))
		}
	}
}

// BenchmarkIdleConnections measures the server's memory per idle visitor
// connection: it starts the server as a child process (so that the
// clients' memory is not counted), opens the connections, and divides the
// growth of the child's resident memory by their number. Run it with
// -benchtime 1x; 10,000 connections need `ulimit -n` above 10,100.
func BenchmarkIdleConnections(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				server, addr := startCrashServer(b, filepath.Join(b.TempDir(), "idle.db"))
				h := &harness{t: b, url: "http://" + addr}
				// Warm up the server so that one-time allocations are not
				// counted per connection.
				warm := make([]*websocket.Conn, 50)
				for i := range warm {
					warm[i] = h.rawDial(b, "/chat/ws", "")
				}
				before := rss(b, server.Process.Pid)
				conns := make([]*websocket.Conn, n)
				for i := range conns {
					conns[i] = h.rawDial(b, "/chat/ws", "")
					go drain(conns[i])
				}
				after := rss(b, server.Process.Pid)
				b.ReportMetric(float64(after-before)/float64(n)/1024, "KiB/conn")
				for _, c := range append(conns, warm...) {
					c.CloseNow()
				}
			}
		})
	}
}

// rss returns a process's resident memory in bytes.
func rss(b *testing.B, pid int) int64 {
	b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb * 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// BenchmarkSendsOneConnection measures how many messages one agent
// connection gets acked per second, writing to 64 conversations in turn:
// waiting for each ack before the next send, and pipelined (writing
// without waiting while a second goroutine reads the acks), and pipelined
// into one conversation, whose messages are handled one after another.
// It runs on the SQLite store and, to show the transport's own share, on
// the memory store. b.N is the number of messages.
func BenchmarkSendsOneConnection(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) chat.Store
	}{
		{"SQLite", openSQLiteBench},
		{"PostgreSQL", func(b *testing.B) chat.Store {
			s := openPostgresBench(b)
			// database/sql keeps two idle connections by default: with
			// more frames in hand than that, each read would open one.
			s.DB().SetMaxIdleConns(64)
			return s
		}},
		{"memory", func(*testing.B) chat.Store { return memory.New() }},
	}
	for _, st := range stores {
		for _, bc := range []struct {
			name          string
			conversations int
			pipelined     bool
		}{
			{"waiting", 64, false},
			{"pipelined", 64, true},
			{"pipelined-one-conversation", 1, true},
		} {
			b.Run(st.name+"/"+bc.name, func(b *testing.B) {
				benchSends(b, newBenchHarness(b, st.open(b)), bc.conversations, bc.pipelined)
			})
		}
	}
}

func benchSends(b *testing.B, h *harness, conversations int, pipelined bool) {
	ids := make([]string, conversations)
	for i := range ids {
		v, err := h.desk.SaveVisitor(b.Context(), chat.Visitor{})
		if err != nil {
			b.Fatal(err)
		}
		c, err := h.desk.Start(b.Context(), chat.StartRequest{VisitorID: v.ID})
		if err != nil {
			b.Fatal(err)
		}
		// The agent answers a visitor who wrote first.
		_, err = c.Post(b.Context(), chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()},
			Body: "Where is my parcel?", IdempotencyKey: "v"})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID().String()
	}
	agent := h.rawDial(b, "/staff/chat/ws", "olga")
	defer agent.CloseNow()
	frame := func(i int) []byte {
		return fmt.Appendf(nil, `{"type":"send","id":"%d","conversation_id":%q,"key":"%d","body":"Your parcel left the warehouse."}`,
			i, ids[i%len(ids)], i)
	}
	b.ResetTimer()
	start := time.Now()
	if pipelined {
		acked := make(chan error, 1)
		go func() { acked <- readAcks(agent, b.N) }()
		for i := range b.N {
			if err := agent.Write(context.Background(), websocket.MessageText, frame(i)); err != nil {
				b.Fatal(err)
			}
		}
		if err := <-acked; err != nil {
			b.Fatal(err)
		}
	} else {
		for i := range b.N {
			rawRequest(b, agent, string(frame(i)), strconv.Itoa(i))
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sends/s")
}

// readAcks reads until n acks arrived, failing on an error frame.
func readAcks(c *websocket.Conn, n int) error {
	for n > 0 {
		_, data, err := c.Read(context.Background())
		if err != nil {
			return err
		}
		var f wire.ServerFrame
		if err := json.Unmarshal(data, &f); err != nil {
			return err
		}
		switch f.Type {
		case wire.FrameAck:
			n--
		case wire.FrameError:
			return fmt.Errorf("%s: %s", f.Error.Code, f.Error.Message)
		}
	}
	return nil
}
