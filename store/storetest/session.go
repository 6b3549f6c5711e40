// Package storetest is the conformance suite every store implementation runs
// from its own tests: the same table of cases, including concurrent ones,
// against Redis, the embedded SQL store and any future backend.
//
// Each case calls open(t) for a fresh, isolated store (its own key prefix,
// schema or database) and runs in parallel with the other cases.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"shopbot/chatstate"
	"shopbot/commerce"
)

// ttl used where the test does not care about expiry: long enough never to
// run out during a test.
const longTTL = time.Hour

// RunSessionStore runs the chatstate.SessionStore conformance cases. open must
// return a store that shares no keys with stores returned by other calls.
func RunSessionStore(t *testing.T, open func(t *testing.T) chatstate.SessionStore) {
	t.Helper()
	cases := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, s chatstate.SessionStore)
	}{
		{"load missing returns nil, 0, nil", func(t *testing.T, ctx context.Context, s chatstate.SessionStore) {
			data, v, err := s.LoadSession(ctx, "chat:missing")
			if err != nil || data != nil || v != 0 {
				t.Fatalf("LoadSession(missing) = %q, %d, %v; want nil, 0, nil", data, v, err)
			}
		}},
		{"save version 0 creates with version 1", func(t *testing.T, ctx context.Context, s chatstate.SessionStore) {
			mustSave(t, ctx, s, "chat:1", []byte("hello"), 0, 1)
			wantSession(t, ctx, s, "chat:1", []byte("hello"), 1)
		}},
		{"saves increment the version", func(t *testing.T, ctx context.Context, s chatstate.SessionStore) {
			for v := int64(0); v < 5; v++ {
				data := fmt.Appendf(nil, "step %d", v)
				mustSave(t, ctx, s, "chat:1", data, v, v+1)
				wantSession(t, ctx, s, "chat:1", data, v+1)
			}
		}},
		{"binary data round-trips", func(t *testing.T, ctx context.Context, s chatstate.SessionStore) {
			data := []byte{0, 1, 2, 0xff, 0xfe, '\n', 0, '"', '\'', 0x80, 'z'}
			mustSave(t, ctx, s, "chat:bin", data, 0, 1)
			wantSession(t, ctx, s, "chat:bin", data, 1)
		}},
		{"empty data keeps the session", func(t *testing.T, ctx context.Context, s chatstate.SessionStore) {
			mustSave(t, ctx, s, "chat:empty", []byte{}, 0, 1)
			data, v, err := s.LoadSession(ctx, "chat:empty")
			if err != nil || len(data) != 0 || v != 1 {
				t.Fatalf("LoadSession = %q, %d, %v; want empty, 1, nil", data, v, err)
			}
		}},
		{"stale version conflicts and changes nothing", func(t *testing.T, ctx context.Context, s chatstate.SessionStore) {
			mustSave(t, ctx, s, "chat:1", []byte("v1"), 0, 1)
			mustSave(t, ctx, s, "chat:1", []byte("v2"), 1, 2)
			for _, stale := range []int64{0, 1, 3, -1} {
				_, err := s.SaveSession(ctx, "chat:1", []byte("lost"), stale, longTTL)
				if !errors.Is(err, commerce.ErrConflict) {
					t.Errorf("SaveSession(version %d) err = %v; want ErrConflict", stale, err)
				}
			}
			wantSession(t, ctx, s, "chat:1", []byte("v2"), 2)
		}},
		{"non-zero version on missing session conflicts", func(t *testing.T, ctx context.Context, s chatstate.SessionStore) {
			for _, v := range []int64{1, 5} {
				_, err := s.SaveSession(ctx, "chat:new", []byte("x"), v, longTTL)
				if !errors.Is(err, commerce.ErrConflict) {
					t.Errorf("SaveSession(missing, version %d) err = %v; want ErrConflict", v, err)
				}
			}
			data, v, err := s.LoadSession(ctx, "chat:new")
			if err != nil || data != nil || v != 0 {
				t.Fatalf("after conflicts LoadSession = %q, %d, %v; want nil, 0, nil", data, v, err)
			}
		}},
		{"keys are independent", func(t *testing.T, ctx context.Context, s chatstate.SessionStore) {
			mustSave(t, ctx, s, "chat:a", []byte("a"), 0, 1)
			mustSave(t, ctx, s, "chat:a", []byte("a2"), 1, 2)
			mustSave(t, ctx, s, "chat:b", []byte("b"), 0, 1)
			wantSession(t, ctx, s, "chat:a", []byte("a2"), 2)
			wantSession(t, ctx, s, "chat:b", []byte("b"), 1)
		}},
		{"ttl is accepted", func(t *testing.T, ctx context.Context, s chatstate.SessionStore) {
			// Expiry itself is backend-specific and tested there; here every
			// realistic ttl must store a session that is readable at once.
			for i, ttl := range []time.Duration{time.Second, 1500 * time.Millisecond, 30 * time.Minute, 7 * 24 * time.Hour} {
				key := fmt.Sprintf("chat:ttl:%d", i)
				if _, err := s.SaveSession(ctx, key, []byte("x"), 0, ttl); err != nil {
					t.Fatalf("SaveSession(ttl %v): %v", ttl, err)
				}
				wantSession(t, ctx, s, key, []byte("x"), 1)
				if _, err := s.SaveSession(ctx, key, []byte("y"), 1, ttl); err != nil {
					t.Fatalf("SaveSession(ttl %v, version 1): %v", ttl, err)
				}
				wantSession(t, ctx, s, key, []byte("y"), 2)
			}
		}},
		{"concurrent saves of one version: exactly one wins", func(t *testing.T, ctx context.Context, s chatstate.SessionStore) {
			const key, workers = "chat:race", 20
			mustSave(t, ctx, s, key, []byte("v1"), 0, 1)
			mustSave(t, ctx, s, key, []byte("v2"), 1, 2)
			const n = 2

			// Every worker loads before any saves, so all of them hold
			// version n when the saves race.
			var (
				start  = make(chan struct{})
				loaded sync.WaitGroup
				wg     sync.WaitGroup
				errs   = make([]error, workers)
				loads  = make([]int64, workers)
			)
			loaded.Add(workers)
			for i := range workers {
				wg.Go(func() {
					_, v, err := s.LoadSession(ctx, key)
					loaded.Done()
					if err != nil {
						errs[i] = fmt.Errorf("load: %w", err)
						return
					}
					loads[i] = v
					<-start
					_, errs[i] = s.SaveSession(ctx, key, fmt.Appendf(nil, "worker %d", i), v, longTTL)
				})
			}
			loaded.Wait()
			close(start)
			wg.Wait()

			winner := -1
			for i, err := range errs {
				if loads[i] != n {
					t.Errorf("worker %d loaded version %d; want %d", i, loads[i], n)
				}
				switch {
				case err == nil && winner < 0:
					winner = i
				case err == nil:
					t.Errorf("workers %d and %d both saved version %d", winner, i, n)
				case !errors.Is(err, commerce.ErrConflict):
					t.Errorf("worker %d: err = %v; want nil or ErrConflict", i, err)
				}
			}
			if winner < 0 {
				t.Fatalf("no worker saved; errors: %v", errs)
			}
			wantSession(t, ctx, s, key, fmt.Appendf(nil, "worker %d", winner), n+1)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			c.run(t, ctx, open(t))
		})
	}
}

func mustSave(t *testing.T, ctx context.Context, s chatstate.SessionStore, key string, data []byte, version, want int64) {
	t.Helper()
	got, err := s.SaveSession(ctx, key, data, version, longTTL)
	if err != nil {
		t.Fatalf("SaveSession(%q, version %d): %v", key, version, err)
	}
	if got != want {
		t.Fatalf("SaveSession(%q, version %d) = %d; want %d", key, version, got, want)
	}
}

func wantSession(t *testing.T, ctx context.Context, s chatstate.SessionStore, key string, data []byte, version int64) {
	t.Helper()
	got, v, err := s.LoadSession(ctx, key)
	if err != nil {
		t.Fatalf("LoadSession(%q): %v", key, err)
	}
	if !bytes.Equal(got, data) || v != version {
		t.Fatalf("LoadSession(%q) = %q, %d; want %q, %d", key, got, v, data, version)
	}
}

// RunDeduper runs the chatstate.Deduper conformance cases. open must return a
// deduper that shares no keys with dedupers returned by other calls.
func RunDeduper(t *testing.T, open func(t *testing.T) chatstate.Deduper) {
	t.Helper()
	cases := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, d chatstate.Deduper)
	}{
		{"first claim wins, second is a duplicate", func(t *testing.T, ctx context.Context, d chatstate.Deduper) {
			wantClaim(t, ctx, d, "tg:update:1", true)
			wantClaim(t, ctx, d, "tg:update:1", false)
			wantClaim(t, ctx, d, "tg:update:1", false)
		}},
		{"keys are independent", func(t *testing.T, ctx context.Context, d chatstate.Deduper) {
			wantClaim(t, ctx, d, "tg:update:1", true)
			wantClaim(t, ctx, d, "tg:update:2", true)
			wantClaim(t, ctx, d, "wx:update:1", true)
			wantClaim(t, ctx, d, "tg:update:2", false)
		}},
		{"release lets the key be claimed again", func(t *testing.T, ctx context.Context, d chatstate.Deduper) {
			wantClaim(t, ctx, d, "tg:update:1", true)
			wantClaim(t, ctx, d, "tg:update:2", true)
			if err := d.Release(ctx, "tg:update:1"); err != nil {
				t.Fatalf("Release: %v", err)
			}
			wantClaim(t, ctx, d, "tg:update:1", true)
			wantClaim(t, ctx, d, "tg:update:1", false)
			wantClaim(t, ctx, d, "tg:update:2", false) // untouched by the other release
		}},
		{"release of an unclaimed key is no error", func(t *testing.T, ctx context.Context, d chatstate.Deduper) {
			if err := d.Release(ctx, "tg:update:never"); err != nil {
				t.Fatalf("Release(unclaimed): %v", err)
			}
			wantClaim(t, ctx, d, "tg:update:never", true)
		}},
		{"ttl is accepted", func(t *testing.T, ctx context.Context, d chatstate.Deduper) {
			for i, ttl := range []time.Duration{time.Second, 1500 * time.Millisecond, 24 * time.Hour} {
				key := fmt.Sprintf("tg:update:ttl:%d", i)
				ok, err := d.Claim(ctx, key, ttl)
				if err != nil || !ok {
					t.Fatalf("Claim(ttl %v) = %v, %v; want true, nil", ttl, ok, err)
				}
				wantClaim(t, ctx, d, key, false)
			}
		}},
		{"concurrent claims: exactly one wins", func(t *testing.T, ctx context.Context, d chatstate.Deduper) {
			const workers = 50
			var (
				start = make(chan struct{})
				wg    sync.WaitGroup
				won   = make([]bool, workers)
				errs  = make([]error, workers)
			)
			for i := range workers {
				wg.Go(func() {
					<-start
					won[i], errs[i] = d.Claim(ctx, "tg:update:race", longTTL)
				})
			}
			close(start)
			wg.Wait()
			winners := 0
			for i := range workers {
				if errs[i] != nil {
					t.Errorf("worker %d: %v", i, errs[i])
				}
				if won[i] {
					winners++
				}
			}
			if winners != 1 {
				t.Fatalf("%d of %d concurrent claims won; want exactly 1", winners, workers)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			c.run(t, ctx, open(t))
		})
	}
}

func wantClaim(t *testing.T, ctx context.Context, d chatstate.Deduper, key string, want bool) {
	t.Helper()
	got, err := d.Claim(ctx, key, longTTL)
	if err != nil {
		t.Fatalf("Claim(%q): %v", key, err)
	}
	if got != want {
		t.Fatalf("Claim(%q) = %v; want %v", key, got, want)
	}
}

// RunLocker runs the chatstate.Locker conformance cases. open must return a locker
// that shares no keys with lockers returned by other calls.
//
// Besides mutual exclusion the suite requires that Lock, when ctx ends while
// it waits, returns an error matching ctx.Err() with errors.Is, and that
// calling an unlock function again never releases a later holder's lock.
func RunLocker(t *testing.T, open func(t *testing.T) chatstate.Locker) {
	t.Helper()
	cases := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, l chatstate.Locker)
	}{
		{"lock, unlock, lock again", func(t *testing.T, ctx context.Context, l chatstate.Locker) {
			for range 3 {
				unlock := mustLock(t, ctx, l, "chat:1")
				unlock()
			}
		}},
		{"different keys do not block each other", func(t *testing.T, ctx context.Context, l chatstate.Locker) {
			unlockA := mustLock(t, ctx, l, "chat:a")
			defer unlockA()
			short, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			unlockB, err := l.Lock(short, "chat:b", longTTL)
			if err != nil {
				t.Fatalf("Lock(chat:b) while chat:a is held: %v", err)
			}
			unlockB()
		}},
		{"second lock waits for unlock", func(t *testing.T, ctx context.Context, l chatstate.Locker) {
			unlock := mustLock(t, ctx, l, "chat:1")

			wait, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			acquired := make(chan error, 1)
			var unlock2 func()
			go func() {
				u, err := l.Lock(wait, "chat:1", longTTL)
				unlock2 = u
				acquired <- err
			}()

			select {
			case err := <-acquired:
				if err == nil {
					unlock2()
				}
				t.Fatalf("second Lock returned (err %v) while the first holder still held the lock", err)
			case <-time.After(200 * time.Millisecond):
			}

			unlock()
			select {
			case err := <-acquired:
				if err != nil {
					t.Fatalf("second Lock after unlock: %v", err)
				}
				unlock2()
			case <-wait.Done():
				t.Fatal("second Lock did not acquire within 5s of the unlock")
			}
		}},
		{"lock gives up when ctx ends", func(t *testing.T, ctx context.Context, l chatstate.Locker) {
			unlock := mustLock(t, ctx, l, "chat:1")
			defer unlock()

			for _, c := range []struct {
				name   string
				ctx    func() (context.Context, context.CancelFunc)
				cancel bool // cancel explicitly instead of waiting for a deadline
			}{
				{"deadline", func() (context.Context, context.CancelFunc) {
					return context.WithTimeout(ctx, 150*time.Millisecond)
				}, false},
				{"cancel", func() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) }, true},
			} {
				wctx, cancel := c.ctx()
				if c.cancel {
					time.AfterFunc(150*time.Millisecond, cancel)
				}
				done := make(chan struct{})
				var (
					u   func()
					err error
				)
				go func() {
					defer close(done)
					u, err = l.Lock(wctx, "chat:1", longTTL)
				}()
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					cancel()
					t.Fatalf("%s: Lock still waiting 5s after its ctx ended", c.name)
				}
				cancel()
				if err == nil {
					u()
					t.Fatalf("%s: Lock acquired a held lock", c.name)
				}
				if !errors.Is(err, wctx.Err()) {
					t.Errorf("%s: Lock err = %v; want one matching %v", c.name, err, wctx.Err())
				}
			}
		}},
		{"stale unlock does not release a later holder", func(t *testing.T, ctx context.Context, l chatstate.Locker) {
			first := mustLock(t, ctx, l, "chat:1")
			first()
			second := mustLock(t, ctx, l, "chat:1")
			defer second()
			first() // again: must be a no-op

			short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			if u, err := l.Lock(short, "chat:1", longTTL); err == nil {
				u()
				t.Fatal("a third Lock succeeded while the second holder held the lock")
			}
		}},
		{"concurrent increments under the lock", func(t *testing.T, ctx context.Context, l chatstate.Locker) {
			const workers, rounds = 20, 20
			var (
				counter int // deliberately not atomic: the lock must serialize it
				wg      sync.WaitGroup
				errs    = make([]error, workers)
			)
			for i := range workers {
				wg.Go(func() {
					for range rounds {
						unlock, err := l.Lock(ctx, "chat:counter", 10*time.Second)
						if err != nil {
							errs[i] = err
							return
						}
						counter++
						unlock()
					}
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("worker %d: %v", i, err)
				}
			}
			if counter != workers*rounds {
				t.Fatalf("counter = %d; want %d", counter, workers*rounds)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			c.run(t, ctx, open(t))
		})
	}
}

func mustLock(t *testing.T, ctx context.Context, l chatstate.Locker, key string) func() {
	t.Helper()
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	unlock, err := l.Lock(short, key, longTTL)
	if err != nil {
		t.Fatalf("Lock(%q): %v", key, err)
	}
	return unlock
}
