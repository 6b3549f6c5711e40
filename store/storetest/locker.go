package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"shopbot/chatstate"
)

// runLocker runs the chatstate.Locker cases. open must return a locker that
// shares no keys with lockers returned by other calls.
//
// Besides mutual exclusion the suite requires that Lock, when ctx ends while
// it waits, returns an error matching ctx.Err() with errors.Is, and that
// calling an unlock function again never releases a later holder's lock.
func runLocker(t *testing.T, open func(t *testing.T) chatstate.Locker) {
	runChatCases(t, open, 60*time.Second, []chatCase[chatstate.Locker]{
		{"lock, unlock, lock again", testLockAgain},
		{"different keys do not block each other", testLockKeysIndependent},
		{"second lock waits for unlock", testLockWaits},
		{"lock gives up when ctx ends", testLockGivesUp},
		{"stale unlock does not release a later holder", testLockStaleUnlock},
		{"concurrent increments under the lock", testLockConcurrentIncrements},
	})
}

func testLockAgain(t *testing.T, ctx context.Context, l chatstate.Locker) {
	for range 3 {
		unlock := mustLock(t, ctx, l, "chat:1")
		unlock()
	}
}

func testLockKeysIndependent(t *testing.T, ctx context.Context, l chatstate.Locker) {
	unlockA := mustLock(t, ctx, l, "chat:a")
	defer unlockA()
	unlockB, err := l.Lock(ctx, "chat:b", longTTL)
	if err != nil {
		t.Fatalf("Lock(chat:b) while chat:a is held: %v", err)
	}
	unlockB()
}

func testLockWaits(t *testing.T, ctx context.Context, l chatstate.Locker) {
	unlock := mustLock(t, ctx, l, "chat:1")

	// The second Lock waits under the case's deadline, which only stops a
	// case that hangs.
	acquired := make(chan error, 1)
	var unlock2 func()
	go func() {
		u, err := l.Lock(ctx, "chat:1", longTTL)
		unlock2 = u
		acquired <- err
	}()

	// 200ms catch a Lock that does not wait; a slow machine can only make
	// this check weaker, never fail it.
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
	case <-ctx.Done():
		t.Fatal("second Lock did not acquire after the unlock")
	}
}

func testLockGivesUp(t *testing.T, ctx context.Context, l chatstate.Locker) {
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
		case <-ctx.Done():
			cancel()
			t.Fatalf("%s: Lock still waiting long after its ctx ended", c.name)
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
}

func testLockStaleUnlock(t *testing.T, ctx context.Context, l chatstate.Locker) {
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
}

func testLockConcurrentIncrements(t *testing.T, ctx context.Context, l chatstate.Locker) {
	const workers, rounds = 20, 20
	var (
		counter int // deliberately not atomic: the lock must serialize it
		wg      sync.WaitGroup
		errs    = make([]error, workers)
	)
	for i := range workers {
		wg.Go(func() {
			for range rounds {
				unlock, err := l.Lock(ctx, "chat:counter", longTTL)
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
}

func mustLock(t *testing.T, ctx context.Context, l chatstate.Locker, key string) func() {
	t.Helper()
	unlock, err := l.Lock(ctx, key, longTTL)
	if err != nil {
		t.Fatalf("Lock(%q): %v", key, err)
	}
	return unlock
}
