// Package route holds ready-made routing policies for Parley: values that
// implement [chat.Router] and decide which agent takes a conversation.
//
// Set one in [chat.Config.Router]:
//
//	desk, err := chat.NewDesk(chat.Config{
//		Store:  store,
//		Router: &route.RoundRobin{},
//	})
//
// # Policies
//
//   - [RoundRobin] takes turns: each conversation goes to the candidate who
//     got one least recently, so every instance of a shop follows one
//     rotation; among equals, the one after the last chosen in ID order.
//   - [LeastBusy] gives the conversation to the candidate with the fewest open
//     conversations.
//   - [Prefer] names agents in order of preference: the first of them who can
//     take the conversation gets it.
//   - [Departments] picks a router by the conversation's department (the topic
//     the visitor chose), with a Default for the rest.
//   - [Sticky] sends a returning visitor back to the agent who served them
//     last time.
//   - [Chain] tries routers in turn until one makes a choice.
//
// # Combining them
//
// Every router answers with the ID of one of the request's candidates, or ""
// for "no choice": the Desk then leaves the conversation queued until an
// agent frees up. [Chain] turns "no choice" into "ask the next router", which
// is how the policies combine. A router field left nil answers "" as well, so
// a policy on its own never assigns by accident, and inside a Chain it hands
// over to what follows:
//
//	router := route.Chain(
//		route.Sticky{Store: store, Within: 30 * 24 * time.Hour},
//		route.Departments{Routes: map[string]chat.Router{
//			"wholesale": route.Prefer{"olga", "jan"},
//		}},
//		route.LeastBusy{},
//	)
//
// A shop's own rule is a few lines with [chat.RouterFunc]; see the examples.
//
// # What the Desk has already done
//
// The Desk passes only candidates who are online, serve the conversation's
// department and have room under their Capacity, ordered by agent ID (see
// [chat.RouteRequest]), and it serializes calls to the Router. The routers
// here do not filter again. [RoundRobin] keeps state between calls and guards
// it with a mutex anyway, so one value may also be shared by several Desks.
package route
