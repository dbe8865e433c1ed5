package hours_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/hours"
)

func load(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// utc returns the instant given in UTC; tests name instants in UTC so that
// no reading of an ambiguous wall clock is involved.
func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustNew(t testing.TB, loc *time.Location, week string, closed ...string) hours.Schedule {
	t.Helper()
	s, err := hours.New(loc, week, closed...)
	require.NoError(t, err)
	return s
}

func TestParseClock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want hours.Clock
		ok   bool
	}{
		{"00:00", 0, true},
		{"09:30", 570, true},
		{"9:05", 545, true},
		{"23:59", 1439, true},
		{"24:00", hours.EndOfDay, true},
		{"24:01", 0, false},
		{"12:60", 0, false},
		{"-1:00", 0, false},
		{"9", 0, false},
		{"09:5", 0, false},
		{"ab:cd", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := hours.ParseClock(tt.in)
			if !tt.ok {
				assert.ErrorIs(t, err, chat.ErrInvalid)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			if tt.in[1] != ':' {
				assert.Equal(t, tt.in, got.String())
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	warsaw := load(t, "Europe/Warsaw")
	tests := []struct {
		name     string
		loc      *time.Location
		week     string
		closed   []string
		spanErr  bool   // a *SpanError is expected
		contains string // in the message
	}{
		{"nil location", nil, "Mon 09:00-17:00", nil, false, "Location"},
		{"close before open", warsaw, "Mon 17:00-09:00", nil, true, "closes before it opens"},
		{"across midnight", warsaw, "Fri 22:00-02:00", nil, true, "cannot cross midnight"},
		{"empty span", warsaw, "Mon 09:00-09:00", nil, true, "closes before it opens"},
		{"overlap in one entry", warsaw, "Mon 09:00-12:00,11:00-13:00", nil, true, "Mon 11:00-13:00 overlaps 09:00-12:00"},
		{"overlap across entries", warsaw, "Mon-Fri 09:00-17:00; Wed 16:00-18:00", nil, true, "Wed 16:00-18:00 overlaps 09:00-17:00"},
		{"bad clock", warsaw, "Mon 9-17", nil, false, "HH:MM"},
		{"bad day", warsaw, "Xyz 09:00-17:00", nil, false, "day of the week"},
		{"no spans", warsaw, "Mon", nil, false, "no spans"},
		{"after midnight", warsaw, "Mon 09:00-24:01", nil, false, "between 00:00 and 24:00"},
		{"bad date", warsaw, "Mon 09:00-17:00", []string{"2026-02-30"}, false, "YYYY-MM-DD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := hours.New(tt.loc, tt.week, tt.closed...)
			require.Error(t, err)
			assert.ErrorIs(t, err, hours.ErrInvalid)
			assert.ErrorIs(t, err, chat.ErrInvalid)
			assert.Contains(t, err.Error(), tt.contains)
			var se *hours.SpanError
			assert.Equal(t, tt.spanErr, errors.As(err, &se))
		})
	}

	t.Run("literal", func(t *testing.T) {
		t.Parallel()
		ok := hours.Schedule{Location: warsaw, Weekly: map[time.Weekday][]hours.Span{
			time.Monday: {{hours.At(13, 0), hours.At(17, 0)}, {hours.At(9, 0), hours.At(13, 0)}}, // touching, unordered
			time.Sunday: {{0, hours.EndOfDay}},
		}, Closed: []hours.Date{{2026, time.December, 25}}}
		assert.NoError(t, ok.Validate())

		bad := []hours.Schedule{
			{Location: warsaw, Weekly: map[time.Weekday][]hours.Span{7: {{0, 60}}}},
			{Location: warsaw, Weekly: map[time.Weekday][]hours.Span{time.Monday: {{-1, 60}}}},
			{Location: warsaw, Closed: []hours.Date{{2026, 13, 1}}},
			{Location: warsaw, Closed: []hours.Date{{2025, time.February, 29}}},
		}
		for _, s := range bad {
			assert.ErrorIs(t, s.Validate(), chat.ErrInvalid, "%+v", s)
		}
	})
}

func TestNewDays(t *testing.T) {
	t.Parallel()
	loc := load(t, "Europe/Warsaw")
	tests := []struct {
		week string
		want []time.Weekday // days that have spans
	}{
		{"Mon-Fri 09:00-17:00", []time.Weekday{1, 2, 3, 4, 5}},
		{"fri-MON 09:00-17:00", []time.Weekday{0, 1, 5, 6}},
		{"Monday,Wednesday 09:00-17:00", []time.Weekday{1, 3}},
		{"Sun 09:00-17:00; Sat 10:00-12:00", []time.Weekday{0, 6}},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.week, func(t *testing.T) {
			t.Parallel()
			s := mustNew(t, loc, tt.week)
			var got []time.Weekday
			for d := time.Sunday; d <= time.Saturday; d++ {
				if len(s.Weekly[d]) > 0 {
					got = append(got, d)
				}
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestIsOpen(t *testing.T) {
	t.Parallel()
	warsaw := load(t, "Europe/Warsaw")
	helsinki := load(t, "Europe/Helsinki")
	// Weekdays in office hours, Saturday mornings, and a Sunday night shift
	// across the changes of clock. 2026-04-06 is Easter Monday.
	shop := mustNew(t, warsaw, "Mon-Fri 09:00-17:00; Sat 10:00-14:00; Sun 01:00-05:00", "2026-04-06")
	tests := []struct {
		name string
		s    hours.Schedule
		at   time.Time
		want bool
	}{
		{"before opening", shop, utc("2026-03-30 06:59"), false}, // 08:59 CEST Monday
		{"at opening", shop, utc("2026-03-30 07:00"), true},
		{"before closing", shop, utc("2026-03-30 14:59"), true},
		{"at closing", shop, utc("2026-03-30 15:00"), false},
		{"winter time", shop, utc("2026-03-27 08:00"), true}, // 09:00 CET Friday
		{"winter time early", shop, utc("2026-03-27 07:59"), false},
		{"Saturday", shop, utc("2026-03-28 12:00"), true},
		{"Saturday afternoon", shop, utc("2026-03-28 13:00"), false}, // 14:00 CET
		{"holiday", shop, utc("2026-04-06 10:00"), false},
		{"day after holiday", shop, utc("2026-04-07 10:00"), true},

		// Warsaw springs forward on 2026-03-29 at 01:00 UTC, 02:00 CET to 03:00 CEST.
		{"spring: before the gap", shop, utc("2026-03-29 00:59"), true}, // 01:59 CET
		{"spring: after the gap", shop, utc("2026-03-29 01:00"), true},  // 03:00 CEST
		{"spring: last minute", shop, utc("2026-03-29 02:59"), true},    // 04:59 CEST
		{"spring: closed at 05:00", shop, utc("2026-03-29 03:00"), false},
		{"spring: opening", shop, utc("2026-03-29 00:00"), true}, // 01:00 CET
		{"spring: before opening", shop, utc("2026-03-28 23:59"), false},

		// Warsaw falls back on 2026-10-25 at 01:00 UTC, 03:00 CEST to 02:00 CET.
		{"fall: opening", shop, utc("2026-10-24 23:00"), true}, // 01:00 CEST
		{"fall: first 02:30", shop, utc("2026-10-25 00:30"), true},
		{"fall: second 02:30", shop, utc("2026-10-25 01:30"), true},
		{"fall: last minute", shop, utc("2026-10-25 03:59"), true}, // 04:59 CET
		{"fall: closed at 05:00", shop, utc("2026-10-25 04:00"), false},

		// Helsinki falls back on 2026-10-25 at 01:00 UTC, 04:00 EEST to 03:00
		// EET. A span that closes inside the repeated hour closes the first
		// time the clock shows its end and stays closed the second time.
		{"repeated hour: before close", mustNew(t, helsinki, "Sun 02:00-03:30"), utc("2026-10-25 00:29"), true},
		{"repeated hour: closed", mustNew(t, helsinki, "Sun 02:00-03:30"), utc("2026-10-25 00:30"), false},
		{"repeated hour: second 03:15", mustNew(t, helsinki, "Sun 02:00-03:30"), utc("2026-10-25 01:15"), false},
		// A span that opens inside the repeated hour stays open through it.
		{"repeated hour: opens first time", mustNew(t, helsinki, "Sun 03:30-05:00"), utc("2026-10-25 00:30"), true},
		{"repeated hour: clock goes back", mustNew(t, helsinki, "Sun 03:30-05:00"), utc("2026-10-25 01:10"), true}, // 03:10 EET
		{"repeated hour: closes", mustNew(t, helsinki, "Sun 03:30-05:00"), utc("2026-10-25 03:00"), false},

		// Overnight opening is two spans.
		{"overnight: before midnight", mustNew(t, warsaw, "Fri 22:00-24:00; Sat 00:00-02:00"), utc("2026-03-27 22:59"), true},
		{"overnight: after midnight", mustNew(t, warsaw, "Fri 22:00-24:00; Sat 00:00-02:00"), utc("2026-03-27 23:00"), true},
		{"overnight: over", mustNew(t, warsaw, "Fri 22:00-24:00; Sat 00:00-02:00"), utc("2026-03-28 01:00"), false},
		{"overnight: not Thursday", mustNew(t, warsaw, "Fri 22:00-24:00; Sat 00:00-02:00"), utc("2026-03-26 23:00"), false},
		{"empty schedule", hours.Schedule{Location: warsaw}, utc("2026-03-30 10:00"), false},
		{"nil location is UTC", hours.Schedule{Weekly: map[time.Weekday][]hours.Span{time.Monday: {{hours.At(9, 0), hours.At(10, 0)}}}}, utc("2026-03-30 09:30"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, tt.s.IsOpen(tt.at))
			if tt.s.Location != nil {
				assert.Equal(t, tt.want, tt.s.IsOpen(tt.at.In(tt.s.Location)), "the location of t does not matter")
			}
		})
	}
}

func TestNextOpenAndClose(t *testing.T) {
	t.Parallel()
	warsaw := load(t, "Europe/Warsaw")
	helsinki := load(t, "Europe/Helsinki")
	office := mustNew(t, warsaw, "Mon-Fri 09:00-17:00", "2026-04-06")
	tests := []struct {
		name      string
		s         hours.Schedule
		from      time.Time
		wantOpen  time.Time
		wantClose time.Time
		wantLen   time.Duration // wantClose - wantOpen, stated for clarity
	}{
		{"open now", office, utc("2026-03-30 10:00"), utc("2026-03-30 10:00"), utc("2026-03-30 15:00"), 5 * time.Hour},
		{"later today", office, utc("2026-03-30 05:00"), utc("2026-03-30 07:00"), utc("2026-03-30 15:00"), 8 * time.Hour},
		{"at closing", office, utc("2026-03-30 15:00"), utc("2026-03-31 07:00"), utc("2026-03-31 15:00"), 8 * time.Hour},
		{"weekend", office, utc("2026-03-27 17:00"), utc("2026-03-30 07:00"), utc("2026-03-30 15:00"), 8 * time.Hour},
		{"over a holiday", office, utc("2026-04-03 16:00"), utc("2026-04-07 07:00"), utc("2026-04-07 15:00"), 8 * time.Hour},
		{
			"long closure",
			mustNew(t, warsaw, "Mon-Fri 09:00-17:00", closedRange("2026-12-21", "2027-01-06")...),
			utc("2026-12-18 16:00"), utc("2027-01-07 08:00"), utc("2027-01-07 16:00"), 8 * time.Hour,
		},
		// The night of the change to summer time has an hour less.
		{"spring: short night", mustNew(t, warsaw, "Sun 01:00-05:00"), utc("2026-03-28 12:00"), utc("2026-03-29 00:00"), utc("2026-03-29 03:00"), 3 * time.Hour},
		{"spring: opens in the gap", mustNew(t, warsaw, "Sun 02:30-04:00"), utc("2026-03-28 12:00"), utc("2026-03-29 01:00"), utc("2026-03-29 02:00"), time.Hour},
		{"spring: span inside the gap never opens", mustNew(t, warsaw, "Sun 02:00-03:00; Mon 09:00-10:00"), utc("2026-03-28 12:00"), utc("2026-03-30 07:00"), utc("2026-03-30 08:00"), time.Hour},
		{"spring: Helsinki", mustNew(t, helsinki, "Sun 03:30-06:00"), utc("2026-03-28 12:00"), utc("2026-03-29 01:00"), utc("2026-03-29 03:00"), 2 * time.Hour},
		// The night of the change to winter time has an hour more.
		{"fall: long night", mustNew(t, warsaw, "Sun 01:00-05:00"), utc("2026-10-24 12:00"), utc("2026-10-24 23:00"), utc("2026-10-25 04:00"), 5 * time.Hour},
		{"fall: closes at 03:00", mustNew(t, warsaw, "Sun 01:00-03:00"), utc("2026-10-24 12:00"), utc("2026-10-24 23:00"), utc("2026-10-25 02:00"), 3 * time.Hour},
		{"fall: Helsinki repeated hour", mustNew(t, helsinki, "Sun 03:30-05:00"), utc("2026-10-24 12:00"), utc("2026-10-25 00:30"), utc("2026-10-25 03:00"), 150 * time.Minute},
		{"fall: in the repeated hour", mustNew(t, helsinki, "Sun 02:00-03:30; Sun 04:00-05:00"), utc("2026-10-25 01:15"), utc("2026-10-25 02:00"), utc("2026-10-25 03:00"), time.Hour},
		{"touching spans are one", mustNew(t, warsaw, "Mon 09:00-12:00,12:00-17:00"), utc("2026-03-30 08:00"), utc("2026-03-30 08:00"), utc("2026-03-30 15:00"), 7 * time.Hour},
		{"overnight", mustNew(t, warsaw, "Fri 22:00-24:00; Sat 00:00-02:00"), utc("2026-03-27 12:00"), utc("2026-03-27 21:00"), utc("2026-03-28 01:00"), 4 * time.Hour},
		{"all day every day", mustNew(t, warsaw, "Mon-Sun 00:00-24:00"), utc("2026-03-27 12:00"), utc("2026-03-27 12:00"), time.Time{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			open, ok := tt.s.NextOpen(tt.from)
			require.True(t, ok)
			assert.Equal(t, tt.wantOpen, open.UTC(), "open at %s", open)
			assert.True(t, tt.s.IsOpen(open), "open at NextOpen")
			if !open.Equal(tt.from) {
				assert.False(t, tt.s.IsOpen(open.Add(-time.Minute)), "closed just before NextOpen")
				assert.Equal(t, tt.s.Location, open.Location())
			}
			closing, ok := tt.s.NextClose(tt.from)
			if tt.wantClose.IsZero() {
				assert.False(t, ok, "never closes, yet NextClose gave %s", closing)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tt.wantClose, closing.UTC(), "close at %s", closing)
			assert.Equal(t, tt.wantLen, closing.Sub(open))
			assert.False(t, tt.s.IsOpen(closing), "closed at NextClose")
			assert.True(t, tt.s.IsOpen(closing.Add(-time.Minute)), "open just before NextClose")
		})
	}
}

func TestNextOpenNever(t *testing.T) {
	t.Parallel()
	warsaw := load(t, "Europe/Warsaw")
	tests := []struct {
		name string
		s    hours.Schedule
	}{
		{"no hours", hours.Schedule{Location: warsaw}},
		{"only closed days", mustNew(t, warsaw, "Mon 09:00-17:00", mondays("2026-03-30", 60)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, ok := tt.s.NextOpen(utc("2026-03-28 12:00"))
			assert.False(t, ok)
			_, ok = tt.s.NextClose(utc("2026-03-28 12:00"))
			assert.False(t, ok)
			assert.True(t, hours.ExpectedReply(utc("2026-03-28 12:00"), tt.s, time.Hour).IsZero())
		})
	}
	// Just within the horizon it is found.
	s := mustNew(t, warsaw, "Mon 09:00-17:00", mondays("2026-03-30", 51)...)
	open, ok := s.NextOpen(utc("2026-03-28 12:00"))
	require.True(t, ok)
	assert.Equal(t, hours.Date{Year: 2027, Month: time.March, Day: 22}, hours.DateOf(open))
}

// closedRange lists the dates from first to last inclusive.
func closedRange(first, last string) []string {
	a, _ := hours.ParseDate(first)
	b, _ := hours.ParseDate(last)
	var out []string
	for d := a; d.Compare(b) <= 0; d = d.AddDays(1) {
		out = append(out, d.String())
	}
	return out
}

// mondays lists n Mondays from first.
func mondays(first string, n int) []string {
	d, _ := hours.ParseDate(first)
	var out []string
	for range n {
		out = append(out, d.String())
		d = d.AddDays(7)
	}
	return out
}

func TestExpectedReply(t *testing.T) {
	t.Parallel()
	warsaw := load(t, "Europe/Warsaw")
	office := mustNew(t, warsaw, "Mon-Fri 09:00-17:00", "2026-04-06")
	night := mustNew(t, warsaw, "Sun 01:00-05:00; Mon-Fri 09:00-17:00")
	tests := []struct {
		name   string
		s      hours.Schedule
		now    time.Time
		within time.Duration
		want   time.Time
	}{
		{"open", office, utc("2026-03-30 08:00"), 2 * time.Hour, utc("2026-03-30 10:00")},
		{"ends at closing", office, utc("2026-03-30 13:00"), 2 * time.Hour, utc("2026-03-30 15:00")},
		{"runs past closing", office, utc("2026-03-30 14:00"), 2 * time.Hour, utc("2026-03-31 08:00")},
		{"Friday to Monday", office, utc("2026-03-27 15:00"), 2 * time.Hour, utc("2026-03-30 08:00")},
		{"left on Saturday", office, utc("2026-03-28 10:00"), 2 * time.Hour, utc("2026-03-30 09:00")},
		{"over a holiday", office, utc("2026-04-03 14:30"), time.Hour, utc("2026-04-07 07:30")},
		{"several days", office, utc("2026-03-30 07:00"), 20 * time.Hour, utc("2026-04-01 11:00")},
		{"zero when open", office, utc("2026-03-30 08:00"), 0, utc("2026-03-30 08:00")},
		{"zero when closed", office, utc("2026-03-28 08:00"), 0, utc("2026-03-30 07:00")},
		{"negative is zero", office, utc("2026-03-28 08:00"), -time.Hour, utc("2026-03-30 07:00")},
		// The short night has three hours of opening time, not four.
		{"spring: within the night", night, utc("2026-03-28 23:00"), 2 * time.Hour, utc("2026-03-29 02:00")},
		{"spring: carries over", night, utc("2026-03-28 23:00"), 210 * time.Minute, utc("2026-03-30 07:30")},
		// The long night has five.
		{"fall: fits the night", night, utc("2026-10-24 22:00"), 270 * time.Minute, utc("2026-10-25 03:30")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := hours.ExpectedReply(tt.now, tt.s, tt.within)
			assert.Equal(t, tt.want, got.UTC(), "got %s", got)
			assert.Equal(t, warsaw, got.Location())
		})
	}
}

func TestHoursFor(t *testing.T) {
	t.Parallel()
	warsaw := load(t, "Europe/Warsaw")
	h := hours.Hours{
		Default:     mustNew(t, warsaw, "Mon-Fri 09:00-17:00"),
		Departments: map[string]hours.Schedule{"sales": mustNew(t, warsaw, "Mon-Sat 08:00-20:00")},
	}
	require.NoError(t, h.Validate())
	saturday := utc("2026-03-28 12:00")
	tests := []struct {
		dep  string
		want bool
	}{
		{"sales", true},
		{"returns", false},
		{"", false},
		{"Sales", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, h.For(tt.dep).IsOpen(saturday), tt.dep)
	}

	h.Departments["broken"] = hours.Schedule{}
	err := h.Validate()
	assert.ErrorIs(t, err, chat.ErrInvalid)
	assert.Contains(t, err.Error(), `department "broken"`)
}

func TestDate(t *testing.T) {
	t.Parallel()
	d, err := hours.ParseDate("2026-12-31")
	require.NoError(t, err)
	assert.Equal(t, hours.Date{Year: 2026, Month: time.December, Day: 31}, d)
	assert.Equal(t, "2027-01-01", d.AddDays(1).String())
	assert.Equal(t, time.Thursday, d.Weekday())
	assert.True(t, d.Valid())
	assert.False(t, hours.Date{Year: 2026, Month: time.February, Day: 29}.Valid())
	assert.True(t, hours.Date{Year: 2028, Month: time.February, Day: 29}.Valid())
	assert.Equal(t, -1, d.Compare(d.AddDays(1)))
	_, err = hours.ParseDate("31.12.2026")
	assert.ErrorIs(t, err, hours.ErrInvalid)
}
