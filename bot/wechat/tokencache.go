package wechat

import (
	"context"
	"shopbot/chatstate"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/cache"
)

// TokenCache holds the access token shared by every replica. It is the
// library's cache.ContextCache (so the same value can back a silenceper
// client configured with it and UseStableAK: both use the key
// TokenCacheKey) plus a lock under which the token is refreshed. Values are
// strings. Get returns nil for a missing key (and, by the library's
// contract, on errors: a miss only costs a stable_token call, which returns
// the same token).
//
// Implementations: MemoryTokenCache (one replica) and store/redis
// WeChatCache (go-redis v9).
type TokenCache interface {
	cache.ContextCache
	// Lock waits until it holds key (or ctx ends) and returns its release.
	// A holder that dies loses the lock after ttl.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error)
}

// TokenCacheKey is where the access token of appID is cached: the key the
// library's stable-token handle uses for an Official Account.
func TokenCacheKey(appID string) string {
	return "gowechat_officialaccount__stable_access_token_" + appID
}

// MemoryTokenCache is the in-process TokenCache.
type MemoryTokenCache struct {
	clock func() time.Time
	locks *chatstate.LocalLocker
	mu    sync.Mutex
	m     map[string]memoryValue
}

type memoryValue struct {
	v   any
	exp time.Time // zero: no expiry
}

var _ TokenCache = (*MemoryTokenCache)(nil)

// NewMemoryTokenCache returns an empty cache reading time from clock.
func NewMemoryTokenCache(clock func() time.Time) *MemoryTokenCache {
	if clock == nil {
		clock = time.Now
	}
	return &MemoryTokenCache{clock: clock, locks: chatstate.NewLocalLocker(), m: map[string]memoryValue{}}
}

// Get implements cache.Cache.
func (c *MemoryTokenCache) Get(key string) any { return c.GetContext(context.Background(), key) }

// Set implements cache.Cache.
func (c *MemoryTokenCache) Set(key string, val any, timeout time.Duration) error {
	return c.SetContext(context.Background(), key, val, timeout)
}

// IsExist implements cache.Cache.
func (c *MemoryTokenCache) IsExist(key string) bool {
	return c.IsExistContext(context.Background(), key)
}

// Delete implements cache.Cache.
func (c *MemoryTokenCache) Delete(key string) error {
	return c.DeleteContext(context.Background(), key)
}

// GetContext implements cache.ContextCache.
func (c *MemoryTokenCache) GetContext(_ context.Context, key string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok {
		return nil
	}
	if !e.exp.IsZero() && !c.clock().Before(e.exp) {
		delete(c.m, key)
		return nil
	}
	return e.v
}

// SetContext implements cache.ContextCache; timeout <= 0 keeps the value
// until it is replaced or deleted.
func (c *MemoryTokenCache) SetContext(_ context.Context, key string, val any, timeout time.Duration) error {
	e := memoryValue{v: val}
	if timeout > 0 {
		e.exp = c.clock().Add(timeout)
	}
	c.mu.Lock()
	c.m[key] = e
	c.mu.Unlock()
	return nil
}

// IsExistContext implements cache.ContextCache.
func (c *MemoryTokenCache) IsExistContext(ctx context.Context, key string) bool {
	return c.GetContext(ctx, key) != nil
}

// DeleteContext implements cache.ContextCache.
func (c *MemoryTokenCache) DeleteContext(_ context.Context, key string) error {
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
	return nil
}

// Lock implements TokenCache (in-process only; ttl is not needed there).
func (c *MemoryTokenCache) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	return c.locks.Lock(ctx, key, ttl)
}
