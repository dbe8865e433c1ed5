package brokertest

import (
	"slices"
	"testing"
	"time"

	"github.com/parleychat/parley/chat"
)

// Benchmark measures the latency from Publish on one broker to delivery on
// a subscriber of another, one event at a time, and reports its median
// and 99th percentile as the metrics p50-µs and p99-µs. newBroker is the
// function given to Run.
//
//	func BenchmarkBroker(b *testing.B) {
//		brokertest.Benchmark(b, newBroker)
//	}
func Benchmark(b *testing.B, newBroker func(tb testing.TB) chat.Broker) {
	pub, sub := newBroker(b), newBroker(b)
	key := chat.NewID()
	arrived := make(chan time.Time, 1)
	stop, err := sub.Subscribe(b.Context(), func(e chat.Event) {
		if e.ConversationID == key {
			arrived <- time.Now()
		}
	})
	if err != nil {
		b.Fatalf("Subscribe: %v", err)
	}
	defer stop()
	e := chat.Event{Type: chat.EventTyping, ConversationID: key, VisitorID: chat.NewID(),
		Author: chat.Author{Kind: chat.AuthorAgent, ID: "agent-1", Name: "Zoë"}, Typing: true}
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		e.At = start
		if err := pub.Publish(b.Context(), e); err != nil {
			b.Fatalf("Publish: %v", err)
		}
		select {
		case at := <-arrived:
			latencies = append(latencies, at.Sub(start))
		case <-time.After(Wait):
			b.Fatalf("an event took longer than %v to arrive", Wait)
		}
	}
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(percentile(latencies, 50).Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(percentile(latencies, 99).Nanoseconds())/1e3, "p99-µs")
}

// percentile returns the p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}
