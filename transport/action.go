package transport

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// MaxActions caps Config.Actions.
const MaxActions = 50

// Action is something the shop's own code does for an agent in a
// conversation: resend an order confirmation, apply a coupon, look up a
// parcel, show a product. The agents' console shows each as a button on
// a conversation; pressing it sends an action frame, and the Server
// checks the shop's permission, runs the action with the conversation
// and its visitor, and posts its result into the conversation.
type Action struct {
	// Name identifies the action in frames: 1 to wire.MaxActionNameBytes
	// of letters, digits, "-" and "_", unique.
	Name string
	// Label is the button's text. Required, at most chat.MaxNameBytes.
	Label string
	// Input, when set, is the prompt of a value the console asks the
	// agent for before it runs the action, such as "Coupon code"; the
	// value reaches Run as ActionRequest.Input. Empty asks for nothing.
	Input string
	// Allow is the shop's permission check: it returns nil to let the
	// agent run the action on this conversation, or an error to refuse
	// (the agent gets the forbidden code; the error is logged, not sent).
	// It runs before every Run. Required: an action that anyone may run
	// says so with a function that returns nil.
	Allow func(ctx context.Context, req ActionRequest) error
	// Run does the action and returns what to post into the
	// conversation. An error refuses it and posts nothing; an error
	// wrapping an *ActionError shows its Message to the agent, any other
	// is logged and the agent is told the action failed. Required.
	//
	// A frame the console sends again after a lost answer runs the
	// action again, and its result is posted once: make actions that
	// change things (a coupon, a refund) safe to repeat, for example by
	// checking first whether they were done.
	Run func(ctx context.Context, req ActionRequest) (ActionResult, error)
}

// ActionRequest is what an action is asked to act on.
type ActionRequest struct {
	// Agent is the agent who pressed the button, as AuthenticateAgent
	// told.
	Agent chat.Agent
	// Conversation is the conversation, as stored; it is not closed.
	Conversation chat.ConversationInfo
	// Visitor is the conversation's visitor, as stored.
	Visitor chat.Visitor
	// Input is what the agent typed for Action.Input; empty when the
	// action asks for nothing. It is the agent's text: check it.
	Input string
}

// ActionResult is what an action posts into the conversation, as a
// message written by the agent who ran it. At least one of Body and Card
// is set.
type ActionResult struct {
	// Body is the message's text, such as "Your order confirmation was
	// sent again to anna@example.com."
	Body string
	// Card is a product to show, with an "add to cart" button.
	Card *chat.ProductCard
	// QuickReplies are answers the visitor can pick with one click.
	QuickReplies []string
	// Internal makes the message a private note, for agents only: the
	// result of a lookup the agent wants to read before answering.
	Internal bool
}

// ActionError is an action's failure that the agent may read, such as
// "No coupon SPRING25". Return it, or an error wrapping it, from
// Action.Run.
type ActionError struct {
	Message string
}

// Error returns the message.
func (e *ActionError) Error() string { return e.Message }

// errForbidden refuses an action the shop's Allow did not allow.
var errForbidden = errors.New("transport: the shop does not allow this agent the action")

// checkActions validates Config.Actions.
func checkActions(actions []Action) error {
	if len(actions) > MaxActions {
		return fmt.Errorf("Config.Actions has %d actions, over the limit of %d", len(actions), MaxActions)
	}
	names := make(map[string]bool, len(actions))
	for i, a := range actions {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("Config.Actions[%d]: "+format, append([]any{i}, args...)...)
		}
		switch {
		case a.Name == "" || len(a.Name) > wire.MaxActionNameBytes || strings.Trim(a.Name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "":
			return bad("Name must be 1 to %d letters, digits, - and _", wire.MaxActionNameBytes)
		case names[a.Name]:
			return bad("Name %q is used twice", a.Name)
		case strings.TrimSpace(a.Label) == "" || len(a.Label) > chat.MaxNameBytes || !utf8.ValidString(a.Label):
			return bad("Label must be 1 to %d bytes of UTF-8", chat.MaxNameBytes)
		case len(a.Input) > chat.MaxNameBytes || !utf8.ValidString(a.Input):
			return bad("Input must be at most %d bytes of UTF-8", chat.MaxNameBytes)
		case a.Allow == nil:
			return bad("Allow is required: the shop's permission check")
		case a.Run == nil:
			return bad("Run is required")
		}
		names[a.Name] = true
	}
	return nil
}

// actionList describes Config.Actions for the agents' welcome.
func (s *Server) actionList() []wire.Action {
	out := make([]wire.Action, 0, len(s.cfg.Actions))
	for _, a := range s.cfg.Actions {
		out = append(out, wire.Action{Name: a.Name, Label: a.Label, Input: a.Input})
	}
	return out
}

// action runs one of the shop's actions for the agent of the session and
// posts its result, answered with an ack of the posted message.
func (ss *session) action(ctx context.Context, conv chat.Conversation, info chat.ConversationInfo, f wire.ClientFrame) (outItem, error) {
	s := ss.srv
	var act *Action
	for i := range s.cfg.Actions {
		if s.cfg.Actions[i].Name == f.Action {
			act = &s.cfg.Actions[i]
		}
	}
	if act == nil {
		return outItem{}, wire.Errorf(wire.CodeNotFound, "no action %.64q", f.Action)
	}
	if info.Status == chat.StatusClosed {
		return outItem{}, fmt.Errorf("%w: conversation %s is closed", chat.ErrClosed, info.ID)
	}
	v, err := s.desk.Visitor(ctx, info.VisitorID)
	if err != nil {
		return outItem{}, err
	}
	req := ActionRequest{Agent: *ss.agent, Conversation: info, Visitor: v, Input: f.Input}
	if err := act.Allow(ctx, req); err != nil {
		s.log.Info("transport: an action refused by the shop", "action", act.Name, "agent", ss.agent.ID, "conversation", info.ID, "err", err)
		return outItem{}, errForbidden
	}
	res, err := act.Run(ctx, req)
	if err != nil {
		var ae *ActionError
		if errors.As(err, &ae) {
			return outItem{}, wire.Errorf(wire.CodeActionFailed, "%s", ae.Message)
		}
		s.log.Error("transport: an action failed", "action", act.Name, "agent", ss.agent.ID, "conversation", info.ID, "err", err)
		return outItem{}, wire.Errorf(wire.CodeActionFailed, "the action failed")
	}
	m, err := conv.Post(ctx, chat.Message{Author: ss.author(), Body: res.Body, Card: res.Card, QuickReplies: res.QuickReplies,
		Internal: res.Internal, IdempotencyKey: f.Key})
	if err != nil {
		if errors.Is(err, chat.ErrInvalid) {
			s.log.Error("transport: an action's result cannot be posted", "action", act.Name, "err", err)
			return outItem{}, wire.Errorf(wire.CodeActionFailed, "the action's result is not a valid message")
		}
		return outItem{}, err
	}
	return outItem{frame: ackFrame(f, m)}, nil
}
