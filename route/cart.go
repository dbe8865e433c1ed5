package route

import (
	"context"

	"github.com/parleychat/parley/chat"
)

// CartValue routes by what the visitor has in their cart, as the shop's
// chat.Config.Carts tells it (chat.RouteRequest.Shop): a cart worth at
// least Min, in Min's currency, goes to Large, for example a
// Prefer{"senior-1", "senior-2"} of the senior team; any other cart, and
// a visitor without one, to Small. A cart in another currency counts as
// small. A nil router answers "", which leaves the conversation queued;
// wrap it in a Chain to fall back instead.
type CartValue struct {
	Min   chat.Money  // the smallest large cart
	Large chat.Router // routes conversations of large carts
	Small chat.Router // routes the rest
}

var _ chat.Router = CartValue{}

// Route asks Large or Small.
func (c CartValue) Route(ctx context.Context, req chat.RouteRequest) (string, error) {
	r := c.Small
	if cart := req.Shop.Cart; cart != nil && cart.Value.AtLeast(c.Min) {
		r = c.Large
	}
	if r == nil {
		return "", nil
	}
	return r.Route(ctx, req)
}
