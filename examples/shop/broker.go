package main

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

// openBroker returns the broker that rawURL names, chosen by its scheme:
// redis:// or rediss:// for Redis, nats:// for NATS, postgres:// or
// postgresql:// for PostgreSQL's LISTEN/NOTIFY. prefix is the broker's
// Prefix (empty means its package's default); every instance of the shop
// uses the same URL and prefix. onReconnect is called each time the
// broker is connected again after an outage.
//
// An empty rawURL returns a nil Broker, with which the Desk uses its own
// LocalBroker: events then stay in this instance. The returned close
// function closes the broker; it is never nil.
func openBroker(rawURL, prefix string, log *slog.Logger, onReconnect func()) (chat.Broker, func(context.Context) error, error) {
	if rawURL == "" {
		return nil, func(context.Context) error { return nil }, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("-broker: %w", err)
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
		b, err = pgnotify.New(pgnotify.Config{ConnString: rawURL, Prefix: prefix, ApplicationName: "shop", Logger: log, OnReconnect: onReconnect})
	default:
		return nil, nil, fmt.Errorf("-broker %s: want a redis://, nats:// or postgres:// URL", u.Redacted())
	}
	if err != nil {
		return nil, nil, fmt.Errorf("-broker %s: %w", u.Redacted(), err)
	}
	return b, b.Close, nil
}

// describeBroker says how events reach the other instances, without the
// URL's password.
func describeBroker(rawURL string) string {
	if rawURL == "" {
		return "none, events stay in this instance (-broker connects several)"
	}
	if u, err := url.Parse(rawURL); err == nil {
		return u.Redacted()
	}
	return "the -broker URL"
}
