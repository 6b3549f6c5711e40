package chatstate

import (
	"context"
	"sync"
	"time"
)

// History keeps the recent conversation of a chat whose platform keeps none
// (the web page shows it again after a reload). Entries are opaque bytes,
// oldest first. Implementations: store/redis (a list that expires some time
// after its last append) and the embedded SQL store (removed by its
// retention sweep).
type History interface {
	// AppendHistory adds entries (oldest first) under key and keeps only the
	// newest keep entries.
	AppendHistory(ctx context.Context, key string, entries [][]byte, keep int) error
	// History returns the newest limit entries under key, oldest first; none
	// for an unknown key.
	History(ctx context.Context, key string, limit int) ([][]byte, error)
}

// WindowLimiter counts events per key in fixed windows of time (numbered by
// the clock: window n is [n·w, (n+1)·w)) and refuses those over a limit.
// Implementations: store/redis (shared by every replica) and
// LocalWindowLimiter (one process).
type WindowLimiter interface {
	// Allow counts one event under key and reports whether it is within the
	// limit of the current window. Refused events count too.
	Allow(ctx context.Context, key string) (bool, error)
}

// LocalWindowLimiter is the in-process WindowLimiter of the embedded
// default. It keeps the counts of the current window only, so its memory is
// bounded by the keys seen in one window.
type LocalWindowLimiter struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu     sync.Mutex
	cur    int64 // the window the counts belong to
	counts map[string]int
}

// NewLocalWindowLimiter allows limit events per key in each window; now is
// the clock (time.Now when nil).
func NewLocalWindowLimiter(limit int, window time.Duration, now func() time.Time) *LocalWindowLimiter {
	if now == nil {
		now = time.Now
	}
	return &LocalWindowLimiter{limit: limit, window: window, now: now, counts: map[string]int{}}
}

// Allow implements WindowLimiter.
func (l *LocalWindowLimiter) Allow(_ context.Context, key string) (bool, error) {
	w := WindowIndex(l.now(), l.window)
	l.mu.Lock()
	defer l.mu.Unlock()
	if w != l.cur {
		l.cur, l.counts = w, map[string]int{}
	}
	l.counts[key]++
	return l.counts[key] <= l.limit, nil
}

// WindowIndex numbers the fixed window of length w that holds t.
func WindowIndex(t time.Time, w time.Duration) int64 {
	return t.UnixMilli() / max(w.Milliseconds(), 1)
}

// WebIdentities records the web identities the server issued once they do
// something, and removes idle ones with their state (the embedded SQL store
// implements it; with Redis, sessions and histories expire there by
// themselves and the SQL rows still go through it).
type WebIdentities interface {
	// SeeWebIdentity records that id was active at at, adding it when new.
	SeeWebIdentity(ctx context.Context, id string, at time.Time) error
	// PurgeIdleWebIdentities removes identities idle since r.IdleSince that
	// are not worth keeping, with their session, history, inbox and
	// audience row; of those worth keeping (an order, a drop they wait
	// for) only the history goes. It looks at r.Limit identities at most.
	PurgeIdleWebIdentities(ctx context.Context, r WebRetention) (WebRetentionResult, error)
}

// WebRetention says which web identities PurgeIdleWebIdentities looks at
// and how the rows it removes are keyed.
type WebRetention struct {
	// IdleSince: identities last seen before it are idle.
	IdleSince time.Time
	// Now is when the sweep runs (recorded on the identities it keeps).
	Now time.Time
	// Limit bounds the identities looked at in one call (default 200).
	Limit int
	// SessionKey is the key of an identity's chat session; UserKey the key
	// of its inbox and history, and the buyer it orders as ("web:" + id).
	SessionKey, UserKey func(id string) string
}

// WebRetentionResult counts what one PurgeIdleWebIdentities call did.
type WebRetentionResult struct {
	Looked int // idle identities looked at (== Limit: there may be more)
	Purged int // removed with their rows
	Kept   int // worth keeping: only their history went
}
