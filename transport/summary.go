package transport

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/wire"
)

// DefaultSummaryInterval is how often, at most, an agent connection is sent
// a conversations summary.
const DefaultSummaryInterval = 250 * time.Millisecond

// summaryBuffer is how many shop-wide events the summary feed may fall
// behind before it reads the conversations from the store instead.
const summaryBuffer = 4096

// maxHeldSummaries is how many summaries a connection's box holds apart
// before it merges them into one.
const maxHeldSummaries = 8

// summary is the changes to the shop's conversations gathered over one
// interval: each changed conversation's newest state and queue place.
// Once handed to the boxes it is never changed again, and its frame is
// encoded once for every connection.
type summary struct {
	convs  map[uuid.UUID]chat.ConversationInfo
	places map[uuid.UUID]wire.QueuePlace

	once    sync.Once
	encoded []byte
	err     error
}

func newSummary() *summary {
	return &summary{convs: make(map[uuid.UUID]chat.ConversationInfo), places: make(map[uuid.UUID]wire.QueuePlace)}
}

// add records what e changes, and reports whether it changed anything an
// agent's console lists.
func (s *summary) add(e chat.Event) bool {
	switch e.Type {
	case chat.EventAssigned, chat.EventStatus, chat.EventRated:
		if e.Conversation == nil {
			return false
		}
		s.put(*e.Conversation)
	case chat.EventQueue:
		if e.Queue == nil {
			return false
		}
		s.places[e.ConversationID] = wire.QueuePlace{ConversationID: e.ConversationID, Position: e.Queue.Position, WaitMS: e.Queue.Wait.Milliseconds()}
	default:
		return false
	}
	return true
}

// put records c unless a later version of it is recorded. A conversation
// that left the queue has no place any more.
func (s *summary) put(c chat.ConversationInfo) {
	if old, ok := s.convs[c.ID]; ok && old.Version > c.Version {
		return
	}
	s.convs[c.ID] = c
	if c.Status != chat.StatusQueued {
		delete(s.places, c.ID)
	}
}

// merge adds the changes of later, which came after those of s.
func (s *summary) merge(later *summary) {
	for _, c := range later.convs {
		s.put(c)
	}
	maps.Copy(s.places, later.places)
}

func (s *summary) empty() bool { return len(s.convs) == 0 && len(s.places) == 0 }

// frame returns the summary as a conversations frame, oldest conversation
// first.
func (s *summary) frame() *wire.ServerFrame {
	f := &wire.ServerFrame{Type: wire.FrameConversations}
	f.Open = slices.SortedFunc(maps.Values(s.convs), func(a, b chat.ConversationInfo) int { return a.CreatedAt.Compare(b.CreatedAt) })
	f.Queue = slices.SortedFunc(maps.Values(s.places), func(a, b wire.QueuePlace) int { return a.Position - b.Position })
	return f
}

// encode returns the frame encoded, once for every connection it goes to.
func (s *summary) encode() ([]byte, error) {
	s.once.Do(func() { s.encoded, s.err = json.Marshal(s.frame()) })
	return s.encoded, s.err
}

// summaryBox holds the summaries one agent connection has not been sent
// yet; ready has a value while it holds any.
type summaryBox struct {
	mu    sync.Mutex
	held  []*summary
	ready chan struct{}
}

func newSummaryBox() *summaryBox { return &summaryBox{ready: make(chan struct{}, 1)} }

// put adds a summary for the connection. A connection that is not being
// written to fast enough gets its summaries merged: the newest state of
// each conversation wins, and what it holds is bounded by the number of
// conversations that changed.
func (b *summaryBox) put(s *summary) {
	b.mu.Lock()
	b.held = append(b.held, s)
	if len(b.held) > maxHeldSummaries {
		merged := newSummary()
		for _, h := range b.held {
			merged.merge(h)
		}
		b.held = []*summary{merged}
	}
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// take returns what the connection is to be sent, as one summary.
func (b *summaryBox) take() *summary {
	b.mu.Lock()
	held := b.held
	b.held = nil
	b.mu.Unlock()
	switch len(held) {
	case 0:
		return nil
	case 1:
		return held[0]
	}
	merged := newSummary()
	for _, h := range held {
		merged.merge(h)
	}
	return merged
}

// summaryFeed follows every event of the shop, once for the whole Server,
// and hands each agent connection's box a summary of the conversations
// that changed, at most once per Config.SummaryInterval: a burst of
// changes costs each connection one frame per interval, not one per
// change.
type summaryFeed struct {
	srv *Server

	mu    sync.Mutex
	boxes map[*summaryBox]struct{}

	watch shopWatch
}

func newSummaryFeed(s *Server) *summaryFeed {
	return &summaryFeed{srv: s, boxes: make(map[*summaryBox]struct{})}
}

// add registers a connection's box, starting the feed on first use. The
// box receives every change published from then on.
func (f *summaryFeed) add(b *summaryBox) error {
	if err := f.start(); err != nil {
		return err
	}
	f.mu.Lock()
	f.boxes[b] = struct{}{}
	f.mu.Unlock()
	return nil
}

func (f *summaryFeed) remove(b *summaryBox) {
	f.mu.Lock()
	delete(f.boxes, b)
	f.mu.Unlock()
}

// start subscribes the feed to the whole shop and runs it, once.
func (f *summaryFeed) start() error {
	return f.watch.start(f.srv.desk, summaryBuffer, f.run)
}

// run gathers changes and hands them out. The first change after a quiet
// interval goes out at once; later ones wait until an interval has passed
// since the last summary.
func (f *summaryFeed) run(ctx context.Context, sub *chat.Subscription) {
	interval := f.srv.cfg.SummaryInterval
	pending := newSummary()
	var last time.Time
	var timer *time.Timer
	var due <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			sub.Close()
			return
		case <-due:
			due = nil
			last = time.Now()
			f.hand(pending)
			pending = newSummary()
			continue
		case e, ok := <-sub.Events():
			if !ok {
				if !errors.Is(sub.Err(), chat.ErrSlowConsumer) {
					return // the desk closed
				}
				var err error
				if sub, err = f.srv.desk.SubscribeBuffer(ctx, chat.TopicAll, summaryBuffer); err != nil {
					f.srv.log.Warn("transport: following the conversations for the agents' summaries", "err", err)
					return
				}
				f.reload(ctx, pending)
			} else if e.Type == chat.EventResync {
				// The desk may have missed changes made on other
				// instances while its broker was away.
				f.reload(ctx, pending)
			} else if !pending.add(e) {
				continue
			}
		}
		if due == nil && !pending.empty() {
			timer = time.NewTimer(max(0, interval-time.Since(last)))
			due = timer.C
		}
	}
}

// reload puts the conversations that may have changed unseen in s, after
// the feed or the desk lost events: the newest page of the active ones, and
// of the closed ones, so that a console learns of a chat closed meanwhile.
func (f *summaryFeed) reload(ctx context.Context, s *summary) {
	for _, statuses := range [][]chat.Status{activeStatuses, {chat.StatusClosed}} {
		convs, err := f.srv.desk.Conversations(ctx, chat.ConversationFilter{Statuses: statuses, Newest: true, Limit: chat.MaxPageSize})
		if err != nil {
			f.srv.log.Warn("transport: reading the conversations for the agents' summaries", "err", err)
			return
		}
		for _, c := range convs {
			s.put(c)
		}
	}
}

// hand gives s to every registered box.
func (f *summaryFeed) hand(s *summary) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for b := range f.boxes {
		b.put(s)
	}
}

// shutdown stops the feed.
func (f *summaryFeed) shutdown(ctx context.Context) { f.watch.shutdown(ctx) }
