package telegram

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/store/sqlstore"
	"shopbot/templates"
)

const (
	testToken  = "123456789:AAE-test_TOKEN_never_logged"
	testSecret = "hook-Secret_42-abcdef"
	testPublic = "https://shop.example"
)

// simClock is simulated time for the Sender. Time moves only when every
// participant is asleep, and then jumps to the earliest wake-up, so a
// sleeper wakes exactly at its target and a request made right after a
// reservation carries the reserved time. Sequential code (no Parallel) has
// its sleeps return at once with the clock advanced.
type simClock struct {
	mu       sync.Mutex
	now      time.Time
	active   int
	sleepers []*sleeper
}

type sleeper struct {
	until time.Time
	ch    chan struct{}
}

func newSimClock() *simClock {
	return &simClock{now: time.Date(2030, 1, 1, 8, 0, 0, 0, time.UTC)}
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	c.mu.Lock()
	s := &sleeper{until: c.now.Add(d), ch: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	c.active--
	c.advance()
	c.mu.Unlock()
	select {
	case <-s.ch:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, x := range c.sleepers {
			if x == s {
				c.sleepers = append(c.sleepers[:i], c.sleepers[i+1:]...)
				c.active++
				break
			}
		}
		return ctx.Err()
	}
}

// advance wakes the earliest sleepers while nobody is running. mu held.
func (c *simClock) advance() {
	for c.active <= 0 && len(c.sleepers) > 0 {
		next := c.sleepers[0].until
		for _, s := range c.sleepers {
			if s.until.Before(next) {
				next = s.until
			}
		}
		if next.After(c.now) {
			c.now = next
		}
		keep := c.sleepers[:0]
		for _, s := range c.sleepers {
			if s.until.After(c.now) {
				keep = append(keep, s)
				continue
			}
			c.active++
			close(s.ch)
		}
		c.sleepers = keep
	}
}

// Parallel runs f(0..n-1) as participants of the simulation and waits.
func (c *simClock) Parallel(n int, f func(i int)) {
	c.mu.Lock()
	c.active += n
	c.mu.Unlock()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			defer func() {
				c.mu.Lock()
				c.active--
				c.advance()
				c.mu.Unlock()
			}()
			f(i)
		})
	}
	wg.Wait()
}

// counter records OnEvent names.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) add(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[name]++
}

func (c *counter) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name]
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type reachEvent struct {
	chat      int64
	reachable bool
}

// testEnv is an adapter wired to the fake Bot API and, unless noRouter, a
// real router on a SQLite store seeded with the demo catalog.
type testEnv struct {
	api    *fakeAPI
	a      *Adapter
	clock  *simClock
	events *counter
	logs   *syncBuffer
	db     *sql.DB
	store  *sqlstore.Store
	shop   *commerce.Shop
	router *bot.Router
	mux    *http.ServeMux

	mu    sync.Mutex
	reach []reachEvent
}

type envOption func(*envConfig)

type envConfig struct {
	opts       []func(*Options)
	routerOpts []func(*testEnv, *bot.Options)
	noRouter   bool
	bubble     bool
}

func withOptions(f func(*Options)) envOption {
	return func(c *envConfig) { c.opts = append(c.opts, f) }
}

func noRouter() envOption { return func(c *envConfig) { c.noRouter = true } }

// inBubble is for tests run inside a testing/synctest bubble: the adapter
// keeps its default clock and sleep (the bubble's fake time) and reaches an
// in-process fake Bot API, which checks the flood limits on that time with
// exact windows. e.clock is unused then.
func inBubble() envOption { return func(c *envConfig) { c.bubble = true } }

// withRouter changes the router's options (the store is open by then).
func withRouter(f func(*testEnv, *bot.Options)) envOption {
	return func(c *envConfig) { c.routerOpts = append(c.routerOpts, f) }
}

func newEnv(t testing.TB, eo ...envOption) *testEnv {
	t.Helper()
	var cfg envConfig
	for _, f := range eo {
		f(&cfg)
	}
	ctx := context.Background()
	e := &testEnv{clock: newSimClock(), events: &counter{}, logs: &syncBuffer{}, mux: http.NewServeMux()}
	if cfg.bubble {
		f := telegramtest.NewFakeAPIWith(telegramtest.Options{Token: testToken, InProcess: true, Tolerance: -1})
		e.api = &fakeAPI{FakeAPI: f, t: t}
	} else {
		e.api = newFakeAPI(t, testToken, e.clock.Now)
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if cfg.noRouter {
		e.router = bot.NewRouter(bot.Options{Texts: templates.MustLoad()})
	} else {
		e.store = testenv.DemoSQLite(t)
		e.db = e.store.DB()
		e.shop = commerce.NewShop(commerce.ShopOptions{Store: e.store})
		ro := bot.Options{Shop: e.shop, Sessions: e.store, Dedupe: e.store, Texts: templates.MustLoad(), Log: log}
		for _, f := range cfg.routerOpts {
			f(e, &ro)
		}
		e.router = bot.NewRouter(ro)
	}
	o := Options{
		Token: testToken, APIEndpoint: e.api.Endpoint(), WebhookSecret: testSecret, PublicURL: testPublic,
		Mode: ModeWebhook, Router: e.router, Log: log, Clock: e.clock.Now, Sleep: e.clock.Sleep,
		OnEvent: e.events.add,
		OnReachable: func(_ context.Context, chat int64, ok bool) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.reach = append(e.reach, reachEvent{chat, ok})
		},
	}
	if cfg.bubble {
		o.Clock, o.Sleep, o.HTTPClient = nil, nil, e.api.Client()
	}
	for _, f := range cfg.opts {
		f(&o)
	}
	a, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	e.a = a
	a.Register(e.mux)
	t.Cleanup(func() {
		if strings.Contains(e.logs.String(), testToken) {
			t.Errorf("the bot token appears in the log")
		}
	})
	return e
}

// post delivers a raw webhook body with the given secret header ("" = none).
func (e *testEnv) post(body, secret string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, WebhookPath, strings.NewReader(body))
	if secret != "" {
		req.Header.Set(secretHeader, secret)
	}
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	return rec
}

// deliver posts an update the way Telegram does and expects 200.
func (e *testEnv) deliver(t testing.TB, u tgbotapi.Update) {
	t.Helper()
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	if rec := e.post(string(b), testSecret); rec.Code != http.StatusOK {
		t.Fatalf("update %d: status %d %s", u.UpdateID, rec.Code, rec.Body)
	}
}

// press delivers a callback query for the button with data on msg.
func (e *testEnv) press(t testing.TB, updateID int, from *tgbotapi.User, msg fakeMsg, data string) {
	t.Helper()
	e.deliver(t, tgbotapi.Update{UpdateID: updateID, CallbackQuery: &tgbotapi.CallbackQuery{
		ID: "cbq" + itoa(int64(updateID)), From: from, Message: e.api.asMessage(msg), Data: data, ChatInstance: "ci",
	}})
}

var (
	alice = &tgbotapi.User{ID: 1001, FirstName: "Alice", LanguageCode: "en"}
	boris = &tgbotapi.User{ID: 1002, FirstName: "Борис", LanguageCode: "ru"}
)

func private(u *tgbotapi.User) *tgbotapi.Chat {
	return &tgbotapi.Chat{ID: u.ID, Type: "private", FirstName: u.FirstName}
}

var group = &tgbotapi.Chat{ID: -1001234, Type: "supergroup", Title: "Buyers"}

func textUpdate(id int, chat *tgbotapi.Chat, from *tgbotapi.User, text string) tgbotapi.Update {
	return tgbotapi.Update{UpdateID: id, Message: &tgbotapi.Message{MessageID: id * 10, From: from, Chat: chat, Date: 1, Text: text}}
}
