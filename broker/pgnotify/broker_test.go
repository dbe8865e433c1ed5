package pgnotify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/broker/brokertest"
	"github.com/parleychat/parley/chat"
)

func TestNewValidates(t *testing.T) {
	t.Parallel()
	const dsn = "postgres://postgres@127.0.0.1:5432/test"
	for _, tc := range []struct {
		field string
		cfg   Config
	}{
		{"ConnString", Config{}},
		{"ConnString", Config{ConnString: "postgres://a b:c"}},
		{"Prefix", Config{ConnString: dsn, Prefix: "Parley"}},
		{"Prefix", Config{ConnString: dsn, Prefix: "p-"}},
		{"Prefix", Config{ConnString: dsn, Prefix: strings.Repeat("p", 32)}},
		{"Timeout", Config{ConnString: dsn, Timeout: -1}},
		{"Retention", Config{ConnString: dsn, Retention: -1}},
		{"ReconnectMin", Config{ConnString: dsn, ReconnectMin: -1}},
		{"PingInterval", Config{ConnString: dsn, PingInterval: -1}},
		{"ReconnectMax", Config{ConnString: dsn, ReconnectMin: time.Second, ReconnectMax: time.Millisecond}},
	} {
		_, err := New(tc.cfg)
		require.ErrorIs(t, err, chat.ErrInvalid, tc.field)
		assert.Contains(t, err.Error(), "Config."+tc.field)
	}

	cfg := Config{ConnString: dsn}
	b, err := New(cfg)
	require.NoError(t, err)
	assert.Equal(t, Config{ConnString: dsn}, cfg, "New changed the caller's Config")
	assert.Equal(t, "parley_broker", b.Channel())
	assert.Equal(t, "parley_broker_events", b.Table())
	require.NoError(t, b.Close(context.Background()), "closing a broker never used")
}

// fullEvent returns an event with every field of the event and of the
// values it points to set, times to the microsecond as stores keep them.
func fullEvent() chat.Event {
	at := chat.Timestamp(time.Date(2026, 11, 22, 10, 3, 0, 123456000, time.UTC))
	resolved := true
	conv := uuid.New()
	visitor := uuid.New()
	return chat.Event{
		Type:            chat.EventMessage,
		ConversationID:  conv,
		VisitorID:       visitor,
		AgentID:         "olga",
		PreviousAgentID: "piotr",
		Author:          chat.Author{Kind: chat.AuthorAgent, ID: "olga", Name: "Olga"},
		Message: &chat.Message{
			ID: uuid.New(), ConversationID: conv, Seq: 12,
			Author: chat.Author{Kind: chat.AuthorVisitor, ID: visitor.String(), Name: "Anna"},
			Body:   "Czy rower <b>miejski</b> & kask są w zestawie? \u2603",
			Attachments: []chat.Attachment{{Name: "bike.jpg", ContentType: "image/jpeg", Size: 2048, URL: "https://shop.example.com/f/bike.jpg",
				FileID: uuid.New(), Width: 640, Height: 480}},
			IdempotencyKey: "k-1",
			Internal:       true,
			CreatedAt:      at,
			Card: &chat.ProductCard{ProductID: "bike-7", Name: "Rower miejski", Price: chat.Money{Amount: 149900, Currency: "PLN"},
				ImageURL: "https://shop.example.com/i/bike.jpg", URL: "https://shop.example.com/p/bike", AddToCart: "/cart/add"},
			QuickReplies: []string{"Tak", "Nie"},
		},
		Conversation: &chat.ConversationInfo{
			ID: conv, VisitorID: visitor, Department: "bikes", Status: chat.StatusOpen, AgentID: "olga",
			CreatedAt: at.Add(-time.Hour), UpdatedAt: at, AssignedAt: at.Add(-time.Minute), ClosedAt: at.Add(time.Minute),
			Rating: 5, Resolved: &resolved, LastSeq: 12,
			FirstAssignedAt: at.Add(-50 * time.Minute), FirstMessageAt: at.Add(-55 * time.Minute), FirstResponseAt: at.Add(-49 * time.Minute),
			Offline: true, Version: 7, Advised: true, Handoff: chat.HandoffRequested,
		},
		Typing:   true,
		Seq:      12,
		Presence: chat.PresenceAway,
		Queue:    &chat.QueueStatus{Position: 2, Wait: 90 * time.Second},
		Block: &chat.Block{
			ID: uuid.New(), VisitorID: visitor, CustomerID: "c-1042", Email: "anna@example.com",
			Network: netip.MustParsePrefix("192.0.2.0/24"), Reason: "spam", AgentID: "olga",
			CreatedAt: at, ExpiresAt: at.Add(24 * time.Hour),
		},
		Entry: json.RawMessage(`{"visitor":{"name":"Anna"},"pages":[{"url":"https://shop.example.com/p/1"}]}`),
		At:    at,
	}
}

// requireAllSet fails when a field of v, or of a chat struct it holds, is
// zero, so that a field added to chat.Event is added to fullEvent too.
func requireAllSet(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		require.False(t, v.IsNil(), "%s is nil", path)
		requireAllSet(t, v.Elem(), path)
		return
	case reflect.Slice:
		require.Positive(t, v.Len(), "%s is empty", path)
		requireAllSet(t, v.Index(0), path+"[0]")
		return
	case reflect.Struct:
		if v.Type().PkgPath() == reflect.TypeFor[chat.Event]().PkgPath() {
			for i := range v.NumField() {
				requireAllSet(t, v.Field(i), path+"."+v.Type().Field(i).Name)
			}
			return
		}
	}
	require.False(t, v.IsZero(), "%s is zero", path)
}

func TestRoundTripEveryField(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	want := fullEvent()
	requireAllSet(t, reflect.ValueOf(want), "Event")

	pub := s.broker(t, nil)
	in := subscribe(t, s.broker(t, nil))
	publish(t, pub, want)
	require.Equal(t, want, in.next(t))
}

func TestOrderPerPublisherAcrossInstances(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	const publishers, events = 3, 100
	brokers := make([]*Broker, publishers)
	var inboxes []*inbox
	for i := range brokers {
		brokers[i] = s.broker(t, nil)
		inboxes = append(inboxes, subscribe(t, brokers[i]))
	}
	inboxes = append(inboxes, subscribe(t, brokers[0])) // a second subscriber of one instance

	// Every seventh event is too large to travel inline: events read from
	// the table keep their place among the others.
	large := &chat.Message{Body: strings.Repeat("<", chat.MaxBodyBytes)}
	var wg sync.WaitGroup
	for i, b := range brokers {
		wg.Go(func() {
			for seq := range int64(events) {
				e := chat.Event{Type: chat.EventRead, AgentID: string(rune('a' + i)), Seq: seq + 1}
				if seq%7 == 0 {
					e.Message = large
				}
				publish(t, b, e)
			}
		})
	}
	wg.Wait()

	for n, in := range inboxes {
		last := map[string]int64{}
		for range publishers * events {
			e := in.next(t)
			require.Equal(t, last[e.AgentID]+1, e.Seq, "subscriber %d, publisher %s", n, e.AgentID)
			require.Equal(t, (e.Seq-1)%7 == 0, e.Message != nil, "subscriber %d, publisher %s, event %d", n, e.AgentID, e.Seq)
			last[e.AgentID] = e.Seq
		}
		for i := range publishers {
			assert.EqualValues(t, events, last[string(rune('a'+i))], "subscriber %d", n)
		}
	}
}

func TestStopEndsDelivery(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	pub := s.broker(t, nil)
	sub := s.broker(t, nil)
	kept := subscribe(t, sub)

	var mu sync.Mutex
	var after []chat.Event
	stopped := false
	ctx := context.Background()
	stop, err := sub.Subscribe(ctx, func(e chat.Event) {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			after = append(after, e)
		}
	})
	require.NoError(t, err)
	stop()
	mu.Lock()
	stopped = true
	mu.Unlock()
	stop() // a second call does nothing

	publish(t, pub, chat.Event{Type: chat.EventTyping, Seq: 1})
	publish(t, pub, chat.Event{Type: chat.EventTyping, Seq: 2})
	require.EqualValues(t, 1, kept.next(t).Seq)
	require.EqualValues(t, 2, kept.next(t).Seq) // both were dispatched to every subscriber by now
	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, after, "a stopped subscriber got events")
}

func TestLargeEventTravelsByReference(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	pub := s.broker(t, nil)
	in := subscribe(t, s.broker(t, nil))

	want := fullEvent()
	// Every '<' grows to six bytes in JSON: the envelope is far over the
	// NOTIFY limit.
	want.Message.Body = strings.Repeat("<ż>", chat.MaxBodyBytes/4)
	require.Equal(t, chat.MaxBodyBytes, len(want.Message.Body))
	publish(t, pub, want)
	require.Equal(t, want, in.next(t))

	var rows int
	require.NoError(t, s.admin.QueryRow(context.Background(), `SELECT count(*) FROM `+pub.Table()).Scan(&rows))
	assert.Equal(t, 1, rows, "the large event was not written to the table")
}

func TestEventsAroundThePayloadLimit(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	pub := s.broker(t, nil)
	in := subscribe(t, s.broker(t, nil))

	base := chat.Event{Type: chat.EventMessage, Message: &chat.Message{Body: ""}, At: chat.Timestamp(time.Now())}
	empty, err := encode(base)
	require.NoError(t, err)
	for size := maxPayload - 2; size <= maxPayload+2; size++ {
		e := base
		m := *base.Message
		m.Body = strings.Repeat("x", size-len(empty))
		e.Message = &m
		payload, err := encode(e)
		require.NoError(t, err)
		require.Len(t, payload, size)
		publish(t, pub, e)
		require.Equal(t, e, in.next(t), "envelope of %d bytes", size)
	}
	var rows int
	require.NoError(t, s.admin.QueryRow(context.Background(), `SELECT count(*) FROM `+pub.Table()).Scan(&rows))
	assert.Equal(t, 2, rows, "only envelopes over %d bytes go to the table", maxPayload)
}

func TestOldRowsArePruned(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	pub := s.broker(t, func(c *Config) { c.Retention = 200 * time.Millisecond })
	in := subscribe(t, s.broker(t, nil))
	large := chat.Event{Type: chat.EventMessage, Message: &chat.Message{Body: strings.Repeat("<", chat.MaxBodyBytes)}}

	publish(t, pub, large)
	in.next(t)
	ctx := context.Background()
	var first int64
	require.NoError(t, s.admin.QueryRow(ctx, `SELECT min(id) FROM `+pub.Table()).Scan(&first))

	deadline := time.Now().Add(10 * time.Second)
	for {
		publish(t, pub, large)
		in.next(t)
		var left int
		require.NoError(t, s.admin.QueryRow(ctx, `SELECT count(*) FROM `+pub.Table()+` WHERE id = $1`, first).Scan(&left))
		if left == 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the first row outlived its retention by 10s")
		time.Sleep(50 * time.Millisecond) // pace the publishes while waiting for the row to age
	}
	var old int
	require.NoError(t, s.admin.QueryRow(ctx, `SELECT count(*) FROM `+pub.Table()+` WHERE created_at < now() - interval '1 second'`).Scan(&old))
	assert.Zero(t, old)
}

func TestClosed(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	b, err := New(s.cfg)
	require.NoError(t, err)
	subscribe(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, b.Close(ctx))
	require.NoError(t, b.Close(ctx), "a second Close")

	require.ErrorIs(t, b.Publish(ctx, chat.Event{Type: chat.EventTyping}), chat.ErrClosed)
	_, err = b.Subscribe(ctx, func(chat.Event) {})
	require.ErrorIs(t, err, chat.ErrClosed)

	// The listening connection is gone from the server.
	require.Eventually(t, func() bool {
		var n int
		err := s.admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE $1`, s.cfg.ApplicationName+"%").Scan(&n)
		return err == nil && n == 0
	}, 10*time.Second, 20*time.Millisecond)
}

// TestBroker runs the conformance suite every chat.Broker passes, with the
// network between a broker and PostgreSQL cut for real by a proxy.
func TestBroker(t *testing.T) {
	s := newSetup(t)
	newBroker := func(tb testing.TB) chat.Broker { return s.broker(tb, nil) }
	brokertest.Run(t, newBroker, brokertest.Capabilities{
		NewCuttable: func(tb testing.TB) (chat.Broker, func() func()) {
			p, proxied := viaProxy(tb, s.cfg.ConnString)
			return s.broker(tb, func(c *Config) { c.ConnString = proxied }), p.Cut
		},
	})
}

// TestTableMadeInAdvance gives the broker a database user that may not
// create tables, and the table made in advance as the package
// documentation says.
func TestTableMadeInAdvance(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	ctx := context.Background()
	role := s.cfg.ApplicationName + "_user"
	table := s.cfg.Prefix + "broker_events"
	for _, stmt := range []string{
		`CREATE ROLE ` + role + ` LOGIN`,
		`CREATE UNLOGGED TABLE ` + table + ` (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), payload text NOT NULL)`,
		`GRANT SELECT, INSERT, DELETE ON ` + table + ` TO ` + role,
		`GRANT USAGE ON SEQUENCE ` + table + `_id_seq TO ` + role,
	} {
		_, err := s.admin.Exec(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	t.Cleanup(func() {
		_, _ = s.admin.Exec(ctx, `DROP TABLE IF EXISTS `+table)
		_, _ = s.admin.Exec(ctx, `DROP ROLE IF EXISTS `+role)
	})
	var mayCreate bool
	require.NoError(t, s.admin.QueryRow(ctx, `SELECT has_schema_privilege($1, current_schema(), 'CREATE')`, role).Scan(&mayCreate))
	require.False(t, mayCreate, "the test needs a user who may not create tables (PostgreSQL 15 and later)")
	u, err := url.Parse(s.cfg.ConnString)
	require.NoError(t, err)
	u.User = url.User(role)

	b := s.broker(t, func(c *Config) { c.ConnString = u.String() })
	in := subscribe(t, b)
	want := fullEvent()
	want.Message.Body = strings.Repeat("<", chat.MaxBodyBytes)
	publish(t, b, want)
	require.Equal(t, want, in.next(t))
}

// TestTableDroppedWhileRunning drops the table under a broker that made
// it: the next large event makes it again.
func TestTableDroppedWhileRunning(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	b := s.broker(t, nil)
	in := subscribe(t, b)
	large := chat.Event{Type: chat.EventMessage, Message: &chat.Message{Body: strings.Repeat("<", chat.MaxBodyBytes)}}
	publish(t, b, large)
	in.next(t)
	_, err := s.admin.Exec(context.Background(), `DROP TABLE `+b.Table())
	require.NoError(t, err)
	large.Seq = 2
	publish(t, b, large)
	require.EqualValues(t, 2, in.next(t).Seq)
}

// TestDropsWhatItCannotRead puts on the channel what another process could:
// an envelope and a reference of a later version, bytes that are no
// envelope, a reference to a row that is gone. The broker logs and drops
// each and delivers the next event.
func TestDropsWhatItCannotRead(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	var logs brokertest.LogBuffer
	b := s.broker(t, func(c *Config) { c.Logger = logs.Logger() })
	in := subscribe(t, b)
	publish(t, b, chat.Event{Type: chat.EventMessage, Message: &chat.Message{Body: strings.Repeat("<", chat.MaxBodyBytes)}, Seq: 1})
	require.EqualValues(t, 1, in.next(t).Seq) // the table exists now

	ctx := context.Background()
	for _, payload := range []string{
		`{"v":2,"event":{"type":"read","seq":2}}`,
		`{"v":2,"ref":1}`,
		`not an envelope`,
		`{"v":1,"ref":999999999}`,
	} {
		_, err := s.admin.Exec(ctx, `SELECT pg_notify($1, $2)`, b.Channel(), payload)
		require.NoError(t, err)
	}
	publish(t, b, chat.Event{Type: chat.EventRead, Seq: 3})
	require.EqualValues(t, 3, in.next(t).Seq, "the first event delivered is the one that can be read")
	assert.Equal(t, 3, strings.Count(logs.String(), "dropping an event that cannot be decoded"), logs.String())
	assert.Equal(t, 2, strings.Count(logs.String(), "unknown envelope version 2"), logs.String())
	assert.Contains(t, logs.String(), "a large event was deleted before it was read")
}

// TestPrefixesApart checks that two shops with different prefixes on one
// database do not hear each other.
func TestPrefixesApart(t *testing.T) {
	t.Parallel()
	a, b := newSetup(t), newSetup(t)
	shopA, shopB := a.broker(t, nil), b.broker(t, nil)
	inA, inB := subscribe(t, shopA), subscribe(t, shopB)
	publish(t, shopA, chat.Event{Type: chat.EventRead, Seq: 1})
	publish(t, shopB, chat.Event{Type: chat.EventRead, Seq: 2})
	// Each shop's second event follows both first ones: had the other
	// shop's event been on its channel, it would arrive before it.
	publish(t, shopA, chat.Event{Type: chat.EventRead, Seq: 3})
	publish(t, shopB, chat.Event{Type: chat.EventRead, Seq: 4})
	assert.EqualValues(t, 1, inA.next(t).Seq)
	assert.EqualValues(t, 3, inA.next(t).Seq)
	assert.EqualValues(t, 2, inB.next(t).Seq)
	assert.EqualValues(t, 4, inB.next(t).Seq)
	assert.NotEqual(t, shopA.Channel(), shopB.Channel())
}

// TestConcurrentPublishesAllArrive publishes from many goroutines at once,
// so that they share statements, identical events among them: each is
// delivered as often as it was published (PostgreSQL would deliver
// identical notifications of one transaction once), and each publisher's
// events keep their order.
func TestConcurrentPublishesAllArrive(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	pub := s.broker(t, nil)
	in := subscribe(t, s.broker(t, nil))
	const publishers, events = 32, 40
	same := chat.Event{Type: chat.EventTyping, AgentID: "same"}
	var wg sync.WaitGroup
	for i := range publishers {
		wg.Go(func() {
			for seq := range int64(events) {
				publish(t, pub, chat.Event{Type: chat.EventRead, AgentID: fmt.Sprint("p", i), Seq: seq + 1})
				publish(t, pub, same)
			}
		})
	}
	wg.Wait()
	last := map[string]int64{}
	for range 2 * publishers * events {
		e := in.next(t)
		if e.AgentID == same.AgentID {
			last[e.AgentID]++
			continue
		}
		require.Equal(t, last[e.AgentID]+1, e.Seq, "publisher %s", e.AgentID)
		last[e.AgentID] = e.Seq
	}
	assert.EqualValues(t, publishers*events, last[same.AgentID], "identical events delivered")
	for i := range publishers {
		assert.EqualValues(t, events, last[fmt.Sprint("p", i)], "events of publisher %d", i)
	}
}
