package transport_test

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/transport"
)

func ExampleNew() {
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := transport.New(transport.Config{
		Desk:   desk,
		Secret: []byte("use 32 or more random bytes here!!"),
		AuthenticateAgent: func(r *http.Request) (chat.Agent, error) {
			// Read the shop's own staff session here.
			if r.Header.Get("X-Staff") == "" {
				return chat.Agent{}, errors.New("not logged in")
			}
			return chat.Agent{ID: r.Header.Get("X-Staff"), Name: "Olga"}, nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/chat/", http.StripPrefix("/chat", srv.VisitorHandler()))
	mux.Handle("/staff/chat/", http.StripPrefix("/staff/chat", srv.AgentHandler()))
	fmt.Println("mounted")
	// Output: mounted
}

func ExampleSignIdentity() {
	secret := []byte("use 32 or more random bytes here!!")
	token, err := transport.SignIdentity(secret, transport.Identity{
		CustomerID: "c-1042",
		Name:       "Anna Kowalska",
		Email:      "anna@example.com",
		Expires:    time.Now().Add(time.Hour),
	})
	if err != nil {
		log.Fatal(err)
	}
	// Hand the token to the widget, for example in a data-identity attribute.
	fmt.Println(token != "")
	// Output: true
}
