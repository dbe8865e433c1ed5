package chat_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// TestVisitLeaseLife follows a visitor whose instance stops without a
// goodbye: they are on the site for the lease time, the visit continues
// when they come back within VisitGap, and Sweep forgets it after.
func TestVisitLeaseLife(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	f := setup(t, chat.Config{Now: clk.Now, AgentLeaseTTL: 10 * time.Second})
	ctx := t.Context()
	id := uuid.New()
	v, err := f.desk.StartVisit(ctx, "instance-1", id)
	require.NoError(t, err)
	assert.Equal(t, clk.Now().Add(10*time.Second), v.EndsAt, "the lease lasts AgentLeaseTTL")
	live := func() int {
		t.Helper()
		vs, err := f.desk.LiveVisits(ctx, 0)
		require.NoError(t, err)
		return len(vs)
	}
	assert.Equal(t, 1, live())
	clk.Advance(9 * time.Second)
	require.NoError(t, f.desk.RenewVisitLeases(ctx, "instance-1", []uuid.UUID{id}))
	clk.Advance(9 * time.Second)
	assert.Equal(t, 1, live(), "renewed")
	clk.Advance(time.Second)
	assert.Equal(t, 0, live(), "the instance stopped renewing: gone after the lease time")
	vs, err := f.desk.LiveVisits(ctx, -2*time.Second)
	require.NoError(t, err)
	assert.Len(t, vs, 1, "a negative margin looks back")

	require.NoError(t, f.desk.Sweep(ctx))
	back, err := f.desk.StartVisit(ctx, "instance-2", id)
	require.NoError(t, err)
	assert.Equal(t, v.ID, back.ID, "back soon: the same visit")
	held, err := f.desk.ReleaseVisitLease(ctx, id, "instance-2")
	require.NoError(t, err)
	assert.False(t, held)

	clk.Advance(chat.VisitGap + time.Second)
	require.NoError(t, f.desk.Sweep(ctx))
	_, err = f.store.Visit(ctx, id)
	assert.ErrorIs(t, err, chat.ErrNotFound, "Sweep prunes a visit that ended VisitGap ago")
}

// TestPublishVisit checks that visit events reach the agents' topic, and
// never the visitor's.
func TestPublishVisit(t *testing.T) {
	f := setup(t, chat.Config{})
	ctx := t.Context()
	id := uuid.New()
	all, err := f.desk.Subscribe(ctx, chat.TopicAll)
	require.NoError(t, err)
	mine, err := f.desk.Subscribe(ctx, chat.VisitorTopic(id))
	require.NoError(t, err)
	entry := json.RawMessage(`{"visitor":{"id":"x"}}`)
	require.NoError(t, f.desk.PublishVisit(ctx, id, entry))
	require.NoError(t, f.desk.PublishVisit(ctx, id, nil))
	for _, want := range []chat.EventType{chat.EventVisit, chat.EventVisitEnd} {
		select {
		case e := <-all.Events():
			assert.Equal(t, want, e.Type)
			assert.Equal(t, id, e.VisitorID)
			if want == chat.EventVisit {
				assert.JSONEq(t, string(entry), string(e.Entry))
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s event", want)
		}
	}
	// A later event on the visitor's topic proves the visit events were
	// not queued before it.
	require.NoError(t, f.desk.SetVisitorPresence(ctx, id, chat.PresenceOnline))
	select {
	case e := <-mine.Events():
		assert.Equal(t, chat.EventPresence, e.Type, "the visitor's topic carries no visit event")
	case <-time.After(5 * time.Second):
		t.Fatal("no presence event")
	}
	assert.ErrorIs(t, f.desk.PublishVisit(ctx, uuid.Nil, entry), chat.ErrInvalid)
}
