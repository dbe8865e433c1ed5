package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Tags are short labels agents put on conversations ("refund",
// "vip", "bug"), to find them again and to report on them. They live in
// the Store, behind the optional TagStore, which also searches
// conversations by their text and visitor.

// MaxTags is how many tags the Desk lets one conversation carry.
const MaxTags = 20

// MaxTagBytes bounds one tag, in bytes of UTF-8.
const MaxTagBytes = 64

// MaxSearchBytes bounds the text and visitor fields of a SearchQuery, in
// bytes of UTF-8.
const MaxSearchBytes = 200

// NormalizeTag returns tag as it is stored and compared: without spaces
// around it and in lower case. A tag that is then empty, longer than
// MaxTagBytes, not UTF-8 or holding control characters is ErrInvalid.
func NormalizeTag(tag string) (string, error) {
	t := strings.ToLower(strings.TrimSpace(tag))
	if err := CheckTag(t); err != nil {
		return "", err
	}
	return t, nil
}

// CheckTag reports with ErrInvalid why tag is not a tag as NormalizeTag
// returns them. Stores check the tags they are given with it.
func CheckTag(tag string) error {
	switch {
	case tag == "":
		return invalid("a tag is empty")
	case len(tag) > MaxTagBytes:
		return invalid("a tag is longer than %d bytes", MaxTagBytes)
	case !utf8.ValidString(tag):
		return invalid("a tag is not UTF-8")
	case strings.IndexFunc(tag, unicode.IsControl) >= 0:
		return invalid("a tag holds a control character")
	case tag != strings.ToLower(strings.TrimSpace(tag)):
		return invalid("tag %.64q is not normalized", tag)
	}
	return nil
}

// SearchQuery selects conversations for TagStore.SearchConversations: the
// conversations that match its ConversationFilter (statuses, agent,
// visitor id, period, order and paging, with the same rules) and every
// set field below. Zero fields match everything.
type SearchQuery struct {
	ConversationFilter
	// Text matches conversations with a message or note whose body holds
	// it. Letters compare without regard to case: ASCII letters in every
	// store, other letters in some (see TagStore).
	Text string
	// WithoutNotes leaves agents' internal notes out of Text's match, for
	// a searcher who may not read them.
	WithoutNotes bool
	// Visitor matches conversations whose visitor's name or email holds
	// it, compared as Text is.
	Visitor string
	// Tag matches conversations with this tag; it is normalized first.
	Tag string
}

// Validate reports with ErrInvalid why q is not a valid query.
func (q SearchQuery) Validate() error {
	for _, s := range []string{q.Text, q.Visitor} {
		if len(s) > MaxSearchBytes || !utf8.ValidString(s) {
			return invalid("a search text is over %d bytes or not UTF-8", MaxSearchBytes)
		}
	}
	if q.Tag != "" {
		if err := CheckTag(q.Tag); err != nil {
			return err
		}
	}
	return q.ConversationFilter.Validate()
}

// normalized is q with its tag normalized and its texts trimmed.
func (q SearchQuery) normalized() (SearchQuery, error) {
	q.Text, q.Visitor = strings.TrimSpace(q.Text), strings.TrimSpace(q.Visitor)
	if strings.TrimSpace(q.Tag) != "" {
		t, err := NormalizeTag(q.Tag)
		if err != nil {
			return q, err
		}
		q.Tag = t
	}
	return q, q.Validate()
}

// tagStore returns the Desk's store as a TagStore, or an error wrapping
// errors.ErrUnsupported when the store keeps no tags.
func (d *Desk) tagStore() (TagStore, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	ts, ok := d.store.(TagStore)
	if !ok {
		return nil, fmt.Errorf("%w: the store keeps no tags", errors.ErrUnsupported)
	}
	return ts, nil
}

// Tags returns the tags of a conversation, in byte order. An unknown
// conversation is ErrNotFound; a store without tags, errors.ErrUnsupported.
func (d *Desk) Tags(ctx context.Context, conversationID uuid.UUID) ([]string, error) {
	ts, err := d.tagStore()
	if err != nil {
		return nil, err
	}
	return ts.Tags(ctx, conversationID)
}

// AddTag puts a tag, normalized by NormalizeTag, on a conversation and
// returns the conversation's tags. A tag it has already changes nothing; a
// new one beyond MaxTags is ErrInvalid. Two agents adding tags at the same
// moment may take a conversation a tag or two past MaxTags.
func (d *Desk) AddTag(ctx context.Context, conversationID uuid.UUID, tag string) ([]string, error) {
	ts, err := d.tagStore()
	if err != nil {
		return nil, err
	}
	t, err := NormalizeTag(tag)
	if err != nil {
		return nil, err
	}
	have, err := ts.Tags(ctx, conversationID)
	if err != nil {
		return nil, err
	}
	for _, h := range have {
		if h == t {
			return have, nil
		}
	}
	if len(have) >= MaxTags {
		return nil, invalid("a conversation has at most %d tags", MaxTags)
	}
	if err := ts.AddTag(ctx, conversationID, t); err != nil {
		return nil, err
	}
	return ts.Tags(ctx, conversationID)
}

// RemoveTag takes a tag, normalized by NormalizeTag, off a conversation
// and returns the conversation's tags. A tag it lacks changes nothing.
func (d *Desk) RemoveTag(ctx context.Context, conversationID uuid.UUID, tag string) ([]string, error) {
	ts, err := d.tagStore()
	if err != nil {
		return nil, err
	}
	t, err := NormalizeTag(tag)
	if err != nil {
		return nil, err
	}
	if err := ts.RemoveTag(ctx, conversationID, t); err != nil {
		return nil, err
	}
	return ts.Tags(ctx, conversationID)
}

// SearchConversations returns a page of the conversations q selects, as
// TagStore.SearchConversations does, after trimming q's texts and
// normalizing its tag.
func (d *Desk) SearchConversations(ctx context.Context, q SearchQuery) ([]ConversationInfo, error) {
	ts, err := d.tagStore()
	if err != nil {
		return nil, err
	}
	if q, err = q.normalized(); err != nil {
		return nil, err
	}
	return ts.SearchConversations(ctx, q)
}

// eachTagged calls fn with every conversation q selects, oldest first.
func (d *Desk) eachTagged(ctx context.Context, q SearchQuery, fn func(ConversationInfo)) error {
	return eachPage(ctx, q.ConversationFilter, func(ctx context.Context, f ConversationFilter) ([]ConversationInfo, error) {
		q.ConversationFilter = f
		return d.SearchConversations(ctx, q)
	}, fn)
}
