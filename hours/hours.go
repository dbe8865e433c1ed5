package hours

import (
	"errors"
	"fmt"
	"time"
)

// Hours are the opening hours of a shop's chat, per department: the sales
// team may work Saturdays while returns do not.
type Hours struct {
	// Default applies to departments not in Departments and to
	// conversations without a department.
	Default Schedule
	// Departments maps a department, matched exactly, to its schedule.
	Departments map[string]Schedule
}

// For returns the schedule of department, or Default.
func (h Hours) For(department string) Schedule {
	if s, ok := h.Departments[department]; ok {
		return s
	}
	return h.Default
}

// IsOpen reports whether department's schedule is open at t. With
// ExpectedReply it makes Hours a chat.OpeningHours, for chat.Config.Hours.
func (h Hours) IsOpen(department string, t time.Time) bool { return h.For(department).IsOpen(t) }

// ExpectedReply is the package's ExpectedReply for department's schedule.
func (h Hours) ExpectedReply(department string, t time.Time, within time.Duration) time.Time {
	return ExpectedReply(t, h.For(department), within)
}

// Validate checks Default and every department's schedule; errors wrap
// ErrInvalid and name the department.
func (h Hours) Validate() error {
	errs := []error{}
	if err := h.Default.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("Default: %w", err))
	}
	for dep, s := range h.Departments {
		if err := s.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("department %q: %w", dep, err))
		}
	}
	return errors.Join(errs...)
}

// ExpectedReply returns when a visitor who leaves a message at now can
// expect a reply, when the shop answers within replyWithin of its opening
// hours.
//
// The rule: replyWithin counts only while the shop is open. A message left
// during opening hours is answered by now+replyWithin; a message left while
// the shop is closed, by the next opening plus replyWithin. When the hours
// close before replyWithin has run out, the rest carries over to the next
// opening, as often as needed. So with hours 09:00–17:00 on weekdays and a
// replyWithin of 2 hours, a message left at 16:00 on Friday is answered by
// 10:00 on Monday, and one left on Saturday by 11:00 on Monday.
//
// replyWithin is time that passes, not wall-clock hours: on the night the
// clocks change an hour of opening time is still an hour. A replyWithin of
// zero or less gives the moment the shop is next open. The result is in
// s.Location; it is the zero time when the shop does not open within Horizon
// days of when it is needed.
func ExpectedReply(now time.Time, s Schedule, replyWithin time.Duration) time.Time {
	left := max(replyWithin, 0)
	t := now
	for {
		open, close, ok := s.interval(t, Horizon)
		if !ok {
			return time.Time{}
		}
		if open.Add(left).Compare(close) <= 0 {
			return open.Add(left).In(s.loc())
		}
		left -= close.Sub(open)
		t = close
	}
}
