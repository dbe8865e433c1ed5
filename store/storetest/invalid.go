package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func invalidCases() []testCase {
	return []testCase{
		{"Visitor", testInvalidVisitor},
		{"Agent", testInvalidAgent},
		{"CreateConversation", testInvalidCreate},
		{"UpdateConversation", testInvalidUpdate},
		{"Message", testInvalidMessage},
		{"MessageBodyLimit", testMessageBodyLimit},
		{"PageView", testInvalidPageView},
		{"Queries", testInvalidQueries},
	}
}

// change is one way to spoil a valid input.
type change[T any] struct {
	name string
	do   func(*T)
}

// Text that every Validate rejects, and time outside the storable range.
const (
	badUTF8   = "caf\xc3" // a truncated two-byte sequence
	withNUL   = "before\x00after"
	invalidID = "\xff\xfe"
)

func before1970() time.Time { return time.Date(1969, time.December, 31, 23, 59, 59, 0, time.UTC) }
func after9999() time.Time  { return time.Date(10000, time.January, 1, 0, 0, 0, 0, time.UTC) }

func visitorChanges() []change[chat.Visitor] {
	return []change[chat.Visitor]{
		{"nil id", func(v *chat.Visitor) { v.ID = uuid.Nil }},
		{"zero CreatedAt", func(v *chat.Visitor) { v.CreatedAt = time.Time{} }},
		{"CreatedAt before 1970", func(v *chat.Visitor) { v.CreatedAt = before1970() }},
		{"CreatedAt after 9999", func(v *chat.Visitor) { v.CreatedAt = after9999() }},
		{"name over MaxNameBytes", func(v *chat.Visitor) { v.Name = strings.Repeat("ä", chat.MaxNameBytes/2) + "a" }},
		{"name not UTF-8", func(v *chat.Visitor) { v.Name = badUTF8 }},
		{"name with NUL", func(v *chat.Visitor) { v.Name = withNUL }},
		{"email over MaxEmailBytes", func(v *chat.Visitor) { v.Email = strings.Repeat("a", chat.MaxEmailBytes-11) + "@example.com" }},
		{"customer id over MaxIDBytes", func(v *chat.Visitor) { v.CustomerID = strings.Repeat("1", chat.MaxIDBytes+1) }},
		{"locale with NUL", func(v *chat.Visitor) { v.Locale = "pl\x00" }},
		{"locale over MaxLocaleBytes", func(v *chat.Visitor) { v.Locale = strings.Repeat("l", chat.MaxLocaleBytes+1) }},
		{"time zone with NUL", func(v *chat.Visitor) { v.TimeZone = "Europe/Warsaw\x00" }},
		{"time zone over MaxTimeZoneBytes", func(v *chat.Visitor) { v.TimeZone = strings.Repeat("z", chat.MaxTimeZoneBytes+1) }},
	}
}

func testInvalidVisitor(t *testing.T, f *fixture) {
	for _, c := range visitorChanges() {
		v := newVisitor()
		c.do(&v)
		err := f.s.PutVisitor(f.ctx, v)
		require.ErrorIs(t, err, chat.ErrInvalid, "PutVisitor with %s", c.name)
		if v.ID != uuid.Nil {
			_, err = f.s.Visitor(f.ctx, v.ID)
			require.ErrorIs(t, err, chat.ErrNotFound, "PutVisitor with %s must store nothing", c.name)
		}

		// Replacing a stored visitor with an invalid one changes nothing.
		stored := f.visitor()
		v = stored
		c.do(&v)
		if v.ID == uuid.Nil {
			continue
		}
		require.ErrorIs(t, f.s.PutVisitor(f.ctx, v), chat.ErrInvalid, "PutVisitor replacing with %s", c.name)
		f.requireVisitor(stored, "a rejected replacement changes nothing: "+c.name)
	}
}

func agentChanges() []change[chat.Agent] {
	return []change[chat.Agent]{
		{"empty id", func(a *chat.Agent) { a.ID = "" }},
		{"id over MaxIDBytes", func(a *chat.Agent) { a.ID += strings.Repeat("x", chat.MaxIDBytes) }},
		{"id not UTF-8", func(a *chat.Agent) { a.ID += invalidID }},
		{"id with NUL", func(a *chat.Agent) { a.ID += "\x00" }},
		{"empty status", func(a *chat.Agent) { a.Status = "" }},
		{"unknown status", func(a *chat.Agent) { a.Status = "busy" }},
		{"negative capacity", func(a *chat.Agent) { a.Capacity = -1 }},
		{"too many departments", func(a *chat.Agent) {
			a.Departments = nil
			for range chat.MaxAgentDepartments + 1 {
				a.Departments = append(a.Departments, "d")
			}
		}},
		{"department not UTF-8", func(a *chat.Agent) { a.Departments = []string{"ok", badUTF8} }},
		{"name over MaxNameBytes", func(a *chat.Agent) { a.Name = strings.Repeat("n", chat.MaxNameBytes+1) }},
	}
}

func testInvalidAgent(t *testing.T, f *fixture) {
	for _, c := range agentChanges() {
		a := newAgent()
		c.do(&a)
		require.ErrorIs(t, f.s.PutAgent(f.ctx, a), chat.ErrInvalid, "PutAgent with %s", c.name)
		if a.ID != "" {
			_, err := f.s.Agent(f.ctx, a.ID)
			require.Error(t, err, "PutAgent with %s must store nothing", c.name)
		}

		stored := f.agent()
		a = stored
		c.do(&a)
		if a.ID != stored.ID {
			continue
		}
		require.ErrorIs(t, f.s.PutAgent(f.ctx, a), chat.ErrInvalid, "PutAgent replacing with %s", c.name)
		f.requireAgent(stored, "a rejected replacement changes nothing: "+c.name)
	}
}

func conversationChanges() []change[chat.ConversationInfo] {
	return []change[chat.ConversationInfo]{
		{"nil id", func(c *chat.ConversationInfo) { c.ID = uuid.Nil }},
		{"nil visitor id", func(c *chat.ConversationInfo) { c.VisitorID = uuid.Nil }},
		{"empty status", func(c *chat.ConversationInfo) { c.Status = "" }},
		{"unknown status", func(c *chat.ConversationInfo) { c.Status = "pending" }},
		{"rating 6", func(c *chat.ConversationInfo) { c.Rating = 6 }},
		{"rating -1", func(c *chat.ConversationInfo) { c.Rating = -1 }},
		{"zero CreatedAt", func(c *chat.ConversationInfo) { c.CreatedAt = time.Time{} }},
		{"CreatedAt before 1970", func(c *chat.ConversationInfo) { c.CreatedAt = before1970() }},
		{"department over MaxIDBytes", func(c *chat.ConversationInfo) { c.Department = strings.Repeat("d", chat.MaxIDBytes+1) }},
		{"department not UTF-8", func(c *chat.ConversationInfo) { c.Department = badUTF8 }},
		{"agent id with NUL", func(c *chat.ConversationInfo) { c.AgentID = withNUL }},
		{"negative LastSeq", func(c *chat.ConversationInfo) { c.LastSeq = -1 }},
		{"negative Version", func(c *chat.ConversationInfo) { c.Version = -1 }},
	}
}

func testInvalidCreate(t *testing.T, f *fixture) {
	v := f.visitor()
	for _, ch := range conversationChanges() {
		c := newConversation(v.ID)
		ch.do(&c)
		_, err := f.s.CreateConversation(f.ctx, c)
		require.ErrorIs(t, err, chat.ErrInvalid, "CreateConversation with %s", ch.name)
		if c.ID != uuid.Nil {
			_, err = f.s.Conversation(f.ctx, c.ID)
			require.ErrorIs(t, err, chat.ErrNotFound, "CreateConversation with %s must store nothing", ch.name)
		}
	}
	got := f.listConversations(chat.ConversationFilter{VisitorID: v.ID})
	assert.Empty(t, got, "rejected conversations are not listed")
}

func testInvalidUpdate(t *testing.T, f *fixture) {
	stored := f.conversation()
	f.appendN(stored.ID, 1)
	stored = f.get(stored.ID)
	for _, ch := range conversationChanges() {
		c := stored
		ch.do(&c)
		_, err := f.s.UpdateConversation(f.ctx, c)
		require.ErrorIs(t, err, chat.ErrInvalid, "UpdateConversation with %s", ch.name)
		requireConversation(t, stored, f.get(stored.ID), "a rejected update changes nothing: "+ch.name)
	}
}

func messageChanges() []change[chat.Message] {
	return []change[chat.Message]{
		{"nil id", func(m *chat.Message) { m.ID = uuid.Nil }},
		{"nil conversation id", func(m *chat.Message) { m.ConversationID = uuid.Nil }},
		{"empty body", func(m *chat.Message) { m.Body = "" }},
		{"blank body", func(m *chat.Message) { m.Body = " \n\t " }},
		{"body over MaxBodyBytes", func(m *chat.Message) { m.Body = strings.Repeat("a", chat.MaxBodyBytes+1) }},
		{"body over MaxBodyBytes in fewer runes", func(m *chat.Message) { m.Body = strings.Repeat("ż", chat.MaxBodyBytes/2+1) }},
		{"body not UTF-8", func(m *chat.Message) { m.Body = "Zamówienie " + badUTF8 }},
		{"body with lone continuation byte", func(m *chat.Message) { m.Body = "abc\x80" }},
		{"body with NUL", func(m *chat.Message) { m.Body = withNUL }},
		{"zero CreatedAt", func(m *chat.Message) { m.CreatedAt = time.Time{} }},
		{"CreatedAt after 9999", func(m *chat.Message) { m.CreatedAt = after9999() }},
		{"unknown author kind", func(m *chat.Message) { m.Author.Kind = "robot" }},
		{"visitor author without id", func(m *chat.Message) { m.Author = chat.Author{Kind: chat.AuthorVisitor, Name: "Anna"} }},
		{"internal note by a visitor", func(m *chat.Message) {
			m.Author = chat.Author{Kind: chat.AuthorVisitor, ID: uuid.NewString()}
			m.Internal = true
		}},
		{"agent author without id", func(m *chat.Message) { m.Author = chat.Author{Kind: chat.AuthorAgent, Name: "Olga"} }},
		{"author name not UTF-8", func(m *chat.Message) { m.Author.Name = badUTF8 }},
		{"too many attachments", func(m *chat.Message) {
			for range chat.MaxAttachments + 1 {
				m.Attachments = append(m.Attachments, chat.Attachment{Name: "a.txt", URL: "https://files.example.com/a"})
			}
		}},
		{"attachment with negative size", func(m *chat.Message) {
			m.Attachments = []chat.Attachment{{Name: "a.txt", URL: "https://files.example.com/a", Size: -1}}
		}},
		{"attachment url with NUL", func(m *chat.Message) {
			m.Attachments = []chat.Attachment{{Name: "a.txt", URL: "https://files.example.com/\x00"}}
		}},
		{"card with a javascript: link", func(m *chat.Message) {
			m.Author = chat.Author{Kind: chat.AuthorBot}
			m.Card = &chat.ProductCard{ProductID: "p", Name: "Teapot", URL: "javascript:alert(1)"}
		}},
		{"card with a data: image", func(m *chat.Message) {
			m.Author = chat.Author{Kind: chat.AuthorBot}
			m.Card = &chat.ProductCard{ProductID: "p", Name: "Teapot", ImageURL: "data:image/svg+xml,<svg onload=alert(1)>"}
		}},
		{"card posting to another site", func(m *chat.Message) {
			m.Author = chat.Author{Kind: chat.AuthorBot}
			m.Card = &chat.ProductCard{ProductID: "p", Name: "Teapot", AddToCart: "https://evil.example.com/cart"}
		}},
		{"card posting to a scheme-relative URL", func(m *chat.Message) {
			m.Author = chat.Author{Kind: chat.AuthorBot}
			m.Card = &chat.ProductCard{ProductID: "p", Name: "Teapot", AddToCart: "//evil.example.com/cart"}
		}},
		{"card without a name", func(m *chat.Message) {
			m.Author = chat.Author{Kind: chat.AuthorBot}
			m.Card = &chat.ProductCard{ProductID: "p"}
		}},
		{"card price without a currency", func(m *chat.Message) {
			m.Author = chat.Author{Kind: chat.AuthorBot}
			m.Card = &chat.ProductCard{ProductID: "p", Name: "Teapot", Price: chat.Money{Amount: 100, Currency: "<b>"}}
		}},
		{"card from a visitor", func(m *chat.Message) {
			m.Author = chat.Author{Kind: chat.AuthorVisitor, ID: uuid.NewString()}
			m.Card = &chat.ProductCard{ProductID: "p", Name: "Teapot"}
		}},
		{"quick replies from a visitor", func(m *chat.Message) {
			m.Author = chat.Author{Kind: chat.AuthorVisitor, ID: uuid.NewString()}
			m.QuickReplies = []string{"Yes"}
		}},
		{"empty quick reply", func(m *chat.Message) {
			m.Author = chat.Author{Kind: chat.AuthorBot}
			m.QuickReplies = []string{"Yes", " "}
		}},
		{"too many quick replies", func(m *chat.Message) {
			m.Author = chat.Author{Kind: chat.AuthorBot}
			m.QuickReplies = strings.Split(strings.Repeat("x,", chat.MaxQuickReplies)+"x", ",")
		}},
		{"idempotency key over MaxIDBytes", func(m *chat.Message) { m.IdempotencyKey = strings.Repeat("k", chat.MaxIDBytes+1) }},
		{"idempotency key not UTF-8", func(m *chat.Message) { m.IdempotencyKey = invalidID }},
	}
}

func testInvalidMessage(t *testing.T, f *fixture) {
	c := f.conversation()
	first := f.appendMessage(newMessage(c.ID, "first"))
	before := f.get(c.ID)

	key := "key-" + uuid.NewString()
	var rejected []chat.Message
	for _, ch := range messageChanges() {
		m := newMessage(c.ID, "valid until changed")
		if !strings.Contains(ch.name, "idempotency") {
			m.IdempotencyKey = key
		}
		ch.do(&m)
		_, _, err := f.s.AppendMessage(f.ctx, m)
		require.ErrorIs(t, err, chat.ErrInvalid, "AppendMessage with %s", ch.name)
		requireConversation(t, before, f.get(c.ID), "a rejected append leaves the conversation as it was: "+ch.name)
		rejected = append(rejected, m)
	}
	requireMessages(t, []chat.Message{first}, f.messages(c.ID, chat.MessageQuery{}), "rejected appends store nothing")

	// The next append gets the next Seq, and neither the ids nor the key of
	// the rejected messages are taken.
	var reuse uuid.UUID
	for _, m := range rejected {
		if m.ID != uuid.Nil {
			reuse = m.ID
			break
		}
	}
	m := newMessage(c.ID, "second")
	m.ID = reuse
	m.IdempotencyKey = key
	second := f.appendMessage(m)
	assert.EqualValues(t, 2, second.Seq, "the append after rejected ones gets the next Seq")
	assert.EqualValues(t, 2, f.get(c.ID).LastSeq)
}

func testMessageBodyLimit(t *testing.T, f *fixture) {
	c := f.conversation()
	bodies := map[string]string{
		"ASCII":         strings.Repeat("a", chat.MaxBodyBytes),
		"two-byte":      strings.Repeat("ż", chat.MaxBodyBytes/2),
		"four-byte":     strings.Repeat("😀", chat.MaxBodyBytes/4),
		"ending in 3+2": strings.Repeat("€", (chat.MaxBodyBytes-2)/3) + "ż",
	}
	seq := int64(0)
	for name, body := range bodies {
		require.Len(t, body, chat.MaxBodyBytes)
		seq++
		m := newMessage(c.ID, body)
		stored := f.appendMessage(m)
		require.Equal(t, seq, stored.Seq)
		got := f.messages(c.ID, chat.MessageQuery{After: seq - 1, Limit: 1})
		require.Len(t, got, 1)
		require.Equal(t, []byte(body), []byte(got[0].Body), "a %s body of exactly MaxBodyBytes is stored whole", name)

		over := newMessage(c.ID, body+"!")
		_, _, err := f.s.AppendMessage(f.ctx, over)
		require.ErrorIs(t, err, chat.ErrInvalid, "a %s body one byte over MaxBodyBytes", name)
	}
	assert.Equal(t, seq, f.get(c.ID).LastSeq)
}

func pageViewChanges() []change[chat.PageView] {
	return []change[chat.PageView]{
		{"nil id", func(p *chat.PageView) { p.ID = uuid.Nil }},
		{"nil visitor id", func(p *chat.PageView) { p.VisitorID = uuid.Nil }},
		{"empty url", func(p *chat.PageView) { p.URL = "" }},
		{"url over MaxURLBytes", func(p *chat.PageView) { p.URL = "https://shop.example.com/" + strings.Repeat("p", chat.MaxURLBytes) }},
		{"zero At", func(p *chat.PageView) { p.At = time.Time{} }},
		{"At before 1970", func(p *chat.PageView) { p.At = before1970() }},
		{"title with NUL", func(p *chat.PageView) { p.Title = withNUL }},
		{"title over MaxTitleBytes", func(p *chat.PageView) { p.Title = strings.Repeat("t", chat.MaxTitleBytes+1) }},
		{"referrer not UTF-8", func(p *chat.PageView) { p.Referrer = badUTF8 }},
	}
}

func testInvalidPageView(t *testing.T, f *fixture) {
	v := f.visitor()
	var rejected []chat.PageView
	for _, ch := range pageViewChanges() {
		p := newPageView(v.ID, baseTime())
		ch.do(&p)
		require.ErrorIs(t, f.s.AddPageView(f.ctx, p), chat.ErrInvalid, "AddPageView with %s", ch.name)
		rejected = append(rejected, p)
	}
	assert.Empty(t, f.pageViews(v.ID, chat.MaxPageSize), "rejected page views are not stored")

	// The id of a rejected page view is free.
	p := newPageView(v.ID, baseTime())
	p.ID = rejected[len(rejected)-1].ID
	f.addPageView(p)
}

func testInvalidQueries(t *testing.T, f *fixture) {
	c := f.conversation()
	f.appendN(c.ID, 3)

	for _, limit := range []int{-1, chat.MaxPageSize + 1} {
		_, err := f.s.Messages(f.ctx, c.ID, chat.MessageQuery{Limit: limit})
		assert.ErrorIs(t, err, chat.ErrInvalid, "Messages with Limit %d", limit)
		_, err = f.s.Messages(f.ctx, c.ID, chat.MessageQuery{Limit: limit, Latest: true})
		assert.ErrorIs(t, err, chat.ErrInvalid, "Messages with Latest and Limit %d", limit)
		_, err = f.s.Conversations(f.ctx, chat.ConversationFilter{VisitorID: c.VisitorID, Limit: limit})
		assert.ErrorIs(t, err, chat.ErrInvalid, "Conversations with Limit %d", limit)
		_, err = f.s.PageViews(f.ctx, c.VisitorID, limit)
		assert.ErrorIs(t, err, chat.ErrInvalid, "PageViews with limit %d", limit)
	}
	_, err := f.s.Messages(f.ctx, c.ID, chat.MessageQuery{After: -1})
	assert.ErrorIs(t, err, chat.ErrInvalid, "Messages with After -1")
	_, err = f.s.Messages(f.ctx, c.ID, chat.MessageQuery{Before: -1})
	assert.ErrorIs(t, err, chat.ErrInvalid, "Messages with Before -1")
	_, err = f.s.Messages(f.ctx, uuid.New(), chat.MessageQuery{Limit: -1})
	assert.ErrorIs(t, err, chat.ErrInvalid, "Messages checks the query before looking for the conversation")
	_, err = f.s.Conversations(f.ctx, chat.ConversationFilter{Statuses: []chat.Status{chat.StatusOpen, "pending"}})
	assert.ErrorIs(t, err, chat.ErrInvalid, "Conversations with an unknown status")
	for _, after := range []chat.ConversationCursor{
		{ID: c.ID},
		{CreatedAt: c.CreatedAt},
		{CreatedAt: time.Date(1960, time.January, 1, 0, 0, 0, 0, time.UTC), ID: c.ID},
	} {
		_, err = f.s.Conversations(f.ctx, chat.ConversationFilter{VisitorID: c.VisitorID, After: after})
		assert.ErrorIs(t, err, chat.ErrInvalid, "Conversations with the cursor %+v", after)
	}
}
