// Package chatstate declares where a conversation keeps its state between
// messages: sessions, de-duplication of updates and per-chat locks. Both the
// conversation engine (bot) and the stores (store/redis, store/sqlstore)
// import it; it imports nothing of the project.
package chatstate

import (
	"context"
	"time"
)

// SessionStore keeps conversation sessions as opaque bytes with a version for
// optimistic concurrency. Implementations: store/redis (production) and the
// embedded SQL store.
type SessionStore interface {
	// LoadSession returns the stored bytes and version of a session. A missing
	// (or expired) session returns nil data, version 0 and no error.
	LoadSession(ctx context.Context, key string) (data []byte, version int64, err error)
	// SaveSession stores data if the stored version still equals version (0 =
	// must not exist yet) and returns the new version (version+1). When another
	// save won the race it returns commerce.ErrConflict and changes nothing.
	// Sessions idle longer than ttl may be forgotten.
	SaveSession(ctx context.Context, key string, data []byte, version int64, ttl time.Duration) (int64, error)
}

// Deduper remembers which incoming updates were already handled.
type Deduper interface {
	// Claim marks key as seen for ttl. It returns true when this call claimed
	// it (first delivery, or the earlier claim expired), false for a duplicate.
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Release forgets a claim, so a redelivery is processed again (used when
	// handling failed before any effect).
	Release(ctx context.Context, key string) error
}

// Locker serializes work on one key (one chat) across goroutines and replicas.
type Locker interface {
	// Lock waits until it holds key (or ctx ends) and returns the function that
	// releases it. A holder that dies loses the lock after ttl.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error)
}

// LockingSessionStore is a SessionStore that can take the chat's lock in the
// same round trip as loading the session, and give it back with the save —
// two round trips per message instead of four. When Options.Sessions
// implements it, the router locks through it and does not use Options.Locker.
// The lock is the same one Locker.Lock takes for lockKey.
type LockingSessionStore interface {
	SessionStore
	// LockAndLoad waits until it holds lockKey (or ctx ends; the error then
	// matches ctx.Err()), then returns the session like LoadSession and the
	// lock's token. A holder that dies loses the lock after lockTTL.
	LockAndLoad(ctx context.Context, lockKey string, lockTTL time.Duration, key string) (data []byte, version int64, token string, err error)
	// SaveAndUnlock saves like SaveSession and, when the save succeeds,
	// releases the lock held with token. On commerce.ErrConflict the lock is
	// still held.
	SaveAndUnlock(ctx context.Context, key string, data []byte, version int64, ttl time.Duration, lockKey, token string) (int64, error)
	// Unlock releases the lock held with token; a lock since taken over by
	// another holder is left alone.
	Unlock(ctx context.Context, lockKey, token string)
}

// Limiter bounds how many messages one identity ("tg:123") gets handled:
// a token bucket per key, refilled at a steady rate, that lets a burst
// through. Implementations: store/redis (one bucket for every replica) and
// LocalLimiter (one process).
type Limiter interface {
	// Allow takes a token of key's bucket. Refused messages are not
	// handled at all; Tell marks the first refusal of a flood, so the user
	// is told to slow down once and not for each message (a flood goes on
	// as long as refusals come closer together than the time the bucket
	// takes to fill up again).
	Allow(ctx context.Context, key string) (Verdict, error)
}

// Verdict is a Limiter's answer for one message.
type Verdict struct {
	Allowed bool
	// Tell: refused, and the first refusal of this flood.
	Tell bool
}
