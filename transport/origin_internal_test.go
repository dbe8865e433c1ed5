package transport

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// TestRefusedOriginsAreBounded sends requests from many origins: the
// memory of those already logged stays bounded.
func TestRefusedOriginsAreBounded(t *testing.T) {
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	require.NoError(t, err)
	defer desk.Close(context.Background())
	s, err := New(Config{Desk: desk, Secret: fuzzSecret})
	require.NoError(t, err)
	for i := range 3 * maxLoggedOrigins {
		r := httptest.NewRequest("GET", "http://chat.example/ws", nil)
		r.Header.Set("Origin", fmt.Sprintf("https://site%d.example", i))
		require.False(t, s.originAllowed(r))
		assert.LessOrEqual(t, len(s.refusedOrigins), maxLoggedOrigins)
	}
}
