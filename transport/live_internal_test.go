package transport

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
)

// TestLiveWatcherLifecycle checks that Shutdown stops the visitor list's
// watcher, and that a connection racing with the shutdown starts none.
func TestLiveWatcherLifecycle(t *testing.T) {
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	require.NoError(t, err)
	defer desk.Close()
	srv, err := New(Config{Desk: desk, Secret: make([]byte, MinSecretBytes),
		Invitations: []InvitationRule{{Name: "hi", Message: "Hi"}}, InvitationInterval: time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, srv.live.start())
	done := srv.live.done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, srv.Shutdown(ctx))
	select {
	case <-done:
	default:
		t.Fatal("the watcher outlived Shutdown")
	}

	late, err := New(Config{Desk: desk, Secret: make([]byte, MinSecretBytes)})
	require.NoError(t, err)
	require.NoError(t, late.Shutdown(ctx))
	require.NoError(t, late.live.start())
	require.Nil(t, late.live.done, "no watcher starts after Shutdown")
}
