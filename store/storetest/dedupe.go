package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"shopbot/chatstate"
)

// runDeduper runs the chatstate.Deduper cases. open must return a deduper
// that shares no keys with dedupers returned by other calls.
func runDeduper(t *testing.T, open func(t *testing.T) chatstate.Deduper) {
	runChatCases(t, open, 30*time.Second, []chatCase[chatstate.Deduper]{
		{"first claim wins, second is a duplicate", testDedupeFirstClaimWins},
		{"keys are independent", testDedupeKeysIndependent},
		{"release lets the key be claimed again", testDedupeRelease},
		{"release of an unclaimed key is no error", testDedupeReleaseUnclaimed},
		{"ttl is accepted", testDedupeTTLAccepted},
		{"concurrent claims: exactly one wins", testDedupeConcurrentClaims},
	})
}

func testDedupeFirstClaimWins(t *testing.T, ctx context.Context, d chatstate.Deduper) {
	wantClaim(t, ctx, d, "tg:update:1", true)
	wantClaim(t, ctx, d, "tg:update:1", false)
	wantClaim(t, ctx, d, "tg:update:1", false)
}

func testDedupeKeysIndependent(t *testing.T, ctx context.Context, d chatstate.Deduper) {
	wantClaim(t, ctx, d, "tg:update:1", true)
	wantClaim(t, ctx, d, "tg:update:2", true)
	wantClaim(t, ctx, d, "wx:update:1", true)
	wantClaim(t, ctx, d, "tg:update:2", false)
}

func testDedupeRelease(t *testing.T, ctx context.Context, d chatstate.Deduper) {
	wantClaim(t, ctx, d, "tg:update:1", true)
	wantClaim(t, ctx, d, "tg:update:2", true)
	if err := d.Release(ctx, "tg:update:1"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	wantClaim(t, ctx, d, "tg:update:1", true)
	wantClaim(t, ctx, d, "tg:update:1", false)
	wantClaim(t, ctx, d, "tg:update:2", false) // untouched by the other release
}

func testDedupeReleaseUnclaimed(t *testing.T, ctx context.Context, d chatstate.Deduper) {
	if err := d.Release(ctx, "tg:update:never"); err != nil {
		t.Fatalf("Release(unclaimed): %v", err)
	}
	wantClaim(t, ctx, d, "tg:update:never", true)
}

func testDedupeTTLAccepted(t *testing.T, ctx context.Context, d chatstate.Deduper) {
	// A claim holds until its ttl runs out (see withinTTL).
	for i, ttl := range []time.Duration{time.Second, 1500 * time.Millisecond, 24 * time.Hour} {
		key := fmt.Sprintf("tg:update:ttl:%d", i)
		claimed := time.Now()
		ok, err := d.Claim(ctx, key, ttl)
		if err != nil || !ok {
			t.Fatalf("Claim(ttl %v) = %v, %v; want true, nil", ttl, ok, err)
		}
		again, err := d.Claim(ctx, key, longTTL)
		if !withinTTL(claimed, ttl) {
			t.Logf("ttl %v ran out before the second claim (%v after the first); not checked", ttl, time.Since(claimed))
			continue
		}
		if err != nil || again {
			t.Fatalf("second Claim(%q) within the ttl %v = %v, %v; want false, nil", key, ttl, again, err)
		}
	}
}

func testDedupeConcurrentClaims(t *testing.T, ctx context.Context, d chatstate.Deduper) {
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
