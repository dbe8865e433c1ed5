package route_test

import (
	"context"
	"fmt"
	"time"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/route"
	"github.com/parleychat/parley/store/memory"
)

// A shop writes its own rule in a few lines with chat.RouterFunc: VIP
// customers go to a senior agent when one is free, everyone else to the
// least busy agent.
func Example_vip() {
	ctx := context.Background()
	vips := map[string]bool{"1042": true} // the shop's own customer ids
	st := memory.New()

	vip := chat.RouterFunc(func(ctx context.Context, req chat.RouteRequest) (string, error) {
		v, err := st.Visitor(ctx, req.Conversation.VisitorID)
		if err != nil || !vips[v.CustomerID] {
			return "", err
		}
		return route.Prefer{"olga"}.Route(ctx, req)
	})
	desk, _ := chat.NewDesk(chat.Config{Store: st, Router: route.Chain(vip, route.LeastBusy{})})
	defer desk.Close(ctx)

	for _, id := range []string{"jan", "olga"} {
		_ = desk.SaveAgent(ctx, chat.Agent{ID: id, Name: id})
		_, _ = desk.SetAgentStatus(ctx, id, chat.AgentOnline)
	}
	for _, customer := range []string{"7", "1042", "8"} {
		v, _ := desk.SaveVisitor(ctx, chat.Visitor{CustomerID: customer})
		conv, _ := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
		info, _ := conv.Info(ctx)
		fmt.Println("customer", customer, "→", info.AgentID)
	}
	// Output:
	// customer 7 → jan
	// customer 1042 → olga
	// customer 8 → jan
}

// RoundRobin takes turns over the agents who can take a conversation.
func ExampleRoundRobin() {
	rr := &route.RoundRobin{}
	req := chat.RouteRequest{Candidates: []chat.Candidate{
		{Agent: chat.Agent{ID: "anna"}}, {Agent: chat.Agent{ID: "jan"}}, {Agent: chat.Agent{ID: "olga"}},
	}}
	for range 4 {
		id, _ := rr.Route(context.Background(), req)
		fmt.Println(id)
	}
	// Output:
	// anna
	// jan
	// olga
	// anna
}

// LeastBusy prefers the agent with the fewest open conversations, then the
// one with the most room for their capacity.
func ExampleLeastBusy() {
	req := chat.RouteRequest{Candidates: []chat.Candidate{
		{Agent: chat.Agent{ID: "anna", Capacity: 4}, Active: 2},
		{Agent: chat.Agent{ID: "jan", Capacity: 3}, Active: 3},
		{Agent: chat.Agent{ID: "olga", Capacity: 10}, Active: 2},
	}}
	id, _ := route.LeastBusy{}.Route(context.Background(), req)
	fmt.Println(id)
	// Output: olga
}

// Departments sends wholesale questions to the wholesale team, in order of
// preference and then to whoever is least busy; everything else rotates.
func ExampleDepartments() {
	router := route.Departments{
		Routes: map[string]chat.Router{
			"wholesale": route.Chain(route.Prefer{"olga", "jan"}, route.LeastBusy{}),
		},
		Default: &route.RoundRobin{},
	}
	cands := []chat.Candidate{{Agent: chat.Agent{ID: "anna"}}, {Agent: chat.Agent{ID: "jan"}}}
	for _, dep := range []string{"wholesale", "delivery", "delivery"} {
		id, _ := router.Route(context.Background(), chat.RouteRequest{
			Conversation: chat.ConversationInfo{Department: dep},
			Candidates:   cands,
		})
		fmt.Println(dep, "→", id)
	}
	// Output:
	// wholesale → jan
	// delivery → anna
	// delivery → jan
}

// Sticky sends a returning visitor back to the agent of their last
// conversation, if it ended less than a month ago and the agent is free.
func ExampleSticky() {
	ctx := context.Background()
	st := memory.New()
	desk, _ := chat.NewDesk(chat.Config{
		Store:  st,
		Router: route.Sticky{Store: st, Within: 30 * 24 * time.Hour, Next: &route.RoundRobin{}},
	})
	defer desk.Close(ctx)
	for _, id := range []string{"anna", "jan"} {
		_ = desk.SaveAgent(ctx, chat.Agent{ID: id, Name: id})
		_, _ = desk.SetAgentStatus(ctx, id, chat.AgentOnline)
	}
	first, _ := desk.SaveVisitor(ctx, chat.Visitor{Name: "Ewa"})
	second, _ := desk.SaveVisitor(ctx, chat.Visitor{Name: "Tomasz"})
	for _, v := range []chat.Visitor{first, second, second, first} {
		conv, _ := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
		info, _ := conv.Info(ctx)
		_, _ = conv.Close(ctx)
		fmt.Println(v.Name, "→", info.AgentID)
	}
	// Output:
	// Ewa → anna
	// Tomasz → jan
	// Tomasz → jan
	// Ewa → anna
}
