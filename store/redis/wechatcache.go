package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// wechatNS is the key namespace of WeChatCache below the store prefix.
const wechatNS = "wechat:"

// WeChatCache adapts go-redis v9 to the cache interface of
// github.com/silenceper/wechat/v2 (cache.Cache and cache.ContextCache; the
// library's own Redis cache is on go-redis v8) and adds Lock, which makes it
// the bot/wechat TokenCache: one access token shared by every replica,
// refreshed by one of them at a time.
//
// Values are strings (the library type-asserts what Get returns to string);
// Set refuses other types. As the library's interface demands, Get returns
// nil both for a missing key and when Redis fails. It is safe for
// concurrent use.
type WeChatCache struct {
	client goredis.UniversalClient
	prefix string
	locks  *Store
}

// NewWeChatCache returns a cache on client whose keys start with prefix
// (the store prefix, for example "shopbot:") followed by "wechat:". The
// caller owns client.
func NewWeChatCache(client goredis.UniversalClient, prefix string) *WeChatCache {
	return &WeChatCache{client: client, prefix: prefix + wechatNS, locks: New(client, prefix+wechatNS)}
}

// Get implements the library's cache.Cache.
func (c *WeChatCache) Get(key string) any { return c.GetContext(context.Background(), key) }

// Set implements the library's cache.Cache.
func (c *WeChatCache) Set(key string, val any, timeout time.Duration) error {
	return c.SetContext(context.Background(), key, val, timeout)
}

// IsExist implements the library's cache.Cache.
func (c *WeChatCache) IsExist(key string) bool {
	return c.IsExistContext(context.Background(), key)
}

// Delete implements the library's cache.Cache.
func (c *WeChatCache) Delete(key string) error {
	return c.DeleteContext(context.Background(), key)
}

// GetContext implements the library's cache.ContextCache: the stored
// string, or nil.
func (c *WeChatCache) GetContext(ctx context.Context, key string) any {
	v, err := c.client.Get(ctx, c.prefix+key).Result()
	if err != nil {
		return nil
	}
	return v
}

// SetContext implements the library's cache.ContextCache. val must be a
// string or []byte; timeout <= 0 stores it without expiry.
func (c *WeChatCache) SetContext(ctx context.Context, key string, val any, timeout time.Duration) error {
	var s string
	switch v := val.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("redis: wechat cache %q: value of type %T, want a string", key, val)
	}
	if timeout < 0 {
		timeout = 0
	}
	if err := c.client.Set(ctx, c.prefix+key, s, timeout).Err(); err != nil {
		return fmt.Errorf("redis: wechat cache set %q: %w", key, err)
	}
	return nil
}

// IsExistContext implements the library's cache.ContextCache.
func (c *WeChatCache) IsExistContext(ctx context.Context, key string) bool {
	n, err := c.client.Exists(ctx, c.prefix+key).Result()
	return err == nil && n > 0
}

// DeleteContext implements the library's cache.ContextCache.
func (c *WeChatCache) DeleteContext(ctx context.Context, key string) error {
	if err := c.client.Del(ctx, c.prefix+key).Err(); err != nil && !errors.Is(err, goredis.Nil) {
		return fmt.Errorf("redis: wechat cache delete %q: %w", key, err)
	}
	return nil
}

// Lock takes the cross-replica lock key (see Store.Lock): the access token
// is refreshed under it so that replicas do not invalidate each other's.
func (c *WeChatCache) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	return c.locks.Lock(ctx, key, ttl)
}
