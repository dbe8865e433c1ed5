package cluster_test

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// party is one side of a conversation writing to it over and over: a
// visitor or an agent, on one connection and, after a crash, on the next.
type party struct {
	name  string
	conv  uuid.UUID
	conns []*client // the connections used, the current one last

	// Written by write, read once it has returned.
	acked    map[string]int64 // seq by key
	inFlight string           // the key sent and not acked when write stopped
	sent     int
}

func (p *party) current() *client { return p.conns[len(p.conns)-1] }

// write sends messages one after the other, each once its predecessor is
// acked, until stop is closed or the connection fails, and tells progress
// of each ack. It runs in a goroutine of its own.
func (p *party) write(stop <-chan struct{}, progress chan<- *party) {
	c := p.current()
	for {
		select {
		case <-stop:
			return
		default:
		}
		key := fmt.Sprintf("%s-%d", p.name, p.sent)
		p.inFlight = key
		p.sent++
		if c.trySend(wire.ClientFrame{Type: wire.FrameSend, ID: key, ConversationID: p.conv, Key: key, Body: "body of " + key}) != nil {
			return
		}
		r, err := c.tryExpect(func(f wire.ServerFrame) bool { return f.ID == key }, wait)
		if err != nil || r.Type != wire.FrameAck {
			return // unacked: resent on the next connection
		}
		p.acked[key] = r.Seq
		p.inFlight = ""
		progress <- p
	}
}

// resume continues on connection c as the protocol says: sync from the
// last seq the earlier connections received, then resend the message that
// was not acked, with its key.
func (p *party) resume(t *testing.T, c *client) {
	t.Helper()
	var last int64
	for _, old := range p.conns {
		for _, m := range old.messages(p.conv) {
			last = max(last, m.Seq)
		}
	}
	p.conns = append(p.conns, c)
	c.request(wire.ClientFrame{Type: wire.FrameSync, ConversationID: p.conv, AfterSeq: last})
	if key := p.inFlight; key != "" {
		p.acked[key] = c.say(p.conv, key)
		p.inFlight = ""
	}
}

// received returns the messages of the conversation that p's connections
// were sent, in order.
func (p *party) received() []chat.Message {
	var out []chat.Message
	for _, c := range p.conns {
		out = append(out, c.messages(p.conv)...)
	}
	return out
}

// TestInstanceKilledMidConversation kills instance A while two
// conversations are busy: a visitor on A writing with an agent on B, and
// an agent on A writing with a visitor on C. Everyone writes at once. The
// visitor and the agent from A come back on C and B, sync from the last
// seq they saw and resend what was not acked, with its key. Every acked
// message is stored once, and every side receives each message of its
// conversation exactly once, in order, over its connections together.
func TestInstanceKilledMidConversation(t *testing.T) {
	forEachBroker(t, func(t *testing.T, b brokerKind) {
		in := newCluster(t, b, options{}).instances(3)
		a, bi, ci := in[0], in[1], in[2]
		olga := bi.agent(t, "olga", 1)
		anna := a.visitor(t, "")
		annaConv := anna.start("")
		require.Equal(t, "olga", annaConv.AgentID)
		ada := a.agent(t, "ada", 1)
		piotr := ci.visitor(t, "")
		piotrConv := piotr.start("")
		require.Equal(t, "ada", piotrConv.AgentID, "olga is full")
		olga.expect("anna's chat", func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventAssigned) && f.ConversationID == annaConv.ID
		})
		ada.expect("piotr's chat", func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventAssigned) && f.ConversationID == piotrConv.ID
		})

		parties := []*party{
			{name: "anna", conv: annaConv.ID, conns: []*client{anna}},
			{name: "olga", conv: annaConv.ID, conns: []*client{olga}},
			{name: "ada", conv: piotrConv.ID, conns: []*client{ada}},
			{name: "piotr", conv: piotrConv.ID, conns: []*client{piotr}},
		}
		onA := []*party{parties[0], parties[2]}
		stop := make(chan struct{})
		progress := make(chan *party, 1<<16)
		var wg sync.WaitGroup
		done := map[*party]chan struct{}{}
		for _, p := range parties {
			p.acked = map[string]int64{}
			finished := make(chan struct{})
			done[p] = finished
			wg.Go(func() {
				defer close(finished)
				p.write(stop, progress)
			})
		}
		acks := map[*party]int{}
		awaitAcks := func(what string, enough func() bool) {
			t.Helper()
			deadline := time.After(wait)
			for !enough() {
				select {
				case p := <-progress:
					acks[p]++
				case <-deadline:
					t.Fatalf("no %s within %s: %v", what, wait, acks)
				}
			}
		}
		awaitAcks("writing on A", func() bool { return acks[onA[0]] >= 10 && acks[onA[1]] >= 10 })
		a.kill()
		for _, p := range onA {
			select {
			case <-done[p]:
			case <-time.After(wait):
				t.Fatalf("%s kept writing to a dead instance", p.name)
			}
		}
		// The others write on while the crashed side is away.
		before := map[*party]int{parties[1]: acks[parties[1]], parties[3]: acks[parties[3]]}
		awaitAcks("writing while A is gone", func() bool {
			return acks[parties[1]] >= before[parties[1]]+5 && acks[parties[3]] >= before[parties[3]]+5
		})
		close(stop)
		wg.Wait()
		for _, p := range onA {
			t.Logf("%s: %d acked before the crash, %q in flight", p.name, len(p.acked), p.inFlight)
		}

		parties[0].resume(t, ci.visitor(t, anna.welcome.Token))
		parties[2].resume(t, bi.agent(t, "ada", 1))
		last := map[uuid.UUID]int64{}
		for _, p := range parties {
			seq := p.current().say(p.conv, p.name+"-last")
			p.acked[p.name+"-last"] = seq
			last[p.conv] = max(last[p.conv], seq)
		}

		ctx := context.Background()
		for _, conv := range []uuid.UUID{annaConv.ID, piotrConv.ID} {
			stored, err := ci.store.Messages(ctx, conv, chat.MessageQuery{Limit: chat.MaxPageSize})
			require.NoError(t, err)
			keys := map[string]int64{}
			for _, m := range stored {
				_, dup := keys[m.IdempotencyKey]
				assert.False(t, dup, "message %s is stored once", m.IdempotencyKey)
				keys[m.IdempotencyKey] = m.Seq
			}
			acked := map[string]int64{}
			for _, p := range parties {
				if p.conv == conv {
					maps.Copy(acked, p.acked)
				}
			}
			assert.Equal(t, acked, keys, "every acked message is stored, with the seq of its ack, and nothing else")
		}
		for _, p := range parties {
			p.current().untilSeq(p.conv, last[p.conv])
			requireTranscript(t, p.name, p.received(), 1, last[p.conv])
		}
	})
}
