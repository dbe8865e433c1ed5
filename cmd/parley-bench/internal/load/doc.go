// Package load is parley-bench's client side: it loads a Parley server
// over the wire protocol as browsers and agent consoles do, and measures
// what comes back.
//
// Relay runs one-to-one conversations between visitor connections and
// agent consoles, sending at a fixed rate with pipelining and idempotency
// keys, and reports latency, loss, errors and closed connections. Idle
// holds idle visitor connections and reports how many the server keeps
// and its memory per connection. Both read the server's CPU time and
// memory from /proc when given its pid.
//
// The package speaks the protocol through package wire and a WebSocket
// client only; it compiles none of the server (a test holds this), so
// what it measures is what any other client would see.
package load
