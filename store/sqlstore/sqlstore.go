package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"

	_ "github.com/go-sql-driver/mysql" // the "mysql" driver
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	_ "modernc.org/sqlite"             // the "sqlite" driver
)

// DefaultTablePrefix starts the name of every table, unless Config says
// otherwise.
const DefaultTablePrefix = "parley_"

// DefaultMaxBatch is how many appends one transaction may commit together.
const DefaultMaxBatch = 256

var prefixPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,30}$`)

// Config configures a Store. The zero value is valid for OpenSQLite; Open
// needs Dialect.
type Config struct {
	// Dialect is the database's SQL flavour. Required by Open; OpenSQLite
	// sets it.
	Dialect Dialect
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
	// writer at a time anyway, and 4 otherwise.
	Writers int
	// MaxBatch caps how many appends one transaction commits. Zero means
	// DefaultMaxBatch.
	MaxBatch int
	// Logger receives the store's logs. Nil means no logs.
	Logger *slog.Logger
}

// Store is a chat.Store over database/sql. It is safe for concurrent use.
// Close it when done: Close waits for the appends in flight.
type Store struct {
	db      *sql.DB
	ownsDB  bool
	dialect Dialect
	prefix  string
	log     *slog.Logger
	now     func() time.Time

	t tables // table names with the prefix

	closeMu sync.RWMutex
	closed  bool
	writers []*writer
	wg      sync.WaitGroup
}

var _ chat.Store = (*Store)(nil)

// tables holds the prefixed table names.
type tables struct {
	visitors, agents, conversations, messages, pageViews string
}

// Open returns a Store over db, a database the caller opened and owns.
// Unless cfg.SkipMigrate is set it brings the schema up to date first. An
// invalid cfg returns an error wrapping chat.ErrInvalid.
//
// MySQL and MariaDB DSNs need no special parameters; sqlstore stores
// times as integers and does not depend on parseTime or the connection's
// time zone.
func Open(ctx context.Context, db *sql.DB, cfg Config) (*Store, error) {
	return open(ctx, db, false, cfg)
}

// OpenSQLite opens (creating if needed) the SQLite database file at path
// and returns a Store over it that owns the database: Close closes it. The
// file is put in WAL mode with synchronous=NORMAL, which with group
// commits keeps appends fast and loses nothing that was acknowledged on a
// process crash (a power cut may lose the last moments).
func OpenSQLite(ctx context.Context, path string, cfg Config) (*Store, error) {
	if cfg.Dialect != (Dialect{}) && cfg.Dialect != SQLite {
		return nil, fmt.Errorf("%w: sqlstore: OpenSQLite with Dialect %s", chat.ErrInvalid, cfg.Dialect)
	}
	cfg.Dialect = SQLite
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "cache_size(-16384)")       // 16 MiB of page cache per connection
	q.Add("_pragma", "wal_autocheckpoint(8192)") // checkpoint every 32 MiB of WAL, not every 4 MiB
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: opening %s: %w", path, err)
	}
	s, err := open(ctx, db, true, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func open(ctx context.Context, db *sql.DB, owns bool, cfg Config) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: sqlstore: nil *sql.DB", chat.ErrInvalid)
	}
	if !cfg.Dialect.valid() {
		return nil, fmt.Errorf("%w: sqlstore: Config.Dialect must be SQLite, Postgres or MySQL", chat.ErrInvalid)
	}
	if cfg.TablePrefix == "" {
		cfg.TablePrefix = DefaultTablePrefix
	}
	if !prefixPattern.MatchString(cfg.TablePrefix) {
		return nil, fmt.Errorf("%w: sqlstore: table prefix %.40q must be a lower-case letter followed by up to 30 lower-case letters, digits or underscores", chat.ErrInvalid, cfg.TablePrefix)
	}
	if cfg.Writers < 0 || cfg.MaxBatch < 0 {
		return nil, fmt.Errorf("%w: sqlstore: negative Writers or MaxBatch", chat.ErrInvalid)
	}
	if cfg.Writers == 0 {
		cfg.Writers = 4
		if cfg.Dialect == SQLite {
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
		db: db, ownsDB: owns, dialect: cfg.Dialect, prefix: p, log: log, now: time.Now,
		t: tables{p + "visitors", p + "agents", p + "conversations", p + "messages", p + "page_views"},
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
		w := &writer{s: s, reqs: make(chan *appendReq, cfg.MaxBatch), max: cfg.MaxBatch}
		s.writers = append(s.writers, w)
		s.wg.Add(1)
		go w.run()
	}
	return s, nil
}

// Close stops taking appends, waits until those already taken are
// committed and answered, and closes the database if OpenSQLite opened it.
func (s *Store) Close() error {
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
	s.wg.Wait()
	if s.ownsDB {
		return s.db.Close()
	}
	return nil
}

// DB returns the database the store uses.
func (s *Store) DB() *sql.DB { return s.db }

func (s *Store) q(query string) string {
	return s.dialect.rebind(strings.NewReplacer(
		"{visitors}", s.t.visitors, "{agents}", s.t.agents, "{conversations}", s.t.conversations,
		"{messages}", s.t.messages, "{page_views}", s.t.pageViews,
	).Replace(query))
}

// check returns the context's error first, then the validation error.
func check(ctx context.Context, invalid error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return invalid
}

// dbErr translates a database error; unique violations become conflicts.
func dbErr(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if isUnique(err) {
		return fmt.Errorf("%w: sqlstore: %s: %v", chat.ErrConflict, what, err)
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

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// PutVisitor implements chat.Store.
func (s *Store) PutVisitor(ctx context.Context, v chat.Visitor) error {
	if err := check(ctx, v.Validate()); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO {visitors} (id, name, email, locale, customer_id, created_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`+s.dialect.upsert("name", "email", "locale", "customer_id", "created_at", "last_seen_at")),
		idBytes(v.ID), v.Name, v.Email, v.Locale, v.CustomerID, micros(chat.Timestamp(v.CreatedAt)), micros(chat.Timestamp(v.LastSeenAt)))
	return dbErr("storing a visitor", err)
}

// Visitor implements chat.Store.
func (s *Store) Visitor(ctx context.Context, id uuid.UUID) (chat.Visitor, error) {
	if err := ctx.Err(); err != nil {
		return chat.Visitor{}, err
	}
	var v chat.Visitor
	var created, seen sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT name, email, locale, customer_id, created_at, last_seen_at FROM {visitors} WHERE id = ?`),
		idBytes(id)).Scan(&v.Name, &v.Email, &v.Locale, &v.CustomerID, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Visitor{}, notFound("visitor", id)
	}
	if err != nil {
		return chat.Visitor{}, dbErr("reading a visitor", err)
	}
	v.ID, v.CreatedAt, v.LastSeenAt = id, fromMicros(created), fromMicros(seen)
	return v, nil
}

// PutAgent implements chat.Store.
func (s *Store) PutAgent(ctx context.Context, a chat.Agent) error {
	if err := check(ctx, a.Validate()); err != nil {
		return err
	}
	deps, err := json.Marshal(a.Departments)
	if err != nil {
		return err
	}
	if len(a.Departments) == 0 {
		deps = []byte("[]")
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO {agents} (id, name, departments, capacity, status) VALUES (?, ?, ?, ?, ?)`+
		s.dialect.upsert("name", "departments", "capacity", "status")),
		a.ID, a.Name, string(deps), a.Capacity, string(a.Status))
	return dbErr("storing an agent", err)
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
	a, err := scanAgent(s.db.QueryRowContext(ctx, s.q(`SELECT `+agentColumns+` FROM {agents} WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Agent{}, notFound("agent", fmt.Sprintf("%.64q", id))
	}
	return a, dbErr("reading an agent", err)
}

// Agents implements chat.Store.
func (s *Store) Agents(ctx context.Context) ([]chat.Agent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+agentColumns+` FROM {agents} ORDER BY `+s.dialect.byteOrder("id")))
	if err != nil {
		return nil, dbErr("listing agents", err)
	}
	defer rows.Close()
	out := []chat.Agent{}
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			return nil, dbErr("listing agents", err)
		}
		out = append(out, a)
	}
	return out, dbErr("listing agents", rows.Err())
}
