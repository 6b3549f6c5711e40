package batch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBatcherAnswersEachCallerItsOwnResult fires many concurrent requests
// through a slow backend: every caller gets the answer to its own request,
// none is lost or answered twice, no call exceeds max, and the calls are
// far fewer than the requests.
func TestBatcherAnswersEachCallerItsOwnResult(t *testing.T) {
	var calls, served atomic.Int64
	var maxSeen atomic.Int64
	b := New(64, func(ctx context.Context, reqs []int) ([]int, error) {
		calls.Add(1)
		served.Add(int64(len(reqs)))
		for n := int64(len(reqs)); ; {
			m := maxSeen.Load()
			if n <= m || maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(time.Millisecond) // a round trip
		out := make([]int, len(reqs))
		for i, r := range reqs {
			out[i] = r * 2
		}
		return out, nil
	})
	const n = 2000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := b.Do(context.Background(), i)
			if err != nil || got != i*2 {
				errs <- errors.New("wrong answer")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if served.Load() != n {
		t.Errorf("backend served %d requests; want %d", served.Load(), n)
	}
	if maxSeen.Load() > 64 {
		t.Errorf("a call carried %d requests; max is 64", maxSeen.Load())
	}
	if calls.Load() >= n/4 {
		t.Errorf("%d calls for %d concurrent requests: not batched", calls.Load(), n)
	}
	t.Logf("%d requests in %d calls", n, calls.Load())
}

func TestBatcherErrorsReachEveryCallerOfTheCall(t *testing.T) {
	boom := errors.New("boom")
	b := New(8, func(ctx context.Context, reqs []int) ([]int, error) { return nil, boom })
	if _, err := b.Do(context.Background(), 1); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	// A cancelled caller stops waiting; the batcher keeps working for others.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ok := New(8, func(ctx context.Context, reqs []int) ([]int, error) { return reqs, nil })
	if _, err := ok.Do(ctx, 1); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if got, err := ok.Do(context.Background(), 7); err != nil || got != 7 {
		t.Fatalf("after a cancelled caller: %d, %v", got, err)
	}
}
