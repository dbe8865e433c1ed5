// Package webhook tells the shop's other systems what happens in the chat:
// it POSTs a signed JSON delivery to each subscribed URL when a
// conversation starts, an offline request arrives, a message is stored, a
// conversation is assigned, closed or rated.
//
// # Sending
//
// A Webhooks is the Desk's Config.Recorder: the Desk hands it each stored
// fact, and it adds a delivery per subscribed endpoint to the outbox in the
// Store (chat.OutboxStore), one write, without waiting on the endpoints.
// Run, started once per instance, delivers them:
//
//	hooks, err := webhook.New(webhook.Config{
//		Store: store, // the Desk's store; memory or sqlstore
//		Endpoints: []webhook.Endpoint{{
//			Name:   "crm",
//			URL:    "https://crm.example.com/parley",
//			Secret: secret, // 32 random bytes, shared with the receiver
//		}},
//	})
//	desk, err := chat.NewDesk(chat.Config{Store: store, Recorder: hooks})
//	go hooks.Run(ctx)
//
// A delivery is attempted until the endpoint answers 2xx, with waits that
// double from Config.MinRetry to Config.MaxRetry, up to
// Config.MaxAttempts. Each attempt claims the delivery in the store with
// a lease, so that of the instances sharing the store one at a time
// attempts it; a delivery of an instance that crashed is taken over when
// its lease ends. Delivery is at least once: the same delivery may arrive
// twice, always with the same id.
//
// Endpoints on loopback, private and link-local networks are refused
// unless Config.AllowPrivateNetworks is set. The address is checked when
// the connection is made, after the name is resolved.
//
// # Receiving
//
// Every delivery carries SignatureHeader, "t=<unix seconds>,v1=<hex>", the
// HMAC-SHA256 of the seconds, a full stop and the body, keyed with the
// endpoint's secret. Verify checks it and the time; see the example.
package webhook
