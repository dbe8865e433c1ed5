package storetest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/chat"
)

func jobCases() []testCase {
	return []testCase{
		{"HolderRules", testJobHolder},
		{"Release", testJobRelease},
		{"AtOnce", testJobAtOnce},
		{"ReleasedWhileAcquired", testJobReleasedWhileAcquired},
		{"Invalid", testJobInvalid},
		{"DoneContext", testJobDoneContext},
	}
}

// acquire calls AcquireJob and fails the test on an error.
func (f *fixture) acquire(job, holder string, now, until time.Time) bool {
	f.t.Helper()
	ok, err := f.s.AcquireJob(f.ctx, job, holder, now, until)
	require.NoError(f.t, err, "AcquireJob")
	return ok
}

func testJobHolder(t *testing.T, f *fixture) {
	job, other := "job-"+uuid.NewString(), "job-"+uuid.NewString()
	t0 := baseTime()
	assert.True(t, f.acquire(job, "holder-1", t0, t0.Add(time.Minute)), "nobody holds a new job")
	assert.False(t, f.acquire(job, "holder-2", t0.Add(59*time.Second), t0.Add(2*time.Minute)), "a live lease keeps others out")
	assert.True(t, f.acquire(other, "holder-2", t0, t0.Add(time.Minute)), "jobs are apart")
	assert.True(t, f.acquire(job, "holder-1", t0.Add(30*time.Second), t0.Add(90*time.Second)), "the holder renews")
	assert.False(t, f.acquire(job, "holder-2", t0.Add(80*time.Second), t0.Add(2*time.Minute)), "the renewal moved the end")
	assert.True(t, f.acquire(job, "holder-1", t0.Add(80*time.Second), t0.Add(85*time.Second)), "a renewal sets the end, earlier too")
	assert.True(t, f.acquire(job, "holder-1", t0.Add(80*time.Second), t0.Add(85*time.Second)), "the same renewal twice")
	assert.True(t, f.acquire(job, "holder-2", t0.Add(85*time.Second).In(time.FixedZone("west", -5*3600)), t0.Add(2*time.Minute)),
		"a lease is expired at its end, whatever the time's zone; another holder takes the job")
	assert.False(t, f.acquire(job, "holder-1", t0.Add(90*time.Second), t0.Add(3*time.Minute)), "and holds it")
}

func testJobRelease(t *testing.T, f *fixture) {
	job := "job-" + uuid.NewString()
	t0 := baseTime()
	require.True(t, f.acquire(job, "holder-1", t0, t0.Add(time.Minute)))
	require.NoError(t, f.s.ReleaseJob(f.ctx, job, "holder-2"), "releasing another's lease is not an error")
	assert.False(t, f.acquire(job, "holder-2", t0, t0.Add(time.Minute)), "and leaves it alone")
	require.NoError(t, f.s.ReleaseJob(f.ctx, job, "holder-1"))
	assert.True(t, f.acquire(job, "holder-2", t0, t0.Add(time.Minute)), "a released job is free at once")
	require.NoError(t, f.s.ReleaseJob(f.ctx, "job-"+uuid.NewString(), "holder-1"), "releasing a missing lease is not an error")
}

// testJobAtOnce has holders race for one job, again and again: each round
// exactly one of them gets it.
func testJobAtOnce(t *testing.T, f *fixture) {
	const holders, rounds = 4, 5
	for round := range rounds {
		job := "job-" + uuid.NewString()
		t0 := baseTime().Add(time.Duration(round) * time.Hour)
		var mu sync.Mutex
		won := 0
		var wg sync.WaitGroup
		for h := range holders {
			wg.Go(func() {
				ok, err := f.s.AcquireJob(f.ctx, job, "holder-"+strings.Repeat("x", h+1), t0, t0.Add(time.Minute))
				assert.NoError(t, err)
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		assert.Equal(t, 1, won, "round %d: one holder gets the job", round)
	}
}

// testJobReleasedWhileAcquired has holders take and give up one job over
// and over at once, as instances whose Run starts and stops do: a lease
// released while another holder is acquiring the job is no error.
func testJobReleasedWhileAcquired(t *testing.T, f *fixture) {
	const holders, rounds = 4, 100
	job := "job-" + uuid.NewString()
	t0 := baseTime()
	var wg sync.WaitGroup
	for h := range holders {
		wg.Go(func() {
			holder := "holder-" + strings.Repeat("x", h+1)
			for range rounds {
				ok, err := f.s.AcquireJob(f.ctx, job, holder, t0, t0.Add(time.Minute))
				if !assert.NoError(t, err, "AcquireJob") {
					return
				}
				if ok {
					assert.NoError(t, f.s.ReleaseJob(f.ctx, job, holder), "ReleaseJob")
				}
			}
		})
	}
	wg.Wait()
}

func testJobInvalid(t *testing.T, f *fixture) {
	job := "job-" + uuid.NewString()
	t0 := baseTime()
	long := strings.Repeat("x", chat.MaxIDBytes+1)
	for name, err := range map[string]error{
		"acquire without job":         second(f.s.AcquireJob(f.ctx, "", "holder-1", t0, t0)),
		"acquire without holder":      second(f.s.AcquireJob(f.ctx, job, "", t0, t0)),
		"acquire a long job":          second(f.s.AcquireJob(f.ctx, long, "holder-1", t0, t0)),
		"acquire a long holder":       second(f.s.AcquireJob(f.ctx, job, long, t0, t0)),
		"acquire bad UTF-8":           second(f.s.AcquireJob(f.ctx, job, "holder-\xff", t0, t0)),
		"acquire at the zero time":    second(f.s.AcquireJob(f.ctx, job, "holder-1", time.Time{}, t0)),
		"acquire until the zero time": second(f.s.AcquireJob(f.ctx, job, "holder-1", t0, time.Time{})),
		"release without job":         f.s.ReleaseJob(f.ctx, "", "holder-1"),
		"release without holder":      f.s.ReleaseJob(f.ctx, job, ""),
	} {
		assert.ErrorIs(t, err, chat.ErrInvalid, name)
	}
	assert.True(t, f.acquire(job, "holder-2", t0, t0.Add(time.Minute)), "a rejected call stores no lease")
}

func testJobDoneContext(t *testing.T, f *fixture) {
	job := "job-" + uuid.NewString()
	t0 := baseTime()
	for _, done := range []context.Context{canceled(), expired()} {
		want := done.Err()
		assert.ErrorIs(t, second(f.s.AcquireJob(done, job, "holder-1", t0, t0.Add(time.Minute))), want, "AcquireJob")
		assert.ErrorIs(t, f.s.ReleaseJob(done, job, "holder-1"), want, "ReleaseJob")
	}
	assert.True(t, f.acquire(job, "holder-2", t0, t0.Add(time.Minute)), "a done context stores no lease")
}
