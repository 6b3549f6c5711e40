package chatstate

import (
	"context"
	"sync"
	"time"
)

// LocalLocker serializes work per key within one process: the embedded
// default's Locker (Redis provides the cross-replica one).
type LocalLocker struct {
	mu    sync.Mutex
	locks map[string]*localLock
}

type localLock struct {
	ch   chan struct{} // holds one token while free
	refs int
}

// NewLocalLocker returns an empty LocalLocker.
func NewLocalLocker() *LocalLocker { return &LocalLocker{locks: map[string]*localLock{}} }

// Lock implements Locker; ttl is ignored (a holder in this process cannot die
// without the process dying).
func (l *LocalLocker) Lock(ctx context.Context, key string, _ time.Duration) (func(), error) {
	l.mu.Lock()
	lk := l.locks[key]
	if lk == nil {
		lk = &localLock{ch: make(chan struct{}, 1)}
		lk.ch <- struct{}{}
		l.locks[key] = lk
	}
	lk.refs++
	l.mu.Unlock()
	select {
	case <-lk.ch:
		var once sync.Once
		return func() { once.Do(func() { lk.ch <- struct{}{}; l.release(key, lk) }) }, nil
	case <-ctx.Done():
		l.release(key, lk)
		return nil, ctx.Err()
	}
}

func (l *LocalLocker) release(key string, lk *localLock) {
	l.mu.Lock()
	lk.refs--
	if lk.refs == 0 {
		delete(l.locks, key)
	}
	l.mu.Unlock()
}
