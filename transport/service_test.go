package transport_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// withCapacity makes every test agent take at most n conversations.
func withCapacity(n int) func(*transport.Config) {
	return func(c *transport.Config) {
		c.AuthenticateAgent = func(r *http.Request) (chat.Agent, error) {
			id := r.Header.Get("X-Test-Agent")
			if id == "" {
				return chat.Agent{}, errors.New("not logged in")
			}
			return chat.Agent{ID: id, Name: "Agent " + id, Capacity: n}, nil
		}
	}
}

func TestQueueFramesAndPicking(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarnessWithDesk(t, chat.Config{QueueWait: 90 * time.Second}, withCapacity(1))
		agent := h.agent(k, "olga")
		first := h.visitor(k)
		busy := first.start("")
		require.Equal(t, "olga", busy.AgentID)

		second, third := h.visitor(k), h.visitor(k)
		c2 := second.start("")
		c3 := third.start("")
		require.Equal(t, chat.StatusQueued, c3.Status)
		isQueue := func(id chat.ConversationInfo) func(wire.ServerFrame) bool {
			return func(f wire.ServerFrame) bool { return f.Type == wire.FrameQueue && f.ConversationID == id.ID }
		}
		q := third.expect(isQueue(c3))
		assert.Equal(t, 2, q.Position, "the third visitor is second in the queue")
		assert.Equal(t, int64(180_000), q.WaitMS, "two places at the default wait each")
		place := expectPlace(agent, c2.ID)
		assert.Equal(t, 1, place.Position, "agents see the queue too, in summaries")

		// Olga is full: picking another is refused with a code of its own.
		pick := agent.request(wire.ClientFrame{Type: wire.FrameAssign, ConversationID: c3.ID})
		require.Equal(t, wire.FrameError, pick.Type)
		assert.Equal(t, wire.CodeAgentBusy, pick.Error.Code)

		// She closes her chat; the oldest in the queue is hers and the
		// third visitor moves up.
		agent.mustRequest(wire.ClientFrame{Type: wire.FrameClose, ConversationID: busy.ID})
		agent.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventAssigned) && f.ConversationID == c2.ID && f.AgentID == "olga"
		})
		q = third.expect(isQueue(c3))
		assert.Equal(t, 1, q.Position)
	})
}

func TestTransferFrame(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		olga := h.agent(k, "olga")
		h.agent(k, "piotr")
		v := h.visitor(k)
		c := v.start("")
		require.Equal(t, "olga", c.AgentID)
		bad := olga.request(wire.ClientFrame{Type: wire.FrameTransfer, ConversationID: c.ID})
		require.Equal(t, wire.FrameError, bad.Type)
		assert.Equal(t, wire.CodeInvalid, bad.Error.Code)

		olga.mustRequest(wire.ClientFrame{Type: wire.FrameTransfer, ConversationID: c.ID, AgentID: "piotr"})
		moved := v.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventAssigned) && f.ConversationID == c.ID && f.AgentID == "piotr"
		})
		assert.Equal(t, "olga", moved.PreviousAgentID)
		require.NotNil(t, moved.Author, "the visitor learns who took over")
		assert.Equal(t, "Agent piotr", moved.Author.Name)
		note := v.expect(func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventMessage) && f.Message.Author.Kind == chat.AuthorSystem
		})
		assert.Equal(t, "Agent olga: Transferred to Agent piotr.", note.Message.Body, "the transcript says who took over")

		denied := v.request(wire.ClientFrame{Type: wire.FrameTransfer, ConversationID: c.ID, AgentID: "olga"})
		require.Equal(t, wire.FrameError, denied.Type)
		assert.Equal(t, wire.CodeUnknownType, denied.Error.Code, "visitors cannot transfer")
	})
}

// mailbox is a Notifier keeping what it is given.
type mailbox struct {
	mu      sync.Mutex
	notices []chat.Notice
}

func (m *mailbox) Notify(_ context.Context, n chat.Notice) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.notices = append(m.notices, n)
	return nil
}

func (m *mailbox) all() []chat.Notice {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]chat.Notice(nil), m.notices...)
}

func TestPrechatFormAndTranscript(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		box := &mailbox{}
		h := newHarnessWithDesk(t, chat.Config{Notifier: box})
		olga := h.agent(k, "olga")
		v := h.visitor(k)
		bad := v.request(wire.ClientFrame{Type: wire.FrameStart, Name: "Anna", Email: "not an address"})
		require.Equal(t, wire.FrameError, bad.Type)
		assert.Equal(t, wire.CodeInvalid, bad.Error.Code)

		r := v.mustRequest(wire.ClientFrame{Type: wire.FrameStart, Name: "Anna Nowak", Email: "anna@example.pl"})
		c := *r.Conversation
		stored, err := h.desk.Visitor(t.Context(), v.welcome.Visitor.ID)
		require.NoError(t, err)
		assert.Equal(t, "Anna Nowak", stored.Name, "the pre-chat form's name is kept")
		assert.Equal(t, "anna@example.pl", stored.Email)

		v.say(c, "Dzień dobry")
		got := olga.messages(c, 1)[0]
		assert.Equal(t, "Anna Nowak", got.Author.Name, "the connection writes under the name the form gave")
		olga.expect(func(f wire.ServerFrame) bool {
			return f.Type == wire.FrameVisitor && f.State != nil && f.State.Visitor.Name == "Anna Nowak"
		})
		// A typed address is proven by a confirmation link first (see
		// email_test.go); here the shop vouches for it.
		require.NoError(t, h.desk.ProveEmail(t.Context(), stored.ID, stored.Email))
		v.mustRequest(wire.ClientFrame{Type: wire.FrameTranscript, ConversationID: c.ID})
		sent := box.all()
		require.Len(t, sent, 1)
		assert.Equal(t, chat.NoticeTranscript, sent[0].Kind)
		assert.Equal(t, "anna@example.pl", sent[0].To.Email)
		require.Len(t, sent[0].Messages, 1)
		assert.Equal(t, "Dzień dobry", sent[0].Messages[0].Body)
	})
}

func TestStatsFrame(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		agent := h.agent(k, "olga")
		v := h.visitor(k)
		c := v.start("")
		v.say(c, "hi")
		agent.say(c, "hello")
		now := time.Now()
		r := agent.mustRequest(wire.ClientFrame{Type: wire.FrameStats,
			From: now.Add(-time.Hour).Format(time.RFC3339), To: now.Add(time.Hour).Format(time.RFC3339), TimeZone: "Europe/Helsinki"})
		require.Equal(t, wire.FrameStats, r.Type)
		require.NotNil(t, r.Stats)
		assert.Equal(t, 1, r.Stats.Total.Conversations)
		assert.Equal(t, 1, r.Stats.Total.Answered)
		assert.Equal(t, "Europe/Helsinki", r.Stats.Location)

		for _, f := range []wire.ClientFrame{
			{Type: wire.FrameStats, From: "yesterday", To: now.Format(time.RFC3339)},
			{Type: wire.FrameStats, From: now.Format(time.RFC3339), To: now.Add(-time.Hour).Format(time.RFC3339)},
			{Type: wire.FrameStats, From: now.Add(-time.Hour).Format(time.RFC3339), To: now.Format(time.RFC3339), TimeZone: "Mars/Olympus"},
		} {
			bad := agent.request(f)
			require.Equal(t, wire.FrameError, bad.Type)
			assert.Equal(t, wire.CodeInvalid, bad.Error.Code, "%+v", f)
		}
		denied := v.request(wire.ClientFrame{Type: wire.FrameStats, From: now.Add(-time.Hour).Format(time.RFC3339), To: now.Format(time.RFC3339)})
		assert.Equal(t, wire.CodeUnknownType, denied.Error.Code, "visitors get no statistics")
	})
}

// address returns an email address of exactly n bytes (n at least 30).
func address(n int) string {
	return "anna.nowak@" + strings.Repeat("b", n-len("anna.nowak@.pl")) + ".pl"
}

// TestEmailLimitOnTheWire checks that the pre-chat start and transcript
// take an address up to chat.MaxEmailBytes and refuse a longer one with
// invalid naming the field.
func TestEmailLimitOnTheWire(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		box := &mailbox{}
		h := newHarnessWithDesk(t, chat.Config{Notifier: box})
		v := h.visitor(k)
		ok, long := address(225), address(chat.MaxEmailBytes+1)
		stored := func() string {
			got, err := h.desk.Visitor(t.Context(), v.welcome.Visitor.ID)
			require.NoError(t, err)
			return got.Email
		}

		bad := v.request(wire.ClientFrame{Type: wire.FrameStart, Name: "Anna", Email: long})
		require.Equal(t, wire.FrameError, bad.Type)
		assert.Equal(t, wire.CodeInvalid, bad.Error.Code)
		assert.Contains(t, bad.Error.Message, "email is 255 bytes")
		name := strings.Repeat("ń", chat.MaxNameBytes/2) + "a"
		bad = v.request(wire.ClientFrame{Type: wire.FrameStart, Name: name, Email: ok})
		require.Equal(t, wire.FrameError, bad.Type)
		assert.Contains(t, bad.Error.Message, "name is 201 bytes", "names are counted in bytes too")
		assert.Empty(t, stored(), "a refused start saves nothing")

		r := v.mustRequest(wire.ClientFrame{Type: wire.FrameStart, Name: "Anna", Email: ok})
		assert.Equal(t, ok, stored(), "the pre-chat form's address of 225 bytes is saved")
		c := *r.Conversation

		bad = v.request(wire.ClientFrame{Type: wire.FrameTranscript, ConversationID: c.ID, Email: long})
		require.Equal(t, wire.FrameError, bad.Type)
		assert.Equal(t, wire.CodeInvalid, bad.Error.Code)
		assert.Contains(t, bad.Error.Message, "email is 255 bytes")
		other := address(chat.MaxEmailBytes)
		require.NoError(t, h.desk.ProveEmail(t.Context(), v.welcome.Visitor.ID, other), "an address of %d bytes can be proven", chat.MaxEmailBytes)
		v.mustRequest(wire.ClientFrame{Type: wire.FrameTranscript, ConversationID: c.ID, Email: other})
		assert.Equal(t, other, stored(), "the transcript's address is saved")
		sent := box.all()
		require.Len(t, sent, 1, "only the accepted transcript is sent")
		assert.Equal(t, other, sent[0].To.Email)
	})
}
