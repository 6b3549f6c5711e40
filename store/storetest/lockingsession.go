package storetest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"shopbot/chatstate"
	"shopbot/commerce"
)

// runLockingSessions checks the lock-with-load / unlock-with-save fast path.
func runLockingSessions(t *testing.T, open func(t *testing.T) chatstate.LockingSessionStore) {
	runChatCases(t, open, 60*time.Second, []chatCase[chatstate.LockingSessionStore]{
		{"lock, load, save and unlock", testLockingSessionRoundTrip},
		{"missing session", testLockingSessionMissing},
		{"concurrent holders never lose an update", testLockingSessionConcurrentHolders},
	})
}

func testLockingSessionRoundTrip(t *testing.T, ctx context.Context, s chatstate.LockingSessionStore) {
	if _, err := s.SaveSession(ctx, "k", []byte("v1"), 0, time.Hour); err != nil {
		t.Fatal(err)
	}
	data, version, token, err := s.LockAndLoad(ctx, "lock:k", time.Minute, "k")
	if err != nil || string(data) != "v1" || version != 1 || token == "" {
		t.Fatalf("LockAndLoad = %q v%d %q, %v", data, version, token, err)
	}
	// Held: another LockAndLoad waits until the context ends.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, _, _, err := s.LockAndLoad(short, "lock:k", time.Minute, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second LockAndLoad while held: %v; want DeadlineExceeded", err)
	}
	// A stale save conflicts and keeps the lock.
	if _, err := s.SaveAndUnlock(ctx, "k", []byte("x"), 0, time.Hour, "lock:k", token); !errors.Is(err, commerce.ErrConflict) {
		t.Fatalf("stale SaveAndUnlock: %v; want ErrConflict", err)
	}
	short2, cancel2 := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel2()
	if _, _, _, err := s.LockAndLoad(short2, "lock:k", time.Minute, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("conflicting save released the lock: %v", err)
	}
	if v, err := s.SaveAndUnlock(ctx, "k", []byte("v2"), 1, time.Hour, "lock:k", token); err != nil || v != 2 {
		t.Fatalf("SaveAndUnlock = %d, %v", v, err)
	}
	data, version, token2, err := s.LockAndLoad(ctx, "lock:k", time.Minute, "k")
	if err != nil || string(data) != "v2" || version != 2 {
		t.Fatalf("after SaveAndUnlock: %q v%d, %v", data, version, err)
	}
	s.Unlock(ctx, "lock:k", token) // an old token releases nothing
	short3, cancel3 := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel3()
	if _, _, _, err := s.LockAndLoad(short3, "lock:k", time.Minute, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an old token released the current holder's lock: %v", err)
	}
	s.Unlock(ctx, "lock:k", token2)
	if _, _, _, err := s.LockAndLoad(ctx, "lock:k", time.Minute, "missing"); err != nil {
		t.Fatalf("LockAndLoad after Unlock: %v", err)
	}
}

func testLockingSessionMissing(t *testing.T, ctx context.Context, s chatstate.LockingSessionStore) {
	data, version, token, err := s.LockAndLoad(ctx, "lock:none", time.Minute, "none")
	if err != nil || data != nil || version != 0 || token == "" {
		t.Fatalf("LockAndLoad(missing) = %q v%d %q, %v", data, version, token, err)
	}
	if v, err := s.SaveAndUnlock(ctx, "none", []byte("new"), 0, time.Hour, "lock:none", token); err != nil || v != 1 {
		t.Fatalf("first SaveAndUnlock = %d, %v", v, err)
	}
}

func testLockingSessionConcurrentHolders(t *testing.T, ctx context.Context, s chatstate.LockingSessionStore) {
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data, version, token, err := s.LockAndLoad(ctx, "lock:ctr", time.Minute, "ctr")
			if err != nil {
				errs <- err
				return
			}
			n, _ := strconv.Atoi(string(data))
			if _, err := s.SaveAndUnlock(ctx, "ctr", []byte(strconv.Itoa(n+1)), version, time.Hour, "lock:ctr", token); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	data, _, err := s.LoadSession(ctx, "ctr")
	if err != nil || string(data) != "20" {
		t.Fatalf("counter = %q, %v; want 20", data, err)
	}
}
