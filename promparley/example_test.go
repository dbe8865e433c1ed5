package promparley_test

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/promparley"
	"github.com/parleychat/parley/store/memory"
)

// A shop measures its Desk by wrapping the Store and the Broker it gives
// to chat.Config; the visitor's message and the offline acknowledgement
// are counted by author.
func Example() {
	ctx := context.Background()
	registry := prometheus.NewRegistry()
	metrics, err := promparley.New(promparley.Config{Instance: "web-1", Registerer: registry})
	if err != nil {
		panic(err)
	}
	desk, err := chat.NewDesk(chat.Config{Store: metrics.Store(memory.New()), Broker: metrics.Broker(nil)})
	if err != nil {
		panic(err)
	}
	defer desk.Close(ctx)
	if err := metrics.Watch(desk, nil); err != nil { // no transport in this example
		panic(err)
	}

	v, _ := desk.SaveVisitor(ctx, chat.Visitor{})
	conv, _ := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	_, _ = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: "Do you ship to Norway?"})

	families, _ := registry.Gather()
	for _, f := range families {
		if f.GetName() == "parley_messages_total" {
			for _, m := range f.GetMetric() {
				fmt.Println(m.GetLabel()[0].GetValue(), m.GetCounter().GetValue())
			}
		}
	}
	// Output:
	// system 1
	// visitor 1
}
