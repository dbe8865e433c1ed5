package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

// A shop that opened a database itself passes its own *sql.DB with the
// Dialect of its database's package, and keeps Parley's tables apart with
// a prefix. The shop's database here is an SQLite file of its own, so
// that the example runs anywhere; with PostgreSQL or MySQL, postgres.Open
// or mysql.Open does the same in one call.
func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "parley-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", filepath.Join(dir, "shop.db")+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close() // the shop's, not the store's
	// As many idle connections as open ones, so that bursts of reads reuse
	// them rather than opening new ones each time.
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)

	store, err := sqlstore.Open(ctx, db, sqlite.Dialect(), sqlstore.Config{TablePrefix: "chat_"})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close(ctx)

	now := time.Now()
	v := chat.Visitor{ID: chat.NewID(), Name: "Ola", CreatedAt: now}
	if err := store.PutVisitor(ctx, v); err != nil {
		log.Fatal(err)
	}
	c, err := store.CreateConversation(ctx, chat.ConversationInfo{ID: chat.NewID(), VisitorID: v.ID, Status: chat.StatusQueued, CreatedAt: now})
	if err != nil {
		log.Fatal(err)
	}
	for _, body := range []string{"Dzień dobry!", "Is the blue bike in stock?"} {
		m := chat.Message{ID: chat.NewID(), ConversationID: c.ID, Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: body, CreatedAt: now}
		if _, _, err := store.AppendMessage(ctx, m); err != nil {
			log.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM chat_messages").Scan(&n); err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "messages in chat_messages")
	// Output: 2 messages in chat_messages
}
