package pgnotify

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/broker/brokertest"
	"github.com/parleychat/parley/chat"
)

// BenchmarkPublishDeliver measures the latency from Publish on one broker
// to deliver on another, as between two instances of a shop: one event at
// a time, inline (a short message) and by reference (a body of
// chat.MaxBodyBytes). It reports the median and the 99th percentile.
func BenchmarkPublishDeliver(b *testing.B) {
	for _, bc := range []struct {
		name string
		body string
	}{
		{"inline", "Is the city bike available in a 54 cm frame? I would like to pick it up on Saturday."},
		{"large", strings.Repeat("<", chat.MaxBodyBytes)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := newSetup(b)
			pub := s.broker(b, func(c *Config) { c.ApplicationName += "-pub" })
			got := make(chan chat.Event, 1)
			stop, err := s.broker(b, nil).Subscribe(context.Background(), func(e chat.Event) { got <- e })
			if err != nil {
				b.Fatal(err)
			}
			defer stop()
			e := fullEvent()
			e.Message.Body = bc.body
			ctx := context.Background()
			// One event first, so that creating the table and preparing
			// the statements are not measured.
			e.Seq = -1
			if err := pub.Publish(ctx, e); err != nil {
				b.Fatal(err)
			}
			for d := <-got; d.Seq != e.Seq; d = <-got {
			}
			latencies := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				e.Seq = int64(i)
				start := time.Now()
				if err := pub.Publish(ctx, e); err != nil {
					b.Fatal(err)
				}
				for d := <-got; d.Seq != e.Seq; d = <-got {
				}
				latencies = append(latencies, time.Since(start))
			}
			b.StopTimer()
			reportLatencies(b, latencies)
		})
	}
}

// reportLatencies reports the median and the 99th percentile of latencies
// in milliseconds, as p50-ms and p99-ms.
func reportLatencies(b *testing.B, latencies []time.Duration) {
	slices.Sort(latencies)
	ms := func(q float64) float64 {
		return float64(latencies[int(q*float64(len(latencies)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

// BenchmarkBroker is the latency benchmark every broker runs, for
// comparison with the others: a small typing event, inline.
func BenchmarkBroker(b *testing.B) {
	s := newSetup(b)
	brokertest.Benchmark(b, func(tb testing.TB) chat.Broker { return s.broker(tb, nil) })
}

// BenchmarkPublishParallel publishes typing events from 64 goroutines at
// once (32 per core on two cores) and reports events a second, each
// counted once the subscriber of another broker has it.
func BenchmarkPublishParallel(b *testing.B) {
	s := newSetup(b)
	pub := s.broker(b, nil)
	received := make(chan struct{}, 1<<16)
	stop, err := s.broker(b, nil).Subscribe(context.Background(), func(chat.Event) { received <- struct{}{} })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	b.SetParallelism(32)
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		e := chat.Event{Type: chat.EventTyping, ConversationID: uuid.New()}
		for pb.Next() {
			if err := pub.Publish(context.Background(), e); err != nil {
				b.Error(err)
				return
			}
		}
	})
	for range b.N {
		select {
		case <-received:
		case <-time.After(10 * time.Second):
			b.Fatal("an event was not delivered within 10s")
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
