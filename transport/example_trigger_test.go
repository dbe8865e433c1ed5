package transport_test

import (
	"context"
	"encoding/json"
	"errors"
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

// The shop's checkout declines a card and invites the customer to chat:
// the widget, here a WebSocket client, is shown the invitation at once,
// and a second decline in the same visit is refused by the limits.
func ExampleServer_Trigger() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	if err != nil {
		log.Fatal(err)
	}
	defer desk.Close(ctx)
	secret := []byte("use 32 or more random bytes here!!")
	srv, err := transport.New(transport.Config{Desk: desk, Secret: secret})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(ctx)
	mux := http.NewServeMux()
	mux.Handle("/chat/", http.StripPrefix("/chat", srv.VisitorHandler()))
	web := httptest.NewServer(mux)
	defer web.Close()

	// The customer's page: its widget says hello with their identity.
	identity, err := transport.SignIdentity(secret, transport.Identity{CustomerID: "c-1", Name: "Anna", Expires: time.Now().Add(time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(web.URL, "http")+"/chat/ws", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	hello, _ := json.Marshal(wire.ClientFrame{Type: wire.FrameHello, V: wire.ProtocolVersion, Identity: identity})
	if err := c.Write(ctx, websocket.MessageText, hello); err != nil {
		log.Fatal(err)
	}
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
	next(wire.FrameWelcome)

	// The shop's own code, where the payment provider said no.
	declined := transport.Trigger{CustomerID: "c-1", Reason: transport.ReasonPaymentDeclined, Message: "Your card was declined. Can we help?"}
	if _, err := srv.Trigger(ctx, declined); err != nil {
		log.Fatal(err)
	}
	fmt.Println("widget shows:", next(wire.FrameInvite).Body)

	_, err = srv.Trigger(ctx, declined)
	var limited *transport.TriggerLimitError
	if errors.As(err, &limited) {
		fmt.Println("again:", errors.Is(err, transport.ErrTriggerLimited), limited.Why)
	}
	// Output:
	// widget shows: Your card was declined. Can we help?
	// again: true reason
}
