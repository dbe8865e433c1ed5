package pgnotify_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/broker/pgnotify"
	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// Three Desks, each with a broker of its own as three instances of a shop
// would have, share one store: what one posts reaches the subscribers of
// all three, once each and in order.
func TestThreeDesksDeliverAcross(t *testing.T) {
	t.Parallel()
	dsn := os.Getenv("PARLEY_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("set PARLEY_TEST_POSTGRES to a PostgreSQL URL, such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable, to run the PostgreSQL broker tests")
	}
	var name [6]byte
	_, err := rand.Read(name[:])
	require.NoError(t, err)
	prefix := "t" + hex.EncodeToString(name[:]) + "_"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Cleanup(func() {
		admin, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			_, _ = admin.Exec(context.Background(), `DROP TABLE IF EXISTS `+pgx.Identifier{prefix + "broker_events"}.Sanitize())
			_ = admin.Close(context.Background())
		}
	})

	store := memory.New()
	var desks []*chat.Desk
	var subs []*chat.Subscription
	for i := range 3 {
		broker, err := pgnotify.New(pgnotify.Config{ConnString: dsn, Prefix: prefix, ApplicationName: fmt.Sprintf("desk%d", i)})
		require.NoError(t, err)
		desk, err := chat.NewDesk(chat.Config{Store: store, Broker: broker})
		require.NoError(t, err)
		t.Cleanup(func() {
			require.NoError(t, desk.Close(context.Background()))
			require.NoError(t, broker.Close(context.Background()))
		})
		sub, err := desk.Subscribe(ctx, chat.TopicAll)
		require.NoError(t, err)
		desks = append(desks, desk)
		subs = append(subs, sub)
	}

	v, err := desks[0].SaveVisitor(ctx, chat.Visitor{Name: "Anna"})
	require.NoError(t, err)
	conv, err := desks[0].Start(ctx, chat.StartRequest{VisitorID: v.ID})
	require.NoError(t, err)
	post := func(desk *chat.Desk, body string) {
		t.Helper()
		c, err := desk.Conversation(ctx, conv.ID())
		require.NoError(t, err)
		_, err = c.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorBot, ID: "helper"}, Body: body})
		require.NoError(t, err)
	}
	bodies := []string{"from the first", "from the second", "from the third", "once more from the first"}
	for i, body := range bodies[:3] {
		post(desks[i], body)
	}
	post(desks[0], bodies[3])

	for i, sub := range subs {
		for seq, body := range bodies {
			e := nextMessage(t, sub)
			require.Equal(t, int64(seq+1), e.Message.Seq, "desk %d", i)
			require.Equal(t, body, e.Message.Body, "desk %d", i)
		}
	}
}

// nextMessage returns the next message event of sub, skipping the others.
func nextMessage(t *testing.T, sub *chat.Subscription) chat.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-sub.Events():
			require.True(t, ok, "subscription ended: %v", sub.Err())
			if e.Type == chat.EventMessage {
				return e
			}
		case <-timeout:
			t.Fatal("no message within 10s")
		}
	}
}
