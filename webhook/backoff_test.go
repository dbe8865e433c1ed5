package webhook

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
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

// TestLeaseLength: a claimed delivery is leased for nine attempts' time,
// the batch a round claims and one more, so that no other instance takes
// it while this one is still working through the batch.
func TestLeaseLength(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	}))
	t.Cleanup(srv.Close)
	store := memory.New()
	w, err := New(Config{Store: store, Timeout: time.Second, AllowPrivateNetworks: true,
		Endpoints: []Endpoint{{Name: "shop", URL: srv.URL, Secret: []byte("0123456789abcdef")}}})
	require.NoError(t, err)
	e := chat.Event{Type: chat.EventRated, ConversationID: chat.NewID(), VisitorID: chat.NewID(),
		Conversation: &chat.ConversationInfo{Rating: 5}, At: time.Now()}
	require.NoError(t, w.RecordEvent(t.Context(), e))
	claimed := time.Now()
	done := make(chan error)
	go func() { done <- w.DeliverDue(t.Context()) }()
	<-entered
	early, err := store.ClaimOutbox(t.Context(), "webhook:shop", "other", claimed.Add(9*time.Second-10*time.Millisecond), claimed.Add(time.Hour), 1)
	require.NoError(t, err)
	assert.Empty(t, early, "leased for nine attempts' time")
	close(release)
	<-done
}

// TestCut: whatever an error says, the outbox takes it.
func TestCut(t *testing.T) {
	for _, s := range []string{"plain", "bad \xff byte", "nul \x00 byte", strings.Repeat("ż", chat.MaxOutboxErrorBytes)} {
		item := chat.OutboxItem{ID: chat.NewID(), Target: "t", Payload: []byte("x"), CreatedAt: time.Now(), Due: time.Now(), LastError: cut(s)}
		assert.NoError(t, item.Validate(), "%.40q", s)
	}
	assert.Equal(t, "plain", cut("plain"))
}
