package brokertest

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// fenceSeq marks the event a case publishes last, after which every event
// it published before has arrived when delivery keeps publish order.
const fenceSeq = 1 << 40

func deliveryCases() []testCase {
	return []testCase{
		{"RoundTripEveryField", testRoundTrip},
		{"LargeEvent", testLargeEvent},
		{"PublishOrder", testPublishOrder},
		{"ConcurrentPublishers", testConcurrentPublishers},
	}
}

// fence publishes the fence event on pub, waits until every recorder has
// it, and returns what each received before it. A duplicate of an earlier
// event then shows up as one event too many.
func (f *fixture) fence(pub chat.Broker, rs ...*recorder) [][]chat.Event {
	f.t.Helper()
	e := f.event(fenceSeq)
	e.Author = chat.Author{Kind: chat.AuthorSystem, ID: "fence"}
	f.publish(pub, e)
	out := make([][]chat.Event, len(rs))
	for i, r := range rs {
		got := r.waitSeq(f.t, fenceSeq)
		out[i] = got[:len(got)-1]
		require.Equal(f.t, int64(fenceSeq), got[len(got)-1].Seq,
			"the fence, published last, arrives last: delivery keeps the order of one publisher and delivers each event once")
	}
	return out
}

// testRoundTrip publishes events of every type with every field set from
// one broker and checks that subscribers on it and on two other brokers
// receive each one once, equal to what was published.
func testRoundTrip(t *testing.T, f *fixture) {
	bs := f.brokers(3)
	rs := []*recorder{f.subscribe(bs[0]), f.subscribe(bs[1]), f.subscribe(bs[2])}
	sent := everyEvent(f.key)
	for _, e := range sent {
		f.publish(bs[0], e)
	}
	for i, got := range f.fence(bs[0], rs...) {
		requireEvents(t, sent, got, "subscriber %d (%s) receives every event once, every field as published", i, place(i))
	}
}

// place names where the i-th subscriber of a case runs.
func place(i int) string {
	if i == 0 {
		return "on the publishing broker"
	}
	return "on another broker"
}

// testLargeEvent sends a message with a body of chat.MaxBodyBytes and
// attachments, in text that JSON and other encodings escape.
func testLargeEvent(t *testing.T, f *fixture) {
	bs := f.brokers(2)
	rs := []*recorder{f.subscribe(bs[0]), f.subscribe(bs[1])}
	e := everyEvent(f.key)[0]
	e.Message.Body = largeBody()
	require.Len(t, e.Message.Body, chat.MaxBodyBytes)
	for i := range 20 {
		e.Message.Attachments = append(e.Message.Attachments, chat.Attachment{
			Name:        fmt.Sprintf("załącznik %d \"<&>\".pdf", i),
			ContentType: "application/pdf",
			Size:        int64(i) << 20,
			URL:         "https://files.example.com/" + strings.Repeat("x", 200) + fmt.Sprint(i),
		})
	}
	f.publish(bs[0], e)
	for i, got := range f.fence(bs[0], rs...) {
		requireEvents(t, []chat.Event{e}, got, "subscriber %d receives the large event whole", i)
	}
}

// largeBody returns chat.MaxBodyBytes of text mixing one-, two- and
// three-byte characters with characters that encoders escape.
func largeBody() string {
	const unit = "<ż&€\"\\\n\t" // 1+2+1+3+1+1+1+1 bytes
	var b strings.Builder
	for b.Len()+len(unit) <= chat.MaxBodyBytes {
		b.WriteString(unit)
	}
	for b.Len() < chat.MaxBodyBytes {
		b.WriteByte('a')
	}
	return b.String()
}

// testPublishOrder checks that the events of one publisher arrive in the
// order it published them, on its own broker and on others.
func testPublishOrder(t *testing.T, f *fixture) {
	const n = 300
	bs := f.brokers(3)
	rs := []*recorder{f.subscribe(bs[0]), f.subscribe(bs[1]), f.subscribe(bs[2])}
	for i := range int64(n) {
		f.publish(bs[0], f.event(i+1))
	}
	for i, got := range f.fence(bs[0], rs...) {
		assert.Equal(t, seqRange(1, n), seqs(got), "subscriber %d (%s) receives the %d events once each, in publish order", i, place(i), n)
	}
}

// testConcurrentPublishers publishes from several goroutines on several
// brokers at once and checks that every subscriber receives every event
// once, each publisher's in its order.
func testConcurrentPublishers(t *testing.T, f *fixture) {
	const (
		brokers    = 3
		perBroker  = 2 // publishing goroutines on each broker
		perPublish = 100
	)
	bs := f.brokers(brokers)
	rs := []*recorder{f.subscribe(bs[0]), f.subscribe(bs[1]), f.subscribe(f.broker())}
	var wg sync.WaitGroup
	errs := make(chan error, brokers*perBroker)
	for i, b := range bs {
		for j := range perBroker {
			author := chat.Author{Kind: chat.AuthorAgent, ID: fmt.Sprintf("publisher-%d-%d", i, j)}
			wg.Go(func() {
				for s := range int64(perPublish) {
					e := f.event(s + 1)
					e.Author = author
					if err := b.Publish(f.ctx, e); err != nil {
						errs <- fmt.Errorf("%s: Publish: %w", author.ID, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	const total = brokers * perBroker * perPublish
	for i, r := range rs {
		got := r.waitN(t, total)
		byAuthor := map[string][]int64{}
		for _, e := range got {
			byAuthor[e.Author.ID] = append(byAuthor[e.Author.ID], e.Seq)
		}
		require.Len(t, byAuthor, brokers*perBroker, "subscriber %d hears every publisher", i)
		for author, s := range byAuthor {
			assert.Equal(t, seqRange(1, perPublish), s, "subscriber %d receives %s's events once each, in the order published", i, author)
		}
	}
	// Every event has arrived; one more from each broker shows that none
	// arrives twice.
	for _, b := range bs {
		f.publish(b, f.event(fenceSeq))
	}
	for i, r := range rs {
		got := r.waitFor(t, "a fence from every broker", func(es []chat.Event) bool {
			return countSeq(es, fenceSeq) == brokers
		})
		assert.Len(t, got, total+brokers, "subscriber %d receives no event twice", i)
	}
}

func countSeq(es []chat.Event, seq int64) int {
	n := 0
	for _, e := range es {
		if e.Seq == seq {
			n++
		}
	}
	return n
}

func seqs(es []chat.Event) []int64 {
	out := make([]int64, 0, len(es))
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func seqRange(from, to int64) []int64 {
	out := []int64{}
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// someTime is an instant in a zone east of UTC, with nanoseconds that a
// broker may drop: events are compared after chat.Timestamp, which is how
// the Desk makes every time it publishes.
func someTime() time.Time {
	return time.Date(2025, time.March, 14, 15, 9, 26, 535_897_999, time.FixedZone("UTC+05:45", 5*3600+45*60))
}

// everyEvent returns one event of every type, each with every field that
// type uses set, and between them every field of chat.Event and of the
// values it carries. Each concerns the conversation key (or, for a
// visitor's presence, the visitor key) and has its own Seq for ordering.
func everyEvent(key uuid.UUID) []chat.Event {
	at := someTime()
	visitor := chat.NewID()
	resolved := true
	conv := &chat.ConversationInfo{
		ID: key, VisitorID: visitor, Department: "zwroty", Status: chat.StatusOpen, AgentID: "agent-ä",
		CreatedAt: at, UpdatedAt: at.Add(time.Minute), AssignedAt: at.Add(2 * time.Second), ClosedAt: at.Add(time.Hour),
		Rating: 5, Resolved: &resolved, LastSeq: 42,
		FirstAssignedAt: at.Add(time.Second), FirstMessageAt: at.Add(3 * time.Second), FirstResponseAt: at.Add(4 * time.Second),
		Offline: true, Version: 7, Advised: true, Handoff: chat.HandoffRequested,
	}
	msg := &chat.Message{
		ID: chat.NewID(), ConversationID: key, Seq: 42,
		Author: chat.Author{Kind: chat.AuthorAgent, ID: "agent-ä", Name: "Zoë \"Z\" <Łukasiewicz>"},
		Body:   "Dzień dobry! 👋🏽 <b>not html</b> & \u2028 done",
		Attachments: []chat.Attachment{{Name: "faktura.pdf", ContentType: "application/pdf", Size: 12345, URL: "https://files.example.com/f?a=1&b=2",
			FileID: uuid.MustParse("01a236ac-0000-7000-8000-000000000001"), Width: 640, Height: 480}},
		IdempotencyKey: "key-1", Internal: true, CreatedAt: at,
		Card: &chat.ProductCard{ProductID: "p-1", Name: "Czajnik <b>", Price: chat.Money{Amount: 12999, Currency: "PLN"},
			ImageURL: "https://shop.example.com/i/1.jpg", URL: "https://shop.example.com/p/1?a=1&b=2", AddToCart: "/cart/add"},
		QuickReplies: []string{"Tak", "Nie <i>"},
	}
	block := &chat.Block{
		ID: chat.NewID(), VisitorID: visitor, CustomerID: "cust-9", Email: "troll@example.com",
		Network: netip.MustParsePrefix("2001:db8::/48"), Reason: "spam", AgentID: "agent-ä",
		CreatedAt: at, ExpiresAt: at.Add(24 * time.Hour),
	}
	agent := chat.Author{Kind: chat.AuthorAgent, ID: "agent-ä", Name: "Zoë"}
	events := []chat.Event{
		{Type: chat.EventMessage, ConversationID: key, VisitorID: visitor, AgentID: "agent-ä", Message: msg},
		{Type: chat.EventAssigned, ConversationID: key, VisitorID: visitor, AgentID: "agent-ä", PreviousAgentID: "agent-b", Author: agent, Conversation: conv},
		{Type: chat.EventStatus, ConversationID: key, VisitorID: visitor, Conversation: conv},
		{Type: chat.EventRated, ConversationID: key, VisitorID: visitor, Conversation: conv},
		{Type: chat.EventTyping, ConversationID: key, VisitorID: visitor, Author: chat.Author{Kind: chat.AuthorVisitor, ID: visitor.String()}, Typing: true},
		{Type: chat.EventRead, ConversationID: key, VisitorID: visitor, Author: agent},
		{Type: chat.EventPresence, VisitorID: key, Author: chat.Author{Kind: chat.AuthorVisitor, ID: key.String()}, Presence: chat.PresenceAway},
		{Type: chat.EventQueue, ConversationID: key, VisitorID: visitor, Queue: &chat.QueueStatus{Position: 3, Wait: 90*time.Second + 123*time.Nanosecond}},
		{Type: chat.EventBlock, ConversationID: key, Block: block},
		{Type: chat.EventUnblock, ConversationID: key, Block: &chat.Block{ID: block.ID}},
		{Type: chat.EventVisit, ConversationID: key, VisitorID: visitor,
			Entry: json.RawMessage(`{"visitor":{"name":"Zoë \u003cZ\u003e"},"pages":[{"url":"https://shop.example.com/p/1?a=1\u0026b=2"}]}`)},
		{Type: chat.EventVisitEnd, ConversationID: key, VisitorID: visitor},
	}
	for i := range events {
		events[i].Seq = int64(i + 1)
		events[i].At = at.Add(time.Duration(i) * time.Millisecond)
	}
	return events
}

// requireEvents fails unless got holds the events of want, in order, equal
// after normTimes.
func requireEvents(t *testing.T, want, got []chat.Event, msgAndArgs ...any) {
	t.Helper()
	w := make([]chat.Event, len(want))
	g := make([]chat.Event, len(got))
	for i := range want {
		w[i] = normTimes(want[i])
	}
	for i := range got {
		g[i] = normTimes(got[i])
	}
	require.Equal(t, w, g, msgAndArgs...)
}

// normTimes returns a deep copy of e with every time passed through
// chat.Timestamp.
func normTimes(e chat.Event) chat.Event {
	ts := chat.Timestamp
	e.At = ts(e.At)
	if e.Message != nil {
		m := *e.Message
		m.CreatedAt = ts(m.CreatedAt)
		e.Message = &m
	}
	if e.Conversation != nil {
		c := *e.Conversation
		for _, p := range []*time.Time{&c.CreatedAt, &c.UpdatedAt, &c.AssignedAt, &c.ClosedAt, &c.FirstAssignedAt, &c.FirstMessageAt, &c.FirstResponseAt} {
			if !p.IsZero() {
				*p = ts(*p)
			}
		}
		e.Conversation = &c
	}
	if e.Block != nil {
		b := *e.Block
		b.CreatedAt = ts(b.CreatedAt)
		if !b.ExpiresAt.IsZero() {
			b.ExpiresAt = ts(b.ExpiresAt)
		}
		e.Block = &b
	}
	return e
}
