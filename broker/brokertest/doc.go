// Package brokertest is the conformance suite for [chat.Broker]. Every
// broker that ships with Parley runs it, chat.LocalBroker included, and a
// shop that writes its own broker runs the same cases against it.
//
// # Running the suite
//
// Call [Run] from a test in the package that implements the broker. The
// function passed to Run returns a new client of one shared network each
// time it is called: the suite calls it several times per case to play
// several instances of a shop, and every broker it returns must reach every
// other:
//
//	func TestBroker(t *testing.T) {
//		url := os.Getenv("MYBROKER_URL")
//		if url == "" {
//			t.Skip("MYBROKER_URL is not set")
//		}
//		newBroker := func(tb testing.TB) chat.Broker {
//			b, err := mybroker.New(mybroker.Config{URL: url})
//			if err != nil {
//				tb.Fatal(err)
//			}
//			tb.Cleanup(func() { b.Close(context.Background()) })
//			return b
//		}
//		brokertest.Run(t, newBroker, brokertest.Capabilities{})
//	}
//
// Every case marks its events with a fresh random id and looks only at
// those, so the brokers may carry other traffic at the same time. The
// cases, grouped by subtest name:
//
//   - Delivery: every subscriber, on the publishing broker and on others,
//     receives every event once with every field as published (times are
//     compared after [chat.Timestamp], so a broker may drop the zone and
//     what is finer than a microsecond); a message of [chat.MaxBodyBytes];
//     the order of one publisher kept; concurrent publishers on several
//     brokers.
//   - Lifecycle: once stop returns, deliver is not called again; stop may
//     be called twice, also at once; stopping one subscription leaves the
//     others; a broker takes a new subscription after its last one
//     stopped. A broker with a Close(ctx) error method (see [Closer]) ends
//     its subscriptions on Close, fails later calls with [chat.ErrClosed],
//     and takes a second Close.
//   - Context: Publish and Subscribe with a context that is done fail with
//     its error and do nothing; the context of Subscribe bounds the call,
//     not the subscription.
//   - Desks: three [chat.Desk] values on one store, each with a broker of
//     its own, hear each other's events through Desk.Subscribe.
//   - Reconnect: with [Capabilities].NewCuttable, a broker whose
//     connection is cut fails Publish while it is down, then reconnects by
//     itself and delivers again. [Proxy] cuts a TCP connection for real.
//   - Leak: a broker that was used, stopped and closed leaves no goroutine
//     behind. This case counts the goroutines of the whole process, so call
//     Run from a test that does not run in parallel with others.
//
// # Benchmarks
//
// [Benchmark] measures the latency from Publish on one broker to delivery
// on another and reports its median and 99th percentile.
package brokertest
