package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/bot/web"
	"shopbot/internal/testenv"
)

// shop is a running shopbot driven over HTTP like a browser would.
type shop struct {
	t       *testing.T
	base    string
	metrics string // base URL of the metrics listener
	stop    func() // graceful shutdown; idempotent
	app     *App

	mu       sync.Mutex
	browsers map[string]*http.Client // by test user name: each its own cookies
	// replicaOf, when set, is the shop whose browsers this one's test users
	// use: one buyer's cookie reaches every replica (a cookie names a host,
	// not a port), as behind a load balancer.
	replicaOf *shop
}

// browser is the HTTP client of a test user: its own cookie jar, so the
// server's identity cookie makes it that buyer. Redirects are not followed.
func (s *shop) browser(user string) *http.Client {
	if s.replicaOf != nil {
		return s.replicaOf.browser(user)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.browsers == nil {
		s.browsers = map[string]*http.Client{}
	}
	c, ok := s.browsers[user]
	if !ok {
		jar, err := cookiejar.New(nil)
		if err != nil {
			s.t.Fatal(err)
		}
		c = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		s.browsers[user] = c
	}
	return c
}

// webID is the web identity the server issued to a test user ("" before
// its first request).
func (s *shop) webID(user string) string {
	u, _ := url.Parse(s.base)
	for _, c := range s.browser(user).Jar.Cookies(u) {
		if c.Name == web.IdentityCookie {
			if parts := strings.Split(c.Value, "."); len(parts) == 4 {
				return parts[2]
			}
		}
	}
	return ""
}

// start runs the real server (Open, then Serve on a free port, /metrics on
// another) with cfg and stops it gracefully when the test ends, failing if
// shutdown reports an error.
func start(t *testing.T, cfg Config) *shop {
	t.Helper()
	cfg.HTTPAddr, cfg.MetricsAddr = "127.0.0.1:0", "127.0.0.1:0"
	if cfg.PublicURL == "" || strings.HasPrefix(cfg.PublicURL, "http://127.0.0.1:8080") {
		cfg.PublicURL = "http://127.0.0.1"
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := Open(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	mln, err := a.ListenMetrics()
	if err != nil {
		ln.Close()
		a.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve returned %v after shutdown", err)
			}
			a.Close()
		})
	}
	t.Cleanup(stop)
	return &shop{t: t, base: "http://" + ln.Addr().String(), metrics: "http://" + mln.Addr().String(), stop: stop, app: a}
}

func sqliteConfig(t *testing.T) Config {
	cfg, err := ConfigFromEnv(func(k string) string {
		if k == "DATABASE_URL" {
			return "sqlite:" + filepath.Join(t.TempDir(), "shop.db")
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.JobPollInterval = 50 * time.Millisecond
	return cfg
}

func postgresRedisConfig(t *testing.T) Config {
	pg := testenv.PostgresSchema(t)
	rd := testenv.RedisURL(t)
	prefix := testenv.RedisPrefix(t, rd, "e2e")
	cfg, err := ConfigFromEnv(func(k string) string {
		switch k {
		case "DATABASE_URL":
			return pg
		case "REDIS_URL":
			return rd
		case "SHOPBOT_REDIS_PREFIX":
			return prefix
		case "SHOPBOT_DB_MAX_CONNS":
			return "8"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.JobPollInterval = 50 * time.Millisecond
	return cfg
}

type chatResponse struct {
	Replies   []bot.Reply `json:"replies"`
	Duplicate bool        `json:"duplicate"`
}

// post sends a chat request as the browser of body["user"] (the server
// ignores that field: the browser's cookie says who is asking).
func (s *shop) post(body map[string]any) (int, chatResponse) {
	s.t.Helper()
	user, _ := body["user"].(string)
	return s.postAs(user, body)
}

// postAs sends a chat request from the browser of a test user, whatever
// the body says.
func (s *shop) postAs(browser string, body map[string]any) (int, chatResponse) {
	s.t.Helper()
	b, _ := json.Marshal(body)
	res, err := s.browser(browser).Post(s.base+"/api/chat", "application/json", bytes.NewReader(b))
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var out chatResponse
	// 429 (over the message limit) and 503 (failed on our side) carry
	// replies too.
	if res.StatusCode == http.StatusOK || res.StatusCode == http.StatusTooManyRequests || res.StatusCode == http.StatusServiceUnavailable {
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			s.t.Fatal(err)
		}
		for _, r := range out.Replies {
			for _, bad := range []string{"sql", "<nil>", "%!", "error:", "context deadline"} {
				if strings.Contains(strings.ToLower(r.Text), bad) {
					s.t.Fatalf("reply leaks internals (%q): %q", bad, r.Text)
				}
			}
		}
	}
	return res.StatusCode, out
}

// say sends text or presses a button and returns the replies.
func (s *shop) say(user, kind, value string) []bot.Reply {
	s.t.Helper()
	code, out := s.post(map[string]any{"user": user, kind: value, "lang": "en"})
	if code != http.StatusOK {
		s.t.Fatalf("%s %q: HTTP %d", kind, value, code)
	}
	if len(out.Replies) == 0 {
		s.t.Fatalf("%s %q: no replies", kind, value)
	}
	return out.Replies
}

// button finds the action of the first button whose label contains label.
func button(t *testing.T, replies []bot.Reply, label string) string {
	t.Helper()
	for _, r := range replies {
		for _, row := range r.Buttons {
			for _, b := range row {
				if strings.Contains(b.Text, label) {
					return b.Action
				}
			}
		}
	}
	t.Fatalf("no button %q in %+v", label, replies)
	return ""
}

func lastText(replies []bot.Reply) string { return replies[len(replies)-1].Text }

func (s *shop) get(path string) (int, string) {
	s.t.Helper()
	return s.getAs("", path)
}

// fetch is a GET of an absolute URL (the metrics listener's) by a browser
// of its own.
func (s *shop) fetch(url string) (int, string) {
	s.t.Helper()
	return s.fetchWith(http.DefaultClient, url)
}

// getAs is a GET by the browser of a test user ("" for a browser of its
// own, without cookies kept for anyone).
func (s *shop) getAs(user, path string) (int, string) {
	s.t.Helper()
	c := http.DefaultClient
	if user != "" {
		c = s.browser(user)
	}
	return s.fetchWith(c, s.base+path)
}

func (s *shop) fetchWith(c *http.Client, url string) (int, string) {
	s.t.Helper()
	res, err := c.Get(url)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

var orderNumberRe = regexp.MustCompile(`№([0-9A-Z]{6})`)

// buyerPath is the whole browse → cart → checkout → my orders path.
func buyerPath(t *testing.T, s *shop) {
	user := testenv.UniqueName("buyer")
	r := s.say(user, "text", "/start")
	if !strings.Contains(r[0].Text, "Welcome") {
		t.Fatalf("greeting = %q", r[0].Text)
	}
	r = s.say(user, "action", button(t, r, "Shop"))
	r = s.say(user, "action", button(t, r, "Cosmetics"))
	r = s.say(user, "action", button(t, r, "Hyaluronic"))
	card := r[0]
	if card.Image == "" || !strings.Contains(card.Text, "¥") || !strings.Contains(card.Text, "Duty paid") && !strings.Contains(card.Text, "Bonded") && !strings.Contains(card.Text, "Direct mail") && !strings.Contains(card.Text, "Local stock") {
		t.Fatalf("product card = %+v", card)
	}
	if code, body := s.get(card.Image); code != http.StatusOK || !strings.HasPrefix(body, "\x89PNG") {
		t.Fatalf("product image %s: HTTP %d", card.Image, code)
	}
	r = s.say(user, "action", button(t, r, "+")) // quantity 2, edited in place
	if !r[0].Edit {
		t.Fatal("quantity stepper does not edit in place")
	}
	r = s.say(user, "action", button(t, r, "Add 2 to cart"))
	if !strings.Contains(r[0].Text, "Added 2") {
		t.Fatalf("add = %q", r[0].Text)
	}
	r = s.say(user, "action", button(t, r, "Cart"))
	if !strings.Contains(lastText(r), "Total: ¥") {
		t.Fatalf("cart = %q", lastText(r))
	}
	r = s.say(user, "action", button(t, r, "Check out"))
	s.say(user, "action", button(t, r, "Shanghai"))
	r = s.say(user, "text", "Li Wei")
	if !strings.Contains(r[0].Text, "phone") {
		t.Fatalf("after name = %q", r[0].Text)
	}
	// The phone message is delivered twice (a client retry with the same id).
	phone := map[string]any{"user": user, "text": "+86 138 0013 8000", "id": "phone-1", "lang": "en"}
	_, first := s.post(phone)
	_, again := s.post(phone)
	if !again.Duplicate || len(again.Replies) != 0 {
		t.Fatalf("retried phone message = %+v; want duplicate", again)
	}
	review := lastText(first.Replies)
	m := orderNumberRe.FindStringSubmatch(review)
	if m == nil || !strings.Contains(review, "reserved for 15 min") {
		t.Fatalf("order review = %q", review)
	}
	number := m[1]
	r = s.say(user, "action", button(t, first.Replies, "Confirm"))
	if !strings.Contains(lastText(r), "Order №"+number+" is confirmed") {
		t.Fatalf("confirmation = %q", lastText(r))
	}
	r = s.say(user, "text", "/orders")
	if !strings.Contains(r[0].Text, number) || !strings.Contains(r[0].Text, "confirmed") || strings.Count(r[0].Text, "№") != 1 {
		t.Fatalf("my orders = %q; want exactly order %s, confirmed", r[0].Text, number)
	}
	// Cancel the unpaid order; it is asked first.
	r = s.say(user, "action", button(t, r, number))
	r = s.say(user, "action", button(t, r, "Cancel order"))
	r = s.say(user, "action", button(t, r, "Yes, cancel"))
	if !strings.Contains(lastText(r), "cancelled") {
		t.Fatalf("cancel = %q", lastText(r))
	}
	// Someone else cannot see it.
	other := testenv.UniqueName("other")
	r = s.say(other, "text", "/orders")
	if strings.Contains(r[0].Text, number) {
		t.Fatal("another user sees the order")
	}
}

func badInput(t *testing.T, s *shop) {
	for _, tc := range []struct {
		name string
		body string
		want int
	}{
		{"malformed JSON", `{"user":`, http.StatusBadRequest},
		{"unknown field", `{"user":"abcdefgh1","text":"hi","price":1}`, http.StatusBadRequest},
		{"no text nor action", `{"user":"abcdefgh1"}`, http.StatusBadRequest},
		{"user over 64 bytes", `{"user":"` + strings.Repeat("x", 65) + `","text":"hi"}`, http.StatusBadRequest},
		{"too large", `{"user":"abcdefgh1","text":"` + strings.Repeat("a", 70<<10) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		res, err := http.Post(s.base+"/api/chat", "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		var e map[string]string
		_ = json.NewDecoder(res.Body).Decode(&e)
		res.Body.Close()
		if res.StatusCode != tc.want || e["error"] == "" {
			t.Errorf("%s: HTTP %d %v; want %d with a JSON error", tc.name, res.StatusCode, e, tc.want)
		}
	}
	user := testenv.UniqueName("mallory")
	for _, a := range []string{"add:1:0:100", "add:1:99:100", "add:999999:1:100", "p:abc", "oc:1", "cp:forged:1", "add:1:1:1"} {
		r := s.say(user, "action", a)
		if r[0].Text == "" {
			t.Errorf("action %q: empty answer", a)
		}
	}
	r := s.say(user, "text", "/cart")
	if !strings.Contains(r[0].Text, "empty") {
		t.Fatalf("bad actions changed the cart: %q", r[0].Text)
	}
}

func operations(t *testing.T, s *shop) {
	if code, body := s.get("/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Fatalf("/healthz = %d %q", code, body)
	}
	code, body := s.get("/readyz")
	if code != http.StatusOK || !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("/readyz = %d %s", code, body)
	}
	// The figures are the operator's: not on the public listener.
	if code, _ := s.get("/metrics"); code != http.StatusNotFound {
		t.Fatalf("GET /metrics on the public listener = %d; want 404", code)
	}
	code, body = s.fetch(s.metrics + "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics on the metrics listener = %d", code)
	}
	for _, want := range []string{`shopbot_bot_events_total{event="order_placed"} 1`, `shopbot_bot_events_total{event="order_confirmed"} 1`,
		`shopbot_http_requests_total{code="200",route="POST /api/chat"}`, `shopbot_bot_events_total{event="duplicate"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, _ := s.get("/"); code != http.StatusOK {
		t.Fatalf("GET / = %d", code)
	}
}

// expiry: an unconfirmed order's stock returns through the durable job.
func expiry(t *testing.T, cfg Config) {
	cfg.ReservationTTL = time.Second
	s := start(t, cfg)
	user := testenv.UniqueName("slow")
	r := s.say(user, "text", "/start")
	r = s.say(user, "action", button(t, r, "Shop"))
	r = s.say(user, "action", button(t, r, "Cosmetics"))
	r = s.say(user, "action", button(t, r, "Hyaluronic"))
	before := stockLine(r[0].Text)
	r = s.say(user, "action", button(t, r, "Add 1"))
	r = s.say(user, "action", button(t, r, "Check out"))
	s.say(user, "action", button(t, r, "Shanghai"))
	s.say(user, "text", "Slow Buyer")
	r = s.say(user, "text", "13800138000")
	orderID := strings.TrimPrefix(button(t, r, "Confirm"), "oc:")
	deadline := time.Now().Add(40 * time.Second)
	for {
		rr := s.say(user, "action", "os:"+orderID)
		if strings.Contains(rr[0].Text, "· cancelled") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reservation never expired: %q", rr[0].Text)
		}
		time.Sleep(200 * time.Millisecond)
	}
	r = s.say(user, "action", button(t, s.say(user, "action", button(t, s.say(user, "action", "cats"), "Cosmetics")), "Hyaluronic"))
	if after := stockLine(r[0].Text); after != before {
		t.Fatalf("stock after expiry %q; before the order %q", after, before)
	}
	r = s.say(user, "action", "oc:"+orderID)
	if !strings.Contains(r[0].Text, "can no longer be changed") && !strings.Contains(r[0].Text, "expired") {
		t.Fatalf("confirming an expired order = %q", r[0].Text)
	}
}

func stockLine(card string) string {
	for _, l := range strings.Split(card, "\n") {
		if strings.Contains(l, "in stock") || strings.Contains(l, "left") || strings.Contains(l, "Sold out") {
			return l
		}
	}
	return fmt.Sprintf("no stock line in %q", card)
}

func TestEndToEndSQLite(t *testing.T) {
	t.Parallel()
	s := start(t, sqliteConfig(t))
	buyerPath(t, s)
	badInput(t, s)
	operations(t, s)
}

func TestEndToEndPostgresRedis(t *testing.T) {
	t.Parallel()
	s := start(t, postgresRedisConfig(t))
	buyerPath(t, s)
	badInput(t, s)
	operations(t, s)
}

func TestReservationExpirySQLite(t *testing.T) {
	t.Parallel()
	expiry(t, sqliteConfig(t))
}

func TestReservationExpiryPostgres(t *testing.T) {
	t.Parallel()
	expiry(t, postgresRedisConfig(t))
}
