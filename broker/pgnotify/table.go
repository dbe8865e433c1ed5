package pgnotify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// undefinedTable is PostgreSQL's SQLSTATE for a table that does not exist.
const undefinedTable = "42P01"

// statements holds the SQL the broker runs, with its channel and table
// names in place.
type statements struct {
	notifyMany, listen, create, insert, read, prune string
}

func newStatements(channel, table string) statements {
	t := pgx.Identifier{table}.Sanitize()
	return statements{
		// A function scan yields the array's elements in order, and
		// the select list is evaluated row by row as they come.
		notifyMany: `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`,
		listen:     `LISTEN ` + pgx.Identifier{channel}.Sanitize(),
		// Unlogged: the rows live for Retention and need no WAL; a crash of
		// the server empties the table, and loses only events that
		// delivery at most once allows to lose.
		create: `CREATE UNLOGGED TABLE IF NOT EXISTS ` + t + ` (
			id bigserial PRIMARY KEY,
			created_at timestamptz NOT NULL DEFAULT now(),
			payload text NOT NULL
		)`,
		// One statement, so one transaction: the row is committed before
		// any listener hears of it.
		insert: `WITH r AS (INSERT INTO ` + t + ` (payload) VALUES ($1) RETURNING id)
			SELECT pg_notify($2, json_build_object('v', 1, 'ref', id)::text) FROM r`,
		read:  `SELECT payload FROM ` + t + ` WHERE id = $1`,
		prune: `DELETE FROM ` + t + ` WHERE created_at < now() - $1 * interval '1 microsecond'`,
	}
}

// publishLarge writes an envelope too long for a NOTIFY payload to the
// table and notifies its row id, then deletes rows past Retention if it is
// time to.
func (b *Broker) publishLarge(ctx context.Context, pool *pgxpool.Pool, payload []byte) error {
	for attempt := 0; ; attempt++ {
		if err := b.ensureTable(ctx, pool); err != nil {
			return err
		}
		_, err := pool.Exec(ctx, b.sql.insert, string(payload), b.channel)
		var pgErr *pgconn.PgError
		if attempt == 0 && errors.As(err, &pgErr) && pgErr.Code == undefinedTable {
			// Dropped since this broker made it: make it again.
			b.tableMu.Lock()
			b.tableReady = false
			b.tableMu.Unlock()
			continue
		}
		if err != nil {
			return err
		}
		b.prune(ctx, pool)
		return nil
	}
}

// ensureTable creates the table on the first large event unless it
// exists. Instances that start together take an advisory lock, since
// CREATE TABLE IF NOT EXISTS can still collide when two run at once.
func (b *Broker) ensureTable(ctx context.Context, pool *pgxpool.Pool) error {
	b.tableMu.Lock()
	defer b.tableMu.Unlock()
	if b.tableReady {
		return nil
	}
	// A table made in advance needs no right to create one.
	var exists bool
	err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, pgx.Identifier{b.table}.Sanitize()).Scan(&exists)
	if err == nil && !exists {
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, b.table); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, b.sql.create)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("creating table %s: %w", b.table, err)
	}
	b.tableReady = true
	return nil
}

// prune deletes the rows older than Retention, at most once per Retention
// from this broker. A failure is logged: the event is already sent, and the
// next prune tries again.
func (b *Broker) prune(ctx context.Context, pool *pgxpool.Pool) {
	b.tableMu.Lock()
	due := time.Since(b.lastPrune) >= b.cfg.Retention
	if due {
		b.lastPrune = time.Now()
	}
	b.tableMu.Unlock()
	if !due {
		return
	}
	if _, err := pool.Exec(ctx, b.sql.prune, b.cfg.Retention.Microseconds()); err != nil {
		b.log.WarnContext(ctx, "pgnotify: deleting old large events", "table", b.table, "err", err)
	}
}
