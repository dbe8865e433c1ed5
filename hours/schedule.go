package hours

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"time"
)

// Horizon is how far ahead NextOpen looks: a schedule that does not open
// within this many days of the given time is treated as never opening.
const Horizon = 366

// Schedule is a shop's weekly opening hours in its own time zone, with days
// it is closed. Build one as a literal and check it with Validate, or parse
// one with New.
//
// Times are read off the shop's wall clock in Location. A span opens at the
// first instant of its day at which the wall clock shows Open or later, and
// closes at the first instant after that at which it shows Close or later;
// Close 24:00 is the following midnight. On the night clocks go forward the
// skipped hour is simply not there: 01:00–05:00 lasts three hours, and a span
// opening inside the gap opens when it ends. On the night clocks go back the
// span runs straight through the repeated hour: 01:00–05:00 lasts five hours,
// and a span opening or closing inside the repeated hour does so the first
// time the clock shows that time.
//
// The methods of a Schedule that fails Validate do not panic: a nil Location
// means UTC and overlapping spans act as their union.
type Schedule struct {
	// Location is the shop's time zone, such as
	// time.LoadLocation("Europe/Warsaw"). Required.
	Location *time.Location
	// Weekly lists the opening spans of each day of the week, in any order.
	// A day with no spans is closed all day.
	Weekly map[time.Weekday][]Span
	// Closed lists days the shop is closed whatever Weekly says: public
	// holidays, stocktaking. Dates are on the calendar of Location.
	Closed []Date
}

// New returns the validated Schedule in loc described by week, closed on the
// dates listed in closed ("YYYY-MM-DD").
//
// week lists days and their spans, separated by semicolons:
//
//	"Mon-Fri 09:00-17:00; Sat 10:00-14:00"
//	"Mon-Thu 08:00-12:00,13:00-16:00; Fri 08:00-12:00"
//
// Days are English names or their first three letters, in any case; a range
// such as "Mon-Fri" or "Fri-Mon" runs forward through the week; a list such
// as "Mon,Wed" names single days. A day named twice gets the spans of both.
// Errors wrap ErrInvalid; a bad span is reported as a *SpanError.
func New(loc *time.Location, week string, closed ...string) (Schedule, error) {
	s := Schedule{Location: loc, Weekly: make(map[time.Weekday][]Span)}
	for entry := range strings.SplitSeq(week, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		dayPart, spanPart, ok := strings.Cut(entry, " ")
		if !ok {
			return Schedule{}, invalid("%.64q has no spans after the days", entry)
		}
		days, err := parseDays(dayPart)
		if err != nil {
			return Schedule{}, err
		}
		var spans []Span
		for sp := range strings.SplitSeq(spanPart, ",") {
			span, err := ParseSpan(strings.TrimSpace(sp))
			if se := (*SpanError)(nil); errors.As(err, &se) {
				se.Day = days[0]
			}
			if err != nil {
				return Schedule{}, err
			}
			spans = append(spans, span)
		}
		for _, d := range days {
			s.Weekly[d] = append(s.Weekly[d], spans...)
		}
	}
	for _, c := range closed {
		d, err := ParseDate(c)
		if err != nil {
			return Schedule{}, err
		}
		s.Closed = append(s.Closed, d)
	}
	if err := s.Validate(); err != nil {
		return Schedule{}, err
	}
	return s, nil
}

// parseDays parses "Mon", "Mon-Fri" or "Mon,Wed,Fri".
func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for part := range strings.SplitSeq(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, err := parseDay(from)
		if err != nil {
			return nil, err
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b, err := parseDay(to)
		if err != nil {
			return nil, err
		}
		for d := a; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == b {
				break
			}
		}
	}
	return out, nil
}

func parseDay(s string) (time.Weekday, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || s == name[:3] {
			return d, nil
		}
	}
	return 0, invalid("%.16q is not a day of the week", s)
}

// Validate reports the first reason s is not a valid schedule, with an
// error wrapping ErrInvalid: a nil Location, a weekday key out of range, a
// span that closes before it opens or overlaps another span of the same day
// (a *SpanError), or a Closed date that is not on the calendar. Days are
// checked from Monday to Sunday. Spans that touch, such as 09:00–12:00 and
// 12:00–17:00, are fine and act as one.
func (s Schedule) Validate() error {
	if s.Location == nil {
		return invalid("Schedule.Location is nil")
	}
	for day := range s.Weekly {
		if day < time.Sunday || day > time.Saturday {
			return invalid("weekday %d is out of range", int(day))
		}
	}
	for i := range 7 {
		day := time.Weekday((i + 1) % 7) // Monday first
		sorted := slices.SortedFunc(slices.Values(s.Weekly[day]), byOpen)
		for i, sp := range sorted {
			if err := sp.Validate(); err != nil {
				var se *SpanError
				if errors.As(err, &se) {
					se.Day = day
				}
				return err
			}
			if i > 0 && sorted[i-1].Close > sp.Open {
				prev := sorted[i-1]
				return &SpanError{Day: day, Span: sp, Other: &prev, Reason: "overlaps"}
			}
		}
	}
	for _, d := range s.Closed {
		if !d.Valid() {
			return invalid("closed date %d-%d-%d is not on the calendar", d.Year, d.Month, d.Day)
		}
	}
	return nil
}

func byOpen(a, b Span) int { return cmp.Or(cmp.Compare(a.Open, b.Open), cmp.Compare(a.Close, b.Close)) }

// IsOpen reports whether the shop is open at t.
func (s Schedule) IsOpen(t time.Time) bool {
	o, _, ok := s.interval(t, 0)
	return ok && o.Equal(t)
}

// NextOpen returns t itself when the shop is open at t, and otherwise the
// next instant it opens, in s.Location. It returns false when the shop does
// not open within Horizon days.
func (s Schedule) NextOpen(t time.Time) (time.Time, bool) {
	o, _, ok := s.interval(t, Horizon)
	return o, ok
}

// NextClose returns the instant the shop next closes after t: the end of
// the opening hours in progress at t, or of the next ones to come. Spans
// that touch, including 24:00 and the next day's 00:00, count as one. It
// returns false when the shop does not open within Horizon days of t, or
// stays open until then without a break.
func (s Schedule) NextClose(t time.Time) (time.Time, bool) {
	_, c, ok := s.interval(t, Horizon)
	if !ok {
		return time.Time{}, false
	}
	limit := t.AddDate(0, 0, Horizon)
	for c.Before(limit) {
		o2, c2, ok := s.interval(c, 1)
		if !ok || !o2.Equal(c) {
			return c, true
		}
		c = c2
	}
	return time.Time{}, false
}

// interval returns the opening hours in progress at t as [t, close), or the
// next ones [open, close) beginning within days days of t's date.
func (s Schedule) interval(t time.Time, days int) (open, close time.Time, ok bool) {
	loc := s.loc()
	start := DateOf(t.In(loc))
	// The day before too, in case a time zone change pushed the end of its
	// last span past midnight.
	for i := -1; i <= days; i++ {
		day := start.AddDays(i)
		if s.closedOn(day) {
			continue
		}
		spans := s.Weekly[day.Weekday()]
		if !slices.IsSortedFunc(spans, byOpen) {
			spans = slices.SortedFunc(slices.Values(spans), byOpen)
		}
		for _, sp := range spans {
			if sp.Close <= sp.Open {
				continue
			}
			o, c := instant(loc, day, sp.Open), instant(loc, day, sp.Close)
			if !o.Before(c) || !c.After(t) {
				continue
			}
			if !o.After(t) {
				return t, c, true
			}
			return o, c, true
		}
	}
	return time.Time{}, time.Time{}, false
}

func (s Schedule) loc() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

func (s Schedule) closedOn(d Date) bool { return slices.Contains(s.Closed, d) }

// wall is a reading of the wall clock: a date and minutes since midnight.
type wall struct {
	date Date
	min  int
}

func wallOf(t time.Time) wall {
	return wall{DateOf(t), t.Hour()*60 + t.Minute()}
}

func (w wall) before(v wall) bool {
	if c := w.date.Compare(v.date); c != 0 {
		return c < 0
	}
	return w.min < v.min
}

// instant returns the first instant at which the wall clock in loc shows
// day d at c or later: the moment a span of d opens or closes at c. Across a
// change of time zone offset, time.Date leaves the choice between the two
// readings unspecified, so instant works it out itself.
func instant(loc *time.Location, d Date, c Clock) time.Time {
	if c >= EndOfDay {
		d, c = d.AddDays(1), c-EndOfDay
	}
	want := wall{d, int(c)}
	naive := time.Date(d.Year, d.Month, d.Day, int(c)/60, int(c)%60, 0, 0, time.UTC)
	// Every instant that shows want is naive minus the offset in force then;
	// try the offsets in force around it.
	var exact, before time.Time
	for _, probe := range [...]time.Duration{-36 * time.Hour, 0, 36 * time.Hour} {
		_, off := naive.Add(probe).In(loc).Zone()
		x := naive.Add(-time.Duration(off) * time.Second).In(loc)
		switch w := wallOf(x); {
		case w == want:
			if exact.IsZero() || x.Before(exact) {
				exact = x
			}
		case w.before(want):
			before = x
		}
	}
	if !exact.IsZero() {
		return exact
	}
	// The clock jumps over want: the first instant after is the jump, the
	// end of the zone in force at an instant that shows an earlier time.
	if !before.IsZero() {
		if _, end := before.ZoneBounds(); !end.IsZero() {
			return end.In(loc)
		}
	}
	return time.Date(d.Year, d.Month, d.Day, int(c)/60, int(c)%60, 0, 0, loc)
}
