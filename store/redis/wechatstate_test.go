package redis_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"shopbot/bot/wechat"
	"shopbot/internal/testenv"
	"shopbot/store/redis"
)

// The Redis stores are the WeChat adapter's shared per-user state.
var (
	_ wechat.ChoiceStore = (*redis.WeChatChoices)(nil)
	_ wechat.WindowStore = (*redis.WeChatWindows)(nil)
)

// clientBackend opens a fresh, isolated client and key prefix per call; m is
// the miniredis server (nil for real Redis).
type clientBackend struct {
	name string
	open func(t *testing.T) (client goredis.UniversalClient, prefix string, m *miniredis.Miniredis)
}

// clientBackends are backends() as a client and a prefix.
func clientBackends() []clientBackend {
	return []clientBackend{
		{"miniredis", func(t *testing.T) (goredis.UniversalClient, string, *miniredis.Miniredis) {
			m := miniredis.RunT(t)
			return newMiniClient(t, m), "shopbot:", m
		}},
		{"redis", func(t *testing.T) (goredis.UniversalClient, string, *miniredis.Miniredis) {
			client, prefix := openRealClient(t)
			return client, prefix, nil
		}},
	}
}

// openRealClient connects to REDIS_URL and returns a client and a unique
// prefix whose keys are deleted when t ends.
func openRealClient(t *testing.T) (goredis.UniversalClient, string) {
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
		keys, err := client.Keys(ctx, prefix+"*").Result()
		if err != nil {
			t.Errorf("cleanup: keys %s*: %v", prefix, err)
			return
		}
		if len(keys) > 0 {
			if err := client.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("cleanup: del: %v", err)
			}
		}
	})
	return client, prefix
}

var t0 = time.Date(2030, 5, 1, 10, 0, 0, 0, time.UTC)

func TestWeChatChoices(t *testing.T) {
	t.Parallel()
	for _, b := range clientBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			client, prefix, _ := b.open(t)
			clock := testenv.NewClock(t0)
			s := redis.NewWeChatChoices(client, prefix, clock.Now)

			if c, ok, err := s.LoadChoices(ctx, "oA"); err != nil || ok || !reflect.DeepEqual(c, wechat.Choices{}) {
				t.Fatalf("LoadChoices of nobody = %+v, %v, %v", c, ok, err)
			}
			// Any string comes back as it was: colons, digits, empty, invalid UTF-8.
			actions := []string{"cat:12", "", "3:x:", "商品", "\xff\xfe", "prod:7"}
			c1, err := s.SaveChoices(ctx, "oA", actions, "en", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if c1.Gen <= t0.UnixMilli() || !reflect.DeepEqual(c1.Actions, actions) || c1.Lang != "en" {
				t.Fatalf("SaveChoices = %+v; want a generation above the clock's ms (%d)", c1, t0.UnixMilli())
			}
			actions[0] = "changed" // neither the stored nor the returned options alias the argument
			if c1.Actions[0] != "cat:12" {
				t.Fatal("SaveChoices returned the caller's slice")
			}
			if c, ok, err := s.LoadChoices(ctx, "oA"); err != nil || !ok || !reflect.DeepEqual(c, c1) {
				t.Fatalf("LoadChoices = %+v, %v, %v; want %+v", c, ok, err, c1)
			}
			if !exists(t, client, prefix+"wechat-choices:oA") {
				t.Fatal("options not under the prefix and namespace")
			}
			if ttl := client.PTTL(ctx, prefix+"wechat-choices:oA").Val(); ttl <= 0 || ttl > time.Minute {
				t.Fatalf("key ttl %v; want (0, 1m]", ttl)
			}

			// Another replica's store: the next generation, seen by both.
			other := redis.NewWeChatChoices(client, prefix, clock.Now)
			c2, err := other.SaveChoices(ctx, "oA", nil, "zh-CN", time.Minute)
			if err != nil || c2.Gen <= c1.Gen || c2.Actions != nil || c2.Lang != "zh-CN" {
				t.Fatalf("second save = %+v, %v; want Gen > %d, no actions", c2, err, c1.Gen)
			}
			if c, ok, _ := s.LoadChoices(ctx, "oA"); !ok || !reflect.DeepEqual(c, c2) {
				t.Fatalf("LoadChoices after the other replica's save = %+v, %v; want %+v", c, ok, c2)
			}
			c3, _ := s.SaveChoices(ctx, "oB", []string{"x"}, "", time.Minute)
			if c3.Gen <= c2.Gen {
				t.Fatalf("generation %d for another user after %d", c3.Gen, c2.Gen)
			}
			if c, ok, _ := s.LoadChoices(ctx, "oA"); !ok || c.Gen != c2.Gen {
				t.Fatalf("another user's save changed oA: %+v", c)
			}

			// Expiry follows the clock: valid until now+ttl, exclusive.
			clock.Advance(time.Minute - time.Nanosecond)
			if _, ok, _ := s.LoadChoices(ctx, "oB"); !ok {
				t.Fatal("options gone before their ttl")
			}
			clock.Advance(time.Nanosecond)
			if c, ok, err := s.LoadChoices(ctx, "oB"); err != nil || ok {
				t.Fatalf("expired options: %+v, %v, %v", c, ok, err)
			}

			// A ttl <= 0 replaces the options with none.
			if _, err := s.SaveChoices(ctx, "oC", []string{"a"}, "", time.Minute); err != nil {
				t.Fatal(err)
			}
			c4, err := s.SaveChoices(ctx, "oC", []string{"b"}, "", 0)
			if err != nil || c4.Gen <= c3.Gen {
				t.Fatalf("ttl 0 save = %+v, %v", c4, err)
			}
			if _, ok, _ := s.LoadChoices(ctx, "oC"); ok || exists(t, client, prefix+"wechat-choices:oC") {
				t.Fatal("ttl 0 kept the options")
			}

			// Forget.
			if _, err := s.SaveChoices(ctx, "oD", []string{"a"}, "", time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := s.ForgetChoices(ctx, "oD"); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := s.LoadChoices(ctx, "oD"); ok {
				t.Fatal("options left after ForgetChoices")
			}
			if err := s.ForgetChoices(ctx, "never"); err != nil {
				t.Fatalf("ForgetChoices of nobody: %v", err)
			}

			// The counter lost (Redis flushed): generations restart at the
			// clock, still above the ones handed out a while ago.
			last, _ := s.SaveChoices(ctx, "oE", []string{"a"}, "", time.Minute)
			if err := client.Del(ctx, prefix+"wechat-choice-gen").Err(); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Second)
			if c, err := s.SaveChoices(ctx, "oE", []string{"a"}, "", time.Minute); err != nil || c.Gen <= last.Gen {
				t.Fatalf("generation after a lost counter = %d, %v; last was %d", c.Gen, err, last.Gen)
			}
		})
	}
}

// The keys expire in Redis too (miniredis' clock; the store's stands still).
func TestWeChatChoicesKeyExpiry(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := miniredis.RunT(t)
	s := redis.NewWeChatChoices(newMiniClient(t, m), "shopbot:", testenv.NewClock(t0).Now)
	if _, err := s.SaveChoices(ctx, "oA", []string{"a"}, "", time.Minute); err != nil {
		t.Fatal(err)
	}
	m.FastForward(59 * time.Second)
	if _, ok, _ := s.LoadChoices(ctx, "oA"); !ok {
		t.Fatal("key gone before its ttl")
	}
	m.FastForward(2 * time.Second)
	if _, ok, err := s.LoadChoices(ctx, "oA"); ok || err != nil || m.Exists("shopbot:wechat-choices:oA") {
		t.Fatalf("key after its ttl: ok %v, err %v", ok, err)
	}
}

func TestWeChatWindows(t *testing.T) {
	t.Parallel()
	if redis.DefaultWeChatWindow != wechat.KFWindow {
		t.Fatalf("DefaultWeChatWindow %v != wechat.KFWindow %v", redis.DefaultWeChatWindow, wechat.KFWindow)
	}
	for _, b := range clientBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			client, prefix, _ := b.open(t)
			w := redis.NewWeChatWindows(client, prefix, wechat.KFWindow)
			take := func(id string, now time.Time, length time.Duration) bool {
				t.Helper()
				ok, err := w.TakeWindow(ctx, id, now, length)
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			open := func(id string, at time.Time, quota int) {
				t.Helper()
				if err := w.OpenWindow(ctx, id, at, quota); err != nil {
					t.Fatal(err)
				}
			}
			takes := func(id string, now time.Time) (n int) {
				t.Helper()
				for take(id, now, wechat.KFWindow) {
					if n++; n > 100 {
						t.Fatal("quota never runs out")
					}
				}
				return n
			}

			if take("oA", t0, wechat.KFWindow) {
				t.Fatal("took from a window never opened")
			}
			open("oA", t0, 2)
			if n := takes("oA", t0.Add(time.Hour)); n != 2 {
				t.Fatalf("quota 2: took %d", n)
			}
			if !exists(t, client, prefix+"wechat-window:oA") {
				t.Fatal("window not under the prefix and namespace")
			}
			if ttl := client.PTTL(ctx, prefix+"wechat-window:oA").Val(); ttl <= wechat.KFWindow-time.Minute || ttl > wechat.KFWindow {
				t.Fatalf("key ttl %v; want about %v", ttl, wechat.KFWindow)
			}

			// Reopening gives the new quota when less is left…
			open("oA", t0.Add(2*time.Hour), 3)
			if n := takes("oA", t0.Add(2*time.Hour)); n != 3 {
				t.Fatalf("reopened with 3: took %d", n)
			}
			// …and keeps a larger quota left from the open window.
			open("oB", t0, 5)
			take("oB", t0, wechat.KFWindow)
			open("oB", t0.Add(wechat.KFWindow-time.Nanosecond), 3)
			if n := takes("oB", t0.Add(wechat.KFWindow)); n != 4 {
				t.Fatalf("reopened with 3 while 4 were left: took %d", n)
			}
			// A closed window's quota is not kept (opened exactly KFWindow before).
			open("oC", t0, 5)
			open("oC", t0.Add(wechat.KFWindow), 1)
			if n := takes("oC", t0.Add(wechat.KFWindow)); n != 1 {
				t.Fatalf("reopened with 1 after the window: took %d", n)
			}

			// The window is open for length after it was opened, to the nanosecond.
			at := t0.Add(time.Nanosecond * 123456789)
			open("oD", at, 5)
			if !take("oD", at.Add(wechat.KFWindow-time.Nanosecond), wechat.KFWindow) {
				t.Fatal("window closed a nanosecond early")
			}
			if take("oD", at.Add(wechat.KFWindow), wechat.KFWindow) {
				t.Fatal("took at the end of the window")
			}
			if !take("oD", at.Add(time.Hour), 2*time.Hour) || take("oD", at.Add(time.Hour), time.Hour) {
				t.Fatal("TakeWindow ignores its length")
			}
			// Times far from now (before 1970, the zero time) compare exactly too.
			for _, at := range []time.Time{time.Date(1960, 1, 1, 0, 0, 0, 999999999, time.UTC), {}} {
				id := fmt.Sprintf("oT%d", at.Year())
				open(id, at, 5)
				if take(id, at.Add(time.Nanosecond), time.Nanosecond) || !take(id, at.Add(time.Nanosecond), 2*time.Nanosecond) {
					t.Fatalf("window at %v: boundary off", at)
				}
			}
			// Quota 0 opens nothing to take.
			open("oZ", t0, 0)
			if take("oZ", t0, wechat.KFWindow) {
				t.Fatal("took from a quota of 0")
			}

			// Close.
			open("oE", t0, 5)
			if err := w.CloseWindow(ctx, "oE"); err != nil {
				t.Fatal(err)
			}
			if take("oE", t0, wechat.KFWindow) || exists(t, client, prefix+"wechat-window:oE") {
				t.Fatal("window left after CloseWindow")
			}
			if err := w.CloseWindow(ctx, "never"); err != nil {
				t.Fatalf("CloseWindow of nobody: %v", err)
			}
		})
	}
}

// Replicas racing for the window's messages take exactly its quota together.
func TestWeChatWindowsQuotaAcrossReplicas(t *testing.T) {
	t.Parallel()
	for _, b := range clientBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			client, prefix, m := b.open(t)
			clients := []goredis.UniversalClient{client, client}
			if m != nil {
				clients[1] = newMiniClient(t, m) // a second connection pool, as on another replica
			}
			replicas := []*redis.WeChatWindows{
				redis.NewWeChatWindows(clients[0], prefix, 0),
				redis.NewWeChatWindows(clients[1], prefix, 0),
			}
			const quota, workers, tries = 7, 16, 5
			for round := range 3 {
				id := fmt.Sprintf("oRace%d", round)
				if err := replicas[0].OpenWindow(ctx, id, t0, quota); err != nil {
					t.Fatal(err)
				}
				var taken atomic.Int64
				var wg sync.WaitGroup
				for i := range workers {
					wg.Go(func() {
						for range tries {
							ok, err := replicas[i%2].TakeWindow(ctx, id, t0.Add(time.Minute), wechat.KFWindow)
							if err != nil {
								t.Error(err)
								return
							}
							if ok {
								taken.Add(1)
							}
						}
					})
				}
				wg.Wait()
				if n := taken.Load(); n != quota {
					t.Fatalf("round %d: replicas took %d messages of a quota of %d", round, n, quota)
				}
			}
		})
	}
}

// The keys expire in Redis a window after they were (re)opened.
func TestWeChatWindowsKeyExpiry(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := miniredis.RunT(t)
	w := redis.NewWeChatWindows(newMiniClient(t, m), "shopbot:", time.Hour)
	if err := w.OpenWindow(ctx, "oA", t0, 3); err != nil {
		t.Fatal(err)
	}
	m.FastForward(59 * time.Minute)
	if ok, _ := w.TakeWindow(ctx, "oA", t0, time.Hour); !ok {
		t.Fatal("window gone before its key's ttl")
	}
	m.FastForward(2 * time.Minute)
	if m.Exists("shopbot:wechat-window:oA") {
		t.Fatal("window key outlived its ttl")
	}
	if ok, err := w.TakeWindow(ctx, "oA", t0, time.Hour); ok || err != nil {
		t.Fatalf("TakeWindow after the key expired = %v, %v", ok, err)
	}
}

// With Redis down every call fails with a wrapped error.
func TestWeChatStateRedisDown(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := miniredis.RunT(t)
	client := goredis.NewClient(&goredis.Options{Addr: m.Addr(), MaxRetries: -1,
		DialTimeout: 200 * time.Millisecond, DialerRetryTimeout: time.Millisecond})
	t.Cleanup(func() { _ = client.Close() })
	c := redis.NewWeChatChoices(client, "shopbot:", nil)
	w := redis.NewWeChatWindows(client, "shopbot:", 0)
	m.Close()

	_, err1 := c.SaveChoices(ctx, "oA", []string{"a"}, "", time.Minute)
	_, _, err2 := c.LoadChoices(ctx, "oA")
	err3 := c.ForgetChoices(ctx, "oA")
	err4 := w.OpenWindow(ctx, "oA", t0, 1)
	_, err5 := w.TakeWindow(ctx, "oA", t0, time.Hour)
	err6 := w.CloseWindow(ctx, "oA")
	for i, err := range []error{err1, err2, err3, err4, err5, err6} {
		if err == nil || !strings.HasPrefix(err.Error(), "redis: ") || !strings.Contains(err.Error(), `"oA"`) {
			t.Errorf("call %d with Redis down: err = %v", i+1, err)
		}
	}
}

// A corrupt options hash is an error, not options.
func TestWeChatChoicesCorrupt(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := miniredis.RunT(t)
	s := redis.NewWeChatChoices(newMiniClient(t, m), "shopbot:", testenv.NewClock(t0).Now)
	for _, fields := range [][]string{
		{"g", "x", "a", "", "l", "", "es", "1", "en", "0"},
		{"g", "1", "a", "9:short", "l", "", "es", "1", "en", "0"},
		{"g", "1", "a", "", "l", ""}, // no expiry
	} {
		m.Del("shopbot:wechat-choices:oA")
		m.HSet("shopbot:wechat-choices:oA", fields...)
		if c, ok, err := s.LoadChoices(ctx, "oA"); err == nil || ok {
			t.Errorf("hash %q: LoadChoices = %+v, %v, %v; want an error", fields, c, ok, err)
		}
	}
}

func exists(t *testing.T, client goredis.UniversalClient, key string) bool {
	t.Helper()
	n, err := client.Exists(t.Context(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}
