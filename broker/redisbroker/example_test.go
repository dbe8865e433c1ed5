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
	b, err := redisbroker.New(redisbroker.Config{
		URL:         os.Getenv("REDIS_URL"), // such as redis://127.0.0.1:6379/0
		Prefix:      "myshop",
		Logger:      logger,
		OnReconnect: func() { logger.Warn("events between instances were lost; clients catch up at their next sync") },
	})
	if err != nil {
		logger.Error("broker", "err", err)
		return
	}
	defer b.Close(context.Background())
	desk, err := chat.NewDesk(chat.Config{Store: memory.New(), Broker: b, Logger: logger})
	if err != nil {
		logger.Error("desk", "err", err)
		return
	}
	defer desk.Close(context.Background())
	// Mount the transport's handlers with desk, as docs/getting-started.md shows.
}
