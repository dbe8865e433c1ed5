package transport

import (
	"context"
	"errors"
	"slices"

	"github.com/parleychat/parley/chat"
)

// MaxHistory is how many of a visitor's conversations a history frame
// lists at most.
const MaxHistory = 50

// history answers an agent's history frame: the visitor's conversations,
// newest first, at most MaxHistory of them. They are taken from the
// visitor's first chat.MaxPageSize conversations, which is every
// conversation of any visitor but a pathological one.
func (s *Server) history(ctx context.Context, f ClientFrame) (outItem, error) {
	if _, err := s.desk.Visitor(ctx, f.VisitorID); err != nil {
		if errors.Is(err, chat.ErrNotFound) {
			return outItem{}, protoErr(CodeNotFound, "no such visitor")
		}
		return outItem{}, err
	}
	convs, err := s.desk.Conversations(ctx, chat.ConversationFilter{VisitorID: f.VisitorID, Limit: chat.MaxPageSize})
	if err != nil {
		return outItem{}, err
	}
	slices.Reverse(convs)
	if len(convs) > MaxHistory {
		convs = convs[:MaxHistory]
	}
	return outItem{frame: &ServerFrame{Type: FrameHistory, ID: f.ID, VisitorID: f.VisitorID, Open: convs}}, nil
}
