package load

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is the unit of utime and stime in /proc/PID/stat (USER_HZ),
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuTime reads a process's user plus system CPU time from /proc/PID/stat.
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces:
	// count the fields after its closing parenthesis.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q, stime %q", pid, f[11], f[12])
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// rss reads a process's resident memory (VmRSS) in bytes.
func rss(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/%d/status: VmRSS %q", pid, rest)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS (a kernel thread?)", pid)
}

// Server is what the run measured of the server's process, given its pid.
type Server struct {
	PID int `json:"pid"`
	// CPUPercent is the CPU time (user and system) the process used during
	// the run, as a percentage of one core: 150 means one and a half cores.
	CPUPercent float64 `json:"cpu_percent"`
	// RSSStart is the resident memory when the run started, PeakRSS the
	// highest sampled during it (every 100 ms), in bytes.
	RSSStart int64 `json:"rss_start_bytes"`
	PeakRSS  int64 `json:"peak_rss_bytes"`
}

// watcher samples a process's CPU time and memory during a run.
type watcher struct {
	pid      int
	started  time.Time
	cpuStart time.Duration
	rssStart int64

	mu   sync.Mutex
	peak int64
	err  error

	stop context.CancelFunc
	done chan struct{}
}

// watch starts sampling pid. A pid of 0 watches nothing.
func watch(pid int) (*watcher, error) {
	if pid == 0 {
		return nil, nil
	}
	cpu, err := cpuTime(pid)
	if err != nil {
		return nil, err
	}
	mem, err := rss(pid)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{pid: pid, started: time.Now(), cpuStart: cpu, rssStart: mem, peak: mem, stop: cancel, done: make(chan struct{})}
	go w.sample(ctx)
	return w, nil
}

func (w *watcher) sample(ctx context.Context) {
	defer close(w.done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m, err := rss(w.pid)
		w.mu.Lock()
		if err != nil {
			w.err = err
		} else {
			w.peak = max(w.peak, m)
		}
		w.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// finish stops sampling and returns what was measured.
func (w *watcher) finish() (*Server, error) {
	if w == nil {
		return nil, nil
	}
	cpu, cpuErr := cpuTime(w.pid)
	elapsed := time.Since(w.started)
	w.stop()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if cpuErr != nil {
		return nil, cpuErr
	}
	if w.err != nil {
		return nil, w.err
	}
	return &Server{
		PID:        w.pid,
		CPUPercent: 100 * float64(cpu-w.cpuStart) / float64(elapsed),
		RSSStart:   w.rssStart,
		PeakRSS:    w.peak,
	}, nil
}
