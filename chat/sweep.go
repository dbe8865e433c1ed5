package chat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// DefaultSweepInterval is how often Run sweeps unless told otherwise.
const DefaultSweepInterval = time.Minute

// Sweep does the Desk's timed work once: it sets offline the agents whose
// every presence lease has expired (see AgentLeaseStore), so that their
// conversations go back to the queue; forgets the expired presence leases
// of visitors and the visits that ended VisitGap ago (see VisitStore); closes queued, open and
// advisor's (StatusBot) conversations that have had no message or change for
// Config.InactivityTimeout, each with a system message saying why; offers
// offline requests to agents once their department's hours begin; emails
// the reply notices that are due and that no Desk's timer sent, such as
// those of a Desk that restarted (see ReplyNoticeStore); and refreshes the
// estimated waits of the queue. Run calls it periodically;
// call it directly to drive the Desk by hand, for example in tests with
// Config.Now.
func (d *Desk) Sweep(ctx context.Context) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	errs := []error{d.expireAgentLeases(ctx), d.pruneVisits(ctx)}
	if d.inactivity > 0 {
		cutoff := d.timestamp().Add(-d.inactivity)
		var idle []ConversationInfo
		err := d.eachConversation(ctx, ConversationFilter{Statuses: []Status{StatusBot, StatusQueued, StatusOpen}}, func(c ConversationInfo) {
			if c.UpdatedAt.Before(cutoff) {
				idle = append(idle, c)
			}
		})
		errs = append(errs, err)
		for _, c := range idle {
			errs = append(errs, d.closeIdle(ctx, c, cutoff))
		}
	}
	errs = append(errs, d.sendDueReplies(ctx), d.purgeOld(ctx))
	d.drainQueue(ctx)
	return errors.Join(errs...)
}

// idleCloseKey is the idempotency key of the system message that closes an
// idle conversation, with the conversation's Version at the time appended:
// Desks sweeping at once read the same Version and post the message once,
// and a sweep that stopped between the message and the close posts
// nothing again when the next one closes it. Appends leave the Version
// alone, so only a change of the conversation itself makes a new key.
const idleCloseKey = "parley:idle-close:"

// closeIdle closes c with a system message unless it saw activity since it
// was listed. When another Desk is closing it at the same moment, the
// message is stored once and the close is made once: the later of the two
// finds the message by its key and the conversation closed, and publishes
// nothing.
func (d *Desk) closeIdle(ctx context.Context, c ConversationInfo, cutoff time.Time) error {
	h := &handle{desk: d, id: c.ID}
	now, err := d.store.Conversation(ctx, c.ID)
	if err != nil {
		return err
	}
	if now.Status == StatusClosed || now.Status == StatusWaiting || !now.UpdatedAt.Before(cutoff) {
		return nil
	}
	words := languageOf(d.visitorOf(ctx, now).Locale)
	body := fmt.Sprintf(words.idle, words.duration(d.inactivity))
	key := idleCloseKey + strconv.FormatInt(now.Version, 10)
	if _, _, err := h.post(ctx, now, Message{Author: Author{Kind: AuthorSystem}, Body: body, IdempotencyKey: key}); err != nil {
		return err
	}
	_, err = h.close(ctx, false)
	return err
}

// Run calls Sweep every interval (DefaultSweepInterval when zero or less),
// and sets offline the agents whose presence leases expired every third of
// Config.AgentLeaseTTL, until ctx is done or the Desk is closed, and
// returns ctx's error or ErrClosed. Close stops it at once: a sweep in
// progress is waited for by Close, or cancelled when Close's context ends
// first. Errors of a sweep are logged; the next sweep tries again. Start
// it once per instance, in a goroutine of its own:
//
//	go desk.Run(ctx, 0)
//
// Of the instances sharing a Store, one at a time does this work: each
// round takes or renews a job lease in the store (see JobLeaseStore) that
// lasts two intervals, and an instance whose lease another holds skips the
// round. The holder keeps the job while it runs; when Run returns it gives
// the lease up, and when the holder crashes its lease expires, and another
// instance's Run takes the job over.
func (d *Desk) Run(ctx context.Context, interval time.Duration) error {
	if !d.begin() {
		return d.checkOpen()
	}
	defer d.pending.Done()
	if interval <= 0 {
		interval = DefaultSweepInterval
	}
	ttl := 2 * interval
	held := false // whether a round held the lease, which Run then releases
	defer func() {
		if held {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
			defer cancel()
			defer context.AfterFunc(d.aborted, cancel)()
			d.releaseJob(ctx, sweepJob)
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(d.aborted, cancel)()
	t := time.NewTicker(interval)
	defer t.Stop()
	leases := time.NewTicker(max(d.leaseTTL/3, time.Millisecond))
	defer leases.Stop()
	for {
		select {
		case <-d.stopped:
			return d.checkOpen()
		case <-ctx.Done():
			if err := d.checkOpen(); err != nil {
				return err
			}
			return ctx.Err()
		case <-t.C:
			if !d.holdJob(ctx, sweepJob, ttl) {
				continue
			}
			held = true
			err := d.Sweep(ctx)
			if errors.Is(err, ErrClosed) && d.closed.Load() {
				return err
			}
			if err != nil && ctx.Err() == nil {
				d.log.ErrorContext(ctx, "chat: sweep", "err", err)
			}
		case <-leases.C:
			if !d.holdJob(ctx, sweepJob, ttl) {
				continue
			}
			held = true
			if err := d.expireAgentLeases(ctx); err != nil && ctx.Err() == nil {
				d.log.ErrorContext(ctx, "chat: expiring agents' presence leases", "err", err)
			}
		}
	}
}
