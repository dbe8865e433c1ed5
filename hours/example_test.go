package hours_test

import (
	"fmt"
	"time"

	"github.com/parleychat/parley/hours"
)

// A shop in Warsaw, open on weekdays and Saturday mornings, closed on Easter
// Monday.
func ExampleNew() {
	warsaw, _ := time.LoadLocation("Europe/Warsaw")
	s, err := hours.New(warsaw, "Mon-Fri 09:00-17:00; Sat 10:00-14:00", "2026-04-06")
	if err != nil {
		panic(err)
	}
	saturday := time.Date(2026, 4, 4, 15, 0, 0, 0, warsaw)
	fmt.Println("open on Saturday at 15:00:", s.IsOpen(saturday))
	next, _ := s.NextOpen(saturday)
	fmt.Println("opens again:", next.Format("Mon 2006-01-02 15:04 MST"))
	// Output:
	// open on Saturday at 15:00: false
	// opens again: Tue 2026-04-07 09:00 CEST
}

// Spans that close before they open, or overlap, are rejected.
func ExampleNew_invalid() {
	_, err := hours.New(time.UTC, "Mon-Fri 09:00-13:00,12:00-17:00")
	fmt.Println(err)
	_, err = hours.New(time.UTC, "Fri 22:00-02:00")
	fmt.Println(err)
	// Output:
	// chat: invalid input: hours: span Mon 12:00-17:00 overlaps 09:00-13:00
	// chat: invalid input: hours: span Fri 22:00-02:00 closes before it opens (spans cannot cross midnight)
}

// A reply promised within two business hours: the time left at closing
// carries over to the next opening.
func ExampleExpectedReply() {
	helsinki, _ := time.LoadLocation("Europe/Helsinki")
	s, _ := hours.New(helsinki, "Mon-Fri 08:00-16:00")
	for _, left := range []time.Time{
		time.Date(2026, 3, 26, 10, 0, 0, 0, helsinki), // Thursday morning
		time.Date(2026, 3, 27, 15, 0, 0, 0, helsinki), // Friday afternoon
		time.Date(2026, 3, 28, 12, 0, 0, 0, helsinki), // Saturday
	} {
		reply := hours.ExpectedReply(left, s, 2*time.Hour)
		fmt.Println(left.Format("Mon 15:04"), "→", reply.Format("Mon 15:04"))
	}
	// Output:
	// Thu 10:00 → Thu 12:00
	// Fri 15:00 → Mon 09:00
	// Sat 12:00 → Mon 10:00
}

// Each department can keep its own hours.
func ExampleHours_For() {
	warsaw, _ := time.LoadLocation("Europe/Warsaw")
	office, _ := hours.New(warsaw, "Mon-Fri 09:00-17:00")
	sales, _ := hours.New(warsaw, "Mon-Sat 08:00-20:00")
	h := hours.Hours{Default: office, Departments: map[string]hours.Schedule{"sales": sales}}

	saturday := time.Date(2026, 5, 9, 12, 0, 0, 0, warsaw)
	for _, dep := range []string{"sales", "returns"} {
		fmt.Println(dep, h.For(dep).IsOpen(saturday))
	}
	// Output:
	// sales true
	// returns false
}
