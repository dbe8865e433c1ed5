package redisbroker_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/parleychat/parley/broker/redisbroker"
	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// Each instance of the shop runs this with the same URL and Prefix.
func Example() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	// The broker calls OnReconnect only after the Desk has subscribed
	// through it, so desk is set by then.
	var desk *chat.Desk
	b, err := redisbroker.New(redisbroker.Config{
		URL:    os.Getenv("REDIS_URL"), // such as redis://127.0.0.1:6379/0
		Prefix: "myshop",
		Logger: logger,
		// Events of other instances were lost meanwhile: the Desk forgets
		// what it cached and its clients catch up from the store.
		OnReconnect: func() { desk.Resync() },
	})
	if err != nil {
		logger.Error("broker", "err", err)
		return
	}
	defer b.Close(context.Background())
	desk, err = chat.NewDesk(chat.Config{Store: memory.New(), Broker: b, Logger: logger})
	if err != nil {
		logger.Error("desk", "err", err)
		return
	}
	defer desk.Close(context.Background())
	// Mount the transport's handlers with desk, as docs/getting-started.md shows.
}
