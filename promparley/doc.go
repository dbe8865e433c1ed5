// Package promparley measures a Parley instance for Prometheus: connections,
// messages, conversations, the queue, agents, the Broker and the Store, each
// labelled with the instance that reports it.
//
// Nothing in Parley measures itself: a shop that wants numbers builds a
// Metrics with its own prometheus.Registerer, wraps its Store and Broker
// with it before building the Desk, and hands it the Desk and the
// transport.Server to watch. A shop that does not import this package does
// not compile Prometheus.
//
//	reg := prometheus.NewRegistry()
//	m, err := promparley.New(promparley.Config{Instance: "web-1", Registerer: reg})
//	...
//	desk, err := chat.NewDesk(chat.Config{
//		Store:  m.Store(store),
//		Broker: m.Broker(broker), // nil: a LocalBroker, for one instance
//	})
//	...
//	srv, err := transport.New(transport.Config{Desk: desk, ...})
//	...
//	err = m.Watch(desk, srv)
//	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Gauges are read when Prometheus scrapes: connection counts from
// transport.Server.Stats, the queue from Desk.Queue, agents by status from
// the Store. Counters of messages and conversations are counted where the
// Desk publishes its events, in the Broker wrapper, so that each instance
// counts what it did and a sum over the fleet counts each event once (a
// subscription to TopicAll would see every instance's events on each).
// docs/operating.md lists every metric.
package promparley
