package brokertest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// Wait is how long a case waits for an event it expects before it fails.
const Wait = 15 * time.Second

// Capabilities tells the suite what a broker can do beyond [chat.Broker].
// The zero value claims nothing, and the cases that need a capability are
// skipped with a message naming it.
type Capabilities struct {
	// NewCuttable returns a new broker of the same network as newBroker's,
	// together with cut, which severs that broker's connection to its
	// server for real (closing its sockets and refusing new ones) and
	// returns restore, which lets it connect again. Nil skips the
	// Reconnect group.
	NewCuttable func(tb testing.TB) (b chat.Broker, cut func() (restore func()))
}

// Closer is a broker with a lifecycle of its own. Brokers that implement
// it are checked for what Close promises: it ends every subscription,
// later calls fail with [chat.ErrClosed], a second Close is safe, and no
// goroutine of the broker is left behind.
type Closer interface {
	Close(ctx context.Context) error
}

// Run checks that the brokers made by newBroker follow every rule of
// [chat.Broker]. newBroker is called several times per case, and every
// broker it returns must reach every other one, as the brokers of several
// instances of one shop do: a new client of one server, or one shared
// in-process broker. It should register the broker's cleanup with
// t.Cleanup.
//
// The groups of cases run one after another, the cases of a group in
// parallel, each on events with fresh ids, so the brokers may be shared
// with other tests' traffic. The last case counts goroutines: call Run
// from a test that is not itself parallel.
func Run(t *testing.T, newBroker func(tb testing.TB) chat.Broker, caps Capabilities) {
	t.Helper()
	for _, g := range groups(caps) {
		t.Run(g.name, func(t *testing.T) {
			if g.skip != "" {
				t.Skip(g.skip)
			}
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					if !g.serial {
						t.Parallel()
					}
					c.run(t, setup(t, newBroker, caps))
				})
			}
		})
	}
}

// group is a named set of cases, run as one level of subtests.
type group struct {
	name   string
	skip   string // why the group is skipped; empty runs it
	serial bool   // run the cases one at a time
	cases  []testCase
}

// testCase is one check of the suite.
type testCase struct {
	name string
	run  func(t *testing.T, f *fixture)
}

// groups lists every case of the suite.
func groups(caps Capabilities) []group {
	reconnect := group{name: "Reconnect", cases: reconnectCases()}
	if caps.NewCuttable == nil {
		reconnect.skip = "Capabilities.NewCuttable is not set: the broker cannot have its connection cut"
	}
	return []group{
		{name: "Delivery", cases: deliveryCases()},
		{name: "Lifecycle", cases: lifecycleCases()},
		{name: "Context", cases: contextCases()},
		{name: "Desks", cases: deskCases()},
		reconnect,
		{name: "Leak", serial: true, cases: leakCases()},
	}
}

// fixture is what a case works with: a way to make brokers, a live
// context and a fresh key that marks the case's events.
type fixture struct {
	t         *testing.T
	ctx       context.Context
	newBroker func(tb testing.TB) chat.Broker
	caps      Capabilities
	key       uuid.UUID
}

func setup(t *testing.T, newBroker func(tb testing.TB) chat.Broker, caps Capabilities) *fixture {
	t.Helper()
	return &fixture{t: t, ctx: t.Context(), newBroker: newBroker, caps: caps, key: chat.NewID()}
}

// broker returns a new broker of the network.
func (f *fixture) broker() chat.Broker {
	f.t.Helper()
	b := f.newBroker(f.t)
	require.NotNil(f.t, b, "newBroker returned nil")
	return b
}

// brokers returns n new brokers of the network.
func (f *fixture) brokers(n int) []chat.Broker {
	f.t.Helper()
	bs := make([]chat.Broker, n)
	for i := range bs {
		bs[i] = f.broker()
	}
	return bs
}

// subscribe subscribes a new recorder of the case's events to b and stops
// it when the test ends.
func (f *fixture) subscribe(b chat.Broker) *recorder {
	f.t.Helper()
	r := newRecorder(f.key)
	stop, err := b.Subscribe(f.ctx, r.deliver)
	require.NoError(f.t, err, "Subscribe")
	require.NotNil(f.t, stop, "Subscribe returned a nil stop function")
	r.stop = stop
	f.t.Cleanup(stop)
	return r
}

// event returns an event of the case with sequence number seq, which
// cases use to tell events apart and check their order.
func (f *fixture) event(seq int64) chat.Event {
	return chat.Event{Type: chat.EventRead, ConversationID: f.key, Seq: seq, At: time.Now()}
}

// publish publishes e on b and fails the test on an error.
func (f *fixture) publish(b chat.Broker, e chat.Event) {
	f.t.Helper()
	require.NoError(f.t, b.Publish(f.ctx, e), "Publish")
}

// recorder is a subscriber that keeps the events of one case: those whose
// ConversationID or VisitorID is the case's key. Other cases' traffic on
// a shared broker passes it by.
type recorder struct {
	key  uuid.UUID
	stop func()

	mu      sync.Mutex
	events  []chat.Event
	changed chan struct{} // closed and replaced on every event
}

func newRecorder(key uuid.UUID) *recorder {
	return &recorder{key: key, changed: make(chan struct{})}
}

// deliver is the function given to Subscribe.
func (r *recorder) deliver(e chat.Event) {
	if e.ConversationID != r.key && e.VisitorID != r.key {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	close(r.changed)
	r.changed = make(chan struct{})
}

// got returns a copy of the events received so far.
func (r *recorder) got() []chat.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// waitFor waits until ok holds for the events received, and fails the
// test after Wait.
func (r *recorder) waitFor(t *testing.T, what string, ok func([]chat.Event) bool) []chat.Event {
	t.Helper()
	deadline := time.NewTimer(Wait)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		events, changed := slices.Clone(r.events), r.changed
		r.mu.Unlock()
		if ok(events) {
			return events
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("waited %v for %s; received %d events of the case", Wait, what, len(events))
			return nil
		}
	}
}

// waitSeq waits for the event with sequence number seq and returns every
// event received until then.
func (r *recorder) waitSeq(t *testing.T, seq int64) []chat.Event {
	t.Helper()
	return r.waitFor(t, fmt.Sprintf("the event with Seq %d", seq), func(es []chat.Event) bool {
		return slices.ContainsFunc(es, func(e chat.Event) bool { return e.Seq == seq })
	})
}

// waitN waits for n events.
func (r *recorder) waitN(t *testing.T, n int) []chat.Event {
	t.Helper()
	return r.waitFor(t, fmt.Sprintf("%d events", n), func(es []chat.Event) bool { return len(es) >= n })
}
