// Command customstore shows a chat.Store written by the shop: a wrapper that
// measures every call of the store it wraps and logs the slow ones. The
// wrapped store may be any chat.Store; the example wraps store/sqlstore on an
// SQLite file. Its test runs the conformance suite, store/storetest, against
// the wrapper, as a shop does for a store of its own.
//
//	go run ./examples/customstore
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

// Store is a chat.Store that passes every call to another store, counts the
// calls, errors and time of each method, and logs calls slower than Slow.
type Store struct {
	next chat.Store
	log  *slog.Logger
	slow time.Duration

	mu    sync.Mutex
	stats map[string]MethodStats
}

var _ chat.Store = (*Store)(nil)

// MethodStats is what Store measured for one method.
type MethodStats struct {
	Calls  int
	Errors int // failures; chat.ErrNotFound is an answer, not a failure, and is not counted
	Total  time.Duration
}

// NewStore wraps next. Calls that take slow or longer are logged to log at
// warning level; a nil log or a zero slow logs nothing.
func NewStore(next chat.Store, log *slog.Logger, slow time.Duration) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{next: next, log: log, slow: slow, stats: make(map[string]MethodStats)}
}

// Stats returns what was measured so far, by method name.
func (s *Store) Stats() map[string]MethodStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]MethodStats, len(s.stats))
	for k, v := range s.stats {
		out[k] = v
	}
	return out
}

// observe records one call of method that began at start and ended with err.
func (s *Store) observe(ctx context.Context, method string, start time.Time, err error) {
	d := time.Since(start)
	s.mu.Lock()
	m := s.stats[method]
	m.Calls++
	m.Total += d
	if err != nil && !errors.Is(err, chat.ErrNotFound) {
		m.Errors++
	}
	s.stats[method] = m
	s.mu.Unlock()
	if s.slow > 0 && d >= s.slow {
		s.log.WarnContext(ctx, "slow store call", "method", method, "duration", d, "err", err)
	}
}

// PutVisitor implements chat.Store.
func (s *Store) PutVisitor(ctx context.Context, v chat.Visitor) (err error) {
	defer func(t time.Time) { s.observe(ctx, "PutVisitor", t, err) }(time.Now())
	return s.next.PutVisitor(ctx, v)
}

// Visitor implements chat.Store.
func (s *Store) Visitor(ctx context.Context, id uuid.UUID) (v chat.Visitor, err error) {
	defer func(t time.Time) { s.observe(ctx, "Visitor", t, err) }(time.Now())
	return s.next.Visitor(ctx, id)
}

// PutAgent implements chat.Store.
func (s *Store) PutAgent(ctx context.Context, a chat.Agent) (err error) {
	defer func(t time.Time) { s.observe(ctx, "PutAgent", t, err) }(time.Now())
	return s.next.PutAgent(ctx, a)
}

// Agent implements chat.Store.
func (s *Store) Agent(ctx context.Context, id string) (a chat.Agent, err error) {
	defer func(t time.Time) { s.observe(ctx, "Agent", t, err) }(time.Now())
	return s.next.Agent(ctx, id)
}

// Agents implements chat.Store.
func (s *Store) Agents(ctx context.Context) (as []chat.Agent, err error) {
	defer func(t time.Time) { s.observe(ctx, "Agents", t, err) }(time.Now())
	return s.next.Agents(ctx)
}

// CreateConversation implements chat.Store.
func (s *Store) CreateConversation(ctx context.Context, c chat.ConversationInfo) (_ chat.ConversationInfo, err error) {
	defer func(t time.Time) { s.observe(ctx, "CreateConversation", t, err) }(time.Now())
	return s.next.CreateConversation(ctx, c)
}

// Conversation implements chat.Store.
func (s *Store) Conversation(ctx context.Context, id uuid.UUID) (_ chat.ConversationInfo, err error) {
	defer func(t time.Time) { s.observe(ctx, "Conversation", t, err) }(time.Now())
	return s.next.Conversation(ctx, id)
}

// UpdateConversation implements chat.Store.
func (s *Store) UpdateConversation(ctx context.Context, c chat.ConversationInfo) (_ chat.ConversationInfo, err error) {
	defer func(t time.Time) { s.observe(ctx, "UpdateConversation", t, err) }(time.Now())
	return s.next.UpdateConversation(ctx, c)
}

// Conversations implements chat.Store.
func (s *Store) Conversations(ctx context.Context, f chat.ConversationFilter) (_ []chat.ConversationInfo, err error) {
	defer func(t time.Time) { s.observe(ctx, "Conversations", t, err) }(time.Now())
	return s.next.Conversations(ctx, f)
}

// AppendMessage implements chat.Store.
func (s *Store) AppendMessage(ctx context.Context, m chat.Message) (_ chat.Message, _ bool, err error) {
	defer func(t time.Time) { s.observe(ctx, "AppendMessage", t, err) }(time.Now())
	return s.next.AppendMessage(ctx, m)
}

// Messages implements chat.Store.
func (s *Store) Messages(ctx context.Context, conversationID uuid.UUID, q chat.MessageQuery) (_ []chat.Message, err error) {
	defer func(t time.Time) { s.observe(ctx, "Messages", t, err) }(time.Now())
	return s.next.Messages(ctx, conversationID, q)
}

// AddPageView implements chat.Store.
func (s *Store) AddPageView(ctx context.Context, p chat.PageView) (err error) {
	defer func(t time.Time) { s.observe(ctx, "AddPageView", t, err) }(time.Now())
	return s.next.AddPageView(ctx, p)
}

// PageViews implements chat.Store.
func (s *Store) PageViews(ctx context.Context, visitorID uuid.UUID, limit int) (_ []chat.PageView, err error) {
	defer func(t time.Time) { s.observe(ctx, "PageViews", t, err) }(time.Now())
	return s.next.PageViews(ctx, visitorID, limit)
}

// PutBlock implements chat.Store.
func (s *Store) PutBlock(ctx context.Context, b chat.Block) (err error) {
	defer func(t time.Time) { s.observe(ctx, "PutBlock", t, err) }(time.Now())
	return s.next.PutBlock(ctx, b)
}

// DeleteBlock implements chat.Store.
func (s *Store) DeleteBlock(ctx context.Context, id uuid.UUID) (err error) {
	defer func(t time.Time) { s.observe(ctx, "DeleteBlock", t, err) }(time.Now())
	return s.next.DeleteBlock(ctx, id)
}

// Blocks implements chat.Store.
func (s *Store) Blocks(ctx context.Context, now time.Time) (_ []chat.Block, err error) {
	defer func(t time.Time) { s.observe(ctx, "Blocks", t, err) }(time.Now())
	return s.next.Blocks(ctx, now)
}

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "customstore:", err)
		os.Exit(1)
	}
}

// run opens an SQLite store in a temporary directory, wraps it, has a short
// chat through a Desk and prints what the wrapper measured.
func run(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "parley-customstore")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(ctx, filepath.Join(dir, "parley.db"), sqlstore.Config{})
	if err != nil {
		return err
	}
	defer db.Close(ctx)
	store := NewStore(db, slog.Default(), 100*time.Millisecond)

	desk, err := chat.NewDesk(chat.Config{Store: store})
	if err != nil {
		return err
	}
	defer desk.Close(ctx)
	v, err := desk.SaveVisitor(ctx, chat.Visitor{Name: "Anna"})
	if err != nil {
		return err
	}
	conv, err := desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
	if err != nil {
		return err
	}
	for _, body := range []string{"Hello!", "Do you ship to Finland?"} {
		if _, err := conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: body}); err != nil {
			return err
		}
	}

	stats := store.Stats()
	methods := make([]string, 0, len(stats))
	for m := range stats {
		methods = append(methods, m)
	}
	sort.Strings(methods)
	for _, m := range methods {
		fmt.Printf("%-20s %3d calls %2d errors %v\n", m, stats[m].Calls, stats[m].Errors, stats[m].Total)
	}
	return nil
}
