package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func messageCases() []testCase {
	return []testCase{
		{"RoundTrip", testMessageRoundTrip},
		{"AppendMovesConversation", testMessageAppendMovesConversation},
		{"SeqConcurrent", testMessageSeqConcurrent},
		{"Idempotent", testMessageIdempotent},
		{"IdempotentConcurrent", testMessageIdempotentConcurrent},
		{"DuplicateID", testMessageDuplicateID},
		{"Paging", testMessagePaging},
		{"DefaultPageSize", testMessageDefaultPage},
		{"NotFound", testMessageNotFound},
		{"RichRoundTrip", testMessageRichRoundTrip},
	}
}

// fullMessage returns a message with every field set.
func fullMessage(conversationID uuid.UUID, visitorID uuid.UUID) chat.Message {
	return chat.Message{
		ID:             uuid.New(),
		ConversationID: conversationID,
		Seq:            99, // the store assigns Seq and ignores this
		Author:         chat.Author{Kind: chat.AuthorVisitor, ID: visitorID.String(), Name: "Anna Kowalska"},
		Body:           "Where is my parcel?\nOrder 1042.",
		Attachments: []chat.Attachment{
			{Name: "receipt.pdf", ContentType: "application/pdf", Size: 48213, URL: "https://files.example.com/r/1"},
			{Name: "photo.jpg", URL: "https://files.example.com/p/2"},
		},
		IdempotencyKey: "key-" + uuid.NewString(),
		CreatedAt:      westTime(),
	}
}

func testMessageRoundTrip(t *testing.T, f *fixture) {
	c := f.conversation()
	m := fullMessage(c.ID, c.VisitorID)
	stored := f.appendMessage(m)
	want := wantMessage(m, 1)
	requireMessages(t, []chat.Message{want}, []chat.Message{stored}, "AppendMessage returns m with Seq 1 and its time in UTC to the microsecond")

	authors := []chat.Author{
		{Kind: chat.AuthorAgent, ID: "agent-" + uuid.NewString(), Name: "Olga"},
		{Kind: chat.AuthorBot},
		{Kind: chat.AuthorSystem, Name: "Parley"},
	}
	wants := []chat.Message{want}
	for i, a := range authors {
		m := newMessage(c.ID, fmt.Sprintf("from a %s", a.Kind))
		m.Author = a
		m.CreatedAt = baseTime().Add(time.Duration(i) * time.Minute)
		f.appendMessage(m)
		wants = append(wants, wantMessage(m, int64(i+2)))
	}
	// A message may carry attachments and no body.
	m = newMessage(c.ID, "")
	m.Attachments = []chat.Attachment{{Name: "invoice.pdf", URL: "https://files.example.com/i/3"}}
	requireMessages(t, []chat.Message{wantMessage(m, 5)}, []chat.Message{f.appendMessage(m)}, "a message with attachments and no body")
	wants = append(wants, wantMessage(m, 5))

	// An agent's private note keeps its Internal mark.
	m = newMessage(c.ID, "VIP customer; offer free shipping")
	m.Author = chat.Author{Kind: chat.AuthorAgent, ID: "agent-" + uuid.NewString(), Name: "Olga"}
	m.Internal = true
	requireMessages(t, []chat.Message{wantMessage(m, 6)}, []chat.Message{f.appendMessage(m)}, "an internal note")
	wants = append(wants, wantMessage(m, 6))

	requireMessages(t, wants, f.messages(c.ID, chat.MessageQuery{}), "Messages returns every field of every message in Seq order")
}

func testMessageAppendMovesConversation(t *testing.T, f *fixture) {
	c := f.conversation()
	m := newMessage(c.ID, "first")
	m.CreatedAt = westTime()
	f.appendMessage(m)

	got := f.get(c.ID)
	want := c
	want.LastSeq = 1
	want.UpdatedAt = chat.Timestamp(m.CreatedAt)
	requireConversation(t, want, got, "AppendMessage sets LastSeq and UpdatedAt (to the message's CreatedAt) and keeps Version")

	m2 := newMessage(c.ID, "second")
	m2.CreatedAt = baseTime().Add(time.Hour)
	f.appendMessage(m2)
	want.LastSeq = 2
	want.UpdatedAt = chat.Timestamp(m2.CreatedAt)
	requireConversation(t, want, f.get(c.ID), "every append moves LastSeq and UpdatedAt")

	// An update based on the Version read before the appends still succeeds.
	change := c
	change.Status = chat.StatusOpen
	_, err := f.s.UpdateConversation(f.ctx, change)
	require.NoError(t, err, "appends never make UpdateConversation fail")
}

// seqResult is what one concurrent append returned.
type seqResult struct {
	conversation uuid.UUID
	id           uuid.UUID
	seq          int64
	created      bool
	err          error
}

func testMessageSeqConcurrent(t *testing.T, f *fixture) {
	const (
		writers   = 16
		perWriter = 25
		n         = writers * perWriter
	)
	a, b := f.conversation(), f.conversation()
	start := make(chan struct{})
	results := make(chan seqResult, 2*n)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			<-start
			for i := range perWriter {
				// Each writer interleaves the two conversations.
				for _, conv := range []uuid.UUID{a.ID, b.ID} {
					m := newMessage(conv, fmt.Sprintf("writer %d message %d", w, i))
					stored, created, err := f.s.AppendMessage(f.ctx, m)
					results <- seqResult{conversation: conv, id: m.ID, seq: stored.Seq, created: created, err: err}
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(results)

	returned := map[uuid.UUID][]int64{}
	sent := map[uuid.UUID][]uuid.UUID{}
	for r := range results {
		require.NoError(t, r.err, "AppendMessage from concurrent writers")
		require.True(t, r.created, "AppendMessage without an idempotency key returns created == true")
		returned[r.conversation] = append(returned[r.conversation], r.seq)
		sent[r.conversation] = append(sent[r.conversation], r.id)
	}
	for _, conv := range []uuid.UUID{a.ID, b.ID} {
		got := slices.Clone(returned[conv])
		slices.Sort(got)
		require.Equal(t, seqRange(1, n), got,
			"the Seq values AppendMessage returned to %d concurrent writers are exactly 1..%d, each once", writers, n)

		ms := f.messages(conv, chat.MessageQuery{Limit: chat.MaxPageSize})
		require.Equal(t, seqRange(1, n), seqs(ms), "Messages returns 1..%d in ascending order", n)
		stored := make([]uuid.UUID, 0, len(ms))
		for _, m := range ms {
			stored = append(stored, m.ID)
		}
		require.ElementsMatch(t, sent[conv], stored, "every message is stored once, under its own id")

		info := f.get(conv)
		require.EqualValues(t, n, info.LastSeq, "LastSeq equals the number of appends")
		require.EqualValues(t, 1, info.Version, "appends do not change Version")
	}
}

func testMessageIdempotent(t *testing.T, f *fixture) {
	c := f.conversation()
	key := "key-" + uuid.NewString()
	m := newMessage(c.ID, "Hello, I need help")
	m.IdempotencyKey = key
	first := f.appendMessage(m)
	require.EqualValues(t, 1, first.Seq)

	retry := newMessage(c.ID, "a different body")
	retry.IdempotencyKey = key
	retry.CreatedAt = westTime()
	got, created, err := f.s.AppendMessage(f.ctx, retry)
	require.NoError(t, err, "AppendMessage with a used idempotency key")
	assert.False(t, created, "a repeated idempotency key returns created == false")
	requireMessages(t, []chat.Message{first}, []chat.Message{got}, "a repeated idempotency key returns the original message")
	info := f.get(c.ID)
	assert.EqualValues(t, 1, info.LastSeq, "a repeated idempotency key stores nothing")
	assert.Equal(t, chat.Timestamp(m.CreatedAt), info.UpdatedAt, "a repeated idempotency key does not move UpdatedAt")
	requireMessages(t, []chat.Message{first}, f.messages(c.ID, chat.MessageQuery{}), "a repeated idempotency key stores nothing")

	next := f.appendMessage(newMessage(c.ID, "next"))
	assert.EqualValues(t, 2, next.Seq, "no Seq is used up by a deduplicated append")

	// Keys are compared exactly.
	upper := newMessage(c.ID, "other key")
	upper.IdempotencyKey = "KEY-" + key[len("key-"):]
	assert.EqualValues(t, 3, f.appendMessage(upper).Seq, "idempotency keys differing in case are different keys")

	// The same key in another conversation is a different key.
	other := f.conversation()
	elsewhere := newMessage(other.ID, "same key, other conversation")
	elsewhere.IdempotencyKey = key
	stored := f.appendMessage(elsewhere)
	assert.EqualValues(t, 1, stored.Seq)
	assert.Equal(t, elsewhere.ID, stored.ID, "a key used in another conversation does not deduplicate")

	// An empty key never deduplicates.
	for i := range 2 {
		m := newMessage(c.ID, "same body, no key")
		stored, created, err := f.s.AppendMessage(f.ctx, m)
		require.NoError(t, err)
		assert.True(t, created, "an empty idempotency key never deduplicates")
		assert.Equal(t, m.ID, stored.ID)
		assert.EqualValues(t, 4+i, stored.Seq)
	}

	// A retry that repeats the whole message, id included, is deduplicated too.
	got, created, err = f.s.AppendMessage(f.ctx, m)
	require.NoError(t, err, "AppendMessage repeating an appended message with its key")
	assert.False(t, created)
	requireMessages(t, []chat.Message{first}, []chat.Message{got}, "an exact retry returns the original message")
	assert.EqualValues(t, 5, f.get(c.ID).LastSeq)
}

func testMessageIdempotentConcurrent(t *testing.T, f *fixture) {
	const (
		rounds  = 10
		writers = 8
	)
	for range rounds {
		c := f.conversation()
		key := "key-" + uuid.NewString()
		start := make(chan struct{})
		results := make(chan seqResult, writers)
		stored := make(chan chat.Message, writers)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				m := newMessage(c.ID, fmt.Sprintf("attempt %d", w))
				m.IdempotencyKey = key
				<-start
				got, created, err := f.s.AppendMessage(f.ctx, m)
				results <- seqResult{id: m.ID, seq: got.Seq, created: created, err: err}
				stored <- got
			})
		}
		close(start)
		wg.Wait()
		close(results)
		close(stored)

		createdN := 0
		var winner uuid.UUID
		for r := range results {
			require.NoError(t, r.err, "concurrent AppendMessage with one idempotency key")
			if r.created {
				createdN++
				winner = r.id
			}
		}
		require.Equal(t, 1, createdN, "of %d concurrent appends with one key exactly one returns created == true", writers)
		var first chat.Message
		for m := range stored {
			if first.ID == uuid.Nil {
				first = m
			}
			require.Equal(t, winner, m.ID, "every concurrent append with one key returns the stored message")
			require.Equal(t, first.Body, m.Body, "every concurrent append with one key returns the stored body")
			require.EqualValues(t, 1, m.Seq)
		}
		ms := f.messages(c.ID, chat.MessageQuery{})
		require.Len(t, ms, 1, "concurrent appends with one key store one message")
		require.Equal(t, winner, ms[0].ID)
		require.Equal(t, first.Body, ms[0].Body, "the returned message is the stored one")
		next := f.appendMessage(newMessage(c.ID, "next"))
		require.EqualValues(t, 2, next.Seq, "no Seq is used up by deduplicated appends")
	}
}

func testMessageDuplicateID(t *testing.T, f *fixture) {
	c := f.conversation()
	first := f.appendMessage(newMessage(c.ID, "first"))

	again := newMessage(c.ID, "a different message with the same id")
	again.ID = first.ID
	_, _, err := f.s.AppendMessage(f.ctx, again)
	require.ErrorIs(t, err, chat.ErrConflict, "AppendMessage with a used message id and no idempotency key")
	assert.EqualValues(t, 1, f.get(c.ID).LastSeq, "a rejected duplicate does not move LastSeq")
	requireMessages(t, []chat.Message{first}, f.messages(c.ID, chat.MessageQuery{}), "a rejected duplicate stores nothing")
	assert.EqualValues(t, 2, f.appendMessage(newMessage(c.ID, "next")).Seq, "a rejected duplicate leaves no gap")
}

func testMessagePaging(t *testing.T, f *fixture) {
	c := f.conversation()
	all := f.appendN(c.ID, 30)
	page := func(q chat.MessageQuery) []int64 {
		t.Helper()
		ms := f.messages(c.ID, q)
		// Whatever the page, each message is the one stored with that Seq.
		for _, m := range ms {
			require.GreaterOrEqual(t, m.Seq, int64(1))
			require.LessOrEqual(t, m.Seq, int64(len(all)))
			requireMessages(t, []chat.Message{all[m.Seq-1]}, []chat.Message{m}, "Messages(%+v) returns the message stored with Seq %d", q, m.Seq)
		}
		return seqs(ms)
	}
	tests := []struct {
		q    chat.MessageQuery
		want []int64
	}{
		{chat.MessageQuery{}, seqRange(1, 30)},
		{chat.MessageQuery{After: 10, Limit: 5}, seqRange(11, 15)},
		{chat.MessageQuery{Before: 10, Latest: true, Limit: 3}, seqRange(7, 9)},
		{chat.MessageQuery{Before: 10, Limit: 3}, seqRange(1, 3)},
		{chat.MessageQuery{Latest: true, Limit: 50}, seqRange(1, 30)},
		{chat.MessageQuery{Latest: true, Limit: 5}, seqRange(26, 30)},
		{chat.MessageQuery{Latest: true}, seqRange(1, 30)},
		{chat.MessageQuery{After: 30}, seqRange(1, 0)},
		{chat.MessageQuery{After: 1000}, seqRange(1, 0)},
		{chat.MessageQuery{After: 29}, []int64{30}},
		{chat.MessageQuery{After: 10, Before: 14}, seqRange(11, 13)},
		{chat.MessageQuery{After: 10, Before: 14, Latest: true, Limit: 2}, seqRange(12, 13)},
		{chat.MessageQuery{After: 10, Before: 14, Limit: 2}, seqRange(11, 12)},
		{chat.MessageQuery{After: 10, Before: 11}, seqRange(1, 0)},
		{chat.MessageQuery{After: 20, Before: 10}, seqRange(1, 0)},
		{chat.MessageQuery{Before: 1}, seqRange(1, 0)},
		{chat.MessageQuery{Before: 2}, []int64{1}},
		{chat.MessageQuery{Before: 1000, Latest: true, Limit: 2}, seqRange(29, 30)},
		{chat.MessageQuery{After: 25, Latest: true, Limit: 10}, seqRange(26, 30)},
		{chat.MessageQuery{Limit: 1}, []int64{1}},
		{chat.MessageQuery{Limit: 1, Latest: true}, []int64{30}},
		{chat.MessageQuery{Limit: chat.MaxPageSize}, seqRange(1, 30)},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, page(tt.q), "Messages(%+v)", tt.q)
	}

	// Paging backwards from the end with Before and Latest visits every
	// message once.
	var back []int64
	before := int64(0)
	for {
		got := page(chat.MessageQuery{Before: before, Latest: true, Limit: 7})
		if len(got) == 0 {
			break
		}
		back = append(got, back...)
		before = got[0]
		require.Less(t, len(back), 100, "paging backwards does not end")
	}
	assert.Equal(t, seqRange(1, 30), back, "paging backwards with Before and Latest visits every message once")

	// Forwards with After.
	var fwd []int64
	after := int64(0)
	for {
		got := page(chat.MessageQuery{After: after, Limit: 7})
		if len(got) == 0 {
			break
		}
		fwd = append(fwd, got...)
		after = got[len(got)-1]
		require.Less(t, len(fwd), 100, "paging forwards does not end")
	}
	assert.Equal(t, seqRange(1, 30), fwd, "paging forwards with After visits every message once")

	empty := f.conversation()
	got, err := f.s.Messages(f.ctx, empty.ID, chat.MessageQuery{})
	require.NoError(t, err, "Messages of a conversation with none")
	assert.Empty(t, got, "Messages of a conversation with none is empty")
}

func testMessageDefaultPage(t *testing.T, f *fixture) {
	c := f.conversation()
	n := int64(chat.DefaultPageSize + 10)
	f.appendN(c.ID, int(n))
	assert.Equal(t, seqRange(1, chat.DefaultPageSize), seqs(f.messages(c.ID, chat.MessageQuery{})),
		"Limit 0 means DefaultPageSize, oldest first")
	assert.Equal(t, seqRange(n-chat.DefaultPageSize+1, n), seqs(f.messages(c.ID, chat.MessageQuery{Latest: true})),
		"Limit 0 with Latest means the newest DefaultPageSize")
	assert.Equal(t, seqRange(1, n), seqs(f.messages(c.ID, chat.MessageQuery{Limit: chat.MaxPageSize})),
		"Limit MaxPageSize returns all")
}

func testMessageNotFound(t *testing.T, f *fixture) {
	unknown := uuid.New()
	_, err := f.s.Messages(f.ctx, unknown, chat.MessageQuery{})
	require.ErrorIs(t, err, chat.ErrNotFound, "Messages of an unknown conversation")

	m := newMessage(unknown, "hello?")
	m.IdempotencyKey = "key-" + uuid.NewString()
	_, _, err = f.s.AppendMessage(f.ctx, m)
	require.ErrorIs(t, err, chat.ErrNotFound, "AppendMessage to an unknown conversation")

	// Nothing was kept for later: once the conversation exists it is empty,
	// and the message id and key are free.
	c := newConversation(f.visitor().ID)
	c.ID = unknown
	f.create(c)
	got, err := f.s.Messages(f.ctx, unknown, chat.MessageQuery{})
	require.NoError(t, err)
	assert.Empty(t, got, "AppendMessage to an unknown conversation stores nothing")
	stored := f.appendMessage(m)
	assert.EqualValues(t, 1, stored.Seq)
}

// testMessageRichRoundTrip stores a product card and quick replies, with
// text that looks like markup, and reads them back byte for byte.
func testMessageRichRoundTrip(t *testing.T, f *fixture) {
	c := f.conversation()
	card := &chat.ProductCard{
		ProductID: "enamel-teapot",
		Name:      `Teapot <img src=x onerror="alert(1)"> & "friends"`,
		Price:     chat.Money{Amount: 3490, Currency: "EUR"},
		ImageURL:  "https://cdn.example.com/teapot.jpg?w=200&h=200",
		URL:       "/p/enamel-teapot",
		AddToCart: "/cart/add",
	}
	cardOnly := newMessage(c.ID, "")
	cardOnly.Author = chat.Author{Kind: chat.AuthorBot, Name: "Shop"}
	cardOnly.Card = card
	replies := newMessage(c.ID, "Which colour?")
	replies.Author = chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Olga"}
	replies.QuickReplies = []string{"White", "<b>Black</b>", "Żółty"}
	stored := []chat.Message{f.appendMessage(cardOnly), f.appendMessage(replies)}
	card.Name = "changed after AppendMessage"
	replies.QuickReplies[0] = "changed after AppendMessage"

	wantCard := *card
	wantCard.Name = `Teapot <img src=x onerror="alert(1)"> & "friends"`
	w1, w2 := wantMessage(cardOnly, 1), wantMessage(replies, 2)
	w1.Card = &wantCard
	w2.QuickReplies = []string{"White", "<b>Black</b>", "Żółty"}
	requireMessages(t, []chat.Message{w1, w2}, stored, "AppendMessage returns the card and the quick replies as given")
	requireMessages(t, []chat.Message{w1, w2}, f.messages(c.ID, chat.MessageQuery{}), "Messages returns the card and the quick replies as stored")
}
