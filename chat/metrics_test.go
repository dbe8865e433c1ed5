package chat_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// TestReportMatchesHandComputedValues drives a fixed day and a half through
// the Desk and checks the report against values worked out by hand.
func TestReportMatchesHandComputedValues(t *testing.T) {
	t.Parallel()
	at := func(day, h, m, s int) time.Time { return time.Date(2026, 11, day, h, m, s, 0, warsaw) }
	clk := &clock{t: at(23, 8, 0, 0)}
	f := setup(t, chat.Config{Now: clk.Now, Location: warsaw})
	f.agent(t, "olga", 2, chat.AgentOnline)
	f.agent(t, "piotr", 1, chat.AgentOnline)
	olga := chat.Author{Kind: chat.AuthorAgent, ID: "olga"}
	piotr := chat.Author{Kind: chat.AuthorAgent, ID: "piotr"}
	yes, no := true, false
	handle := func(c chat.ConversationInfo) chat.Conversation {
		h, err := f.desk.Conversation(t.Context(), c.ID)
		require.NoError(t, err)
		return h
	}
	startAt := func(tm time.Time) chat.ConversationInfo {
		clk.Set(tm)
		return f.start(t, chat.StartRequest{})
	}
	postAt := func(tm time.Time, c chat.ConversationInfo, a chat.Author, body string) {
		clk.Set(tm)
		f.post(t, c, a, body)
	}
	closeAt := func(tm time.Time, c chat.ConversationInfo) {
		clk.Set(tm)
		_, err := handle(c).Close(t.Context())
		require.NoError(t, err)
	}

	// Monday 23 November.
	c1 := startAt(at(23, 9, 0, 0)) // Olga at once
	postAt(at(23, 9, 0, 30), c1, visitorAuthor(c1), "a")
	postAt(at(23, 9, 1, 30), c1, olga, "b") // first response 1 min
	c2 := startAt(at(23, 9, 2, 0))          // Olga at once, her second
	postAt(at(23, 9, 2, 10), c2, visitorAuthor(c2), "a")
	c3 := startAt(at(23, 9, 3, 0)) // Piotr at once
	postAt(at(23, 9, 3, 5), c3, visitorAuthor(c3), "a")
	c4 := startAt(at(23, 9, 4, 0)) // both full: queued
	require.Equal(t, chat.StatusQueued, c4.Status)
	postAt(at(23, 9, 4, 20), c4, visitorAuthor(c4), "a")
	postAt(at(23, 9, 5, 10), c2, olga, "b") // first response 3 min
	_, err := handle(c1).Rate(t.Context(), 5, &yes)
	require.NoError(t, err)
	closeAt(at(23, 9, 10, 0), c1) // c4 goes to Olga: queue wait 6 min
	require.Equal(t, "olga", f.info(t, c4).AgentID)
	postAt(at(23, 9, 12, 20), c4, olga, "b") // first response 8 min
	_, err = handle(c2).Rate(t.Context(), 3, &no)
	require.NoError(t, err)
	closeAt(at(23, 9, 20, 0), c2)
	closeAt(at(23, 9, 30, 0), c3) // never answered: missed
	closeAt(at(23, 9, 40, 0), c4)
	_, err = f.desk.SetAgentStatus(t.Context(), "olga", chat.AgentOffline)
	require.NoError(t, err)
	_, err = f.desk.SetAgentStatus(t.Context(), "piotr", chat.AgentOffline)
	require.NoError(t, err)

	// Tuesday 24 November: nobody online, an offline request.
	c5 := startAt(at(24, 10, 0, 0))
	require.Equal(t, chat.StatusWaiting, c5.Status)
	postAt(at(24, 10, 0, 10), c5, visitorAuthor(c5), "a") // and the acknowledgement
	clk.Set(at(24, 14, 0, 0))
	_, err = f.desk.SetAgentStatus(t.Context(), "olga", chat.AgentOnline)
	require.NoError(t, err)
	postAt(at(24, 14, 0, 10), c5, olga, "b") // first response 4 h
	closeAt(at(24, 14, 5, 0), c5)
	_ = piotr

	r, err := f.desk.Report(t.Context(), chat.ReportQuery{From: at(23, 0, 0, 0), To: at(25, 0, 0, 0)})
	require.NoError(t, err)
	assert.Equal(t, "Europe/Warsaw", r.Location)
	m, s := time.Minute, time.Second
	total := chat.Summary{
		Conversations: 5, Answered: 4, Missed: 1, Offline: 1, Closed: 5,
		Messages: 2 + 2 + 1 + 2 + 3,
		// Live chats: 0, 0, 0, 6 min. Median of an even count: the mean
		// of the middle two; p90 by nearest rank: the 4th of 4.
		QueueWait: chat.Distribution{Count: 4, Median: 0, P90: 6 * m, Max: 6 * m, Histogram: hist(3, 0, 0, 0, 1, 0, 0, 0)},
		// 1, 3, 8 min and 4 h: median (3+8)/2 = 5.5 min.
		FirstResponse: chat.Distribution{Count: 4, Median: 5*m + 30*s, P90: 4 * time.Hour, Max: 4 * time.Hour, Histogram: hist(0, 1, 0, 1, 1, 0, 0, 1)},
		// 10, 18, 27, 36 min and 4 h 5 min: median 27 min, p90 the 5th.
		Resolution: chat.Distribution{Count: 5, Median: 27 * m, P90: 4*time.Hour + 5*m, Max: 4*time.Hour + 5*m, Histogram: hist(0, 0, 0, 0, 1, 2, 1, 1)},
		Ratings:    [6]int{0, 0, 0, 1, 0, 1},
		Resolved:   1, Unresolved: 1,
	}
	assert.Equal(t, total, r.Total)
	require.Len(t, r.Days, 2)
	assert.Equal(t, "2026-11-23", r.Days[0].Date)
	assert.Equal(t, 4, r.Days[0].Conversations)
	assert.Equal(t, chat.Distribution{Count: 3, Median: 3 * m, P90: 8 * m, Max: 8 * m, Histogram: hist(0, 1, 0, 1, 1, 0, 0, 0)}, r.Days[0].FirstResponse)
	assert.Equal(t, "2026-11-24", r.Days[1].Date)
	assert.Equal(t, 1, r.Days[1].Offline)
	assert.Equal(t, chat.Distribution{}, r.Days[1].QueueWait, "an offline request's wait is not a queue wait")
	require.Len(t, r.Agents, 2)
	assert.Equal(t, "olga", r.Agents[0].AgentID)
	assert.Equal(t, 4, r.Agents[0].Conversations)
	assert.Equal(t, 0, r.Agents[0].Missed)
	assert.Equal(t, "piotr", r.Agents[1].AgentID)
	assert.Equal(t, 1, r.Agents[1].Missed)
	assert.Equal(t, 0, r.Agents[1].Answered)
	want := [24]int{}
	want[9], want[10] = 4, 1
	assert.Equal(t, want, r.ByHour)

	_, err = f.desk.Report(t.Context(), chat.ReportQuery{From: at(25, 0, 0, 0), To: at(23, 0, 0, 0)})
	require.ErrorIs(t, err, chat.ErrInvalid)
}

// TestReportDaysFollowTheCalendar: the day the clocks go back has 25 hours
// and is still one day; a conversation late that evening counts on it.
func TestReportDaysFollowTheCalendar(t *testing.T) {
	t.Parallel()
	late := time.Date(2026, 10, 25, 23, 30, 0, 0, warsaw)
	r := chat.Summarize([]chat.ConversationInfo{{CreatedAt: late.UTC(), Status: chat.StatusQueued}},
		time.Date(2026, 10, 25, 0, 0, 0, 0, warsaw), time.Date(2026, 10, 27, 0, 0, 0, 0, warsaw), warsaw)
	require.Len(t, r.Days, 2)
	assert.Equal(t, "2026-10-25", r.Days[0].Date)
	assert.Equal(t, 1, r.Days[0].Conversations)
	assert.Equal(t, "2026-10-26", r.Days[1].Date)
	assert.Equal(t, 1, r.ByHour[23])
}

// hist builds a histogram with the buckets' bounds written out: up to 30 s,
// 1, 2, 5, 10 and 30 min, 1 h, and longer.
func hist(counts ...int) []chat.Bucket {
	bounds := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour, 0}
	out := make([]chat.Bucket, len(bounds))
	for i := range bounds {
		out[i] = chat.Bucket{UpTo: bounds[i], Count: counts[i]}
	}
	return out
}

// TestReportReadsEveryPage: a period with more conversations than one
// store page, many of them started in the same microsecond, or all of
// them, is counted in full and once each.
func TestReportReadsEveryPage(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	store := memory.New()
	f := setup(t, chat.Config{Store: store, Now: clk.Now})
	n := chat.MaxPageSize + 250
	v := f.visitor(t)
	for i := range n {
		if i%7 == 0 {
			clk.Advance(time.Microsecond) // ties across the page boundary
		}
		_, err := f.desk.Start(t.Context(), chat.StartRequest{VisitorID: v.ID})
		require.NoError(t, err)
	}
	r, err := f.desk.Report(t.Context(), chat.ReportQuery{From: t0, To: t0.Add(time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, n, r.Total.Conversations)
	assert.Equal(t, n, r.Total.Offline, "nobody was online")

	// More conversations than a page sharing one instant are paged by
	// their ids and counted once each too.
	later := t0.Add(2 * time.Hour)
	clk.Set(later)
	for range chat.MaxPageSize + 1 {
		_, err := f.desk.Start(t.Context(), chat.StartRequest{VisitorID: v.ID})
		require.NoError(t, err)
	}
	r, err = f.desk.Report(t.Context(), chat.ReportQuery{From: later, To: later.Add(time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, chat.MaxPageSize+1, r.Total.Conversations)
}
