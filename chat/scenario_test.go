package chat_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/hours"
	"github.com/parleychat/parley/store/memory"
)

// TestSimulatedWeekend runs a shop from Saturday morning to Sunday night
// across the night the clocks go back (25 October 2026 in Warsaw), a
// minute at a time: agents with capacities come and go, visitors arrive in
// bursts, agents answer, pick from the queue, transfer and close, and the
// Desk sweeps. After every step it checks what must always hold: no agent
// over capacity and none holding a conversation while offline, no
// conversation lost or assigned twice, the queue served in order and
// before offline requests, every conversation started as an offline request
// exactly when the shop's hours or staff say so, and every offline request
// acknowledged once, in the chat and by email.
func TestSimulatedWeekend(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 10, 24, 6, 0, 0, 0, warsaw)
	end := time.Date(2026, 10, 25, 23, 0, 0, 0, warsaw)
	if testing.Short() {
		end = time.Date(2026, 10, 25, 6, 0, 0, 0, warsaw)
	}
	week, err := hours.New(warsaw, "Mon-Sat 08:00-20:00; Sun 10:00-16:00")
	require.NoError(t, err)
	night, err := hours.New(warsaw, "Sun 01:00-05:00")
	require.NoError(t, err)
	// The oracle for the hours, written as UTC instants by hand: Saturday
	// is summer time (UTC+2); the night desk opens at 01:00 summer time and
	// closes at 05:00 winter time, five hours later; Sunday daytime is
	// winter time (UTC+1).
	utc := func(d, h int) time.Time { return time.Date(2026, 10, d, h, 0, 0, 0, time.UTC) }
	openAt := map[string][][2]time.Time{
		"":      {{utc(24, 6), utc(24, 18)}, {utc(25, 9), utc(25, 15)}},
		"night": {{utc(24, 23), utc(25, 4)}},
	}
	oracleOpen := func(dep string, at time.Time) bool {
		for _, span := range openAt[dep] {
			if !at.Before(span[0]) && at.Before(span[1]) {
				return true
			}
		}
		return false
	}

	clk := &clock{t: start}
	box := &outbox{}
	store := memory.New()
	desk, err := chat.NewDesk(chat.Config{
		Store: store, Now: clk.Now, Notifier: box, Location: warsaw,
		Hours:             hours.Hours{Default: week, Departments: map[string]hours.Schedule{"night": night}},
		InactivityTimeout: 45 * time.Minute,
		ReplyNoticeDelay:  30 * 24 * time.Hour, // no reply emails in this run, which the sweeps would send on the simulated clock
	})
	require.NoError(t, err)
	ctx := t.Context()
	events, err := desk.SubscribeBuffer(ctx, chat.TopicAll, 1<<20)
	require.NoError(t, err)

	agents := []chat.Agent{
		{ID: "ania", Name: "Ania", Capacity: 2},
		{ID: "bartek", Name: "Bartek", Capacity: 1},
		{ID: "celina", Name: "Celina", Capacity: 3, Departments: []string{"night"}},
		{ID: "dawid", Name: "Dawid", Capacity: 2},
	}
	online := map[string]bool{}
	for _, a := range agents {
		require.NoError(t, desk.SaveAgent(ctx, a))
	}
	departments := []string{"", "night"}
	rng := rand.New(rand.NewPCG(20261025, 1))

	type known struct {
		info     chat.ConversationInfo
		email    bool
		acked    int
		assigned int // assignments from the queue
	}
	convs := map[uuid.UUID]*known{}
	var order []uuid.UUID
	model := map[uuid.UUID]chat.ConversationInfo{} // state replayed from events
	picking := false

	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("at %s: %s", clk.Now().In(warsaw).Format("Mon 15:04 MST"), fmt.Sprintf(format, args...))
	}
	older := func(a, b chat.ConversationInfo) bool {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c < 0
		}
		return bytes.Compare(a.ID[:], b.ID[:]) < 0
	}
	// replay applies the events published so far to the model, checking
	// each assignment from the queue.
	replay := func() {
		t.Helper()
		for {
			select {
			case e := <-events.Events():
				if e.Conversation == nil {
					continue
				}
				c := *e.Conversation
				prev, seen := model[c.ID]
				if e.Type == chat.EventAssigned && e.PreviousAgentID == "" {
					if !seen || (prev.Status != chat.StatusQueued && prev.Status != chat.StatusWaiting) {
						fail("conversation %s assigned to %s while %s: assigned twice", c.ID, c.AgentID, prev.Status)
					}
					convs[c.ID].assigned++
					for _, other := range model {
						if other.ID == c.ID || other.Department != c.Department {
							continue
						}
						if other.Status == prev.Status && older(other, prev) && !picking {
							fail("%s conversation %s got an agent before the older %s", prev.Status, c.ID, other.ID)
						}
						if prev.Status == chat.StatusWaiting && other.Status == chat.StatusQueued && !picking {
							fail("offline request %s got an agent while queued %s waits", c.ID, other.ID)
						}
					}
				}
				model[c.ID] = c
			default:
				return
			}
		}
	}

	acks := func(id uuid.UUID) int {
		t.Helper()
		ms, err := store.Messages(ctx, id, chat.MessageQuery{Limit: chat.MaxPageSize})
		require.NoError(t, err)
		n := 0
		for _, m := range ms {
			if m.IdempotencyKey == "parley:offline-ack" {
				n++
			}
		}
		return n
	}
	check := func() {
		t.Helper()
		replay()
		all, err := store.Conversations(ctx, chat.ConversationFilter{Limit: chat.MaxPageSize})
		require.NoError(t, err)
		if len(all) != len(order) {
			fail("the store has %d conversations, %d were started", len(all), len(order))
		}
		load := map[string]int{}
		for _, c := range all {
			k := convs[c.ID]
			if k == nil {
				fail("unknown conversation %s", c.ID)
			}
			if c.Status == chat.StatusOpen {
				load[c.AgentID]++
				if !online[c.AgentID] {
					fail("offline agent %s holds conversation %s", c.AgentID, c.ID)
				}
			}
			if c.Offline && c.LastSeq > 0 && k.acked == 0 { // every visitor writes as they arrive
				// Visitors write only as they arrive, so one check per
				// request, and one at the end, see every acknowledgement.
				if k.acked = acks(c.ID); k.acked != 1 {
					fail("offline request %s has %d acknowledgements", c.ID, k.acked)
				}
			}
		}
		for _, a := range agents {
			if load[a.ID] > a.Capacity {
				fail("agent %s has %d open conversations, capacity %d", a.ID, load[a.ID], a.Capacity)
			}
		}
	}

	setStatus := func(a chat.Agent, on bool) {
		status := chat.AgentOffline
		if on {
			status = chat.AgentOnline
		}
		online[a.ID] = on
		_, err := desk.SetAgentStatus(ctx, a.ID, status)
		require.NoError(t, err)
	}
	handle := func(id uuid.UUID) chat.Conversation {
		h, err := desk.Conversation(ctx, id)
		require.NoError(t, err)
		return h
	}
	expectErr := func(err error, allowed ...error) {
		t.Helper()
		if err == nil {
			return
		}
		for _, a := range allowed {
			if errors.Is(err, a) {
				return
			}
		}
		fail("unexpected error: %v", err)
	}

	steps := 0
	for clk.Now().Before(end) {
		now := clk.Now()
		steps++
		// Agents: on duty around the opening hours, with breaks.
		for _, a := range agents {
			switch {
			case !online[a.ID] && rng.IntN(40) == 0:
				setStatus(a, true)
			case online[a.ID] && rng.IntN(90) == 0:
				setStatus(a, false)
			}
		}
		replay()

		// A burst of visitors.
		if rng.IntN(12) == 0 {
			for range 1 + rng.IntN(6) {
				dep := departments[rng.IntN(2)]
				email := ""
				if rng.IntN(2) == 0 {
					email = fmt.Sprintf("v%d@example.com", len(order))
				}
				v, err := desk.SaveVisitor(ctx, chat.Visitor{Email: email, Locale: "pl"})
				require.NoError(t, err)
				staffed := oracleOpen(dep, now) && slices.ContainsFunc(agents, func(a chat.Agent) bool {
					return online[a.ID] && (len(a.Departments) == 0 || dep == "" || slices.Contains(a.Departments, dep))
				})
				h, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID, Department: dep})
				require.NoError(t, err)
				info, err := h.Info(ctx)
				require.NoError(t, err)
				if info.Offline == staffed {
					fail("conversation of department %q started offline=%v, but the hours and staff say staffed=%v", dep, info.Offline, staffed)
				}
				convs[info.ID] = &known{info: info, email: email != ""}
				order = append(order, info.ID)
				_, err = h.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: "Dzień dobry"})
				require.NoError(t, err)
				if rng.IntN(3) == 0 { // some write twice
					_, err = h.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: "Halo?"})
					require.NoError(t, err)
				}
			}
			replay()
		}

		// Agents work on their open conversations.
		open, err := store.Conversations(ctx, chat.ConversationFilter{Statuses: []chat.Status{chat.StatusOpen}, Limit: chat.MaxPageSize})
		require.NoError(t, err)
		for _, c := range open {
			agent := chat.Author{Kind: chat.AuthorAgent, ID: c.AgentID, Name: c.AgentID}
			switch r := rng.IntN(100); {
			case r < 15:
				_, err := handle(c.ID).Post(ctx, chat.Message{Author: agent, Body: "Już sprawdzam."})
				require.NoError(t, err)
			case r < 20:
				_, err := handle(c.ID).Close(ctx)
				require.NoError(t, err)
			case r < 22:
				_, err := handle(c.ID).Transfer(ctx, chat.Transfer{Department: "night", By: agent})
				expectErr(err, chat.ErrClosed)
			case r < 24:
				other := agents[rng.IntN(len(agents))]
				if other.ID == c.AgentID {
					break
				}
				_, err := handle(c.ID).Transfer(ctx, chat.Transfer{AgentID: other.ID, By: agent})
				expectErr(err, chat.ErrAgentBusy, chat.ErrClosed, chat.ErrInvalid)
			}
			replay()
		}
		replay()

		// An agent picks the oldest queued conversation they serve.
		if rng.IntN(10) == 0 {
			a := agents[rng.IntN(len(agents))]
			queued, err := store.Conversations(ctx, chat.ConversationFilter{Statuses: []chat.Status{chat.StatusQueued}, Limit: chat.MaxPageSize})
			require.NoError(t, err)
			for _, c := range queued {
				if online[a.ID] && (len(a.Departments) == 0 || c.Department == "" || slices.Contains(a.Departments, c.Department)) {
					picking = true
					_, err := handle(c.ID).Assign(ctx, a.ID)
					expectErr(err, chat.ErrAgentBusy)
					replay()
					picking = false
					break
				}
			}
			replay()
		}

		if steps%5 == 0 {
			require.NoError(t, desk.Sweep(ctx))
			replay()
		}
		check()
		clk.Advance(time.Minute)
	}
	require.NoError(t, desk.Close(ctx))

	// Every offline request was acknowledged once by email too, and only
	// those of visitors with an address.
	mails := map[uuid.UUID]int{}
	for _, n := range box.all() {
		require.Equal(t, chat.NoticeOfflineReceived, n.Kind)
		mails[n.Conversation.ID]++
	}
	var offline, waitingNow, assignedFromQueue int
	for _, id := range order {
		c, err := store.Conversation(ctx, id)
		require.NoError(t, err)
		k := convs[id]
		want := 0
		if c.Offline && k.email {
			want = 1
		}
		require.Equal(t, want, mails[id], "emails acknowledging conversation %s (offline %v, email %v)", id, c.Offline, k.email)
		if c.Offline {
			offline++
			require.Equal(t, 1, acks(id), "offline request %s acknowledged once", id)
		}
		if c.Status == chat.StatusWaiting {
			waitingNow++
		}
		assignedFromQueue += k.assigned
	}
	t.Logf("%d steps, %d conversations, %d offline requests (%d still waiting), %d assignments from the queue, %d emails",
		steps, len(order), offline, waitingNow, assignedFromQueue, len(box.all()))
	// The run must have exercised what it checks.
	require.Greater(t, len(order), 100)
	require.Greater(t, offline, 10)
	require.Greater(t, assignedFromQueue, 50)
}
