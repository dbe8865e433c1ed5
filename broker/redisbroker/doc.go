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
//     meanwhile never reach this instance: its Desk and its sessions learn
//     of them only when the shop catches up, below.
//
// The broker reconnects by itself, waiting longer between attempts up to
// Config.MaxBackoff, and resubscribes. A connection that goes silent
// without being closed (a network that drops packets) is found within
// about two Config.HealthCheck: the broker pings after one of silence and
// drops the connection when the answer has not come after another. Each
// time the
// subscription is back, the broker logs it and calls Config.OnReconnect.
//
// # Catching up after an outage
//
// Call the Desk's Resync from Config.OnReconnect (the Example shows how):
// the Desk then forgets the conversations it cached, reads the blocks
// again at its next check, and each connected client is sent, on the
// connection it has, the stored messages it missed in every conversation
// it follows, once each and in order. Without it, stored facts reach a
// client only when it next sends sync (after its own reconnect, or a page
// load), the Desk trusts what it cached for up to
// chat.Config.ConversationCacheTTL, and blocks made meanwhile apply within
// chat.BlockRefresh. Either way, typing, read receipts, presence and queue
// places published during the outage are gone. Resync does not send
// again the status, assignment and rating changes made meanwhile, nor the
// conversations that appeared meanwhile (a new chat an agent's console
// would have shown): a client has them when it connects again.
package redisbroker
