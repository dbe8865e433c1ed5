package main

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/parleychat/parley/chat"
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

// ScheduleReplyNotice implements chat.Store.
func (s *Store) ScheduleReplyNotice(ctx context.Context, n chat.ReplyNotice) (_ bool, err error) {
	defer func(t time.Time) { s.observe(ctx, "ScheduleReplyNotice", t, err) }(time.Now())
	return s.next.ScheduleReplyNotice(ctx, n)
}

// DueReplyNotices implements chat.Store.
func (s *Store) DueReplyNotices(ctx context.Context, at time.Time, limit int) (_ []chat.ReplyNotice, err error) {
	defer func(t time.Time) { s.observe(ctx, "DueReplyNotices", t, err) }(time.Now())
	return s.next.DueReplyNotices(ctx, at, limit)
}

// TakeReplyNotice implements chat.Store.
func (s *Store) TakeReplyNotice(ctx context.Context, n chat.ReplyNotice) (_ bool, err error) {
	defer func(t time.Time) { s.observe(ctx, "TakeReplyNotice", t, err) }(time.Now())
	return s.next.TakeReplyNotice(ctx, n)
}

// CancelReplyNotices implements chat.Store.
func (s *Store) CancelReplyNotices(ctx context.Context, visitorID uuid.UUID) (err error) {
	defer func(t time.Time) { s.observe(ctx, "CancelReplyNotices", t, err) }(time.Now())
	return s.next.CancelReplyNotices(ctx, visitorID)
}
