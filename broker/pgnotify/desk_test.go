package pgnotify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// newDesks returns n Desks on one memory store, each with a broker of its
// own on one prefix, as n instances of a shop, or skips.
func newDesks(tb testing.TB, n int) []*chat.Desk {
	tb.Helper()
	s := newSetup(tb)
	store := memory.New()
	var desks []*chat.Desk
	for i := range n {
		broker := s.broker(tb, func(c *Config) { c.ApplicationName += fmt.Sprintf("-desk%d", i) })
		desk, err := chat.NewDesk(chat.Config{Store: store, Broker: broker})
		require.NoError(tb, err)
		// Cleanups run last first: the Desk closes before its broker.
		tb.Cleanup(func() { require.NoError(tb, desk.Close(context.Background())) })
		desks = append(desks, desk)
	}
	return desks
}

// Three Desks, each with a broker of its own as three instances of a shop
// would have, share one store: what one posts reaches the subscribers of
// all three, once each and in order.
func TestThreeDesksDeliverAcross(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	desks := newDesks(t, 3)
	var subs []*chat.Subscription
	for _, desk := range desks {
		sub, err := desk.Subscribe(ctx, chat.TopicAll)
		require.NoError(t, err)
		subs = append(subs, sub)
	}

	v, err := desks[0].SaveVisitor(ctx, chat.Visitor{Name: "Anna"})
	require.NoError(t, err)
	conv, err := desks[0].Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	post := func(desk *chat.Desk, body string) {
		t.Helper()
		c, err := desk.Conversation(ctx, conv.ID())
		require.NoError(t, err)
		_, err = c.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorBot, ID: "helper"}, Body: body})
		require.NoError(t, err)
	}
	bodies := []string{"from the first", "from the second", "from the third", "once more from the first"}
	for i, body := range bodies[:3] {
		post(desks[i], body)
	}
	post(desks[0], bodies[3])

	for i, sub := range subs {
		for seq, body := range bodies {
			e := nextMessage(t, sub)
			require.Equal(t, int64(seq+1), e.Message.Seq, "desk %d", i)
			require.Equal(t, body, e.Message.Body, "desk %d", i)
		}
	}
}

// nextMessage returns the next message event of sub, skipping the others.
func nextMessage(t *testing.T, sub *chat.Subscription) chat.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-sub.Events():
			require.True(t, ok, "subscription ended: %v", sub.Err())
			if e.Type == chat.EventMessage {
				return e
			}
		case <-timeout:
			t.Fatal("no message within 10s")
		}
	}
}

// BenchmarkDeskToDesk measures what a shopper on one instance and an agent
// on another see: from Post on one Desk to the message event on a
// subscription of another Desk, through PostgreSQL. The store is in
// memory, so the figure is the broker's share; the store's append adds its
// own (see the store benchmarks).
func BenchmarkDeskToDesk(b *testing.B) {
	desks := newDesks(b, 2)
	ctx := context.Background()
	sub, err := desks[1].Subscribe(ctx, chat.TopicAll)
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	v, err := desks[0].SaveVisitor(ctx, chat.Visitor{Name: "Anna"})
	if err != nil {
		b.Fatal(err)
	}
	conv, err := desks[0].Start(ctx, chat.StartRequest{VisitorID: v.ID})
	if err != nil {
		b.Fatal(err)
	}
	author := chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}
	latencies := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		m, err := conv.Post(ctx, chat.Message{Author: author, Body: "Is the city bike available in a 54 cm frame?"})
		if err != nil {
			b.Fatal(err)
		}
		for e := range sub.Events() {
			if e.Type == chat.EventMessage && e.Message.Seq == m.Seq {
				break
			}
		}
		if err := sub.Err(); err != nil {
			b.Fatal(err)
		}
		latencies = append(latencies, time.Since(start))
	}
	b.StopTimer()
	reportLatencies(b, latencies)
}
