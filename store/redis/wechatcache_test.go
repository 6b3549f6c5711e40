package redis_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"

	"shopbot/bot/wechat"
	"shopbot/store/redis"
)

// The adapter is the library's cache and the WeChat adapter's token cache.
var (
	_ cache.Cache        = (*redis.WeChatCache)(nil)
	_ cache.ContextCache = (*redis.WeChatCache)(nil)
	_ wechat.TokenCache  = (*redis.WeChatCache)(nil)
)

func TestWeChatCache(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := miniredis.RunT(t)
	// No retries, so the Redis-down part below fails fast.
	client := goredis.NewClient(&goredis.Options{Addr: m.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = client.Close() })
	c := redis.NewWeChatCache(client, "shopbot:")

	if v := c.GetContext(ctx, "tok"); v != nil {
		t.Fatalf("Get of a missing key = %v; want nil", v)
	}
	if c.IsExist("tok") {
		t.Fatal("IsExist of a missing key")
	}
	if err := c.SetContext(ctx, "tok", "ACCESS", time.Minute); err != nil {
		t.Fatal(err)
	}
	// The library does val.(string) on what Get returns.
	if s, ok := c.Get("tok").(string); !ok || s != "ACCESS" {
		t.Fatalf("Get = %#v; want the string ACCESS", c.Get("tok"))
	}
	if !m.Exists("shopbot:wechat:tok") {
		t.Fatalf("key not under the prefix and namespace: %v", m.Keys())
	}
	if err := c.Set("bytes", []byte("B"), 0); err != nil {
		t.Fatal(err)
	}
	if s, _ := c.Get("bytes").(string); s != "B" {
		t.Fatalf("Get(bytes) = %#v", c.Get("bytes"))
	}
	if err := c.Set("n", 42, time.Minute); err == nil {
		t.Fatal("Set accepted a non-string value")
	}

	m.FastForward(61 * time.Second)
	if v := c.Get("tok"); v != nil {
		t.Fatalf("Get after the timeout = %v; want nil", v)
	}
	if !c.IsExistContext(ctx, "bytes") {
		t.Fatal("timeout 0 expired")
	}
	if err := c.Delete("bytes"); err != nil || c.IsExist("bytes") {
		t.Fatalf("Delete: %v, still there: %v", err, c.IsExist("bytes"))
	}
	if err := c.DeleteContext(ctx, "never"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}

	m.Close() // Redis down: Get degrades to a miss, writes fail
	if v := c.Get("tok"); v != nil {
		t.Fatalf("Get with Redis down = %v; want nil", v)
	}
	if err := c.Set("tok", "x", time.Minute); err == nil {
		t.Fatal("Set with Redis down succeeded")
	}
}

// Two replicas share the token and never refresh it at the same time.
func TestWeChatCacheSharedLock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := miniredis.RunT(t)
	a := redis.NewWeChatCache(newMiniClient(t, m), "shopbot:")
	b := redis.NewWeChatCache(newMiniClient(t, m), "shopbot:")

	var inside, overlaps, refreshes atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			lctx, cancel := context.WithTimeout(ctx, 30*time.Second) // stops a Lock that hangs, nothing more
			defer cancel()
			unlock, err := c.Lock(lctx, "token:lock", 10*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			defer unlock()
			if inside.Add(1) > 1 {
				overlaps.Add(1)
			}
			if c.Get("token") == nil { // double-checked refresh, as the adapter does
				refreshes.Add(1)
				time.Sleep(5 * time.Millisecond)
				_ = c.Set("token", "T", time.Hour)
			}
			inside.Add(-1)
		}()
	}
	wg.Wait()
	if overlaps.Load() != 0 || refreshes.Load() != 1 {
		t.Fatalf("overlaps %d, refreshes %d; want 0 and 1", overlaps.Load(), refreshes.Load())
	}
	if s, _ := b.Get("token").(string); s != "T" {
		t.Fatalf("replica b sees %q", s)
	}

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	unlock, err := a.Lock(ctx, "held", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := b.Lock(short, "held", time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second holder: %v; want DeadlineExceeded", err)
	}
}
