package transport

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// MaxHistory is how many of a visitor's conversations a history frame
// lists at most.
const MaxHistory = 50

// activeStatuses are the statuses of conversations that are not over.
var activeStatuses = []chat.Status{chat.StatusWaiting, chat.StatusQueued, chat.StatusBot, chat.StatusOpen}

// history answers a history frame, an agent's or a visitor's own: the visitor's newest
// conversations, newest first, at most MaxHistory of them, or with before
// the ones created before that conversation of the visitor. More says
// that older ones remain.
func (s *Server) history(ctx context.Context, f wire.ClientFrame) (outItem, error) {
	if _, err := s.desk.Visitor(ctx, f.VisitorID); err != nil {
		if errors.Is(err, chat.ErrNotFound) {
			return outItem{}, wire.Errorf(wire.CodeNotFound, "no such visitor")
		}
		return outItem{}, err
	}
	filter := chat.ConversationFilter{VisitorID: f.VisitorID, Newest: true, Limit: MaxHistory + 1}
	if f.Before != uuid.Nil {
		c, err := s.desk.Store().Conversation(ctx, f.Before)
		if errors.Is(err, chat.ErrNotFound) || err == nil && c.VisitorID != f.VisitorID {
			return outItem{}, wire.Errorf(wire.CodeNotFound, "the visitor has no conversation %s", f.Before)
		}
		if err != nil {
			return outItem{}, err
		}
		filter.After = c.Cursor()
	}
	convs, err := s.desk.Conversations(ctx, filter)
	if err != nil {
		return outItem{}, err
	}
	more := len(convs) > MaxHistory
	convs = convs[:min(len(convs), MaxHistory)]
	return outItem{frame: &wire.ServerFrame{Type: wire.FrameHistory, ID: f.ID, VisitorID: f.VisitorID, Open: convs, More: more}}, nil
}

// activeConversations lists the visitor's newest chat.MaxPageSize
// conversations that are not closed, newest first.
func (s *Server) activeConversations(ctx context.Context, visitorID uuid.UUID) ([]chat.ConversationInfo, error) {
	return s.desk.Conversations(ctx, chat.ConversationFilter{VisitorID: visitorID, Statuses: activeStatuses, Newest: true, Limit: chat.MaxPageSize})
}

// agentConversations lists the conversations of an agent's welcome,
// newest first: the newest chat.MaxPageSize waiting, queued and open
// conversations of the shop (every one, unless there are more), then the
// agent's own open conversations older than those, all of them.
func (s *Server) agentConversations(ctx context.Context, agentID string) ([]chat.ConversationInfo, error) {
	f := chat.ConversationFilter{Statuses: activeStatuses, Newest: true, Limit: chat.MaxPageSize}
	out, err := s.desk.Conversations(ctx, f)
	if err != nil || len(out) < chat.MaxPageSize {
		return out, err
	}
	f.Statuses, f.AgentID = []chat.Status{chat.StatusOpen}, agentID
	page := out
	for len(page) == chat.MaxPageSize {
		f.After = page[len(page)-1].Cursor()
		if page, err = s.desk.Conversations(ctx, f); err != nil {
			return nil, err
		}
		out = append(out, page...)
	}
	return out, nil
}
