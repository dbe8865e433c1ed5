package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/internal/brokerurl"
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
	b, closeBroker, err := brokerurl.Open(rawURL, brokerurl.Config{Prefix: prefix, ApplicationName: "shop", Logger: log, OnReconnect: onReconnect})
	if err != nil {
		return nil, nil, fmt.Errorf("-broker %w", err)
	}
	return b, closeBroker, nil
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
