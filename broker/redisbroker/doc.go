// Package redisbroker is a [chat.Broker] over Redis Pub/Sub, for a shop
// that runs several instances: each instance gives its Desk a Broker of
// its own, all on one Redis, and the events of every Desk reach the
// subscribers of all of them.
//
//	b, err := redisbroker.New(redisbroker.Config{
//		URL:    "redis://127.0.0.1:6379/0",
//		Prefix: "myshop", // events travel on the channel "myshop:events"
//		Logger: logger,
//	})
//	if err != nil {
//		return err
//	}
//	defer b.Close(context.Background())
//	desk, err := chat.NewDesk(chat.Config{Store: store, Broker: b})
//
// New does no I/O: the first Publish connects and the first Subscribe
// (the Desk's, when its first session subscribes) subscribes to the
// channel, returning only once Redis has confirmed it. The broker keeps
// one connection subscribed until Close, however many subscribers it has,
// and hands each event to them in order from one goroutine.
//
// # The wire format
//
// Events travel as JSON: an envelope {"v":1,"event":{...}} around the
// event in the JSON of chat.Event's field tags. Within version 1 a later
// release may add fields, which older instances ignore; a change they
// would misread takes a new version, which older instances log and drop.
//
// # When the connection is lost
//
// Redis keeps nothing for a subscriber that is not connected, so delivery
// is at most once. While the broker cannot reach Redis:
//
//   - Publish returns an error. The Desk logs it and goes on: the fact
//     behind the event (a message, an assignment, a status change, a
//     rating, a block) is already in the store.
//   - The subscription hears nothing. Events that other instances publish
//     meanwhile never reach this instance's sessions: stored facts reach
//     a client when it next sends sync (after its own reconnect, or a page
//     load); passing signals (typing, read, presence, queue places) are
//     gone; blocks are read again from the store every chat.BlockRefresh.
//
// The broker reconnects by itself, waiting longer between attempts up to
// Config.MaxBackoff, and resubscribes. A connection that fails silently is
// found by a ping after Config.HealthCheck without traffic. Each time the
// subscription is back, the broker logs it and calls Config.OnReconnect,
// where a shop can count outages or act on them; the Desk does not yet
// tell its sessions to sync when that happens.
package redisbroker
