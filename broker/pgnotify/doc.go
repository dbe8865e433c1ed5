// Package pgnotify is a chat.Broker over PostgreSQL LISTEN/NOTIFY, for
// shops that run several instances of Parley and whose only server is
// PostgreSQL. Every instance makes a Broker with the same Prefix and gives
// it to its Desk; an event published by one Desk then reaches the Desks of
// all of them.
//
//	broker, err := pgnotify.New(pgnotify.Config{
//		ConnString: os.Getenv("DATABASE_URL"),
//		Logger:     logger,
//	})
//	if err != nil { ... }
//	defer broker.Close(ctx) // after the Desk's Close
//	desk, err := chat.NewDesk(chat.Config{Store: store, Broker: broker})
//
// # How events travel
//
// Publish encodes the event as JSON in a versioned envelope and sends it
// with pg_notify on the channel Prefix + "broker" (parley_broker by
// default). The first Subscribe opens one connection of the Broker's own,
// LISTENs on the channel and hands every event to the Broker's subscribers,
// in the order PostgreSQL delivers them: the order in which the
// publishing transactions committed, so each publisher's events arrive in
// the order it published them. Delivery is at most once, as chat.Broker
// allows.
//
// Events published at the same time share a statement: each Publish
// queues its event and waits, and one goroutine at a time sends
// everything queued (at most 256 events) with one
// SELECT pg_notify(...) FROM unnest(...), one transaction. A commit with
// notifications takes a lock that every other notifying commit waits for
// and wakes every listening session, so under load sharing them is what
// keeps up: BenchmarkPublishParallel (64 publishers, docs/benchmarks.md)
// went from 8,600–11,500 events a second, one statement each, to
// 46,700–48,100 batched. An event identical to one already in the batch waits for the
// next statement, since PostgreSQL delivers identical notifications of
// one transaction only once. The envelope, {"v":1,"event":{...}}, is the one every Parley
// broker writes, and the package passes the conformance suite
// broker/brokertest.
//
// # Large events
//
// PostgreSQL refuses a NOTIFY payload of 8000 bytes or more, and a message
// event with a body of chat.MaxBodyBytes (8 KiB) and its conversation does
// not fit. An event whose envelope fits travels inline: one round trip,
// nothing written. A larger one is inserted into the table Prefix +
// "broker_events" (parley_broker_events by default), and the notification
// carries only its row id, in the same statement, so the row is committed
// before any listener hears of it; each listener reads the row on its own
// connection before it delivers the next event, which keeps the order.
// Most events (typing, presence, status changes, the messages people
// actually write) are far below the limit, so only the rare long message
// pays for a write and a read. Splitting large events into several
// notifications instead would need reassembly state per publisher that a
// reconnecting listener could be left holding half of.
//
// The broker creates the table on the first large event unless it exists.
// A database user without the right to create tables can use one made in
// advance, with the right to select, insert and delete on it and to use
// its sequence:
//
//	CREATE UNLOGGED TABLE parley_broker_events (
//		id bigserial PRIMARY KEY,
//		created_at timestamptz NOT NULL DEFAULT now(),
//		payload text NOT NULL
//	);
//	GRANT SELECT, INSERT, DELETE ON parley_broker_events TO shop;
//	GRANT USAGE ON SEQUENCE parley_broker_events_id_seq TO shop;
//
// The table is UNLOGGED: its rows
// live for Config.Retention (a minute) and a server crash, which empties
// it, loses only events that at-most-once delivery may lose. Rows older
// than Retention are deleted by later publishes of large events. Several
// shops share a database by using different Prefixes.
//
// The publishing connections set synchronous_commit off for the same
// reason: a notification is delivered on commit, and need not wait for the
// disk.
//
// # Outages
//
// When the listening connection is lost (the server restarts or fails
// over, the network drops it, an operator terminates its backend, or it
// stays silent and a ping gets no answer) the Broker logs it and connects
// again, with backoff from Config.ReconnectMin to Config.ReconnectMax (at
// once when the lost connection had worked for a while), and LISTENs
// again. Until it listens again, Publish and Subscribe return errors
// wrapping ErrNotListening at once, and the Desk logs "chat: publishing
// event". The same holds when the server cannot be reached at the first
// Subscribe.
//
// Events published by any instance while a listener is down are not
// delivered to that instance's subscribers, then or later. Parley recovers
// from the store, which holds every fact the events report. Call the
// Desk's Resync from Config.OnReconnect, which is called each time the
// listener is back (the Example shows how): the Desk forgets the
// conversations it cached, reads the blocks again at its next check, and
// each connected client is sent, on the connection it has, the stored
// messages it missed in every conversation it follows, once each and in
// order. Without it, a client gets them when it next sends sync (the
// widget and the console do after every reconnect and page load), the
// Desk trusts what it cached for up to chat.Config.ConversationCacheTTL,
// and blocks made meanwhile take effect once they are chat.BlockRefresh
// old. Either way, typing, read and presence signals and queue places of
// the outage are lost; Resync does not send again the status, assignment
// and rating changes made meanwhile, nor the conversations that appeared
// meanwhile: a client has them when it connects again.
//
// The listening connection's application_name is Config.ApplicationName +
// "/listen", so it can be found in pg_stat_activity. It must be a session
// of its own: connect it directly or through a pooler in session mode,
// since a pooler in transaction mode does not keep LISTEN.
package pgnotify
