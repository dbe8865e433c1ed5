package chat_test

import (
	"context"
	"fmt"
	"time"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// Service metrics for a period: how many chats, how many were answered and
// how long visitors waited for the first answer.
func ExampleDesk_Report() {
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	desk, _ := chat.NewDesk(chat.Config{Store: memory.New(), Now: func() time.Time { return now }})
	defer desk.Close(ctx)
	_ = desk.SaveAgent(ctx, chat.Agent{ID: "olga", Name: "Olga"})
	_, _ = desk.SetAgentStatus(ctx, "olga", chat.AgentOnline)

	for _, wait := range []time.Duration{30 * time.Second, 90 * time.Second} {
		v, _ := desk.SaveVisitor(ctx, chat.Visitor{})
		conv, _ := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
		_, _ = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: "Hello?"})
		now = now.Add(wait)
		_, _ = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorAgent, ID: "olga"}, Body: "Hello, how can I help?"})
		_, _ = conv.Close(ctx)
		now = now.Add(time.Hour)
	}

	report, err := desk.Report(ctx, chat.ReportQuery{
		From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		To:   time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		panic(err)
	}
	t := report.Total
	fmt.Println("conversations:", t.Conversations, "answered:", t.Answered)
	fmt.Println("first response, median:", t.FirstResponse.Median, "longest:", t.FirstResponse.Max)
	fmt.Println("on 2026-11-02:", report.Days[1].Conversations)
	// Output:
	// conversations: 2 answered: 2
	// first response, median: 1m0s longest: 1m30s
	// on 2026-11-02: 2
}
