package memory

import (
	"context"
	"time"

	"github.com/parleychat/parley/chat"
)

// jobLease is the holder of a job and when their lease ends.
type jobLease struct {
	holder string
	until  time.Time
}

// AcquireJob implements chat.Store.
func (s *Store) AcquireJob(ctx context.Context, job, holder string, now, until time.Time) (bool, error) {
	if err := check(ctx, chat.CheckJobLease(job, holder, now, until)); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.jobs[job]; ok && l.holder != holder && l.until.After(chat.Timestamp(now)) {
		return false, nil
	}
	if s.jobs == nil {
		s.jobs = make(map[string]jobLease)
	}
	s.jobs[job] = jobLease{holder: holder, until: chat.Timestamp(until)}
	return true, nil
}

// ReleaseJob implements chat.Store.
func (s *Store) ReleaseJob(ctx context.Context, job, holder string) error {
	if err := check(ctx, chat.CheckJobLease(job, holder)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jobs[job].holder == holder {
		delete(s.jobs, job)
	}
	return nil
}
