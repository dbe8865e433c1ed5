package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "parley-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := sqlite.Open(ctx, filepath.Join(dir, "parley.db"), sqlstore.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close(ctx)

	desk, err := chat.NewDesk(chat.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	defer desk.Close(ctx)
	visitor, err := desk.SaveVisitor(ctx, chat.Visitor{Name: "Anna"})
	if err != nil {
		log.Fatal(err)
	}
	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: visitor.ID})
	if err != nil {
		log.Fatal(err)
	}
	m, err := conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorBot, Name: "Shop"}, Body: "Cześć! How can we help?"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Seq, m.Body)
	// Output: 1 Cześć! How can we help?
}
