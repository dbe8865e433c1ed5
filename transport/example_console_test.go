package transport_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/wire"
)

// shopCart is what the shop tells agents about a visitor.
type shopCart struct {
	Items int    `json:"items"`
	Total string `json:"total"`
}

// Configure the agent console: the shop's view of each visitor on the
// live list, invitations to chat, and canned responses.
func ExampleInvitationRule() {
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := transport.New(transport.Config{
		Desk:   desk,
		Secret: []byte("use 32 or more random bytes here!!"),
		AuthenticateAgent: func(r *http.Request) (chat.Agent, error) {
			return chat.Agent{ID: "olga", Name: "Olga"}, nil // the shop's staff session
		},
		VisitorContext: func(ctx context.Context, v chat.Visitor) (any, error) {
			// Look the customer up in the shop's own database.
			return shopCart{Items: 2, Total: "1299.00 PLN"}, nil
		},
		Invitations: []transport.InvitationRule{
			{Name: "product help", Message: "Need help choosing a bike?", From: "Olga",
				Path: "/p/*", MinTimeOnPage: 30 * time.Second},
			{Name: "full cart", Message: "Free delivery on orders like yours today. Questions?",
				When: func(v wire.VisitorState) bool {
					cart, ok := v.ContextValue.(shopCart)
					return ok && cart.Items >= 3
				}},
		},
		CannedResponses: []wire.CannedResponse{
			{Shortcut: "hello", Text: "Hello {name}, this is {agent}. How can I help?"},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/chat/", http.StripPrefix("/chat", srv.VisitorHandler()))
	mux.Handle("/staff/chat/", http.StripPrefix("/staff/chat", srv.AgentHandler()))
	fmt.Println("console configured")
	// Output: console configured
}
