package transport_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// alive checks the connection still answers.
func (c *client) alive() {
	c.t.Helper()
	r := c.request(wire.ClientFrame{Type: wire.FramePing})
	require.Equal(c.t, wire.FramePong, r.Type, "the connection survives")
}

func TestBadInputGetsErrorFramesAndConnectionSurvives(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		v := h.visitor(k)
		conv := v.start("")
		for _, tc := range []struct {
			name  string
			frame string
			code  string
		}{
			{"not JSON", `{"type":"send",`, wire.CodeBadFrame},
			{"array", `[1,2]`, wire.CodeBadFrame},
			{"wrong field type", `{"type":"read","id":"x","conversation_id":"` + conv.ID.String() + `","seq":"ten"}`, wire.CodeBadFrame},
			{"unknown type", `{"type":"launch","id":"x"}`, wire.CodeUnknownType},
			{"agent-only type", `{"type":"assign","id":"x","conversation_id":"` + conv.ID.String() + `"}`, wire.CodeUnknownType},
			{"second hello", `{"type":"hello","id":"x","v":1}`, wire.CodeHelloFirst},
			{"send without key", `{"type":"send","id":"x","conversation_id":"` + conv.ID.String() + `","body":"hi"}`, wire.CodeInvalid},
			{"body over the limit", `{"type":"send","id":"x","key":"k","conversation_id":"` + conv.ID.String() + `","body":"` + strings.Repeat("ż", chat.MaxBodyBytes/2+1) + `"}`, wire.CodeInvalid},
			{"blank body", `{"type":"send","id":"x","key":"k2","conversation_id":"` + conv.ID.String() + `","body":"  "}`, wire.CodeInvalid},
			{"bad conversation id", `{"type":"sync","id":"x","conversation_id":"nope"}`, wire.CodeBadFrame},
			{"bad presence", `{"type":"presence","id":"x","presence":"sleeping"}`, wire.CodeInvalid},
			{"rating out of range", `{"type":"rate","id":"x","conversation_id":"` + conv.ID.String() + `","rating":9}`, wire.CodeInvalid},
		} {
			require.NoError(t, v.sendRaw([]byte(tc.frame)), tc.name)
			f := v.expectType(wire.FrameError)
			assert.Equal(t, tc.code, f.Error.Code, "%s: %s", tc.name, f.Error.Message)
			assert.NotEmpty(t, f.Error.Message, "%s: errors are explained", tc.name)
			v.alive()
		}
		ms, err := h.store.Messages(t.Context(), conv.ID, chat.MessageQuery{})
		require.NoError(t, err)
		assert.Empty(t, ms, "nothing invalid was stored")
	})
}

func TestHelloRules(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t, func(c *transport.Config) { c.MaxConnsPerVisitor = 2 })
		first := h.visitor(k)
		h.visitor(k, clientOptions{token: first.welcome.Token})
		_, err := h.dial(k, clientOptions{token: first.welcome.Token})
		assert.Equal(t, wire.CodeTooManyConns, errorCode(err), "a third connection of the visitor: %v", err)
		first.close()
		require.Eventually(t, func() bool {
			c, err := h.dial(k, clientOptions{token: first.welcome.Token})
			if err == nil {
				c.close()
			}
			return err == nil
		}, wait, 20*time.Millisecond, "a closed connection frees its place")
	})
	t.Run("version and order", func(t *testing.T) {
		h := newHarness(t)
		for _, tc := range []struct {
			frame, code string
		}{
			{`{"type":"hello","v":99}`, wire.CodeUnsupported},
			{`{"type":"ping"}`, wire.CodeHelloFirst},
			{`{"type":"hello"}`, wire.CodeInvalid},
		} {
			resp, err := http.Post(h.http.URL+"/chat/sse", "application/json", strings.NewReader(tc.frame))
			require.NoError(t, err)
			var f wire.ServerFrame
			require.NoError(t, decodeJSON(resp, &f))
			assert.Equal(t, tc.code, f.Error.Code, tc.frame)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

			c, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(h.http.URL, "http")+"/chat/ws", nil)
			require.NoError(t, err)
			require.NoError(t, c.Write(t.Context(), websocket.MessageText, []byte(tc.frame)))
			_, data, err := c.Read(t.Context())
			require.NoError(t, err)
			assert.Contains(t, string(data), tc.code)
			_, _, err = c.Read(t.Context())
			assert.Equal(t, transport.CloseProtocolError, int(websocket.CloseStatus(err)))
		}
	})
}

// TestBinaryHelloIsRefused sends the hello as a binary WebSocket message:
// it is refused like any binary message, and no session opens.
func TestBinaryHelloIsRefused(t *testing.T) {
	h := newHarness(t)
	c, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(h.http.URL, "http")+"/chat/ws", nil)
	require.NoError(t, err)
	defer c.CloseNow()
	require.NoError(t, c.Write(t.Context(), websocket.MessageBinary, []byte(`{"type":"hello","id":"1","v":1}`)))
	_, data, err := c.Read(t.Context())
	require.NoError(t, err)
	f := decodeFrame(t, data)
	require.Equal(t, wire.FrameError, f.Type, "a binary hello gets no welcome")
	assert.Equal(t, wire.CodeBadFrame, f.Error.Code)
	_, _, err = c.Read(t.Context())
	assert.Equal(t, transport.CloseProtocolError, int(websocket.CloseStatus(err)))
	assert.Zero(t, h.srv.Stats().Connections, "no session was opened")
}

func TestRateLimit(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t, func(c *transport.Config) {
			c.RateLimit = 1
			c.RateBurst = 5
		})
		v := h.visitor(k)
		conv := v.start("") // one token
		var limited wire.ServerFrame
		acked := 0
		for i := range 10 {
			r := v.request(wire.ClientFrame{Type: wire.FrameSend, ConversationID: conv.ID, Key: fmt.Sprint(i), Body: "spam"})
			if r.Type == wire.FrameAck {
				acked++
				continue
			}
			limited = r
		}
		require.NotNil(t, limited.Error, "sending faster than the limit is refused")
		assert.Equal(t, wire.CodeRateLimited, limited.Error.Code)
		assert.Positive(t, limited.Error.RetryAfterMS)
		assert.Equal(t, 4, acked, "the burst is allowed")
		v.alive()
		ms, err := h.store.Messages(t.Context(), conv.ID, chat.MessageQuery{})
		require.NoError(t, err)
		assert.Len(t, visitorMessages(ms), acked, "every acked message is stored, and only those")
	})
}

func TestFrameSizeLimit(t *testing.T) {
	h := newHarness(t, func(c *transport.Config) { c.MaxFrameBytes = 1024 })
	big := `{"type":"ping","pad":"` + strings.Repeat("x", 2000) + `"}`
	bigHello := `{"type":"hello","v":1,"pad":"` + strings.Repeat("x", 2000) + `"}`
	t.Run("WebSocket", func(t *testing.T) {
		v := h.visitor(ws)
		require.NoError(t, v.sendRaw([]byte(big)))
		f := v.expectType(wire.FrameError)
		assert.Equal(t, wire.CodeTooLarge, f.Error.Code, "the client is told why before the close")
		assert.Contains(t, f.Error.Message, "1024 bytes")
		err := v.waitClosed()
		assert.Equal(t, websocket.StatusMessageTooBig, websocket.CloseStatus(err), "an oversized WebSocket frame closes with 1009: %v", err)
	})
	t.Run("WebSocket hello", func(t *testing.T) {
		c, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(h.http.URL, "http")+"/chat/ws", nil)
		require.NoError(t, err)
		defer c.CloseNow()
		require.NoError(t, c.Write(t.Context(), websocket.MessageText, []byte(bigHello)))
		_, data, err := c.Read(t.Context())
		require.NoError(t, err)
		f := decodeFrame(t, data)
		require.Equal(t, wire.FrameError, f.Type)
		assert.Equal(t, wire.CodeTooLarge, f.Error.Code)
		_, _, err = c.Read(t.Context())
		assert.Equal(t, websocket.StatusMessageTooBig, websocket.CloseStatus(err))
	})
	t.Run("SSE", func(t *testing.T) {
		v := h.visitor(sse)
		for _, u := range []string{h.http.URL + "/chat/sse/" + v.session, h.http.URL + "/chat/sse"} {
			body := big
			if strings.HasSuffix(u, "/sse") {
				body = bigHello
			}
			resp, err := http.Post(u, "application/json", strings.NewReader(body))
			require.NoError(t, err)
			var f wire.ServerFrame
			require.NoError(t, decodeJSON(resp, &f))
			assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, u)
			assert.Equal(t, wire.CodeTooLarge, f.Error.Code, u)
		}
		v.alive()
	})
}

func TestOrigins(t *testing.T) {
	h := newHarness(t, func(c *transport.Config) { c.AllowedOrigins = []string{"shop.example.com"} })
	wsURL := "ws" + strings.TrimPrefix(h.http.URL, "http") + "/chat/ws"
	dial := func(origin string) error {
		c, _, err := websocket.Dial(t.Context(), wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
		if err == nil {
			c.CloseNow()
		}
		return err
	}
	assert.Error(t, dial("https://evil.example"), "a WebSocket from a foreign page is refused")
	assert.NoError(t, dial("https://shop.example.com"), "an allowed origin connects")
	assert.NoError(t, dial(h.http.URL), "the handler's own origin connects")

	post := func(origin, contentType string) int {
		req, _ := http.NewRequest(http.MethodPost, h.http.URL+"/chat/sse", strings.NewReader(`{"type":"hello","v":1}`))
		req.Header.Set("Content-Type", contentType)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var f wire.ServerFrame
		require.NoError(t, decodeJSON(resp, &f))
		if resp.StatusCode != http.StatusOK {
			assert.Equal(t, wire.FrameError, f.Type, "a refused hello gets an error frame")
		}
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusForbidden, post("https://evil.example", "application/json"), "a POST from a foreign page is refused")
	assert.Equal(t, http.StatusUnsupportedMediaType, post("", "text/plain"), "a form-style POST is refused")
	assert.Equal(t, http.StatusOK, post("https://shop.example.com", "application/json"))
}

// TestSlowConsumerIsCutOff stalls one visitor's connection while the
// agent keeps writing: the stalled connection is dropped, the agent is not
// slowed, and the visitor resumes without losing anything.
func TestSlowConsumerIsCutOff(t *testing.T) {
	h := newHarness(t, func(c *transport.Config) {
		c.SendQueue = 8
		c.WriteTimeout = 300 * time.Millisecond
	})
	agent := h.agent(ws, "olga")
	slow := h.visitor(ws, clientOptions{noRead: true})
	vid := slow.welcome.Visitor.ID
	presence, err := h.desk.Subscribe(t.Context(), chat.VisitorTopic(vid))
	require.NoError(t, err)
	conv, err := h.desk.Start(t.Context(), chat.StartRequest{VisitorID: vid})
	require.NoError(t, err)

	body := strings.Repeat("Długa wiadomość. ", 400)
	dropped := false
	posted := 0
	for !dropped && posted < 5000 {
		_, err := conv.Post(t.Context(), chat.Message{Author: chat.Author{Kind: chat.AuthorAgent, ID: "olga"}, Body: body})
		require.NoError(t, err)
		posted++
		// The agent reads as fast as the messages come: they never fall behind.
		agent.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventMessage) && f.Seq == int64(posted)
		})
	drain:
		for {
			select {
			case e := <-presence.Events():
				dropped = dropped || (e.Type == chat.EventPresence && e.Presence == chat.PresenceOffline)
			default:
				break drain
			}
		}
	}
	require.True(t, dropped, "the stalled connection was dropped after %d messages", posted)
	agent.alive()

	// The stalled client wakes up, reads what reached it, and resumes.
	var last int64
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	for {
		_, data, err := slow.ws.Read(ctx)
		if err != nil {
			status := websocket.CloseStatus(err)
			assert.True(t, status == transport.CloseSlowConsumer || status == -1, "closed with %v", err)
			break
		}
		if f := decodeFrame(t, data); f.Type == string(chat.EventMessage) {
			require.Equal(t, last+1, f.Seq)
			last = f.Seq
		}
	}
	back := h.visitor(ws, clientOptions{token: slow.welcome.Token})
	back.mustRequest(wire.ClientFrame{Type: wire.FrameSync, ConversationID: conv.ID(), AfterSeq: last})
	ms := back.messages(chat.ConversationInfo{ID: conv.ID()}, posted-int(last))
	assert.Equal(t, int64(posted), ms[len(ms)-1].Seq, "after resuming the visitor has every message")
}

// TestShutdownLosesNothing keeps visitors sending while the server shuts
// down: every acked message is stored exactly once, and every client is
// told to reconnect.
func TestShutdownLosesNothing(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		const visitors = 4
		var wg sync.WaitGroup
		acked := make([]map[string]int64, visitors)
		convs := make([]chat.ConversationInfo, visitors)
		clients := make([]*client, visitors)
		told := make([]bool, visitors)
		for i := range visitors {
			clients[i] = h.visitor(k)
			convs[i] = clients[i].start("")
			acked[i] = map[string]int64{}
		}
		progress := make(chan struct{}, 1000)
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					key := fmt.Sprint("v", i, "-", n)
					f := wire.ClientFrame{Type: wire.FrameSend, ID: key, ConversationID: convs[i].ID, Key: key, Body: key}
					if c.trySend(f) != nil {
						return
					}
					r, ok := c.tryExpect(func(s wire.ServerFrame) bool {
						return s.ID == key || s.Type == wire.FrameReconnect
					}, 2*time.Second)
					if !ok || r.Type != wire.FrameAck {
						told[i] = r.Type == wire.FrameReconnect
						return
					}
					acked[i][key] = r.Seq
					select {
					case progress <- struct{}{}:
					default:
					}
				}
			}()
		}
		for range 20 {
			<-progress
		}
		ctx, cancel := context.WithTimeout(t.Context(), wait)
		defer cancel()
		require.NoError(t, h.srv.Shutdown(ctx))
		wg.Wait()

		total := 0
		for i, c := range clients {
			if !told[i] {
				c.expectType(wire.FrameReconnect)
			}
			if k == ws {
				assert.Equal(t, websocket.StatusServiceRestart, websocket.CloseStatus(c.waitClosed()))
			}
			ms, err := h.store.Messages(t.Context(), convs[i].ID, chat.MessageQuery{Limit: chat.MaxPageSize})
			require.NoError(t, err)
			stored := map[string]int{}
			for _, m := range ms {
				stored[m.IdempotencyKey]++
			}
			for key, seq := range acked[i] {
				assert.Equal(t, 1, stored[key], "acked message %s (seq %d) is stored exactly once", key, seq)
			}
			total += len(acked[i])
		}
		assert.GreaterOrEqual(t, total, 20)
		_, err := h.dial(k, clientOptions{})
		assert.Error(t, err, "no new connections after Shutdown")
	})
}
