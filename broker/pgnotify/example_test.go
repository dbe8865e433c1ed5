package pgnotify_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/parleychat/parley/broker/pgnotify"
	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// Each instance of a shop makes its own Broker with the same Prefix and
// gives it to its Desk. Close the Desk first, then the Broker. (The store
// here is a memory store to keep the example short; instances share a
// store/sqlstore one.)
func Example() {
	ctx := context.Background()
	// The broker calls OnReconnect only after the Desk has subscribed
	// through it, so desk is set by then.
	var desk *chat.Desk
	broker, err := pgnotify.New(pgnotify.Config{
		ConnString: os.Getenv("DATABASE_URL"),
		Logger:     slog.Default(),
		// Events of other instances were lost meanwhile: the Desk forgets
		// what it cached and its clients catch up from the store.
		OnReconnect: func() { desk.Resync() },
	})
	if err != nil {
		panic(err)
	}
	defer broker.Close(ctx)

	desk, err = chat.NewDesk(chat.Config{Store: memory.New(), Broker: broker})
	if err != nil {
		panic(err)
	}
	defer desk.Close(ctx)

	// Serve the desk with package transport, as with one instance.
}
