package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func leaseCases() []testCase {
	return []testCase{
		{"ExpiryRules", testLeaseExpiry},
		{"Release", testLeaseRelease},
		{"Delete", testLeaseDelete},
		{"ManyAtOnce", testLeaseMany},
		{"Invalid", testLeaseInvalid},
		{"DoneContext", testLeaseDoneContext},
	}
}

// leaseAgents returns n fresh agent ids, in ascending order. Leases need
// no stored agent.
func leaseAgents(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "lease-agent-" + uuid.NewString()
	}
	slices.Sort(out)
	return out
}

// renew renews holder's leases and fails the test on an error.
func (f *fixture) renew(holder string, until time.Time, agentIDs ...string) {
	f.t.Helper()
	require.NoError(f.t, f.s.RenewAgentLeases(f.ctx, holder, until, agentIDs), "RenewAgentLeases")
}

// expired lists the agents among mine whose every lease is expired at at.
// Other cases may share the store, so their agents are left out.
func (f *fixture) expired(at time.Time, mine ...string) []string {
	f.t.Helper()
	got, err := f.s.ExpiredAgentLeases(f.ctx, at, chat.MaxPageSize)
	require.NoError(f.t, err, "ExpiredAgentLeases")
	require.True(f.t, slices.IsSorted(got), "ExpiredAgentLeases returns agents ordered by id: %q", got)
	out := []string{}
	for _, id := range got {
		if slices.Contains(mine, id) {
			out = append(out, id)
		}
	}
	return out
}

func testLeaseExpiry(t *testing.T, f *fixture) {
	ids := leaseAgents(3) // the third never has a lease
	a, b := ids[0], ids[1]
	t0 := baseTime()
	assert.Empty(t, f.expired(t0.Add(time.Hour), ids...), "an agent with no lease is never reported")

	f.renew("holder-1", t0.Add(30*time.Second), a, b)
	f.renew("holder-2", t0.Add(time.Minute), a)
	assert.Empty(t, f.expired(t0.Add(29*time.Second), ids...), "live leases are not expired")
	assert.Equal(t, []string{b}, f.expired(t0.Add(30*time.Second), ids...),
		"a lease is expired at its end; an agent with one live lease of two is not reported")
	assert.Equal(t, []string{a, b}, f.expired(t0.Add(time.Minute), ids...), "every lease expired")
	assert.Equal(t, []string{a, b}, f.expired(t0.Add(time.Minute).In(time.FixedZone("west", -5*3600)), ids...),
		"the time's zone does not matter")

	f.renew("holder-1", t0.Add(2*time.Minute), a)
	assert.Equal(t, []string{b}, f.expired(t0.Add(time.Minute), ids...), "renewing moves the end of the lease")
	f.renew("holder-1", t0.Add(10*time.Second), a)
	assert.Equal(t, []string{a, b}, f.expired(t0.Add(time.Minute), ids...), "renewing sets the end, earlier too")
}

func testLeaseRelease(t *testing.T, f *fixture) {
	ids := leaseAgents(2)
	a, other := ids[0], ids[1]
	t0 := baseTime()
	f.renew("holder-1", t0.Add(time.Minute), a, other)
	f.renew("holder-2", t0.Add(time.Minute), a)

	held, err := f.s.ReleaseAgentLease(f.ctx, a, "holder-1", t0.Add(10*time.Second))
	require.NoError(t, err)
	assert.True(t, held, "another holder's lease is live")
	assert.Empty(t, f.expired(t0.Add(20*time.Second), ids...), "the agent is held by the other lease")

	held, err = f.s.ReleaseAgentLease(f.ctx, a, "holder-2", t0.Add(20*time.Second))
	require.NoError(t, err)
	assert.False(t, held, "the released lease of holder-1 is not live")
	assert.Equal(t, []string{a}, f.expired(t0.Add(20*time.Second), ids...),
		"released leases stay stored, expired, so the agent is reported")

	held, err = f.s.ReleaseAgentLease(f.ctx, a, "holder-2", t0.Add(50*time.Second))
	require.NoError(t, err)
	assert.False(t, held)
	assert.Equal(t, []string{a}, f.expired(t0.Add(20*time.Second), ids...), "a release does not lengthen a lease that ended before")

	held, err = f.s.ReleaseAgentLease(f.ctx, "lease-agent-"+uuid.NewString(), "holder-1", t0)
	require.NoError(t, err, "releasing a missing lease is not an error")
	assert.False(t, held)
	assert.Empty(t, f.expired(t0.Add(20*time.Second), other), "a release touches one agent's lease")
}

func testLeaseDelete(t *testing.T, f *fixture) {
	ids := leaseAgents(2)
	a, b := ids[0], ids[1]
	t0 := baseTime()
	f.renew("holder-1", t0.Add(10*time.Second), a, b)
	f.renew("holder-2", t0.Add(time.Minute), a)

	require.NoError(t, f.s.DeleteAgentLeases(f.ctx, b, t0.Add(10*time.Second)))
	assert.Empty(t, f.expired(t0.Add(time.Hour), ids[1:]...), "the expired lease is deleted")

	require.NoError(t, f.s.DeleteAgentLeases(f.ctx, a, t0.Add(30*time.Second)))
	assert.Empty(t, f.expired(t0.Add(30*time.Second), ids...), "the live lease is kept")
	assert.Equal(t, []string{a}, f.expired(t0.Add(time.Minute), ids...), "and expires as before")

	require.NoError(t, f.s.DeleteAgentLeases(f.ctx, "lease-agent-"+uuid.NewString(), t0), "nothing to delete is not an error")
}

func testLeaseMany(t *testing.T, f *fixture) {
	ids := leaseAgents(chat.MaxPageSize)
	t0 := baseTime()
	f.renew("holder-1", t0, ids...)
	assert.Equal(t, ids, f.expired(t0, ids...), "MaxPageSize leases in one call")
	f.renew("holder-1", t0, nil...)

	got, err := f.s.ExpiredAgentLeases(f.ctx, t0, 3)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(got), 3, "the limit caps the result")
	got, err = f.s.ExpiredAgentLeases(f.ctx, t0, 0)
	require.NoError(t, err)
	assert.Len(t, got, chat.DefaultPageSize, "limit 0 means DefaultPageSize")
}

func testLeaseInvalid(t *testing.T, f *fixture) {
	ids := leaseAgents(1)
	a := ids[0]
	t0 := baseTime()
	long := strings.Repeat("x", chat.MaxIDBytes+1)
	for name, err := range map[string]error{
		"renew without holder":        f.s.RenewAgentLeases(f.ctx, "", t0, ids),
		"renew an empty agent id":     f.s.RenewAgentLeases(f.ctx, "holder-1", t0, []string{a, ""}),
		"renew a long agent id":       f.s.RenewAgentLeases(f.ctx, "holder-1", t0, []string{long}),
		"renew a long holder":         f.s.RenewAgentLeases(f.ctx, long, t0, ids),
		"renew bad UTF-8":             f.s.RenewAgentLeases(f.ctx, "holder-\xff", t0, ids),
		"renew until the zero time":   f.s.RenewAgentLeases(f.ctx, "holder-1", time.Time{}, ids),
		"renew too many":              f.s.RenewAgentLeases(f.ctx, "holder-1", t0, leaseAgents(chat.MaxPageSize+1)),
		"delete an empty agent id":    f.s.DeleteAgentLeases(f.ctx, "", t0),
		"delete at the zero time":     f.s.DeleteAgentLeases(f.ctx, a, time.Time{}),
		"expired at the zero time":    second(f.s.ExpiredAgentLeases(f.ctx, time.Time{}, 1)),
		"expired with negative limit": second(f.s.ExpiredAgentLeases(f.ctx, t0, -1)),
		"expired over MaxPageSize":    second(f.s.ExpiredAgentLeases(f.ctx, t0, chat.MaxPageSize+1)),
		"release without holder":      second(f.s.ReleaseAgentLease(f.ctx, a, "", t0)),
		"release an empty agent id":   second(f.s.ReleaseAgentLease(f.ctx, "", "holder-1", t0)),
		"release at the zero time":    second(f.s.ReleaseAgentLease(f.ctx, a, "holder-1", time.Time{})),
	} {
		assert.ErrorIs(t, err, chat.ErrInvalid, name)
	}
	assert.Empty(t, f.expired(t0.Add(time.Hour), ids...), "a rejected renewal stores no lease")
}

func testLeaseDoneContext(t *testing.T, f *fixture) {
	ids := leaseAgents(1)
	t0 := baseTime()
	for _, done := range []context.Context{canceled(), expired()} {
		want := done.Err()
		assert.ErrorIs(t, f.s.RenewAgentLeases(done, "holder-1", t0, ids), want, "RenewAgentLeases")
		assert.ErrorIs(t, second(f.s.ReleaseAgentLease(done, ids[0], "holder-1", t0)), want, "ReleaseAgentLease")
		assert.ErrorIs(t, second(f.s.ExpiredAgentLeases(done, t0, 1)), want, "ExpiredAgentLeases")
		assert.ErrorIs(t, f.s.DeleteAgentLeases(done, ids[0], t0), want, "DeleteAgentLeases")
	}
	assert.Empty(t, f.expired(t0.Add(time.Hour), ids...), "a done context stores no lease")
}

// second returns the error of a call that returns a value and an error.
func second[T any](_ T, err error) error { return err }
