// Package transport serves Parley's realtime protocol to browsers: the
// visitors' widget and the agents' console. A shop mounts two plain
// http.Handlers on its own mux, under any prefix:
//
//	srv, err := transport.New(transport.Config{
//		Desk:              desk,
//		Secret:            secret,
//		AuthenticateAgent: staffFromSession,
//	})
//	mux.Handle("/chat/", http.StripPrefix("/chat", srv.VisitorHandler()))
//	mux.Handle("/staff/chat/", http.StripPrefix("/staff/chat", srv.AgentHandler()))
//
// and calls Shutdown before the process exits. The handlers work with
// http.ServeMux, chi, gorilla/mux or any router, and the two sides can sit
// behind different middleware.
//
// # Transports
//
// Each client connects over WebSocket (github.com/coder/websocket) or, where
// a proxy blocks WebSocket, over Server-Sent Events for the server's frames
// and POSTs for its own. Both carry the same JSON frames, described in
// docs/protocol.md together with every error code and close code.
//
// # Guarantees
//
//   - A message is acked only after the store has committed it; resending
//     it with the same idempotency key after a lost ack never stores it
//     twice.
//   - A client that reconnects and syncs from the last seq it saw gets
//     exactly what it missed, in order, then live traffic.
//   - Each connection has a bounded queue; a client that falls behind is
//     disconnected (it resumes) and never slows anyone else down.
//   - Heartbeats drop dead peers within Config.HeartbeatTimeout.
//   - Shutdown finishes the frames in hand, tells every client to reconnect
//     and waits for the connections to close.
//
// # Identity
//
// Visitors are anonymous by default: the welcome frame hands the widget a
// signed visitor token to keep. A shop identifies a logged-in customer by
// signing an Identity with SignIdentity on its server and passing the token
// to the widget; agents then see the customer's name. Agents are whoever
// Config.AuthenticateAgent says they are, from the shop's own session, on
// every request. A visitor can reach only their own conversations.
//
// # The agents' console
//
// Agents see who is on the site: each visitor with an open connection,
// the page they are on, the pages of their visit, how long they have been
// there, whether they are chatting and whether they came before (see
// VisitorState). The shop adds its own view of the visitor, such as the
// cart and recent orders, with Config.VisitorContext. The list is kept by
// each Server for the visitors connected to it: with several instances
// behind a load balancer, an agent sees the visitors of their instance.
//
// The server can also invite visitors to chat on its own, by rules the
// shop writes in Go (Config.Invitations): a product page for 30 seconds, a
// returning visitor, a full cart. An accepted invitation starts a
// conversation whose first message is the invitation.
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
