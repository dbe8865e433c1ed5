package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// writers is how many goroutines per GOMAXPROCS the parallel append
// benchmarks run. A shop with a few hundred open chats has far more
// concurrent writers than CPUs; a store that batches their commits is
// measured as it will run.
const writers = 32

// Benchmark measures the hot paths of a chat against the stores newStore
// makes (it is called once per sub-benchmark):
//
//   - AppendParallel: 32×GOMAXPROCS goroutines append single messages
//     to 256 conversations.
//   - AppendOneConversation: as many goroutines append to one conversation,
//     the worst case for per-conversation sequence numbers.
//   - Writers64: exactly 64 goroutines, whatever GOMAXPROCS, each
//     appending one message at a time with an idempotency key, the next
//     once the last is answered, to 256 conversations: the load of a
//     program with 64 busy chats. Besides msgs/s it reports the median and
//     99th percentile time an append waits for its answer (p50-ms, p99-ms).
//   - Last50: reading the newest 50 messages of a 1,000-message transcript,
//     what a console or a reconnecting widget does.
//
// Append benchmarks report msgs/s besides ns/op.
func Benchmark(b *testing.B, newStore func(b *testing.B) chat.Store) {
	b.Run("AppendParallel", func(b *testing.B) { benchAppend(b, newStore(b), 256) })
	b.Run("AppendOneConversation", func(b *testing.B) { benchAppend(b, newStore(b), 1) })
	b.Run("Writers64", func(b *testing.B) { benchWriters(b, newStore(b), 64, 256) })
	b.Run("Last50", func(b *testing.B) { benchLast50(b, newStore(b)) })
}

// benchConversations stores n queued conversations of one visitor.
func benchConversations(b *testing.B, s chat.Store, n int) []uuid.UUID {
	b.Helper()
	ctx := b.Context()
	v := newVisitor()
	if err := s.PutVisitor(ctx, v); err != nil {
		b.Fatal(err)
	}
	out := make([]uuid.UUID, n)
	for i := range out {
		c, err := s.CreateConversation(ctx, newConversation(v.ID))
		if err != nil {
			b.Fatal(err)
		}
		out[i] = c.ID
	}
	return out
}

func benchAppend(b *testing.B, s chat.Store, conversations int) {
	ids := benchConversations(b, s, conversations)
	ctx := context.Background()
	var next atomic.Uint64
	b.SetParallelism(writers)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			m := newMessage(ids[i%uint64(len(ids))], "Hello, is the blue bike in stock in size M?")
			m.IdempotencyKey = fmt.Sprint("bench-", i)
			if _, _, err := s.AppendMessage(ctx, m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// benchWriters runs n goroutines that share b.N appends over the given
// number of conversations, each waiting for its answer before the next,
// and reports the rate and the latency of an append.
func benchWriters(b *testing.B, s chat.Store, n, conversations int) {
	ids := benchConversations(b, s, conversations)
	ctx := context.Background()
	var next atomic.Int64
	lat := make([][]time.Duration, n)
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for w := range n {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				m := newMessage(ids[int(i)%len(ids)], "Hello, is the blue bike in stock in size M?")
				m.IdempotencyKey = uuid.NewString()
				t := time.Now()
				if _, _, err := s.AppendMessage(ctx, m); err != nil {
					b.Error(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	ms := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

func benchLast50(b *testing.B, s chat.Store) {
	id := benchConversations(b, s, 1)[0]
	ctx := b.Context()
	for i := range 1000 {
		if _, _, err := s.AppendMessage(ctx, newMessage(id, fmt.Sprint("message ", i))); err != nil {
			b.Fatal(err)
		}
	}
	q := chat.MessageQuery{Limit: 50, Latest: true}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ms, err := s.Messages(ctx, id, q)
		if err != nil {
			b.Fatal(err)
		}
		if len(ms) != 50 || ms[49].Seq != 1000 {
			b.Fatalf("got %d messages ending at the wrong seq", len(ms))
		}
	}
}
