package wechat

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Choices are the numbered options last shown to one user: option n (1-based)
// stands for Actions[n-1]. Gen identifies this set; msgmenu ids carry it, so
// a tap on an older menu is recognized as stale.
//
// Choices is an alias of an unnamed struct type, not a defined type, so that
// a store which must not import this package (store/redis) can implement
// ChoiceStore with an identical type of its own. Changing the fields breaks
// those stores at compile time.
type Choices = struct {
	Gen     int64
	Actions []string
	Lang    string // locale of the replies they were shown with
}

// ChoiceStore remembers each user's numbered options between callbacks. The
// memory implementation serves one replica; a shared store (Redis) lets any
// replica map "3" back to the action. Implementations are safe for
// concurrent use.
type ChoiceStore interface {
	// SaveChoices replaces openID's options, assigning a Gen greater than any
	// earlier one, and keeps them for ttl. It returns what it stored.
	SaveChoices(ctx context.Context, openID string, actions []string, lang string, ttl time.Duration) (Choices, error)
	// LoadChoices returns openID's options; ok is false when there are none
	// or they expired.
	LoadChoices(ctx context.Context, openID string) (c Choices, ok bool, err error)
	// ForgetChoices drops openID's options (unsubscribe).
	ForgetChoices(ctx context.Context, openID string) error
}

// WindowStore tracks each user's customer-service window: it opens when the
// user interacts and allows a bounded number of messages for KFWindow.
type WindowStore interface {
	// OpenWindow (re)opens openID's window at `at` allowing at least quota
	// messages (a quota left from an open window is kept if larger).
	OpenWindow(ctx context.Context, openID string, at time.Time, quota int) error
	// TakeWindow uses one message of openID's window when it was opened less
	// than length before now and has quota left; it reports whether it did.
	TakeWindow(ctx context.Context, openID string, now time.Time, length time.Duration) (bool, error)
	// CloseWindow forgets openID's window (unsubscribe).
	CloseWindow(ctx context.Context, openID string) error
}

// memoryLimit bounds the in-memory stores; expired entries are swept when it
// is reached, and new users are not remembered while it is still full.
const memoryLimit = 100_000

// MemoryChoices is the in-process ChoiceStore.
type MemoryChoices struct {
	clock func() time.Time
	gen   atomic.Int64
	mu    sync.Mutex
	m     map[string]choiceEntry
}

type choiceEntry struct {
	c   Choices
	exp time.Time
}

// NewMemoryChoices returns an empty MemoryChoices. Generations start at the
// clock's Unix milliseconds, so a restart does not reuse recent ones.
func NewMemoryChoices(clock func() time.Time) *MemoryChoices {
	if clock == nil {
		clock = time.Now
	}
	s := &MemoryChoices{clock: clock, m: map[string]choiceEntry{}}
	s.gen.Store(clock().UnixMilli())
	return s
}

// SaveChoices implements ChoiceStore.
func (s *MemoryChoices) SaveChoices(_ context.Context, openID string, actions []string, lang string, ttl time.Duration) (Choices, error) {
	c := Choices{Gen: s.gen.Add(1), Actions: append([]string(nil), actions...), Lang: lang}
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, known := s.m[openID]; !known && len(s.m) >= memoryLimit {
		for k, e := range s.m {
			if !now.Before(e.exp) {
				delete(s.m, k)
			}
		}
		if len(s.m) >= memoryLimit {
			return c, nil // full: this user's numbers will not resolve
		}
	}
	s.m[openID] = choiceEntry{c: c, exp: now.Add(ttl)}
	return c, nil
}

// LoadChoices implements ChoiceStore.
func (s *MemoryChoices) LoadChoices(_ context.Context, openID string) (Choices, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[openID]
	if !ok || !s.clock().Before(e.exp) {
		return Choices{}, false, nil
	}
	return e.c, true, nil
}

// ForgetChoices implements ChoiceStore.
func (s *MemoryChoices) ForgetChoices(_ context.Context, openID string) error {
	s.mu.Lock()
	delete(s.m, openID)
	s.mu.Unlock()
	return nil
}

// MemoryWindows is the in-process WindowStore.
type MemoryWindows struct {
	clock func() time.Time
	mu    sync.Mutex
	m     map[string]window
}

type window struct {
	opened time.Time
	left   int
}

// NewMemoryWindows returns an empty MemoryWindows.
func NewMemoryWindows(clock func() time.Time) *MemoryWindows {
	if clock == nil {
		clock = time.Now
	}
	return &MemoryWindows{clock: clock, m: map[string]window{}}
}

// OpenWindow implements WindowStore.
func (s *MemoryWindows) OpenWindow(_ context.Context, openID string, at time.Time, quota int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, known := s.m[openID]
	if known && at.Sub(w.opened) < KFWindow && w.left > quota {
		quota = w.left
	}
	if !known && len(s.m) >= memoryLimit {
		now := s.clock()
		for k, w := range s.m {
			if now.Sub(w.opened) >= KFWindow {
				delete(s.m, k)
			}
		}
		if len(s.m) >= memoryLimit {
			return nil
		}
	}
	s.m[openID] = window{opened: at, left: quota}
	return nil
}

// TakeWindow implements WindowStore.
func (s *MemoryWindows) TakeWindow(_ context.Context, openID string, now time.Time, length time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.m[openID]
	if !ok || now.Sub(w.opened) >= length || w.left <= 0 {
		return false, nil
	}
	w.left--
	s.m[openID] = w
	return true, nil
}

// CloseWindow implements WindowStore.
func (s *MemoryWindows) CloseWindow(_ context.Context, openID string) error {
	s.mu.Lock()
	delete(s.m, openID)
	s.mu.Unlock()
	return nil
}

// replyCache keeps the last passive reply per update for a short while, so a
// WeChat retry (our answer was lost on the way) gets the same answer instead
// of the duplicate's empty "success".
type replyCache struct {
	clock func() time.Time
	mu    sync.Mutex
	m     map[string]cachedReply
}

type cachedReply struct {
	inner []byte // plaintext reply XML, encrypted afresh on every send
	exp   time.Time
}

const (
	replyCacheTTL   = 30 * time.Second
	replyCacheLimit = 10_000
)

func newReplyCache(clock func() time.Time) *replyCache {
	return &replyCache{clock: clock, m: map[string]cachedReply{}}
}

func (c *replyCache) put(id string, inner []byte) {
	if id == "" {
		return
	}
	now := c.clock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= replyCacheLimit {
		for k, e := range c.m {
			if !now.Before(e.exp) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= replyCacheLimit {
			return
		}
	}
	c.m[id] = cachedReply{inner: inner, exp: now.Add(replyCacheTTL)}
}

func (c *replyCache) get(id string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || !c.clock().Before(e.exp) {
		return nil
	}
	return e.inner
}
