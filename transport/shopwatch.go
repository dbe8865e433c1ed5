package transport

import (
	"context"
	"sync"

	"github.com/parleychat/parley/chat"
)

// shopWatch is one goroutine of a Server that follows the whole shop
// (chat.TopicAll): started on first use, stopped once by Shutdown. The
// live visitor list and the agents' summaries each run one.
type shopWatch struct {
	mu      sync.Mutex
	started bool // started, or never will be: shut down
	stop    context.CancelFunc
	done    chan struct{}
}

// start subscribes to the whole shop with a buffer of n events and runs
// run in a goroutine, unless it was started or shut down before.
func (w *shopWatch) start(desk *chat.Desk, n int, run func(context.Context, *chat.Subscription)) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	sub, err := desk.SubscribeBuffer(ctx, chat.TopicAll, n)
	if err != nil {
		cancel()
		return err
	}
	done := make(chan struct{})
	w.started, w.stop, w.done = true, cancel, done
	go func() {
		defer close(done)
		run(ctx, sub)
	}()
	return nil
}

// shutdown stops the goroutine and waits for it until ctx ends. A start
// racing with it, or after it, starts nothing.
func (w *shopWatch) shutdown(ctx context.Context) {
	w.mu.Lock()
	stop, done := w.stop, w.done
	w.started = true
	w.mu.Unlock()
	if stop == nil {
		return
	}
	stop()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
