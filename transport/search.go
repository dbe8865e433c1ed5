package transport

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// tagFrame answers an agent's tag, untag and tags frames with the
// conversation's tags.
func (s *Server) tagFrame(ctx context.Context, f wire.ClientFrame) (outItem, error) {
	var tags []string
	var err error
	switch f.Type {
	case wire.FrameTag:
		tags, err = s.desk.AddTag(ctx, f.ConversationID, f.Tag)
	case wire.FrameUntag:
		tags, err = s.desk.RemoveTag(ctx, f.ConversationID, f.Tag)
	default:
		tags, err = s.desk.Tags(ctx, f.ConversationID)
	}
	if err != nil {
		return outItem{}, searchErr(err)
	}
	return outItem{frame: &wire.ServerFrame{Type: wire.FrameTags, ID: f.ID, ConversationID: f.ConversationID, Tags: tags}}, nil
}

// search answers an agent's search frame: the newest conversations that
// match, at most wire.MaxSearchResults, each with its visitor and tags;
// with before, the ones created before that conversation.
// A restricted agent's text search leaves notes out, since they may not
// read other agents' notes.
func (s *Server) search(ctx context.Context, f wire.ClientFrame, restricted bool) (outItem, error) {
	from, to, err := f.SearchPeriod()
	if err != nil {
		return outItem{}, err
	}
	q := chat.SearchQuery{Text: f.Text, WithoutNotes: restricted, Visitor: f.VisitorText, Tag: f.Tag, ConversationFilter: chat.ConversationFilter{
		CreatedFrom: from, CreatedBefore: to, Newest: true, Limit: wire.MaxSearchResults + 1}}
	if f.Before != uuid.Nil {
		c, err := s.desk.Store().Conversation(ctx, f.Before)
		if err != nil {
			return outItem{}, err
		}
		q.After = c.Cursor()
	}
	convs, err := s.desk.SearchConversations(ctx, q)
	if err != nil {
		return outItem{}, searchErr(err)
	}
	more := len(convs) > wire.MaxSearchResults
	convs = convs[:min(len(convs), wire.MaxSearchResults)]
	results := make([]wire.SearchResult, 0, len(convs))
	for _, c := range convs {
		r := wire.SearchResult{Conversation: c, Visitor: chat.Visitor{ID: c.VisitorID}}
		if v, err := s.desk.Visitor(ctx, c.VisitorID); err == nil {
			r.Visitor = v
		} else if !errors.Is(err, chat.ErrNotFound) {
			return outItem{}, err
		}
		if r.Tags, err = s.desk.Tags(ctx, c.ID); err != nil {
			return outItem{}, err
		}
		results = append(results, r)
	}
	return outItem{frame: &wire.ServerFrame{Type: wire.FrameSearch, ID: f.ID, Results: results, More: more}}, nil
}

// searchErr tells an agent that the shop's store keeps no tags in words,
// rather than as an internal error.
func searchErr(err error) error {
	if errors.Is(err, errors.ErrUnsupported) {
		return wire.Errorf(wire.CodeInvalid, "the shop's store keeps no tags and cannot search")
	}
	return err
}
