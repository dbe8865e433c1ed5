// Package brokerurl opens the chat.Broker a URL names, for the programs
// of this module that take a broker on their command line (the demo shop
// and parley-bench). It imports all three broker packages; a shop's own
// program imports only the one it uses.
package brokerurl

import (
	"context"
	"fmt"
	"net/url"

	"log/slog"

	"github.com/parleychat/parley/broker/natsbroker"
	"github.com/parleychat/parley/broker/pgnotify"
	"github.com/parleychat/parley/broker/redisbroker"
	"github.com/parleychat/parley/chat"
)

// Config is what every broker package takes besides the URL.
type Config struct {
	Prefix          string       // the broker's Prefix; empty means its package's default
	ApplicationName string       // pgnotify's ApplicationName
	Logger          *slog.Logger // nil means none
	OnReconnect     func()       // called when the connection is back after an outage
}

// Open returns the broker rawURL names by its scheme, redis:// or
// rediss:// for Redis, nats:// for NATS, postgres:// or postgresql:// for
// PostgreSQL's LISTEN/NOTIFY, and the function that closes it. An empty
// rawURL returns a nil Broker, with which a Desk uses its own LocalBroker,
// and a close that does nothing. Errors name the URL without its
// password.
func Open(rawURL string, cfg Config) (chat.Broker, func(context.Context) error, error) {
	if rawURL == "" {
		return nil, func(context.Context) error { return nil }, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, err
	}
	var b interface {
		chat.Broker
		Close(ctx context.Context) error
	}
	switch u.Scheme {
	case "redis", "rediss":
		b, err = redisbroker.New(redisbroker.Config{URL: rawURL, Prefix: cfg.Prefix, Logger: cfg.Logger, OnReconnect: cfg.OnReconnect})
	case "nats":
		b, err = natsbroker.New(natsbroker.Config{URL: rawURL, Prefix: cfg.Prefix, Logger: cfg.Logger, OnReconnect: cfg.OnReconnect})
	case "postgres", "postgresql":
		b, err = pgnotify.New(pgnotify.Config{ConnString: rawURL, Prefix: cfg.Prefix, ApplicationName: cfg.ApplicationName, Logger: cfg.Logger, OnReconnect: cfg.OnReconnect})
	default:
		return nil, nil, fmt.Errorf("%s: want a redis://, nats:// or postgres:// URL", u.Redacted())
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", u.Redacted(), err)
	}
	return b, b.Close, nil
}
