package sqlstore_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// TestEmailRowsAreTidied checks that the email tables do not grow without
// end: counts of earlier days go when a later day is counted, expired
// confirmations when a confirmation is taken.
func TestEmailRowsAreTidied(t *testing.T) {
	forEach(t, func(t *testing.T, d *database) {
		prefix := randomPrefix()
		s := d.store(t, prefix)
		ctx := t.Context()
		rows := func(table string) int {
			var n int
			require.NoError(t, s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+prefix+table).Scan(&n))
			return n
		}
		limits := chat.EmailLimits{PerVisitor: 5, PerAddress: 5}
		day := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		require.NoError(t, s.CountEmail(ctx, chat.NewID(), "a@example.com", day, limits))
		require.Equal(t, 2, rows("email_counts"), "one count for the visitor, one for the address")
		require.NoError(t, s.CountEmail(ctx, chat.NewID(), "b@example.com", day.Add(24*time.Hour), limits))
		require.Equal(t, 2, rows("email_counts"), "the earlier day's counts are gone")

		hash := func(s string) string {
			h := sha256.Sum256([]byte(s))
			return hex.EncodeToString(h[:])
		}
		for _, c := range []chat.EmailConfirmation{
			{TokenHash: hash("old"), VisitorID: chat.NewID(), Address: "a@example.com", ExpiresAt: day.Add(-time.Hour)},
			{TokenHash: hash("new"), VisitorID: chat.NewID(), Address: "b@example.com", ExpiresAt: day.Add(time.Hour)},
			{TokenHash: hash("later"), VisitorID: chat.NewID(), Address: "c@example.com", ExpiresAt: day.Add(2 * time.Hour)},
		} {
			require.NoError(t, s.AddEmailConfirmation(ctx, c))
		}
		_, err := s.ConfirmEmail(ctx, hash("new"), day)
		require.NoError(t, err)
		require.Equal(t, 1, rows("email_confirmations"), "the used and the expired confirmations are gone")
	})
}
