package chat

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// Metrics are the service measures of one conversation, derived from its
// stored state by MetricsOf.
type Metrics struct {
	// QueueWait is how long the conversation waited for its first agent;
	// zero with Assigned false when no agent ever took it.
	QueueWait time.Duration `json:"queue_wait"`
	Assigned  bool          `json:"assigned"`
	// FirstResponse is the time from the visitor's first message to the
	// first agent message after it; Answered says whether there was one.
	FirstResponse time.Duration `json:"first_response"`
	Answered      bool          `json:"answered"`
	// Resolution is the time from start to close; Closed says whether the
	// conversation is closed.
	Resolution time.Duration `json:"resolution"`
	Closed     bool          `json:"closed"`
	// Missed is a closed conversation whose visitor wrote and got no
	// answer: they left, or were left, before an agent replied.
	Missed bool `json:"missed"`
	// Offline is an offline request: nobody could answer when it started.
	Offline bool `json:"offline"`
	// Advised says the virtual advisor answered it first; HandedOver that
	// the advisor passed it to a person, and AdvisorResolved that it closed
	// with the advisor, nobody else needed.
	Advised         bool `json:"advised,omitempty"`
	HandedOver      bool `json:"handed_over,omitempty"`
	AdvisorResolved bool `json:"advisor_resolved,omitempty"`
	// Messages counts every message of the conversation, notes and system
	// messages included.
	Messages int64 `json:"messages"`
	// Rating and Resolved are the visitor's feedback, as on
	// ConversationInfo.
	Rating   int   `json:"rating,omitempty"`
	Resolved *bool `json:"resolved,omitempty"`
}

// MetricsOf returns the metrics of conversation c.
func MetricsOf(c ConversationInfo) Metrics {
	m := Metrics{
		Offline:  c.Offline,
		Messages: c.LastSeq,
		Rating:   c.Rating,
		Resolved: c.Resolved,
		Closed:   c.Status == StatusClosed,
		Advised:  c.Advised,
	}
	m.HandedOver = c.Advised && c.Handoff != ""
	m.AdvisorResolved = c.Advised && c.Handoff == "" && m.Closed
	if !c.FirstAssignedAt.IsZero() {
		m.Assigned, m.QueueWait = true, c.FirstAssignedAt.Sub(c.CreatedAt)
	}
	if !c.FirstMessageAt.IsZero() && !c.FirstResponseAt.IsZero() {
		m.Answered, m.FirstResponse = true, c.FirstResponseAt.Sub(c.FirstMessageAt)
	}
	if m.Closed {
		m.Resolution = c.ClosedAt.Sub(c.CreatedAt)
		m.Missed = !c.FirstMessageAt.IsZero() && c.FirstResponseAt.IsZero()
	}
	return m
}

// Distribution summarises durations: how many, their median and 90th
// percentile, the longest, and a histogram. The median of an even count is
// the mean of the two middle values; the 90th percentile is the smallest
// value with at least 90% of the values at or below it (the nearest-rank
// method). All are zero, and Histogram empty, when Count is.
type Distribution struct {
	Count     int           `json:"count"`
	Median    time.Duration `json:"median"`
	P90       time.Duration `json:"p90"`
	Max       time.Duration `json:"max"`
	Histogram []Bucket      `json:"histogram,omitempty"`
}

// Bucket is one bar of a Distribution's histogram: how many durations were
// above the previous bucket's UpTo and at most this one's. The last bucket
// has UpTo zero and counts everything longer.
type Bucket struct {
	UpTo  time.Duration `json:"up_to"`
	Count int           `json:"count"`
}

// histogramBounds are the upper bounds of the histogram's buckets: steps a
// shop thinks in, from "at once" to "after an hour".
var histogramBounds = [...]time.Duration{
	30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute,
	10 * time.Minute, 30 * time.Minute, time.Hour,
}

// distribution summarises ds, which it sorts.
func distribution(ds []time.Duration) Distribution {
	n := len(ds)
	if n == 0 {
		return Distribution{}
	}
	slices.Sort(ds)
	median := ds[n/2]
	if n%2 == 0 {
		median = (ds[n/2-1] + ds[n/2]) / 2
	}
	rank := (9*n + 9) / 10 // ceil(0.9 n)
	hist := make([]Bucket, len(histogramBounds)+1)
	for i, b := range histogramBounds {
		hist[i].UpTo = b
	}
	for _, d := range ds {
		i, _ := slices.BinarySearch(histogramBounds[:], d) // the first bound >= d
		hist[i].Count++
	}
	return Distribution{Count: n, Median: median, P90: ds[rank-1], Max: ds[n-1], Histogram: hist}
}

// Summary aggregates the metrics of a set of conversations.
type Summary struct {
	Conversations int `json:"conversations"`
	Answered      int `json:"answered"` // got a first response
	Missed        int `json:"missed"`   // see Metrics.Missed
	Offline       int `json:"offline"`  // offline requests
	Closed        int `json:"closed"`
	// Advised counts the conversations the virtual advisor answered
	// first; of those, HandedOver the ones it passed to a person and
	// AdvisorResolved the ones that closed with it.
	Advised         int `json:"advised"`
	HandedOver      int `json:"handed_over"`
	AdvisorResolved int `json:"advisor_resolved"`
	// Messages counts the messages of all the conversations.
	Messages      int64        `json:"messages"`
	QueueWait     Distribution `json:"queue_wait"`     // of assigned live chats; offline requests wait for opening hours and are left out
	FirstResponse Distribution `json:"first_response"` // of answered conversations
	Resolution    Distribution `json:"resolution"`     // of closed conversations
	// Ratings counts the ratings given, by stars: Ratings[5] is the number
	// of five-star ratings. Ratings[0] is unused.
	Ratings [6]int `json:"ratings"`
	// Resolved and Unresolved count the answers to "was your issue
	// resolved?".
	Resolved   int `json:"resolved"`
	Unresolved int `json:"unresolved"`
}

// DaySummary is the Summary of the conversations started on one day in
// the report's time zone.
type DaySummary struct {
	Date string `json:"date"` // YYYY-MM-DD
	Summary
}

// AgentSummary is the Summary of the conversations an agent had last.
// Conversations no agent took are under AgentID "".
type AgentSummary struct {
	AgentID string `json:"agent_id"`
	Summary
}

// Report is what Desk.Report returns: the service metrics of the
// conversations started in a period, in total, per day and per agent, and
// how many started in each hour of the day.
type Report struct {
	From     time.Time      `json:"from"`
	To       time.Time      `json:"to"`
	Location string         `json:"location"`
	Total    Summary        `json:"total"`
	Days     []DaySummary   `json:"days"`    // every day of the period, in order, empty days included
	Agents   []AgentSummary `json:"agents"`  // ordered by AgentID
	ByHour   [24]int        `json:"by_hour"` // conversations started in each hour of the day, local time
}

// ReportQuery selects the period of a Report.
type ReportQuery struct {
	// From and To bound the period [From, To) in which the conversations
	// started. Both are required; at most MaxReportDays days apart.
	From, To time.Time
	// Location is the time zone of days and hours; nil means the Desk's
	// Config.Location.
	Location *time.Location
	// Tag, when set, keeps to the conversations with this tag (see
	// Desk.AddTag). It needs a Store that keeps tags.
	Tag string
	// AgentID, when set, keeps to the conversations this agent had last:
	// an agent's own report.
	AgentID string
}

// MaxReportDays bounds the period of one Report.
const MaxReportDays = 366

// Report returns the service metrics of the conversations started in the
// period q selects.
func (d *Desk) Report(ctx context.Context, q ReportQuery) (Report, error) {
	if err := d.checkOpen(); err != nil {
		return Report{}, err
	}
	if q.From.IsZero() || q.To.IsZero() || !q.From.Before(q.To) {
		return Report{}, invalid("a report needs From before To")
	}
	if q.To.Sub(q.From) > MaxReportDays*24*time.Hour {
		return Report{}, invalid("a report covers at most %d days", MaxReportDays)
	}
	loc := cmp.Or(q.Location, d.loc)
	var convs []ConversationInfo
	collect := func(c ConversationInfo) {
		if q.AgentID == "" || c.AgentID == q.AgentID {
			convs = append(convs, c)
		}
	}
	period := ConversationFilter{CreatedFrom: q.From, CreatedBefore: q.To}
	var err error
	if q.Tag == "" {
		err = d.eachConversation(ctx, period, collect)
	} else {
		err = d.eachTagged(ctx, SearchQuery{ConversationFilter: period, Tag: q.Tag}, collect)
	}
	if err != nil {
		return Report{}, err
	}
	return Summarize(convs, q.From, q.To, loc), nil
}

// Summarize builds the Report of convs over [from, to) in loc. Desk.Report
// uses it; it is exported for reports over conversations read some other
// way.
func Summarize(convs []ConversationInfo, from, to time.Time, loc *time.Location) Report {
	if loc == nil {
		loc = time.UTC
	}
	r := Report{From: from.In(loc), To: to.In(loc), Location: loc.String()}
	var total acc
	days := map[string]*acc{}
	agents := map[string]*acc{}
	for _, c := range convs {
		local := c.CreatedAt.In(loc)
		r.ByHour[local.Hour()]++
		m := MetricsOf(c)
		total.add(m)
		day := local.Format(time.DateOnly)
		if days[day] == nil {
			days[day] = &acc{}
		}
		days[day].add(m)
		if agents[c.AgentID] == nil {
			agents[c.AgentID] = &acc{}
		}
		agents[c.AgentID].add(m)
	}
	r.Total = total.summary()
	// Every calendar day the period touches, by date in loc, so that a
	// day of 23 or 25 hours is still one day.
	for day := from.In(loc); day.Before(to); {
		key := day.Format(time.DateOnly)
		var s Summary
		if a := days[key]; a != nil {
			s = a.summary()
		}
		r.Days = append(r.Days, DaySummary{Date: key, Summary: s})
		y, mo, dd := day.Date()
		day = time.Date(y, mo, dd+1, 0, 0, 0, 0, loc)
	}
	for id, a := range agents {
		r.Agents = append(r.Agents, AgentSummary{AgentID: id, Summary: a.summary()})
	}
	slices.SortFunc(r.Agents, func(a, b AgentSummary) int { return cmp.Compare(a.AgentID, b.AgentID) })
	return r
}

// acc accumulates metrics into a Summary.
type acc struct {
	s                             Summary
	waits, responses, resolutions []time.Duration
}

func (a *acc) add(m Metrics) {
	s := &a.s
	s.Conversations++
	s.Messages += m.Messages
	if m.Answered {
		s.Answered++
		a.responses = append(a.responses, m.FirstResponse)
	}
	if m.Missed {
		s.Missed++
	}
	if m.Advised {
		s.Advised++
	}
	if m.HandedOver {
		s.HandedOver++
	}
	if m.AdvisorResolved {
		s.AdvisorResolved++
	}
	if m.Offline {
		s.Offline++
	} else if m.Assigned {
		a.waits = append(a.waits, m.QueueWait)
	}
	if m.Closed {
		s.Closed++
		a.resolutions = append(a.resolutions, m.Resolution)
	}
	if m.Rating >= 1 && m.Rating <= 5 {
		s.Ratings[m.Rating]++
	}
	if m.Resolved != nil {
		if *m.Resolved {
			s.Resolved++
		} else {
			s.Unresolved++
		}
	}
}

func (a *acc) summary() Summary {
	s := a.s
	s.QueueWait = distribution(a.waits)
	s.FirstResponse = distribution(a.responses)
	s.Resolution = distribution(a.resolutions)
	return s
}
