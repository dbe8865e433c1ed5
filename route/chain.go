package route

import (
	"context"

	"github.com/parleychat/parley/chat"
)

// Chain returns a router that asks each of routers in turn and returns the
// first answer that is not "". An error stops the chain and is returned.
// Nil routers are skipped. When every router answers "", so does the chain,
// and the conversation stays queued.
func Chain(routers ...chat.Router) chat.Router {
	rs := make([]chat.Router, 0, len(routers))
	for _, r := range routers {
		if r != nil {
			rs = append(rs, r)
		}
	}
	return chain(rs)
}

type chain []chat.Router

func (c chain) Route(ctx context.Context, req chat.RouteRequest) (string, error) {
	for _, r := range c {
		id, err := r.Route(ctx, req)
		if err != nil || id != "" {
			return id, err
		}
	}
	return "", nil
}
