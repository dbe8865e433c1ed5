package route_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/route"
	"github.com/parleychat/parley/store/memory"
)

// cand builds a candidate with the given id, load and capacity.
func cand(id string, active, capacity int) chat.Candidate {
	return chat.Candidate{Agent: chat.Agent{ID: id, Capacity: capacity, Status: chat.AgentOnline}, Active: active}
}

// req builds a request in department dep with the candidates named by ids,
// each idle and unlimited.
func req(dep string, ids ...string) chat.RouteRequest {
	r := chat.RouteRequest{Conversation: chat.ConversationInfo{ID: chat.NewID(), Department: dep}}
	for _, id := range ids {
		r.Candidates = append(r.Candidates, cand(id, 0, 0))
	}
	return r
}

// fixed is a router that always answers id, and counts its calls.
type fixed struct {
	id    string
	err   error
	calls *int
}

func (f fixed) Route(context.Context, chat.RouteRequest) (string, error) {
	if f.calls != nil {
		*f.calls++
	}
	return f.id, f.err
}

func TestRoundRobin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		rounds [][]string // candidates of each call
		want   []string
	}{
		{"rotates in ID order", [][]string{{"a", "b", "c"}, {"a", "b", "c"}, {"a", "b", "c"}, {"a", "b", "c"}}, []string{"a", "b", "c", "a"}},
		{"no candidates", [][]string{{}, {"a"}}, []string{"", "a"}},
		{"agent after last has left", [][]string{{"a", "b", "c"}, {"a", "c"}, {"a", "c"}}, []string{"a", "c", "a"}},
		{"agent joins between", [][]string{{"a", "c"}, {"a", "b", "c"}, {"a", "b", "c"}}, []string{"a", "b", "c"}},
		{"last chosen alone", [][]string{{"b"}, {"b"}, {"a", "b"}}, []string{"b", "b", "a"}},
		{"unordered candidates", [][]string{{"c", "a", "b"}, {"b", "c", "a"}, {"a", "c", "b"}}, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rr := &route.RoundRobin{}
			var got []string
			for _, ids := range tt.rounds {
				id, err := rr.Route(t.Context(), req("", ids...))
				require.NoError(t, err)
				got = append(got, id)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRoundRobinConcurrent(t *testing.T) {
	t.Parallel()
	rr := &route.RoundRobin{}
	const n = 300
	results := make(chan string, n)
	for range n {
		go func() {
			id, _ := rr.Route(context.Background(), req("", "a", "b", "c"))
			results <- id
		}()
	}
	counts := map[string]int{}
	for range n {
		counts[<-results]++
	}
	assert.Equal(t, map[string]int{"a": 100, "b": 100, "c": 100}, counts)
}

func TestLeastBusy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cands []chat.Candidate
		want  string
	}{
		{"none", nil, ""},
		{"one", []chat.Candidate{cand("a", 3, 5)}, "a"},
		{"fewest active", []chat.Candidate{cand("a", 2, 0), cand("b", 1, 0), cand("c", 3, 0)}, "b"},
		{"fewest active beats ratio", []chat.Candidate{cand("a", 2, 10), cand("b", 1, 2)}, "b"},
		{"tie by ratio", []chat.Candidate{cand("a", 2, 3), cand("b", 2, 8), cand("c", 2, 4)}, "b"},
		{"unlimited counts as empty", []chat.Candidate{cand("a", 2, 100), cand("b", 2, 0)}, "b"},
		{"tie by ID", []chat.Candidate{cand("c", 1, 4), cand("b", 1, 4), cand("d", 1, 4)}, "b"},
		{"idle ties by ID", []chat.Candidate{cand("z", 0, 1), cand("y", 0, 0)}, "y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := route.LeastBusy{}.Route(t.Context(), chat.RouteRequest{Candidates: tt.cands})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestPrefer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		prefer route.Prefer
		cands  []string
		want   string
	}{
		{"first preferred", route.Prefer{"olga", "jan"}, []string{"jan", "olga", "piotr"}, "olga"},
		{"second when first absent", route.Prefer{"olga", "jan"}, []string{"jan", "piotr"}, "jan"},
		{"none present", route.Prefer{"olga", "jan"}, []string{"piotr"}, ""},
		{"empty list", nil, []string{"piotr"}, ""},
		{"empty id ignored", route.Prefer{""}, []string{""}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.prefer.Route(t.Context(), req("", tt.cands...))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDepartments(t *testing.T) {
	t.Parallel()
	d := route.Departments{
		Routes: map[string]chat.Router{
			"wholesale": route.Prefer{"olga"},
			"returns":   route.Chain(route.Prefer{"jan"}, route.LeastBusy{}),
			"nobody":    nil,
		},
		Default: route.Prefer{"piotr"},
	}
	tests := []struct {
		name   string
		router chat.Router
		dep    string
		cands  []string
		want   string
	}{
		{"department route", d, "wholesale", []string{"jan", "olga", "piotr"}, "olga"},
		{"department answer is final", d, "wholesale", []string{"jan", "piotr"}, ""},
		{"department chain falls back", d, "returns", []string{"anna", "piotr"}, "anna"},
		{"unknown department uses default", d, "billing", []string{"olga", "piotr"}, "piotr"},
		{"no department uses default", d, "", []string{"olga", "piotr"}, "piotr"},
		{"nil route answers empty", d, "nobody", []string{"olga"}, ""},
		{"names match exactly", d, "Wholesale", []string{"olga", "piotr"}, "piotr"},
		{"nil default answers empty", route.Departments{}, "billing", []string{"olga"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.router.Route(t.Context(), req(tt.dep, tt.cands...))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestChain(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name      string
		routers   []chat.Router
		want      string
		wantErr   error
		wantCalls []int // calls of each counted router
	}{
		{"first non-empty wins", []chat.Router{fixed{id: ""}, fixed{id: "b"}, fixed{id: "c"}}, "b", nil, []int{1, 1, 0}},
		{"all empty", []chat.Router{fixed{id: ""}, fixed{id: ""}}, "", nil, []int{1, 1}},
		{"error stops", []chat.Router{fixed{id: "", err: boom}, fixed{id: "b"}}, "", boom, []int{1, 0}},
		{"nil skipped", []chat.Router{nil, fixed{id: "b"}}, "b", nil, []int{0, 1}},
		{"empty chain", nil, "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			calls := make([]int, len(tt.routers))
			rs := make([]chat.Router, len(tt.routers))
			for i, r := range tt.routers {
				if f, ok := r.(fixed); ok {
					f.calls = &calls[i]
					r = f
				}
				rs[i] = r
			}
			got, err := route.Chain(rs...).Route(t.Context(), req("", "a", "b", "c"))
			assert.ErrorIs(t, err, tt.wantErr)
			if tt.wantErr == nil {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, got)
			if tt.wantCalls != nil {
				assert.Equal(t, tt.wantCalls, calls)
			}
		})
	}
}

func TestSticky(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	type past struct {
		agent   string // "" leaves it queued
		created time.Duration
		updated time.Duration // after created
	}
	tests := []struct {
		name   string
		past   []past
		within time.Duration
		cands  []string
		next   chat.Router
		want   string
	}{
		{"first visit goes to next", nil, 0, []string{"a", "b"}, route.Prefer{"b"}, "b"},
		{"returns to previous agent", []past{{"a", 0, time.Hour}}, 0, []string{"a", "b"}, route.Prefer{"b"}, "a"},
		{"most recent conversation counts", []past{{"a", 0, time.Hour}, {"c", 2 * time.Hour, time.Hour}}, 0, []string{"a", "b", "c"}, route.Prefer{"b"}, "c"},
		{"previous agent not a candidate", []past{{"a", 0, time.Hour}, {"c", 2 * time.Hour, time.Hour}}, 0, []string{"a", "b"}, route.Prefer{"b"}, "b"},
		{"queued conversation skipped", []past{{"a", 0, time.Hour}, {"", 2 * time.Hour, time.Hour}}, 0, []string{"a", "b"}, route.Prefer{"b"}, "a"},
		{"within limit", []past{{"a", 0, time.Hour}}, 24 * time.Hour, []string{"a", "b"}, route.Prefer{"b"}, "a"},
		{"too long ago", []past{{"a", 0, time.Hour}}, 2 * time.Hour, []string{"a", "b"}, route.Prefer{"b"}, "b"},
		{"nil next", nil, 0, []string{"a"}, nil, ""},
		{"no candidates", []past{{"a", 0, time.Hour}}, 0, nil, route.Prefer{"a"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			st := memory.New()
			visitor := chat.Visitor{ID: chat.NewID(), CreatedAt: base, LastSeenAt: base}
			other := chat.Visitor{ID: chat.NewID(), CreatedAt: base, LastSeenAt: base}
			require.NoError(t, st.PutVisitor(ctx, visitor))
			require.NoError(t, st.PutVisitor(ctx, other))
			for _, p := range tt.past {
				c := chat.ConversationInfo{
					ID: chat.NewID(), VisitorID: visitor.ID, Status: chat.StatusQueued,
					CreatedAt: base.Add(p.created), UpdatedAt: base.Add(p.created),
				}
				c, err := st.CreateConversation(ctx, c)
				require.NoError(t, err)
				if p.agent != "" {
					c.Status, c.AgentID, c.AssignedAt = chat.StatusClosed, p.agent, c.CreatedAt
					c.UpdatedAt = c.CreatedAt.Add(p.updated)
					_, err = st.UpdateConversation(ctx, c)
					require.NoError(t, err)
				}
			}
			// Another visitor's more recent conversation with "b" must not count.
			oc, err := st.CreateConversation(ctx, chat.ConversationInfo{
				ID: chat.NewID(), VisitorID: other.ID, Status: chat.StatusQueued,
				CreatedAt: base.Add(5 * time.Hour), UpdatedAt: base.Add(5 * time.Hour),
			})
			require.NoError(t, err)
			oc.Status, oc.AgentID = chat.StatusOpen, "d"
			_, err = st.UpdateConversation(ctx, oc)
			require.NoError(t, err)

			now := base.Add(6 * time.Hour)
			cur, err := st.CreateConversation(ctx, chat.ConversationInfo{
				ID: chat.NewID(), VisitorID: visitor.ID, Status: chat.StatusQueued, CreatedAt: now, UpdatedAt: now,
			})
			require.NoError(t, err)
			r := chat.RouteRequest{Conversation: cur}
			for _, id := range tt.cands {
				r.Candidates = append(r.Candidates, cand(id, 0, 0))
			}
			r.Candidates = append(r.Candidates, cand("d", 0, 0))
			got, err := route.Sticky{Store: st, Next: tt.next, Within: tt.within}.Route(ctx, r)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// stickyVisitor returns a memory store holding one visitor, and the time
// the visitor was created.
func stickyVisitor(t *testing.T) (*memory.Store, chat.Visitor, time.Time) {
	t.Helper()
	st := memory.New()
	base := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	v := chat.Visitor{ID: chat.NewID(), CreatedAt: base, LastSeenAt: base}
	require.NoError(t, st.PutVisitor(t.Context(), v))
	return st, v, base
}

func TestStickyLaterConversationIgnored(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, v, base := stickyVisitor(t)
	cur, err := st.CreateConversation(ctx, chat.ConversationInfo{ID: chat.NewID(), VisitorID: v.ID, Status: chat.StatusQueued, CreatedAt: base, UpdatedAt: base})
	require.NoError(t, err)
	later, err := st.CreateConversation(ctx, chat.ConversationInfo{ID: chat.NewID(), VisitorID: v.ID, Status: chat.StatusQueued, CreatedAt: base.Add(time.Minute), UpdatedAt: base.Add(time.Minute)})
	require.NoError(t, err)
	later.Status, later.AgentID = chat.StatusOpen, "a"
	_, err = st.UpdateConversation(ctx, later)
	require.NoError(t, err)

	got, err := route.Sticky{Store: st}.Route(ctx, chat.RouteRequest{Conversation: cur, Candidates: []chat.Candidate{cand("a", 0, 0)}})
	require.NoError(t, err)
	assert.Empty(t, got, "a conversation created after the one routed is not an earlier one")
}

// TestStickyManyConversations checks that a visitor with more
// conversations than one store page still goes back to the agent of the
// most recent one.
func TestStickyManyConversations(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, v, base := stickyVisitor(t)
	for i := range chat.MaxPageSize + 10 {
		at := base.Add(time.Duration(i) * time.Minute)
		agent := "a"
		if i == chat.MaxPageSize+9 {
			agent = "b" // the most recent earlier conversation with an agent
		}
		_, err := st.CreateConversation(ctx, chat.ConversationInfo{ID: chat.NewID(), VisitorID: v.ID, Status: chat.StatusClosed, AgentID: agent, CreatedAt: at, UpdatedAt: at})
		require.NoError(t, err)
	}
	now := base.Add(time.Duration(chat.MaxPageSize+9) * time.Minute).Add(time.Second)
	_, err := st.CreateConversation(ctx, chat.ConversationInfo{ID: chat.NewID(), VisitorID: v.ID, Status: chat.StatusQueued, CreatedAt: now, UpdatedAt: now})
	require.NoError(t, err)
	cur, err := st.CreateConversation(ctx, chat.ConversationInfo{ID: chat.NewID(), VisitorID: v.ID, Status: chat.StatusQueued, CreatedAt: now, UpdatedAt: now})
	require.NoError(t, err)

	got, err := route.Sticky{Store: st, Next: route.Prefer{"c"}}.Route(ctx, chat.RouteRequest{Conversation: cur,
		Candidates: []chat.Candidate{cand("a", 0, 0), cand("b", 0, 0), cand("c", 0, 0)}})
	require.NoError(t, err)
	assert.Equal(t, "b", got, "the newest earlier conversation with an agent decides")
}

func TestStickyErrors(t *testing.T) {
	t.Parallel()
	r := chat.RouteRequest{Conversation: chat.ConversationInfo{ID: chat.NewID(), VisitorID: uuid.New()}, Candidates: []chat.Candidate{cand("a", 0, 0)}}
	_, err := route.Sticky{}.Route(t.Context(), r)
	assert.ErrorIs(t, err, chat.ErrInvalid)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = route.Sticky{Store: memory.New(), Next: route.Prefer{"a"}}.Route(ctx, r)
	assert.ErrorIs(t, err, context.Canceled)
}

// The routers work inside a real Desk: a returning visitor goes back to
// their agent while new visitors take turns.
func TestWithDesk(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := memory.New()
	desk, err := chat.NewDesk(chat.Config{
		Store:  st,
		Router: route.Sticky{Store: st, Next: &route.RoundRobin{}},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close(context.Background()) })
	for _, id := range []string{"a", "b", "c"} {
		require.NoError(t, desk.SaveAgent(ctx, chat.Agent{ID: id, Name: id}))
		_, err := desk.SetAgentStatus(ctx, id, chat.AgentOnline)
		require.NoError(t, err)
	}
	start := func(v chat.Visitor) string { return chatWith(t, desk, v) }
	var visitors []chat.Visitor
	for range 3 {
		v, err := desk.SaveVisitor(ctx, chat.Visitor{})
		require.NoError(t, err)
		visitors = append(visitors, v)
	}
	assert.Equal(t, "a", start(visitors[0]))
	assert.Equal(t, "b", start(visitors[1]))
	assert.Equal(t, "a", start(visitors[0]), "returning visitor")
	assert.Equal(t, "c", start(visitors[2]))
	assert.Equal(t, "b", start(visitors[1]), "returning visitor")
}

// TestRoundRobinLeastRecentlyAssigned: the candidate who got a
// conversation least recently goes first, whatever this RoundRobin chose
// before, as another instance's choices show in LastAssignedAt.
func TestRoundRobinLeastRecentlyAssigned(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	rr := &route.RoundRobin{}
	cand := func(id string, last time.Time) chat.Candidate {
		return chat.Candidate{Agent: chat.Agent{ID: id}, LastAssignedAt: last}
	}
	pick := func(cs ...chat.Candidate) string {
		id, err := rr.Route(t.Context(), chat.RouteRequest{Candidates: cs})
		require.NoError(t, err)
		return id
	}
	assert.Equal(t, "c", pick(cand("a", at.Add(2*time.Minute)), cand("b", at.Add(time.Minute)), cand("c", at)))
	assert.Equal(t, "b", pick(cand("a", at.Add(2*time.Minute)), cand("b", at.Add(time.Minute)), cand("c", at.Add(3*time.Minute))))
	// Never assigned goes first; among equals the turn goes on from the
	// last chosen, b.
	assert.Equal(t, "c", pick(cand("a", time.Time{}), cand("b", at), cand("c", time.Time{})))
	assert.Equal(t, "a", pick(cand("a", time.Time{}), cand("b", at), cand("c", time.Time{})))
}

// chatWith starts and closes a conversation of v and returns the agent
// it went to.
func chatWith(t *testing.T, desk *chat.Desk, v chat.Visitor) string {
	t.Helper()
	ctx := t.Context()
	c, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	info, err := c.Info(ctx)
	require.NoError(t, err)
	_, err = c.Close(ctx)
	require.NoError(t, err)
	return info.AgentID
}
