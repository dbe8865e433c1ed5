package chat_test

import (
	"context"
	"fmt"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// Two Desks that share a Broker and a Store act as two instances of one
// shop: an event published by one reaches the subscribers of the other.
// Across processes, a Broker over Redis, PostgreSQL or NATS takes the place
// of the LocalBroker.
func ExampleLocalBroker() {
	ctx := context.Background()
	store := memory.New()
	broker := &chat.LocalBroker{}
	a, _ := chat.NewDesk(chat.Config{Store: store, Broker: broker})
	defer a.Close(ctx)
	b, _ := chat.NewDesk(chat.Config{Store: store, Broker: broker})
	defer b.Close(ctx)

	events, err := b.Subscribe(ctx, chat.TopicAll)
	if err != nil {
		panic(err)
	}
	defer events.Close()

	v, _ := a.SaveVisitor(ctx, chat.Visitor{Name: "Anna"})
	conv, _ := a.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	_, _ = conv.Post(ctx, chat.Message{
		Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()},
		Body:   "Hello from the first instance",
	})

	for e := range events.Events() {
		if e.Type == chat.EventMessage {
			fmt.Println("the second Desk got:", e.Message.Body)
			break
		}
	}
	// Output: the second Desk got: Hello from the first instance
}
