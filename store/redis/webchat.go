package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"shopbot/chatstate"
)

// Key namespaces of the web chat's state below the store prefix.
const (
	historyNS = "history:" // + user key ("web:…"): list of entries, oldest first
	windowNS  = "limit:"   // + limiter name + ":" + key + ":" + window: counter
)

var (
	_ chatstate.History       = (*WebHistory)(nil)
	_ chatstate.WindowLimiter = (*WindowLimiter)(nil)
)

// WebHistory implements chatstate.History on Redis lists. A history expires
// ttl after its last append, like a session: with Redis the conversation
// of a web identity is rebuildable state, gone after 30 idle days without a
// sweep. It is safe for concurrent use.
type WebHistory struct {
	client goredis.UniversalClient
	prefix string
	ttl    time.Duration
}

// NewWebHistory keeps histories under prefix (the store prefix, for example
// "shopbot:") for ttl after their last append. The caller owns client.
func NewWebHistory(client goredis.UniversalClient, prefix string, ttl time.Duration) *WebHistory {
	return &WebHistory{client: client, prefix: prefix, ttl: ttl}
}

// AppendHistory implements chatstate.History: push, trim and expire in one
// MULTI (one key, so one hash slot on a Cluster).
func (h *WebHistory) AppendHistory(ctx context.Context, key string, entries [][]byte, keep int) error {
	if len(entries) == 0 {
		return nil
	}
	k := h.prefix + historyNS + key
	vals := make([]any, len(entries))
	for i, e := range entries {
		vals[i] = e
	}
	_, err := h.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.RPush(ctx, k, vals...)
		p.LTrim(ctx, k, -int64(max(keep, 1)), -1)
		p.PExpire(ctx, k, h.ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis: append history: %w", err)
	}
	return nil
}

// History implements chatstate.History.
func (h *WebHistory) History(ctx context.Context, key string, limit int) ([][]byte, error) {
	if limit <= 0 {
		return nil, nil
	}
	vals, err := h.client.LRange(ctx, h.prefix+historyNS+key, -int64(limit), -1).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: history: %w", err)
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		out[i] = []byte(v)
	}
	return out, nil
}

// WindowLimiter implements chatstate.WindowLimiter with one counter per key
// and window, shared by every replica. Windows are numbered by the given
// clock (the shop's), so replicas agree as far as their clocks do.
type WindowLimiter struct {
	client goredis.UniversalClient
	prefix string
	limit  int
	window time.Duration
	now    func() time.Time
}

// NewWindowLimiter allows limit events per key in each window. name keeps
// limiters apart ("newwebid"); prefix is the store prefix; now is the clock
// (time.Now when nil). The caller owns client.
func NewWindowLimiter(client goredis.UniversalClient, prefix, name string, limit int, window time.Duration, now func() time.Time) *WindowLimiter {
	if now == nil {
		now = time.Now
	}
	return &WindowLimiter{client: client, prefix: prefix + windowNS + name + ":", limit: limit, window: window, now: now}
}

// countScript raises the counter KEYS[1] and, when it is new, lets it
// expire after ARGV[1] ms (two windows: a late replica still counts in it).
var countScript = goredis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// Allow implements chatstate.WindowLimiter.
func (l *WindowLimiter) Allow(ctx context.Context, key string) (bool, error) {
	w := chatstate.WindowIndex(l.now(), l.window)
	k := l.prefix + key + ":" + strconv.FormatInt(w, 10)
	n, err := countScript.Run(ctx, l.client, []string{k}, (2 * l.window).Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("redis: limit: %w", err)
	}
	return n <= int64(l.limit), nil
}

// WebHistory is NewWebHistory on the store's client and prefix.
func (s *Store) WebHistory(ttl time.Duration) *WebHistory {
	return NewWebHistory(s.client, s.prefix, ttl)
}

// WindowLimiter is NewWindowLimiter on the store's client and prefix.
func (s *Store) WindowLimiter(name string, limit int, window time.Duration, now func() time.Time) *WindowLimiter {
	return NewWindowLimiter(s.client, s.prefix, name, limit, window, now)
}
