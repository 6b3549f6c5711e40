package telegram

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
)

func TestLimiterReservations(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	lim := SendLimits{}.withDefaults()

	t.Run("private chat: one per second, in order", func(t *testing.T) {
		l := newLimiter(lim)
		for i := range 5 {
			if got := l.reserve(t0, 7); !got.Equal(t0.Add(time.Duration(i) * time.Second)) {
				t.Errorf("send %d at %v", i, got.Sub(t0))
			}
		}
	})
	t.Run("group: 20 per minute as a sliding window", func(t *testing.T) {
		l := newLimiter(lim)
		var ts []time.Time
		for i := range 45 {
			now := t0.Add(time.Duration(i) * 100 * time.Millisecond)
			ts = append(ts, l.reserve(now, -100))
		}
		if n := countViolations(ts, lim.Group); n != 0 {
			t.Errorf("%d violations", n)
		}
		if !ts[19].Before(t0.Add(2*time.Second)) || ts[20].Sub(ts[0]) != time.Minute || ts[40].Sub(ts[20]) != time.Minute {
			t.Errorf("window: 20th at %v, 21st at %v, 41st at %v", ts[19].Sub(t0), ts[20].Sub(t0), ts[40].Sub(t0))
		}
	})
	t.Run("global: 30 per second across chats", func(t *testing.T) {
		l := newLimiter(lim)
		var ts []time.Time
		for i := range 100 {
			ts = append(ts, l.reserve(t0, int64(1000+i)))
		}
		if n := countViolations(ts, lim.Global); n != 0 {
			t.Errorf("%d violations", n)
		}
		if !ts[29].Equal(t0) || !ts[30].Equal(t0.Add(time.Second)) || !ts[99].Equal(t0.Add(3*time.Second)) {
			t.Errorf("30th %v, 31st %v, 100th %v", ts[29].Sub(t0), ts[30].Sub(t0), ts[99].Sub(t0))
		}
	})
	t.Run("a waiting chat does not hold others back", func(t *testing.T) {
		l := newLimiter(lim)
		l.reserve(t0, 1)
		if got := l.reserve(t0, 1); !got.Equal(t0.Add(time.Second)) {
			t.Fatalf("second message to chat 1 at %v", got.Sub(t0))
		}
		if got := l.reserve(t0, 2); !got.Equal(t0) {
			t.Errorf("chat 2 waits behind chat 1 until %v", got.Sub(t0))
		}
	})
	t.Run("global slots fill gaps left by future reservations", func(t *testing.T) {
		l := newLimiter(SendLimits{Global: Limit{N: 2, Per: time.Second}}.withDefaults())
		// Chat 1 takes t0 and t0+1s; chat 2 then fits at t0 (2 in [t0,t0+1s)).
		a, b := l.reserve(t0, 1), l.reserve(t0, 1)
		c := l.reserve(t0, 2)
		d := l.reserve(t0, 3)
		ts := []time.Time{a, b, c, d}
		if n := countViolations(ts, Limit{N: 2, Per: time.Second}); n != 0 {
			t.Errorf("violations: %v", ts)
		}
		if !c.Equal(t0) || d.Before(t0.Add(time.Second)) {
			t.Errorf("reservations %v %v %v %v", a.Sub(t0), b.Sub(t0), c.Sub(t0), d.Sub(t0))
		}
	})
	t.Run("429 penalty", func(t *testing.T) {
		l := newLimiter(lim)
		l.penalize(5, t0.Add(7*time.Second))
		if got := l.reserve(t0, 5); !got.Equal(t0.Add(7 * time.Second)) {
			t.Errorf("after penalty at %v", got.Sub(t0))
		}
	})
	t.Run("released slots are free again", func(t *testing.T) {
		// One per second overall: 60 waiters book a minute ahead; all
		// but the first give up (their contexts ended) and release.
		l := newLimiter(SendLimits{Global: Limit{N: 1, Per: time.Second}}.withDefaults())
		var booked []time.Time
		for i := range 60 {
			booked = append(booked, l.reserve(t0, int64(100+i)))
		}
		if last := booked[59].Sub(t0); last != 59*time.Second {
			t.Fatalf("60th booking at %v", last)
		}
		for i, at := range booked[1:] {
			l.release(int64(101+i), at)
		}
		now := t0.Add(500 * time.Millisecond)
		if got := l.next(now, 7); !got.Equal(t0.Add(time.Second)) {
			t.Errorf("next free slot at %v, want 1s (after the one real send)", got.Sub(t0))
		}
		if got := l.reserve(now, 7); !got.Equal(t0.Add(time.Second)) {
			t.Errorf("a send after the released burst booked at %v, want 1s", got.Sub(t0))
		}
		// A chat's own log is released too: its next message is not held
		// back by its cancelled one.
		l = newLimiter(lim)
		first, second := l.reserve(t0, 5), l.reserve(t0, 5)
		l.release(5, second)
		if got := l.reserve(t0.Add(time.Second), 5); !got.Equal(t0.Add(time.Second)) || !first.Equal(t0) {
			t.Errorf("chat 5 after a release: %v", got.Sub(t0))
		}
		// Releasing what is not booked changes nothing.
		l.release(5, t0.Add(time.Hour))
		l.release(99, t0)
		if got := l.next(t0.Add(time.Second), 5); !got.Equal(t0.Add(2 * time.Second)) {
			t.Errorf("after stray releases: %v", got.Sub(t0))
		}
	})
	t.Run("next books nothing", func(t *testing.T) {
		l := newLimiter(lim)
		for range 3 {
			if got := l.next(t0, 9); !got.Equal(t0) {
				t.Fatalf("next = %v", got.Sub(t0))
			}
		}
		l.reserve(t0, 9)
		if got := l.next(t0, 9); !got.Equal(t0.Add(time.Second)) {
			t.Errorf("next after a booking = %v", got.Sub(t0))
		}
	})
	t.Run("idle chats are forgotten", func(t *testing.T) {
		l := newLimiter(lim)
		for i := range 100 {
			l.reserve(t0, int64(i+1))
		}
		l.reserve(t0.Add(2*time.Minute), 999)
		if n := len(l.chats); n != 1 {
			t.Errorf("%d chat logs kept", n)
		}
	})
	t.Run("unlimited", func(t *testing.T) {
		l := newLimiter(SendLimits{Global: Limit{N: -1}, Private: Limit{N: -1}}.withDefaults())
		for range 100 {
			if got := l.reserve(t0, 1); !got.Equal(t0) {
				t.Fatal("unlimited limiter waited")
			}
		}
	})
}

// TestSenderRateLimitsConcurrent: many goroutines send to private chats and
// groups at once; the fake Bot API's own window check sees no violation.
func TestSenderRateLimitsConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	chats := []int64{11, 12, 13, 14, 15, 16, 17, 18, -21, -22, -23}
	const perChat = 24
	start := e.clock.Now()
	var failures atomic.Int32
	e.clock.Parallel(len(chats)*3, func(i int) {
		chat := chats[i%len(chats)]
		for j := range perChat / 3 {
			if _, err := e.a.Sender().Send(context.Background(), chat, tgbotapi.NewMessage(chat, fmt.Sprintf("m%d-%d", i, j))); err != nil {
				failures.Add(1)
			}
		}
	})
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d sends failed", n)
	}
	total := len(chats) * perChat
	if n := e.api.Count("sendMessage"); n != total {
		t.Fatalf("fake saw %d messages, want %d", n, total)
	}
	if v := e.api.Violations(); v != 0 {
		t.Errorf("fake Bot API saw %d rate-limit violations", v)
	}
	// Simulated time, not wall clock: a group needs 2 windows for 24
	// messages, so the run takes at least one minute of simulated time.
	if el := e.clock.Now().Sub(start); el < time.Minute {
		t.Errorf("simulated duration %v: group limit not applied", el)
	}
	for _, c := range chats {
		if c > 0 {
			ts := e.api.SendTimes(c)
			if got := ts[len(ts)-1].Sub(ts[0]); got < (perChat-1)*time.Second {
				t.Errorf("chat %d: %d messages in %v", c, perChat, got)
			}
		}
	}
}

func TestSender429(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	e.api.Inject("sendMessage", fault{Code: 429, Desc: "Too Many Requests: retry after 3", RetryAfter: 3})
	if _, err := e.a.Sender().Send(context.Background(), 1001, tgbotapi.NewMessage(1001, "hi")); err != nil {
		t.Fatal(err)
	}
	calls := e.api.Calls("sendMessage")
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Status != 200 {
		t.Fatalf("calls %+v", calls)
	}
	if wait := calls[1].At.Sub(calls[0].At); wait < 3*time.Second {
		t.Errorf("retried after %v, want ≥ retry_after 3s", wait)
	}
	if e.events.get(EventRetry429) != 1 || e.events.get(EventSendOK) != 1 {
		t.Errorf("events %v", e.events.n)
	}
	// Other messages to that chat also wait for the penalty.
	e.api.Inject("sendMessage", fault{Code: 429, Desc: "Too Many Requests: retry after 30", RetryAfter: 30})
	before := e.clock.Now()
	if _, err := e.a.Sender().Send(context.Background(), 1001, tgbotapi.NewMessage(1001, "again")); err != nil {
		t.Fatal(err)
	}
	if e.clock.Now().Sub(before) < 30*time.Second {
		t.Errorf("penalty not waited out")
	}
	// A retry_after beyond MaxRetryAfter fails at once, counted and logged.
	e.api.Inject("sendMessage", fault{Code: 429, Desc: "Too Many Requests: retry after 3600", RetryAfter: 3600})
	if _, err := e.a.Sender().Send(context.Background(), 1002, tgbotapi.NewMessage(1002, "x")); err == nil {
		t.Error("hour-long flood wait accepted")
	}
	if e.events.get(EventSendFailed) != 1 || !strings.Contains(e.logs.String(), "telegram request failed") {
		t.Errorf("final failure not counted/logged: %v", e.events.n)
	}
}

func TestSender403NotRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	e.api.Inject("sendMessage", fault{Code: 403, Desc: "Forbidden: bot was blocked by the user"})
	_, err := e.a.Sender().Send(context.Background(), 1001, tgbotapi.NewMessage(1001, "hi"))
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("err = %v, want ErrBlocked", err)
	}
	if n := e.api.Count("sendMessage"); n != 1 {
		t.Errorf("403 retried: %d calls", n)
	}
	if len(e.reach) != 1 || e.reach[0] != (reachEvent{1001, false}) || e.events.get(EventBlocked) != 1 {
		t.Errorf("reach %v events %v", e.reach, e.events.n)
	}
	// A multi-message reply stops at the first 403.
	e.api.Inject("sendMessage", fault{Code: 403, Desc: "Forbidden: bot was blocked by the user"})
	e.a.render(context.Background(), incoming{chatID: 1001}, []bot.Reply{{Text: "one"}, {Text: "two"}, {Text: "three"}})
	if n := e.api.Count("sendMessage"); n != 2 {
		t.Errorf("kept sending to a blocked chat: %d calls", n)
	}
}

func TestSender5xxRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	e.api.Inject("sendMessage",
		fault{Code: 502, Desc: "Bad Gateway"},
		fault{Code: 502, NonJSON: true},
		fault{Code: 500, Desc: "Internal Server Error"})
	if _, err := e.a.Sender().Send(context.Background(), 1001, tgbotapi.NewMessage(1001, "hi")); err != nil {
		t.Fatal(err)
	}
	calls := e.api.Calls("sendMessage")
	if len(calls) != 4 || calls[3].Status != 200 {
		t.Fatalf("calls %+v", calls)
	}
	// Exponential backoff: 0.5 s, 1 s, 2 s (at least; the chat limit adds none).
	for i, want := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second} {
		if got := calls[i+1].At.Sub(calls[i].At); got < want {
			t.Errorf("wait before attempt %d: %v, want ≥ %v", i+2, got, want)
		}
	}
	if n := e.events.get(EventRetry); n != 3 {
		t.Errorf("send_retry = %d, want 3", n)
	}

	// Bounded: four failures in a row give up, logged and counted.
	e.api.Inject("sendMessage", fault{Code: 500}, fault{Code: 500}, fault{Code: 500}, fault{Code: 500})
	_, err := e.a.Sender().Send(context.Background(), 1001, tgbotapi.NewMessage(1001, "hi"))
	if err == nil {
		t.Fatal("persistent 5xx succeeded")
	}
	if n := len(e.api.Calls("sendMessage")); n != 8 {
		t.Errorf("%d calls, want 4 more", n-4)
	}
	if e.events.get(EventSendFailed) != 1 {
		t.Errorf("send_failed = %d", e.events.get(EventSendFailed))
	}
	// 400 is final at once.
	e.api.Inject("sendMessage", fault{Code: 400, Desc: "Bad Request: chat not found"})
	if _, err := e.a.Sender().Send(context.Background(), 1001, tgbotapi.NewMessage(1001, "hi")); err == nil {
		t.Fatal("400 succeeded")
	}
	if n := len(e.api.Calls("sendMessage")); n != 9 {
		t.Errorf("400 retried")
	}
}

func TestSenderContextCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter(), withOptions(func(o *Options) { o.Clock, o.Sleep = nil, nil })) // real time
	e.api.Inject("sendMessage", fault{Code: 429, RetryAfter: 50})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := e.a.Sender().Send(ctx, 1001, tgbotapi.NewMessage(1001, "hi"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestTokenNeverLogged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	// Point the adapter at a server that is gone: net/http's error quotes the
	// request URL, token included.
	dead := newFakeAPI(t, testToken, e.clock.Now)
	dead.Close()
	e.a.bot.SetAPIEndpoint(dead.Endpoint())
	_, err := e.a.Sender().Send(context.Background(), 1001, tgbotapi.NewMessage(1001, "hi"))
	if err == nil {
		t.Fatal("send to a closed server succeeded")
	}
	if strings.Contains(err.Error(), testToken) || !strings.Contains(err.Error(), tokenMask) {
		t.Errorf("error not scrubbed: %v", err)
	}
	if !strings.Contains(e.logs.String(), "telegram request failed") {
		t.Error("final failure not logged")
	}
	// (newEnv's cleanup fails the test if the token reached the log.)

	// New with a rejected token: the error names no token either.
	_, err = New(context.Background(), Options{Token: "999:wrong-token", APIEndpoint: e.api.Endpoint(), Router: e.router, Mode: ModePolling})
	if err == nil || strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("New with a bad token: %v", err)
	}
	_, err = New(context.Background(), Options{Token: "999:wrong-token", APIEndpoint: dead.Endpoint(), Router: e.router, Mode: ModePolling})
	if err == nil || strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("New against a dead server: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	ok := Options{Token: testToken, APIEndpoint: e.api.Endpoint(), Router: e.router, WebhookSecret: testSecret, PublicURL: testPublic}
	for name, mod := range map[string]func(*Options){
		"no token":          func(o *Options) { o.Token = "" },
		"no router":         func(o *Options) { o.Router = nil },
		"bad endpoint":      func(o *Options) { o.APIEndpoint = "http://x/bot%s" },
		"bad mode":          func(o *Options) { o.Mode = "push" },
		"webhook no secret": func(o *Options) { o.WebhookSecret = "" },
		"secret bad chars":  func(o *Options) { o.WebhookSecret = "a b" },
		"webhook over http": func(o *Options) { o.Mode, o.PublicURL = ModeWebhook, "http://shop.example" },
	} {
		o := ok
		mod(&o)
		if _, err := New(context.Background(), o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	a, err := New(context.Background(), ok)
	if err != nil {
		t.Fatal(err)
	}
	if a.Mode() != ModeWebhook || a.Username() != fakeBotName {
		t.Errorf("mode %q username %q", a.Mode(), a.Username())
	}
	ok.PublicURL = ""
	if a, err = New(context.Background(), ok); err != nil || a.Mode() != ModePolling {
		t.Errorf("default mode without https: %v %v", a, err)
	}
}

func TestSetWebhookAndCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	ctx := context.Background()
	if err := e.a.SetWebhook(ctx); err != nil {
		t.Fatal(err)
	}
	p := e.api.Calls("setWebhook")[0].Params
	if p.Get("url") != testPublic+WebhookPath || p.Get("secret_token") != testSecret ||
		p.Get("allowed_updates") != `["message","channel_post","callback_query","my_chat_member","pre_checkout_query"]` {
		t.Errorf("setWebhook params %v", p)
	}
	if err := e.a.SetCommands(ctx); err != nil {
		t.Fatal(err)
	}
	calls := e.api.Calls("setMyCommands")
	langs := map[string]string{}
	for _, c := range calls {
		langs[c.Params.Get("language_code")] = c.Params.Get("commands")
	}
	if len(calls) != 4 || len(langs) != 4 {
		t.Fatalf("setMyCommands calls: %d %v", len(calls), langs)
	}
	for code, word := range map[string]string{"": "浏览商品", "zh": "浏览商品", "en": "Browse the shop", "ru": "Каталог"} {
		if !strings.Contains(langs[code], word) {
			t.Errorf("language %q: %s", code, langs[code])
		}
		for _, cmd := range []string{"start", "shop", "cart", "orders", "lang", "help"} {
			if !strings.Contains(langs[code], `"command":"`+cmd+`"`) {
				t.Errorf("language %q lacks /%s", code, cmd)
			}
		}
	}
	// 5xx during setup is retried like any request.
	e.api.Inject("setWebhook", fault{Code: 503, Desc: "Service Unavailable"})
	if err := e.a.SetWebhook(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestPoll(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withOptions(func(o *Options) { o.Mode, o.PollTimeout = ModePolling, time.Second }))
	e.api.pushUpdate(textUpdate(100, private(alice), alice, "/help"))
	e.api.pushUpdate(textUpdate(101, private(boris), boris, "/start"))
	e.api.pushUpdate(textUpdate(102, private(alice), alice, "/cart"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.Poll(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for e.api.Count("sendMessage") < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Poll: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Poll did not stop when its context ended")
	}
	calls := e.api.Calls("deleteWebhook", "getUpdates")
	if len(calls) < 2 || calls[0].Method != "deleteWebhook" {
		t.Fatalf("first call %v, want deleteWebhook", calls)
	}
	if n := e.api.Count("sendMessage"); n != 3 {
		t.Errorf("%d replies, want 3", n)
	}
	// Alice's two messages were answered in order.
	ms := e.api.Messages(alice.ID)
	if len(ms) != 2 || !strings.Contains(ms[0].Text, "/shop") {
		t.Errorf("alice got %d messages", len(ms))
	}
	// The last getUpdates confirmed the batch.
	gs := e.api.Calls("getUpdates")
	if last := gs[len(gs)-1].Params.Get("offset"); last != "103" {
		t.Errorf("last offset %q, want 103", last)
	}

	// A rejected token ends Poll with an error.
	e = newEnv(t, noRouter(), withOptions(func(o *Options) { o.Mode = ModePolling }))
	e.api.Inject("getUpdates", fault{Code: 401, Desc: "Unauthorized"})
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.a.Poll(ctx); err == nil {
		t.Error("Poll ignored 401")
	}
}
