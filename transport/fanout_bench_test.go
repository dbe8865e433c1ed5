package transport_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// BenchmarkAgentFanOut measures what one visitor's message costs the agent
// connections: 100 agents online, each with a conversation of their own,
// and visitors writing 1,000 messages per second between them. It reports
// the message frames written to agents per message sent, and the bytes of
// every frame written to agents per message. "follow" is the default;
// "supervisors" makes every agent a supervisor, who follows the whole shop
// as every agent did before connections followed only their own.
func BenchmarkAgentFanOut(b *testing.B) {
	b.Run("follow", func(b *testing.B) { benchFanOut(b, false) })
	b.Run("supervisors", func(b *testing.B) { benchFanOut(b, true) })
}

func benchFanOut(b *testing.B, everyone bool) {
	const agents, rate = 100, 1000
	h := newHarnessWithDesk(b, chat.Config{}, withCapacity(1), func(c *transport.Config) {
		c.RateLimit, c.RateBurst, c.SendQueue = 1e6, 1e6, 1024
		c.Supervisor = func(chat.Agent) bool { return everyone }
	})
	var (
		mu       sync.Mutex
		owner    = make(map[uuid.UUID]string) // conversation → its agent
		frames   atomic.Int64                 // message frames at agents
		own      atomic.Int64                 // of those, at the conversation's agent
		bytes    atomic.Int64                 // every frame at agents
		counting atomic.Bool
		done     = make(chan struct{}) // closed when every message reached its agent
		conns    []*websocket.Conn
	)
	defer func() {
		for _, c := range conns {
			c.CloseNow()
		}
	}()
	for i := range agents {
		id := fmt.Sprint("a", i)
		c := h.rawDial(b, "/staff/chat/ws", id)
		conns = append(conns, c)
		go func() {
			for {
				_, data, err := c.Read(context.Background())
				if err != nil {
					return
				}
				var f wire.ServerFrame
				if json.Unmarshal(data, &f) != nil {
					continue
				}
				if f.Type == wire.FramePing {
					_ = c.Write(context.Background(), websocket.MessageText, []byte(`{"type":"pong"}`))
				}
				if !counting.Load() {
					continue
				}
				bytes.Add(int64(len(data)))
				if f.Type == string(chat.EventMessage) {
					frames.Add(1)
					mu.Lock()
					mine := owner[f.ConversationID] == id
					mu.Unlock()
					if mine && own.Add(1) == int64(b.N) {
						close(done)
					}
				}
			}
		}()
	}
	visitors := make([]*websocket.Conn, agents)
	ids := make([]uuid.UUID, agents)
	for i := range visitors {
		visitors[i] = h.rawDial(b, "/chat/ws", "")
		conns = append(conns, visitors[i])
		f := rawRequest(b, visitors[i], `{"type":"start","id":"s"}`, "s")
		ids[i] = f.ConversationID
		mu.Lock()
		owner[f.ConversationID] = f.Conversation.AgentID
		mu.Unlock()
		go drain(visitors[i])
	}

	counting.Store(true)
	b.ResetTimer()
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	for i := range b.N {
		<-tick.C
		frame := fmt.Sprintf(`{"type":"send","conversation_id":%q,"key":"m%d","body":"Is the blue bike in stock?"}`, ids[i%agents], i)
		if err := visitors[i%agents].Write(context.Background(), websocket.MessageText, []byte(frame)); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		b.Fatalf("only %d of %d messages reached their agent", own.Load(), b.N)
	}
	b.StopTimer()
	b.ReportMetric(float64(frames.Load())/float64(b.N), "agent-frames/msg")
	b.ReportMetric(float64(bytes.Load())/float64(b.N), "agent-bytes/msg")
}
