package pgnotify

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// run keeps a listening connection until ctx ends: it connects, LISTENs,
// hands every notification to the subscribers, and when the connection is
// lost connects again with backoff.
func (b *Broker) run(ctx context.Context) {
	defer close(b.done)
	failures := 0
	lost := false // a connection was made before, and lost
	for {
		if failures > 0 && !sleep(ctx, b.backoff(failures)) {
			return
		}
		conn, err := b.connect(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			b.setState(false, err)
			b.log.WarnContext(ctx, "pgnotify: connecting the listener", "channel", b.channel, "attempt", failures, "err", err)
			continue
		}
		b.setState(true, nil)
		if lost {
			b.log.InfoContext(ctx, "pgnotify: listening again after a lost connection", "channel", b.channel, "attempts", failures)
			if b.cfg.OnReconnect != nil {
				b.cfg.OnReconnect()
			}
		}
		lost = true
		since := time.Now()
		err = b.receive(ctx, conn)
		b.setState(false, fmt.Errorf("connection lost: %w", err))
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.Timeout)
		_ = conn.Close(closeCtx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		b.log.WarnContext(ctx, "pgnotify: listening connection lost, events published until it is back are missed", "channel", b.channel, "err", err)
		// A connection that dies as soon as it is made is retried with
		// backoff too; one that worked for a while is retried at once.
		if time.Since(since) < b.cfg.ReconnectMax {
			failures++
		} else {
			failures = 0
		}
	}
}

// backoff returns the wait before attempt n (n >= 1): ReconnectMin doubled
// n-1 times, at most ReconnectMax, less up to half of it at random so that
// instances cut off together do not come back together.
func (b *Broker) backoff(n int) time.Duration {
	d := b.cfg.ReconnectMin
	for i := 1; i < n && d < b.cfg.ReconnectMax; i++ {
		d *= 2
	}
	d = min(d, b.cfg.ReconnectMax)
	return d - rand.N(d/2+1)
}

// sleep waits for d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// connect opens the listening connection and LISTENs on the channel.
func (b *Broker) connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, b.listenCfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, b.sql.listen); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("LISTEN %s: %w", b.channel, err)
	}
	return conn, nil
}

// receive hands the notifications of conn to the subscribers until ctx
// ends or the connection fails, and returns why it stopped.
func (b *Broker) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		wait, cancel := context.WithTimeout(ctx, b.cfg.PingInterval)
		n, err := conn.WaitForNotification(wait)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) || conn.IsClosed() {
				return err
			}
			// Silent for PingInterval: make sure the server still answers.
			ping, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
			err = conn.Ping(ping)
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
			continue
		}
		if err := b.handle(ctx, conn, n.Payload); err != nil {
			return err
		}
	}
}

// handle decodes one notification, reads the row it names if it carries a
// reference, and dispatches the event. It returns an error only when the
// connection failed; a payload it cannot use is logged and skipped.
func (b *Broker) handle(ctx context.Context, conn *pgx.Conn, payload string) error {
	e, ref, err := decode([]byte(payload))
	if err != nil {
		b.log.WarnContext(ctx, "pgnotify: dropping an event that cannot be decoded", "channel", b.channel, "err", err)
		return nil
	}
	if id := ref; id > 0 {
		read, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
		var stored string
		err := conn.QueryRow(read, b.sql.read, id).Scan(&stored)
		cancel()
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			b.log.WarnContext(ctx, "pgnotify: a large event was deleted before it was read; raise Config.Retention", "table", b.table, "id", id)
			return nil
		case err != nil && conn.IsClosed():
			return fmt.Errorf("reading event %d: %w", id, err)
		case err != nil:
			b.log.WarnContext(ctx, "pgnotify: reading a large event", "table", b.table, "id", id, "err", err)
			return nil
		}
		e, ref, err = decode([]byte(stored))
		if err == nil && ref != 0 {
			err = errors.New("pgnotify: a stored envelope holds a row id")
		}
		if err != nil {
			b.log.WarnContext(ctx, "pgnotify: dropping an event that cannot be decoded", "table", b.table, "id", id, "err", err)
			return nil
		}
	}
	b.subs.Deliver(e)
	return nil
}
