package chat_test

import (
	"context"
	"fmt"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// A console shows the end of a transcript first and loads older messages
// as the agent scrolls up: Latest picks the newest page, Before pages
// backwards. Pages always come in ascending Seq order.
func ExampleConversation_History() {
	ctx := context.Background()
	desk, _ := chat.NewDesk(chat.Config{Store: memory.New()})
	defer desk.Close(ctx)
	_ = desk.SaveAgent(ctx, chat.Agent{ID: "olga", Name: "Olga"})
	_, _ = desk.SetAgentStatus(ctx, "olga", chat.AgentOnline)
	v, _ := desk.SaveVisitor(ctx, chat.Visitor{})
	conv, _ := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	for i := 1; i <= 5; i++ {
		_, _ = conv.Post(ctx, chat.Message{
			Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()},
			Body:   fmt.Sprintf("message %d", i),
		})
	}

	page, _ := conv.History(ctx, chat.MessageQuery{Latest: true, Limit: 2})
	for len(page) > 0 {
		fmt.Print("page:")
		for _, m := range page {
			fmt.Print(" ", m.Seq)
		}
		fmt.Println()
		if page[0].Seq == 1 {
			break
		}
		page, _ = conv.History(ctx, chat.MessageQuery{Latest: true, Limit: 2, Before: page[0].Seq})
	}
	// Output:
	// page: 4 5
	// page: 2 3
	// page: 1
}
