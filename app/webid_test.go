package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/bot/web"
	"shopbot/bot/wechat/wechattest"
	"shopbot/internal/clientaddr"
	"shopbot/internal/testenv"
)

// readAll reads and closes a response body.
func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// placeOrder takes a test user from the welcome to a confirmed order and
// returns its number.
func placeOrder(t *testing.T, s *shop, user string) string {
	t.Helper()
	r := s.say(user, "text", "/start")
	r = s.say(user, "action", button(t, r, "Shop"))
	r = s.say(user, "action", button(t, r, "Cosmetics"))
	r = s.say(user, "action", button(t, r, "Hyaluronic"))
	r = s.say(user, "action", button(t, r, "Add 1 to cart"))
	r = s.say(user, "action", button(t, r, "Cart"))
	r = s.say(user, "action", button(t, r, "Check out"))
	s.say(user, "action", button(t, r, "Shanghai"))
	s.say(user, "text", "Li Wei")
	r = s.say(user, "text", "+86 138 0013 8000")
	m := orderNumberRe.FindStringSubmatch(lastText(r))
	if m == nil {
		t.Fatalf("order review = %q", lastText(r))
	}
	if r = s.say(user, "action", button(t, r, "Confirm")); !strings.Contains(lastText(r), "is confirmed") {
		t.Fatalf("confirmation = %q", lastText(r))
	}
	return m[1]
}

// webIdentity is the finding "web identity is a bearer string chosen by the
// browser", end to end: Ann orders from her browser; Eve, with Ann's id in
// the body and in ?user=, with no cookie or her own, sees none of Ann's
// cart, orders, contact name, inbox or conversation, and cannot cancel.
func webIdentity(t *testing.T, cfg Config) {
	s := start(t, cfg)
	number := placeOrder(t, s, "ann")
	s.say("ann", "text", "/start")
	r := s.say("ann", "action", button(t, s.say("ann", "text", "/start"), "Shop"))
	r = s.say("ann", "action", button(t, r, "Snacks"))
	r = s.say("ann", "action", r[0].Buttons[0][0].Action)
	s.say("ann", "action", button(t, r, "Add 1")) // something in her cart
	annID := s.webID("ann")
	notice, _ := json.Marshal([]bot.Reply{{Text: "Order №" + number + " arrived. Pickup code 482913."}})
	if err := s.app.Store.Push(context.Background(), "web:"+annID, notice); err != nil {
		t.Fatal(err)
	}

	for _, eve := range []string{"eve-without-cookie", "eve-with-her-own"} {
		if eve == "eve-with-her-own" {
			s.getAs(eve, "/")
		}
		for _, claim := range []string{annID, "ann"} {
			for _, probe := range []struct{ kind, value string }{{"text", "/orders"}, {"text", "/cart"}, {"action", "cart"}} {
				code, out := s.postAs(eve, map[string]any{"user": claim, probe.kind: probe.value, "lang": "en"})
				if code != http.StatusOK {
					t.Fatalf("%s %s: HTTP %d", eve, probe.value, code)
				}
				for _, rp := range out.Replies {
					if strings.Contains(rp.Text, number) || strings.Contains(rp.Text, "Li Wei") || strings.Contains(rp.Text, "Hyaluronic") {
						t.Fatalf("%s claiming %q sees Ann's things with %s: %q", eve, claim, probe.value, rp.Text)
					}
				}
			}
			for _, path := range []string{"/api/inbox?user=" + url.QueryEscape(claim), "/api/history?lang=en&user=" + url.QueryEscape(claim)} {
				if _, body := s.getAs(eve, path); strings.Contains(body, number) || strings.Contains(body, "482913") || strings.Contains(body, "Li Wei") {
					t.Fatalf("%s: %s shows Ann's things: %s", eve, path, body)
				}
			}
		}
		if id := s.webID(eve); id == "" || id == annID {
			t.Fatalf("%s has identity %q", eve, id)
		}
	}
	// Ann's order, cart, inbox and conversation are all still hers.
	if r := s.say("ann", "text", "/orders"); !strings.Contains(r[0].Text, number) || !strings.Contains(r[0].Text, "confirmed") {
		t.Fatalf("Ann's orders: %q", r[0].Text)
	}
	if _, body := s.getAs("ann", "/api/inbox"); !strings.Contains(body, "482913") {
		t.Fatalf("Ann's inbox: %s", body)
	}
	if _, body := s.getAs("ann", "/api/history?lang=en"); !strings.Contains(body, number) {
		t.Fatalf("Ann's history lacks her order: %.300s", body)
	}
}

func TestWebIdentitySQLite(t *testing.T) {
	t.Parallel()
	webIdentity(t, sqliteConfig(t))
}

func TestWebIdentityPostgresRedis(t *testing.T) {
	t.Parallel()
	webIdentity(t, postgresRedisConfig(t))
}

// webRows counts what the database keeps of a web identity.
func webRows(t *testing.T, a *App, id string) string {
	t.Helper()
	var out []string
	for _, q := range []struct{ name, sql, arg string }{
		{"identity", `SELECT COUNT(*) FROM web_identities WHERE id = $1`, id},
		{"session", `SELECT COUNT(*) FROM sessions WHERE key = $1`, "sess:web:" + id},
		{"history", `SELECT COUNT(*) FROM web_history WHERE user_key = $1`, "web:" + id},
		{"inbox", `SELECT COUNT(*) FROM inbox WHERE user_key = $1`, "web:" + id},
		{"audience", `SELECT COUNT(*) FROM chat_users WHERE channel = 'web' AND user_id = $1`, id},
		{"orders", `SELECT COUNT(*) FROM orders WHERE channel = 'web' AND user_id = $1`, id},
	} {
		var n int
		if err := a.Store.DB().QueryRowContext(context.Background(), q.sql, q.arg).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s=%d", q.name, n))
	}
	return strings.Join(out, " ")
}

// webRetention: a visit of the page stores nothing; an identity idle 30
// days that never ordered is purged with its session, history, inbox and
// audience row; one that ordered keeps its order (its conversation goes).
// The shop's clock is moved, not waited for.
func webRetention(t *testing.T, cfg Config) {
	clock := testenv.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	cfg.clock = clock
	s := start(t, cfg)
	ctx := context.Background()
	redis := cfg.RedisURL != ""
	// The sweep is a periodic job (at start, then hourly): let the first
	// run finish before the clock moves, so the calls below are the ones
	// that purge.
	waitFor(t, 30*time.Second, "the retention job", func() bool {
		var n int
		_ = s.app.Store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = 'retention' AND state = 'completed'`).Scan(&n)
		return n > 0
	})

	s.getAs("visitor", "/")
	s.getAs("visitor", "/api/history")
	s.getAs("visitor", "/api/inbox")
	visitor := s.webID("visitor")
	if got := webRows(t, s.app, visitor); got != "identity=0 session=0 history=0 inbox=0 audience=0 orders=0" {
		t.Fatalf("a visit of the page stored %s", got)
	}

	r := s.say("browser", "text", "/start") // a passing visitor who looked around
	s.say("browser", "action", button(t, r, "Shop"))
	browser := s.webID("browser")
	if err := s.app.Store.Push(ctx, "web:"+browser, []byte(`[{"text":"a broadcast"}]`)); err != nil {
		t.Fatal(err)
	}
	placeOrder(t, s, "buyer")
	buyer := s.webID("buyer")
	wantSession, wantHistory := 1, 3 // /start, the welcome, the categories
	if redis {
		wantSession, wantHistory = 0, 0 // kept in Redis
	}
	if got, want := webRows(t, s.app, browser), fmt.Sprintf("identity=1 session=%d history=%d inbox=1 audience=1 orders=0", wantSession, wantHistory); got != want {
		t.Fatalf("after looking around: %s; want %s", got, want)
	}
	if redis {
		for _, who := range []string{browser, buyer} {
			ttl, err := s.app.redis.PTTL(ctx, cfg.RedisPrefix+"history:web:"+who).Result()
			if err != nil || ttl <= 29*24*time.Hour || ttl > WebRetention {
				t.Fatalf("history in Redis expires in %v, %v; want about 30 days", ttl, err)
			}
		}
	}

	// 29 days on nothing goes; 31 days on the browser is gone, the buyer stays.
	clock.Advance(29 * 24 * time.Hour)
	if n, err := s.app.purgeWebIdentities(ctx); err != nil || n != 0 {
		t.Fatalf("after 29 days: %d purged, %v", n, err)
	}
	clock.Advance(2 * 24 * time.Hour)
	n, err := s.app.purgeWebIdentities(ctx)
	if err != nil || n != 1 {
		t.Fatalf("after 31 days: %d purged, %v; want 1", n, err)
	}
	if got := webRows(t, s.app, browser); got != "identity=0 session=0 history=0 inbox=0 audience=0 orders=0" {
		t.Fatalf("the idle browser left %s", got)
	}
	if got, want := webRows(t, s.app, buyer), fmt.Sprintf("identity=1 session=%d history=0 inbox=0 audience=1 orders=1", wantSession); got != want {
		t.Fatalf("the idle buyer: %s; want %s", got, want)
	}
	// The buyer comes back: the order is there.
	if r := s.say("buyer", "text", "/orders"); !strings.Contains(r[0].Text, "№") {
		t.Fatalf("the buyer's orders after 31 days: %q", r[0].Text)
	}

}

func TestWebRetentionSQLite(t *testing.T) {
	t.Parallel()
	webRetention(t, sqliteConfig(t))
}

func TestWebRetentionPostgresRedis(t *testing.T) {
	t.Parallel()
	webRetention(t, postgresRedisConfig(t))
}

// newWebIDLimit: SHOPBOT_LIMIT_NEW_WEB_IDS new identities per client
// address and minute, the address taken from X-Forwarded-For of a trusted
// proxy only; shared by replicas through Redis.
func newWebIDLimit(t *testing.T, cfgs ...Config) {
	var shops []*shop
	for _, cfg := range cfgs {
		shops = append(shops, start(t, cfg))
	}
	get := func(s *shop, xff string, lang string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.base+"/", nil)
		req.Header.Set("X-Forwarded-For", xff)
		req.Header.Set("Accept-Language", lang)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res, readAll(t, res)
	}
	// Two new visitors from one address (through whichever replica), then no more.
	for i := range 2 {
		if res, _ := get(shops[i%len(shops)], "203.0.113.50", "en"); res.StatusCode != http.StatusOK {
			t.Fatalf("visitor %d: %s", i, res.Status)
		}
	}
	res, body := get(shops[len(shops)-1], "203.0.113.50", "zh-CN")
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "新访客太多") {
		t.Fatalf("third visitor: %s %.200s", res.Status, body)
	}
	// Another address is counted apart.
	if res, _ := get(shops[0], "198.51.100.50", "en"); res.StatusCode != http.StatusOK {
		t.Fatalf("another address: %s", res.Status)
	}
}

func limitConfig(t *testing.T, cfg Config) Config {
	t.Helper()
	var err error
	cfg.LimitNewWebIDs = 2
	if cfg.TrustedProxies, err = clientaddr.Parse("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestNewWebIDLimitSQLite(t *testing.T) {
	t.Parallel()
	newWebIDLimit(t, limitConfig(t, sqliteConfig(t)))
}

func TestNewWebIDLimitPostgresRedis(t *testing.T) {
	t.Parallel()
	cfg := limitConfig(t, postgresRedisConfig(t))
	newWebIDLimit(t, cfg, cfg) // two replicas on one Redis
}

// TestWeChatSignIn: inside WeChat's browser the page signs in with WeChat
// (snsapi_base) against the fake authorize page and API configured by
// WECHAT_OAUTH_BASE and WECHAT_API_BASE; the linking hook gets the web
// identity and the openid.
func TestWeChatSignIn(t *testing.T) {
	t.Parallel()
	var key [32]byte
	_, _ = rand.Read(key[:])
	api := wechattest.NewFakeAPI("wxsignin000000001", "signinsecret")
	defer api.Close()
	api.SetOAuthUser("oSignIn0001")
	vars := map[string]string{
		"DATABASE_URL": "sqlite:" + t.TempDir() + "/shop.db", "SHOPBOT_PUBLIC_URL": "http://127.0.0.1",
		"WECHAT_APPID": "wxsignin000000001", "WECHAT_SECRET": "signinsecret", "WECHAT_TOKEN": "tok",
		"WECHAT_AES_KEY":  strings.TrimRight(base64.StdEncoding.EncodeToString(key[:]), "="),
		"WECHAT_API_BASE": api.URL(), "WECHAT_OAUTH_BASE": api.URL(),
	}
	cfg, err := ConfigFromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var linked []string
	cfg.linkWeChat = func(_ context.Context, webID, openID string) error {
		mu.Lock()
		defer mu.Unlock()
		linked = append(linked, webID+" "+openID)
		return nil
	}
	s := start(t, cfg)
	c := s.browser("wx")
	ua := "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0.49.2600(0x28003133) WeChat/arm64 NetType/WIFI Language/zh_CN"
	get := func(u string) *http.Response {
		t.Helper()
		if strings.HasPrefix(u, "/") {
			u = s.base + u
		}
		u = strings.Replace(u, "http://127.0.0.1/", s.base+"/", 1) // the public URL is the server
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		req.Header.Set("User-Agent", ua)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, res)
		return res
	}
	// Follow the redirects: page → /auth/wechat → WeChat → callback → page.
	u, hops := "/", 0
	for {
		res := get(u)
		if res.StatusCode == http.StatusOK {
			break
		}
		if res.StatusCode != http.StatusFound || hops > 5 {
			t.Fatalf("%s: %s", u, res.Status)
		}
		u, hops = res.Header.Get("Location"), hops+1
	}
	if hops != 4 {
		t.Fatalf("%d redirects; want page → sign-in → WeChat → callback → page", hops)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := s.webID("wx") + " oSignIn0001"; len(linked) != 1 || linked[0] != want {
		t.Fatalf("linked %q; want %q", linked, want)
	}
}

// TestWebRotateKey: `shopbot web rotate-key` adds a key and keeps the one
// before: a cookie of the previous key still names its buyer (and is
// signed again with the new key); one of an older key does not.
func TestWebRotateKey(t *testing.T) {
	t.Parallel()
	cfg := sqliteConfig(t)
	run := shopbot(t, map[string]string{"DATABASE_URL": cfg.DatabaseURL})
	rotate := func(gen int) {
		t.Helper()
		code, out, errOut := run("web", "rotate-key")
		if code != 0 || !strings.Contains(out, fmt.Sprintf("web identity key %d signs new cookies", gen)) {
			t.Fatalf("rotate-key: exit %d %s%s", code, out, errOut)
		}
	}
	s := start(t, cfg)
	s.say("ann", "text", "/start")
	ann := s.webID("ann")
	u, _ := url.Parse(s.base)
	var first string
	for _, c := range s.browser("ann").Jar.Cookies(u) {
		if c.Name == web.IdentityCookie {
			first = c.Value
		}
	}
	s.stop()

	rotate(2)
	s = start(t, cfg)
	s.browser("ann").Jar.SetCookies(u, []*http.Cookie{{Name: web.IdentityCookie, Value: first, Path: "/"}})
	s.getAs("ann", "/")
	if s.webID("ann") != ann {
		t.Fatal("after one rotation the previous key's cookie no longer names its buyer")
	}
	s.stop()

	rotate(3)
	if code, _, _ := run("web", "rotate-key", "extra"); code != 2 {
		t.Fatalf("rotate-key with an argument: exit %d; want 2", code)
	}
	s = start(t, cfg)
	keys, err := s.app.webKeys(context.Background())
	if err != nil || fmt.Sprint(keyGens(keys)) != "[3 2]" {
		t.Fatalf("keys after two rotations: %v, %v; want [3 2]", keyGens(keys), err)
	}
	s.browser("old").Jar.SetCookies(u, []*http.Cookie{{Name: web.IdentityCookie, Value: first, Path: "/"}})
	s.getAs("old", "/")
	if id := s.webID("old"); id == ann || id == "" {
		t.Fatalf("a cookie of a retired key: identity %q", id)
	}
}

func keyGens(keys []web.Key) []int {
	var out []int
	for _, k := range keys {
		out = append(out, k.Gen)
	}
	return out
}
