package chat_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

// lifecycleWait is how long a test waits for something Close should make
// happen at once: far above any scheduling delay, far below the hour-long
// intervals the tests configure.
const lifecycleWait = 5 * time.Second

// TestRunStopsOnClose checks that Run returns ErrClosed as soon as the Desk
// closes, though its next sweep is an hour away, and that a Run started
// after Close returns at once.
func TestRunStopsOnClose(t *testing.T) {
	f := setup(t, chat.Config{})
	done := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		close(started)
		done <- f.desk.Run(context.Background(), time.Hour)
	}()
	<-started
	ctx, cancel := context.WithTimeout(t.Context(), lifecycleWait)
	defer cancel()
	require.NoError(t, f.desk.Close(ctx), "Close waits for nothing: Run stops at once")
	select {
	case err := <-done:
		assert.ErrorIs(t, err, chat.ErrClosed)
	case <-time.After(lifecycleWait):
		t.Fatal("Run still running after Close")
	}

	assert.ErrorIs(t, f.desk.Run(context.Background(), time.Hour), chat.ErrClosed, "Run after Close")
}

// blockingNotifier is a Notifier whose sends hang until their context
// ends, like an SMTP server that stopped answering.
type blockingNotifier struct {
	started chan struct{}
	ended   chan error
}

func (b *blockingNotifier) Notify(ctx context.Context, _ chat.Notice) error {
	b.started <- struct{}{}
	<-ctx.Done()
	b.ended <- ctx.Err()
	return ctx.Err()
}

// TestCloseBoundedByContext closes the Desk while a notice is stuck being
// sent: Close waits no longer than its context allows, returns the
// context's error, and cancels the send.
func TestCloseBoundedByContext(t *testing.T) {
	for name, ctxFor := range map[string]func(t *testing.T) (context.Context, context.CancelFunc){
		"cancelled": func(t *testing.T) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx, cancel
		},
		"deadline": func(t *testing.T) (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), 50*time.Millisecond)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			box := &blockingNotifier{started: make(chan struct{}, 1), ended: make(chan error, 1)}
			f := setup(t, chat.Config{Notifier: box})
			ctx := t.Context()
			// Nobody is online: the chat is an offline request, whose first
			// message is acknowledged by email.
			v, err := f.desk.SaveVisitor(ctx, chat.Visitor{Name: "Anna", Email: "anna@example.com"})
			require.NoError(t, err)
			conv, err := f.desk.Start(ctx, chat.StartRequest{VisitorID: v.ID})
			require.NoError(t, err)
			_, err = conv.Post(ctx, chat.Message{Author: chat.Author{Kind: chat.AuthorVisitor, ID: v.ID.String()}, Body: "Is the shop open on Sunday?"})
			require.NoError(t, err)
			select {
			case <-box.started:
			case <-time.After(lifecycleWait):
				t.Fatal("the acknowledgement was never sent")
			}

			closeCtx, cancel := ctxFor(t)
			defer cancel()
			closed := make(chan error, 1)
			go func() { closed <- f.desk.Close(closeCtx) }()
			select {
			case err := <-closed:
				assert.ErrorIs(t, err, closeCtx.Err(), "Close returns its context's error")
			case <-time.After(lifecycleWait):
				t.Fatal("Close kept waiting for a notice after its context ended")
			}
			select {
			case err := <-box.ended:
				assert.ErrorIs(t, err, context.Canceled, "the stuck send is cancelled")
			case <-time.After(lifecycleWait):
				t.Fatal("the stuck send was not cancelled")
			}
			_, err = f.desk.Conversation(ctx, conv.ID())
			assert.ErrorIs(t, err, chat.ErrClosed, "calls after Close")
			assert.NoError(t, f.desk.Close(closeCtx), "Close again")
		})
	}
}
