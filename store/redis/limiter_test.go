package redis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"shopbot/chatstate"
	"shopbot/internal/testenv"
	"shopbot/store/redis"
	"shopbot/store/storetest"
)

// TestLimiter runs the limiter cases of the conformance suite on miniredis
// (whose clock the cases move: redis_rate takes the time from the server)
// and on the real server behind REDIS_URL (whose clock they cannot).
func TestLimiter(t *testing.T) {
	t.Parallel()
	t.Run("miniredis", func(t *testing.T) {
		t.Parallel()
		storetest.Run(t, storetest.Driver{Limiter: func(t *testing.T, perSecond float64, burst int) (chatstate.Limiter, func(time.Duration)) {
			m := miniredis.RunT(t)
			var mu sync.Mutex
			now := time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)
			m.SetTime(now)
			advance := func(d time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				now = now.Add(d)
				m.SetTime(now)   // TIME, which the bucket reads
				m.FastForward(d) // key expiry
			}
			return redis.NewLimiter(newMiniClient(t, m), "shopbot:", perSecond, burst), advance
		}})
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		storetest.Run(t, storetest.Driver{Limiter: func(t *testing.T, perSecond float64, burst int) (chatstate.Limiter, func(time.Duration)) {
			client, prefix := realClient(t)
			return redis.NewLimiter(client, prefix, perSecond, burst), nil
		}})
	})
}

// Two replicas (two clients) share one bucket per identity.
func TestLimiterSharedByReplicas(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	a := redis.NewLimiter(newMiniClient(t, m), "shopbot:", 0.001, 3)
	b := redis.NewLimiter(newMiniClient(t, m), "shopbot:", 0.001, 3)
	ctx := context.Background()
	var got []chatstate.Verdict
	for _, l := range []*redis.Limiter{a, b, a, b, a} {
		v, err := l.Allow(ctx, "tg:42")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	want := []chatstate.Verdict{{Allowed: true}, {Allowed: true}, {Allowed: true}, {Tell: true}, {}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("verdicts %+v; want %+v", got, want)
		}
	}
	// Another shop on the same Redis (another prefix) has buckets of its own.
	other := redis.NewLimiter(newMiniClient(t, m), "othershop:", 0.001, 3)
	if v, err := other.Allow(ctx, "tg:42"); err != nil || !v.Allowed {
		t.Fatalf("another prefix: %+v, %v", v, err)
	}
}

// A Redis that is down is an error (the router then lets the message
// through and logs it).
func TestLimiterDown(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	l := redis.NewLimiter(newMiniClient(t, m), "shopbot:", 5, 20)
	m.Close()
	if _, err := l.Allow(context.Background(), "tg:1"); err == nil {
		t.Fatal("Allow on a stopped Redis: no error")
	}
}

// realClient connects to REDIS_URL under a fresh prefix and deletes, when
// t ends, the keys under it and those redis_rate put under "rate:"+prefix.
func realClient(t *testing.T) (goredis.UniversalClient, string) {
	t.Helper()
	url := testenv.RedisURL(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	client, err := redis.Open(ctx, url)
	if err != nil {
		t.Fatalf("Open(REDIS_URL): %v", err)
	}
	prefix := testenv.UniqueName("shopbot_test") + ":"
	t.Cleanup(func() {
		defer client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, pattern := range []string{prefix + "*", "rate:" + prefix + "*"} {
			keys, err := client.Keys(ctx, pattern).Result()
			if err != nil {
				t.Errorf("cleanup: keys %s: %v", pattern, err)
				return
			}
			if len(keys) > 0 {
				if err := client.Del(ctx, keys...).Err(); err != nil {
					t.Errorf("cleanup: del: %v", err)
				}
			}
		}
	})
	return client, prefix
}
