package cluster_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// burst sends n messages to conv without waiting between them, keyed
// prefix-0, prefix-1..., and returns their seqs from the acks, in the
// order sent. It may run in a goroutine of its own.
func (c *client) burst(conv uuid.UUID, prefix string, n int) ([]int64, error) {
	for i := range n {
		key := fmt.Sprintf("%s-%d", prefix, i)
		if err := c.trySend(wire.ClientFrame{Type: wire.FrameSend, ID: key, ConversationID: conv, Key: key, Body: "body of " + key}); err != nil {
			return nil, err
		}
	}
	seqs := make([]int64, n)
	for i := range n {
		key := fmt.Sprintf("%s-%d", prefix, i)
		r, err := c.tryExpect(func(f wire.ServerFrame) bool { return f.ID == key }, wait)
		if err != nil {
			return nil, fmt.Errorf("%s: the ack of %s: %w", c.name, key, err)
		}
		if r.Type != wire.FrameAck {
			return nil, fmt.Errorf("%s: %s answered with %+v", c.name, key, r.Error)
		}
		seqs[i] = r.Seq
	}
	return seqs, nil
}

// TestCrossInstanceDelivery has a visitor on instance A talk with an agent
// who has a console on instance B and another on C. The visitor and both
// consoles write at once; every connection receives every message of the
// conversation once, in order, and each writer's messages in the order
// written.
func TestCrossInstanceDelivery(t *testing.T) {
	forEachBroker(t, func(t *testing.T, b brokerKind) {
		in := newCluster(t, b, options{}).instances(3)
		a, bi, ci := in[0], in[1], in[2]
		onB := bi.agent(t, "olga", 5)
		onC := ci.agent(t, "olga", 5)
		visitor := a.visitor(t, "")
		conv := visitor.start("")
		require.Equal(t, chat.StatusOpen, conv.Status)
		require.Equal(t, "olga", conv.AgentID, "the agent on the other instances gets the chat")
		for _, console := range []*client{onB, onC} {
			console.expect("the assignment", func(f wire.ServerFrame) bool {
				return f.Type == string(chat.EventAssigned) && f.ConversationID == conv.ID
			})
		}

		const n = 15
		writers := map[string]*client{"visitor": visitor, "olga-B": onB, "olga-C": onC}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			sent = map[string][]int64{}
			errs []error
		)
		for prefix, c := range writers {
			wg.Go(func() {
				seqs, err := c.burst(conv.ID, prefix, n)
				mu.Lock()
				defer mu.Unlock()
				sent[prefix], errs = seqs, append(errs, err)
			})
		}
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
		for prefix, seqs := range sent {
			for i := 1; i < n; i++ {
				require.Greater(t, seqs[i], seqs[i-1], "%s's messages are stored in the order written", prefix)
			}
		}

		// The last message written on each side marks the end: messages
		// come in seq order, so a duplicate would show before it.
		last := visitor.say(conv.ID, "visitor-last")
		require.EqualValues(t, 3*n+1, last)
		for _, c := range []*client{visitor, onB, onC} {
			c.untilSeq(conv.ID, last)
			ms := c.messages(conv.ID)
			requireTranscript(t, c.name, ms, 1, last)
			for prefix := range writers {
				var order []string
				for _, m := range ms {
					if m.Seq <= int64(3*n) && strings.HasPrefix(m.IdempotencyKey, prefix+"-") {
						order = append(order, m.IdempotencyKey)
					}
				}
				var want []string
				for i := range n {
					want = append(want, fmt.Sprintf("%s-%d", prefix, i))
				}
				assert.Equal(t, want, order, "%s receives %s's messages in the order written", c.name, prefix)
			}
		}
	})
}
