package telegramtest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// WebhookPath and SecretHeader are where and how Telegram delivers updates
// to the adapter (POST, setWebhook's secret_token in the header).
const (
	WebhookPath  = "/telegram/webhook"
	SecretHeader = "X-Telegram-Bot-Api-Secret-Token"
)

// BenchOptions configures Bench. Zero fields take the defaults.
type BenchOptions struct {
	Updates     int // updates to deliver; default 1000
	Concurrency int // parallel deliveries (Telegram's max_connections); default 16
	Users       int // distinct users, each in their private chat, round robin; default 64
	// CallbackEvery makes every n-th update a button press; default 3
	// (a third), negative for text only.
	CallbackEvery int
	Texts         []string // typed texts, cycled; default a browsing mix of commands
	Actions       []string // callback data, cycled; default main-menu actions
	Langs         []string // users' language_code, cycled; default en, ru, zh-hans
	// FirstUpdateID numbers the updates (they must be new to the router's
	// de-duplication); default derived from the current time.
	FirstUpdateID int64
	FirstUserID   int64 // default 700000000
	// API, when set, is the fake the handler sends to: a button press then
	// targets the newest message the fake sent to that chat (so edits can
	// succeed, as in real use) instead of a stand-in message.
	API  *FakeAPI
	Path string // default WebhookPath
}

// BenchResult is what Bench measured. A latency is the time the handler took
// to acknowledge one update; the adapter processes updates synchronously,
// so it includes routing and sending the replies.
type BenchResult struct {
	Updates, Callbacks int
	Elapsed            time.Duration
	PerSecond          float64
	P50, P99, Max      time.Duration
	Failed             int // answered anything but 200
}

func (r BenchResult) String() string {
	return fmt.Sprintf("%d webhook updates (%d callbacks) in %v: %.0f updates/s, ack p50 %v, p99 %v, max %v, failed %d",
		r.Updates, r.Callbacks, r.Elapsed.Round(time.Millisecond), r.PerSecond, r.P50.Round(time.Microsecond),
		r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond), r.Failed)
}

// Bench delivers o.Updates webhook updates — typed texts and button presses
// of many users — concurrently straight into h (no network), with the
// secret header, and measures each acknowledgement. h is the app's whole
// handler (middleware included) or the adapter's mux; updates go to
// o.Path. It stops early when ctx ends.
func Bench(ctx context.Context, h http.Handler, secret string, o BenchOptions) BenchResult {
	if o.Updates <= 0 {
		o.Updates = 1000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.Users <= 0 {
		o.Users = 64
	}
	if o.CallbackEvery == 0 {
		o.CallbackEvery = 3
	}
	if len(o.Texts) == 0 {
		o.Texts = []string{"/start", "/shop", "/cart", "/help", "hello", "/orders"}
	}
	if len(o.Actions) == 0 {
		o.Actions = []string{"cats", "cart", "home", "help"}
	}
	if len(o.Langs) == 0 {
		o.Langs = []string{"en", "ru", "zh-hans"}
	}
	if o.FirstUpdateID <= 0 {
		// Microseconds since 2020: new on every run, far below 2^53.
		o.FirstUpdateID = time.Since(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)).Microseconds()
	}
	if o.FirstUserID <= 0 {
		o.FirstUserID = 700_000_000
	}
	if o.Path == "" {
		o.Path = WebhookPath
	}
	lat := make([]time.Duration, o.Updates)
	var next, failed, callbacks atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range o.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= o.Updates {
					return
				}
				uid := o.FirstUserID + int64(i%o.Users)
				lang := o.Langs[(i%o.Users)%len(o.Langs)]
				id := o.FirstUpdateID + int64(i)
				var body []byte
				if o.CallbackEvery > 0 && i%o.CallbackEvery == o.CallbackEvery-1 {
					callbacks.Add(1)
					data := o.Actions[(i/o.CallbackEvery)%len(o.Actions)]
					if m, ok := o.pressable(uid); ok {
						body = o.API.CallbackOn(id, uid, m, data, lang)
					} else {
						body = CallbackUpdate(id, uid, uid, 1, data, lang)
					}
				} else {
					body = TextUpdate(id, uid, uid, o.Texts[i%len(o.Texts)], lang)
				}
				req := httptest.NewRequest(http.MethodPost, o.Path, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(SecretHeader, secret)
				rec := httptest.NewRecorder()
				t0 := time.Now()
				h.ServeHTTP(rec, req)
				lat[i] = time.Since(t0)
				if rec.Code != http.StatusOK {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	done := min(int(next.Load()), o.Updates)
	lat = lat[:done]
	slices.Sort(lat)
	res := BenchResult{Updates: done, Callbacks: int(callbacks.Load()), Elapsed: elapsed, Failed: int(failed.Load())}
	if done > 0 {
		res.PerSecond = float64(done) / elapsed.Seconds()
		res.P50, res.P99, res.Max = percentile(lat, 0.50), percentile(lat, 0.99), lat[done-1]
	}
	return res
}

// pressable is the newest message the fake sent to chat that has inline
// buttons.
func (o *BenchOptions) pressable(chat int64) (Message, bool) {
	if o.API == nil {
		return Message{}, false
	}
	m, _, ok := o.API.WithButton(chat, "")
	return m, ok
}

// percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(p*float64(len(sorted))+0.999999999) - 1
	return sorted[max(0, min(len(sorted)-1, k))]
}

// SendFunc sends one text message to a chat through the sender under test,
// e.g. func(ctx context.Context, chat int64, text string) error {
// return adapter.SendReply(ctx, strconv.FormatInt(chat, 10), bot.Reply{Text: text}) }.
type SendFunc func(ctx context.Context, chatID int64, text string) error

// SenderOptions configures BenchSender. Zero fields take the defaults.
type SenderOptions struct {
	// Duration is how long new messages are started (real time); default
	// 10 s. Messages already waiting for their slot then still go out, which
	// with the defaults adds about a second.
	Duration     time.Duration
	Concurrency  int   // parallel senders; default 32
	PrivateChats int   // private chats, round robin with the groups; default 200
	Groups       int   // groups; default 4
	FirstChatID  int64 // private chats count up from it, groups down from its negative; default 600000000
}

// SenderResult is what BenchSender measured, from the fake's point of view.
type SenderResult struct {
	Sent, Failed int
	// Span is the time from the first to the last message the fake
	// received.
	Span time.Duration
	// PerSecond is the messages the fake received per second of Span. Over
	// a short run it exceeds the global limit's N/Per by up to N/Span: a
	// sliding window lets the first N go at once.
	PerSecond float64
	// OfLimit is how fully the global limit (N per Per) was used: the
	// shortest span the limit allows for that many messages, (⌈n/N⌉−1)·Per,
	// divided by Span. 1 = the limit fully used; more than 1 is impossible
	// without exceeding it (up to the fake's tolerance).
	OfLimit    float64
	Limit      Limit // the fake's global limit
	Violations int   // flood-limit violations the fake saw during the run (must be 0)
}

func (r SenderResult) String() string {
	return fmt.Sprintf("%d messages in %v (%d failed): %.1f msgs/s, %.3f of the %d/%v global limit used, %d flood-limit violations",
		r.Sent, r.Span.Round(time.Millisecond), r.Failed, r.PerSecond, r.OfLimit, r.Limit.N, r.Limit.Per, r.Violations)
}

// BenchSender sends messages through send from o.Concurrency goroutines to
// many private chats and a few groups for o.Duration, against api (which
// send must reach), and reports the rate the sender achieved relative to
// the global limit and the violations api counted in the meantime. The
// sender should run with its default limits: the point is that it uses
// them fully and never exceeds them. It stops early when ctx ends.
func BenchSender(ctx context.Context, api *FakeAPI, send SendFunc, o SenderOptions) SenderResult {
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.PrivateChats <= 0 {
		o.PrivateChats = 200
	}
	if o.Groups < 0 {
		o.Groups = 0
	} else if o.Groups == 0 {
		o.Groups = 4
	}
	if o.FirstChatID <= 0 {
		o.FirstChatID = 600_000_000
	}
	chats := make([]int64, 0, o.PrivateChats+o.Groups)
	for i := range o.PrivateChats {
		chats = append(chats, o.FirstChatID+int64(i))
	}
	// Groups interleaved, so each gets its share from the start.
	for g := range o.Groups {
		at := (g + 1) * len(chats) / (o.Groups + 1)
		chats = slices.Insert(chats, at, -(o.FirstChatID + int64(g)))
	}
	before := api.Violations()
	seen := map[int64]int{}
	for _, c := range chats {
		seen[c] = len(api.SendTimes(c))
	}
	var next, sent, failed atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(o.Duration)
	for range o.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := next.Add(1) - 1
				chat := chats[i%int64(len(chats))]
				if err := send(ctx, chat, fmt.Sprintf("bench message %d", i)); err != nil {
					failed.Add(1)
				} else {
					sent.Add(1)
				}
			}
		})
	}
	wg.Wait()
	var ts []time.Time
	for _, c := range chats {
		ts = append(ts, api.SendTimes(c)[seen[c]:]...)
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	lim := api.Limits().Global
	res := SenderResult{Sent: int(sent.Load()), Failed: int(failed.Load()), Limit: lim, Violations: api.Violations() - before}
	if len(ts) > 1 {
		res.Span = ts[len(ts)-1].Sub(ts[0])
	}
	if n := len(ts); res.Span > 0 {
		res.PerSecond = float64(n) / res.Span.Seconds()
		if lim.N > 0 {
			best := time.Duration((n+lim.N-1)/lim.N-1) * lim.Per
			res.OfLimit = float64(best) / float64(res.Span)
		}
	}
	return res
}
