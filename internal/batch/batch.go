// Package batch coalesces concurrent requests into batched backend calls.
package batch

import (
	"context"
	"sync"
	"time"
)

// Batcher answers concurrent requests with as few backend calls as it can
// without ever waiting on purpose: the first caller runs a call for itself;
// callers arriving while a call is in flight queue up and are served
// together by the next call, up to max at a time. Alone, a request costs
// exactly one call; under a rush the calls grow instead of the queue.
type Batcher[Req, Res any] struct {
	max int
	run func(ctx context.Context, reqs []Req) ([]Res, error)

	mu      sync.Mutex
	queue   []*pending[Req, Res]
	running bool
}

type pending[Req, Res any] struct {
	req  Req
	res  Res
	err  error
	done chan struct{}
}

// batchTimeout bounds one backend call made for several callers, whose own
// contexts may end at different times.
const batchTimeout = 5 * time.Second

func New[Req, Res any](max int, run func(context.Context, []Req) ([]Res, error)) *Batcher[Req, Res] {
	return &Batcher[Req, Res]{max: max, run: run}
}

// Do queues req and returns its result. A caller whose context ends stops
// waiting; its request may still be carried out (as with any call whose
// answer is lost).
func (b *Batcher[Req, Res]) Do(ctx context.Context, req Req) (Res, error) {
	p := &pending[Req, Res]{req: req, done: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, p)
	lead := !b.running
	b.running = true
	b.mu.Unlock()
	if lead {
		b.loop(context.WithoutCancel(ctx))
	}
	select {
	case <-p.done:
		return p.res, p.err
	case <-ctx.Done():
		var zero Res
		return zero, ctx.Err()
	}
}

// loop runs calls until the queue is empty. The caller that started it
// returns once its own request is answered; a goroutine carries on with
// whoever queued meanwhile.
func (b *Batcher[Req, Res]) loop(ctx context.Context) {
	b.mu.Lock()
	n := min(len(b.queue), b.max)
	batch := b.queue[:n:n]
	b.queue = b.queue[n:]
	b.mu.Unlock()

	reqs := make([]Req, len(batch))
	for i, p := range batch {
		reqs[i] = p.req
	}
	cctx, cancel := context.WithTimeout(ctx, batchTimeout)
	res, err := b.run(cctx, reqs)
	cancel()
	for i, p := range batch {
		if err != nil {
			p.err = err
		} else {
			p.res = res[i]
		}
		close(p.done)
	}

	b.mu.Lock()
	if len(b.queue) == 0 {
		b.running = false
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	go b.loop(ctx)
}
