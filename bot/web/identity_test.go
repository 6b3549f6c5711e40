package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/bot/web"
	"shopbot/chatstate"
	"shopbot/internal/clientaddr"
)

var cookieRe = regexp.MustCompile(`^1\.([0-9]+)\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$`)

// setCookie is the response's Set-Cookie named name, or nil.
func setCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestIdentityCookie: the first visit gets a signed, HttpOnly, SameSite=Lax
// cookie (Secure under https); the next visits keep the identity and renew
// the cookie; a cookie that does not verify is no cookie.
func TestIdentityCookie(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.client(t)
	resp, _ := c.do(http.MethodGet, "/", "", nil)
	ck := setCookie(resp, web.IdentityCookie)
	if resp.StatusCode != http.StatusOK || ck == nil {
		t.Fatalf("GET /: %s, cookie %v", resp.Status, ck)
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/" || ck.MaxAge != 400*24*3600 {
		t.Errorf("cookie attributes: %+v", ck)
	}
	if !cookieRe.MatchString(ck.Value) {
		t.Fatalf("cookie value %q", ck.Value)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("a page that sets a cookie may be cached: %q", resp.Header.Get("Cache-Control"))
	}
	id := c.identity()
	resp, _ = c.do(http.MethodGet, "/", "", nil)
	if again := setCookie(resp, web.IdentityCookie); again == nil || again.Value != ck.Value {
		t.Errorf("a returning visitor's cookie is not renewed as it was: %v", again)
	}
	out, _ := c.chat(map[string]any{"text": "/start", "lang": "en"})
	if len(out.Replies) == 0 || c.identity() != id {
		t.Fatalf("chat changed the identity: %s → %s", id, c.identity())
	}

	// Cookies that do not verify: each gets a new identity.
	m := cookieRe.FindStringSubmatch(ck.Value)
	other := s.client(t)
	other.do(http.MethodGet, "/", "", nil)
	om := cookieRe.FindStringSubmatch(other.cookie(web.IdentityCookie).Value)
	for name, v := range map[string]string{
		"mac of another id":  "1." + m[1] + "." + m[2] + "." + om[3],
		"id of another mac":  "1." + m[1] + "." + om[2] + "." + m[3],
		"flipped mac":        "1." + m[1] + "." + m[2] + "." + strings.ToUpper(m[3][:1]) + strings.ToLower(m[3][1:]),
		"unknown key":        "1.7." + m[2] + "." + m[3],
		"key zero":           "0." + m[1] + "." + m[2] + "." + m[3],
		"format 2":           "2." + m[1] + "." + m[2] + "." + m[3],
		"bare id":            m[2],
		"old page's user id": "browser_0001",
		"empty":              "",
	} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/", nil)
		req.AddCookie(&http.Cookie{Name: web.IdentityCookie, Value: v})
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := setCookie(resp, web.IdentityCookie)
		if got == nil {
			t.Errorf("%s: no new cookie", name)
			continue
		}
		if gm := cookieRe.FindStringSubmatch(got.Value); gm == nil || gm[2] == m[2] || gm[2] == om[2] {
			t.Errorf("%s: cookie %q; want a new identity", name, got.Value)
		}
	}

	// Under https the cookies are Secure.
	secure := newServer(t, func(_ *server, o *web.Options) { o.Secure = true })
	resp, _ = secure.do(t, http.MethodGet, "/", "", nil)
	if ck := setCookie(resp, web.IdentityCookie); ck == nil || !ck.Secure {
		t.Errorf("https cookie: %+v", ck)
	}
}

// TestAnotherBuyersUserIsIgnored is the finding "web identity is a bearer
// string chosen by the browser": a second client that sends the first
// one's user value (in the body, in ?user=, with no cookie or its own)
// sees none of its cart, orders, inbox or conversation.
func TestAnotherBuyersUserIsIgnored(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ann := s.client(t)
	ann.do(http.MethodGet, "/", "", nil)
	annID := ann.identity()
	const annUser = "browser_ann_0001" // what her old page would have sent
	ann.chat(map[string]any{"user": annUser, "text": "/start", "lang": "en"})
	r, _ := ann.chat(map[string]any{"user": annUser, "action": "p:1", "lang": "en"})
	add := ""
	for _, row := range r.Replies[0].Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Action, "add:") {
				add = b.Action
			}
		}
	}
	if r, _ := ann.chat(map[string]any{"user": annUser, "action": add, "lang": "en"}); !strings.HasPrefix(r.Replies[0].Text, "Added 1") {
		t.Fatalf("add: %+v", r)
	}
	notice, _ := json.Marshal([]bot.Reply{{Text: "Your order №K7Q2M9 has arrived. Pickup code 482913."}})
	if err := s.store.Push(t.Context(), "web:"+annID, notice); err != nil {
		t.Fatal(err)
	}
	if err := s.store.Push(t.Context(), "web:"+annUser, notice); err != nil {
		t.Fatal(err)
	}

	for _, who := range []string{"no cookie", "own cookie"} {
		eve := s.client(t)
		if who == "own cookie" {
			eve.do(http.MethodGet, "/", "", nil)
		}
		for _, user := range []string{annID, annUser} {
			out, raw := eve.chat(map[string]any{"user": user, "action": "cart", "lang": "en"})
			if out.Replies[0].Text != texts.Text("en", "cart_empty", nil) {
				t.Errorf("%s, user %s: cart = %s", who, user, raw)
			}
			out, raw = eve.chat(map[string]any{"user": user, "action": "o", "lang": "en"})
			if !strings.HasPrefix(out.Replies[0].Text, texts.Text("en", "orders_empty", nil)) {
				t.Errorf("%s, user %s: orders = %s", who, user, raw)
			}
			for _, path := range []string{"/api/inbox?user=" + user, "/api/history?user=" + user + "&lang=en"} {
				_, body := eve.do(http.MethodGet, path, "", nil)
				if strings.Contains(string(body), "K7Q2M9") || strings.Contains(string(body), "Hyaluronic") {
					t.Errorf("%s: %s shows Ann's things: %s", who, path, body)
				}
			}
		}
		if eve.identity() == annID || eve.identity() == "" {
			t.Fatalf("%s: identity %q", who, eve.identity())
		}
	}
	// Ann still has all of it.
	if out, raw := ann.chat(map[string]any{"action": "cart", "lang": "en"}); !strings.Contains(out.Replies[0].Text, "Hyaluronic") {
		t.Errorf("Ann's cart: %s", raw)
	}
	if _, body := ann.do(http.MethodGet, "/api/inbox", "", nil); !strings.Contains(string(body), "K7Q2M9") {
		t.Errorf("Ann's inbox: %s", body)
	}
}

// TestVisitStoresNothing: loading the page (with its history and inbox
// calls) stores nothing; the first message makes the identity known.
func TestVisitStoresNothing(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.client(t)
	c.header.Set("Accept-Language", "en")
	resp, _ := c.do(http.MethodGet, "/", "", nil)
	if resp.StatusCode != http.StatusOK || c.identity() == "" {
		t.Fatalf("GET /: %s", resp.Status)
	}
	_, body := c.do(http.MethodGet, "/api/history?lang=en", "", nil)
	var h web.HistoryResponse
	if err := json.Unmarshal(body, &h); err != nil || len(h.Messages) != 1 || h.Messages[0].Text != texts.Text("en", "welcome", map[string]any{"Name": ""}) {
		t.Fatalf("a new visitor's history: %s, %v; want the welcome", body, err)
	}
	if len(h.Messages[0].Buttons) == 0 {
		t.Fatalf("the welcome has no menu: %s", body)
	}
	c.do(http.MethodGet, "/api/inbox", "", nil)
	for _, table := range []string{"sessions", "web_identities", "chat_users", "web_history", "dedupe", "inbox"} {
		if n := countRows(t, s.store, table); n != 0 {
			t.Errorf("a visit left %d rows in %s", n, table)
		}
	}
	// The first message: the identity becomes known, seen now.
	c.chat(map[string]any{"action": "cats", "lang": "en", "id": "m1"})
	var last int64
	if err := s.store.DB().QueryRowContext(t.Context(), `SELECT last_seen FROM web_identities WHERE id = $1`, c.identity()).Scan(&last); err != nil || last != s.clock.Now().UnixMilli() {
		t.Fatalf("identity after a message: last_seen %d, %v", last, err)
	}
}

// TestNewIdentityLimit: new identities per client address per minute are
// limited, with a localized 429, counted on the address trusted proxies
// report and on the /64 of IPv6; clients with an identity are not affected.
func TestNewIdentityLimit(t *testing.T) {
	t.Parallel()
	resolver, err := clientaddr.Parse("127.0.0.1, ::1")
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, func(s *server, o *web.Options) {
		o.NewIdentities = chatstate.NewLocalWindowLimiter(3, time.Minute, s.clock.Now)
		o.ClientAddr = resolver.Addr
	})
	from := func(addr string) *client {
		c := s.client(t)
		c.header.Set("X-Forwarded-For", addr)
		return c
	}
	var first *client
	for i := range 3 {
		c := from("203.0.113.9")
		if resp, _ := c.do(http.MethodGet, "/", "", nil); resp.StatusCode != http.StatusOK || c.identity() == "" {
			t.Fatalf("visitor %d: %s", i, resp.Status)
		}
		if i == 0 {
			first = c
		}
	}
	// The fourth new visitor from that address is refused, in its language.
	c := from("203.0.113.9")
	c.header.Set("Accept-Language", "ru")
	resp, body := c.do(http.MethodGet, "/", "", nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "60" ||
		!strings.Contains(string(body), texts.Text("ru", "webchat_too_many_new", nil)) || c.identity() != "" {
		t.Fatalf("fourth visitor: %s %q cookie %q\n%s", resp.Status, resp.Header.Get("Retry-After"), c.identity(), body)
	}
	// A client that skips the page is refused the same way, in JSON the
	// page shows.
	resp, body = c.do(http.MethodPost, "/api/chat", "application/json", strings.NewReader(`{"text":"/start","lang":"en"}`))
	var refusal struct {
		Error   string      `json:"error"`
		Replies []bot.Reply `json:"replies"`
	}
	if err := json.Unmarshal(body, &refusal); err != nil || resp.StatusCode != http.StatusTooManyRequests ||
		len(refusal.Replies) != 1 || refusal.Replies[0].Text != texts.Text("en", "webchat_too_many_new", nil) || refusal.Error == "" {
		t.Fatalf("chat over the limit: %s %s", resp.Status, body)
	}
	if n := countRows(t, s.store, "sessions"); n != 0 {
		t.Errorf("a refused request reached the router: %d sessions", n)
	}
	// Who already has an identity is not affected.
	if out, _ := first.chat(map[string]any{"text": "/start", "lang": "en"}); len(out.Replies) == 0 {
		t.Fatal("the first visitor was refused")
	}
	// Another address, the same /64 of an IPv6 network, the next minute.
	if resp, _ := from("198.51.100.20").do(http.MethodGet, "/", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("another address: %s", resp.Status)
	}
	for i := range 4 {
		resp, _ := from(fmt.Sprintf("2001:db8:1:2::%x", i+1)).do(http.MethodGet, "/", "", nil)
		if want := http.StatusOK; i == 3 {
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("a fourth address of one IPv6 /64: %s; want 429", resp.Status)
			}
		} else if resp.StatusCode != want {
			t.Fatalf("IPv6 visitor %d: %s", i, resp.Status)
		}
	}
	// A client's own X-Forwarded-For is believed only from a trusted proxy:
	// here the peer is one, so the header decides; without trust it would
	// be the peer's address (clientaddr's tests).
	s.clock.Advance(time.Minute)
	if resp, _ := from("203.0.113.9").do(http.MethodGet, "/", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("next minute: %s", resp.Status)
	}
}

// TestKeyRotation: after a rotation the old key still verifies (and the
// page signs the cookie again with the new one); a replica that has not
// seen the rotation picks the new key up when a cookie names it; a key
// rotated out no longer verifies.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	first := web.Key{Gen: 1, Secret: []byte("first key first key first key 01")}
	second := web.Key{Gen: 2, Secret: []byte("second key second key second k02")}
	keys := []web.Key{first}
	load := func(context.Context) ([]web.Key, error) {
		mu.Lock()
		defer mu.Unlock()
		return append([]web.Key(nil), keys...), nil
	}
	setKeys := func(k ...web.Key) { mu.Lock(); keys = k; mu.Unlock() }
	replica := func() *server { return newServer(t, func(_ *server, o *web.Options) { o.Keys = load }) }
	// get visits s's page with ck and returns the identity cookie it sets.
	get := func(s *server, ck *http.Cookie) *http.Cookie {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/", nil)
		req.AddCookie(ck)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return setCookie(resp, web.IdentityCookie)
	}

	a, b := replica(), replica()
	c := a.client(t)
	c.do(http.MethodGet, "/", "", nil)
	id, ck1 := c.identity(), c.cookie(web.IdentityCookie)
	if got := get(b, ck1); got == nil || got.Value != ck1.Value { // b has loaded generation 1
		t.Fatalf("replica b: %+v", got)
	}

	setKeys(second, first)
	// A replica started after the rotation takes the generation-1 cookie
	// and signs it again with generation 2.
	ck2 := get(replica(), ck1)
	if ck2 == nil || !strings.HasPrefix(ck2.Value, "1.2."+id+".") {
		t.Fatalf("re-signed cookie: %+v; want generation 2 for %s", ck2, id)
	}
	// b has not seen generation 2: a cookie naming it makes b read the
	// keys again.
	b.clock.Advance(2 * time.Second)
	if got := get(b, ck2); got == nil || got.Value != ck2.Value {
		t.Fatalf("replica b after the rotation: %+v; want the same identity, generation 2", got)
	}
	// A replica that meets no such cookie signs with generation 2 once its
	// keys are five minutes old.
	c2 := newServer(t, func(_ *server, o *web.Options) { o.Keys = load })
	setKeys(first)
	if got := get(c2, ck1); got == nil || !strings.HasPrefix(got.Value, "1.1.") {
		t.Fatalf("replica c before the rotation: %+v", got)
	}
	setKeys(second, first)
	c2.clock.Advance(4 * time.Minute)
	if got := get(c2, ck1); got == nil || !strings.HasPrefix(got.Value, "1.1.") {
		t.Fatalf("replica c 4 minutes on: %+v; want still generation 1", got)
	}
	c2.clock.Advance(time.Minute)
	if got := get(c2, ck1); got == nil || !strings.HasPrefix(got.Value, "1.2."+id+".") {
		t.Fatalf("replica c 5 minutes on: %+v; want generation 2", got)
	}
	// Generation 1 rotated out: its cookies are no cookies.
	setKeys(second)
	if got := get(replica(), ck1); got == nil || strings.Contains(got.Value, id) {
		t.Fatalf("a cookie of a retired key: %+v; want a new identity", got)
	}
}

// TestIdentityKeysDown: without its keys the handler refuses new visitors
// with a localized 503 and serves no chat.
func TestIdentityKeysDown(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(_ *server, o *web.Options) {
		o.Keys = func(context.Context) ([]web.Key, error) { return nil, fmt.Errorf("database down") }
	})
	c := s.client(t)
	c.header.Set("Accept-Language", "en")
	resp, body := c.do(http.MethodGet, "/", "", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), texts.Text("en", "webchat_unavailable", nil)) ||
		strings.Contains(string(body), "database") {
		t.Fatalf("GET /: %s %s", resp.Status, body)
	}
	resp, body = c.do(http.MethodPost, "/api/chat", "application/json", strings.NewReader(`{"text":"/start","lang":"ru"}`))
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), texts.Text("ru", "webchat_unavailable", nil)) {
		t.Fatalf("POST /api/chat: %s %s", resp.Status, body)
	}
}

// brokenLimiter's store is down.
type brokenLimiter struct{}

func (brokenLimiter) Allow(context.Context, string) (bool, error) {
	return false, fmt.Errorf("redis: connection refused")
}

// TestNewIdentityLimitDown: a limit whose store is down lets visitors in
// (it guards against floods; it must not keep everyone out).
func TestNewIdentityLimitDown(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(_ *server, o *web.Options) { o.NewIdentities = brokenLimiter{} })
	c := s.client(t)
	if resp, _ := c.do(http.MethodGet, "/", "", nil); resp.StatusCode != http.StatusOK || c.identity() == "" {
		t.Fatalf("GET / with the limit down: %s", resp.Status)
	}
}

func TestLimitKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ addr, want string }{
		{"203.0.113.9", "203.0.113.9"},
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"},
		{"::ffff:203.0.113.9", "203.0.113.9"},
	} {
		if got := web.LimitKey(netip.MustParseAddr(tc.addr).Unmap()); got != tc.want {
			t.Errorf("LimitKey(%s) = %s; want %s", tc.addr, got, tc.want)
		}
	}
	if got := web.LimitKey(netip.Addr{}); got != "unknown" {
		t.Errorf("LimitKey(zero) = %s", got)
	}
}
