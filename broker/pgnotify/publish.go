package pgnotify

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
)

// maxBatch bounds how many notifications one statement sends, and
// maxBatchBytes their payloads' total length, so a statement stays small
// beside PostgreSQL's notification queue (8 GB by default).
const (
	maxBatch      = 256
	maxBatchBytes = 1 << 20
)

// pending is an event waiting for the publishing goroutine: its envelope,
// and where the outcome goes (buffered, so the goroutine never waits for a
// caller that gave up).
type pending struct {
	payload string
	done    chan error
}

// batcher sends the notifications of concurrent Publish calls together.
// Publish queues its event and waits; one goroutine at a time takes
// everything queued and sends it in one statement, one transaction, so
// that a thousand events a second cost a few commits and a few wake-ups
// of the listening sessions, not a thousand. Events keep the order they
// were queued in, since one statement runs at a time and PostgreSQL
// delivers a transaction's notifications in the order they were made.
type batcher struct {
	mu      sync.Mutex
	queue   []pending
	running bool
}

// publish queues payload and waits until it is sent, or until ctx ends:
// then it returns ctx's error, and the event may still be sent.
func (b *Broker) publishBatched(ctx context.Context, pool *pgxpool.Pool, payload string) error {
	p := pending{payload: payload, done: make(chan error, 1)}
	b.batch.mu.Lock()
	b.batch.queue = append(b.batch.queue, p)
	start := !b.batch.running
	b.batch.running = true
	b.batch.mu.Unlock()
	if start {
		go b.sendQueued(pool)
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendQueued sends what is queued, a batch at a time, until the queue is
// empty.
func (b *Broker) sendQueued(pool *pgxpool.Pool) {
	for {
		b.batch.mu.Lock()
		batch := takeBatch(&b.batch.queue)
		if len(batch) == 0 {
			b.batch.running = false
			b.batch.mu.Unlock()
			return
		}
		b.batch.mu.Unlock()
		payloads := make([]string, len(batch))
		for i, p := range batch {
			payloads[i] = p.payload
		}
		ctx, cancel := context.WithTimeout(context.Background(), b.cfg.Timeout)
		_, err := pool.Exec(ctx, b.sql.notifyMany, b.channel, payloads)
		cancel()
		for _, p := range batch {
			p.done <- err
		}
	}
}

// takeBatch removes from the front of queue the events one statement
// sends: at most maxBatch of them and maxBatchBytes of payload, and no
// payload twice, since PostgreSQL delivers identical notifications of one
// transaction only once.
func takeBatch(queue *[]pending) []pending {
	q := *queue
	seen := make(map[string]bool, min(len(q), maxBatch))
	n, size := 0, 0
	for n < len(q) && n < maxBatch && !seen[q[n].payload] {
		if n > 0 && size+len(q[n].payload) > maxBatchBytes {
			break
		}
		seen[q[n].payload] = true
		size += len(q[n].payload)
		n++
	}
	batch := q[:n:n]
	*queue = q[n:]
	if len(*queue) == 0 {
		*queue = nil
	}
	return batch
}
