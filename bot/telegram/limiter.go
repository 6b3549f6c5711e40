package telegram

import (
	"sort"
	"sync"
	"time"
)

// Limit is a sliding-window rate limit: at most N sends in any window of
// length Per. Put differently, any N+1 consecutive sends span at least Per.
type Limit struct {
	N   int           // sends per window; 0 = the default; < 0 = unlimited
	Per time.Duration // window length; 0 = the default
}

func (l Limit) unlimited() bool { return l.N < 0 }

func (l Limit) or(def Limit) Limit {
	if l.N == 0 {
		return def
	}
	if l.N > 0 && l.Per <= 0 {
		l.Per = def.Per
	}
	return l
}

// SendLimits configures the Sender: Telegram's flood limits and how failed
// requests are retried.
type SendLimits struct {
	Global  Limit // all chats together; default 30 per second
	Private Limit // per private chat (positive chat id); default 1 per second
	Group   Limit // per group, supergroup or channel (negative chat id); default 20 per minute

	// MaxAttempts bounds the attempts of a request failing with 5xx or a
	// network error; default 4.
	MaxAttempts int
	// Backoff is the first wait after a 5xx, doubled per attempt up to 30 s;
	// default 500 ms.
	Backoff time.Duration
	// Max429 bounds how often one request is retried after 429; default 5.
	Max429 int
	// MaxRetryAfter is the longest 429 retry_after the Sender waits out;
	// a longer one fails the request. Default 60 s.
	MaxRetryAfter time.Duration
}

// Default limits (Telegram Bot API FAQ).
var (
	DefaultGlobal  = Limit{N: 30, Per: time.Second}
	DefaultPrivate = Limit{N: 1, Per: time.Second}
	DefaultGroup   = Limit{N: 20, Per: time.Minute}
)

func (s SendLimits) withDefaults() SendLimits {
	s.Global = s.Global.or(DefaultGlobal)
	s.Private = s.Private.or(DefaultPrivate)
	s.Group = s.Group.or(DefaultGroup)
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = 4
	}
	if s.Backoff <= 0 {
		s.Backoff = 500 * time.Millisecond
	}
	if s.Max429 <= 0 {
		s.Max429 = 5
	}
	if s.MaxRetryAfter <= 0 {
		s.MaxRetryAfter = time.Minute
	}
	return s
}

// chatLimit is the per-chat limit: Telegram chat ids are positive for users
// and negative for groups, supergroups and channels.
func (s SendLimits) chatLimit(chatID int64) Limit {
	if chatID < 0 {
		return s.Group
	}
	return s.Private
}

// limiter hands out send times. A caller reserves a slot (possibly in the
// future) under the mutex and then sleeps until it, so concurrent senders
// never exceed a window and never spin; a caller that stops waiting
// releases its slot. Reservations are exact sliding windows, kept as
// sorted logs of send times: one global, one per chat.
type limiter struct {
	lim SendLimits

	mu        sync.Mutex
	global    []time.Time
	chats     map[int64]*chatLog
	lastSweep time.Time
}

type chatLog struct {
	times     []time.Time // sorted
	notBefore time.Time   // set by a 429 for this chat
}

func newLimiter(lim SendLimits) *limiter {
	return &limiter{lim: lim, chats: map[int64]*chatLog{}}
}

// reserve returns the earliest time ≥ now at which one more message to chat
// keeps every window within its limit, and records it. Messages to one chat
// are reserved in order (FIFO), so a chat's messages keep their sequence.
func (l *limiter) reserve(now time.Time, chat int64) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(now)
	c := l.chats[chat]
	if c == nil {
		c = &chatLog{}
		l.chats[chat] = c
	}
	t := l.slot(now, chat, c)
	if !l.lim.chatLimit(chat).unlimited() {
		c.times = insertSorted(c.times, t)
	}
	if !l.lim.Global.unlimited() {
		l.global = insertSorted(l.global, t)
	}
	return t
}

// next is the time reserve would return now for chat, without reserving
// it: when a message to chat could go out.
func (l *limiter) next(now time.Time, chat int64) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(now)
	c := l.chats[chat]
	if c == nil {
		c = &chatLog{}
	}
	return l.slot(now, chat, c)
}

// slot is the earliest send time ≥ now for one more message to chat (log
// c): after the chat's last reservation (FIFO) and any 429 penalty, within
// the chat's and the global window. Called with mu held.
func (l *limiter) slot(now time.Time, chat int64, c *chatLog) time.Time {
	cl := l.lim.chatLimit(chat)
	c.times = dropBefore(c.times, now.Add(-cl.Per))
	from := now
	if c.notBefore.After(from) {
		from = c.notBefore
	}
	if n := len(c.times); n > 0 && c.times[n-1].After(from) {
		from = c.times[n-1]
	}
	for {
		t1 := earliest(c.times, cl, from)
		t2 := earliest(l.global, l.lim.Global, t1)
		if t2.Equal(t1) {
			return t1
		}
		from = t2
	}
}

// release gives back the slot reserve returned for chat at t when no
// message went out in it (the waiter's context ended first), so that later
// messages are not scheduled behind a send that never happens. Removing a
// send from a log can only make the windows roomier.
func (l *limiter) release(chat int64, t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.global = removeOne(l.global, t)
	if c := l.chats[chat]; c != nil {
		c.times = removeOne(c.times, t)
	}
}

// penalize stops sends to chat until t (Telegram answered 429 retry_after).
func (l *limiter) penalize(chat int64, t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.chats[chat]
	if c == nil {
		c = &chatLog{}
		l.chats[chat] = c
	}
	if t.After(c.notBefore) {
		c.notBefore = t
	}
}

// prune forgets sends that can no longer constrain a send at or after now.
// Called with mu held.
func (l *limiter) prune(now time.Time) {
	l.global = dropBefore(l.global, now.Add(-l.lim.Global.Per))
	maxPer := max(l.lim.Private.Per, l.lim.Group.Per, time.Second)
	if now.Sub(l.lastSweep) < maxPer && len(l.chats) < 4096 {
		return
	}
	l.lastSweep = now
	for id, c := range l.chats {
		c.times = dropBefore(c.times, now.Add(-l.lim.chatLimit(id).Per))
		if len(c.times) == 0 && !c.notBefore.After(now) {
			delete(l.chats, id)
		}
	}
}

func dropBefore(ts []time.Time, cut time.Time) []time.Time {
	i := 0
	for i < len(ts) && ts[i].Before(cut) {
		i++
	}
	if i == 0 {
		return ts
	}
	return append(ts[:0], ts[i:]...)
}

// removeOne deletes one entry equal to t from the sorted log ts, if any.
func removeOne(ts []time.Time, t time.Time) []time.Time {
	i := sort.Search(len(ts), func(i int) bool { return !ts[i].Before(t) })
	if i == len(ts) || !ts[i].Equal(t) {
		return ts
	}
	return append(ts[:i], ts[i+1:]...)
}

func insertSorted(ts []time.Time, t time.Time) []time.Time {
	i := sort.Search(len(ts), func(i int) bool { return ts[i].After(t) })
	ts = append(ts, time.Time{})
	copy(ts[i+1:], ts[i:])
	ts[i] = t
	return ts
}

// earliest is the first t ≥ from whose insertion into the sorted log ts
// keeps every N+1 consecutive entries at least Per apart. The set of valid
// times is a union of intervals whose left ends are from, an entry, or an
// entry + Per; the last entry + Per is always valid.
func earliest(ts []time.Time, l Limit, from time.Time) time.Time {
	if l.unlimited() || valid(ts, l, from) {
		return from
	}
	cands := make([]time.Time, 0, 2*len(ts))
	for _, e := range ts {
		for _, c := range [2]time.Time{e, e.Add(l.Per)} {
			if c.After(from) {
				cands = append(cands, c)
			}
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].Before(cands[j]) })
	for _, c := range cands {
		if valid(ts, l, c) {
			return c
		}
	}
	return ts[len(ts)-1].Add(l.Per) // unreachable: the last candidate is valid
}

// valid reports whether inserting t into the sorted log ts keeps every run of
// N+1 consecutive entries spanning at least Per.
func valid(ts []time.Time, l Limit, t time.Time) bool {
	p := sort.Search(len(ts), func(i int) bool { return ts[i].After(t) })
	at := func(k int) time.Time { // the log with t inserted at p
		switch {
		case k < p:
			return ts[k]
		case k == p:
			return t
		}
		return ts[k-1]
	}
	n := len(ts) + 1
	for i := max(0, p-l.N); i <= p; i++ {
		if j := i + l.N; j < n && at(j).Sub(at(i)) < l.Per {
			return false
		}
	}
	return true
}
