package main

import (
	"context"
	"time"
)

// AcquireJob implements chat.Store.
func (s *Store) AcquireJob(ctx context.Context, job, holder string, now, until time.Time) (_ bool, err error) {
	defer func(t time.Time) { s.observe(ctx, "AcquireJob", t, err) }(time.Now())
	return s.next.AcquireJob(ctx, job, holder, now, until)
}

// ReleaseJob implements chat.Store.
func (s *Store) ReleaseJob(ctx context.Context, job, holder string) (err error) {
	defer func(t time.Time) { s.observe(ctx, "ReleaseJob", t, err) }(time.Now())
	return s.next.ReleaseJob(ctx, job, holder)
}
