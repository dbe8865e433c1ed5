package transport_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/advisor"
	"github.com/parleychat/parley/advisor/faq"
	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/wire"
)

// advisorFAQ answers questions about delivery, returns and orders in
// English and Polish.
func advisorFAQ(t *testing.T) *faq.FAQ {
	t.Helper()
	f, err := faq.New(faq.Config{Entries: []faq.Entry{
		{Language: "en", Questions: []string{"How long does delivery take?", "When will my parcel arrive?"}, Answer: "Parcels arrive in 2 to 3 working days."},
		{Language: "en", Questions: []string{"How do I return an item?"}, Answer: "Returns are free within 30 days."},
		{Language: "en", Questions: []string{"Where is my order?"}, Answer: "Your order's status is under Account, Orders."},
		{Language: "pl", Questions: []string{"Ile trwa dostawa?"}, Answer: "Paczki docierają w 2–3 dni robocze."},
	}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// advisorSQLite opens a store on an SQLite file.
func advisorSQLite(t *testing.T) chat.Store {
	t.Helper()
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "shop.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(context.Background()) })
	return store
}

// newAdvisorHarness serves a Desk over an SQLite file with the FAQ
// advisor in front of the agents.
func newAdvisorHarness(t *testing.T, cfg advisor.Config) *harness {
	t.Helper()
	if cfg.Bot == nil {
		cfg.Bot = advisorFAQ(t)
	}
	adv, err := advisor.New(cfg)
	require.NoError(t, err)
	return newHarnessWithDesk(t, chat.Config{Store: advisorSQLite(t), Advisor: adv})
}

// botAnswer waits for the advisor's answer in the conversation.
func botAnswer(c *client, conv chat.ConversationInfo) chat.Message {
	c.t.Helper()
	f := c.expect(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.ConversationID == conv.ID && f.Message.Author.Kind == chat.AuthorBot
	})
	return *f.Message
}

// handedOver waits until the stored conversation was handed over and
// returns it.
func handedOver(t *testing.T, h *harness, conv chat.ConversationInfo) chat.ConversationInfo {
	t.Helper()
	var c chat.ConversationInfo
	require.Eventually(t, func() bool {
		var err error
		c, err = h.store.Conversation(t.Context(), conv.ID)
		require.NoError(t, err)
		return c.Status != chat.StatusBot
	}, wait, 5*time.Millisecond, "the advisor hands the conversation over")
	return c
}

// storedTranscript returns the stored messages of conv.
func storedTranscript(t *testing.T, h *harness, conv chat.ConversationInfo) []chat.Message {
	t.Helper()
	ms, err := h.store.Messages(t.Context(), conv.ID, chat.MessageQuery{Limit: chat.MaxPageSize})
	require.NoError(t, err)
	return ms
}

// botMessages counts the stored messages of the advisor in conv.
func botMessages(t *testing.T, h *harness, conv chat.ConversationInfo) int {
	t.Helper()
	n := 0
	for _, m := range storedTranscript(t, h, conv) {
		if m.Author.Kind == chat.AuthorBot {
			n++
		}
	}
	return n
}

// TestAdvisorHandsOverOnRequest: the advisor answers first while an
// agent is online; its answer offers "Talk to a person"; picking it hands
// the conversation to the agent, who sees what the advisor said and a
// note saying why it handed over.
func TestAdvisorHandsOverOnRequest(t *testing.T) {
	t.Parallel()
	h := newAdvisorHarness(t, advisor.Config{Name: "Parcel helper"})
	olga := h.agent(ws, "olga")
	v := h.visitor(ws, clientOptions{lang: "en-GB"})
	conv := v.start("")
	assert.Equal(t, chat.StatusBot, conv.Status, "the advisor answers first")
	assert.True(t, conv.Advised)

	v.say(conv, "When will my parcel arrive?")
	answer := botAnswer(v, conv)
	assert.Equal(t, "Parcels arrive in 2 to 3 working days.", answer.Body)
	assert.Equal(t, "Parcel helper", answer.Author.Name)
	assert.Equal(t, []string{"Talk to a person"}, answer.QuickReplies, "every answer offers a person")
	stored, err := h.store.Conversation(t.Context(), conv.ID)
	require.NoError(t, err)
	assert.Empty(t, stored.AgentID, "nobody is given the conversation while the advisor has it")

	v.say(conv, answer.QuickReplies[0])
	assigned := olga.expect(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventAssigned) && f.ConversationID == conv.ID
	})
	assert.Equal(t, "olga", assigned.AgentID)
	c := handedOver(t, h, conv)
	assert.Equal(t, chat.HandoffRequested, c.Handoff)
	assert.True(t, c.Advised)

	synced := olga.mustRequest(wire.ClientFrame{Type: wire.FrameSync, ConversationID: conv.ID})
	seen := olga.messages(conv, int(synced.LastSeq))
	var bodies []string
	for _, m := range seen {
		bodies = append(bodies, string(m.Author.Kind)+": "+m.Body)
	}
	assert.Contains(t, bodies, "bot: Parcels arrive in 2 to 3 working days.", "the agent sees what the advisor said")
	assert.Contains(t, bodies, "system: The virtual advisor handed this conversation over: the visitor asked for a person.", "and why it handed over")
	var note chat.Message
	for _, m := range seen {
		if m.Internal {
			note = m
		}
	}
	assert.Contains(t, note.Body, "asked for a person", "the reason is an internal note")
	v.expect(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.ConversationID == conv.ID &&
			f.Message.Author.Kind == chat.AuthorSystem && strings.Contains(f.Message.Body, "A person from our team takes over")
	})
	_, leaked := v.tryExpect(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.Message.Internal
	}, 0)
	assert.False(t, leaked, "the visitor never sees the note")

	// The agent answers; the advisor stays quiet from now on.
	olga.say(conv, "Hello, Olga here.")
	v.say(conv, "When will my parcel arrive?")
	v.messages(conv, 2)
	for _, m := range storedTranscript(t, h, conv) {
		if m.Author.Kind == chat.AuthorBot {
			assert.Equal(t, answer.ID, m.ID, "the advisor answered only while it had the conversation")
		}
	}
}

// TestAdvisorHandsOverWhatItCannotAnswer: a question the FAQ does not
// know goes to a person at once.
func TestAdvisorHandsOverWhatItCannotAnswer(t *testing.T) {
	t.Parallel()
	h := newAdvisorHarness(t, advisor.Config{})
	olga := h.agent(ws, "olga")
	v := h.visitor(ws, clientOptions{lang: "en"})
	conv := v.start("")
	v.say(conv, "Do you sell gift cards?")
	olga.expect(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventAssigned) && f.ConversationID == conv.ID
	})
	c := handedOver(t, h, conv)
	assert.Equal(t, chat.HandoffUnknown, c.Handoff)
	for _, m := range storedTranscript(t, h, conv) {
		assert.NotEqual(t, chat.AuthorBot, m.Author.Kind, "the advisor says nothing it does not know")
	}
}

// TestAdvisorHandsOverAfterTurns: after MaxTurns answers the next
// message goes to a person.
func TestAdvisorHandsOverAfterTurns(t *testing.T) {
	t.Parallel()
	h := newAdvisorHarness(t, advisor.Config{MaxTurns: 2})
	olga := h.agent(ws, "olga")
	v := h.visitor(ws, clientOptions{lang: "en"})
	conv := v.start("")
	v.say(conv, "How long does delivery take?")
	assert.Equal(t, "Parcels arrive in 2 to 3 working days.", botAnswer(v, conv).Body)
	v.say(conv, "How do I return an item?")
	assert.Equal(t, "Returns are free within 30 days.", botAnswer(v, conv).Body)
	v.say(conv, "Where is my order?")
	olga.expect(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventAssigned) && f.ConversationID == conv.ID
	})
	c := handedOver(t, h, conv)
	assert.Equal(t, chat.HandoffTurns, c.Handoff)
	assert.Equal(t, "olga", c.AgentID)
}

// TestAdvisorHandsOverWhenRepeated: a visitor who asks again, in the same
// words (to a bot that would answer differently each time) or in others
// that get the same answer, goes to a person.
func TestAdvisorHandsOverWhenRepeated(t *testing.T) {
	t.Parallel()
	var answers atomic.Int64
	numbered := advisor.BotFunc(func(context.Context, advisor.Question) (advisor.Reply, error) {
		return advisor.Reply{Body: fmt.Sprint("Answer ", answers.Add(1))}, nil
	})
	for name, c := range map[string]struct {
		bot   advisor.Bot
		again string
	}{
		"same words":  {numbered, "when will my parcel arrive ?!"},
		"same answer": {nil, "How long does delivery take?"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newAdvisorHarness(t, advisor.Config{Bot: c.bot})
			h.agent(ws, "olga")
			v := h.visitor(ws, clientOptions{lang: "en"})
			conv := v.start("")
			v.say(conv, "When will my parcel arrive?")
			botAnswer(v, conv)
			v.say(conv, c.again)
			got := handedOver(t, h, conv)
			assert.Equal(t, chat.HandoffRepeated, got.Handoff)
			assert.Equal(t, 1, botMessages(t, h, conv), "the advisor answers a repeated question with a person")
		})
	}
}

// TestAdvisorHandoffWithNobodyOnline: with no agent online the handoff
// becomes an offline request, acknowledged in the visitor's language with
// the time to expect an answer.
func TestAdvisorHandoffWithNobodyOnline(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, time.March, 2, 10, 0, 0, 0, time.UTC)
	adv, err := advisor.New(advisor.Config{Bot: advisorFAQ(t)})
	require.NoError(t, err)
	h := newHarnessWithDesk(t, chat.Config{Store: advisorSQLite(t), Advisor: adv, ReplyWithin: 3 * time.Hour,
		Now: func() time.Time { return now }})
	v := h.visitor(ws, clientOptions{lang: "pl", tz: "Europe/Warsaw"})
	conv := v.start("")
	require.Equal(t, chat.StatusBot, conv.Status, "the advisor answers even with nobody online")
	v.say(conv, "Ile trwa dostawa?")
	answer := botAnswer(v, conv)
	assert.Equal(t, "Paczki docierają w 2–3 dni robocze.", answer.Body)
	assert.Equal(t, []string{"Porozmawiaj z konsultantem"}, answer.QuickReplies, "the offer of a person is in the visitor's language")

	v.say(conv, "Porozmawiaj z konsultantem")
	c := handedOver(t, h, conv)
	assert.Equal(t, chat.StatusWaiting, c.Status, "nobody is online: an offline request")
	assert.True(t, c.Offline)
	assert.Equal(t, chat.HandoffRequested, c.Handoff)
	ack := v.expect(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.ConversationID == conv.ID && f.Message.IdempotencyKey == "parley:offline-ack"
	})
	assert.Contains(t, ack.Message.Body, "Odpowiedź otrzymasz do 02.03.2026, 14:00 CET", "the expected time, in the visitor's zone")
}

// TestAdvisorAnswersOnceAcrossInstances: two instances share the SQLite
// file and a Broker; the visitor writes to one while an agent listens on
// the other, and each message is answered once.
func TestAdvisorAnswersOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	store, broker := advisorSQLite(t), &chat.LocalBroker{}
	adv, err := advisor.New(advisor.Config{Bot: advisorFAQ(t)})
	require.NoError(t, err)
	a := newHarnessWithDesk(t, chat.Config{Store: store, Broker: broker, Advisor: adv})
	b := newHarnessWithDesk(t, chat.Config{Store: store, Broker: broker, Advisor: adv})
	olga := b.agent(ws, "olga")
	watcher := a.agent(ws, "piotr")
	v := a.visitor(ws, clientOptions{lang: "en"})
	conv := v.start("")
	for _, q := range []string{"How long does delivery take?", "How do I return an item?"} {
		v.say(conv, q)
		botAnswer(v, conv)
	}
	v.say(conv, "Talk to a person")
	handedOver(t, a, conv)
	olga.expect(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventAssigned) && f.ConversationID == conv.ID
	})
	_ = watcher
	count := map[chat.AuthorKind]int{}
	notes := 0
	for _, m := range storedTranscript(t, a, conv) {
		count[m.Author.Kind]++
		if m.Internal {
			notes++
		}
	}
	assert.Equal(t, 2, count[chat.AuthorBot], "each question is answered once")
	assert.Equal(t, 1, notes, "one note of the handoff")
}

// TestAdvisorReport: the Desk's report counts the conversations the
// advisor resolved and those it handed over.
func TestAdvisorReport(t *testing.T) {
	t.Parallel()
	h := newAdvisorHarness(t, advisor.Config{})
	h.agent(ws, "olga")
	v := h.visitor(ws, clientOptions{lang: "en"})
	resolved := v.start("")
	v.say(resolved, "Where is my order?")
	botAnswer(v, resolved)
	v.mustRequest(wire.ClientFrame{Type: wire.FrameClose, ConversationID: resolved.ID})

	w := h.visitor(ws, clientOptions{lang: "en"})
	passed := w.start("")
	w.say(passed, "Do you sell gift cards?")
	handedOver(t, h, passed)

	r, err := h.desk.Report(t.Context(), chat.ReportQuery{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, 2, r.Total.Advised)
	assert.Equal(t, 1, r.Total.AdvisorResolved)
	assert.Equal(t, 1, r.Total.HandedOver)
}

// TestAdvisorStaysOutOfInvitations: a conversation started with
// NoAdvisor, as an accepted invitation is, goes to the agent at once.
func TestAdvisorStaysOutOfInvitations(t *testing.T) {
	t.Parallel()
	h := newAdvisorHarness(t, advisor.Config{})
	olga := h.agent(ws, "olga")
	v, err := h.desk.SaveVisitor(t.Context(), chat.Visitor{})
	require.NoError(t, err)
	conv, err := h.desk.Start(t.Context(), chat.StartRequest{VisitorID: v.ID, NoAdvisor: true})
	require.NoError(t, err)
	olga.expect(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventAssigned) && f.ConversationID == conv.ID()
	})
	c, err := conv.Info(t.Context())
	require.NoError(t, err)
	assert.False(t, c.Advised)
}

// TestAdvisorTakenByAnAgent: an agent who assigns the advisor's
// conversation to themselves takes it over, and the advisor's own quick
// replies come before the offer of a person.
func TestAdvisorTakenByAnAgent(t *testing.T) {
	t.Parallel()
	h := newAdvisorHarness(t, advisor.Config{Bot: advisor.BotFunc(func(context.Context, advisor.Question) (advisor.Reply, error) {
		return advisor.Reply{Body: "Which order?", QuickReplies: []string{"The last one"}}, nil
	})})
	olga := h.agent(ws, "olga")
	v := h.visitor(ws, clientOptions{lang: "fi"})
	conv := v.start("")
	v.say(conv, "Missä tilaukseni on?")
	assert.Equal(t, []string{"The last one", "Puhu ihmisen kanssa"}, botAnswer(v, conv).QuickReplies)
	olga.mustRequest(wire.ClientFrame{Type: wire.FrameAssign, ConversationID: conv.ID})
	c := handedOver(t, h, conv)
	assert.Equal(t, chat.HandoffTaken, c.Handoff)
	assert.Equal(t, chat.StatusOpen, c.Status)
	v.say(conv, "The last one")
	olga.say(conv, "Olga here: it left the warehouse today.")
	v.expect(func(f wire.ServerFrame) bool {
		return f.Type == string(chat.EventMessage) && f.Message.Author.Kind == chat.AuthorAgent
	})
	assert.Equal(t, 1, botMessages(t, h, conv), "the advisor is quiet once an agent has the conversation")
}

// TestAdvisorFailureHandsOver: a bot that fails, or answers later than
// chat.Config.AdvisorTimeout, hands the conversation over.
func TestAdvisorFailureHandsOver(t *testing.T) {
	t.Parallel()
	adv, err := advisor.New(advisor.Config{Bot: advisor.BotFunc(func(ctx context.Context, q advisor.Question) (advisor.Reply, error) {
		if q.Text == "slow" {
			<-ctx.Done()
			return advisor.Reply{}, ctx.Err()
		}
		return advisor.Reply{}, errors.New("the order system is down")
	})})
	require.NoError(t, err)
	h := newHarnessWithDesk(t, chat.Config{Store: advisorSQLite(t), Advisor: adv, AdvisorTimeout: 50 * time.Millisecond})
	h.agent(ws, "olga")
	for _, text := range []string{"broken", "slow"} {
		v := h.visitor(ws, clientOptions{lang: "en"})
		conv := v.start("")
		v.say(conv, text)
		c := handedOver(t, h, conv)
		assert.Equal(t, chat.HandoffFailed, c.Handoff, text)
	}
}
