package webhook

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/store/memory"
)

// TestBackoff: the wait doubles from MinRetry with each failure, up to
// MaxRetry, with at most a tenth more at random.
func TestBackoff(t *testing.T) {
	w, err := New(Config{Store: memory.New(), MinRetry: 10 * time.Second, MaxRetry: time.Hour})
	require.NoError(t, err)
	for n, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 9: 2560 * time.Second,
		10: time.Hour, 25: time.Hour} {
		for range 20 {
			got := w.backoff(n)
			assert.GreaterOrEqual(t, got, want, "after failure %d", n)
			assert.LessOrEqual(t, got, want+want/10, "after failure %d", n)
		}
	}
}
