package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func agentCases() []testCase {
	return []testCase{
		{"RoundTrip", testAgentRoundTrip},
		{"Replace", testAgentReplace},
		{"ListOrderedByID", testAgentsOrdered},
		{"NotFound", testAgentNotFound},
	}
}

// requireAgent reads the agent and compares every field.
func (f *fixture) requireAgent(want chat.Agent, msg string) {
	f.t.Helper()
	got, err := f.s.Agent(f.ctx, want.ID)
	require.NoError(f.t, err, "Agent: %s", msg)
	require.Equal(f.t, normAgent(want), normAgent(got), msg)
}

func testAgentRoundTrip(t *testing.T, f *fixture) {
	a := f.agent()
	f.requireAgent(a, "Agent returns every field as stored, departments in order")

	bare := f.putAgent(chat.Agent{ID: "agent-" + uuid.NewString(), Status: chat.AgentOffline})
	f.requireAgent(bare, "an agent with no name, departments or capacity round-trips")

	for _, st := range []chat.AgentStatus{chat.AgentOnline, chat.AgentAway, chat.AgentOffline} {
		a.Status = st
		f.putAgent(a)
		f.requireAgent(a, "every agent status round-trips")
	}
}

func testAgentReplace(t *testing.T, f *fixture) {
	a := f.agent()
	a.Name = "Olga Wiśniewska"
	a.Departments = []string{"returns", "billing", "delivery"}
	a.Capacity = 0
	a.Status = chat.AgentAway
	f.putAgent(a)
	f.requireAgent(a, "PutAgent with a known ID replaces every field")

	a.Departments = nil
	a.Name = ""
	f.putAgent(a)
	f.requireAgent(a, "PutAgent replaces departments with none")

	a.Departments = []string{"returns"}
	f.putAgent(a)
	f.requireAgent(a, "PutAgent replaces no departments with some")
}

func testAgentsOrdered(t *testing.T, f *fixture) {
	// Same-length lower-case ids, so byte order and any sane collation agree.
	prefix := "agent-" + uuid.NewString() + "-"
	var want []chat.Agent
	for _, suffix := range []string{"d", "a", "f", "c", "e", "b"} {
		a := newAgent()
		a.ID = prefix + suffix
		a.Name = "Agent " + suffix
		want = append(want, f.putAgent(a))
	}
	slices.SortFunc(want, func(a, b chat.Agent) int { return strings.Compare(a.ID, b.ID) })

	all, err := f.s.Agents(f.ctx)
	require.NoError(t, err, "Agents")
	var got []chat.Agent
	for _, a := range all {
		if strings.HasPrefix(a.ID, prefix) {
			got = append(got, normAgent(a))
		}
	}
	require.Equal(t, want, got, "Agents returns every agent, each once, ordered by ID")

	// Replacing an agent does not duplicate it in the list.
	f.putAgent(want[2])
	all, err = f.s.Agents(f.ctx)
	require.NoError(t, err, "Agents")
	n := 0
	for _, a := range all {
		if strings.HasPrefix(a.ID, prefix) {
			n++
		}
	}
	assert.Equal(t, len(want), n, "Agents lists a replaced agent once")
}

func testAgentNotFound(t *testing.T, f *fixture) {
	_, err := f.s.Agent(f.ctx, "agent-"+uuid.NewString())
	require.ErrorIs(t, err, chat.ErrNotFound, "Agent of an unknown id")
}
