package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func tagCases() []testCase {
	return []testCase{
		{"RoundTrip", testTagRoundTrip},
		{"NotFound", testTagNotFound},
		{"Invalid", testTagInvalid},
		{"SearchText", testSearchText},
		{"SearchVisitor", testSearchVisitor},
		{"SearchTagAndFilter", testSearchTagAndFilter},
		{"Erase", testTagErase},
		{"Context", testTagContext},
	}
}

// tags returns the store as a chat.TagStore, or skips a store without tags.
func (f *fixture) tags() chat.TagStore {
	f.t.Helper()
	ts, ok := f.s.(chat.TagStore)
	if !ok {
		f.t.Skip("the store does not implement chat.TagStore")
	}
	return ts
}

// token is a word no other case writes: cases share the store, and a
// search must find only what its case made.
func token() string { return "tk" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12] }

// search runs q and returns the ids found.
func (f *fixture) search(q chat.SearchQuery) []uuid.UUID {
	f.t.Helper()
	cs, err := f.tags().SearchConversations(f.ctx, q)
	require.NoError(f.t, err, "SearchConversations(%+v)", q)
	for _, c := range cs {
		assertUTC(f.t, "SearchConversations", c.CreatedAt, c.UpdatedAt)
	}
	return ids(cs)
}

// sortedIDs returns the ids of cs in the listing's order, oldest first.
func sortedIDs(cs ...chat.ConversationInfo) []uuid.UUID {
	cs = slices.Clone(cs)
	slices.SortFunc(cs, compareConversations)
	return ids(cs)
}

func testTagRoundTrip(t *testing.T, f *fixture) {
	ts := f.tags()
	c := f.conversation()
	got, err := ts.Tags(f.ctx, c.ID)
	require.NoError(t, err)
	assert.Empty(t, got, "a new conversation has no tags")
	for _, tag := range []string{"vip", "refund", "ząb ✓", "vip"} {
		require.NoError(t, ts.AddTag(f.ctx, c.ID, tag), "AddTag %q", tag)
	}
	got, err = ts.Tags(f.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"refund", "vip", "ząb ✓"}, got, "each tag once, in byte order")
	require.NoError(t, ts.RemoveTag(f.ctx, c.ID, "vip"))
	require.NoError(t, ts.RemoveTag(f.ctx, c.ID, "never-added"), "removing a tag the conversation lacks is no error")
	got, err = ts.Tags(f.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"refund", "ząb ✓"}, got)
	other := f.conversation()
	got, err = ts.Tags(f.ctx, other.ID)
	require.NoError(t, err)
	assert.Empty(t, got, "tags belong to their conversation")
}

func testTagNotFound(t *testing.T, f *fixture) {
	ts := f.tags()
	id := chat.NewID()
	require.ErrorIs(t, ts.AddTag(f.ctx, id, "vip"), chat.ErrNotFound, "AddTag")
	require.ErrorIs(t, ts.RemoveTag(f.ctx, id, "vip"), chat.ErrNotFound, "RemoveTag")
	_, err := ts.Tags(f.ctx, id)
	require.ErrorIs(t, err, chat.ErrNotFound, "Tags")
}

func testTagInvalid(t *testing.T, f *fixture) {
	ts := f.tags()
	c := f.conversation()
	for _, tag := range []string{"", "VIP", " vip", "a\x00b", strings.Repeat("x", chat.MaxTagBytes+1), "\xff"} {
		require.ErrorIs(t, ts.AddTag(f.ctx, c.ID, tag), chat.ErrInvalid, "AddTag %q", tag)
		require.ErrorIs(t, ts.RemoveTag(f.ctx, c.ID, tag), chat.ErrInvalid, "RemoveTag %q", tag)
	}
	got, err := ts.Tags(f.ctx, c.ID)
	require.NoError(t, err)
	assert.Empty(t, got, "nothing invalid was stored")
	for _, q := range []chat.SearchQuery{
		{Tag: "VIP"},
		{Text: strings.Repeat("x", chat.MaxSearchBytes+1)},
		{Visitor: "\xff"},
		{ConversationFilter: chat.ConversationFilter{Limit: -1}},
	} {
		_, err := ts.SearchConversations(f.ctx, q)
		require.ErrorIs(t, err, chat.ErrInvalid, "SearchConversations(%+v)", q)
	}
}

// A text search finds the conversations with a message holding the text,
// ASCII letters compared without regard to case and LIKE's wildcards
// taken as the characters they are.
func testSearchText(t *testing.T, f *fixture) {
	tok := token()
	upper, lower, note, none, wild := f.conversation(), f.conversation(), f.conversation(), f.conversation(), f.conversation()
	f.appendMessage(newMessage(upper.ID, "Where is my parcel "+strings.ToUpper(tok)+"?"))
	f.appendMessage(newMessage(lower.ID, "hello"))
	f.appendMessage(newMessage(lower.ID, "order "+tok+" is late"))
	m := newMessage(note.ID, "regular customer "+tok)
	m.Internal = true
	f.appendMessage(m)
	f.appendMessage(newMessage(none.ID, "nothing to see"))
	f.appendMessage(newMessage(none.ID, "a ŻÓŁW named "+tok+"x"))
	f.appendMessage(newMessage(wild.ID, "save 100% "+tok+"_x"))
	assert.Equal(t, sortedIDs(upper, lower, note, none, wild), f.search(chat.SearchQuery{Text: tok}), "notes are searched too")
	assert.Equal(t, sortedIDs(upper, lower, none, wild), f.search(chat.SearchQuery{Text: tok, WithoutNotes: true}), "unless WithoutNotes")
	assert.Equal(t, sortedIDs(none), f.search(chat.SearchQuery{Text: "ŻÓŁW named " + strings.ToUpper(tok)}), "other letters match in the same case")
	assert.Equal(t, sortedIDs(upper), f.search(chat.SearchQuery{Text: "PARCEL " + tok}), "ASCII letters in any case")
	assert.Equal(t, sortedIDs(wild), f.search(chat.SearchQuery{Text: "100% " + tok + "_x"}), "% and _ are themselves")
	assert.Empty(t, f.search(chat.SearchQuery{Text: "100%" + tok}), "% matches only %")
	assert.Empty(t, f.search(chat.SearchQuery{Text: tok + "_y"}), "_ matches only _")
	assert.Empty(t, f.search(chat.SearchQuery{Text: tok + "!"}), "the escape character is itself")
	assert.Equal(t, sortedIDs(lower), f.search(chat.SearchQuery{Text: tok, ConversationFilter: chat.ConversationFilter{VisitorID: lower.VisitorID}}),
		"the filter's fields apply as well")
}

// A visitor search finds the conversations of visitors whose name or
// email holds the text.
func testSearchVisitor(t *testing.T, f *fixture) {
	tok := token()
	byName, byEmail, other := newVisitor(), newVisitor(), newVisitor()
	byName.Name = "Zofia " + strings.ToUpper(tok)
	byEmail.Email = tok + "@Example.com"
	other.Name = "Zofia"
	var cs []chat.ConversationInfo
	for _, v := range []chat.Visitor{byName, byEmail, other} {
		f.putVisitor(v)
		cs = append(cs, f.create(newConversation(v.ID)))
	}
	assert.Equal(t, sortedIDs(cs[0], cs[1]), f.search(chat.SearchQuery{Visitor: tok}))
	assert.Equal(t, sortedIDs(cs[1]), f.search(chat.SearchQuery{Visitor: strings.ToUpper(tok) + "@example"}))
	assert.Equal(t, sortedIDs(cs[0]), f.search(chat.SearchQuery{Visitor: "zofia " + tok}))
}

// A tag search pages like Conversations, newest first on request, with the
// filter's statuses and period applied.
func testSearchTagAndFilter(t *testing.T, f *fixture) {
	ts := f.tags()
	tag := token()
	var tagged []chat.ConversationInfo
	for i := range 4 {
		c := newConversation(f.visitor().ID)
		c.CreatedAt = baseTime().Add(time.Duration(i) * time.Minute)
		if i == 3 {
			c.Status = chat.StatusOpen
		}
		c = f.create(c)
		require.NoError(t, ts.AddTag(f.ctx, c.ID, tag))
		tagged = append(tagged, c)
	}
	untagged := f.conversation()
	require.NoError(t, ts.AddTag(f.ctx, untagged.ID, "other-"+tag))
	all := sortedIDs(tagged...)
	assert.Equal(t, all, f.search(chat.SearchQuery{Tag: tag}))
	first := f.search(chat.SearchQuery{Tag: tag, ConversationFilter: chat.ConversationFilter{Limit: 3}})
	assert.Equal(t, all[:3], first)
	rest := f.search(chat.SearchQuery{Tag: tag, ConversationFilter: chat.ConversationFilter{Limit: 3, After: tagged[2].Cursor()}})
	assert.Equal(t, all[3:], rest, "the next page")
	newest := slices.Clone(all)
	slices.Reverse(newest)
	assert.Equal(t, newest, f.search(chat.SearchQuery{Tag: tag, ConversationFilter: chat.ConversationFilter{Newest: true}}))
	assert.Equal(t, sortedIDs(tagged[3]), f.search(chat.SearchQuery{Tag: tag, ConversationFilter: chat.ConversationFilter{Statuses: []chat.Status{chat.StatusOpen}}}))
	assert.Equal(t, sortedIDs(tagged[1], tagged[2]), f.search(chat.SearchQuery{Tag: tag, ConversationFilter: chat.ConversationFilter{
		CreatedFrom: baseTime().Add(time.Minute), CreatedBefore: baseTime().Add(3 * time.Minute)}}), "the period")
	require.NoError(t, ts.RemoveTag(f.ctx, tagged[0].ID, tag))
	assert.Equal(t, all[1:], f.search(chat.SearchQuery{Tag: tag}), "a removed tag no longer matches")
}

// Erasing a visitor takes the tags of their conversations along; the
// purge of old conversations is checked in the Privacy cases.
func testTagErase(t *testing.T, f *fixture) {
	ts := f.tags()
	tag := token()
	c := f.conversation()
	require.NoError(t, ts.AddTag(f.ctx, c.ID, tag))
	require.NoError(t, f.s.EraseVisitor(f.ctx, c.VisitorID), "EraseVisitor of a tagged conversation's visitor")
	assert.Empty(t, f.search(chat.SearchQuery{Tag: tag}))
	_, err := ts.Tags(f.ctx, c.ID)
	require.ErrorIs(t, err, chat.ErrNotFound)

}

func testTagContext(t *testing.T, f *fixture) {
	ts := f.tags()
	c := f.conversation()
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	require.ErrorIs(t, ts.AddTag(ctx, c.ID, "vip"), context.Canceled)
	require.ErrorIs(t, ts.RemoveTag(ctx, c.ID, "vip"), context.Canceled)
	_, err := ts.Tags(ctx, c.ID)
	require.ErrorIs(t, err, context.Canceled)
	_, err = ts.SearchConversations(ctx, chat.SearchQuery{Tag: "vip"})
	require.ErrorIs(t, err, context.Canceled)
	got, err := ts.Tags(f.ctx, c.ID)
	require.NoError(t, err)
	assert.Empty(t, got, "nothing was written")
}
