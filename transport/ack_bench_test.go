package transport_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/internal/pgtest"
	"github.com/parleychat/parley/store/postgres"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/wire"
)

// BenchmarkAcks measures how fast visitors' messages are acknowledged:
// 20 visitors each send 10 messages per second over WebSocket, without
// waiting for the acks, into conversations that are open with an agent
// connected, or waiting as offline requests because no agent is online.
// It reports the acks per second (b.N messages over the time from the
// first send to the last ack) and the p50 and p99 times from a send to its
// ack, on SQLite and, when PARLEY_TEST_POSTGRES is set, PostgreSQL.
func BenchmarkAcks(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) chat.Store
	}{
		{"SQLite", openSQLiteBench},
		{"PostgreSQL", func(b *testing.B) chat.Store { return openPostgresBench(b) }},
	}
	for _, st := range stores {
		for _, waiting := range []bool{false, true} {
			name := st.name + "/open"
			if waiting {
				name = st.name + "/waiting"
			}
			b.Run(name, func(b *testing.B) { benchAcks(b, newBenchHarness(b, st.open(b)), waiting) })
		}
	}
}

// openSQLiteBench opens a store in a new SQLite file.
func openSQLiteBench(b *testing.B) chat.Store {
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), sqlstore.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// startConversations connects n visitors, with an agent connection first
// when agent is set, and starts a conversation for each. The connections
// close when the benchmark ends.
func startConversations(b *testing.B, h *harness, n int, agent bool) ([]*websocket.Conn, []wire.ServerFrame) {
	if agent {
		a := h.rawDial(b, "/staff/chat/ws", "olga")
		b.Cleanup(func() { a.CloseNow() })
		go drain(a)
	}
	conns := make([]*websocket.Conn, n)
	started := make([]wire.ServerFrame, n)
	for i := range conns {
		c := h.rawDial(b, "/chat/ws", "")
		b.Cleanup(func() { c.CloseNow() })
		conns[i], started[i] = c, rawRequest(b, c, `{"type":"start","id":"s"}`, "s")
	}
	return conns, started
}

// openPostgresBench opens a store in a PostgreSQL schema of its own,
// dropped after the benchmark, or skips when PARLEY_TEST_POSTGRES is not
// set. The pool is database/sql's default.
func openPostgresBench(b *testing.B) *sqlstore.Store {
	db, err := sql.Open("pgx", pgtest.Schema(b, "bench_"))
	if err != nil {
		b.Fatal(err)
	}
	s, err := postgres.Open(b.Context(), db, sqlstore.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		s.Close(context.Background())
		db.Close()
	})
	return s
}

func benchAcks(b *testing.B, h *harness, waiting bool) {
	const (
		visitors = 20
		rate     = 10 // messages per second per visitor
	)
	conns, started := startConversations(b, h, visitors, !waiting)
	ids := make([]string, visitors)
	for i, f := range started {
		if want := map[bool]chat.Status{true: chat.StatusWaiting, false: chat.StatusOpen}[waiting]; f.Conversation.Status != want {
			b.Fatalf("conversation is %s, not %s", f.Conversation.Status, want)
		}
		ids[i] = f.ConversationID.String()
		// The first message of an offline request is answered with the
		// acknowledgement; the benchmark measures the messages after it.
		rawRequest(b, conns[i], fmt.Sprintf(`{"type":"send","id":"w","conversation_id":%q,"key":"w","body":"Hello"}`, ids[i]), "w")
	}

	perVisitor := (b.N + visitors - 1) / visitors
	latencies := make([][]time.Duration, visitors)
	var wg sync.WaitGroup
	b.ResetTimer()
	begin := time.Now()
	for i, c := range conns {
		sent := make([]time.Time, perVisitor)
		var mu sync.Mutex
		wg.Add(2)
		go func() { // the visitor's reader: acks in any order
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute+time.Duration(perVisitor)*time.Second/rate)
			defer cancel()
			for n := 0; n < perVisitor; {
				_, data, err := c.Read(ctx)
				if err != nil {
					b.Errorf("visitor %d: %d of %d acks: %v", i, n, perVisitor, err)
					return
				}
				var f wire.ServerFrame
				if json.Unmarshal(data, &f) != nil {
					continue
				}
				switch f.Type {
				case wire.FramePing:
					_ = c.Write(ctx, websocket.MessageText, []byte(`{"type":"pong"}`))
				case wire.FrameError:
					b.Errorf("visitor %d: %s: %s", i, f.Error.Code, f.Error.Message)
					return
				case wire.FrameAck:
					k, err := strconv.Atoi(f.ID)
					if err != nil {
						continue
					}
					mu.Lock()
					latencies[i] = append(latencies[i], time.Since(sent[k]))
					mu.Unlock()
					n++
				}
			}
		}()
		go func() { // the visitor's writer: 10 messages a second
			defer wg.Done()
			tick := time.NewTicker(time.Second / rate)
			defer tick.Stop()
			for k := range perVisitor {
				<-tick.C
				frame := fmt.Sprintf(`{"type":"send","id":"%d","conversation_id":%q,"key":"m%d","body":"Is the blue bike in stock?"}`, k, ids[i], k)
				mu.Lock()
				sent[k] = time.Now()
				mu.Unlock()
				if err := c.Write(context.Background(), websocket.MessageText, []byte(frame)); err != nil {
					b.Errorf("visitor %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	b.StopTimer()
	all := slices.Concat(latencies...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "acks/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkSendThroughput measures how many messages per second the server
// acknowledges when it is the limit: 64 visitors with open conversations
// on the SQLite store each send their next message as soon as the last one
// is acknowledged, and one agent connection receives them all. Clients and
// server share the machine's cores, so the figure is a comparison between
// versions, not a capacity.
func BenchmarkSendThroughput(b *testing.B) {
	const visitors = 64
	conns, started := startConversations(b, newBenchHarness(b, openSQLiteBench(b)), visitors, true)
	var wg sync.WaitGroup
	b.ResetTimer()
	begin := time.Now()
	for i, c := range conns {
		wg.Go(func() {
			for k := i; k < b.N; k += visitors {
				id := strconv.Itoa(k)
				frame := fmt.Sprintf(`{"type":"send","id":%q,"conversation_id":%q,"key":%q,"body":"Is the blue bike in stock?"}`, id, started[i].ConversationID, id)
				if err := c.Write(context.Background(), websocket.MessageText, []byte(frame)); err != nil {
					b.Error(err)
					return
				}
				for acked := false; !acked; {
					_, data, err := c.Read(context.Background())
					if err != nil {
						b.Error(err)
						return
					}
					var f wire.ServerFrame
					acked = json.Unmarshal(data, &f) == nil && f.ID == id
					if acked && f.Type != wire.FrameAck {
						b.Errorf("%s: %+v", f.Type, f.Error)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(begin).Seconds(), "msgs/s")
}
