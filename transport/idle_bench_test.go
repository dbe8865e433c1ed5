package transport_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/parleychat/parley/transport"
)

// perProcess is how many idle connections one server process, and one
// client process, holds in BenchmarkIdleConnections: a process may have at
// most 20,000 files open here, and the limit cannot be raised.
const perProcess = 15000

// BenchmarkIdleConnections measures the server's memory per idle visitor
// connection (hello done, welcome received, nothing else). The servers
// run as child processes with the default Config on SQLite, each holding
// at most perProcess connections; the clients run in other child
// processes, so that no client memory is counted, and connect from
// several loopback addresses (127.0.0.2 and up) so that no address runs
// out of ephemeral ports. It reports the growth of the servers' resident
// memory per connection (KiB/conn), of their heap and stacks after a
// garbage collection (live-KiB/conn; stack-KiB/conn of it are stacks),
// and of their goroutines. Run it with -benchtime 1x.
func BenchmarkIdleConnections(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000, 100000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				benchIdle(b, n)
			}
		})
	}
}

func benchIdle(b *testing.B, n int) {
	servers := (n + perProcess - 1) / perProcess
	addrs := make([]string, servers)
	before := make([]memoryReport, servers)
	var warm []*websocket.Conn
	for i := range addrs {
		_, addrs[i] = startCrashServer(b, filepath.Join(b.TempDir(), fmt.Sprintf("idle%d.db", i)), "PARLEY_CHILD_DEFAULTS=1")
		// Warm each server up so that one-time allocations are not
		// counted per connection.
		h := &harness{t: b, url: "http://" + addrs[i]}
		for range 50 {
			c := h.rawDial(b, "/chat/ws", "")
			go drain(c)
			warm = append(warm, c)
		}
		before[i] = serverMemory(b, addrs[i])
	}
	b.Cleanup(func() {
		for _, c := range warm {
			c.CloseNow()
		}
	})
	var wg sync.WaitGroup
	for i, addr := range addrs {
		count := n / servers
		if i < n%servers {
			count++
		}
		wg.Go(func() { startIdleClients(b, addr, count, i) })
	}
	wg.Wait()
	var rss, heap, stack, goroutines, open int64
	for i, addr := range addrs {
		after := serverMemory(b, addr)
		rss += after.RSS - before[i].RSS
		heap += after.Heap - before[i].Heap
		stack += after.Stack - before[i].Stack
		goroutines += int64(after.Goroutines - before[i].Goroutines)
		open += int64(after.Connections - before[i].Connections)
	}
	// Per connection still open: under load a client may miss its
	// heartbeat and be closed before the count.
	b.ReportMetric(float64(open), "conns")
	b.ReportMetric(float64(rss)/float64(open)/1024, "KiB/conn")
	b.ReportMetric(float64(heap+stack)/float64(open)/1024, "live-KiB/conn")
	b.ReportMetric(float64(stack)/float64(open)/1024, "stack-KiB/conn")
	b.ReportMetric(float64(goroutines)/float64(open), "goroutines/conn")
}

// startIdleClients starts a client process holding count idle visitor
// connections to addr and returns once all of them are welcomed. The
// process ends with the benchmark.
func startIdleClients(b *testing.B, addr string, count, index int) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClientChild$", "-test.v")
	cmd.Env = append(os.Environ(), "PARLEY_IDLE_SERVER="+addr, "PARLEY_IDLE_CONNS="+strconv.Itoa(count),
		"PARLEY_IDLE_SOURCE="+strconv.Itoa(2+4*index))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Error(err)
		return
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Error(err)
		return
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Error(err)
		return
	}
	b.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if lines.Text() == "READY" {
			go func() { _, _ = bufio.NewReader(out).WriteTo(devNull{}) }()
			return
		}
	}
	b.Errorf("the client process for %s did not connect its %d visitors", addr, count)
}

// TestIdleClientChild is the client process of BenchmarkIdleConnections:
// it opens idle visitor connections, says READY, and holds them, answering
// pings, until its standard input closes.
func TestIdleClientChild(t *testing.T) {
	addr := os.Getenv("PARLEY_IDLE_SERVER")
	if addr == "" {
		t.Skip("the client process of BenchmarkIdleConnections; runs only as its child")
	}
	count, err := strconv.Atoi(os.Getenv("PARLEY_IDLE_CONNS"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := strconv.Atoi(os.Getenv("PARLEY_IDLE_SOURCE"))
	if err != nil {
		t.Fatal(err)
	}
	const sources, workers = 4, 8
	clients := make([]*http.Client, sources)
	for i := range clients {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(first+i))}}
		clients[i] = &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	}
	u := "ws://" + addr + "/chat/ws"
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				c, _, err := websocket.Dial(context.Background(), u, &websocket.DialOptions{HTTPClient: clients[i%sources]})
				if err != nil {
					errs <- err
					return
				}
				c.SetReadLimit(1 << 20)
				if err := hello(c); err != nil {
					errs <- err
					return
				}
				go drain(c)
			}
		})
	}
	for i := range count {
		select {
		case next <- i:
		case err := <-errs:
			t.Fatalf("connection %d: %v", i, err)
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	fmt.Println("READY")
	_, _ = bufio.NewReader(os.Stdin).WriteTo(devNull{})
}

// hello says hello on c and waits for the welcome.
func hello(c *websocket.Conn) error {
	if err := c.Write(context.Background(), websocket.MessageText, []byte(`{"type":"hello","id":"h","v":1}`)); err != nil {
		return err
	}
	for {
		_, data, err := c.Read(context.Background())
		if err != nil {
			return err
		}
		var f struct{ Type, ID string }
		if err := json.Unmarshal(data, &f); err != nil {
			return err
		}
		if f.ID == "h" {
			if f.Type != "welcome" {
				return fmt.Errorf("hello answered with %s", data)
			}
			return nil
		}
	}
}

// memoryReport is what a server process tells of its memory.
type memoryReport struct {
	RSS         int64 // resident memory, bytes
	Heap        int64 // heap in use after a collection, bytes
	Stack       int64 // goroutine stacks, bytes
	Goroutines  int
	Connections int // open connections of the transport
}

// memoryHandler answers with the memoryReport of the server process that
// serves srv.
func memoryHandler(srv *transport.Server) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		rep := memoryReport{RSS: residentMemory(), Goroutines: runtime.NumGoroutine(), Connections: srv.Stats().Connections}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		rep.Heap, rep.Stack = int64(m.HeapInuse), int64(m.StackInuse)
		if dir := os.Getenv("PARLEY_IDLE_PROFILES"); dir != "" {
			// A heap and a goroutine profile at each report, to see where
			// the bytes go.
			for _, name := range []string{"heap", "goroutine"} {
				f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d-%d.pprof", name, os.Getpid(), rep.Goroutines)))
				if err == nil {
					_ = pprof.Lookup(name).WriteTo(f, 0)
					_ = f.Close()
				}
			}
		}
		_ = json.NewEncoder(w).Encode(rep)
	}
}

// serverMemory asks the server process at addr for its memoryReport.
func serverMemory(b *testing.B, addr string) memoryReport {
	b.Helper()
	resp, err := http.Get("http://" + addr + "/debug/memory")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var rep memoryReport
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		b.Fatal(err)
	}
	return rep
}

// residentMemory returns the process's resident memory in bytes, or -1.
func residentMemory() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return -1
			}
			return kb * 1024
		}
	}
	return -1
}
