package chatstate_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"shopbot/chatstate"
	"shopbot/store/storetest"
)

// clock is a clock tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestLocalLimiter(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Driver{Limiter: func(t *testing.T, perSecond float64, burst int) (chatstate.Limiter, func(time.Duration)) {
		c := &clock{now: time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)}
		return chatstate.NewLocalLimiter(perSecond, burst, c.Now), c.advance
	}})
}

// Buckets of keys gone quiet are forgotten: a flood of new identities does
// not grow the limiter without bound.
func TestLocalLimiterForgetsQuietKeys(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)}
	l := chatstate.NewLocalLimiter(5, 20, c.Now)
	ctx := context.Background()
	for i := range 10_000 {
		if _, err := l.Allow(ctx, fmt.Sprint("web:visitor", i)); err != nil {
			t.Fatal(err)
		}
		if i%1000 == 999 {
			c.advance(5 * time.Second) // the bucket fills in 4 s
		}
	}
	if n := l.Len(); n > 5000 {
		t.Fatalf("%d buckets kept for 10,000 keys that went quiet", n)
	}
}
