package memory_test

import (
	"context"
	"fmt"
	"log"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

func ExampleNew() {
	ctx := context.Background()
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	if err != nil {
		log.Fatal(err)
	}
	defer desk.Close(ctx)
	v, err := desk.SaveVisitor(ctx, chat.Visitor{Name: "Anna"})
	if err != nil {
		log.Fatal(err)
	}
	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID, Department: "delivery"})
	if err != nil {
		log.Fatal(err)
	}
	info, err := conv.Info(ctx)
	if err != nil {
		log.Fatal(err)
	}
	// Nobody is online yet: the conversation waits as an offline request.
	fmt.Println(info.Status, info.Department)
	// Output: waiting delivery
}
