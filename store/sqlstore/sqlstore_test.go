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
	"github.com/parleychat/parley/internal/mysqltest"
	"github.com/parleychat/parley/internal/pgtest"
	"github.com/parleychat/parley/store/mysql"
	"github.com/parleychat/parley/store/postgres"
	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

// backend is a database the tests run against.
type backend struct {
	name string
	// setup returns a database of the test's own, or skips the test
	// naming the variable that would enable it.
	setup func(tb testing.TB) *database
}

var (
	sqliteBackend   = backend{"SQLite", sqliteDatabase}
	postgresBackend = backend{"Postgres", postgresDatabase}
	mysqlBackend    = backend{"MySQL", mysqlDatabase}
	backends        = []backend{sqliteBackend, postgresBackend, mysqlBackend}
)

// database is one database of a test, of its own: an SQLite file in a
// temporary directory, a PostgreSQL schema or a MySQL database. Stores
// with different table prefixes share it.
type database struct {
	dialect sqlstore.Dialect
	path    string  // SQLite: the file
	db      *sql.DB // PostgreSQL, MySQL: the pool every store of the test shares
}

func sqliteDatabase(tb testing.TB) *database {
	return &database{dialect: sqlite.Dialect(), path: filepath.Join(tb.TempDir(), "parley.db")}
}

func postgresDatabase(tb testing.TB) *database {
	db, err := sql.Open("pgx", pgtest.Schema(tb, "sqlstore_"))
	require.NoError(tb, err)
	tb.Cleanup(func() { db.Close() })
	return &database{dialect: postgres.Dialect(), db: db}
}

func mysqlDatabase(tb testing.TB) *database {
	db, err := sql.Open("mysql", mysqltest.Database(tb, "sqlstore_"))
	require.NoError(tb, err)
	tb.Cleanup(func() { db.Close() })
	return &database{dialect: mysql.Dialect(), db: db}
}

// randomPrefix gives a store tables of its own in the test's database.
func randomPrefix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "t" + hex.EncodeToString(b[:]) + "_"
}

// open opens a store with the prefix, without cleanup: SQLite with
// sqlite.Open, as a shop would, the others over the shared pool.
func (d *database) open(ctx context.Context, cfg sqlstore.Config) (*sqlstore.Store, error) {
	if d.path != "" {
		return sqlite.Open(ctx, d.path, cfg)
	}
	return sqlstore.Open(ctx, d.db, d.dialect, cfg)
}

// store opens a migrated store with the prefix, closed after the test.
func (d *database) store(tb testing.TB, prefix string) *sqlstore.Store {
	tb.Helper()
	s, err := d.open(context.Background(), sqlstore.Config{TablePrefix: prefix})
	require.NoError(tb, err)
	tb.Cleanup(func() {
		require.NoError(tb, s.Close(context.Background()))
	})
	return s
}

// forEach runs test as a parallel subtest for every backend.
func forEach(t *testing.T, test func(t *testing.T, d *database)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, b.setup(t))
		})
	}
}

// fixture stores a visitor and a conversation of theirs.
func fixture(t *testing.T, s chat.Store) chat.ConversationInfo {
	t.Helper()
	v := chat.Visitor{ID: chat.NewID(), Name: "Zoë", CreatedAt: time.Now()}
	require.NoError(t, s.PutVisitor(t.Context(), v))
	c, err := s.CreateConversation(t.Context(), chat.ConversationInfo{ID: chat.NewID(), VisitorID: v.ID, Status: chat.StatusQueued, CreatedAt: time.Now()})
	require.NoError(t, err)
	return c
}

func message(conversationID uuid.UUID, body string) chat.Message {
	return chat.Message{ID: chat.NewID(), ConversationID: conversationID, Author: chat.Author{Kind: chat.AuthorBot}, Body: body, CreatedAt: time.Now()}
}

func TestMigrations(t *testing.T) {
	forEach(t, func(t *testing.T, d *database) {
		prefix := randomPrefix()
		// Several processes starting at once all succeed, and the schema
		// is applied once.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				s, err := d.open(t.Context(), sqlstore.Config{TablePrefix: prefix})
				if err == nil {
					err = s.Close(context.Background())
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		s := d.store(t, prefix)
		require.NoError(t, s.Migrate(t.Context()), "Migrate on an up-to-date schema is a no-op")
		var n int
		require.NoError(t, s.DB().QueryRow("SELECT COUNT(*) FROM "+prefix+"schema_migrations").Scan(&n))
		files, err := os.ReadDir(filepath.Join("migrations", d.dialect.Name))
		require.NoError(t, err)
		assert.Equal(t, len(files), n, "each migration is recorded once")
		fixture(t, s) // and the schema works
	})
}

func TestSkipMigrate(t *testing.T) {
	forEach(t, func(t *testing.T, d *database) {
		prefix := randomPrefix()
		s, err := d.open(t.Context(), sqlstore.Config{TablePrefix: prefix, SkipMigrate: true})
		require.NoError(t, err)
		t.Cleanup(func() {
			require.NoError(t, s.Close(context.Background()))
		})
		_, err = s.Visitor(t.Context(), uuid.New())
		require.Error(t, err, "SkipMigrate creates no tables")
		assert.NotErrorIs(t, err, chat.ErrNotFound)
		require.NoError(t, s.Migrate(t.Context()))
		fixture(t, s)
	})
}

func TestTablePrefixesKeepStoresApart(t *testing.T) {
	forEach(t, func(t *testing.T, d *database) {
		one, two := d.store(t, randomPrefix()), d.store(t, randomPrefix())
		c := fixture(t, one)
		_, err := two.Visitor(t.Context(), c.VisitorID)
		assert.ErrorIs(t, err, chat.ErrNotFound, "a store with another prefix does not see the visitor")
		_, err = two.Conversation(t.Context(), c.ID)
		assert.ErrorIs(t, err, chat.ErrNotFound, "a store with another prefix does not see the conversation")
		_, _, err = two.AppendMessage(t.Context(), message(c.ID, "hello"))
		assert.ErrorIs(t, err, chat.ErrNotFound, "a store with another prefix cannot append to the conversation")
		_, err = one.Conversation(t.Context(), c.ID)
		assert.NoError(t, err)
	})
}

func TestUnknownVisitor(t *testing.T) {
	forEach(t, func(t *testing.T, d *database) {
		s := d.store(t, randomPrefix())
		_, err := s.CreateConversation(t.Context(), chat.ConversationInfo{ID: chat.NewID(), VisitorID: chat.NewID(), Status: chat.StatusQueued, CreatedAt: time.Now()})
		assert.ErrorIs(t, err, chat.ErrNotFound, "a conversation of an unknown visitor breaks a foreign key")
	})
}

func TestInvalidConfig(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "x.db"))
	require.NoError(t, err)
	defer db.Close()
	lite := sqlite.Dialect()
	for _, cfg := range []sqlstore.Config{
		{TablePrefix: "Parley_"},
		{TablePrefix: "parley; DROP TABLE x; --"},
		{TablePrefix: "1parley_"},
		{TablePrefix: "p23456789012345678901234567890_x"},
		{Writers: -1},
		{MaxBatch: sqlstore.MaxMaxBatch + 1},
	} {
		_, err := sqlstore.Open(t.Context(), db, lite, cfg)
		assert.ErrorIs(t, err, chat.ErrInvalid, "%+v", cfg)
	}
	for _, d := range []sqlstore.Dialect{
		{},
		{Name: "sqlite"},
		{Name: "oracle", Classify: lite.Classify},
		{Name: "SQLite", Classify: lite.Classify},
	} {
		_, err := sqlstore.Open(t.Context(), db, d, sqlstore.Config{})
		assert.ErrorIs(t, err, chat.ErrInvalid, "Dialect %q, Classify set: %t", d.Name, d.Classify != nil)
	}
	_, err = sqlstore.Open(t.Context(), nil, lite, sqlstore.Config{})
	assert.ErrorIs(t, err, chat.ErrInvalid)
	_, err = sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "y.db"), sqlstore.Config{TablePrefix: "Bad"})
	assert.ErrorIs(t, err, chat.ErrInvalid)
}

// TestCloseLosesNothing closes the store while appends are in flight:
// each append either returns a stored message, which is then in the
// database after opening it again, or an error.
func TestCloseLosesNothing(t *testing.T) {
	forEach(t, func(t *testing.T, d *database) {
		ctx := context.Background()
		prefix := randomPrefix()
		s := d.store(t, prefix)
		c := fixture(t, s)

		var mu sync.Mutex
		acked := map[uuid.UUID]int64{}
		var wg sync.WaitGroup
		started := make(chan struct{})
		var once sync.Once
		for g := range 16 {
			wg.Go(func() {
				for i := 0; ; i++ {
					m, _, err := s.AppendMessage(ctx, message(c.ID, fmt.Sprint(g, "/", i)))
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
			})
		}
		<-started
		require.NoError(t, s.Close(context.Background()))
		wg.Wait()

		again, err := d.open(ctx, sqlstore.Config{TablePrefix: prefix})
		require.NoError(t, err)
		defer again.Close(ctx)
		ms, err := again.Messages(ctx, c.ID, chat.MessageQuery{Limit: chat.MaxPageSize})
		require.NoError(t, err)
		stored := map[uuid.UUID]int64{}
		for _, m := range ms {
			stored[m.ID] = m.Seq
		}
		require.NotEmpty(t, acked)
		for id, seq := range acked {
			assert.Equal(t, seq, stored[id], "acked message %s survives Close", id)
		}
		info, err := again.Conversation(ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, int64(len(ms)), info.LastSeq)
	})
}

// TestReopenSQLite checks that everything written is in the file after
// the store is closed and the file opened again.
func TestReopenSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")
	s, err := sqlite.Open(ctx, path, sqlstore.Config{})
	require.NoError(t, err)
	c := fixture(t, s)
	var want []chat.Message
	for i := range 10 {
		m, _, err := s.AppendMessage(ctx, message(c.ID, fmt.Sprintf("Wiadomość %d 🚲", i)))
		require.NoError(t, err)
		want = append(want, m)
	}
	require.NoError(t, s.Close(context.Background()))

	s, err = sqlite.Open(ctx, path, sqlstore.Config{})
	require.NoError(t, err)
	defer s.Close(ctx)
	got, err := s.Messages(ctx, c.ID, chat.MessageQuery{})
	require.NoError(t, err)
	assert.Equal(t, want, got)
	info, err := s.Conversation(ctx, c.ID)
	require.NoError(t, err)
	assert.EqualValues(t, 10, info.LastSeq)
	_, err = s.Visitor(ctx, c.VisitorID)
	assert.NoError(t, err)
}

func TestClosedStoreRefusesAppends(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"), sqlstore.Config{})
	require.NoError(t, err)
	require.NoError(t, s.Close(context.Background()))
	require.NoError(t, s.Close(context.Background()), "Close twice is fine")
	_, _, err = s.AppendMessage(t.Context(), message(uuid.New(), "x"))
	assert.True(t, errors.Is(err, chat.ErrClosed), "got %v", err)
}

// TestAppendContextEnds cancels appends while they wait for a writer:
// each returns its message as stored or the context's error, and then the
// message is not stored.
func TestAppendContextEnds(t *testing.T) {
	s := sqliteBackend.setup(t).store(t, randomPrefix())
	c := fixture(t, s)
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked, canceled := map[uuid.UUID]bool{}, map[uuid.UUID]bool{}
	for range 64 {
		wg.Go(func() {
			for range 20 {
				ctx, cancel := context.WithTimeout(t.Context(), 50*time.Microsecond)
				m := message(c.ID, "maybe")
				got, _, err := s.AppendMessage(ctx, m)
				cancel()
				mu.Lock()
				switch {
				case err == nil:
					acked[got.ID] = true
				case errors.Is(err, context.DeadlineExceeded):
					canceled[m.ID] = true
				default:
					t.Error(err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	ms, err := s.Messages(t.Context(), c.ID, chat.MessageQuery{Limit: chat.MaxPageSize})
	require.NoError(t, err)
	for i, m := range ms {
		assert.EqualValues(t, i+1, m.Seq, "no gaps")
		assert.True(t, acked[m.ID], "stored message %s was acked", m.ID)
		assert.False(t, canceled[m.ID], "message %s was stored although its append returned the context's error", m.ID)
	}
	assert.Len(t, ms, len(acked))
	t.Logf("%d appends stored, %d canceled", len(acked), len(canceled))
}
