package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func conversationCases() []testCase {
	return []testCase{
		{"RoundTrip", testConversationRoundTrip},
		{"Resolved", testConversationResolved},
		{"CreateDuplicate", testConversationDuplicate},
		{"NotFound", testConversationNotFound},
		{"Update", testConversationUpdate},
		{"UpdateStaleVersion", testConversationStale},
		{"UpdateKeepsStoredFields", testConversationKeeps},
		{"UpdateRace", testConversationUpdateRace},
		{"UpdateWhileAppending", testConversationUpdateWhileAppending},
		{"ListByVisitorOrdered", testConversationsByVisitor},
		{"ListFilters", testConversationsFilters},
		{"ListLimit", testConversationsLimit},
		{"ListByStatusOnly", testConversationsByStatusOnly},
		{"ListCreatedRange", testConversationsCreatedRange},
		{"ListNewest", testConversationsNewest},
		{"PageThroughTies", testConversationsPageThrough},
		{"CursorIsAPosition", testConversationsCursor},
		{"Advisor", testConversationAdvisor},
	}
}

// fullConversation returns a conversation with every field set.
func (f *fixture) fullConversation() chat.ConversationInfo {
	f.t.Helper()
	a := f.agent()
	c := newConversation(f.visitor().ID)
	c.Status = chat.StatusClosed
	c.AgentID = a.ID
	c.Department = "returns"
	c.CreatedAt = baseTime()
	c.UpdatedAt = baseTime().Add(time.Hour)
	c.AssignedAt = westTime()
	c.ClosedAt = baseTime().Add(90 * time.Minute)
	c.Rating = 4
	c.Resolved = boolPtr(true)
	c.FirstAssignedAt = baseTime().Add(time.Minute + 123)
	c.FirstMessageAt = baseTime().Add(30 * time.Second)
	c.FirstResponseAt = baseTime().Add(2*time.Minute + 999)
	c.Offline = true
	c.Advised = true
	c.Handoff = chat.HandoffRepeated
	return c
}

func testConversationRoundTrip(t *testing.T, f *fixture) {
	created := f.create(f.fullConversation())
	requireConversation(t, created, f.get(created.ID), "Conversation returns every field as created")

	minimal := f.create(newConversation(f.visitor().ID))
	got := f.get(minimal.ID)
	requireConversation(t, minimal, got, "a queued conversation round-trips")
	assert.True(t, got.AssignedAt.IsZero(), "an unset AssignedAt comes back zero")
	assert.True(t, got.ClosedAt.IsZero(), "an unset ClosedAt comes back zero")
	assert.Nil(t, got.Resolved, "an unset Resolved comes back nil")
	assert.Zero(t, got.LastSeq, "a new conversation has LastSeq 0")
}

func testConversationResolved(t *testing.T, f *fixture) {
	for _, r := range []*bool{nil, boolPtr(false), boolPtr(true)} {
		c := newConversation(f.visitor().ID)
		c.Resolved = r
		created := f.create(c)
		got := f.get(created.ID)
		require.Equal(t, r, got.Resolved, "Resolved %v round-trips through CreateConversation; nil, false and true differ", fmtBool(r))

		// And through UpdateConversation, to each of the three values.
		for _, to := range []*bool{boolPtr(true), nil, boolPtr(false)} {
			got.Resolved = to
			updated, err := f.s.UpdateConversation(f.ctx, got)
			require.NoError(t, err, "UpdateConversation")
			require.Equal(t, to, updated.Resolved, "UpdateConversation returns Resolved %v", fmtBool(to))
			got = f.get(c.ID)
			require.Equal(t, to, got.Resolved, "Resolved %v round-trips through UpdateConversation", fmtBool(to))
		}
	}
}

func fmtBool(b *bool) string {
	if b == nil {
		return "nil"
	}
	return fmt.Sprint(*b)
}

func testConversationDuplicate(t *testing.T, f *fixture) {
	first := f.create(f.fullConversation())

	again := newConversation(f.visitor().ID)
	again.ID = first.ID
	_, err := f.s.CreateConversation(f.ctx, again)
	require.ErrorIs(t, err, chat.ErrConflict, "CreateConversation with a used id")
	requireConversation(t, first, f.get(first.ID), "a rejected duplicate changes nothing")
}

func testConversationNotFound(t *testing.T, f *fixture) {
	_, err := f.s.Conversation(f.ctx, uuid.New())
	require.ErrorIs(t, err, chat.ErrNotFound, "Conversation of an unknown id")

	c := newConversation(f.visitor().ID)
	c.Version = 1
	_, err = f.s.UpdateConversation(f.ctx, c)
	require.ErrorIs(t, err, chat.ErrNotFound, "UpdateConversation of an unknown id")
	_, err = f.s.Conversation(f.ctx, c.ID)
	require.ErrorIs(t, err, chat.ErrNotFound, "UpdateConversation of an unknown id must not create it")
}

func testConversationUpdate(t *testing.T, f *fixture) {
	c := f.conversation()
	a := f.agent()

	change := c
	change.Status = chat.StatusOpen
	change.AgentID = a.ID
	change.Department = "billing"
	change.UpdatedAt = westTime()
	change.AssignedAt = westTime()
	updated, err := f.s.UpdateConversation(f.ctx, change)
	require.NoError(t, err, "UpdateConversation with the stored Version")
	want := wantConversation(change)
	want.Version = 2
	requireConversation(t, want, updated, "UpdateConversation returns c with Version increased by one")
	requireConversation(t, want, f.get(c.ID), "Conversation returns the update")

	change = updated
	change.Status = chat.StatusClosed
	change.ClosedAt = baseTime().Add(2 * time.Hour)
	change.UpdatedAt = change.ClosedAt
	change.Rating = 5
	change.Resolved = boolPtr(false)
	updated, err = f.s.UpdateConversation(f.ctx, change)
	require.NoError(t, err, "second UpdateConversation")
	want = wantConversation(change)
	want.Version = 3
	requireConversation(t, want, updated, "each update increases Version by one")
	requireConversation(t, want, f.get(c.ID), "Conversation returns the second update")

	// Fields can be cleared again.
	change = updated
	change.AgentID = ""
	change.Department = ""
	change.AssignedAt = time.Time{}
	change.ClosedAt = time.Time{}
	change.Rating = 0
	change.Resolved = nil
	change.Status = chat.StatusQueued
	updated, err = f.s.UpdateConversation(f.ctx, change)
	require.NoError(t, err, "third UpdateConversation")
	requireConversation(t, wantConversation(updated), f.get(c.ID), "an update can clear fields")

	// The metrics' times are set and cleared like the others, and a
	// conversation can wait as an offline request.
	change = updated
	change.Status = chat.StatusWaiting
	change.FirstAssignedAt = westTime()
	change.FirstMessageAt = baseTime().Add(time.Second)
	change.FirstResponseAt = baseTime().Add(time.Hour)
	change.Offline = true
	updated, err = f.s.UpdateConversation(f.ctx, change)
	require.NoError(t, err, "fourth UpdateConversation")
	want = wantConversation(change)
	want.Version = 5
	requireConversation(t, want, f.get(c.ID), "an update sets FirstAssignedAt, FirstMessageAt, FirstResponseAt and Offline")
	change = updated
	change.FirstAssignedAt, change.FirstMessageAt, change.FirstResponseAt = time.Time{}, time.Time{}, time.Time{}
	change.Offline = false
	updated, err = f.s.UpdateConversation(f.ctx, change)
	require.NoError(t, err, "fifth UpdateConversation")
	want = wantConversation(change)
	want.Version = 6
	requireConversation(t, want, f.get(c.ID), "an update clears the metrics' times")
}

func testConversationStale(t *testing.T, f *fixture) {
	c := f.conversation()
	first := c
	first.Status = chat.StatusOpen
	first.AgentID = f.agent().ID
	v2, err := f.s.UpdateConversation(f.ctx, first)
	require.NoError(t, err, "UpdateConversation")
	require.EqualValues(t, 2, v2.Version)

	for _, version := range []int64{0, 1, 3, 42} {
		stale := c
		stale.Version = version
		stale.Status = chat.StatusClosed
		stale.Rating = 1
		_, err = f.s.UpdateConversation(f.ctx, stale)
		require.ErrorIs(t, err, chat.ErrConflict, "UpdateConversation with Version %d while the stored one is 2", version)
		requireConversation(t, v2, f.get(c.ID), "a rejected update changes nothing")
	}
}

func testConversationKeeps(t *testing.T, f *fixture) {
	c := f.conversation()
	msgs := f.appendN(c.ID, 2)
	read := f.get(c.ID)
	require.EqualValues(t, 2, read.LastSeq)

	// c was read before the appends: its LastSeq (0) and UpdatedAt are old.
	change := c
	change.VisitorID = f.visitor().ID
	change.CreatedAt = westTime()
	change.LastSeq = 0
	change.Status = chat.StatusOpen
	updated, err := f.s.UpdateConversation(f.ctx, change)
	require.NoError(t, err, "UpdateConversation with the Version read before two appends")

	want := wantConversation(change)
	want.VisitorID = c.VisitorID
	want.CreatedAt = c.CreatedAt
	want.LastSeq = 2
	want.Version = 2
	requireConversation(t, want, updated, "UpdateConversation keeps and returns the stored VisitorID, CreatedAt and LastSeq")
	requireConversation(t, want, f.get(c.ID), "the stored VisitorID, CreatedAt and LastSeq are kept")

	next := f.appendMessage(newMessage(c.ID, "after the update"))
	assert.EqualValues(t, 3, next.Seq, "an update does not reset the sequence")
	requireMessages(t, msgs, f.messages(c.ID, chat.MessageQuery{Before: 3}), "an update leaves the messages alone")
}

func testConversationUpdateRace(t *testing.T, f *fixture) {
	const writers = 8
	c := f.conversation()
	var (
		start   = make(chan struct{})
		wg      sync.WaitGroup
		mu      sync.Mutex
		won     []chat.ConversationInfo
		unknown []error
	)
	for i := range writers {
		wg.Go(func() {
			change := c
			change.Department = fmt.Sprintf("writer-%d", i)
			<-start
			got, err := f.s.UpdateConversation(f.ctx, change)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, got)
			case !errors.Is(err, chat.ErrConflict):
				unknown = append(unknown, err)
			}
		})
	}
	close(start)
	wg.Wait()
	require.Empty(t, unknown, "concurrent updates fail only with ErrConflict")
	require.Len(t, won, 1, "of %d concurrent updates from Version 1 exactly one succeeds", writers)
	requireConversation(t, won[0], f.get(c.ID), "the stored conversation is the winning update")
	assert.EqualValues(t, 2, won[0].Version)
}

func testConversationUpdateWhileAppending(t *testing.T, f *fixture) {
	const (
		updaters  = 4
		updates   = 10 // successful updates per updater
		appenders = 4
		appends   = 20 // per appender
		attempts  = 1000
	)
	c := f.conversation()
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
		mu    sync.Mutex
		errs  []error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	for u := range updaters {
		wg.Go(func() {
			<-start
			for i := range updates {
				for try := 0; ; try++ {
					if try == attempts {
						fail(fmt.Errorf("updater %d: no update in %d attempts", u, attempts))
						return
					}
					cur, err := f.s.Conversation(f.ctx, c.ID)
					if err != nil {
						fail(err)
						return
					}
					cur.Department = fmt.Sprintf("u%d-%d", u, i)
					_, err = f.s.UpdateConversation(f.ctx, cur)
					if err == nil {
						break
					}
					if !errors.Is(err, chat.ErrConflict) {
						fail(err)
						return
					}
				}
			}
		})
	}
	for a := range appenders {
		wg.Go(func() {
			<-start
			for i := range appends {
				_, _, err := f.s.AppendMessage(f.ctx, newMessage(c.ID, fmt.Sprintf("appender %d message %d", a, i)))
				if err != nil {
					fail(fmt.Errorf("AppendMessage while updating: %w", err))
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	require.Empty(t, errs)

	got := f.get(c.ID)
	assert.EqualValues(t, 1+updaters*updates, got.Version, "Version counts the updates and only the updates")
	assert.EqualValues(t, appenders*appends, got.LastSeq, "no update overwrote LastSeq with a stale value")
	ms := f.messages(c.ID, chat.MessageQuery{Limit: chat.MaxPageSize})
	assert.Equal(t, seqRange(1, appenders*appends), seqs(ms), "every append is kept")
}

// listConversations runs Conversations and checks the result's order.
func (f *fixture) listConversations(filter chat.ConversationFilter) []chat.ConversationInfo {
	f.t.Helper()
	got, err := f.s.Conversations(f.ctx, filter)
	require.NoError(f.t, err, "Conversations(%+v)", filter)
	for _, c := range got {
		assertUTC(f.t, "Conversations", c.CreatedAt, c.UpdatedAt, c.AssignedAt, c.ClosedAt)
	}
	if filter.Newest {
		require.True(f.t, slices.IsSortedFunc(got, func(a, b chat.ConversationInfo) int { return compareConversations(b, a) }),
			"Conversations with Newest returns newest first, by CreatedAt then ID; got %v", ids(got))
	} else {
		require.True(f.t, slices.IsSortedFunc(got, compareConversations),
			"Conversations returns oldest first, by CreatedAt then ID; got %v", ids(got))
	}
	return got
}

func testConversationsByVisitor(t *testing.T, f *fixture) {
	v := f.visitor()
	other := f.visitor()
	f.create(newConversation(other.ID))

	// Created out of order; two share a CreatedAt exactly, two share it once
	// truncated to the microsecond, so only the ID can order them.
	base := baseTime()
	offsets := []time.Duration{
		3 * time.Second,
		time.Second,
		time.Second,
		2*time.Second + 100,
		2*time.Second + 900,
		0,
		5 * time.Minute,
	}
	var want []chat.ConversationInfo
	for _, d := range offsets {
		c := newConversation(v.ID)
		c.CreatedAt = base.Add(d)
		want = append(want, f.create(c))
	}
	slices.SortFunc(want, compareConversations)

	got := f.listConversations(chat.ConversationFilter{VisitorID: v.ID})
	require.Equal(t, ids(want), ids(got), "Conversations of one visitor, ordered by CreatedAt then ID")
	for i := range want {
		requireConversation(t, want[i], got[i], "Conversations returns every field")
	}

	got = f.listConversations(chat.ConversationFilter{VisitorID: uuid.New()})
	assert.Empty(t, got, "Conversations of a visitor with none")
}

func testConversationsFilters(t *testing.T, f *fixture) {
	agentA, agentB := f.agent(), f.agent()
	v1, v2 := f.visitor(), f.visitor()
	at := baseTime()
	mk := func(v chat.Visitor, agent string, st chat.Status) chat.ConversationInfo {
		c := newConversation(v.ID)
		c.AgentID = agent
		c.Status = st
		at = at.Add(time.Minute)
		c.CreatedAt = at
		return f.create(c)
	}
	v1OpenA := mk(v1, agentA.ID, chat.StatusOpen)
	v1ClosedA := mk(v1, agentA.ID, chat.StatusClosed)
	v1Queued := mk(v1, "", chat.StatusQueued)
	v1Waiting := mk(v1, "", chat.StatusWaiting)
	v2OpenA := mk(v2, agentA.ID, chat.StatusOpen)
	v2OpenB := mk(v2, agentB.ID, chat.StatusOpen)

	tests := []struct {
		name   string
		filter chat.ConversationFilter
		want   []chat.ConversationInfo
	}{
		{"agent", chat.ConversationFilter{AgentID: agentA.ID}, []chat.ConversationInfo{v1OpenA, v1ClosedA, v2OpenA}},
		{"other agent", chat.ConversationFilter{AgentID: agentB.ID}, []chat.ConversationInfo{v2OpenB}},
		{"agent and visitor", chat.ConversationFilter{AgentID: agentA.ID, VisitorID: v1.ID}, []chat.ConversationInfo{v1OpenA, v1ClosedA}},
		{"agent, visitor and status", chat.ConversationFilter{AgentID: agentA.ID, VisitorID: v1.ID, Statuses: []chat.Status{chat.StatusOpen}}, []chat.ConversationInfo{v1OpenA}},
		{"visitor and two statuses", chat.ConversationFilter{VisitorID: v1.ID, Statuses: []chat.Status{chat.StatusQueued, chat.StatusClosed}}, []chat.ConversationInfo{v1ClosedA, v1Queued}},
		{"visitor and every status", chat.ConversationFilter{VisitorID: v1.ID, Statuses: []chat.Status{chat.StatusClosed, chat.StatusOpen, chat.StatusQueued, chat.StatusWaiting}}, []chat.ConversationInfo{v1OpenA, v1ClosedA, v1Queued, v1Waiting}},
		{"visitor and empty statuses", chat.ConversationFilter{VisitorID: v1.ID, Statuses: []chat.Status{}}, []chat.ConversationInfo{v1OpenA, v1ClosedA, v1Queued, v1Waiting}},
		{"visitor and waiting", chat.ConversationFilter{VisitorID: v1.ID, Statuses: []chat.Status{chat.StatusWaiting}}, []chat.ConversationInfo{v1Waiting}},
		{"visitor and a status with none", chat.ConversationFilter{VisitorID: v2.ID, Statuses: []chat.Status{chat.StatusQueued}}, nil},
		{"agent and two statuses", chat.ConversationFilter{AgentID: agentA.ID, Statuses: []chat.Status{chat.StatusOpen, chat.StatusQueued}}, []chat.ConversationInfo{v1OpenA, v2OpenA}},
		{"agent and visitor without common conversations", chat.ConversationFilter{AgentID: agentB.ID, VisitorID: v1.ID}, nil},
		{"unknown agent", chat.ConversationFilter{AgentID: "agent-" + uuid.NewString()}, nil},
	}
	for _, tt := range tests {
		got := f.listConversations(tt.filter)
		require.Equal(t, ids(tt.want), ids(got), "Conversations matching every set field: %s", tt.name)
		for i := range got {
			requireConversation(t, tt.want[i], got[i], "Conversations returns every field: "+tt.name)
		}
	}

	// A change of status or agent moves the conversation between filters.
	v1Queued.Status = chat.StatusOpen
	v1Queued.AgentID = agentB.ID
	_, err := f.s.UpdateConversation(f.ctx, v1Queued)
	require.NoError(t, err)
	got := f.listConversations(chat.ConversationFilter{AgentID: agentB.ID, Statuses: []chat.Status{chat.StatusOpen}})
	assert.Equal(t, ids([]chat.ConversationInfo{v1Queued, v2OpenB}), ids(got), "Conversations sees the updated agent and status")
	got = f.listConversations(chat.ConversationFilter{VisitorID: v1.ID, Statuses: []chat.Status{chat.StatusQueued}})
	assert.Empty(t, got, "Conversations no longer lists the conversation under its old status")
}

func testConversationsLimit(t *testing.T, f *fixture) {
	v := f.visitor()
	n := chat.DefaultPageSize + 3
	var want []chat.ConversationInfo
	for i := range n {
		c := newConversation(v.ID)
		// Newest first, so insertion order and result order differ.
		c.CreatedAt = baseTime().Add(time.Duration(n-i) * time.Second)
		want = append(want, f.create(c))
	}
	slices.SortFunc(want, compareConversations)

	got := f.listConversations(chat.ConversationFilter{VisitorID: v.ID, Limit: 2})
	assert.Equal(t, ids(want[:2]), ids(got), "Limit 2 returns the two oldest")
	got = f.listConversations(chat.ConversationFilter{VisitorID: v.ID})
	assert.Equal(t, ids(want[:chat.DefaultPageSize]), ids(got), "Limit 0 means DefaultPageSize")
	got = f.listConversations(chat.ConversationFilter{VisitorID: v.ID, Limit: chat.MaxPageSize})
	assert.Equal(t, ids(want), ids(got), "Limit MaxPageSize returns all %d", n)
	got = f.listConversations(chat.ConversationFilter{VisitorID: v.ID, Limit: n})
	assert.Equal(t, ids(want), ids(got), "Limit equal to the number of matches returns them all")
}

func testConversationsByStatusOnly(t *testing.T, f *fixture) {
	// The store may hold other conversations, so this case checks what it can
	// know: every result matches, the order holds, and each of ours is either
	// listed or pushed off a full page by older ones. Early creation times
	// make ours likely to be listed.
	v := f.visitor()
	at := time.Date(1971, time.January, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(v.ID[0]) * time.Hour)
	var ours []chat.ConversationInfo
	for _, st := range []chat.Status{chat.StatusClosed, chat.StatusQueued, chat.StatusOpen, chat.StatusClosed} {
		c := newConversation(v.ID)
		c.Status = st
		c.CreatedAt = at
		at = at.Add(time.Second)
		ours = append(ours, f.create(c))
	}

	for _, statuses := range [][]chat.Status{
		{chat.StatusClosed},
		{chat.StatusQueued, chat.StatusOpen},
	} {
		const limit = chat.MaxPageSize
		got := f.listConversations(chat.ConversationFilter{Statuses: statuses, Limit: limit})
		require.LessOrEqual(t, len(got), limit, "Conversations returns at most Limit")
		seen := map[uuid.UUID]bool{}
		for _, c := range got {
			require.Contains(t, statuses, c.Status, "Conversations(%v) returned a conversation with status %q", statuses, c.Status)
			require.False(t, seen[c.ID], "Conversations lists conversation %s twice", c.ID)
			seen[c.ID] = true
		}
		for _, c := range ours {
			match := slices.Contains(statuses, c.Status)
			switch {
			case match && !seen[c.ID]:
				full := len(got) == limit && compareConversations(got[len(got)-1], c) < 0
				require.True(t, full, "Conversations(%v) left out matching conversation %s without a full page of older ones", statuses, c.ID)
			case !match:
				require.False(t, seen[c.ID], "Conversations(%v) listed conversation %s with status %q", statuses, c.ID, c.Status)
			}
		}
	}
}

func testConversationsCreatedRange(t *testing.T, f *fixture) {
	v := f.visitor()
	base := baseTime()
	var all []chat.ConversationInfo
	for _, d := range []time.Duration{0, time.Microsecond, time.Hour, 24 * time.Hour, 24*time.Hour + time.Microsecond} {
		c := newConversation(v.ID)
		c.CreatedAt = base.Add(d)
		all = append(all, f.create(c))
	}
	at := func(d time.Duration) time.Time { return chat.Timestamp(base.Add(d)) }
	tests := []struct {
		name       string
		from, upTo time.Time
		want       []chat.ConversationInfo
	}{
		{"no bounds", time.Time{}, time.Time{}, all},
		{"from is inclusive", at(time.Microsecond), time.Time{}, all[1:]},
		{"before is exclusive", time.Time{}, at(24 * time.Hour), all[:3]},
		{"a day", at(0), at(24 * time.Hour), all[:3]},
		{"an empty range", at(2 * time.Hour), at(3 * time.Hour), nil},
		{"from after before", at(24 * time.Hour), at(0), nil},
		{"another zone, same instant", at(time.Hour).In(time.FixedZone("UTC-7", -7*3600)), at(24*time.Hour + time.Microsecond).In(time.FixedZone("UTC+9", 9*3600)), all[2:4]},
	}
	for _, tt := range tests {
		got := f.listConversations(chat.ConversationFilter{VisitorID: v.ID, CreatedFrom: tt.from, CreatedBefore: tt.upTo})
		require.Equal(t, ids(tt.want), ids(got), "Conversations created in [CreatedFrom, CreatedBefore): %s", tt.name)
	}
}

// testConversationAdvisor checks the fields of the virtual advisor: a
// conversation starts with it (StatusBot, Advised), is listed by that
// status, and is handed over with a reason that an update sets and keeps.
func testConversationAdvisor(t *testing.T, f *fixture) {
	c := newConversation(f.visitor().ID)
	c.Status, c.Advised = chat.StatusBot, true
	created := f.create(c)
	requireConversation(t, created, f.get(c.ID), "a conversation with the advisor round-trips")
	got := f.listConversations(chat.ConversationFilter{VisitorID: c.VisitorID, Statuses: []chat.Status{chat.StatusBot}})
	require.Len(t, got, 1, "the advisor's conversations are listed by StatusBot")
	assert.Equal(t, c.ID, got[0].ID)
	assert.Empty(t, f.listConversations(chat.ConversationFilter{VisitorID: c.VisitorID, Statuses: []chat.Status{chat.StatusQueued}}),
		"a conversation with the advisor is not queued")

	change := created
	change.Status, change.Handoff = chat.StatusQueued, chat.HandoffUnknown
	updated, err := f.s.UpdateConversation(f.ctx, change)
	require.NoError(t, err, "UpdateConversation")
	got1 := f.get(c.ID)
	requireConversation(t, updated, got1, "a handoff is stored")
	assert.True(t, got1.Advised, "Advised is kept")
	assert.Equal(t, chat.HandoffUnknown, got1.Handoff)

	bad := updated
	bad.Handoff = "bored"
	_, err = f.s.UpdateConversation(f.ctx, bad)
	require.ErrorIs(t, err, chat.ErrInvalid, "an unknown handoff reason is refused")
	requireConversation(t, updated, f.get(c.ID), "a refused update changes nothing")
}
