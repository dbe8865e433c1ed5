package sqlstore

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// TestUpgradeKeepsData applies the first migration only, stores data the
// way the first schema's code stored it, then migrates to the newest
// schema: everything stored before the upgrade reads back, with the new
// fields at their zero values.
func TestUpgradeKeepsData(t *testing.T) {
	ctx := t.Context()
	s := openSQLite(t, Config{SkipMigrate: true})
	ms, err := s.migrations()
	require.NoError(t, err)
	require.Greater(t, len(ms), 1, "there is a later migration to upgrade to")
	conn, err := s.db.Conn(ctx)
	require.NoError(t, err)
	unlock, err := s.lockSchema(ctx, conn)
	require.NoError(t, err)
	require.NoError(t, s.applyMigrations(ctx, conn, ms[:1]))
	require.NoError(t, unlock())
	require.NoError(t, conn.Close())

	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	v := chat.NewID()
	c := chat.NewID()
	m := chat.NewID()
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO {visitors} (id, name, email, locale, customer_id, created_at, last_seen_at) VALUES (?, 'Aino', '', 'fi', '', ?, ?)`, []any{v[:], at.UnixMicro(), at.UnixMicro()}},
		{`INSERT INTO {conversations} (id, visitor_id, department, status, agent_id, created_at, updated_at, assigned_at, closed_at, rating, resolved, last_seq, version)
			VALUES (?, ?, '', 'closed', 'olga', ?, ?, ?, ?, 5, 1, 1, 3)`, []any{c[:], v[:], at.UnixMicro(), at.UnixMicro(), at.UnixMicro(), at.UnixMicro()}},
		{`INSERT INTO {messages} (id, conversation_id, seq, author_kind, author_id, author_name, body, attachments, idem_key, created_at)
			VALUES (?, ?, 1, 'visitor', ?, 'Aino', 'Hei!', NULL, NULL, ?)`, []any{m[:], c[:], v.String(), at.UnixMicro()}},
	} {
		_, err := s.db.ExecContext(ctx, s.q(stmt.sql), stmt.args...)
		require.NoError(t, err, stmt.sql)
	}

	require.NoError(t, s.Migrate(ctx))
	visitor, err := s.Visitor(ctx, v)
	require.NoError(t, err)
	require.Equal(t, "fi", visitor.Locale)
	require.Empty(t, visitor.TimeZone, "an old visitor has no time zone: the shop's is used")
	got, err := s.Conversation(ctx, c)
	require.NoError(t, err)
	require.Equal(t, chat.StatusClosed, got.Status)
	require.Equal(t, 5, got.Rating)
	require.Equal(t, int64(3), got.Version)
	require.True(t, got.FirstAssignedAt.IsZero() && got.FirstMessageAt.IsZero() && got.FirstResponseAt.IsZero(),
		"the new metrics' times of an old conversation are zero")
	msgs, err := s.Messages(ctx, c, chat.MessageQuery{})
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, "Hei!", msgs[0].Body)
	require.False(t, msgs[0].Internal, "an old message is not an internal note")
}

// TestMigrateFillsAGap: a schema that a build with a later migration
// migrated, without an earlier one, gets the earlier one too.
func TestMigrateFillsAGap(t *testing.T) {
	ctx := t.Context()
	s := openSQLite(t, Config{SkipMigrate: true})
	ms, err := s.migrations()
	require.NoError(t, err)
	require.Greater(t, len(ms), 2, "there is a migration between the first and the last")
	gap := ms[len(ms)-2]
	applyOnly := func(ms []migration) {
		conn, err := s.db.Conn(ctx)
		require.NoError(t, err)
		defer conn.Close()
		unlock, err := s.lockSchema(ctx, conn)
		require.NoError(t, err)
		require.NoError(t, s.applyMigrations(ctx, conn, ms))
		require.NoError(t, unlock())
	}
	applyOnly(append(slices.Clone(ms[:len(ms)-2]), ms[len(ms)-1]))

	require.NoError(t, s.Migrate(ctx))
	var n int
	require.NoError(t, s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+s.prefix+"schema_migrations WHERE version = ?", gap.version).Scan(&n))
	require.Equal(t, 1, n, "migration %d, skipped before, is applied", gap.version)
	require.NoError(t, s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+s.prefix+"schema_migrations").Scan(&n))
	require.Equal(t, len(ms), n, "every migration is recorded once")
}
