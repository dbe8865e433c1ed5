package transport_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// unlimited lifts the rate limit, which these tests do not test.
func unlimited(c *transport.Config) {
	c.RateLimit, c.RateBurst = 1e6, 1e6
	c.SendQueue = 8
}

// burst writes frames back to back without waiting for answers (over SSE
// each POST returns once the server took the frame) and returns their ids.
func (c *client) burst(frames []wire.ClientFrame) []string {
	c.t.Helper()
	ids := make([]string, len(frames))
	for i := range frames {
		ids[i] = fmt.Sprint("b", c.nextID.Add(1))
		frames[i].ID = ids[i]
		b, err := json.Marshal(frames[i])
		require.NoError(c.t, err)
		require.NoError(c.t, c.sendRaw(b), "frame %d of the burst", i)
	}
	return ids
}

// answers collects the answers to ids and checks that each came once, in
// the order of ids.
func (c *client) answers(ids []string) []wire.ServerFrame {
	c.t.Helper()
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	out := make([]wire.ServerFrame, 0, len(ids))
	for len(out) < len(ids) {
		f := c.expect(func(f wire.ServerFrame) bool { return want[f.ID] })
		require.Equal(c.t, ids[len(out)], f.ID, "answers come in the order of the frames (closed: %v)", c.err())
		out = append(out, f)
	}
	c.alive()
	_, again := c.tryExpect(func(f wire.ServerFrame) bool { return want[f.ID] }, 0)
	require.False(c.t, again, "every frame is answered once")
	return out
}

// TestBurstIsAnsweredInOrder writes 1,000 frames back to back from a
// client that reads: the connection stays open, and every frame is
// answered once, in order.
func TestBurstIsAnsweredInOrder(t *testing.T) {
	// burst has a new visitor write 1,000 frames of a conversation and
	// returns the answers.
	burst := func(t *testing.T, k kind, frame func(conv uuid.UUID, i int) wire.ClientFrame) (*harness, uuid.UUID, []wire.ServerFrame) {
		h := newHarness(t, unlimited)
		v := h.visitor(k)
		conv := v.start("")
		frames := make([]wire.ClientFrame, 1000)
		for i := range frames {
			frames[i] = frame(conv.ID, i)
		}
		answers := v.answers(v.burst(frames))
		require.NoError(t, v.err(), "the connection stays open")
		return h, conv.ID, answers
	}
	forKinds(t, func(t *testing.T, k kind) {
		t.Run("send", func(t *testing.T) {
			t.Parallel()
			h, conv, answers := burst(t, k, func(conv uuid.UUID, i int) wire.ClientFrame {
				return wire.ClientFrame{Type: wire.FrameSend, ConversationID: conv, Key: fmt.Sprint("k", i), Body: fmt.Sprint("message ", i)}
			})
			var last int64
			for i, a := range answers {
				require.Equal(t, wire.FrameAck, a.Type, "frame %d: %+v", i, a.Error)
				require.Greater(t, a.Seq, last, "the messages are stored in the order sent")
				last = a.Seq
			}
			var ms []chat.Message
			for {
				page, err := h.store.Messages(t.Context(), conv, chat.MessageQuery{After: int64(len(ms)), Limit: chat.MaxPageSize})
				require.NoError(t, err)
				if len(page) == 0 {
					break
				}
				ms = append(ms, page...)
			}
			ms = visitorMessages(ms)
			require.Len(t, ms, 1000, "each message is stored once")
			for i, m := range ms {
				assert.Equal(t, fmt.Sprint("k", i), m.IdempotencyKey)
			}
		})
		t.Run("typing", func(t *testing.T) {
			t.Parallel()
			_, _, answers := burst(t, k, func(conv uuid.UUID, i int) wire.ClientFrame {
				return wire.ClientFrame{Type: wire.FrameTyping, ConversationID: conv, Typing: i%2 == 0}
			})
			for i, a := range answers {
				require.Equal(t, wire.FrameOK, a.Type, "frame %d: %+v", i, a.Error)
			}
		})
	})
}

// TestAgentPipelinesAcrossConversations has an agent write to 500
// conversations without waiting: every message is acked, in order.
func TestAgentPipelinesAcrossConversations(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t, unlimited)
		convs := make([]chat.ConversationInfo, 500)
		for i := range convs {
			v, err := h.desk.SaveVisitor(t.Context(), chat.Visitor{})
			require.NoError(t, err)
			c, err := h.desk.Start(t.Context(), chat.StartRequest{VisitorID: v.ID})
			require.NoError(t, err)
			convs[i] = chat.ConversationInfo{ID: c.ID()}
		}
		agent := h.agent(k, "olga")
		frames := make([]wire.ClientFrame, len(convs))
		for i, c := range convs {
			frames[i] = wire.ClientFrame{Type: wire.FrameSend, ConversationID: c.ID, Key: "a", Body: fmt.Sprint("Hello ", i)}
		}
		for i, a := range agent.answers(agent.burst(frames)) {
			require.Equal(t, wire.FrameAck, a.Type, "frame %d: %+v", i, a.Error)
			require.Equal(t, convs[i].ID, a.ConversationID)
		}
		require.NoError(t, agent.err(), "the connection stays open")
		for _, c := range convs[:10] {
			ms, err := h.store.Messages(t.Context(), c.ID, chat.MessageQuery{})
			require.NoError(t, err)
			n := 0
			for _, m := range ms {
				if m.Author.Kind == chat.AuthorAgent {
					n++
				}
			}
			assert.Equal(t, 1, n, "each message is stored once")
		}
	})
}

// typingFrames are n typing frames of a conversation, encoded.
func typingFrames(conv chat.ConversationInfo, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i], _ = json.Marshal(wire.ClientFrame{Type: wire.FrameTyping, ID: fmt.Sprint("t", i), ConversationID: conv.ID, Typing: true})
	}
	return out
}

// TestClientThatPausesIsHeldBack has a client stop reading while it keeps
// writing: the server stops reading it instead of closing it, and once
// the client reads again every frame is answered, in order.
func TestClientThatPausesIsHeldBack(t *testing.T) {
	h := newHarnessServing(t, chat.Config{Store: nil}, smallSocketBuffers, unlimited, func(c *transport.Config) {
		c.WriteTimeout = 5 * time.Second
	})
	resume := make(chan struct{})
	v := h.visitor(ws, clientOptions{smallBuffers: true, readFrom: resume})
	conv, err := h.desk.Start(t.Context(), chat.StartRequest{VisitorID: v.welcome.Visitor.ID})
	require.NoError(t, err)
	info := chat.ConversationInfo{ID: conv.ID()}
	frames := typingFrames(info, 2000)
	written := make(chan error, 1)
	go func() {
		for _, b := range frames {
			if err := v.sendRaw(b); err != nil {
				written <- err
				return
			}
		}
		written <- nil
	}()
	require.Eventually(t, func() bool { return h.srv.Stats().Paused == 1 }, wait, time.Millisecond,
		"the server stops reading a client that does not read")
	assert.Equal(t, 1, h.srv.Stats().Connections, "and keeps its connection")
	close(resume)
	require.NoError(t, <-written)
	for i := range frames {
		f := v.expect(func(f wire.ServerFrame) bool { return strings.HasPrefix(f.ID, "t") })
		require.Equal(t, fmt.Sprint("t", i), f.ID, "answers in order (closed: %v)", v.err())
		require.Equal(t, wire.FrameOK, f.Type)
	}
	v.alive()
	assert.Zero(t, h.srv.Stats().Paused)
}

// TestClientThatStopsReadingIsDropped has a client stop reading for good:
// the server drops it once a write has waited Config.WriteTimeout, not
// before; the client sees 4001, or the connection end when the close
// cannot reach it.
func TestClientThatStopsReadingIsDropped(t *testing.T) {
	const writeTimeout = time.Second
	h := newHarnessServing(t, chat.Config{}, smallSocketBuffers, unlimited, func(c *transport.Config) {
		c.WriteTimeout = writeTimeout
	})
	v := h.visitor(ws, clientOptions{smallBuffers: true, noRead: true})
	conv, err := h.desk.Start(t.Context(), chat.StartRequest{VisitorID: v.welcome.Visitor.ID})
	require.NoError(t, err)
	frames := typingFrames(chat.ConversationInfo{ID: conv.ID()}, 100000)
	go func() {
		for _, b := range frames {
			if v.sendRaw(b) != nil {
				return
			}
		}
	}()
	require.Eventually(t, func() bool { return h.srv.Stats().Paused == 1 }, wait, time.Millisecond,
		"the server stops reading a client that does not read")
	paused := time.Now()
	require.Eventually(t, func() bool { return h.srv.Stats().Connections == 0 }, wait, time.Millisecond,
		"the client is dropped")
	assert.GreaterOrEqual(t, time.Since(paused), writeTimeout/2, "not before its writes have waited about WriteTimeout")
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	for {
		_, _, err := v.ws.Read(ctx)
		if err != nil {
			status := websocket.CloseStatus(err)
			assert.True(t, status == transport.CloseSlowConsumer || status == -1, "closed with %v", err)
			break
		}
	}
}

// stallingStore holds appends while stalled: a store that stops
// answering for a while.
type stallingStore struct {
	chat.Store
	stalled atomic.Bool
	resume  chan struct{}
}

func (s *stallingStore) AppendMessage(ctx context.Context, m chat.Message) (chat.Message, bool, error) {
	if s.stalled.Load() {
		select {
		case <-s.resume:
		case <-ctx.Done():
			return chat.Message{}, false, ctx.Err()
		}
	}
	return s.Store.AppendMessage(ctx, m)
}

// TestHeldBackClientIsNotSilent stalls the store while a client sends: the
// server holds the client's frames back, its pongs among them, for longer
// than the heartbeat timeout, and still does not close it as silent.
func TestHeldBackClientIsNotSilent(t *testing.T) {
	store := &stallingStore{Store: memory.New(), resume: make(chan struct{})}
	h := newHarnessWithStore(t, store, unlimited, func(c *transport.Config) {
		c.HeartbeatInterval, c.HeartbeatTimeout = 20*time.Millisecond, 100*time.Millisecond
	})
	v := h.visitor(ws)
	conv := v.start("")
	store.stalled.Store(true)
	frames := make([]wire.ClientFrame, 100)
	for i := range frames {
		frames[i] = wire.ClientFrame{Type: wire.FrameSend, ConversationID: conv.ID, Key: fmt.Sprint("k", i), Body: "Are you there?"}
	}
	ids := v.burst(frames)
	require.Eventually(t, func() bool { return h.srv.Stats().Paused == 1 }, wait, time.Millisecond)
	for range 10 { // ten heartbeats: twice the timeout
		v.expectType(wire.FramePing)
	}
	close(store.resume)
	for i, a := range v.answers(ids) {
		require.Equal(t, wire.FrameAck, a.Type, "frame %d: %+v", i, a.Error)
	}
	require.NoError(t, v.err(), "the connection stays open")
}

// TestPipelinedFramesKeepTheirOrder has an agent start a conversation,
// write to it, close it and write again, without waiting: each frame sees
// what the frames before it did.
func TestPipelinedFramesKeepTheirOrder(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t, unlimited)
		visitor := h.visitor(k)
		agent := h.agent(k, "olga")
		conv := uuid.New()
		answers := agent.answers(agent.burst([]wire.ClientFrame{
			{Type: wire.FrameStart, ConversationID: conv, VisitorID: visitor.welcome.Visitor.ID},
			{Type: wire.FrameSend, ConversationID: conv, Key: "1", Body: "Can I help you find a size?"},
			{Type: wire.FrameTyping, ConversationID: conv, Typing: false},
			{Type: wire.FrameSync, ConversationID: conv},
			{Type: wire.FrameClose, ConversationID: conv},
			{Type: wire.FrameSend, ConversationID: conv, Key: "2", Body: "Too late"},
		}))
		types := make([]string, len(answers))
		for i, a := range answers {
			types[i] = a.Type
		}
		require.Equal(t, []string{wire.FrameStarted, wire.FrameAck, wire.FrameOK, wire.FrameSynced, wire.FrameOK,
			wire.FrameError}, types)
		assert.Equal(t, wire.CodeClosed, answers[5].Error.Code, "the send after the close sees it closed")
		assert.Equal(t, int64(1), answers[3].LastSeq, "the sync sees the message before it")
	})
}
