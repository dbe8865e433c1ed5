package load

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestClientOnly holds the package's promise: the load generator speaks
// the protocol through package wire and a WebSocket client, compiling
// none of the server.
func TestClientOnly(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	wire := false
	for _, dep := range deps {
		switch {
		case dep == "github.com/parleychat/parley/wire":
			wire = true
		case dep == "github.com/parleychat/parley/transport",
			strings.HasPrefix(dep, "github.com/parleychat/parley/store"),
			strings.HasPrefix(dep, "github.com/parleychat/parley/route"),
			strings.HasPrefix(dep, "github.com/parleychat/parley/broker"),
			strings.HasSuffix(dep, "/benchserve"):
			t.Errorf("the load generator depends on %s", dep)
		}
	}
	if !wire {
		t.Error("the load generator does not use package wire")
	}
}

func TestStampRoundTrip(t *testing.T) {
	in := stamp{dir: toVisitor, conv: 499, seq: 12345, sent: 9876543210 * time.Nanosecond}
	got, ok := parseStamp(in.body())
	if !ok || got != in {
		t.Fatalf("parseStamp(%q) = %+v, %v; want %+v", in.body(), got, ok, in)
	}
	for _, body := range []string{"hello", "parley-bench x 1 1 1", "parley-bench v 1 0 1", "parley-bench v 1 2", "parley-bench v a 1 1"} {
		if s, ok := parseStamp(body); ok {
			t.Errorf("parseStamp(%q) = %+v; want it refused", body, s)
		}
	}
}

func TestSummarise(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := summarise(ds)
	want := Latency{Count: 100, P50: 50, P90: 90, P99: 99, Max: 100}
	if got != want {
		t.Errorf("summarise(1..100 ms) = %+v; want %+v", got, want)
	}
	if got := summarise(nil); got != (Latency{}) {
		t.Errorf("summarise(nil) = %+v", got)
	}
}

func TestProc(t *testing.T) {
	// Spend some CPU so that the clock's ticks show it.
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) {
	}
	cpu, err := cpuTime(os.Getpid())
	if err != nil || cpu <= 0 {
		t.Errorf("cpuTime = %v, %v; want a positive time", cpu, err)
	}
	mem, err := rss(os.Getpid())
	if err != nil || mem < 1<<20 {
		t.Errorf("rss = %d, %v; want a megabyte or more", mem, err)
	}
	if _, err := rss(0); err == nil {
		t.Error("rss of pid 0 did not fail")
	}
}
