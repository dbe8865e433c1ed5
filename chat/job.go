package chat

import (
	"context"
	"time"
)

// sweepJob names the job lease under which Run sweeps.
const sweepJob = "parley:sweep"

// JobLeaseStore keeps the leases on the Desk's timed jobs, so that of the
// instances running Desk.Run one at a time does a job's round: the holder
// of the live lease. The holder renews its lease each round and keeps the
// job; a holder that stops without releasing (a crash) keeps it until its
// lease expires, and then another instance takes it over. Leases live in
// the store, so that every instance sees those of the others.
//
// Rules, besides those of Store:
//   - A lease is named by its job and held by one holder, each 1 to
//     MaxIDBytes of UTF-8 text. Arguments are checked with CheckJobLease
//     first.
//   - A lease is live at t when it ends after t, and expired at t when it
//     ends at or before t. Times are kept as Timestamp.
//   - Two holders acquiring one job at once, on one instance or on
//     several, never both succeed while the lease of either is live.
type JobLeaseStore interface {
	// AcquireJob makes holder the holder of job until until, and reports
	// true, when nobody holds it, when holder holds it already (a
	// renewal, which sets the end, earlier too), or when the lease of
	// another holder is expired at now. Otherwise it changes nothing and
	// reports false.
	AcquireJob(ctx context.Context, job, holder string, now, until time.Time) (acquired bool, err error)
	// ReleaseJob ends holder's lease on job, so that another holder may
	// acquire it at once. A lease held by another holder, or none, is
	// left alone and is not an error.
	ReleaseJob(ctx context.Context, job, holder string) error
}

// CheckJobLease reports with ErrInvalid why the arguments of a
// JobLeaseStore method break its rules: every time must be between the
// years 1970 and 9999, and the job and holder 1 to MaxIDBytes bytes of
// UTF-8 without NUL. Stores call it first, with the method's job, holder
// and times.
func CheckJobLease(job, holder string, times ...time.Time) error {
	for _, t := range times {
		if err := checkTime("job lease time", t); err != nil {
			return err
		}
	}
	for _, id := range []string{job, holder} {
		if id == "" {
			return invalid("job or job lease holder is missing")
		}
		if err := checkText("job or job lease holder", id, MaxIDBytes); err != nil {
			return err
		}
	}
	return nil
}

// holdJob takes or renews the Desk's lease on job for ttl and reports
// whether it holds it. A failure to reach the store is logged and reported
// as not holding it: the round is skipped, and the next one tries again.
func (d *Desk) holdJob(ctx context.Context, job string, ttl time.Duration) bool {
	now := d.timestamp()
	held, err := d.store.AcquireJob(ctx, job, d.holder, now, now.Add(ttl))
	if err != nil {
		if ctx.Err() == nil {
			d.log.ErrorContext(ctx, "chat: taking a job lease", "job", job, "err", err)
		}
		return false
	}
	return held
}

// releaseJob gives up the Desk's lease on job, so that another instance's
// Run takes the job over at its next round rather than when the lease
// expires.
func (d *Desk) releaseJob(ctx context.Context, job string) {
	if err := d.store.ReleaseJob(ctx, job, d.holder); err != nil {
		d.log.ErrorContext(ctx, "chat: releasing a job lease", "job", job, "err", err)
	}
}
