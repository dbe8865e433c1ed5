package transport

import (
	"fmt"
	"time"
)

// bucket is a token bucket: it holds up to burst tokens, refills at rate
// per second, and each frame takes one. Only the session's reader uses it.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

// allow takes a token if there is one, or says how long until there is.
func (b *bucket) allow(now time.Time) (bool, time.Duration) {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// rateLimitError is the answer to a frame over the rate limit.
type rateLimitError struct{ retryAfter time.Duration }

func (e *rateLimitError) Error() string {
	return fmt.Sprintf("transport: rate limited; retry after %s", e.retryAfter)
}
