// Package transport serves Parley's realtime protocol to browsers: the
// visitors' widget and the agents' console. It is two plain
// [http.Handler] values that the shop mounts on its own mux; it never
// starts a server, owns a route outside its prefixes or has a login of its
// own.
//
// # Using it, in order
//
// 1. Build a Server from a [chat.Desk], a secret of at least
// [MinSecretBytes] random bytes (the same on every instance and across
// restarts) and the shop's own staff authentication:
//
//	srv, err := transport.New(transport.Config{
//		Desk:              desk,
//		Secret:            secret,
//		AuthenticateAgent: staffFromSession,
//	})
//
// New checks the Config and returns an error wrapping [chat.ErrInvalid]
// that names a bad field; every other zero field means the default named
// after it (DefaultHeartbeatInterval and so on).
//
// 2. Mount the two sides under any prefixes, each behind whatever
// middleware the shop uses for it:
//
//	mux.Handle("/chat/", http.StripPrefix("/chat", srv.VisitorHandler()))
//	mux.Handle("/staff/chat/", http.StripPrefix("/staff/chat", srv.AgentHandler()))
//
// The handlers work with http.ServeMux, chi, gorilla/mux or any router.
// AgentHandler calls Config.AuthenticateAgent on every request and panics
// when it is nil.
//
// 3. Identify logged-in customers from the shop's own session: set
// Config.IdentifyVisitor to read the customer from the request, as the
// shop's own pages do. The chat's requests carry the shop's cookies when
// it is mounted on the shop's own host, so nothing goes into the pages. A
// hello of a browser whose customer logged out, or of another customer,
// gets another visitor, who does not see the customer's conversations; a
// customer is one visitor on every device, and an anonymous visitor who
// logs in brings their conversations along. (A shop whose chat is on
// another host signs an [Identity] with [SignIdentity] instead, for the
// widget's data-identity attribute on every page.) Anonymous visitors
// need nothing.
//
// 4. Optionally wrap the shop's pages in [Server.TrackPages], so that the
// pages a visitor opens are recorded on the server, for the agents' live
// list, also where the widget's script is blocked.
//
// 5. Watch it: [Server.Stats] counts open connections for health checks.
//
// 6. Stop it: call [Server.Shutdown] before http.Server.Shutdown, which does
// not wait for WebSocket or SSE connections.
//
// # Transports
//
// Each client connects over WebSocket (github.com/coder/websocket) or, where
// a proxy blocks WebSocket, over Server-Sent Events for the server's frames
// and POSTs for its own. Both carry the same JSON frames ([wire.ClientFrame],
// [wire.ServerFrame]), described in docs/protocol.md together with every error
// code and close code.
//
// # Guarantees
//
//   - A message is acked only after the store has committed it; resending
//     it with the same idempotency key after a lost ack never stores it
//     twice, and a different message with a used key is refused
//     (key_reused) rather than acked.
//   - A client that reconnects and syncs from the last seq it saw gets
//     exactly what it missed, in order, then live traffic.
//   - A client may send frames without waiting for answers, which come in
//     the order of the frames. The server holds at most 32 frames of a
//     connection and stops reading it while it does, so a client that
//     sends faster than it reads is slowed down, not disconnected.
//   - Live events wait for a connection in a bounded queue; a client that
//     does not read them is disconnected (it resumes) and never slows
//     anyone else down.
//   - Heartbeats drop dead peers within Config.HeartbeatTimeout.
//   - Shutdown finishes the frames in hand, tells every client to reconnect
//     and waits for the connections to close.
//   - An agent stays online while an instance holds a presence lease on
//     them (see chat.AgentLeaseStore): closing one of two consoles on two
//     instances keeps them online, and the agents of an instance that
//     crashed go offline once their leases run out.
//
// # Identity and security
//
// Visitors are anonymous by default: the welcome frame hands the widget a
// signed visitor token to keep. A shop identifies a logged-in customer with
// Config.IdentifyVisitor, from its own session, or with [SignIdentity];
// agents then see the customer's name. Agents are whoever
// Config.AuthenticateAgent says they are, from the shop's own session, on
// every request. A visitor can reach only their own conversations, and
// cannot tell whether another visitor's conversation id exists.
// Requests from pages on other origins are refused unless
// Config.AllowedOrigins allows them (the first refusal of each origin is
// logged), and every connection is bounded in frame size, rate and queue
// length. docs/security.md has the details.
//
// Agents block abusive visitors (by visitor, customer id, email or IP
// network, for a time or until lifted; see chat.Block): a blocked
// visitor's hello, and every frame of a visitor blocked while connected,
// is refused with the blocked code and nothing of theirs is stored.
// Config.ClientIP says where a request comes from behind the shop's own
// proxy, and Config.CheckVisitor adds the shop's own refusals.
//
// # The agents' console
//
// Agents see who is on the site: each visitor with an open connection,
// the page they are on, the pages of their visit, how long they have been
// there, whether they are chatting and whether they came before (see
// wire.VisitorState). The shop tells who a customer is, with their latest
// orders and their cart, through chat.Config.Customers and Carts, which
// the console shows as lists; Config.VisitorContext adds anything else,
// as JSON. With several
// instances behind a load balancer, every agent sees every visitor: who is
// on the site is kept in the store as presence leases (chat.VisitStore),
// and each change of a visitor's entry travels to the other instances
// through the Desk's broker.
//
// An agent's connection receives the events of the agent's own
// conversations and of those the console has open (a sync of another's
// watches it until unwatch), and the rest of the shop (the queue, offline
// requests, other agents' chats) as conversations summaries, at most one
// per Config.SummaryInterval; so a message costs one frame per agent who
// shows its conversation, not one per agent online. Config.Supervisor
// names the agents who follow every event instead. docs/protocol.md
// describes what an agent connection receives.
//
// The server can also invite visitors to chat on its own, by rules the
// shop writes in Go (Config.Invitations): a product page for 30 seconds, a
// returning visitor, a full cart. An accepted invitation starts a
// conversation whose first message is the invitation. Each rule invites a
// visitor at most once per visit, across instances and restarts.
//
// The shop's own code reaches out too: Server.Trigger invites a visitor,
// or opens a chat with them, on the shop's events (a declined card, an
// error at checkout), limited per visit in the store. Config.Actions are
// the shop's functions that agents run from the console, after the
// shop's own permission check; their results are posted into the
// conversation and may carry a product card and quick replies.
// docs/shop-integration.md shows each hook.
//
// # Web clients
//
// The handlers also serve the clients, embedded in the package: the chat
// widget at GET /widget.js of the visitors' handler, which a shop page
// loads with
//
//	<script src="/chat/widget.js" async></script>
//
// and the agents' console at GET / of the agents' handler (for example
// /staff/chat/), behind the same authentication as the rest of that side.
// docs/widget.md lists the widget's settings, languages and JavaScript API.
package transport
