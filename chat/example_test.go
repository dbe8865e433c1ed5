package chat_test

import (
	"context"
	"fmt"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// A shop's own code starts a conversation, answers as an agent and reads the
// transcript.
func ExampleDesk() {
	ctx := context.Background()
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	if err != nil {
		panic(err)
	}
	defer desk.Close(ctx)

	_ = desk.SaveAgent(ctx, chat.Agent{ID: "olga", Name: "Olga"})
	_, _ = desk.SetAgentStatus(ctx, "olga", chat.AgentOnline)

	anna, _ := desk.SaveVisitor(ctx, chat.Visitor{Name: "Anna", CustomerID: "1042"})
	conv, _ := desk.Start(ctx, chat.StartRequest{VisitorID: anna.ID, Department: "delivery"})

	_, _ = conv.Post(ctx, chat.Message{
		Author: chat.Author{Kind: chat.AuthorVisitor, ID: anna.ID.String(), Name: anna.Name},
		Body:   "Where is my parcel?",
	})
	_, _ = conv.Post(ctx, chat.Message{
		Author: chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Olga"},
		Body:   "Hello Anna, it left the warehouse this morning.",
	})

	info, _ := conv.Info(ctx)
	fmt.Println(info.Status, info.AgentID)
	history, _ := conv.History(ctx, chat.MessageQuery{})
	for _, m := range history {
		fmt.Printf("%d %s: %s\n", m.Seq, m.Author.Name, m.Body)
	}
	// Output:
	// open olga
	// 1 Anna: Where is my parcel?
	// 2 Olga: Hello Anna, it left the warehouse this morning.
}

// The shop's code listens to every event of the desk, for example to forward
// ratings to its CRM.
func ExampleDesk_Subscribe() {
	ctx := context.Background()
	desk, _ := chat.NewDesk(chat.Config{Store: memory.New()})
	defer desk.Close(ctx)

	events, err := desk.Subscribe(ctx, chat.TopicAll)
	if err != nil {
		panic(err)
	}
	defer events.Close()

	v, _ := desk.SaveVisitor(ctx, chat.Visitor{})
	conv, _ := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	resolved := true
	_, _ = conv.Rate(ctx, 5, &resolved)

	for e := range events.Events() {
		fmt.Println(e.Type, e.Conversation.Status)
		if e.Type == chat.EventRated {
			fmt.Println("rating", e.Conversation.Rating)
			break
		}
	}
	// Output:
	// status waiting
	// rated waiting
	// rating 5
}

// A Router in a few lines: prefer the least busy candidate.
func ExampleRouterFunc() {
	leastBusy := chat.RouterFunc(func(_ context.Context, req chat.RouteRequest) (string, error) {
		best, load := "", 0
		for _, c := range req.Candidates {
			if best == "" || c.Active < load {
				best, load = c.Agent.ID, c.Active
			}
		}
		return best, nil
	})
	id, _ := leastBusy.Route(context.Background(), chat.RouteRequest{Candidates: []chat.Candidate{
		{Agent: chat.Agent{ID: "olga"}, Active: 3},
		{Agent: chat.Agent{ID: "piotr"}, Active: 1},
	}})
	fmt.Println(id)
	// Output: piotr
}
