package load

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// direction is who wrote a message: the visitor to the agent, or back.
type direction byte

const (
	toAgent   direction = 'v' // written by the visitor, measured at the agent
	toVisitor direction = 'a' // a reply by the agent, measured at the visitor
)

// bodyPrefix starts every message body the bench writes; bodies without it
// (system messages, a real agent's words) are not counted.
const bodyPrefix = "parley-bench "

// stamp is what a message body carries: who wrote it, to which of the
// run's conversations, its number in that direction, and when it was sent
// on the run's monotonic clock.
type stamp struct {
	dir  direction
	conv int
	seq  int
	sent time.Duration
}

// body writes s as a message body.
func (s stamp) body() string {
	return fmt.Sprintf("%s%c %d %d %d", bodyPrefix, s.dir, s.conv, s.seq, int64(s.sent))
}

// parseStamp reads a body written by body.
func parseStamp(body string) (stamp, bool) {
	rest, ok := strings.CutPrefix(body, bodyPrefix)
	if !ok {
		return stamp{}, false
	}
	f := strings.Fields(rest)
	if len(f) != 4 || len(f[0]) != 1 || (f[0][0] != byte(toAgent) && f[0][0] != byte(toVisitor)) {
		return stamp{}, false
	}
	conv, err1 := strconv.Atoi(f[1])
	seq, err2 := strconv.Atoi(f[2])
	sent, err3 := strconv.ParseInt(f[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || seq < 1 {
		return stamp{}, false
	}
	return stamp{dir: direction(f[0][0]), conv: conv, seq: seq, sent: time.Duration(sent)}, true
}

// msgState is what became of one message.
type msgState uint8

const (
	stateSent msgState = 1 << iota
	stateAcked
	stateRefused // answered with an error
	stateDelivered
)

// stream is the messages of one conversation in one direction, by number.
type stream struct {
	mu        sync.Mutex
	msgs      []msgState // msgs[seq-1]
	latencies []time.Duration
	dups      int
}

// next records one more message as sent and returns its number.
func (s *stream) next() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, stateSent)
	return len(s.msgs)
}

func (s *stream) mark(seq int, st msgState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq >= 1 && seq <= len(s.msgs) {
		s.msgs[seq-1] |= st
	}
}

// deliver records the arrival of message seq after latency.
func (s *stream) deliver(seq int, latency time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq < 1 || seq > len(s.msgs) {
		return
	}
	if s.msgs[seq-1]&stateDelivered != 0 {
		s.dups++
		return
	}
	s.msgs[seq-1] |= stateDelivered
	s.latencies = append(s.latencies, latency)
}

// tally counts a stream's messages into t.
func (s *stream) tally(t *Flow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		t.Sent++
		switch {
		case m&stateAcked != 0:
			t.Acked++
			if m&stateDelivered == 0 {
				t.Lost++
			}
		case m&stateRefused != 0:
			t.Refused++
		default:
			t.Unanswered++
		}
		if m&stateDelivered != 0 {
			t.Delivered++
		}
	}
	t.Duplicates += int64(s.dups)
}

// settled reports whether every message of the stream is answered, and
// every acked one delivered.
func (s *stream) settled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if m&(stateAcked|stateRefused) == 0 || m&stateAcked != 0 && m&stateDelivered == 0 {
			return false
		}
	}
	return true
}

// Flow counts the messages of one direction.
type Flow struct {
	Sent       int64 `json:"sent"`
	Acked      int64 `json:"acked"`
	Refused    int64 `json:"refused"`    // answered with an error frame
	Unanswered int64 `json:"unanswered"` // neither acked nor refused when the run ended
	Delivered  int64 `json:"delivered"`
	// Lost counts messages acked by the server but not delivered to the
	// other side within the grace period after the run.
	Lost       int64   `json:"lost"`
	Duplicates int64   `json:"duplicates"` // delivered more than once
	Latency    Latency `json:"latency"`
}

// Latency summarises the times from a message's send to its delivery, in
// milliseconds.
type Latency struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// summarise computes the percentiles of ds (nearest rank), sorting it.
func summarise(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	at := func(p float64) float64 {
		i := int(p*float64(len(ds))+0.999999) - 1
		i = max(0, min(i, len(ds)-1))
		return ms(ds[i])
	}
	return Latency{Count: int64(len(ds)), P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: ms(ds[len(ds)-1])}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// counter counts by name, safely from any goroutine.
type counter struct {
	mu sync.Mutex
	m  map[string]int64
}

func (c *counter) add(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]int64)
	}
	c.m[name]++
}

func (c *counter) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		return map[string]int64{}
	}
	return maps.Clone(c.m)
}
