package hours

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parleychat/parley/chat"
)

// ErrInvalid is wrapped by every error this package returns for a bad
// schedule or a bad string to parse. It wraps chat.ErrInvalid, so
// errors.Is(err, chat.ErrInvalid) holds too.
var ErrInvalid = fmt.Errorf("%w: hours", chat.ErrInvalid)

// invalid returns an error wrapping ErrInvalid.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Clock is a time of day on the shop's wall clock, in minutes since
// midnight: 0 is 00:00, 540 is 09:00 and 1440 (EndOfDay) is 24:00, which is
// valid only as the Close of a Span.
type Clock int

// EndOfDay is 24:00, the Close of a span that lasts until midnight.
const EndOfDay Clock = 24 * 60

// At returns the Clock for hour:minute.
func At(hour, minute int) Clock { return Clock(hour*60 + minute) }

// ParseClock parses "HH:MM" (or "H:MM"), from "00:00" to "24:00".
func ParseClock(s string) (Clock, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(m) != 2 || len(h) < 1 || len(h) > 2 {
		return 0, invalid("time of day %.16q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err := errors.Join(err1, err2); err != nil || hh < 0 || mm < 0 || mm > 59 || At(hh, mm) > EndOfDay {
		return 0, invalid("time of day %.16q is not between 00:00 and 24:00", s)
	}
	return At(hh, mm), nil
}

// String formats c as "HH:MM".
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// Span is one stretch of opening hours within a day: open from the wall
// clock reading Open up to, not including, Close. A span cannot cross
// midnight: a shop open from 22:00 to 02:00 has 22:00–24:00 on one day and
// 00:00–02:00 on the next.
type Span struct {
	Open, Close Clock
}

// ParseSpan parses "HH:MM-HH:MM", such as "09:00-17:00" or "20:00-24:00".
func ParseSpan(s string) (Span, error) {
	o, c, ok := strings.Cut(s, "-")
	if !ok {
		return Span{}, invalid("span %.32q is not HH:MM-HH:MM", s)
	}
	open, err := ParseClock(o)
	if err != nil {
		return Span{}, err
	}
	closing, err := ParseClock(c)
	if err != nil {
		return Span{}, err
	}
	sp := Span{open, closing}
	if err := sp.Validate(); err != nil {
		return Span{}, err
	}
	return sp, nil
}

// String formats sp as "HH:MM-HH:MM".
func (sp Span) String() string { return sp.Open.String() + "-" + sp.Close.String() }

// Validate reports with a *SpanError why sp is not a valid span: Open must
// come before Close, both within 00:00 to 24:00.
func (sp Span) Validate() error {
	switch {
	case sp.Open < 0 || sp.Open >= EndOfDay:
		return &SpanError{Span: sp, Day: -1, Reason: "opens outside 00:00 to 23:59"}
	case sp.Close > EndOfDay:
		return &SpanError{Span: sp, Day: -1, Reason: "closes after 24:00"}
	case sp.Close <= sp.Open:
		return &SpanError{Span: sp, Day: -1, Reason: "closes before it opens (spans cannot cross midnight)"}
	}
	return nil
}

// SpanError reports a bad span of a Schedule. It wraps ErrInvalid.
type SpanError struct {
	Day    time.Weekday // the day of the span; -1 when not known
	Span   Span
	Other  *Span // the span it overlaps, if that is the problem
	Reason string
}

// Error describes the bad span.
func (e *SpanError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalid.Error())
	b.WriteString(": span ")
	if e.Day >= time.Sunday && e.Day <= time.Saturday {
		b.WriteString(e.Day.String()[:3] + " ")
	}
	b.WriteString(e.Span.String())
	b.WriteString(" ")
	b.WriteString(e.Reason)
	if e.Other != nil {
		b.WriteString(" " + e.Other.String())
	}
	return b.String()
}

// Unwrap returns ErrInvalid.
func (e *SpanError) Unwrap() error { return ErrInvalid }

// Date is a civil date, a day on the shop's calendar, independent of time
// zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, invalid("date %.32q is not YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// String formats d as "YYYY-MM-DD".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Valid reports whether d is a real day of the calendar.
func (d Date) Valid() bool {
	return d.Month >= time.January && d.Month <= time.December && d.Day >= 1 &&
		DateOf(d.midnightUTC()) == d
}

// AddDays returns the date n days after d (before it when n is negative).
func (d Date) AddDays(n int) Date { return DateOf(d.midnightUTC().AddDate(0, 0, n)) }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.midnightUTC().Weekday() }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int { return d.midnightUTC().Compare(e.midnightUTC()) }

func (d Date) midnightUTC() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }
