package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Key namespaces of the WeChat adapter's per-user state below the store
// prefix (beside wechatNS, the library cache's).
const (
	choicesNS   = "wechat-choices:"   // + openID: hash {g, a, l, es, en}
	choiceGenNS = "wechat-choice-gen" // counter of Choices generations
	windowsNS   = "wechat-window:"    // + openID: hash {s, n, q}
)

// DefaultWeChatWindow is WeChat's customer-service window (bot/wechat's
// KFWindow), used by NewWeChatWindows when given no length.
const DefaultWeChatWindow = 48 * time.Hour

// WeChatChoiceSet is the numbered options last shown to one user. It is the
// very type of bot/wechat's Choices (both are aliases of the same unnamed
// struct type), so WeChatChoices implements wechat.ChoiceStore without this
// package importing the adapter. Keep the fields in sync with it.
type WeChatChoiceSet = struct {
	Gen     int64
	Actions []string
	Lang    string
}

// WeChatChoices implements the WeChat adapter's ChoiceStore (wechat.ChoiceStore)
// on Redis, so that a number typed to one replica resolves to the options
// another replica showed. It is safe for concurrent use.
type WeChatChoices struct {
	client goredis.UniversalClient
	prefix string
	clock  func() time.Time
}

// NewWeChatChoices returns a ChoiceStore on client whose keys start with
// prefix (the store prefix, for example "shopbot:"). clock (default
// time.Now; pass the adapter's Options.Clock) decides when options have
// expired and is the floor of generations, as in wechat.MemoryChoices; the
// keys also expire in Redis after their ttl. The caller owns client.
func NewWeChatChoices(client goredis.UniversalClient, prefix string, clock func() time.Time) *WeChatChoices {
	if clock == nil {
		clock = time.Now
	}
	return &WeChatChoices{client: client, prefix: prefix, clock: clock}
}

// saveChoicesScript assigns the next generation from the counter KEYS[1]
// (raised first to ARGV[1], the clock's Unix milliseconds, so that a lost
// counter does not reuse recent generations) and replaces the options
// KEYS[2] in the same step, so the options stored last always carry the
// highest generation.
//
//	ARGV[2] encoded actions, ARGV[3] lang, ARGV[4] and ARGV[5] expiry
//	(Unix seconds, nanoseconds), ARGV[6] ttl in ms (0 = expired: drop them)
//
// It returns the generation. Like Store's scripts it touches two keys, which
// a Redis Cluster would put in different slots.
var saveChoicesScript = goredis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
local gen = redis.call('INCR', KEYS[1])
redis.call('DEL', KEYS[2])
if ARGV[6] ~= '0' then
  redis.call('HSET', KEYS[2], 'g', gen, 'a', ARGV[2], 'l', ARGV[3], 'es', ARGV[4], 'en', ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
end
return gen
`)

// SaveChoices implements wechat.ChoiceStore: it replaces openID's options
// under a generation greater than any this store's keys have seen, kept for
// ttl (ttl <= 0 drops them).
func (s *WeChatChoices) SaveChoices(ctx context.Context, openID string, actions []string, lang string, ttl time.Duration) (WeChatChoiceSet, error) {
	now := s.clock()
	exp := now.Add(ttl)
	ms := ttlMillis(ttl)
	gen, err := saveChoicesScript.Run(ctx, s.client, []string{s.prefix + choiceGenNS, s.prefix + choicesNS + openID},
		now.UnixMilli(), encodeActions(actions), lang, exp.Unix(), exp.Nanosecond(), ms).Int64()
	if err != nil {
		return WeChatChoiceSet{}, fmt.Errorf("redis: save choices %q: %w", openID, err)
	}
	return WeChatChoiceSet{Gen: gen, Actions: append([]string(nil), actions...), Lang: lang}, nil
}

// LoadChoices implements wechat.ChoiceStore: ok is false when openID has no
// options or the clock has reached their expiry.
func (s *WeChatChoices) LoadChoices(ctx context.Context, openID string) (WeChatChoiceSet, bool, error) {
	vals, err := s.client.HMGet(ctx, s.prefix+choicesNS+openID, "g", "a", "l", "es", "en").Result()
	if err != nil {
		return WeChatChoiceSet{}, false, fmt.Errorf("redis: load choices %q: %w", openID, err)
	}
	if len(vals) != 5 || vals[0] == nil {
		return WeChatChoiceSet{}, false, nil
	}
	var f [5]string // g, a, l, es, en
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			return WeChatChoiceSet{}, false, fmt.Errorf("redis: load choices %q: field %d has type %T", openID, i, v)
		}
		f[i] = str
	}
	gen, err1 := strconv.ParseInt(f[0], 10, 64)
	es, err2 := strconv.ParseInt(f[3], 10, 64)
	en, err3 := strconv.ParseInt(f[4], 10, 64)
	actions, err4 := decodeActions(f[1])
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return WeChatChoiceSet{}, false, fmt.Errorf("redis: load choices %q: %w", openID, err)
	}
	if !s.clock().Before(time.Unix(es, en)) {
		return WeChatChoiceSet{}, false, nil
	}
	return WeChatChoiceSet{Gen: gen, Actions: actions, Lang: f[2]}, true, nil
}

// ForgetChoices implements wechat.ChoiceStore.
func (s *WeChatChoices) ForgetChoices(ctx context.Context, openID string) error {
	if err := s.client.Del(ctx, s.prefix+choicesNS+openID).Err(); err != nil {
		return fmt.Errorf("redis: forget choices %q: %w", openID, err)
	}
	return nil
}

// encodeActions writes each action as its byte length, ':' and its bytes, so
// that any string (colons, invalid UTF-8, empty) comes back unchanged.
func encodeActions(actions []string) string {
	var b strings.Builder
	for _, a := range actions {
		b.WriteString(strconv.Itoa(len(a)))
		b.WriteByte(':')
		b.WriteString(a)
	}
	return b.String()
}

// decodeActions reverses encodeActions; "" is no actions (nil).
func decodeActions(s string) ([]string, error) {
	var out []string
	for s != "" {
		num, rest, ok := strings.Cut(s, ":")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 || n > len(rest) {
			return nil, fmt.Errorf("bad actions encoding at %q", s)
		}
		out = append(out, rest[:n])
		s = rest[n:]
	}
	return out, nil
}

// WeChatWindows implements the WeChat adapter's WindowStore
// (wechat.WindowStore) on Redis: every replica sees a user's
// customer-service window, and one script decides each take, so replicas
// together never send more than the window's quota. It is safe for
// concurrent use.
type WeChatWindows struct {
	client goredis.UniversalClient
	prefix string
	window time.Duration
}

// NewWeChatWindows returns a WindowStore on client whose keys start with
// prefix (the store prefix, for example "shopbot:"). window is the
// customer-service window (pass wechat.KFWindow; <= 0 means
// DefaultWeChatWindow): OpenWindow keeps a larger quota left from a window
// opened less than window before, and a window's key expires window after it
// was (re)opened, so TakeWindow must not be given a longer length. Times are
// the callers', compared at nanosecond precision; the caller owns client.
func NewWeChatWindows(client goredis.UniversalClient, prefix string, window time.Duration) *WeChatWindows {
	if window <= 0 {
		window = DefaultWeChatWindow
	}
	return &WeChatWindows{client: client, prefix: prefix, window: window}
}

// windowOpenLua is true when the window hash v = {s, n, q} (HMGET result)
// exists and was opened after the cutoff ARGV[1] s, ARGV[2] ns.
const windowOpenLua = `
local function opened_after(v)
  if not (v[1] and v[2] and v[3]) then return false end
  local s, cs = tonumber(v[1]), tonumber(ARGV[1])
  return s > cs or (s == cs and tonumber(v[2]) > tonumber(ARGV[2]))
end
`

// openWindowScript (re)opens the window KEYS[1] at ARGV[3] s, ARGV[4] ns with
// quota ARGV[5], or with the quota left if that is larger and the window was
// opened after the cutoff ARGV[1..2]; it expires after ARGV[6] ms.
var openWindowScript = goredis.NewScript(windowOpenLua + `
local v = redis.call('HMGET', KEYS[1], 's', 'n', 'q')
local q = ARGV[5]
if opened_after(v) and tonumber(v[3]) > tonumber(q) then q = v[3] end
redis.call('HSET', KEYS[1], 's', ARGV[3], 'n', ARGV[4], 'q', q)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1
`)

// takeWindowScript uses one message of the window KEYS[1] if it was opened
// after the cutoff ARGV[1..2] and has quota left: 1 if it did, else 0.
var takeWindowScript = goredis.NewScript(windowOpenLua + `
local v = redis.call('HMGET', KEYS[1], 's', 'n', 'q')
if not opened_after(v) or tonumber(v[3]) <= 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'q', -1)
return 1
`)

// OpenWindow implements wechat.WindowStore.
func (s *WeChatWindows) OpenWindow(ctx context.Context, openID string, at time.Time, quota int) error {
	cut := at.Add(-s.window)
	err := openWindowScript.Run(ctx, s.client, []string{s.prefix + windowsNS + openID},
		cut.Unix(), cut.Nanosecond(), at.Unix(), at.Nanosecond(), quota, ttlMillis(s.window)).Err()
	if err != nil {
		return fmt.Errorf("redis: open window %q: %w", openID, err)
	}
	return nil
}

// TakeWindow implements wechat.WindowStore: it uses one message when the
// window was opened less than length before now and has quota left.
func (s *WeChatWindows) TakeWindow(ctx context.Context, openID string, now time.Time, length time.Duration) (bool, error) {
	cut := now.Add(-length)
	n, err := takeWindowScript.Run(ctx, s.client, []string{s.prefix + windowsNS + openID},
		cut.Unix(), cut.Nanosecond()).Int64()
	if err != nil {
		return false, fmt.Errorf("redis: take window %q: %w", openID, err)
	}
	return n == 1, nil
}

// CloseWindow implements wechat.WindowStore.
func (s *WeChatWindows) CloseWindow(ctx context.Context, openID string) error {
	if err := s.client.Del(ctx, s.prefix+windowsNS+openID).Err(); err != nil {
		return fmt.Errorf("redis: close window %q: %w", openID, err)
	}
	return nil
}
