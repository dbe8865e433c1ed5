// Package hours answers "is the shop's chat open?" and "when can a visitor
// expect a reply?" from opening hours kept in the shop's own time zone.
//
// # Schedules
//
// A [Schedule] is a week of opening [Span] values per day, a time zone, and
// days the shop is closed. Parse one from a compact description:
//
//	warsaw, _ := time.LoadLocation("Europe/Warsaw")
//	s, err := hours.New(warsaw,
//		"Mon-Fri 09:00-17:00; Sat 10:00-14:00",
//		"2026-12-24", "2026-12-25", "2026-12-26", // holidays
//	)
//
// or write it as a literal and call [Schedule.Validate]. Then ask
// [Schedule.IsOpen] whether someone is there now, and [Schedule.NextOpen] or
// [Schedule.NextClose] when that changes. [Hours] keeps one schedule per
// department, with a default for the rest.
//
// Bad input is reported with errors wrapping [ErrInvalid], which wraps
// chat.ErrInvalid; a bad span comes as a [*SpanError] naming the day and span.
//
// # Wall clocks, midnight and daylight saving time
//
// Spans are read off the wall clock in the schedule's Location, so "09:00"
// means nine in the morning in summer and in winter. A span may not cross
// midnight: write a night shift as two spans, "Fri 22:00-24:00; Sat
// 00:00-02:00". Spans that touch act as one.
//
// On the nights clocks change, a span opens the first time the clock shows
// its opening time or later and closes the first time after that it shows
// its closing time or later. When the clocks go forward, 01:00-05:00 lasts
// three hours and a span opening inside the skipped hour opens when the
// clocks jump. When they go back, 01:00-05:00 lasts five hours and runs
// straight through the repeated hour.
//
// # Expected replies
//
// [ExpectedReply] turns a promise such as "we answer within two business
// hours" into a time to show the visitor: the reply time counts only while
// the shop is open and carries over closing times, nights, weekends and
// holidays. The notify package puts it in the acknowledgement email of a
// request left outside opening hours.
package hours
