package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"shopbot/chatstate"
)

// OpenLimiter returns a fresh chatstate.Limiter letting perSecond messages
// a second through per key in bursts of burst, sharing no keys with the
// limiters of other calls, and the function that moves its clock forward;
// advance is nil when the clock cannot be moved (a real Redis server's),
// and the cases that need time to pass are skipped.
type OpenLimiter func(t *testing.T, perSecond float64, burst int) (l chatstate.Limiter, advance func(time.Duration))

// slowRate refills so slowly (one message in 1000 s) that no test lasts
// long enough to see a token come back.
const slowRate = 0.001

// runLimiter runs the chatstate.Limiter cases: a burst goes through and
// the rest is refused; the first refusal of a flood is told, the others
// not; keys are independent; concurrent messages of one key take exactly
// the burst; the bucket refills at the rate, and a flood that paused for
// the refill time is told again.
func runLimiter(t *testing.T, open OpenLimiter) {
	for _, c := range []struct {
		name string
		run  func(t *testing.T, ctx context.Context, open OpenLimiter)
	}{
		{"a burst passes, the rest is refused and told once", testLimiterBurst},
		{"keys are independent", testLimiterKeys},
		{"concurrent messages of one key take exactly the burst", testLimiterConcurrent},
		{"the bucket refills; a new flood is told again", testLimiterRefill},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			c.run(t, ctx, open)
		})
	}
}

// allow asks l for one message of key and fails the test on an error.
func allow(t *testing.T, ctx context.Context, l chatstate.Limiter, key string) chatstate.Verdict {
	t.Helper()
	v, err := l.Allow(ctx, key)
	if err != nil {
		t.Fatalf("Allow(%s): %v", key, err)
	}
	if v.Allowed && v.Tell {
		t.Fatalf("Allow(%s) = %+v: told about a message it let through", key, v)
	}
	return v
}

func testLimiterBurst(t *testing.T, ctx context.Context, open OpenLimiter) {
	l, _ := open(t, slowRate, 5)
	for i := range 5 {
		if v := allow(t, ctx, l, "tg:1"); !v.Allowed {
			t.Fatalf("message %d of a burst of 5 refused", i+1)
		}
	}
	if v := allow(t, ctx, l, "tg:1"); v.Allowed || !v.Tell {
		t.Fatalf("the 6th message = %+v; want refused and told", v)
	}
	for i := range 10 {
		if v := allow(t, ctx, l, "tg:1"); v.Allowed || v.Tell {
			t.Fatalf("refusal %d of the flood = %+v; want refused silently", i+2, v)
		}
	}
}

func testLimiterKeys(t *testing.T, ctx context.Context, open OpenLimiter) {
	l, _ := open(t, slowRate, 2)
	for range 3 {
		allow(t, ctx, l, "web:a")
	}
	for _, key := range []string{"web:b", "tg:a", "wx:a"} {
		if v := allow(t, ctx, l, key); !v.Allowed {
			t.Fatalf("%s refused after web:a was", key)
		}
	}
	if v := allow(t, ctx, l, "web:a"); v.Allowed {
		t.Fatal("web:a let through again")
	}
}

func testLimiterConcurrent(t *testing.T, ctx context.Context, open OpenLimiter) {
	const burst, senders, each = 20, 16, 8
	l, _ := open(t, slowRate, burst)
	var mu sync.Mutex
	allowed, told := 0, 0
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			<-start
			for range each {
				v, err := l.Allow(ctx, "tg:flood")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if v.Allowed {
					allowed++
				}
				if v.Tell {
					told++
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if allowed != burst || told != 1 {
		t.Fatalf("%d concurrent messages: %d let through, %d told; want %d and 1", senders*each, allowed, told, burst)
	}
}

func testLimiterRefill(t *testing.T, ctx context.Context, open OpenLimiter) {
	// 2 a second in bursts of 4: the bucket fills in 2 s.
	l, advance := open(t, 2, 4)
	if advance == nil {
		t.Skip("this limiter's clock cannot be moved")
	}
	flood := func(step string) (allowed int, told bool) {
		t.Helper()
		for range 10 {
			v := allow(t, ctx, l, "wx:o1")
			if !v.Allowed {
				return allowed, v.Tell
			}
			allowed++
		}
		t.Fatalf("%s: ten messages in a row let through", step)
		return 0, false
	}
	if n, told := flood("first flood"); n != 4 || !told {
		t.Fatalf("first flood: %d let through, told %v; want 4 and told", n, told)
	}
	advance(1200 * time.Millisecond) // 2.4 tokens back
	if n, told := flood("1.2 s on"); n != 2 || told {
		t.Fatalf("1.2 s on: %d let through, told %v; want 2, and still the same flood (not told)", n, told)
	}
	advance(3 * time.Second) // quiet for longer than the bucket takes to fill
	if n, told := flood("a new flood"); n != 4 || !told {
		t.Fatalf("after a pause: %d let through, told %v; want a full burst of 4 and told again", n, told)
	}
}
