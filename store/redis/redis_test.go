package redis_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"shopbot/chatstate"
	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/store/redis"
	"shopbot/store/storetest"
)

// backend opens a fresh, isolated *redis.Store per call.
type backend struct {
	name string
	open func(t *testing.T) *redis.Store
}

// backends returns miniredis always and the real server behind REDIS_URL
// when it is set (the real one is skipped otherwise, see testenv).
func backends() []backend {
	return []backend{
		{"miniredis", func(t *testing.T) *redis.Store {
			m := miniredis.RunT(t)
			return redis.New(newMiniClient(t, m), "shopbot:")
		}},
		{"redis", openReal},
	}
}

func newMiniClient(t *testing.T, m *miniredis.Miniredis) goredis.UniversalClient {
	t.Helper()
	client := goredis.NewClient(&goredis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// openReal connects to REDIS_URL and returns a store under a unique prefix
// whose keys are deleted when t ends.
func openReal(t *testing.T) *redis.Store {
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
		iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("cleanup: scan %s*: %v", prefix, err)
			return
		}
		for len(keys) > 0 {
			n := min(len(keys), 500)
			if err := client.Del(ctx, keys[:n]...).Err(); err != nil {
				t.Errorf("cleanup: del: %v", err)
				return
			}
			keys = keys[n:]
		}
	})
	return redis.New(client, prefix)
}

// TestStore runs the store conformance suite (store/storetest) on both
// backends: sessions, de-duplication and locks.
func TestStore(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, storetest.Driver{
				Sessions:        func(t *testing.T) chatstate.SessionStore { return b.open(t) },
				Deduper:         func(t *testing.T) chatstate.Deduper { return b.open(t) },
				Locker:          func(t *testing.T) chatstate.Locker { return b.open(t) },
				LockingSessions: func(t *testing.T) chatstate.LockingSessionStore { return b.open(t) },
				History:         func(t *testing.T) chatstate.History { return b.open(t).WebHistory(time.Hour) },
				WindowLimiter: func(t *testing.T, limit int, window time.Duration, now func() time.Time) chatstate.WindowLimiter {
					return b.open(t).WindowLimiter("newwebid", limit, window, now)
				},
			})
		})
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			if err := b.open(t).Ping(t.Context()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		})
	}
}

func TestPingDown(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	s := redis.New(newMiniClient(t, m), "shopbot:")
	m.Close()
	if err := s.Ping(t.Context()); err == nil {
		t.Fatal("Ping of a stopped server succeeded")
	}
}

// TestExpiry uses miniredis' clock, so no test sleeps for a ttl.
func TestExpiry(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := miniredis.RunT(t)
	s := redis.New(newMiniClient(t, m), "shopbot:")

	if _, err := s.SaveSession(ctx, "chat:1", []byte("x"), 0, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveSession(ctx, "chat:forever", []byte("x"), 0, 0); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Claim(ctx, "update:1", time.Minute); err != nil || !ok {
		t.Fatalf("Claim = %v, %v", ok, err)
	}
	if _, err := s.Lock(ctx, "chat:1", time.Minute); err != nil { // holder "dies": never unlocks
		t.Fatal(err)
	}

	m.FastForward(59 * time.Second)
	if _, v, _ := s.LoadSession(ctx, "chat:1"); v != 1 {
		t.Fatalf("session gone before its ttl (version %d)", v)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(short, "chat:1", time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock before ttl: err = %v; want DeadlineExceeded", err)
	}

	m.FastForward(2 * time.Second)
	if data, v, err := s.LoadSession(ctx, "chat:1"); err != nil || data != nil || v != 0 {
		t.Fatalf("expired session: LoadSession = %q, %d, %v; want nil, 0, nil", data, v, err)
	}
	if _, v, _ := s.LoadSession(ctx, "chat:forever"); v != 1 {
		t.Fatalf("ttl 0 session expired (version %d)", v)
	}
	if ok, err := s.Claim(ctx, "update:1", time.Minute); err != nil || !ok {
		t.Fatalf("Claim after expiry = %v, %v; want true", ok, err)
	}
	lctx, cancel2 := context.WithTimeout(ctx, 30*time.Second) // stops a Lock that hangs; the lock is free at once
	defer cancel2()
	unlock, err := s.Lock(lctx, "chat:1", time.Minute)
	if err != nil {
		t.Fatalf("Lock after the dead holder's ttl: %v", err)
	}
	unlock()

	// A save refreshes the ttl.
	if _, err := s.SaveSession(ctx, "chat:2", []byte("a"), 0, time.Minute); err != nil {
		t.Fatal(err)
	}
	m.FastForward(50 * time.Second)
	if _, err := s.SaveSession(ctx, "chat:2", []byte("b"), 1, time.Minute); err != nil {
		t.Fatal(err)
	}
	m.FastForward(50 * time.Second)
	if _, v, _ := s.LoadSession(ctx, "chat:2"); v != 2 {
		t.Fatalf("ttl not refreshed by save (version %d)", v)
	}
}

func TestPrefixAndNamespaces(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := miniredis.RunT(t)
	s := redis.New(newMiniClient(t, m), "shop1:")

	if _, err := s.SaveSession(ctx, "chat:1", []byte("x"), 0, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim(ctx, "chat:1", time.Minute); err != nil {
		t.Fatal(err)
	}
	unlock, err := s.Lock(ctx, "chat:1", time.Minute) // same key, other namespace: must not block
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	for _, k := range m.Keys() {
		if !strings.HasPrefix(k, "shop1:") {
			t.Errorf("key %q outside the prefix", k)
		}
	}
	if n := len(m.Keys()); n != 3 {
		t.Errorf("%d keys (%v); want 3: session, dedupe claim, lock", n, m.Keys())
	}

	other := redis.New(newMiniClient(t, m), "shop2:")
	if data, v, err := other.LoadSession(ctx, "chat:1"); err != nil || data != nil || v != 0 {
		t.Fatalf("other prefix sees session: %q, %d, %v", data, v, err)
	}
}

func TestLockRejectsNonPositiveTTL(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	s := redis.New(newMiniClient(t, m), "shopbot:")
	for _, ttl := range []time.Duration{0, -time.Second} {
		if _, err := s.Lock(t.Context(), "chat:1", ttl); !errors.Is(err, commerce.ErrInvalid) {
			t.Errorf("Lock(ttl %v) err = %v; want ErrInvalid", ttl, err)
		}
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	m.RequireAuth("secretpw")

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	client, err := redis.Open(ctx, "redis://:secretpw@"+m.Addr()+"/0")
	if err != nil {
		t.Fatalf("Open with the right password: %v", err)
	}
	if err := redis.New(client, "shopbot:").Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	_ = client.Close()

	for _, c := range []struct{ name, url string }{
		{"unreachable", "redis://:secretpw@127.0.0.1:1/0"},
		{"wrong password", "redis://:secretpw@" + m.Addr() + "/0"},
		{"malformed", "redis://:secretpw@127.0.0.1:notaport/0"},
		{"bad db", "redis://:secretpw@127.0.0.1:1/x"},
		{"bad scheme", "http://:secretpw@127.0.0.1:1/0"},
		{"password in query", "redis://127.0.0.1:1/0?password=secretpw"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "wrong password" {
				m.RequireAuth("other")
				defer m.RequireAuth("secretpw")
			}
			client, err := redis.Open(ctx, c.url)
			if err == nil {
				_ = client.Close()
				t.Fatalf("Open(%s) succeeded", c.name)
			}
			if strings.Contains(err.Error(), "secretpw") {
				t.Fatalf("error reveals the password: %v", err)
			}
			t.Logf("error: %v", err)
		})
	}
}
