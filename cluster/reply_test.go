package cluster_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// outbox records the notices every instance sends, with the instance that
// sent each.
type outbox struct {
	mu   sync.Mutex
	sent []sentNotice
}

type sentNotice struct {
	instance string
	notice   chat.Notice
}

// notifier returns the chat.Notifier of the instance named name.
func (o *outbox) notifier(name string) chat.Notifier { return instanceNotifier{o, name} }

func (o *outbox) all() []sentNotice {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]sentNotice(nil), o.sent...)
}

type instanceNotifier struct {
	box  *outbox
	name string
}

func (n instanceNotifier) Notify(_ context.Context, notice chat.Notice) error {
	n.box.mu.Lock()
	defer n.box.mu.Unlock()
	n.box.sent = append(n.box.sent, sentNotice{instance: n.name, notice: notice})
	return nil
}

// TestReplyNoticeAfterACrash has a visitor on A leave, and the agent on B
// reply twice: B schedules the email of the replies. B is killed before
// it is due; once due, the sweep of another instance sends it, once.
func TestReplyNoticeAfterACrash(t *testing.T) {
	forEachBroker(t, func(t *testing.T, b brokerKind) {
		const delay = 2 * time.Minute
		clk := newClock()
		box := &outbox{}
		// Olga follows the whole shop, visitors' presence included, so the
		// test knows when B has heard that the visitor left.
		in := newCluster(t, b, options{now: clk.Now, replyNoticeDelay: delay, outbox: box, sweep: 20 * time.Millisecond,
			supervisors: []string{"olga"}}).instances(3)
		olga := in[1].agent(t, "olga", 5)
		anna := in[0].visitor(t, "")
		conv := anna.start("anna@example.com")
		require.Equal(t, "olga", conv.AgentID)
		anna.say(conv.ID, "question")
		olga.expect("the question", isMessage(conv.ID, "question"))

		anna.close()
		olga.expect("the visitor leaving", func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventPresence) && f.Author != nil && f.Author.Kind == chat.AuthorVisitor &&
				f.Author.ID == conv.VisitorID.String() && f.Presence == chat.PresenceOffline
		})
		olga.say(conv.ID, "reply-1")
		olga.say(conv.ID, "reply-2")
		ctx := t.Context()
		due, err := in[2].store.DueReplyNotices(ctx, clk.Now().Add(delay), 10)
		require.NoError(t, err)
		require.Len(t, due, 1, "B scheduled the email in the store")
		assert.Equal(t, conv.ID, due[0].ConversationID)

		in[1].kill()
		require.NoError(t, in[0].desk.Sweep(ctx))
		assert.Empty(t, box.all(), "nothing is sent before it is due")
		clk.advance(delay)
		eventually(t, "the email sent by another instance's sweep", func() bool { return len(box.all()) > 0 })
		for _, other := range []*instance{in[0], in[2]} {
			require.NoError(t, other.desk.Sweep(ctx))
		}
		sent := box.all()
		require.Len(t, sent, 1, "sent once")
		assert.NotEqual(t, "B", sent[0].instance)
		n := sent[0].notice
		assert.Equal(t, chat.NoticeReply, n.Kind)
		assert.Equal(t, "anna@example.com", n.To.Email)
		assert.Equal(t, conv.ID, n.Conversation.ID)
		var keys []string
		for _, m := range n.Messages {
			keys = append(keys, m.IdempotencyKey)
		}
		assert.Equal(t, []string{"reply-1", "reply-2"}, keys, "both replies, in one email")
		due, err = in[2].store.DueReplyNotices(ctx, clk.Now().Add(time.Hour), 10)
		require.NoError(t, err)
		assert.Empty(t, due, "nothing is left to send")
	})
}

// TestReplyNoticeFollowsTheVisitorsLeases has the agent on an instance
// that started after the visitor came, so it never heard that they are
// here: their reply is seen in the chat, and when its email is due no
// email is sent, since the visitor's presence lease lives. Once the
// visitor's instance is killed and their lease has ended, a reply is
// emailed.
func TestReplyNoticeFollowsTheVisitorsLeases(t *testing.T) {
	forEachBroker(t, func(t *testing.T, b brokerKind) {
		// Shorter than the lease, which the visitor's instance renews in
		// real time while the test's clock jumps.
		const delay = 10 * time.Second
		clk := newClock()
		box := &outbox{}
		c := newCluster(t, b, options{now: clk.Now, replyNoticeDelay: delay, outbox: box})
		in := c.instances(1)
		anna := in[0].visitor(t, "")
		eventually(t, "the visitor's presence lease", func() bool {
			v, err := in[0].store.Visit(t.Context(), anna.welcome.Visitor.ID)
			return err == nil && v.EndsAt.After(clk.Now())
		})

		late := c.start("B")
		olga := late.agent(t, "olga", 5)
		conv := anna.start("anna@example.com")
		require.Equal(t, "olga", conv.AgentID)
		anna.say(conv.ID, "question")
		olga.expect("the question", isMessage(conv.ID, "question"))
		olga.say(conv.ID, "reply-1")
		anna.expect("the reply in the chat", isMessage(conv.ID, "reply-1"))
		ctx := t.Context()
		clk.advance(delay)
		require.NoError(t, late.desk.Sweep(ctx))
		assert.Empty(t, box.all(), "no email for a visitor who is on the site, connected to another instance")

		in[0].kill()
		clk.advance(chat.DefaultAgentLeaseTTL + time.Second)
		olga.say(conv.ID, "reply-2")
		clk.advance(delay)
		eventually(t, "the email of the reply made once the visitor's lease ended", func() bool {
			_ = late.desk.Sweep(ctx)
			return len(box.all()) == 1
		})
		assert.Equal(t, "reply-2", box.all()[0].notice.Messages[0].IdempotencyKey)
	})
}

// TestReplyNoticeAfterTheVisitorsInstanceCrashed has the agent's instance
// hear that the visitor is online; then the visitor's instance is killed,
// with no goodbye. Once the visitor's lease has ended, the agent's reply is
// emailed, though no event ever said that the visitor left.
func TestReplyNoticeAfterTheVisitorsInstanceCrashed(t *testing.T) {
	forEachBroker(t, func(t *testing.T, b brokerKind) {
		const delay = 2 * time.Minute
		clk := newClock()
		box := &outbox{}
		in := newCluster(t, b, options{now: clk.Now, replyNoticeDelay: delay, outbox: box,
			supervisors: []string{"olga"}}).instances(2)
		olga := in[1].agent(t, "olga", 5)
		anna := in[0].visitor(t, "")
		olga.expect("the visitor online", func(f wire.ServerFrame) bool {
			return f.Type == string(chat.EventPresence) && f.Author != nil && f.Author.Kind == chat.AuthorVisitor &&
				f.Author.ID == anna.welcome.Visitor.ID.String() && f.Presence == chat.PresenceOnline
		})
		conv := anna.start("anna@example.com")
		require.Equal(t, "olga", conv.AgentID)

		in[0].kill()
		clk.advance(chat.DefaultAgentLeaseTTL + time.Second)
		olga.say(conv.ID, "reply")
		clk.advance(delay)
		ctx := t.Context()
		eventually(t, "the email of the reply", func() bool {
			_ = in[1].desk.Sweep(ctx)
			return len(box.all()) == 1
		})
		assert.Equal(t, "reply", box.all()[0].notice.Messages[0].IdempotencyKey)
	})
}
