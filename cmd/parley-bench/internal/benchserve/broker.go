package benchserve

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/parleychat/parley/broker/natsbroker"
	"github.com/parleychat/parley/broker/pgnotify"
	"github.com/parleychat/parley/broker/redisbroker"
	"github.com/parleychat/parley/chat"
)

// openBroker returns the broker rawURL names by its scheme, and a function
// that closes it; an empty rawURL returns a nil Broker (the Desk's own
// LocalBroker) and a close that does nothing.
func openBroker(rawURL, prefix string, log *slog.Logger, onReconnect func()) (chat.Broker, func(context.Context) error, error) {
	if rawURL == "" {
		return nil, func(context.Context) error { return nil }, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("benchserve: broker: %w", err)
	}
	var b interface {
		chat.Broker
		Close(context.Context) error
	}
	switch u.Scheme {
	case "redis", "rediss":
		b, err = redisbroker.New(redisbroker.Config{URL: rawURL, Prefix: prefix, Logger: log, OnReconnect: onReconnect})
	case "nats":
		b, err = natsbroker.New(natsbroker.Config{URL: rawURL, Prefix: prefix, Logger: log, OnReconnect: onReconnect})
	case "postgres", "postgresql":
		b, err = pgnotify.New(pgnotify.Config{ConnString: rawURL, Prefix: prefix + "_", ApplicationName: "parley-bench", Logger: log, OnReconnect: onReconnect})
	default:
		return nil, nil, fmt.Errorf("benchserve: broker %s is not a redis://, nats:// or postgres:// URL", u.Redacted())
	}
	if err != nil {
		return nil, nil, fmt.Errorf("benchserve: broker %s: %w", u.Redacted(), err)
	}
	return b, b.Close, nil
}
