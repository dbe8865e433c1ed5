package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/store/storetest"
)

// backend is a database the tests run against.
type backend struct {
	name    string
	env     string // the DSN variable; empty for SQLite
	driver  string
	dialect sqlstore.Dialect
}

var backends = []backend{
	{"SQLite", "", "sqlite", sqlstore.SQLite},
	{"Postgres", "PARLEY_TEST_POSTGRES", "pgx", sqlstore.Postgres},
	{"MySQL", "PARLEY_TEST_MYSQL", "mysql", sqlstore.MySQL},
}

// db opens the backend's database, or skips the test naming the variable
// that would enable it.
func (b backend) db(tb testing.TB) *sql.DB {
	tb.Helper()
	dsn := filepath.Join(tb.TempDir(), "parley.db")
	if b.env != "" {
		dsn = os.Getenv(b.env)
		if dsn == "" {
			tb.Skipf("set %s to a %s DSN to run the %s tests", b.env, b.name, b.name)
		}
	} else {
		dsn += "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-16384)&_pragma=wal_autocheckpoint(8192)&_txlock=immediate"
	}
	db, err := sql.Open(b.driver, dsn)
	require.NoError(tb, err)
	tb.Cleanup(func() { db.Close() })
	return db
}

// randomPrefix keeps each run's tables apart in a shared database.
func randomPrefix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "t" + hex.EncodeToString(b[:]) + "_"
}

// open returns a migrated store with fresh tables that are dropped after
// the test.
func (b backend) open(tb testing.TB, db *sql.DB, prefix string) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.Open(context.Background(), db, sqlstore.Config{Dialect: b.dialect, TablePrefix: prefix})
	require.NoError(tb, err)
	tb.Cleanup(func() {
		require.NoError(tb, s.Close())
		if b.env != "" {
			for _, t := range []string{"messages", "conversations", "page_views", "agents", "visitors", "schema_migrations"} {
				_, err := db.Exec("DROP TABLE IF EXISTS " + prefix + t)
				assert.NoError(tb, err)
			}
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t, b.db(t), randomPrefix())
			storetest.Run(t, func(*testing.T) chat.Store { return s })
		})
	}
}

func BenchmarkStore(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			db := be.db(b)
			storetest.Benchmark(b, func(b *testing.B) chat.Store { return be.open(b, db, randomPrefix()) })
		})
	}
}

func TestMigrations(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.db(t)
			prefix := randomPrefix()
			// Several processes starting at once all succeed, and the schema
			// is applied once.
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s, err := sqlstore.Open(t.Context(), db, sqlstore.Config{Dialect: b.dialect, TablePrefix: prefix})
					if err == nil {
						err = s.Close()
					}
					errs[i] = err
				}()
			}
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
			s := b.open(t, db, prefix)
			require.NoError(t, s.Migrate(t.Context()), "Migrate on an up-to-date schema is a no-op")
			var n int
			require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM "+prefix+"schema_migrations").Scan(&n))
			assert.Equal(t, 1, n, "each migration is recorded once")
		})
	}
}

func TestTablePrefixesKeepStoresApart(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.db(t)
			one, two := b.open(t, db, randomPrefix()), b.open(t, db, randomPrefix())
			v := chat.Visitor{ID: uuid.New(), CreatedAt: time.Now()}
			require.NoError(t, one.PutVisitor(t.Context(), v))
			_, err := two.Visitor(t.Context(), v.ID)
			assert.ErrorIs(t, err, chat.ErrNotFound, "a store with another prefix does not see the visitor")
			_, err = one.Visitor(t.Context(), v.ID)
			assert.NoError(t, err)
		})
	}
}

func TestInvalidConfig(t *testing.T) {
	db := backends[0].db(t)
	for _, cfg := range []sqlstore.Config{
		{},
		{Dialect: sqlstore.SQLite, TablePrefix: "Parley_"},
		{Dialect: sqlstore.SQLite, TablePrefix: "parley; DROP TABLE x; --"},
		{Dialect: sqlstore.SQLite, TablePrefix: "1parley_"},
		{Dialect: sqlstore.SQLite, Writers: -1},
	} {
		_, err := sqlstore.Open(t.Context(), db, cfg)
		assert.ErrorIs(t, err, chat.ErrInvalid, "%+v", cfg)
	}
	_, err := sqlstore.Open(t.Context(), nil, sqlstore.Config{Dialect: sqlstore.SQLite})
	assert.ErrorIs(t, err, chat.ErrInvalid)
}

// TestCloseLosesNothing closes the store while appends are in flight:
// each append either returns a stored message, which is then in the
// database after reopening, or an error.
func TestCloseLosesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "close.db")
	ctx := context.Background()
	s, err := sqlstore.OpenSQLite(ctx, path, sqlstore.Config{})
	require.NoError(t, err)
	v := chat.Visitor{ID: uuid.New(), CreatedAt: time.Now()}
	require.NoError(t, s.PutVisitor(ctx, v))
	c, err := s.CreateConversation(ctx, chat.ConversationInfo{ID: uuid.New(), VisitorID: v.ID, Status: chat.StatusQueued, CreatedAt: time.Now()})
	require.NoError(t, err)

	var mu sync.Mutex
	acked := map[uuid.UUID]int64{}
	var wg sync.WaitGroup
	started := make(chan struct{})
	var once sync.Once
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				m, _, err := s.AppendMessage(ctx, chat.Message{ID: uuid.New(), ConversationID: c.ID,
					Author: chat.Author{Kind: chat.AuthorBot}, Body: fmt.Sprint(g, "/", i), CreatedAt: time.Now()})
				if err != nil {
					assert.ErrorIs(t, err, chat.ErrClosed)
					return
				}
				mu.Lock()
				acked[m.ID] = m.Seq
				mu.Unlock()
				if i == 20 {
					once.Do(func() { close(started) })
				}
			}
		}()
	}
	<-started
	require.NoError(t, s.Close())
	wg.Wait()

	s, err = sqlstore.OpenSQLite(ctx, path, sqlstore.Config{})
	require.NoError(t, err)
	defer s.Close()
	ms, err := s.Messages(ctx, c.ID, chat.MessageQuery{Limit: chat.MaxPageSize})
	require.NoError(t, err)
	stored := map[uuid.UUID]int64{}
	for _, m := range ms {
		stored[m.ID] = m.Seq
	}
	for id, seq := range acked {
		assert.Equal(t, seq, stored[id], "acked message %s survives Close and reopening", id)
	}
	info, err := s.Conversation(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(len(ms)), info.LastSeq)
}

func TestClosedStoreRefusesAppends(t *testing.T) {
	s, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "x.db"), sqlstore.Config{})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close twice is fine")
	_, _, err = s.AppendMessage(t.Context(), chat.Message{ID: uuid.New(), ConversationID: uuid.New(), Author: chat.Author{Kind: chat.AuthorBot}, Body: "x", CreatedAt: time.Now()})
	assert.True(t, errors.Is(err, chat.ErrClosed), "got %v", err)
}
