package chat_test

import (
	"context"
	"fmt"
	"time"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// An agent looking at a regular customer wants their latest conversations
// first and older ones on demand: Newest lists the newest first, and the
// cursor of a page's last conversation starts the next page. An empty page
// ends the listing.
func ExampleDesk_Conversations() {
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	desk, _ := chat.NewDesk(chat.Config{Store: memory.New(), Now: func() time.Time {
		at = at.Add(time.Minute)
		return at
	}})
	defer desk.Close(ctx)
	v, _ := desk.SaveVisitor(ctx, chat.Visitor{Name: "Anna"})
	for _, topic := range []string{"delivery", "returns", "invoice", "warranty", "payment"} {
		_, _ = desk.Start(ctx, chat.StartRequest{VisitorID: v.ID, Department: topic})
	}

	f := chat.ConversationFilter{VisitorID: v.ID, Newest: true, Limit: 2}
	for {
		page, err := desk.Conversations(ctx, f)
		if err != nil || len(page) == 0 {
			break
		}
		fmt.Print("page:")
		for _, c := range page {
			fmt.Print(" ", c.Department)
		}
		fmt.Println()
		f.After = page[len(page)-1].Cursor()
	}
	// Output:
	// page: payment warranty
	// page: invoice returns
	// page: delivery
}
