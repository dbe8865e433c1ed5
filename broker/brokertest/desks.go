package brokertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

func deskCases() []testCase {
	return []testCase{
		{"EventsReachEveryDesk", testDesks},
	}
}

// testDesks runs three Desks, each with a broker of its own and all on one
// store, as three instances of a shop do, and checks that what happens on
// any one of them reaches the subscribers of every Desk.
func testDesks(t *testing.T, f *fixture) {
	store := memory.New()
	desks := make([]*chat.Desk, 3)
	for i := range desks {
		d, err := chat.NewDesk(chat.Config{Store: store, Broker: f.broker()})
		require.NoError(t, err, "NewDesk")
		t.Cleanup(func() { _ = d.Close(context.Background()) })
		desks[i] = d
	}
	v, err := desks[0].SaveVisitor(f.ctx, chat.Visitor{Name: "Anna"})
	require.NoError(t, err, "SaveVisitor")
	subs := make([]*chat.Subscription, len(desks))
	for i, d := range desks {
		subs[i], err = d.Subscribe(f.ctx, chat.VisitorTopic(v.ID))
		require.NoError(t, err, "Subscribe on Desk %d", i)
		t.Cleanup(subs[i].Close)
	}

	// A passing signal, from each Desk in turn.
	presences := []chat.Presence{chat.PresenceOnline, chat.PresenceAway, chat.PresenceOffline}
	for i, d := range desks {
		require.NoError(t, d.SetVisitorPresence(f.ctx, v.ID, presences[i]), "SetVisitorPresence on Desk %d", i)
		for j, s := range subs {
			e := next(t, s, fmt.Sprintf("the presence set on Desk %d, at Desk %d", i, j))
			require.Equal(t, chat.EventPresence, e.Type)
			require.Equal(t, presences[i], e.Presence, "Desk %d hears the presence set on Desk %d", j, i)
		}
	}

	// A stored fact: a conversation started on the last Desk.
	c, err := desks[2].Start(f.ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err, "Start")
	for j, s := range subs {
		for {
			e := next(t, s, fmt.Sprintf("the conversation started on Desk 2, at Desk %d", j))
			if e.ConversationID == c.ID() && e.Conversation != nil {
				break
			}
		}
	}
}

// next returns the next event of s, failing the test after Wait.
func next(t *testing.T, s *chat.Subscription, what string) chat.Event {
	t.Helper()
	select {
	case e, ok := <-s.Events():
		require.True(t, ok, "%s: the subscription ended: %v", what, s.Err())
		return e
	case <-time.After(Wait):
		t.Fatalf("waited %v for %s", Wait, what)
		return chat.Event{}
	}
}
