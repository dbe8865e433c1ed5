package wire

import (
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// Frame types of tags and the search of past conversations, for agents.
const (
	FrameTag    = "tag"    // put tag on conversation_id; answered with tags
	FrameUntag  = "untag"  // take tag off conversation_id; answered with tags
	FrameTags   = "tags"   // the tags of conversation_id; answered with tags
	FrameSearch = "search" // find conversations; answered with search
)

// MaxSearchResults is how many conversations a search frame's answer
// lists at most; more says that older ones remain.
const MaxSearchResults = 50

// SearchResult is one conversation a search found, with its visitor (as
// stored; a visitor whose data was erased has only the id) and its tags.
type SearchResult struct {
	Conversation chat.ConversationInfo `json:"conversation"`
	Visitor      chat.Visitor          `json:"visitor"`
	Tags         []string              `json:"tags"`
}

// checkSearch applies the rules of tag, untag, tags and search frames that
// need no server state.
func (f ClientFrame) checkSearch() error {
	if f.Type == FrameSearch {
		if err := checkBytes("text", f.Text, chat.MaxSearchBytes); err != nil {
			return err
		}
		if err := checkBytes("visitor", f.VisitorText, chat.MaxSearchBytes); err != nil {
			return err
		}
		_, _, err := f.SearchPeriod()
		return err
	}
	if f.ConversationID == uuid.Nil {
		return Errorf(CodeInvalid, "%s needs conversation_id", f.Type)
	}
	if f.Type != FrameTags && f.Tag == "" {
		return Errorf(CodeInvalid, "%s needs tag", f.Type)
	}
	return checkBytes("tag", f.Tag, chat.MaxSearchBytes) // the Desk trims it and checks it exactly
}

// SearchPeriod parses the optional from and to of a search frame; a zero
// time leaves that end open.
func (f ClientFrame) SearchPeriod() (from, to time.Time, err error) {
	for _, p := range []struct {
		text string
		t    *time.Time
	}{{f.From, &from}, {f.To, &to}} {
		if p.text == "" {
			continue
		}
		if *p.t, err = time.Parse(time.RFC3339, p.text); err != nil {
			return from, to, Errorf(CodeInvalid, "from and to of a search are RFC 3339 times")
		}
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return from, to, Errorf(CodeInvalid, "a search needs from before to")
	}
	return from, to, nil
}
