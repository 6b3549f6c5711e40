// Package redis keeps shopbot's rebuildable state in Redis (go-redis v9):
// conversation sessions with optimistic versioning, de-duplication of
// incoming updates and per-chat locks shared by all replicas.
//
// Nothing stored here is the truth about orders or stock: losing Redis loses
// conversations in progress, never an order.
package redis

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"shopbot/chatstate"
	"shopbot/commerce"
)

var (
	_ chatstate.SessionStore = (*Store)(nil)
	_ chatstate.Deduper      = (*Store)(nil)
	_ chatstate.Locker       = (*Store)(nil)
)

// Key namespaces below the store prefix, so that a session, a dedupe claim and
// a lock for the same chat key never collide.
const (
	sessionNS = "session:"
	dedupeNS  = "dedupe:"
	lockNS    = "lock:"
)

// Lock retry backoff: the first retry waits about minBackoff, each further
// retry doubles the wait up to maxBackoff; every wait is jittered.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = 50 * time.Millisecond
)

// unlockTimeout bounds the compare-and-delete sent by an unlock function. If
// it fails the lock still expires after its ttl.
const unlockTimeout = 2 * time.Second

// Store implements chatstate.SessionStore, chatstate.Deduper and chatstate.Locker on one Redis
// client. It is safe for concurrent use.
type Store struct {
	client goredis.UniversalClient
	prefix string
}

// New returns a Store using client; prefix (for example "shopbot:") is
// prepended to every key it reads or writes. The caller owns client and
// closes it.
func New(client goredis.UniversalClient, prefix string) *Store {
	return &Store{client: client, prefix: prefix}
}

// Open connects to the Redis server at rawURL (redis://, rediss:// or unix://,
// as accepted by goredis.ParseURL), applies default timeouts where the URL sets
// none (dial 2s, read 1s, write 1s) and PINGs it. Errors never contain the
// password from the URL.
func Open(ctx context.Context, rawURL string) (goredis.UniversalClient, error) {
	opts, err := goredis.ParseURL(rawURL)
	if err != nil {
		// Parse errors may quote the URL: keep only their scrubbed text.
		return nil, errors.New(redact(fmt.Errorf("redis: parse URL: %w", err), secretsOf(rawURL)...).Error())
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 5 * time.Second
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = 3 * time.Second
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = 3 * time.Second
	}
	// PoolSize 0 keeps go-redis' default of 10 connections per GOMAXPROCS.
	client := goredis.NewClient(opts)
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, redact(fmt.Errorf("redis: ping %s: %w", opts.Addr, err), secretsOf(rawURL)...)
	}
	return client, nil
}

// Ping reports whether Redis answers; used by the readiness probe.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: ping: %w", err)
	}
	return nil
}

// saveSessionLua stores a session as a hash {d: data, v: version} if the
// stored version (0 when the key is missing) equals ARGV[2]. Versions are
// compared as decimal strings, so no precision is lost in Lua numbers.
//
//	KEYS[1] session key
//	ARGV[1] data, ARGV[2] expected version, ARGV[3] new version,
//	ARGV[4] ttl in milliseconds (0 = no expiry)
//
// It returns 0 on a version conflict and falls through when stored.
const saveSessionLua = `
local cur = redis.call('HGET', KEYS[1], 'v')
if not cur then cur = '0' end
if cur ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'v', ARGV[3])
if ARGV[4] == '0' then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
`

// saveSessionScript returns 1 when stored, 0 on a version conflict.
var saveSessionScript = goredis.NewScript(saveSessionLua + "return 1")

// saveUnlockScript is saveSessionScript that also releases the chat lock
// KEYS[2] held with token ARGV[5] once the session is stored.
var saveUnlockScript = goredis.NewScript(saveSessionLua + `
if redis.call('GET', KEYS[2]) == ARGV[5] then redis.call('DEL', KEYS[2]) end
return 1`)

// lockLoadScript takes the lock KEYS[1] with token ARGV[1] for ARGV[2] ms
// and, when it got it, reads the session KEYS[2] in the same round trip.
// It returns {1, data, version} (nil fields for a missing session) or {0}.
var lockLoadScript = goredis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local v = redis.call('HMGET', KEYS[2], 'd', 'v')
  return {1, v[1], v[2]}
end
return {0}
`)

// LoadSession implements chatstate.SessionStore. A missing or expired session
// returns nil, 0, nil.
func (s *Store) LoadSession(ctx context.Context, key string) ([]byte, int64, error) {
	vals, err := s.client.HMGet(ctx, s.prefix+sessionNS+key, "d", "v").Result()
	if err != nil {
		return nil, 0, fmt.Errorf("redis: load session %q: %w", key, err)
	}
	return sessionValues(key, vals)
}

// sessionValues reads the data and version fields of a session hash.
func sessionValues(key string, vals []any) ([]byte, int64, error) {
	if len(vals) != 2 || vals[1] == nil {
		return nil, 0, nil
	}
	vs, ok := vals[1].(string)
	if !ok {
		return nil, 0, fmt.Errorf("redis: load session %q: version has type %T", key, vals[1])
	}
	version, err := strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("redis: load session %q: bad version: %w", key, err)
	}
	var data []byte
	switch d := vals[0].(type) {
	case string:
		data = []byte(d)
	case nil:
		data = []byte{}
	default:
		return nil, 0, fmt.Errorf("redis: load session %q: data has type %T", key, vals[0])
	}
	return data, version, nil
}

// SaveSession implements chatstate.SessionStore: it stores data if the stored
// version equals version (0 = must not exist) and returns version+1, or
// commerce.ErrConflict. A ttl <= 0 keeps the session until overwritten.
func (s *Store) SaveSession(ctx context.Context, key string, data []byte, version int64, ttl time.Duration) (int64, error) {
	if version < 0 || version == math.MaxInt64 {
		return 0, fmt.Errorf("redis: save session %q at version %d: %w", key, version, commerce.ErrConflict)
	}
	next := version + 1
	res, err := saveSessionScript.Run(ctx, s.client, []string{s.prefix + sessionNS + key},
		data, strconv.FormatInt(version, 10), strconv.FormatInt(next, 10), ttlMillis(ttl)).Int64()
	if err != nil {
		return 0, fmt.Errorf("redis: save session %q: %w", key, err)
	}
	if res != 1 {
		return 0, fmt.Errorf("redis: save session %q at version %d: %w", key, version, commerce.ErrConflict)
	}
	return next, nil
}

// Claim implements chatstate.Deduper with SET NX PX. A ttl <= 0 claims forever.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ok, err := s.setNX(ctx, s.prefix+dedupeNS+key, "1", ttl)
	if err != nil {
		return false, fmt.Errorf("redis: claim %q: %w", key, err)
	}
	return ok, nil
}

// Release implements chatstate.Deduper: it deletes the claim. Releasing a key that
// is not claimed is not an error.
func (s *Store) Release(ctx context.Context, key string) error {
	if err := s.client.Del(ctx, s.prefix+dedupeNS+key).Err(); err != nil {
		return fmt.Errorf("redis: release %q: %w", key, err)
	}
	return nil
}

// unlockScript deletes KEYS[1] only if it still holds this holder's token
// ARGV[1], so a holder whose lock expired cannot release its successor's.
var unlockScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// Lock implements chatstate.Locker with SET NX PX and a random token, retrying
// with a jittered backoff of 5–50 ms until it holds key or ctx ends (the
// error then matches ctx.Err()). ttl must be positive: a holder that dies
// loses the lock after ttl. The returned unlock function is safe to call more
// than once; it never releases a lock taken over by another holder.
func (s *Store) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("redis: lock %q: ttl %v must be positive: %w", key, ttl, commerce.ErrInvalid)
	}
	token, err := newToken()
	if err != nil {
		return nil, fmt.Errorf("redis: lock %q: %w", key, err)
	}
	rkey := s.prefix + lockNS + key
	if err := waitFor(ctx, func() (bool, error) { return s.setNX(ctx, rkey, token, ttl) }); err != nil {
		return nil, fmt.Errorf("redis: lock %q: %w", key, err)
	}

	var once sync.Once
	unlock := func() {
		once.Do(func() {
			// The caller's ctx may have ended; the release must still be sent.
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
			defer cancel()
			// On failure the lock expires after ttl; there is no caller to tell.
			_ = unlockScript.Run(uctx, s.client, []string{rkey}, token).Err()
		})
	}
	return unlock, nil
}

// waitFor calls try until it reports success, waiting a jittered backoff of
// 5–50 ms between attempts, or until ctx ends (the error then matches ctx.Err()).
func waitFor(ctx context.Context, try func() (bool, error)) error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	backoff := minBackoff
	for {
		ok, err := try()
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return err
		}
		if ok {
			return nil
		}
		// Wait uniformly in [backoff/2, backoff], never below minBackoff.
		wait := max(minBackoff, backoff/2+rand.N(backoff/2+1))
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// LockAndLoad implements chatstate.LockingSessionStore: one script takes the lock
// (the one Lock takes for lockKey) and reads the session.
func (s *Store) LockAndLoad(ctx context.Context, lockKey string, lockTTL time.Duration, key string) ([]byte, int64, string, error) {
	if lockTTL <= 0 {
		return nil, 0, "", fmt.Errorf("redis: lock %q: ttl %v must be positive: %w", lockKey, lockTTL, commerce.ErrInvalid)
	}
	token, err := newToken()
	if err != nil {
		return nil, 0, "", fmt.Errorf("redis: lock %q: %w", lockKey, err)
	}
	var vals []any
	err = waitFor(ctx, func() (bool, error) {
		res, err := lockLoadScript.Run(ctx, s.client, []string{s.prefix + lockNS + lockKey, s.prefix + sessionNS + key},
			token, ttlMillis(lockTTL)).Slice()
		if err != nil || len(res) == 0 {
			return false, err
		}
		if got, _ := res[0].(int64); got != 1 {
			return false, nil
		}
		vals = append(res[1:], nil, nil)[:2] // Lua drops trailing nils
		return true, nil
	})
	if err != nil {
		return nil, 0, "", fmt.Errorf("redis: lock and load %q: %w", key, err)
	}
	data, version, err := sessionValues(key, vals)
	if err != nil {
		s.Unlock(ctx, lockKey, token)
		return nil, 0, "", err
	}
	return data, version, token, nil
}

// SaveAndUnlock implements chatstate.LockingSessionStore.
func (s *Store) SaveAndUnlock(ctx context.Context, key string, data []byte, version int64, ttl time.Duration, lockKey, token string) (int64, error) {
	if version < 0 || version == math.MaxInt64 {
		return 0, fmt.Errorf("redis: save session %q at version %d: %w", key, version, commerce.ErrConflict)
	}
	next := version + 1
	res, err := saveUnlockScript.Run(ctx, s.client, []string{s.prefix + sessionNS + key, s.prefix + lockNS + lockKey},
		data, strconv.FormatInt(version, 10), strconv.FormatInt(next, 10), ttlMillis(ttl), token).Int64()
	if err != nil {
		return 0, fmt.Errorf("redis: save session %q: %w", key, err)
	}
	if res != 1 {
		return 0, fmt.Errorf("redis: save session %q at version %d: %w", key, version, commerce.ErrConflict)
	}
	return next, nil
}

// Unlock implements chatstate.LockingSessionStore. It is sent even when ctx has
// ended; on failure the lock expires after its ttl.
func (s *Store) Unlock(ctx context.Context, lockKey, token string) {
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
	defer cancel()
	_ = unlockScript.Run(uctx, s.client, []string{s.prefix + lockNS + lockKey}, token).Err()
}

// setNX runs SET key value NX [PX ttl] and reports whether the key was set.
func (s *Store) setNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	args := []any{"set", key, value}
	if ms := ttlMillis(ttl); ms > 0 {
		args = append(args, "px", ms)
	}
	args = append(args, "nx")
	cmd := goredis.NewBoolCmd(ctx, args...)
	_ = s.client.Process(ctx, cmd)
	ok, err := cmd.Result()
	if errors.Is(err, goredis.Nil) {
		return false, nil
	}
	return ok, err
}

// ttlMillis converts ttl to whole milliseconds, rounding up so that a positive
// ttl never becomes 0 (which means "no expiry" here).
func ttlMillis(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return int64((ttl + time.Millisecond - 1) / time.Millisecond)
}

func newToken() (string, error) {
	var b [16]byte
	if _, err := cryptorand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// secretsOf returns the password (raw and decoded) in a Redis URL, so that
// errors can be scrubbed of it. An unparsable URL yields its whole text.
func secretsOf(rawURL string) []string {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse errors quote the whole URL; scrub it entirely.
		return []string{rawURL}
	}
	var out []string
	if u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			out = append(out, pw, url.QueryEscape(pw), url.PathEscape(pw))
		}
	}
	for _, name := range []string{"password", "sentinel_password"} {
		if pw := u.Query().Get(name); pw != "" {
			out = append(out, pw, url.QueryEscape(pw))
		}
	}
	return out
}

// redactedError hides secrets from the text of the error it wraps while
// keeping it reachable for errors.Is and errors.As (context.DeadlineExceeded
// and the like). Only wrap errors whose inner text is secret-free in
// practice (network and server errors); Error() is what gets logged.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func redact(err error, secrets ...string) error {
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	return &redactedError{msg: msg, err: err}
}
