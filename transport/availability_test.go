package transport_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/hours"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// A visitor's welcome says whether anyone answers the chat, how fast they
// typically do, what to offer when nobody does, and how else to reach the
// shop, with the phone's hours from the shop's schedule.
func TestWelcomeAvailability(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		var skew atomic.Int64 // moves the Server's clock ahead of the real one
		week, err := hours.New(time.UTC, "Mon-Fri 09:00-12:00,13:00-17:00; Sat 10:00-14:00")
		require.NoError(t, err)
		h := newHarness(t, func(c *transport.Config) {
			c.WhenOffline = transport.WhenOfflineContact
			c.TypicalReply = 2 * time.Minute
			c.Contact = transport.Contact{Phone: "+48 22 123 45 67", PhoneHours: &week, Email: "help@shop.example", GaduGadu: "1234567", Viber: "+48 600 100 200"}
			c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
		})
		v := h.visitor(k)
		require.Equal(t, &wire.Availability{Online: false, ReplyMS: 120000, WhenOffline: "contact"}, v.welcome.Availability)
		weekday := []string{"09:00-12:00", "13:00-17:00"}
		require.Equal(t, &wire.Contact{Phone: "+48 22 123 45 67", Email: "help@shop.example", GaduGadu: "1234567", Viber: "+48 600 100 200",
			PhoneHours: &wire.Week{Zone: "UTC", Days: [7][]string{{}, weekday, weekday, weekday, weekday, weekday, {"10:00-14:00"}}}}, v.welcome.Contact)

		a := h.agent(k, "olga")
		require.Nil(t, a.welcome.Availability, "agents are not told")
		skew.Add(int64(time.Second)) // what the Server found out lasts a second
		require.True(t, h.visitor(k).welcome.Availability.Online, "an agent is online")
	})
}

// A visitor already connected hears when the chat's availability
// changes: an agent comes online, or goes.
func TestAvailabilityPushed(t *testing.T) {
	forKinds(t, func(t *testing.T, k kind) {
		h := newHarness(t, func(c *transport.Config) { c.TypicalReply = time.Minute })
		v := h.visitor(k)
		require.False(t, v.welcome.Availability.Online)
		online := func(want bool) func(wire.ServerFrame) bool {
			return func(f wire.ServerFrame) bool {
				return f.Type == wire.FrameAvailability && f.Availability != nil && f.Availability.Online == want
			}
		}
		// Promptly: well before the lease ticker (every ten seconds here)
		// would find out.
		const promptly = 3 * time.Second
		a := h.agent(k, "olga")
		f, ok := v.tryExpect(online(true), promptly)
		require.True(t, ok, "told that an agent came online")
		require.Equal(t, &wire.Availability{Online: true, ReplyMS: 60000, WhenOffline: "form"}, f.Availability)
		a.close() // the agent leaves at once: no grace period here
		_, ok = v.tryExpect(online(false), promptly)
		require.True(t, ok, "told that nobody is online")
	})
}

// The shop opening is found out on the lease ticker, a third of the
// agents' lease time, and told to the visitors connected.
func TestAvailabilityPushedWhenTheShopOpens(t *testing.T) {
	monday := time.Date(2026, 11, 23, 8, 59, 0, 0, time.UTC)
	var skew atomic.Int64
	now := func() time.Time { return monday.Add(time.Duration(skew.Load())) }
	week, err := hours.New(time.UTC, "Mon-Fri 09:00-17:00")
	require.NoError(t, err)
	h := newHarnessWithDesk(t, chat.Config{Hours: hours.Hours{Default: week}, Now: now, AgentLeaseTTL: 600 * time.Millisecond})
	h.agent(ws, "olga")
	v := h.visitor(ws)
	require.False(t, v.welcome.Availability.Online, "before opening time")
	skew.Store(int64(time.Minute))
	_, ok := v.tryExpect(func(f wire.ServerFrame) bool {
		return f.Type == wire.FrameAvailability && f.Availability.Online
	}, 3*time.Second)
	require.True(t, ok, "told that the shop opened")
}

// Without a contact option or a typical reply time the welcome says only
// whether anyone answers, and that the chat takes offline requests.
func TestWelcomeAvailabilityDefaults(t *testing.T) {
	h := newHarness(t)
	v := h.visitor(ws)
	require.Equal(t, &wire.Availability{WhenOffline: "form"}, v.welcome.Availability)
	require.Nil(t, v.welcome.Contact)
}

func TestAvailabilityConfigErrors(t *testing.T) {
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close(t.Context()) })
	week, err := hours.New(time.UTC, "Mon-Fri 09:00-17:00")
	require.NoError(t, err)
	for name, c := range map[string]transport.Config{
		"WhenOffline":  {WhenOffline: "sometimes"},
		"TypicalReply": {TypicalReply: -time.Second},
		"Email":        {Contact: transport.Contact{Email: "help at shop"}},
		"PhoneHours":   {Contact: transport.Contact{PhoneHours: &week}},
		"Location":     {Contact: transport.Contact{Phone: "+48 1", PhoneHours: &hours.Schedule{}}},
	} {
		c.Desk, c.Secret = desk, testSecret
		_, err := transport.New(c)
		require.Error(t, err, name)
		require.True(t, errors.Is(err, chat.ErrInvalid), "%s: %v", name, err)
		require.Contains(t, err.Error(), name)
	}
}
