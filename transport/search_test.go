package transport_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/wire"
)

// An agent tags conversations and finds them again by text, visitor, tag
// and period; the report keeps to a tag when asked; visitors may do none
// of it.
func TestTagsAndSearch(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t)
		agent := h.agent(k, "olga")
		zofia, ben := h.visitor(k), h.visitor(k)
		r := zofia.mustRequest(wire.ClientFrame{Type: wire.FrameStart, Name: "Zofia Nowak", Email: "zofia@example.com"})
		c1 := *r.Conversation
		zofia.say(c1, "Gdzie jest moja PACZKA?")
		c2 := ben.start("")
		ben.say(c2, "hello")

		tags := func(f wire.ClientFrame) []string {
			t.Helper()
			r := agent.mustRequest(f)
			require.Equal(t, wire.FrameTags, r.Type)
			assert.Equal(t, f.ConversationID, r.ConversationID)
			return r.Tags
		}
		assert.Empty(t, tags(wire.ClientFrame{Type: wire.FrameTags, ConversationID: c1.ID}))
		assert.Equal(t, []string{"zwrot"}, tags(wire.ClientFrame{Type: wire.FrameTag, ConversationID: c1.ID, Tag: " Zwrot"}))
		assert.Equal(t, []string{"vip", "zwrot"}, tags(wire.ClientFrame{Type: wire.FrameTag, ConversationID: c1.ID, Tag: "vip"}))
		assert.Equal(t, []string{"zwrot"}, tags(wire.ClientFrame{Type: wire.FrameUntag, ConversationID: c1.ID, Tag: "VIP"}))
		assert.Equal(t, []string{"zwrot"}, tags(wire.ClientFrame{Type: wire.FrameTags, ConversationID: c1.ID}))

		search := func(f wire.ClientFrame) []uuid.UUID {
			t.Helper()
			f.Type = wire.FrameSearch
			r := agent.mustRequest(f)
			require.Equal(t, wire.FrameSearch, r.Type)
			var out []uuid.UUID
			for _, x := range r.Results {
				out = append(out, x.Conversation.ID)
			}
			return out
		}
		assert.Equal(t, []uuid.UUID{c2.ID, c1.ID}, search(wire.ClientFrame{}), "everything, newest first")
		assert.Equal(t, []uuid.UUID{c1.ID}, search(wire.ClientFrame{Text: "paczka"}))
		assert.Equal(t, []uuid.UUID{c1.ID}, search(wire.ClientFrame{VisitorText: "ZOFIA"}))
		assert.Equal(t, []uuid.UUID{c1.ID}, search(wire.ClientFrame{VisitorText: "@example.com"}))
		assert.Equal(t, []uuid.UUID{c1.ID}, search(wire.ClientFrame{Tag: "zwrot"}))
		assert.Equal(t, []uuid.UUID{c1.ID}, search(wire.ClientFrame{Before: c2.ID}), "the older page")
		future := time.Now().Add(time.Hour).Format(time.RFC3339)
		assert.Empty(t, search(wire.ClientFrame{From: future}))
		assert.Len(t, search(wire.ClientFrame{To: future}), 2)
		found := agent.mustRequest(wire.ClientFrame{Type: wire.FrameSearch, Tag: "zwrot"}).Results[0]
		assert.Equal(t, "Zofia Nowak", found.Visitor.Name)
		assert.Equal(t, "zofia@example.com", found.Visitor.Email)
		assert.Equal(t, []string{"zwrot"}, found.Tags)

		from, to := time.Now().Add(-time.Hour).Format(time.RFC3339), future
		all := agent.mustRequest(wire.ClientFrame{Type: wire.FrameStats, From: from, To: to})
		tagged := agent.mustRequest(wire.ClientFrame{Type: wire.FrameStats, From: from, To: to, Tag: "zwrot"})
		assert.Equal(t, 2, all.Stats.Total.Conversations)
		assert.Equal(t, 1, tagged.Stats.Total.Conversations, "the report of one tag")

		for _, f := range []wire.ClientFrame{
			{Type: wire.FrameTag, ConversationID: c1.ID},
			{Type: wire.FrameTag, ConversationID: c1.ID, Tag: "   "},
			{Type: wire.FrameTags},
			{Type: wire.FrameSearch, From: "yesterday"},
			{Type: wire.FrameSearch, Tag: "UPPER\x00"},
			{Type: wire.FrameSearch, Text: strings.Repeat("x", 201)},
		} {
			bad := agent.request(f)
			require.Equal(t, wire.FrameError, bad.Type, "%+v", f)
			assert.Equal(t, wire.CodeInvalid, bad.Error.Code, "%+v", f)
		}
		for _, f := range []wire.ClientFrame{
			{Type: wire.FrameTag, ConversationID: chat.NewID(), Tag: "vip"},
			{Type: wire.FrameSearch, Before: chat.NewID()},
		} {
			unknown := agent.request(f)
			require.Equal(t, wire.FrameError, unknown.Type)
			assert.Equal(t, wire.CodeNotFound, unknown.Error.Code, "%+v", f)
		}
		for _, typ := range []string{wire.FrameTag, wire.FrameSearch} {
			denied := zofia.request(wire.ClientFrame{Type: typ, ConversationID: c1.ID, Tag: "mine"})
			require.Equal(t, wire.FrameError, denied.Type)
			assert.Equal(t, wire.CodeUnknownType, denied.Error.Code, "visitors may not %s", typ)
		}
	})
}

// A shop's store without tags answers tags and searches with a clear
// refusal, not an internal error.
func TestSearchWithoutTagStore(t *testing.T) {
	h := newHarnessWithStore(t, struct{ chat.Store }{memory.New()})
	agent := h.agent(ws, "olga")
	now := time.Now()
	for _, f := range []wire.ClientFrame{
		{Type: wire.FrameSearch, Text: "x"},
		{Type: wire.FrameStats, From: now.Add(-time.Hour).Format(time.RFC3339), To: now.Format(time.RFC3339), Tag: "vip"},
	} {
		r := agent.request(f)
		require.Equal(t, wire.FrameError, r.Type)
		assert.Equal(t, wire.CodeInvalid, r.Error.Code)
		assert.Contains(t, r.Error.Message, "keeps no tags")
	}
}
