package storetest

import (
	"context"
	"fmt"
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
//   - Last50: reading the newest 50 messages of a 1,000-message transcript,
//     what a console or a reconnecting widget does.
//
// Append benchmarks report msgs/s besides ns/op.
func Benchmark(b *testing.B, newStore func(b *testing.B) chat.Store) {
	b.Run("AppendParallel", func(b *testing.B) { benchAppend(b, newStore(b), 256) })
	b.Run("AppendOneConversation", func(b *testing.B) { benchAppend(b, newStore(b), 1) })
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
