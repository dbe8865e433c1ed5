// Package wire holds Parley's realtime protocol as Go types: the frames a
// widget, a console or any other client sends ([ClientFrame]) and receives
// ([ServerFrame]), the frame type names, the stable error codes and the
// decoder the server itself uses ([DecodeClientFrame]).
//
// It is the package a Go client imports to speak to a Parley server
// without compiling the server: a load generator, a bot connecting from
// another process, an integration test. It depends only on the domain
// types of package chat; the WebSocket and SSE handlers live in package
// transport.
//
// A frame is one JSON object per WebSocket text message, or per SSE event
// and POST body. docs/protocol.md describes every frame, the order of
// answers and the limits:
//
//	hello := wire.ClientFrame{Type: wire.FrameHello, V: wire.ProtocolVersion}
//	data, _ := json.Marshal(hello)
//	// write data as a text message, then read the welcome:
//	var welcome wire.ServerFrame
//	_ = json.Unmarshal(reply, &welcome)
//
// Errors come back as a frame of type [FrameError] whose [ErrorBody]
// carries one of the Code constants; clients switch on the code, never on
// the message.
package wire
