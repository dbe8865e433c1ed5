// Command customrouter shows a shop's own routing rule as a chat.Router of a
// few lines: conversations of VIP customers go to a senior agent when one can
// take them, everything else to the least busy agent.
//
//	go run ./examples/customrouter
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/route"
	"github.com/parleychat/parley/store/memory"
)

// vipRouter sends the conversations of customers for whom isVIP is true to
// the first of seniors who is a candidate. Other conversations, and a VIP's
// when no senior can take it, go to the least busy candidate.
//
// The Router sees the conversation, not the visitor, so it looks the visitor
// up in the store; the Desk has already checked that the visitor exists.
func vipRouter(visitors chat.VisitorStore, isVIP func(customerID string) bool, seniors ...string) chat.Router {
	return chat.RouterFunc(func(ctx context.Context, req chat.RouteRequest) (string, error) {
		v, err := visitors.Visitor(ctx, req.Conversation.VisitorID)
		if err != nil {
			return "", err
		}
		if v.CustomerID != "" && isVIP(v.CustomerID) {
			if id, _ := route.Prefer(seniors).Route(ctx, req); id != "" {
				return id, nil
			}
		}
		return route.LeastBusy{}.Route(ctx, req)
	})
}

// newDesk returns a Desk over store that routes with vipRouter: customer
// "c-1" is a VIP and "marek" is the senior agent.
func newDesk(store chat.Store) (*chat.Desk, error) {
	vips := map[string]bool{"c-1": true}
	return chat.NewDesk(chat.Config{
		Store:  store,
		Router: vipRouter(store, func(id string) bool { return vips[id] }, "marek"),
	})
}

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "customrouter:", err)
		os.Exit(1)
	}
}

// run starts one chat for a VIP and one for an ordinary customer and prints
// who got each.
func run(ctx context.Context) error {
	desk, err := newDesk(memory.New())
	if err != nil {
		return err
	}
	defer desk.Close(ctx)
	for _, a := range []chat.Agent{{ID: "ania", Name: "Ania"}, {ID: "marek", Name: "Marek"}} {
		if err := desk.SaveAgent(ctx, a); err != nil {
			return err
		}
		if _, err := desk.SetAgentStatus(ctx, a.ID, chat.AgentOnline); err != nil {
			return err
		}
	}
	for _, customer := range []chat.Visitor{{Name: "Vera", CustomerID: "c-1"}, {Name: "Tom", CustomerID: "c-2"}} {
		v, err := desk.SaveVisitor(ctx, customer)
		if err != nil {
			return err
		}
		conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
		if err != nil {
			return err
		}
		info, err := conv.Info(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("%s -> %s\n", v.Name, info.AgentID)
	}
	return nil
}
