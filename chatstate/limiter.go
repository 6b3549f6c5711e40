package chatstate

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// LocalLimiter is the embedded default's Limiter: a golang.org/x/time/rate
// bucket per key in this process (store/redis shares them between
// replicas). Buckets that have filled up again are forgotten, so its memory
// follows the keys active in the last few seconds.
type LocalLimiter struct {
	rate  rate.Limit
	burst int
	quiet time.Duration // a bucket left alone this long is full again
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*localBucket
	calls     int
	lastSweep time.Time
}

type localBucket struct {
	lim *rate.Limiter
	// last is the bucket's latest use; toldUntil ends the flood the user
	// was told about (refusals before it stay silent).
	last, toldUntil time.Time
}

// NewLocalLimiter lets perSecond messages a second through per key, in
// bursts of burst. now is the clock (nil: time.Now).
func NewLocalLimiter(perSecond float64, burst int, now func() time.Time) *LocalLimiter {
	if now == nil {
		now = time.Now
	}
	burst = max(burst, 1)
	return &LocalLimiter{rate: rate.Limit(perSecond), burst: burst, quiet: FloodQuiet(perSecond, burst), now: now,
		buckets: map[string]*localBucket{}}
}

// FloodQuiet is how long a flood's refusals must pause for the next
// refusal to be told again: the time an empty bucket takes to fill up.
func FloodQuiet(perSecond float64, burst int) time.Duration {
	if perSecond <= 0 {
		return time.Second
	}
	return time.Duration(math.Ceil(float64(max(burst, 1)) / perSecond * float64(time.Second)))
}

// Allow implements Limiter.
func (l *LocalLimiter) Allow(_ context.Context, key string) (Verdict, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &localBucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.last = now
	if b.lim.AllowN(now, 1) {
		return Verdict{Allowed: true}, nil
	}
	tell := !now.Before(b.toldUntil)
	b.toldUntil = now.Add(l.quiet)
	return Verdict{Tell: tell}, nil
}

// sweep forgets, now and then, the buckets idle long enough to be full
// and past any flood: a new bucket would answer the same.
func (l *LocalLimiter) sweep(now time.Time) {
	l.calls++
	if l.calls < 4096 && now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.calls, l.lastSweep = 0, now
	for k, b := range l.buckets {
		if now.Sub(b.last) >= l.quiet && !now.Before(b.toldUntil) {
			delete(l.buckets, k)
		}
	}
}

// Len is how many keys have a bucket (tests check it stays bounded).
func (l *LocalLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
