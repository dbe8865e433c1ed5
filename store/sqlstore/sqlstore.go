package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
)

// DefaultTablePrefix starts the name of every table, unless Config says
// otherwise.
const DefaultTablePrefix = "parley_"

// DefaultMaxBatch is how many appends one transaction may commit together
// unless Config says otherwise; MaxMaxBatch is the most Config may ask for.
const (
	DefaultMaxBatch = 256
	MaxMaxBatch     = 4096
)

var prefixPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,30}$`)

// Config configures a Store. The zero value is valid.
type Config struct {
	// TablePrefix starts the name of every table and index, so that
	// Parley's tables can live in the shop's own database. Lower-case
	// letters, digits and underscores, starting with a letter, at most 31
	// characters. Empty means DefaultTablePrefix.
	TablePrefix string
	// SkipMigrate leaves the schema alone on open, for shops that run
	// Migrate from a deploy step instead.
	SkipMigrate bool
	// Writers is how many goroutines commit appends, each for its own
	// share of the conversations. Zero means 1 for SQLite, which has one
	// writer at a time anyway, and 2 otherwise: enough to overlap one
	// batch's statement with another's commit, few enough that batches
	// stay large (more writers measured slower on PostgreSQL and MySQL).
	Writers int
	// MaxBatch caps how many appends one transaction commits. Zero means
	// DefaultMaxBatch; more than MaxMaxBatch is invalid.
	MaxBatch int
	// Logger receives the store's logs. Nil means no logs.
	Logger *slog.Logger
	// CloseDB hands the *sql.DB to the store once Open succeeds: Close
	// closes it after the last accepted append is committed. False leaves
	// it open for its owner, as does an Open that fails. sqlite.Open,
	// which opens the database itself, sets it.
	CloseDB bool
}

// Store is a chat.Store over database/sql. It is safe for concurrent use.
// Close it when done: Close waits for the appends in flight, or leaves
// them to finish in the background when its context ends first.
//
// Errors follow chat.Store: besides the sentinels there, a database that
// cannot be reached or a statement that fails returns the driver's error,
// wrapped.
type Store struct {
	db       *sql.DB
	ownsDB   bool
	dialect  flavour
	classify func(error) error // Dialect.Classify
	prefix   string
	log      *slog.Logger
	now      func() time.Time

	t    tables // table names with the prefix
	seed maphash.Seed

	queries sync.Map // query template to its text for this store's dialect and prefix
	stmtMu  sync.Mutex
	stmts   map[string]*sql.Stmt // prepared statements by query template

	closeMu sync.RWMutex
	closed  bool
	writers []*writer
	wg      sync.WaitGroup

	// SQLite only (nil otherwise): the write turn every write takes, and
	// the checkpointer, told of writes by wrote and stopped by stopCkpt.
	writeTurn chan struct{}
	written   atomic.Int64 // rows written since the last checkpoint
	wrote     chan struct{}
	stopCkpt  chan struct{}
	ckpt      sync.WaitGroup
}

var _ chat.Store = (*Store)(nil)

// tables holds the prefixed table names.
type tables struct {
	visitors, agents, conversations, messages, pageViews string
}

// Open returns a Store over db, which speaks d. Shops call the Open of
// their database's package, which passes its Dialect here: see the
// package documentation. Close leaves db open unless cfg.CloseDB is set.
// Unless cfg.SkipMigrate is set, Open brings the schema up to date first.
// It starts the store's writer goroutines, which Close stops. An invalid
// d or cfg returns an error wrapping chat.ErrInvalid.
//
// database/sql keeps only 2 idle connections unless told otherwise, so
// after a burst of reads it closes the others, and the next burst opens
// them again (on PostgreSQL and MySQL a new session each, whose prepared
// statements are lost with it). Give db as many idle connections as open
// ones: db.SetMaxOpenConns(n) and db.SetMaxIdleConns(n).
func Open(ctx context.Context, db *sql.DB, d Dialect, cfg Config) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: sqlstore: nil *sql.DB", chat.ErrInvalid)
	}
	if err := d.validate(); err != nil {
		return nil, err
	}
	if cfg.TablePrefix == "" {
		cfg.TablePrefix = DefaultTablePrefix
	}
	if !prefixPattern.MatchString(cfg.TablePrefix) {
		return nil, fmt.Errorf("%w: sqlstore: Config.TablePrefix %.40q must be a lower-case letter followed by up to 30 lower-case letters, digits or underscores", chat.ErrInvalid, cfg.TablePrefix)
	}
	if cfg.Writers < 0 {
		return nil, fmt.Errorf("%w: sqlstore: Config.Writers %d is negative", chat.ErrInvalid, cfg.Writers)
	}
	if cfg.MaxBatch < 0 || cfg.MaxBatch > MaxMaxBatch {
		return nil, fmt.Errorf("%w: sqlstore: Config.MaxBatch %d is outside 0 to %d", chat.ErrInvalid, cfg.MaxBatch, MaxMaxBatch)
	}
	fl := flavour(d.Name)
	if cfg.Writers == 0 {
		cfg.Writers = 2
		if fl == sqlite {
			cfg.Writers = 1
		}
	}
	if cfg.MaxBatch == 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := cfg.TablePrefix
	s := &Store{
		db: db, ownsDB: cfg.CloseDB, dialect: fl, classify: d.Classify, prefix: p, log: log, now: time.Now,
		t:     tables{p + "visitors", p + "agents", p + "conversations", p + "messages", p + "page_views"},
		seed:  maphash.MakeSeed(),
		stmts: make(map[string]*sql.Stmt),
	}
	if fl == sqlite {
		s.writeTurn, s.wrote, s.stopCkpt = make(chan struct{}, 1), make(chan struct{}, 1), make(chan struct{})
	}
	if err := db.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	if !cfg.SkipMigrate {
		if err := s.Migrate(ctx); err != nil {
			return nil, err
		}
	}
	for range cfg.Writers {
		w := &writer{s: s, reqs: make(chan *appendReq, cfg.MaxBatch), max: cfg.MaxBatch, replies: make(chan answered, 4)}
		s.writers = append(s.writers, w)
		s.wg.Add(2)
		go w.run()
		go w.reply()
	}
	if s.stopCkpt != nil {
		s.ckpt.Add(1)
		go s.checkpoint(s.stopCkpt)
	}
	return s, nil
}

// Close stops taking appends (AppendMessage then returns chat.ErrClosed),
// waits until every append already accepted is committed and answered, and
// closes the database if Config.CloseDB is set. An append is either
// answered with its stored message, and then stored, or with an error.
// Reads and other writes go straight to the database and work until it is
// closed.
//
// The wait lasts until ctx is done. Then Close returns ctx's error at once,
// and the appends already accepted are still committed and answered in the
// background, after which the database is closed as above: an accepted
// append is never dropped. Calling Close again does nothing and returns
// nil.
func (s *Store) Close(ctx context.Context) error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	for _, w := range s.writers {
		close(w.reqs)
	}
	s.closeMu.Unlock()
	done := make(chan error, 1)
	go func() {
		s.wg.Wait()
		if s.stopCkpt != nil {
			close(s.stopCkpt)
			s.ckpt.Wait()
		}
		done <- s.release()
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		select {
		case err := <-done:
			return err
		default:
			return ctx.Err()
		}
	}
}

// release closes the prepared statements, and the database if the store
// owns it, once the writers have stopped.
func (s *Store) release() error {
	var err error
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		err = errors.Join(err, st.Close())
	}
	clear(s.stmts)
	s.stmtMu.Unlock()
	if s.ownsDB {
		err = errors.Join(err, s.db.Close())
	}
	return err
}

// DB returns the database the store uses, for the shop's own queries (a
// report over Parley's tables, say). Do not close it.
func (s *Store) DB() *sql.DB { return s.db }

// q turns a query template into SQL for the store: table names with the
// prefix, and placeholders of the dialect.
func (s *Store) q(query string) string {
	return s.dialect.rebind(strings.NewReplacer(
		"{visitors}", s.t.visitors, "{agents}", s.t.agents, "{conversations}", s.t.conversations,
		"{messages}", s.t.messages, "{page_views}", s.t.pageViews,
	).Replace(query))
}

// sql is q for templates of a fixed shape, remembered so that hot paths do
// not build the text again.
func (s *Store) sql(query string) string {
	if text, ok := s.queries.Load(query); ok {
		return text.(string)
	}
	text := s.q(query)
	s.queries.Store(query, text)
	return text
}

// stmt returns the prepared statement for a query template of a fixed
// shape, preparing it the first time. database/sql prepares it again on
// each connection that runs it, and keeps it for the connection's life.
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, s.sql(query))
	if err != nil {
		return nil, s.dbErr("preparing a statement", err)
	}
	s.stmts[query] = st
	return st, nil
}

// query runs a read of a fixed shape. PostgreSQL's driver keeps prepared
// statements by itself; SQLite and MySQL use the store's, which spares
// SQLite the parsing and MySQL two round trips per query.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s.dialect == postgres {
		return s.db.QueryContext(ctx, s.sql(query), args...)
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow is query for a single row.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s.dialect != postgres {
		if st, err := s.stmt(ctx, query); err == nil {
			return st.QueryRowContext(ctx, args...)
		}
		// A *sql.Row cannot carry an error of its own; running the query
		// unprepared makes Scan report it.
	}
	return s.db.QueryRowContext(ctx, s.sql(query), args...)
}

// exec runs a write of a fixed shape.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s.dialect == postgres {
		return s.db.ExecContext(ctx, s.sql(query), args...)
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// txExec is exec inside tx; the statement stays prepared on tx's
// connection for the next transaction there.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if s.dialect == postgres {
		return tx.ExecContext(ctx, s.sql(query), args...)
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// txQueryRow is queryRow inside tx.
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if s.dialect != postgres {
		if st, err := s.stmt(ctx, query); err == nil {
			return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
		}
	}
	return tx.QueryRowContext(ctx, s.sql(query), args...)
}

// check returns the context's error first, then the validation error.
func check(ctx context.Context, invalid error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return invalid
}

// dbErr translates a database error as the dialect classifies it: unique
// violations become conflicts, foreign key violations (a row that refers
// to a missing one) not-found.
func (s *Store) dbErr(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if kind := s.classify(err); kind != nil {
		return fmt.Errorf("%w: sqlstore: %s: %v", kind, what, err)
	}
	return fmt.Errorf("sqlstore: %s: %w", what, err)
}

func notFound(kind string, id any) error {
	return fmt.Errorf("%w: %s %v", chat.ErrNotFound, kind, id)
}

// Values as stored: times as microseconds since 1970 (NULL for the zero
// time), ids as 16 bytes, *bool as NULL, 0 or 1.

func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMicro(n.Int64).UTC()
}

func idBytes(id uuid.UUID) []byte { return id[:] }

func scanID(b []byte) (uuid.UUID, error) {
	id, err := uuid.FromBytes(b)
	if err != nil {
		return uuid.Nil, fmt.Errorf("sqlstore: a stored id is not 16 bytes: %w", err)
	}
	return id, nil
}

func boolValue(b *bool) any {
	if b == nil {
		return nil
	}
	if *b {
		return 1
	}
	return 0
}

// PutVisitor implements chat.Store.
func (s *Store) PutVisitor(ctx context.Context, v chat.Visitor) error {
	if err := check(ctx, v.Validate()); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	_, err := s.exec(ctx, `INSERT INTO {visitors} (id, name, email, locale, time_zone, customer_id, created_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`+s.dialect.upsert("name", "email", "locale", "time_zone", "customer_id", "created_at", "last_seen_at"),
		idBytes(v.ID), v.Name, v.Email, v.Locale, v.TimeZone, v.CustomerID, micros(chat.Timestamp(v.CreatedAt)), micros(chat.Timestamp(v.LastSeenAt)))
	return s.dbErr("storing a visitor", err)
}

// Visitor implements chat.Store.
func (s *Store) Visitor(ctx context.Context, id uuid.UUID) (chat.Visitor, error) {
	if err := ctx.Err(); err != nil {
		return chat.Visitor{}, err
	}
	var v chat.Visitor
	var created, seen sql.NullInt64
	err := s.queryRow(ctx, `SELECT name, email, locale, time_zone, customer_id, created_at, last_seen_at FROM {visitors} WHERE id = ?`,
		idBytes(id)).Scan(&v.Name, &v.Email, &v.Locale, &v.TimeZone, &v.CustomerID, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Visitor{}, notFound("visitor", id)
	}
	if err != nil {
		return chat.Visitor{}, s.dbErr("reading a visitor", err)
	}
	v.ID, v.CreatedAt, v.LastSeenAt = id, fromMicros(created), fromMicros(seen)
	return v, nil
}

// PutAgent implements chat.Store.
func (s *Store) PutAgent(ctx context.Context, a chat.Agent) error {
	if err := check(ctx, a.Validate()); err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	deps, err := json.Marshal(a.Departments)
	if err != nil {
		return err
	}
	if len(a.Departments) == 0 {
		deps = []byte("[]")
	}
	_, err = s.exec(ctx, `INSERT INTO {agents} (id, name, departments, capacity, status) VALUES (?, ?, ?, ?, ?)`+
		s.dialect.upsert("name", "departments", "capacity", "status"),
		a.ID, a.Name, string(deps), a.Capacity, string(a.Status))
	return s.dbErr("storing an agent", err)
}

const agentColumns = `id, name, departments, capacity, status`

func scanAgent(sc interface{ Scan(...any) error }) (chat.Agent, error) {
	var a chat.Agent
	var id []byte
	var deps, status string
	if err := sc.Scan(&id, &a.Name, &deps, &a.Capacity, &status); err != nil {
		return chat.Agent{}, err
	}
	a.ID, a.Status = string(id), chat.AgentStatus(status)
	if err := json.Unmarshal([]byte(deps), &a.Departments); err != nil {
		return chat.Agent{}, fmt.Errorf("sqlstore: agent %q has damaged departments: %w", a.ID, err)
	}
	if len(a.Departments) == 0 {
		a.Departments = nil
	}
	return a, nil
}

// Agent implements chat.Store.
func (s *Store) Agent(ctx context.Context, id string) (chat.Agent, error) {
	if err := ctx.Err(); err != nil {
		return chat.Agent{}, err
	}
	a, err := scanAgent(s.queryRow(ctx, `SELECT `+agentColumns+` FROM {agents} WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Agent{}, notFound("agent", fmt.Sprintf("%.64q", id))
	}
	return a, s.dbErr("reading an agent", err)
}

// Agents implements chat.Store.
func (s *Store) Agents(ctx context.Context) ([]chat.Agent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT `+agentColumns+` FROM {agents} ORDER BY `+s.dialect.byteOrder("id"))
	if err != nil {
		return nil, s.dbErr("listing agents", err)
	}
	defer rows.Close()
	out := []chat.Agent{}
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			return nil, s.dbErr("listing agents", err)
		}
		out = append(out, a)
	}
	return out, s.dbErr("listing agents", rows.Err())
}
