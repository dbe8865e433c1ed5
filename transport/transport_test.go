package transport_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

func TestVisitorAndAgentChat(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		agent := h.agent(k, "olga")
		require.Equal(t, "olga", agent.welcome.Agent.ID)

		v := h.visitor(k)
		require.NotEmpty(t, v.welcome.Token, "a visitor gets a token to come back with")
		conv := v.start("delivery")
		assigned := agent.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventAssigned) && f.ConversationID == conv.ID
		})
		assert.Equal(t, "olga", assigned.AgentID, "the online agent gets the conversation")

		ack := v.say(conv, "Gdzie jest moja paczka? 📦")
		assert.Equal(t, int64(1), ack.Seq)
		assert.NotEqual(t, uuid.Nil, ack.MessageID)
		got := agent.messages(conv, 1)[0]
		assert.Equal(t, "Gdzie jest moja paczka? 📦", got.Body)
		assert.Equal(t, ack.MessageID, got.ID)
		assert.Equal(t, chat.AuthorVisitor, got.Author.Kind)

		agent.say(conv, "Jutro rano.")
		ms := v.messages(conv, 2)
		assert.Equal(t, []int64{1, 2}, []int64{ms[0].Seq, ms[1].Seq}, "the visitor sees their own message and the answer, in order")
		assert.Equal(t, "Agent olga", ms[1].Author.Name)
	})
}

func TestSendIsIdempotent(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		v := h.visitor(k)
		conv := v.start("")
		send := wire.ClientFrame{Type: wire.FrameSend, ConversationID: conv.ID, Key: "client-key-1", Body: "hello"}
		first := v.mustRequest(send)
		// The ack was lost: the client sends the same frame again, even on
		// a new connection.
		again := v.mustRequest(send)
		v2 := h.visitor(k, clientOptions{token: v.welcome.Token})
		third := v2.mustRequest(send)
		for _, a := range []wire.ServerFrame{again, third} {
			assert.Equal(t, first.MessageID, a.MessageID, "a resent message is acked with the original id")
			assert.Equal(t, first.Seq, a.Seq)
		}
		stored, err := h.store.Messages(t.Context(), conv.ID, chat.MessageQuery{})
		require.NoError(t, err)
		require.Len(t, visitorMessages(stored), 1, "the message is stored once")

		// The same key with another body is a client bug, not a retry: it
		// is refused, so that it cannot look stored.
		reused := send
		reused.Body = "something else"
		r := v.request(reused)
		require.Equal(t, wire.FrameError, r.Type, "a reused key with another body is not acked")
		assert.Equal(t, wire.CodeKeyReused, r.Error.Code)
		stored, err = h.store.Messages(t.Context(), conv.ID, chat.MessageQuery{})
		require.NoError(t, err)
		require.Len(t, visitorMessages(stored), 1, "nothing more is stored")
		assert.Equal(t, "hello", visitorMessages(stored)[0].Body)
	})
}

func TestVisitorTokenAndIdentity(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		v := h.visitor(k)
		conv := v.start("")
		v.say(conv, "first visit")
		v.close()

		back := h.visitor(k, clientOptions{token: v.welcome.Token})
		assert.Equal(t, v.welcome.Visitor.ID, back.welcome.Visitor.ID, "the token brings the same visitor back")
		require.Len(t, back.welcome.Open, 1, "with their open conversation")
		assert.Equal(t, conv.ID, back.welcome.Open[0].ID)

		identity, err := transport.SignIdentity(testSecret, transport.Identity{
			CustomerID: "c-42", Name: "Мария Jääskeläinen", Email: "maria@example.com", Locale: "fi-FI",
			Expires: time.Now().Add(time.Hour),
		})
		require.NoError(t, err)
		known := h.visitor(k, clientOptions{token: v.welcome.Token, identity: identity})
		assert.Equal(t, v.welcome.Visitor.ID, known.welcome.Visitor.ID, "logging in keeps the visitor and their conversations")
		stored, err := h.store.Visitor(t.Context(), known.welcome.Visitor.ID)
		require.NoError(t, err)
		assert.Equal(t, "Мария Jääskeläinen", stored.Name, "agents can address the customer by name")
		assert.Equal(t, "c-42", stored.CustomerID)

		forged := []byte(identity)
		forged[3] ^= 1
		expired, err := transport.SignIdentity(testSecret, transport.Identity{CustomerID: "c-42", Expires: time.Now().Add(-time.Second)})
		require.NoError(t, err)
		otherSecret, err := transport.SignIdentity([]byte("another secret of thirty-two bytes!!"), transport.Identity{CustomerID: "c-42", Expires: time.Now().Add(time.Hour)})
		require.NoError(t, err)
		for _, tc := range []struct {
			name string
			opts clientOptions
			code string
		}{
			{"forged identity", clientOptions{identity: string(forged)}, wire.CodeUnauthorized},
			{"expired identity", clientOptions{identity: expired}, wire.CodeTokenExpired},
			{"identity signed with another secret", clientOptions{identity: otherSecret}, wire.CodeUnauthorized},
			{"forged visitor token", clientOptions{token: v.welcome.Token[:10] + "x" + v.welcome.Token[11:]}, wire.CodeUnauthorized},
			{"identity used as visitor token", clientOptions{token: identity}, wire.CodeUnauthorized},
		} {
			_, err := h.dial(k, tc.opts)
			assert.Equal(t, tc.code, errorCode(err), "%s: %v", tc.name, err)
		}
	})
}

func TestVisitorCannotReachOthersConversations(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		alice := h.visitor(k)
		conv := alice.start("")
		alice.say(conv, "my address is secret")

		mallory := h.visitor(k)
		assertUnreachable(t, mallory, conv.ID)
		info, err := h.store.Conversation(t.Context(), conv.ID)
		require.NoError(t, err)
		assert.Equal(t, int64(2), info.LastSeq, "the visitor's message and its offline acknowledgement, nothing else")
		assert.NotEqual(t, chat.StatusClosed, info.Status)
	})
}

// assertUnreachable checks that every frame c sends about another
// visitor's conversation gets the same not_found error as one about a
// conversation that does not exist, and that none of its messages reach c.
func assertUnreachable(t *testing.T, c *client, conversation uuid.UUID) {
	t.Helper()
	for _, typ := range []string{wire.FrameSend, wire.FrameSync, wire.FrameTyping, wire.FrameRead,
		wire.FrameClose, wire.FrameRate, wire.FrameTranscript} {
		f := wire.ClientFrame{Type: typ, Key: "k", Body: "hi", Rating: 1, Email: "someone@example.com"}
		f.ConversationID = conversation
		theirs := c.request(f)
		f.ConversationID = uuid.New()
		missing := c.request(f)
		require.Equal(t, wire.FrameError, theirs.Type, "%s on another visitor's conversation", typ)
		assert.Equal(t, missing.Error, theirs.Error, "%s: someone else's conversation looks exactly like a missing one", typ)
		assert.Equal(t, wire.CodeNotFound, theirs.Error.Code)
	}
	_, ok := c.tryExpect(func(f wire.ServerFrame) bool { return f.Type == string(chat.EventMessage) }, 100*time.Millisecond)
	assert.False(t, ok, "no message of another visitor leaks")
}

// TestResumeWhileMessagesArrive disconnects a visitor while the agent keeps
// writing, reconnects, syncs from the last seq it saw and checks it gets
// every message exactly once, in order, missed ones and live ones alike.
func TestResumeWhileMessagesArrive(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		v := h.visitor(k)
		conv := v.start("")
		handle, err := h.desk.Conversation(t.Context(), conv.ID)
		require.NoError(t, err)
		post := func(i int) {
			_, err := handle.Post(t.Context(), chat.Message{Author: chat.Author{Kind: chat.AuthorBot, Name: "Shop"}, Body: fmt.Sprint("update ", i)})
			assert.NoError(t, err)
		}
		for i := 1; i <= 5; i++ {
			post(i)
		}
		seen := v.messages(conv, 5)
		last := seen[4].Seq

		// Fewer than a connection's queue holds, so the burst alone does not
		// make the new connection a slow consumer.
		const total = 60
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 6; i <= total; i++ {
				post(i)
			}
		}()
		v.close()
		back := h.visitor(k, clientOptions{token: v.welcome.Token})
		synced := back.mustRequest(wire.ClientFrame{Type: wire.FrameSync, ConversationID: conv.ID, AfterSeq: last})
		require.Equal(t, wire.FrameSynced, synced.Type)
		wg.Wait()
		got := back.messages(conv, total-int(last))
		for i, m := range got {
			require.Equal(t, last+int64(i)+1, m.Seq, "message %d after resume", i)
			require.Equal(t, fmt.Sprint("update ", m.Seq), m.Body)
		}
		_, extra := back.tryExpect(func(f wire.ServerFrame) bool { return f.Type == string(chat.EventMessage) }, 200*time.Millisecond)
		assert.False(t, extra, "no message is delivered twice")
	})
}

func TestAgentSideNeedsAuthentication(t *testing.T) {
	h := newHarness(t)
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/staff/chat/ws"},
		{http.MethodPost, "/staff/chat/sse"},
		{http.MethodGet, "/staff/chat/sse/anything"},
		{http.MethodPost, "/staff/chat/sse/anything"},
		{http.MethodGet, "/staff/chat/nothing-here"},
	} {
		req, err := http.NewRequest(r.method, h.http.URL+r.path, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s %s without an agent session", r.method, r.path)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		var f wire.ServerFrame
		require.NoError(t, decodeJSON(resp, &f), "the body is an error frame")
		require.Equal(t, wire.FrameError, f.Type)
		assert.Equal(t, wire.CodeUnauthorized, f.Error.Code)
	}
}

// TestHelloWithHandshake sends the hello in the same write as the
// WebSocket handshake, so that it arrives in the HTTP server's buffer
// before the connection is upgraded: the visitor is still welcomed.
func TestHelloWithHandshake(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(wait)))
	hello := []byte(`{"type":"hello","id":"h","v":1}`)
	mask := [4]byte{1, 2, 3, 4}
	frame := append([]byte{0x81, 0x80 | byte(len(hello))}, mask[:]...)
	for i, b := range hello {
		frame = append(frame, b^mask[i%4])
	}
	req := "GET /chat/ws HTTP/1.1\r\nHost: " + strings.TrimPrefix(h.url, "http://") + "\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	_, err = conn.Write(append([]byte(req), frame...))
	require.NoError(t, err)
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	head := make([]byte, 2)
	_, err = io.ReadFull(r, head)
	require.NoError(t, err, "the server answers the hello")
	require.Equal(t, byte(0x81), head[0], "a text frame")
	n := int(head[1] & 0x7f)
	if n == 126 {
		ext := make([]byte, 2)
		_, err = io.ReadFull(r, ext)
		require.NoError(t, err)
		n = int(ext[0])<<8 | int(ext[1])
	}
	payload := make([]byte, n)
	_, err = io.ReadFull(r, payload)
	require.NoError(t, err)
	f := decodeFrame(t, payload)
	assert.Equal(t, wire.FrameWelcome, f.Type)
	assert.Equal(t, "h", f.ID)
}
