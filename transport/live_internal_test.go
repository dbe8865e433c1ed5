package transport

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/store/memory"
	"github.com/parleychat/parley/wire"
)

// TestLiveWatcherLifecycle checks that Shutdown stops the visitor list's
// watcher, and that a connection racing with the shutdown starts none.
func TestLiveWatcherLifecycle(t *testing.T) {
	desk, err := chat.NewDesk(chat.Config{Store: memory.New()})
	require.NoError(t, err)
	defer desk.Close(context.Background())
	srv, err := New(Config{Desk: desk, Secret: make([]byte, MinSecretBytes),
		Invitations: []InvitationRule{{Name: "hi", Message: "Hi"}}, InvitationInterval: time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, srv.live.start())
	done := srv.live.watcher.done
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
	require.Nil(t, late.live.watcher.done, "no watcher starts after Shutdown")
}

// TestLiveBoxKeepsNewestPerVisitor checks that a slow console is sent
// only the newest frame of each visitor, in the order visitors changed.
func TestLiveBoxKeepsNewestPerVisitor(t *testing.T) {
	b := newLiveBox()
	a, c := chat.NewID(), chat.NewID()
	for i := range 1000 {
		b.put(a, &wire.ServerFrame{Type: wire.FrameVisitor, VisitorID: a, ID: fmt.Sprint(i)})
	}
	b.put(c, &wire.ServerFrame{Type: wire.FrameVisitor, VisitorID: c})
	b.put(a, &wire.ServerFrame{Type: wire.FrameVisitorLeft, VisitorID: a})
	select {
	case <-b.ready:
	default:
		t.Fatal("the box does not say it has frames")
	}
	got := b.take()
	require.Len(t, got, 2)
	require.Equal(t, wire.FrameVisitorLeft, got[0].Type, "the newest frame of the first visitor")
	require.Equal(t, c, got[1].VisitorID)
	require.Empty(t, b.take())
}
