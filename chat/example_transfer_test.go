package chat_test

import (
	"context"
	"fmt"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// An agent hands a conversation to a colleague. The transcript notes it
// with a system message, which the visitor sees too.
func ExampleConversation_Transfer() {
	ctx := context.Background()
	desk, _ := chat.NewDesk(chat.Config{Store: memory.New()})
	defer desk.Close(ctx)
	for _, id := range []string{"marek", "olga"} {
		_ = desk.SaveAgent(ctx, chat.Agent{ID: id, Name: id})
		_, _ = desk.SetAgentStatus(ctx, id, chat.AgentOnline)
	}
	v, _ := desk.SaveVisitor(ctx, chat.Visitor{Name: "Anna"})
	conv, _ := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID, AgentID: "olga"})

	info, err := conv.Transfer(ctx, chat.Transfer{
		AgentID: "marek",
		By:      chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Olga"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(info.Status, info.AgentID)
	history, _ := conv.History(ctx, chat.MessageQuery{Latest: true, Limit: 1})
	fmt.Println(history[0].Author.Kind)
	// Output:
	// open marek
	// system
}
