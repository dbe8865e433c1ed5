package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFiles embed.FS

// migration is one numbered schema change.
type migration struct {
	version    int
	statements []string
}

// migrations returns the dialect's migrations in order, with the table
// prefix filled in.
func (s *Store) migrations() ([]migration, error) {
	dir := path.Join("migrations", string(s.dialect))
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("sqlstore: migration file %s has no version number", e.Name())
		}
		text, err := migrationFiles.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		m := migration{version: v}
		for _, stmt := range strings.Split(strings.ReplaceAll(string(text), "{{p}}", s.prefix), ";") {
			if stmt = strings.TrimSpace(stmt); stmt != "" {
				m.statements = append(m.statements, stmt)
			}
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	return out, nil
}

// Migrate brings the schema up to date. Open calls it unless
// Config.SkipMigrate is set; it is safe to call at any time and from
// several processes at once: one applies what is missing, under a lock,
// and the others find it done. Each migration is recorded in the
// <prefix>schema_migrations table.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := s.migrations()
	if err != nil {
		return err
	}
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer conn.Close()
	unlock, err := s.lockSchema(ctx, conn)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: locking: %w", err)
	}
	err = s.applyMigrations(ctx, conn, ms)
	if uerr := unlock(); err == nil && uerr != nil {
		err = fmt.Errorf("sqlstore: migrate: unlocking: %w", uerr)
	}
	return err
}

// lockSchema takes the lock that serializes migrations between processes.
// On PostgreSQL and SQLite it is a transaction that the returned func
// commits; applyMigrations runs inside it. MySQL commits DDL at once, so a
// named lock guards the whole run instead.
func (s *Store) lockSchema(ctx context.Context, conn *sql.Conn) (func() error, error) {
	switch s.dialect {
	case postgres:
		h := fnv.New64a()
		h.Write([]byte("parley migrate " + s.prefix))
		if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
			return nil, err
		}
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			return nil, err
		}
		return s.endSchemaTx(ctx, conn), nil
	case mysql:
		name := "parley_migrate_" + s.prefix
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 60)", name).Scan(&got); err != nil {
			return nil, err
		}
		if got.Int64 != 1 {
			return nil, fmt.Errorf("another process held the migration lock for 60 s")
		}
		return func() error {
			_, err := conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", name)
			return err
		}, nil
	default:
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return nil, err
		}
		return s.endSchemaTx(ctx, conn), nil
	}
}

// endSchemaTx returns the func that commits the migration transaction, or
// rolls it back when a migration failed.
func (s *Store) endSchemaTx(ctx context.Context, conn *sql.Conn) func() error {
	return func() error {
		_, err := conn.ExecContext(context.WithoutCancel(ctx), "COMMIT")
		if err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
		return err
	}
}

func (s *Store) applyMigrations(ctx context.Context, conn *sql.Conn, ms []migration) (err error) {
	table := s.prefix + "schema_migrations"
	if _, err := conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+table+" (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)"); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	applied, err := appliedVersions(ctx, conn, table)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		for _, stmt := range m.statements {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				if s.dialect != mysql {
					// Roll back now so the deferred COMMIT has nothing to commit.
					_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
					_, _ = conn.ExecContext(context.WithoutCancel(ctx), "BEGIN")
				}
				return fmt.Errorf("sqlstore: migration %d: %w", m.version, err)
			}
		}
		if _, err := conn.ExecContext(ctx, s.dialect.rebind("INSERT INTO "+table+" (version, applied_at) VALUES (?, ?)"),
			m.version, s.now().UnixMicro()); err != nil {
			return fmt.Errorf("sqlstore: recording migration %d: %w", m.version, err)
		}
		s.log.InfoContext(ctx, "sqlstore: applied migration", "version", m.version, "prefix", s.prefix, "dialect", string(s.dialect))
	}
	return nil
}

// appliedVersions returns the versions recorded in table. Migrate applies
// every migration not among them, not only those above the highest: a
// schema that was migrated by a build with a later migration and without
// an earlier one still gets the earlier one.
func appliedVersions(ctx context.Context, conn *sql.Conn, table string) (map[int]bool, error) {
	rows, err := conn.QueryContext(ctx, "SELECT version FROM "+table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	applied := make(map[int]bool)
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		applied[v] = true
	}
	return applied, rows.Err()
}
