// Package natsbroker is a [chat.Broker] over NATS core publish/subscribe,
// for a shop that runs several instances: each instance gives its Desk a
// Broker of its own, all on one NATS server or cluster, and the events of
// every Desk reach the subscribers of all of them.
//
//	b, err := natsbroker.New(natsbroker.Config{
//		URL:    "nats://127.0.0.1:4222",
//		Prefix: "myshop", // events travel on the subject "myshop.events"
//		Logger: logger,
//	})
//	if err != nil {
//		return err
//	}
//	defer b.Close(context.Background())
//	desk, err := chat.NewDesk(chat.Config{Store: store, Broker: b})
//
// New does no I/O: the first Publish or Subscribe connects, bounded by
// Config.Timeout. The broker keeps one connection and one NATS
// subscription until Close, however many subscribers it has, and hands
// each event to them in order from one goroutine. Publish flushes and
// waits for the server's answer, so a nil error means the server has the
// event. JetStream is not used: events that nobody hears are not kept.
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
// NATS core keeps nothing for a subscriber that is not connected, so
// delivery is at most once. While the broker cannot reach the server:
//
//   - Publish returns an error: the client keeps no events to send later,
//     since an event sent minutes late would be out of date. The Desk logs
//     the error and goes on: the fact behind the event (a message, an
//     assignment, a status change, a rating, a block) is already in the
//     store.
//   - The subscription hears nothing. Events that other instances publish
//     meanwhile never reach this instance: its Desk and its sessions learn
//     of them only when the shop catches up, below.
//
// The client reconnects by itself every Config.ReconnectWait, for ever,
// and resubscribes. A connection that goes silent without being closed (a
// network that drops packets) is found within about two
// Config.HealthCheck, the interval of the client's pings. Each time it is
// back, the broker logs it and calls Config.OnReconnect.
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
package natsbroker
