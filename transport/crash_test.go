package transport_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// TestCrashServerChild is the server that TestKillAndRestartLosesNothing
// runs as a child process and kills, and that the benchmarks run apart
// from their clients. It serves until killed.
func TestCrashServerChild(t *testing.T) {
	path := os.Getenv("PARLEY_CRASH_DB")
	if path == "" {
		t.Skip("the server process of TestKillAndRestartLosesNothing; runs only as its child")
	}
	ctx := context.Background()
	store, err := sqlite.Open(ctx, path, sqlstore.Config{})
	require.NoError(t, err)
	desk, err := chat.NewDesk(chat.Config{Store: store})
	require.NoError(t, err)
	srv, err := transport.New(transport.Config{Desk: desk, Secret: testSecret, RateLimit: 1000, RateBurst: 1000, SendQueue: 1024,
		AuthenticateAgent: func(r *http.Request) (chat.Agent, error) {
			if id := r.Header.Get("X-Test-Agent"); id != "" {
				return chat.Agent{ID: id, Name: "Agent " + id}, nil
			}
			return chat.Agent{}, fmt.Errorf("not logged in")
		}})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/chat/", http.StripPrefix("/chat", srv.VisitorHandler()))
	mux.Handle("/staff/chat/", http.StripPrefix("/staff/chat", srv.AgentHandler()))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	fmt.Printf("ADDR %s\n", ln.Addr())
	_ = http.Serve(ln, mux)
}

// startCrashServer starts the child server on the database file and
// returns it with its address.
func startCrashServer(t testing.TB, db string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashServerChild$", "-test.v")
	cmd.Env = append(os.Environ(), "PARLEY_CRASH_DB="+db)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if addr, ok := strings.CutPrefix(lines.Text(), "ADDR "); ok {
			go func() { _, _ = bufio.NewReader(out).WriteTo(devNull{}) }()
			return cmd, addr
		}
	}
	t.Fatal("the child server did not start")
	return nil, ""
}

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }

// TestKillAndRestartLosesNothing kills the server with SIGKILL while
// visitors are sending, restarts it on the same SQLite file, and checks
// that every acked message is stored exactly once and that the visitors
// resume: the message in flight at the crash is resent with its key and
// stored once, and each transcript is gap-free.
func TestKillAndRestartLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	db := filepath.Join(t.TempDir(), "crash.db")
	server, addr := startCrashServer(t, db)
	h := &harness{t: t, url: "http://" + addr}

	const visitors = 4
	clients := make([]*client, visitors)
	convs := make([]chat.ConversationInfo, visitors)
	for i := range clients {
		clients[i] = h.visitor(ws)
		convs[i] = clients[i].start("")
	}
	var mu sync.Mutex
	acked := make([]map[string]int64, visitors) // key to seq
	inFlight := make([]string, visitors)        // the key sent but not acked at the crash
	progress := make(chan struct{}, 10000)
	var wg sync.WaitGroup
	for i, c := range clients {
		acked[i] = map[string]int64{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				key := fmt.Sprintf("v%d-%d", i, n)
				mu.Lock()
				inFlight[i] = key
				mu.Unlock()
				if c.trySend(wire.ClientFrame{Type: wire.FrameSend, ID: key, ConversationID: convs[i].ID, Key: key, Body: key}) != nil {
					return
				}
				r, ok := c.tryExpect(func(f wire.ServerFrame) bool { return f.ID == key }, 3*time.Second)
				if !ok || r.Type != wire.FrameAck {
					return
				}
				mu.Lock()
				acked[i][key] = r.Seq
				inFlight[i] = ""
				mu.Unlock()
				progress <- struct{}{}
			}
		}()
	}
	for range 200 {
		<-progress
	}
	require.NoError(t, server.Process.Kill())
	_ = server.Wait()
	wg.Wait()

	_, addr = startCrashServer(t, db)
	h = &harness{t: t, url: "http://" + addr}
	total := 0
	for i, c := range clients {
		back := h.visitor(ws, clientOptions{token: c.welcome.Token})
		// Resume as the protocol says: sync, then resend what was not acked.
		synced := back.mustRequest(wire.ClientFrame{Type: wire.FrameSync, ConversationID: convs[i].ID})
		got := back.messages(convs[i], int(synced.LastSeq))
		if key := inFlight[i]; key != "" {
			r := back.mustRequest(wire.ClientFrame{Type: wire.FrameSend, ConversationID: convs[i].ID, Key: key, Body: key})
			acked[i][key] = r.Seq
			if r.Seq > synced.LastSeq {
				got = append(got, back.messages(convs[i], 1)...)
			}
		}
		count := map[string]int{}
		for j, m := range got {
			require.Equal(t, int64(j+1), m.Seq, "the transcript is gap-free after the crash")
			count[m.IdempotencyKey]++
		}
		for key, seq := range acked[i] {
			assert.Equal(t, 1, count[key], "acked message %s (seq %d) is stored exactly once", key, seq)
		}
		// Nobody is online, so the first message is acknowledged as an
		// offline request, once.
		assert.Equal(t, 1, count["parley:offline-ack"], "the offline request is acknowledged once")
		assert.Len(t, got, len(acked[i])+1, "nothing but acked (or resent) messages is stored")
		total += len(acked[i])
	}
	assert.GreaterOrEqual(t, total, 200)
}
