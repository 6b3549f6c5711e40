package wechat_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"shopbot/bot/wechat"
	"shopbot/internal/testenv"
	"shopbot/store/redis"
)

// The memory stores implement the adapter's state interfaces (the Redis
// stores are checked in store/redis's tests).
var (
	_ wechat.ChoiceStore = (*wechat.MemoryChoices)(nil)
	_ wechat.WindowStore = (*wechat.MemoryWindows)(nil)
)

// stateImpl is one implementation of the adapter's state, on clock.
type stateImpl struct {
	name    string
	choices func(t *testing.T, clock func() time.Time) wechat.ChoiceStore
	windows func(t *testing.T, clock func() time.Time) wechat.WindowStore
}

// stateImpls are the in-memory stores (the reference) and the Redis ones on
// miniredis; store/redis runs its own tests on a real server as well.
func stateImpls() []stateImpl {
	return []stateImpl{
		{
			name:    "memory",
			choices: func(_ *testing.T, clock func() time.Time) wechat.ChoiceStore { return wechat.NewMemoryChoices(clock) },
			windows: func(_ *testing.T, clock func() time.Time) wechat.WindowStore { return wechat.NewMemoryWindows(clock) },
		},
		{
			name: "redis",
			choices: func(t *testing.T, clock func() time.Time) wechat.ChoiceStore {
				return redis.NewWeChatChoices(miniClient(t), "shopbot:", clock)
			},
			windows: func(t *testing.T, _ func() time.Time) wechat.WindowStore {
				return redis.NewWeChatWindows(miniClient(t), "shopbot:", wechat.KFWindow)
			},
		},
	}
}

func miniClient(t *testing.T) goredis.UniversalClient {
	t.Helper()
	m := miniredis.RunT(t)
	client := goredis.NewClient(&goredis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	return client
}

var stateT0 = time.Date(2030, 5, 1, 10, 0, 0, 0, time.UTC)

func TestChoiceStores(t *testing.T) {
	t.Parallel()
	for _, impl := range stateImpls() {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			clock := testenv.NewClock(stateT0)
			s := impl.choices(t, clock.Now)

			if c, ok, err := s.LoadChoices(ctx, "oA"); err != nil || ok || !reflect.DeepEqual(c, wechat.Choices{}) {
				t.Fatalf("LoadChoices of nobody = %+v, %v, %v", c, ok, err)
			}
			actions := []string{"cat:1", "cat:2", "", "商品"}
			c1, err := s.SaveChoices(ctx, "oA", actions, "en", wechat.ChoicesTTL)
			if err != nil {
				t.Fatal(err)
			}
			want := wechat.Choices{Gen: c1.Gen, Actions: []string{"cat:1", "cat:2", "", "商品"}, Lang: "en"}
			if c1.Gen <= stateT0.UnixMilli() || !reflect.DeepEqual(c1, want) {
				t.Fatalf("SaveChoices = %+v; want %+v with Gen above the clock's ms", c1, want)
			}
			actions[0] = "changed"
			if c, ok, err := s.LoadChoices(ctx, "oA"); err != nil || !ok || !reflect.DeepEqual(c, want) {
				t.Fatalf("LoadChoices = %+v, %v, %v; want %+v", c, ok, err, want)
			}

			// Every save gets a greater generation, whoever the user.
			gen := c1.Gen
			for i, id := range []string{"oA", "oB", "oA"} {
				c, err := s.SaveChoices(ctx, id, nil, "zh-CN", wechat.ChoicesTTL)
				if err != nil || c.Gen <= gen || c.Actions != nil || c.Lang != "zh-CN" {
					t.Fatalf("save %d = %+v, %v; want Gen > %d and no actions", i, c, err, gen)
				}
				gen = c.Gen
				if got, ok, _ := s.LoadChoices(ctx, id); !ok || !reflect.DeepEqual(got, c) {
					t.Fatalf("save %d: LoadChoices = %+v, %v; want %+v", i, got, ok, c)
				}
			}

			// Expiry: valid until ttl after the save, by the clock.
			clock.Advance(wechat.ChoicesTTL - time.Nanosecond)
			if _, ok, _ := s.LoadChoices(ctx, "oA"); !ok {
				t.Fatal("options gone before ChoicesTTL")
			}
			clock.Advance(time.Nanosecond)
			if c, ok, err := s.LoadChoices(ctx, "oA"); ok || err != nil {
				t.Fatalf("options after ChoicesTTL: %+v, %v, %v", c, ok, err)
			}

			// A ttl <= 0 leaves no options.
			if _, err := s.SaveChoices(ctx, "oC", []string{"a"}, "", time.Minute); err != nil {
				t.Fatal(err)
			}
			if c, err := s.SaveChoices(ctx, "oC", []string{"b"}, "", 0); err != nil || c.Gen <= gen {
				t.Fatalf("ttl 0 save = %+v, %v", c, err)
			}
			if _, ok, _ := s.LoadChoices(ctx, "oC"); ok {
				t.Fatal("options saved with ttl 0")
			}

			// ForgetChoices, also of nobody.
			if _, err := s.SaveChoices(ctx, "oD", []string{"a"}, "", time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := s.ForgetChoices(ctx, "oD"); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := s.LoadChoices(ctx, "oD"); ok {
				t.Fatal("options left after ForgetChoices")
			}
			if err := s.ForgetChoices(ctx, "never"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWindowStores(t *testing.T) {
	t.Parallel()
	for _, impl := range stateImpls() {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			clock := testenv.NewClock(stateT0)
			w := impl.windows(t, clock.Now)
			take := func(id string, now time.Time, length time.Duration) bool {
				t.Helper()
				ok, err := w.TakeWindow(ctx, id, now, length)
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			takes := func(id string, now time.Time) (n int) {
				t.Helper()
				for take(id, now, wechat.KFWindow) {
					if n++; n > 100 {
						t.Fatal("quota never runs out")
					}
				}
				return n
			}
			open := func(id string, at time.Time, quota int) {
				t.Helper()
				if err := w.OpenWindow(ctx, id, at, quota); err != nil {
					t.Fatal(err)
				}
			}
			t0 := stateT0

			if take("oA", t0, wechat.KFWindow) {
				t.Fatal("took from a window never opened")
			}
			for _, tc := range []struct {
				name        string
				opens       []windowOpen
				takenBefore int           // taken after the first open
				at          time.Duration // when the rest is taken
				want        int
			}{
				{name: "quota", opens: []windowOpen{{0, 5}}, at: time.Hour, want: 5},
				{name: "zero quota", opens: []windowOpen{{0, 0}}, want: 0},
				{name: "reopen with more", opens: []windowOpen{{0, 2}, {time.Hour, 5}}, takenBefore: 1, at: time.Hour, want: 5},
				{name: "reopen keeps more left", opens: []windowOpen{{0, 5}, {wechat.KFWindow - time.Nanosecond, 3}},
					takenBefore: 1, at: wechat.KFWindow, want: 4},
				{name: "reopen after the window", opens: []windowOpen{{0, 5}, {wechat.KFWindow, 1}}, at: wechat.KFWindow, want: 1},
				{name: "used up, then reopened", opens: []windowOpen{{0, 2}, {time.Minute, 2}}, takenBefore: 2, at: time.Minute, want: 2},
				{name: "window closed", opens: []windowOpen{{0, 5}}, at: wechat.KFWindow, want: 0},
				{name: "last nanosecond", opens: []windowOpen{{0, 2}}, at: wechat.KFWindow - time.Nanosecond, want: 2},
			} {
				id := "o" + tc.name
				open(id, t0.Add(tc.opens[0].after), tc.opens[0].quota)
				for range tc.takenBefore {
					if !take(id, t0, wechat.KFWindow) {
						t.Fatalf("%s: could not take from the first window", tc.name)
					}
				}
				for _, o := range tc.opens[1:] {
					open(id, t0.Add(o.after), o.quota)
				}
				if n := takes(id, t0.Add(tc.at)); n != tc.want {
					t.Errorf("%s: took %d; want %d", tc.name, n, tc.want)
				}
			}

			// TakeWindow's length, not the store's, decides.
			open("oL", t0, 5)
			if !take("oL", t0.Add(time.Hour), 2*time.Hour) || take("oL", t0.Add(time.Hour), time.Hour) {
				t.Fatal("TakeWindow ignores its length")
			}

			open("oE", t0, 5)
			if err := w.CloseWindow(ctx, "oE"); err != nil {
				t.Fatal(err)
			}
			if take("oE", t0, wechat.KFWindow) {
				t.Fatal("window left after CloseWindow")
			}
			if err := w.CloseWindow(ctx, "never"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// windowOpen is an OpenWindow call, after the test's start.
type windowOpen struct {
	after time.Duration
	quota int
}

// Two replicas behind a load balancer share the Redis stores: a number typed
// to one resolves to the options the other showed, and their notifications
// together stay within the window's quota.
func TestRedisStateAcrossReplicas(t *testing.T) {
	t.Parallel()
	client := miniClient(t)
	h := newHarness(t, func(o *wechat.Options) {
		o.Choices = redis.NewWeChatChoices(client, "shopbot:", o.Clock)
		o.Windows = redis.NewWeChatWindows(client, "shopbot:", wechat.KFWindow)
	})
	other, err := wechat.New(h.opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := other.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	muxes := []*http.ServeMux{h.mux, http.NewServeMux()}
	other.Register(muxes[1])
	replicas := []*wechat.Adapter{h.a, other}

	cats, err := h.store.Categories(t.Context())
	if err != nil || len(cats) < 2 {
		t.Fatalf("categories: %v %v", cats, err)
	}
	welcome := h.event("oRep", "subscribe", "") // replica 0
	h.mux = muxes[1]
	list := h.send("oRep", h.pick(welcome, zh("btn_shop", nil)))
	if !strings.HasPrefix(list, zh("categories", nil)) {
		t.Fatalf("replica 1 did not resolve replica 0's option: %q", list)
	}
	h.mux = muxes[0]
	if page := h.send("oRep", "2"); !strings.HasPrefix(page, cats[1].Title.In("zh-CN")) {
		t.Fatalf("replica 0 did not resolve replica 1's option: %q", page)
	}

	h.mux = muxes[1]
	h.send("oRep", "/help") // opens the window with a quota of 5
	kf, tpl := len(h.api.KF()), len(h.api.Templates())
	data := map[string]string{"first": "Order 123 arrived"}
	for i := range 8 {
		if err := replicas[i%2].Notify(t.Context(), "oRep", "order_arrived", "Your order arrived.", data); err != nil {
			t.Fatal(err)
		}
	}
	if dk, dt := len(h.api.KF())-kf, len(h.api.Templates())-tpl; dk != 5 || dt != 3 {
		t.Fatalf("8 notifications from two replicas: %d kf, %d templates; want 5 and 3", dk, dt)
	}
}
