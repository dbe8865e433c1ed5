package chat_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// Staffed is what the widget shows before a visitor writes: someone who
// serves the department is online, within opening hours.
func TestStaffed(t *testing.T) {
	monday := time.Date(2026, 11, 23, 10, 0, 0, 0, warsaw)
	clk := &clock{t: monday}
	f := setup(t, chat.Config{Hours: weekdays(t), Now: clk.Now})
	staffed := func(department string) bool {
		t.Helper()
		ok, err := f.desk.Staffed(t.Context(), department)
		require.NoError(t, err)
		return ok
	}
	require.False(t, staffed(""), "nobody is online")
	f.agent(t, "olga", 0, chat.AgentAway, "sales")
	require.False(t, staffed(""), "an agent who is away does not answer")
	_, err := f.desk.SetAgentStatus(t.Context(), "olga", chat.AgentOnline)
	require.NoError(t, err)
	require.True(t, staffed(""))
	require.True(t, staffed("sales"))
	require.False(t, staffed("returns"), "olga serves only sales")
	clk.Set(monday.Add(8 * time.Hour)) // 18:00
	require.False(t, staffed("sales"), "after hours")
}
