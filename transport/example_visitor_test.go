package transport_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// A visitor's whole round trip over a real WebSocket: hello, start a
// conversation, send a message, resend it after a lost ack. The resent
// message is acked with the original id and stored once. No agent is
// online, so the conversation is an offline request: it starts waiting.
func Example_visitor() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	if err != nil {
		log.Fatal(err)
	}
	defer desk.Close(ctx)
	srv, err := transport.New(transport.Config{Desk: desk, Secret: []byte("use 32 or more random bytes here!!")})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/chat/", http.StripPrefix("/chat", srv.VisitorHandler()))
	web := httptest.NewServer(mux)
	defer web.Close()

	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(web.URL, "http")+"/chat/ws", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	send := func(f wire.ClientFrame) {
		b, _ := json.Marshal(f)
		if err := c.Write(ctx, websocket.MessageText, b); err != nil {
			log.Fatal(err)
		}
	}
	// next returns the next frame of type typ, skipping events.
	next := func(typ string) wire.ServerFrame {
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				log.Fatal(err)
			}
			var f wire.ServerFrame
			if err := json.Unmarshal(b, &f); err != nil {
				log.Fatal(err)
			}
			if f.Type == typ {
				return f
			}
		}
	}

	send(wire.ClientFrame{Type: wire.FrameHello, V: wire.ProtocolVersion})
	welcome := next(wire.FrameWelcome)
	fmt.Println("welcome with a visitor token:", welcome.Token != "")
	fmt.Println("visitors connected:", srv.Stats().Visitors)

	send(wire.ClientFrame{Type: wire.FrameStart, ID: "1"})
	started := next(wire.FrameStarted)
	fmt.Println("started:", started.Conversation.Status)

	msg := wire.ClientFrame{Type: wire.FrameSend, ID: "2", ConversationID: started.ConversationID, Key: "m-1", Body: "Is the teapot induction-safe?"}
	send(msg)
	ack := next(wire.FrameAck)
	fmt.Println("acked as seq", ack.Seq)
	send(msg) // as if the first ack had been lost
	again := next(wire.FrameAck)
	fmt.Println("resent, same message:", again.MessageID == ack.MessageID)

	_ = c.Close(websocket.StatusNormalClosure, "")
	if err := srv.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// welcome with a visitor token: true
	// visitors connected: 1
	// started: waiting
	// acked as seq 1
	// resent, same message: true
}
