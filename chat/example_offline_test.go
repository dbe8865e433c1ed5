package chat_test

import (
	"context"
	"fmt"
	"time"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/hours"
	"github.com/parleychat/parley/store/memory"
)

// A shop with opening hours: a chat started on Saturday afternoon, when
// nobody works, is an offline request. The visitor's first message is
// answered at once with when to expect a reply, two business hours after
// Monday's opening.
func ExampleConfig_offline() {
	ctx := context.Background()
	warsaw, _ := time.LoadLocation("Europe/Warsaw")
	office, _ := hours.New(warsaw, "Mon-Fri 09:00-17:00")
	saturday := time.Date(2026, 11, 28, 15, 0, 0, 0, warsaw)

	desk, err := chat.NewDesk(chat.Config{
		Store:       memory.New(),
		Hours:       hours.Hours{Default: office},
		ReplyWithin: 2 * time.Hour,
		Location:    warsaw,
		OfflineAck: func(v chat.Visitor, expected time.Time) string {
			return fmt.Sprintf("Thank you, %s. We will answer by %s.", v.Name, expected.Format("Monday 15:04"))
		},
		Now: func() time.Time { return saturday },
	})
	if err != nil {
		panic(err)
	}
	defer desk.Close(ctx)

	v, _ := desk.SaveVisitor(ctx, chat.Visitor{Name: "Anna"})
	conv, _ := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	_, _ = conv.Post(ctx, chat.Message{
		Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()},
		Body:   "Can I still return a mug bought in October?",
	})

	info, _ := conv.Info(ctx)
	fmt.Println(info.Status, info.Offline)
	history, _ := conv.History(ctx, chat.MessageQuery{})
	for _, m := range history {
		fmt.Printf("%s: %s\n", m.Author.Kind, m.Body)
	}
	// Output:
	// waiting true
	// visitor: Can I still return a mug bought in October?
	// system: Thank you, Anna. We will answer by Monday 11:00.
}
