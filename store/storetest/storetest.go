package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// Run checks that the stores made by newStore follow every rule of
// [chat.Store]. Each case is a parallel subtest that calls newStore once;
// newStore may return a new store each time or one shared store, and should
// register its own cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) chat.Store) {
	t.Helper()
	for _, g := range groups() {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, setup(t, newStore(t)))
				})
			}
		})
	}
}

// group is a named set of cases, run as one level of subtests.
type group struct {
	name  string
	cases []testCase
}

// testCase is one check of the suite.
type testCase struct {
	name string
	run  func(t *testing.T, f *fixture)
}

// groups lists every case of the suite.
func groups() []group {
	return []group{
		{"Visitor", visitorCases()},
		{"Agent", agentCases()},
		{"Conversation", conversationCases()},
		{"Message", messageCases()},
		{"PageView", pageViewCases()},
		{"Block", blockCases()},
		{"Email", emailCases()},
		{"Invalid", invalidCases()},
		{"Context", contextCases()},
		{"Text", textCases()},
		{"Isolation", isolationCases()},
		{"AgentLease", leaseCases()},
		{"Assign", assignCases()},
		{"JobLease", jobCases()},
		{"ReplyNotice", replyCases()},
		{"Visit", visitCases()},
		{"Customer", customerCases()},
		{"Privacy", privacyCases()},
		{"Outbox", outboxCases()},
	}
}

// fixture is what a case works with: the store, a live context, and
// helpers that store fresh records and fail the test on any error.
type fixture struct {
	t   *testing.T
	ctx context.Context
	s   chat.Store
}

func setup(t *testing.T, s chat.Store) *fixture {
	t.Helper()
	require.NotNil(t, s, "newStore returned nil")
	return &fixture{t: t, ctx: t.Context(), s: s}
}

// putVisitor stores v and returns it as the store should return it.
func (f *fixture) putVisitor(v chat.Visitor) chat.Visitor {
	f.t.Helper()
	require.NoError(f.t, f.s.PutVisitor(f.ctx, v), "PutVisitor")
	return wantVisitor(v)
}

// visitor stores a fresh visitor.
func (f *fixture) visitor() chat.Visitor {
	f.t.Helper()
	return f.putVisitor(newVisitor())
}

// putAgent stores a and returns it as the store should return it.
func (f *fixture) putAgent(a chat.Agent) chat.Agent {
	f.t.Helper()
	require.NoError(f.t, f.s.PutAgent(f.ctx, a), "PutAgent")
	return normAgent(a)
}

// agent stores a fresh agent.
func (f *fixture) agent() chat.Agent {
	f.t.Helper()
	return f.putAgent(newAgent())
}

// create stores c, checks what CreateConversation returns and returns it.
func (f *fixture) create(c chat.ConversationInfo) chat.ConversationInfo {
	f.t.Helper()
	got, err := f.s.CreateConversation(f.ctx, c)
	require.NoError(f.t, err, "CreateConversation")
	want := wantConversation(c)
	want.Version = 1
	requireConversation(f.t, want, got, "CreateConversation returns c with Version 1")
	return got
}

// conversation creates a fresh queued conversation with a fresh visitor.
func (f *fixture) conversation() chat.ConversationInfo {
	f.t.Helper()
	return f.create(newConversation(f.visitor().ID))
}

// get reads a conversation.
func (f *fixture) get(id uuid.UUID) chat.ConversationInfo {
	f.t.Helper()
	c, err := f.s.Conversation(f.ctx, id)
	require.NoError(f.t, err, "Conversation")
	assertUTC(f.t, "Conversation", c.CreatedAt, c.UpdatedAt, c.AssignedAt, c.ClosedAt)
	return c
}

// appendMessage appends m, requires it to be stored as new, and returns
// what the store returned.
func (f *fixture) appendMessage(m chat.Message) chat.Message {
	f.t.Helper()
	got, created, err := f.s.AppendMessage(f.ctx, m)
	require.NoError(f.t, err, "AppendMessage")
	require.True(f.t, created, "AppendMessage of a new message returns created == true")
	return got
}

// appendN appends n fresh messages to the conversation and returns them as
// stored.
func (f *fixture) appendN(conversationID uuid.UUID, n int) []chat.Message {
	f.t.Helper()
	out := make([]chat.Message, 0, n)
	for i := range n {
		out = append(out, f.appendMessage(newMessage(conversationID, fmt.Sprintf("message %d", i+1))))
	}
	return out
}

// messages reads a page of messages.
func (f *fixture) messages(conversationID uuid.UUID, q chat.MessageQuery) []chat.Message {
	f.t.Helper()
	ms, err := f.s.Messages(f.ctx, conversationID, q)
	require.NoError(f.t, err, "Messages(%+v)", q)
	for i := range ms {
		assertUTC(f.t, "Messages", ms[i].CreatedAt)
		ms[i] = normMessage(ms[i])
	}
	return ms
}

// seqs returns the Seq of every message.
func seqs(ms []chat.Message) []int64 {
	out := make([]int64, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Seq)
	}
	return out
}

// seqRange returns from, from+1, ..., to; empty when to < from.
func seqRange(from, to int64) []int64 {
	out := []int64{}
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// baseTime is the instant the fixtures start from. It lies in a zone with
// an offset of 5:45 and carries nanoseconds that truncate and round to
// different microseconds, so a store that keeps the zone, keeps
// nanoseconds or rounds instead of truncating fails the round trips.
func baseTime() time.Time {
	return time.Date(2025, time.March, 14, 15, 9, 26, 535_897_999, time.FixedZone("UTC+05:45", 5*3600+45*60))
}

// westTime is like baseTime in a zone west of UTC.
func westTime() time.Time {
	return time.Date(2024, time.December, 31, 21, 30, 0, 999_999_999, time.FixedZone("UTC-03:30", -(3*3600+30*60)))
}

func newVisitor() chat.Visitor {
	return chat.Visitor{
		ID:         chat.NewID(),
		Name:       "Anna Kowalska",
		Email:      "anna@example.com",
		Locale:     "pl-PL",
		TimeZone:   "Europe/Warsaw",
		CustomerID: "cust-" + uuid.NewString(),
		CreatedAt:  baseTime(),
		LastSeenAt: westTime(),
	}
}

func newAgent() chat.Agent {
	return chat.Agent{
		ID:          "agent-" + uuid.NewString(),
		Name:        "Olga Nowak",
		Departments: []string{"delivery", "returns"},
		Capacity:    3,
		Status:      chat.AgentOnline,
	}
}

func newConversation(visitorID uuid.UUID) chat.ConversationInfo {
	return chat.ConversationInfo{
		ID:         chat.NewID(),
		VisitorID:  visitorID,
		Department: "delivery",
		Status:     chat.StatusQueued,
		CreatedAt:  baseTime(),
		UpdatedAt:  baseTime(),
	}
}

func newMessage(conversationID uuid.UUID, body string) chat.Message {
	return chat.Message{
		ID:             chat.NewID(),
		ConversationID: conversationID,
		Author:         chat.Author{Kind: chat.AuthorBot, Name: "Shop"},
		Body:           body,
		CreatedAt:      baseTime(),
	}
}

func newPageView(visitorID uuid.UUID, at time.Time) chat.PageView {
	return chat.PageView{
		ID:        chat.NewID(),
		VisitorID: visitorID,
		URL:       "https://shop.example.com/p/" + uuid.NewString(),
		Title:     "Rower miejski",
		Referrer:  "https://search.example.com/?q=rower",
		At:        at,
	}
}

func boolPtr(b bool) *bool { return &b }

// The want* functions return what a store gives back for a value it was
// given: times through chat.Timestamp, empty slices as nil.

func wantVisitor(v chat.Visitor) chat.Visitor {
	v.CreatedAt = chat.Timestamp(v.CreatedAt)
	v.LastSeenAt = chat.Timestamp(v.LastSeenAt)
	return v
}

func normAgent(a chat.Agent) chat.Agent {
	if len(a.Departments) == 0 {
		a.Departments = nil
	}
	return a
}

func wantConversation(c chat.ConversationInfo) chat.ConversationInfo {
	c.CreatedAt = chat.Timestamp(c.CreatedAt)
	c.UpdatedAt = chat.Timestamp(c.UpdatedAt)
	c.AssignedAt = chat.Timestamp(c.AssignedAt)
	c.ClosedAt = chat.Timestamp(c.ClosedAt)
	c.FirstAssignedAt = chat.Timestamp(c.FirstAssignedAt)
	c.FirstMessageAt = chat.Timestamp(c.FirstMessageAt)
	c.FirstResponseAt = chat.Timestamp(c.FirstResponseAt)
	if c.Resolved != nil {
		c.Resolved = boolPtr(*c.Resolved)
	}
	return c
}

func normMessage(m chat.Message) chat.Message {
	if len(m.Attachments) == 0 {
		m.Attachments = nil
	}
	if len(m.QuickReplies) == 0 {
		m.QuickReplies = nil
	}
	return m
}

// wantMessage returns m as stored with the given Seq.
func wantMessage(m chat.Message, seq int64) chat.Message {
	m = normMessage(m)
	m.Seq = seq
	m.CreatedAt = chat.Timestamp(m.CreatedAt)
	return m
}

func wantPageView(p chat.PageView) chat.PageView {
	p.At = chat.Timestamp(p.At)
	return p
}

// assertUTC checks that times come back in UTC, as the contract requires.
func assertUTC(t *testing.T, what string, times ...time.Time) {
	t.Helper()
	for _, tm := range times {
		if !tm.IsZero() {
			assert.Equal(t, time.UTC, tm.Location(), "%s returned a time that is not in UTC: %s", what, tm)
		}
	}
}

// requireConversation compares every field of two conversations.
func requireConversation(t *testing.T, want, got chat.ConversationInfo, msg string) {
	t.Helper()
	assertUTC(t, msg, got.CreatedAt, got.UpdatedAt, got.AssignedAt, got.ClosedAt, got.FirstAssignedAt, got.FirstMessageAt, got.FirstResponseAt)
	require.Equal(t, want, got, msg)
}

// requireMessages compares messages field by field, nil and empty slices
// alike.
func requireMessages(t *testing.T, want, got []chat.Message, msg string, args ...any) {
	t.Helper()
	w := make([]chat.Message, 0, len(want))
	for _, m := range want {
		w = append(w, normMessage(m))
	}
	g := make([]chat.Message, 0, len(got))
	for _, m := range got {
		assertUTC(t, "Messages", m.CreatedAt)
		g = append(g, normMessage(m))
	}
	require.Equal(t, w, g, append([]any{msg}, args...)...)
}

// compareConversations orders conversations as Conversations must: by
// CreatedAt, then by ID.
func compareConversations(a, b chat.ConversationInfo) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return bytes.Compare(a.ID[:], b.ID[:])
}

// comparePageViews orders page views as PageViews must: by At, then by ID.
func comparePageViews(a, b chat.PageView) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	return bytes.Compare(a.ID[:], b.ID[:])
}

// ids returns the IDs of conversations, for readable failure output.
func ids(cs []chat.ConversationInfo) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}
