// Command parley-bench measures a Parley server from the outside, over the
// wire protocol of docs/protocol.md, the way browsers and agent consoles
// load it. Shop developers run it against their own deployment; the
// project uses it for the end-to-end figures in docs/benchmarks.md.
//
// It has three subcommands.
//
// # relay: conversations, latency and loss
//
//	parley-bench relay -url http://127.0.0.1:8080 -conversations 500 -per-agent 10 -rate 2000 -duration 10s \
//		-agent-header "Authorization: Bearer TOKEN" -agent-header "X-Bench-Agent: %s"
//
// Each conversation has a visitor connection of its own (hello, start) and
// belongs to an agent console carrying -per-agent conversations; agents say
// hello on the agents' endpoint, authenticated by the -agent-header
// headers with %s replaced by the agent's id, set themselves online and
// take their conversations with assign (or, with -routing, wait for the
// server's router to place them). The visitors then send -rate messages
// per second together, spread evenly over the conversations and over
// time, each with an idempotency key, without waiting for acks (up to 32
// frames in flight per connection, as the protocol allows). With -replies
// each agent answers every message it receives.
//
// A message's body carries its direction, conversation, number and send
// time, so the receiving side measures the latency from the sender's send
// to its own message event. After the run the tool waits up to -grace for
// the last messages; a message the server acked but the other side never
// received is lost. The report gives, per direction: sent, acked,
// delivered, lost, refused (answered with an error), unanswered,
// duplicates and the p50, p90, p99 and maximum latency; besides, the error
// frames by code, the connections the server closed by close code (4001:
// slow consumer), the achieved rate, and with -pid the server's CPU time
// over the run as a percentage of one core and its peak resident memory,
// read from /proc. -json prints the same as JSON.
//
// Every agent console receives every conversation's messages (agents see
// the whole shop), so a run with many consoles multiplies the server's
// writes; a message counts once, at the console that carries its
// conversation.
//
// # idle: connections held and memory per connection
//
//	parley-bench idle -url http://127.0.0.1:8080 -conns 10000 -rate 1000 -pid PID
//
// Opens -conns visitor connections at most -rate per second, each saying
// hello and then only answering pings. Connections come from -sources
// loopback addresses (127.0.0.2 and up, four by default, about 28,000
// ephemeral ports each) so that 100,000 connections to a server on
// 127.0.0.1 do not run out of ports. The command raises its own open-file
// limit (RLIMIT_NOFILE) as far as the system lets it, and says so. It
// reports the connections held, the failures by cause (EADDRNOTAVAIL,
// EMFILE, timeout, an HTTP status, a refused hello's error code) and, with
// -pid, the growth of the server's resident memory per connection.
//
// # serve: the reference server
//
//	parley-bench serve -store sqlite:/tmp/bench.db -token secret
//
// A chat.Desk and a transport.Server mounted as docs/getting-started.md
// shows, over the memory store, an SQLite file, PostgreSQL or MySQL, with
// agents authenticated by the shared token. It prints its pid, its address
// and the relay and idle command lines that load it. Only serve compiles
// the server: relay and idle speak the protocol through package wire and
// a WebSocket client, as any other client would.
package main
