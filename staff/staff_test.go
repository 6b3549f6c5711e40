package staff

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/demo"
	"shopbot/internal/clientaddr"
	"shopbot/internal/testenv"
	"shopbot/store/postgres"
	"shopbot/store/sqlstore"
)

var (
	staffTestKey      = []byte("staff page test key, at least 32 bytes!!")
	staffPickupSecret = []byte("pickup token test secret, 32+ bytes long!")
	staffShanghai     = staffZone("Asia/Shanghai")
	// staffTestStart: Wednesday 2026-11-25 09:00 in Shanghai, an ordinary day.
	staffTestStart = time.Date(2026, 11, 25, 9, 0, 0, 0, staffShanghai)
)

func staffZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// staffLogBuffer collects log output from concurrent handlers.
type staffLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *staffLogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *staffLogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// staffEnv is a demo-seeded SQLite store, a Pickup service and the staff
// page on a mux, all on one injected clock.
type staffEnv struct {
	t      *testing.T
	ctx    context.Context
	st     *sqlstore.Store
	clock  *testenv.Clock
	pickup *commerce.Pickup
	staff  *Page
	mux    *http.ServeMux
	logs   *staffLogBuffer
	points map[string]commerce.PickupPoint // by code
	prod   commerce.Product
	orders int
	unpaid bool // readyOrder leaves the orders to pay at pickup
}

func newStaffEnv(t *testing.T) *staffEnv {
	t.Helper()
	return newStaffEnvOn(t, testenv.DemoSQLite(t), clientaddr.Resolver{})
}

// newStaffEnvOn is a staff env on a demo-seeded store, believing
// X-Forwarded-For from proxies.
func newStaffEnvOn(t *testing.T, st *sqlstore.Store, proxies clientaddr.Resolver) *staffEnv {
	t.Helper()
	ctx := t.Context()
	var err error
	e := &staffEnv{t: t, ctx: ctx, st: st, clock: testenv.NewClock(staffTestStart), logs: &staffLogBuffer{},
		points: map[string]commerce.PickupPoint{}}
	if e.pickup, err = commerce.NewPickup(commerce.PickupOptions{Store: st, Clock: e.clock, Secret: staffPickupSecret}); err != nil {
		t.Fatal(err)
	}
	e.staff, err = New(Options{Pickup: e.pickup, Key: staffTestKey, Store: st, Proxies: proxies, PublicURL: "https://shop.example/",
		Log: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Clock: e.clock.Now, Secure: true})
	if err != nil {
		t.Fatal(err)
	}
	e.mux = http.NewServeMux()
	e.staff.Register(e.mux)
	pts, err := st.PickupPoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		e.points[p.Code] = p
	}
	prods, err := st.Products(ctx, commerce.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prods {
		if p.SKU == "COS-001" {
			e.prod = p
		}
	}
	if e.prod.ID == 0 || len(e.points) != 3 {
		t.Fatalf("demo seed: product %+v, points %v", e.prod, e.points)
	}
	return e
}

func (e *staffEnv) point(code string) commerce.PickupPoint {
	e.t.Helper()
	p, ok := e.points[code]
	if !ok {
		e.t.Fatalf("no point %s", code)
	}
	return p
}

// addStaff makes identity staff of the point too.
func (e *staffEnv) addStaff(code, identity string) {
	e.t.Helper()
	p := e.point(code)
	p.Staff = append(p.Staff, identity)
	saved, err := e.pickup.SavePoint(e.ctx, p)
	if err != nil {
		e.t.Fatal(err)
	}
	e.points[code] = saved
}

// readyOrder places an order of 2 × COS-001 for the point, ships it and
// checks it in; it returns the order and the buyer's pass.
func (e *staffEnv) readyOrder(pointCode, contact string) (commerce.Order, commerce.PickupPass) {
	e.t.Helper()
	pt := e.point(pointCode)
	e.orders++
	b := commerce.Buyer{Channel: "web", UserID: fmt.Sprintf("buyer-%d", e.orders)}
	now := e.clock.Now()
	total := e.prod.Price.Mul(2)
	o, _, err := e.st.PlaceOrder(e.ctx, commerce.Order{Number: commerce.NewOrderNumber(), Buyer: b, ChatID: b.UserID, Lang: "en",
		Status: commerce.StatusPending, PickupPointID: pt.ID, ContactName: contact, Phone: "+8613800000000",
		IdempotencyKey: fmt.Sprintf("staff-test-%d", e.orders), CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
		Lines: []commerce.OrderLine{{ProductID: e.prod.ID, SKU: e.prod.SKU, Title: e.prod.Title, UnitPrice: e.prod.Price, Qty: 2}},
		Total: total}, commerce.PersonLimits{})
	if err != nil {
		e.t.Fatalf("PlaceOrder: %v", err)
	}
	if _, err := e.st.SetOrderStatus(e.ctx, o.ID, commerce.StatusPending, commerce.StatusConfirmed, now); err != nil {
		e.t.Fatal(err)
	}
	if !e.unpaid { // paid before the counter (TestStaffPaymentAtPickup hands unpaid orders over)
		if _, _, err := e.st.RecordPayment(e.ctx, o.ID, commerce.Payment{At: now, Method: commerce.PayTransfer, Amount: total, By: "cli"}); err != nil {
			e.t.Fatal(err)
		}
	}
	if r, err := e.pickup.Ship(e.ctx, commerce.Shipment{PointID: pt.ID, Numbers: []string{o.Number}}); err != nil || len(r.Moved) != 1 {
		e.t.Fatalf("Ship = %+v, %v", r, err)
	}
	r, err := e.pickup.MarkArrived(e.ctx, commerce.Shipment{PointID: pt.ID, Numbers: []string{o.Number}})
	if err != nil || len(r.Moved) != 1 {
		e.t.Fatalf("MarkArrived = %+v, %v", r, err)
	}
	pass, err := e.pickup.Pass(e.ctx, b, o.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return r.Moved[0], pass
}

func (e *staffEnv) status(orderID int64) commerce.OrderStatus {
	e.t.Helper()
	o, err := e.st.Order(e.ctx, orderID)
	if err != nil {
		e.t.Fatal(err)
	}
	return o.Status
}

// noSecretsLogged fails if any of the secrets appears in the log.
func (e *staffEnv) noSecretsLogged(secrets ...string) {
	e.t.Helper()
	logs := e.logs.String()
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			e.t.Errorf("log contains the secret %q:\n%s", s, logs)
		}
	}
}

// serve runs one request through the mux, from a browser that prefers
// English unless the request says otherwise.
func (e *staffEnv) serve(r *http.Request) *httptest.ResponseRecorder {
	if r.Header.Get("Accept-Language") == "" {
		r.Header.Set("Accept-Language", "en-US,en;q=0.9")
	}
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r)
	return w
}

// staffClient is a browser: it keeps the session cookie and the page's
// CSRF token.
type staffClient struct {
	e      *staffEnv
	cookie *http.Cookie
	csrf   string
	token  string // the login token it signed in with
	lang   string // its Accept-Language; English when empty
	addr   string // its RemoteAddr; httptest's default when empty
	xff    string // the X-Forwarded-For it sends, if any
}

var staffCSRFRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login signs identity in with a fresh login link: the browser opens the
// link, then presses "Sign in".
func (e *staffEnv) login(identity string) *staffClient {
	e.t.Helper()
	return e.loginFrom(identity, "")
}

// loginFrom signs in from a browser at addr (RemoteAddr "host:port";
// empty: httptest's default).
func (e *staffEnv) loginFrom(identity, addr string) *staffClient {
	e.t.Helper()
	link, err := e.staff.LoginLink(e.ctx, identity, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	c := &staffClient{e: e, addr: addr, token: strings.TrimPrefix(link, "https://shop.example/staff/login?token=")}
	w := c.get(link)
	if w.Code != http.StatusOK || len(w.Result().Cookies()) != 0 || !strings.Contains(w.Body.String(), `action="/staff/login"`) {
		e.t.Fatalf("open the login link of %s: %d %v\n%s", identity, w.Code, w.Result().Cookies(), w.Body)
	}
	w = c.postRaw("/staff/login", url.Values{"token": {c.token}}.Encode())
	if w.Code != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", identity, w.Code, w.Body)
	}
	c.cookie = staffSessionCookie(e.t, w)
	page := c.get("/staff")
	if m := staffCSRFRe.FindStringSubmatch(page.Body.String()); m != nil {
		c.csrf = m[1]
	}
	return c
}

func staffSessionCookie(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == "__Host-shopbot_staff" && c.Value != "" {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", w.Result().Header["Set-Cookie"])
	return nil
}

func (c *staffClient) do(r *http.Request) *httptest.ResponseRecorder {
	if c.cookie != nil {
		r.AddCookie(&http.Cookie{Name: c.cookie.Name, Value: c.cookie.Value})
	}
	if c.lang != "" {
		r.Header.Set("Accept-Language", c.lang)
	}
	if c.addr != "" {
		r.RemoteAddr = c.addr
	}
	if c.xff != "" {
		r.Header.Set("X-Forwarded-For", c.xff)
	}
	return c.e.serve(r)
}

func (c *staffClient) get(target string) *httptest.ResponseRecorder {
	return c.do(httptest.NewRequest(http.MethodGet, target, nil))
}

// post sends a form with the client's CSRF token unless form sets "csrf".
func (c *staffClient) post(target string, form url.Values) *httptest.ResponseRecorder {
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.csrf)
	}
	return c.postRaw(target, form.Encode())
}

func (c *staffClient) postRaw(target, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(r)
}

func (c *staffClient) inspect(point commerce.PickupPoint, code string) *httptest.ResponseRecorder {
	return c.post("/staff/inspect", url.Values{"point": {fmt.Sprint(point.ID)}, "code": {code}})
}

func (c *staffClient) redeem(point commerce.PickupPoint, code string) *httptest.ResponseRecorder {
	return c.post("/staff/redeem", url.Values{"point": {fmt.Sprint(point.ID)}, "code": {code}})
}

// staffGoErrors are fragments of the domain's error strings: a page never shows them.
var staffGoErrors = []string{"wrong pickup code", "pickup code expired", "belongs to another pickup point", "too many attempts",
	"forbidden", "invalid input", "invalid order status transition", "sqlite", "%!", "<nil>"}

// wantStaffPage checks status and that the body contains every want, shows no
// Go error string, and carries the protective headers.
func wantStaffPage(t *testing.T, what string, w *httptest.ResponseRecorder, status int, want ...string) {
	t.Helper()
	body := w.Body.String()
	if w.Code != status {
		t.Fatalf("%s: status %d, want %d:\n%s", what, w.Code, status, body)
	}
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("%s: page lacks %q:\n%s", what, s, body)
		}
	}
	for _, s := range staffGoErrors {
		if strings.Contains(body, s) {
			t.Errorf("%s: page shows the Go error fragment %q", what, s)
		}
	}
	h := w.Result().Header
	if !strings.HasPrefix(h.Get("Content-Type"), "text/html") || h.Get("Cache-Control") != "no-store" ||
		h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" ||
		!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("%s: headers %v", what, h)
	}
}

// staffOtherCode returns a 6-digit code different from code.
func staffOtherCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	ok := Options{Pickup: &commerce.Pickup{}, Key: staffTestKey, Store: testenv.SQLite(t), PublicURL: "http://127.0.0.1:8080"}
	if _, err := New(ok); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*Options){
		"no pickup":    func(o *Options) { o.Pickup = nil },
		"short key":    func(o *Options) { o.Key = []byte("short") },
		"no store":     func(o *Options) { o.Store = nil },
		"no URL":       func(o *Options) { o.PublicURL = "" },
		"relative URL": func(o *Options) { o.PublicURL = "/shop" },
		"ftp URL":      func(o *Options) { o.PublicURL = "ftp://shop.example" },
	} {
		o := ok
		edit(&o)
		if _, err := New(o); !errors.Is(err, commerce.ErrInvalid) {
			t.Errorf("%s: err = %v; want ErrInvalid", name, err)
		}
	}
}

func TestStaffLoginLink(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	link, err := e.staff.LoginLink(e.ctx, "web:staff-jingan", LoginTTL)
	if err != nil || !strings.HasPrefix(link, "https://shop.example/staff/login?token=") {
		t.Fatalf("LoginLink = %q, %v", link, err)
	}
	if LoginTTL != 15*time.Minute || MaxLoginTTL != 24*time.Hour {
		t.Fatalf("login links last %v by default, %v at most; want 15m and 24h", LoginTTL, MaxLoginTTL)
	}
	for _, bad := range []struct {
		identity string
		ttl      time.Duration
	}{{"staff-jingan", time.Hour}, {"web:", time.Hour}, {"web:a b", time.Hour}, {"web:staff-jingan", 0},
		{"web:staff-jingan", -time.Hour}, {"web:staff-jingan", MaxLoginTTL + time.Second}, {"web:staff-jingan", 30 * 24 * time.Hour}} {
		if _, err := e.staff.LoginLink(e.ctx, bad.identity, bad.ttl); !errors.Is(err, commerce.ErrInvalid) {
			t.Errorf("LoginLink(%q, %v) err = %v; want ErrInvalid", bad.identity, bad.ttl, err)
		}
	}
	token := strings.TrimPrefix(link, "https://shop.example/staff/login?token=")
	signIn := func(b *staffClient, tok string) *httptest.ResponseRecorder {
		return b.postRaw("/staff/login", url.Values{"token": {tok}}.Encode())
	}

	t.Run("works once", func(t *testing.T) {
		b := &staffClient{e: e}
		// Opening the link (or a chat app fetching its preview) signs no one in.
		for range 2 {
			w := b.get(link)
			wantStaffPage(t, "open the link", w, http.StatusOK, `action="/staff/login"`, `name="token" value="`+token+`"`,
				"web:staff-jingan", "The link works once.", ">Sign in<")
			if len(w.Result().Cookies()) != 0 {
				t.Fatalf("opening the link set cookies %v", w.Result().Cookies())
			}
		}
		w := signIn(b, token)
		wantStaffPage(t, "sign in", w, http.StatusOK, `http-equiv="refresh" content="0; url=/staff"`, `href="/staff"`)
		c := staffSessionCookie(t, w)
		if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge != int(SessionTTL/time.Second) {
			t.Errorf("session cookie %+v", c)
		}
		b.cookie = c
		wantStaffPage(t, "staff page", b.get("/staff"), http.StatusOK, "Jing&#39;an Temple pickup point",
			`action="/staff/inspect"`, "autofocus", `inputmode="numeric"`, "web:staff-jingan")
		// The browser it signed in opens it again: on to the staff page.
		wantStaffPage(t, "reopen signed in", b.get(link), http.StatusOK, `url=/staff"`)
		// Anyone else, or a second sign-in: used.
		for name, w := range map[string]*httptest.ResponseRecorder{
			"open":           (&staffClient{e: e}).get(link),
			"sign in":        signIn(&staffClient{e: e}, token),
			"sign in again":  signIn(b, token),
			"open elsewhere": (&staffClient{e: e, lang: "zh-CN"}).get(link),
		} {
			if name == "open elsewhere" {
				wantStaffPage(t, name, w, http.StatusGone, "此登录链接已被使用")
				continue
			}
			wantStaffPage(t, "used link: "+name, w, http.StatusGone, "This login link was already used.", "ask your seller for a new one",
				`<a class="button secondary" href="/staff">`)
			if cs := w.Result().Cookies(); len(cs) != 0 && cs[0].MaxAge >= 0 {
				t.Errorf("used link %s set cookies %v", name, cs)
			}
		}
		wantStaffPage(t, "still signed in", b.get("/staff"), http.StatusOK)
	})
	t.Run("tampered", func(t *testing.T) {
		fresh, err := e.staff.LoginLink(e.ctx, "web:staff-jingan", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		tok := []byte(strings.TrimPrefix(fresh, "https://shop.example/staff/login?token="))
		for _, i := range []int{0, 5, len(tok) / 2, len(tok) - 1} {
			bad := append([]byte(nil), tok...)
			if bad[i] == 'A' {
				bad[i] = 'B'
			} else {
				bad[i] = 'A'
			}
			for _, w := range []*httptest.ResponseRecorder{e.serve(httptest.NewRequest(http.MethodGet, "/staff/login?token="+string(bad), nil)),
				signIn(&staffClient{e: e}, string(bad))} {
				wantStaffPage(t, "tampered link", w, http.StatusUnauthorized, "This login link is not valid.", "Ask your seller for a login link")
				if len(w.Result().Cookies()) != 0 {
					t.Errorf("tampered link set cookies %v", w.Result().Cookies())
				}
			}
		}
		for _, bad := range []string{"", "x", strings.Repeat("A", 5000), string(tok) + "A", string(tok[:len(tok)-2])} {
			w := e.serve(httptest.NewRequest(http.MethodGet, "/staff/login?token="+url.QueryEscape(bad), nil))
			wantStaffPage(t, "malformed link", w, http.StatusUnauthorized, "This login link is not valid.")
		}
		// Made under another staff key.
		other, err := New(Options{Pickup: e.pickup, Key: []byte("another staff key of at least 32 bytes.."), Store: e.st, PublicURL: "https://shop.example"})
		if err != nil {
			t.Fatal(err)
		}
		foreign, _ := other.LoginLink(e.ctx, "web:staff-jingan", time.Hour)
		wantStaffPage(t, "foreign link", e.serve(httptest.NewRequest(http.MethodGet, foreign, nil)), http.StatusUnauthorized, "not valid")
		// The genuine one still works.
		wantStaffPage(t, "genuine", signIn(&staffClient{e: e}, string(tok)), http.StatusOK)
	})
	t.Run("expired", func(t *testing.T) {
		short, err := e.staff.LoginLink(e.ctx, "web:staff-jingan", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute - time.Second)
		if w := e.serve(httptest.NewRequest(http.MethodGet, short, nil)); w.Code != http.StatusOK {
			t.Fatalf("link a second before expiry: %d", w.Code)
		}
		e.clock.Advance(time.Second)
		wantStaffPage(t, "expired link", e.serve(httptest.NewRequest(http.MethodGet, short, nil)), http.StatusUnauthorized,
			"This login link has expired. Ask your seller for a new one.")
		wantStaffPage(t, "sign in with an expired link", signIn(&staffClient{e: e}, strings.TrimPrefix(short, "https://shop.example/staff/login?token=")),
			http.StatusUnauthorized, "This login link has expired.")
	})
	e.noSecretsLogged(token)
}

// TestStaffSignInAgain: a browser signing in with another link ends the
// session it had.
func TestStaffSignInAgain(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	c := e.login("web:staff-jingan")
	old := *c.cookie
	link, err := e.staff.LoginLink(e.ctx, "web:staff-lujiazui", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	w := c.postRaw("/staff/login", url.Values{"token": {strings.TrimPrefix(link, "https://shop.example/staff/login?token=")}}.Encode())
	wantStaffPage(t, "sign in again", w, http.StatusOK, "web:staff-lujiazui")
	c.cookie = staffSessionCookie(t, w)
	wantStaffPage(t, "new session", c.get("/staff"), http.StatusOK, "web:staff-lujiazui")
	wantStaffPage(t, "the previous session", (&staffClient{e: e, cookie: &old}).get("/staff"), http.StatusUnauthorized)
}

func TestStaffSession(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	anon := &staffClient{e: e}
	wantStaffPage(t, "no cookie", anon.get("/staff"), http.StatusUnauthorized, "Ask your seller for a login link")
	for _, path := range []string{"/staff/inspect", "/staff/redeem", "/staff/returns/1/accept", "/staff/returns/1/reject", "/staff/logout", "/staff/logout/everywhere"} {
		wantStaffPage(t, "anonymous POST "+path, anon.post(path, url.Values{"code": {"123456"}}), http.StatusUnauthorized, "login link")
	}
	c := e.login("web:staff-jingan")
	if c.csrf == "" {
		t.Fatal("no CSRF token on the page")
	}
	// A forged or altered cookie is refused and dropped.
	forged := &staffClient{e: e, cookie: &http.Cookie{Name: c.cookie.Name, Value: c.cookie.Value[:len(c.cookie.Value)-1] + "A"}}
	if strings.HasSuffix(c.cookie.Value, "A") {
		forged.cookie.Value = c.cookie.Value[:len(c.cookie.Value)-1] + "B"
	}
	w := forged.get("/staff")
	wantStaffPage(t, "forged cookie", w, http.StatusUnauthorized, "login link")
	if cs := w.Result().Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 {
		t.Errorf("forged cookie not dropped: %v", cs)
	}
	// A login token is no session cookie.
	wantStaffPage(t, "login token as cookie", (&staffClient{e: e, cookie: &http.Cookie{Name: c.cookie.Name, Value: c.token}}).get("/staff"), http.StatusUnauthorized)

	// Sign out: the session ends on the server, so the cookie, replayed,
	// proves nothing.
	wantStaffPage(t, "logout without CSRF", c.post("/staff/logout", url.Values{"csrf": {""}}), http.StatusForbidden)
	stolen := &staffClient{e: e, cookie: c.cookie, csrf: c.csrf}
	w = c.post("/staff/logout", nil)
	wantStaffPage(t, "logout", w, http.StatusOK, "Signed out.")
	if cs := w.Result().Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 || cs[0].Value != "" {
		t.Errorf("logout cookies %v", cs)
	}
	wantStaffPage(t, "replayed cookie after logout", stolen.get("/staff"), http.StatusUnauthorized, "login link")
	o, pass := e.readyOrder("SH-JINGAN", "Alice Li")
	wantStaffPage(t, "replayed cookie redeems", stolen.redeem(e.point("SH-JINGAN"), pass.Code), http.StatusUnauthorized)
	if e.status(o.ID) != commerce.StatusReadyForPickup {
		t.Fatal("a logged-out cookie handed an order over")
	}

	// Sessions end after SessionTTL.
	c = e.login("web:staff-jingan")
	e.clock.Advance(SessionTTL - time.Second)
	wantStaffPage(t, "session before expiry", c.get("/staff"), http.StatusOK)
	e.clock.Advance(time.Second)
	wantStaffPage(t, "expired session", c.get("/staff"), http.StatusUnauthorized, "login link")
}

// TestStaffSignOutEverywhere: from the page, or by the seller (the CLI's
// SignOutEverywhere), every session of the staff member ends and their
// unused links stop working; other staff stay signed in.
func TestStaffSignOutEverywhere(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	phone, tablet := e.login("web:staff-jingan"), e.login("web:staff-jingan")
	colleague := e.login("web:staff-lujiazui")
	pending, err := e.staff.LoginLink(e.ctx, "web:staff-jingan", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	wantStaffPage(t, "button", phone.get("/staff"), http.StatusOK, `formaction="/staff/logout/everywhere"`, "Sign out on all devices")
	wantStaffPage(t, "without CSRF", phone.post("/staff/logout/everywhere", url.Values{"csrf": {tablet.csrf}}), http.StatusForbidden)
	w := phone.post("/staff/logout/everywhere", nil)
	wantStaffPage(t, "sign out everywhere", w, http.StatusOK, "Signed out on all your devices.")
	if cs := w.Result().Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 {
		t.Errorf("cookies %v", cs)
	}
	for name, c := range map[string]*staffClient{"phone": phone, "tablet": tablet} {
		wantStaffPage(t, name+" after signing out everywhere", c.get("/staff"), http.StatusUnauthorized)
	}
	wantStaffPage(t, "a link made before", e.serve(httptest.NewRequest(http.MethodGet, pending, nil)), http.StatusUnauthorized, "not valid")
	wantStaffPage(t, "colleague", colleague.get("/staff"), http.StatusOK, "web:staff-lujiazui")

	// The seller signs the colleague out.
	if s, l, err := e.staff.SignOutEverywhere(e.ctx, "web:staff-lujiazui"); err != nil || s != 1 || l != 0 {
		t.Fatalf("SignOutEverywhere = %d, %d, %v", s, l, err)
	}
	wantStaffPage(t, "colleague signed out by the seller", colleague.get("/staff"), http.StatusUnauthorized)
}

func TestStaffNotStaff(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	c := e.login("web:alice")
	wantStaffPage(t, "non-staff", c.get("/staff"), http.StatusForbidden, "not staff of any pickup point", "web:alice", "Sign out")
	_, pass := e.readyOrder("SH-JINGAN", "Alice Li")
	wantStaffPage(t, "non-staff inspect", c.inspect(e.point("SH-JINGAN"), pass.Code), http.StatusForbidden)
	wantStaffPage(t, "non-staff redeem", c.redeem(e.point("SH-JINGAN"), pass.Code), http.StatusForbidden)
	// Staff removed from every point lose access at once.
	j := e.login("web:staff-jingan")
	p := e.point("SH-JINGAN")
	p.Staff = []string{"web:someone-else"}
	if _, err := e.pickup.SavePoint(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	wantStaffPage(t, "removed staff", j.get("/staff"), http.StatusForbidden, "not staff of any pickup point")
}

func TestStaffCSRF(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	o, pass := e.readyOrder("SH-JINGAN", "Alice Li")
	c := e.login("web:staff-jingan")
	other := e.login("web:staff-jingan") // another session of the same person
	if other.csrf == c.csrf {
		t.Fatal("two sessions share a CSRF token")
	}
	pt := fmt.Sprint(e.point("SH-JINGAN").ID)
	for name, csrf := range map[string][]string{"missing": nil, "empty": {""}, "other session": {other.csrf}, "garbage": {"x" + c.csrf}} {
		for _, path := range []string{"/staff/inspect", "/staff/redeem", "/staff/returns/1/accept", "/staff/logout", "/staff/logout/everywhere"} {
			form := url.Values{"point": {pt}, "code": {pass.Code}}
			if csrf == nil {
				wantStaffPage(t, name+" "+path, c.postRaw(path, form.Encode()), http.StatusForbidden, "This page expired")
				continue
			}
			form["csrf"] = csrf
			wantStaffPage(t, name+" "+path, c.post(path, form), http.StatusForbidden, "This page expired")
		}
	}
	// The CSRF token in the query string does not count.
	wantStaffPage(t, "csrf in query", c.postRaw("/staff/redeem?csrf="+url.QueryEscape(c.csrf), url.Values{"point": {pt}, "code": {pass.Code}}.Encode()), http.StatusForbidden)
	if e.status(o.ID) != commerce.StatusReadyForPickup {
		t.Fatal("a refused POST handed the order over")
	}
	// Bodies over 16 KiB are refused.
	big := url.Values{"csrf": {c.csrf}, "point": {pt}, "code": {pass.Code}, "pad": {strings.Repeat("x", MaxBody)}}
	wantStaffPage(t, "big body", c.postRaw("/staff/redeem", big.Encode()), http.StatusRequestEntityTooLarge)
	if e.status(o.ID) != commerce.StatusReadyForPickup {
		t.Fatal("a too large POST handed the order over")
	}
	// With the token the same request works.
	wantStaffPage(t, "with CSRF", c.redeem(e.point("SH-JINGAN"), pass.Code), http.StatusOK, "Handed over")
}

func TestStaffInspectAndRedeem(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	jingan := e.point("SH-JINGAN")
	o, pass := e.readyOrder("SH-JINGAN", "Alice Li")
	if _, err := e.pickup.Book(e.ctx, o.Buyer, o.ID, commerce.PickupSlot{PointID: jingan.ID,
		Start: time.Date(2026, 11, 25, 14, 0, 0, 0, staffShanghai)}); err != nil {
		t.Fatal(err)
	}
	other, _ := e.readyOrder("SH-JINGAN", "Bob Wang")
	c := e.login("web:staff-jingan")

	// Typed as "123 456": the page shows the order, nothing changes yet.
	w := c.inspect(jingan, pass.Code[:3]+" "+pass.Code[3:])
	wantStaffPage(t, "inspect", w, http.StatusOK, o.Number, "Alice", "2 ×", "Hyaluronic acid serum 30 ml",
		"COS-001", "2026-11-25 14:00–14:15", "2026-11-25 09:00", "318.00 CNY", `action="/staff/redeem"`, "Hand over")
	body := w.Body.String()
	if strings.Contains(body, "Alice Li") || strings.Contains(body, other.Number) || strings.Contains(body, "+86") {
		t.Errorf("inspect shows more than the buyer's first name or another order:\n%s", body)
	}
	if e.status(o.ID) != commerce.StatusReadyForPickup {
		t.Fatal("inspect handed the order over")
	}
	// The hand-over form carries what was entered.
	if !strings.Contains(body, `name="code" value="`+pass.Code[:3]+" "+pass.Code[3:]+`"`) {
		t.Errorf("hand-over form lacks the code:\n%s", body)
	}

	wantStaffPage(t, "redeem", c.redeem(jingan, pass.Code), http.StatusOK, "Handed over", o.Number, "Alice", "2026-11-25 09:00")
	if e.status(o.ID) != commerce.StatusPickedUp {
		t.Fatalf("order is %s after redeem", e.status(o.ID))
	}
	wantStaffPage(t, "redeem again", c.redeem(jingan, pass.Code), http.StatusConflict, "already collected")
	wantStaffPage(t, "redeem again by token", c.redeem(jingan, pass.Token), http.StatusConflict, "already collected")
	wantStaffPage(t, "inspect after", c.inspect(jingan, pass.Code), http.StatusConflict, "already collected")
	wantStaffPage(t, "empty code", c.inspect(jingan, "  "), http.StatusUnprocessableEntity, "Enter the 6-digit code")
	if e.status(other.ID) != commerce.StatusReadyForPickup {
		t.Fatal("another order moved")
	}
	e.noSecretsLogged(pass.Code, pass.Token, c.token, c.csrf, c.cookie.Value)
}

func TestStaffDoubleRedeem(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	o, pass := e.readyOrder("SH-JINGAN", "Alice Li")
	a, b := e.login("web:staff-jingan"), e.login("web:staff-jingan")
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, c := range []*staffClient{a, b} {
		wg.Go(func() { codes[i] = c.redeem(e.point("SH-JINGAN"), pass.Code).Code })
	}
	wg.Wait()
	if !(codes[0] == http.StatusOK && codes[1] == http.StatusConflict || codes[0] == http.StatusConflict && codes[1] == http.StatusOK) {
		t.Fatalf("concurrent redeems answered %v; want one 200 and one 409", codes)
	}
	if e.status(o.ID) != commerce.StatusPickedUp {
		t.Fatal("order not picked up")
	}
}

func TestStaffWrongCodeRateLimit(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	jingan := e.point("SH-JINGAN")
	o, pass := e.readyOrder("SH-JINGAN", "Alice Li")
	c := e.loginFrom("web:staff-jingan", "203.0.113.7:40000")
	wrong := staffOtherCode(pass.Code)
	// The default staff limit: 5 wrong codes per 10 minutes, per session.
	for i, in := range []string{wrong, "12345", "hello", wrong, "P1.tampered"} {
		wantStaffPage(t, fmt.Sprintf("wrong code %d", i), c.inspect(jingan, in), http.StatusUnprocessableEntity, "Wrong code.")
	}
	w := c.inspect(jingan, pass.Code)
	wantStaffPage(t, "rate limited", w, http.StatusTooManyRequests, "Too many wrong codes. Try again after 09:10 (in about 10 min).")
	if got := w.Result().Header.Get("Retry-After"); got != "600" {
		t.Errorf("Retry-After = %q", got)
	}
	wantStaffPage(t, "rate limited redeem", c.redeem(jingan, pass.Code), http.StatusTooManyRequests, "Try again after")
	zh := *c
	zh.lang = "zh-CN"
	wantStaffPage(t, "rate limited in Chinese", zh.inspect(jingan, pass.Code), http.StatusTooManyRequests, "09:10 之后再试（约 10 分钟）")
	ru := *c
	ru.lang = "ru-RU"
	wantStaffPage(t, "rate limited in Russian", ru.inspect(jingan, pass.Code), http.StatusTooManyRequests, "Попробуйте после 09:10 (примерно через 10 мин)")
	if e.status(o.ID) != commerce.StatusReadyForPickup {
		t.Fatal("a rate-limited redeem handed the order over")
	}
	// The buyer's QR pass proves itself: scanning it works even now.
	wantStaffPage(t, "QR pass while limited", c.get("/staff?t="+url.QueryEscape(pass.Token)), http.StatusOK, o.Number, "Hand over")
	// Other points' staff are not affected; after the window the right code works.
	l := e.login("web:staff-lujiazui")
	wantStaffPage(t, "other staff", l.inspect(e.point("SH-LUJIAZUI"), wrong), http.StatusUnprocessableEntity, "Wrong code.")
	e.clock.Advance(10*time.Minute + time.Second)
	wantStaffPage(t, "after the window", c.redeem(jingan, pass.Code), http.StatusOK, "Handed over")
	e.noSecretsLogged(pass.Code, pass.Token)
}

// TestStaffOthersGuessesRefuseNoOne: wrong codes lock the session (and, past
// its allowance, the address) they come from, never the point: a colleague's
// right code, anyone's QR pass and the chat keep working, and the sellers
// are told of the flood once.
func TestStaffOthersGuessesRefuseNoOne(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	jingan := e.point("SH-JINGAN")
	o, pass := e.readyOrder("SH-JINGAN", "Alice Li")
	wrong := staffOtherCode(pass.Code)
	flood := e.countFloods()
	// A staff link in the wrong hands: sessions from 25 addresses guess.
	for i := range 25 {
		g := e.loginFrom("web:staff-jingan", fmt.Sprintf("198.51.100.%d:5000", i+1))
		for range 2 {
			wantStaffPage(t, "guess", g.inspect(jingan, wrong), http.StatusUnprocessableEntity, "Wrong code.")
		}
	}
	if n := flood(); n != 1 {
		t.Fatalf("%d flood alerts for 50 wrong codes from 25 sessions; want 1", n)
	}
	// The colleague at the counter, on the shop's own address.
	c := e.loginFrom("web:staff-jingan", "203.0.113.7:40000")
	wantStaffPage(t, "right code during the flood", c.inspect(jingan, pass.Code), http.StatusOK, o.Number)
	wantStaffPage(t, "QR pass during the flood", c.get("/staff?t="+url.QueryEscape(pass.Token)), http.StatusOK, o.Number)
	if _, err := e.pickup.Inspect(e.ctx, "web:staff-jingan", jingan.ID, pass.Code); err != nil {
		t.Fatalf("chat staff during the flood: %v", err)
	}
	wantStaffPage(t, "hand over during the flood", c.redeem(jingan, pass.Token), http.StatusOK, "Handed over")
	if n := flood(); n != 1 {
		t.Fatalf("%d flood alerts; want still 1", n)
	}
}

// countFloods hooks the store's events and counts StaffCodeFlood.
func (e *staffEnv) countFloods() func() int {
	var mu sync.Mutex
	n := 0
	e.st.SetOnEvent(func(_ context.Context, _ *sql.Tx, ev commerce.Event) error {
		if _, ok := ev.(commerce.StaffCodeFlood); ok {
			mu.Lock()
			n++
			mu.Unlock()
		}
		return nil
	})
	return func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// TestStaffAddressLimit: sessions from one address share its allowance (20
// per 10 minutes); behind SHOPBOT_TRUSTED_PROXIES the address is the
// client's from X-Forwarded-For, which nobody else can choose.
func TestStaffAddressLimit(t *testing.T) {
	t.Parallel()
	proxies, err := clientaddr.Parse("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	e := newStaffEnvOn(t, testenv.DemoSQLite(t), proxies)
	jingan := e.point("SH-JINGAN")
	_, pass := e.readyOrder("SH-JINGAN", "Alice Li")
	wrong := staffOtherCode(pass.Code)
	session := func(peer, xff string) *staffClient {
		c := e.loginFrom("web:staff-jingan", peer)
		c.xff = xff
		return c
	}
	// Four sessions of one client behind our proxy use up its address.
	for i := range 4 {
		g := session(fmt.Sprintf("10.0.0.%d:80", i+1), "198.51.100.9")
		for range 5 {
			wantStaffPage(t, "guess", g.inspect(jingan, wrong), http.StatusUnprocessableEntity, "Wrong code.")
		}
	}
	wantStaffPage(t, "a fifth session of that client", session("10.0.0.9:80", "198.51.100.9").inspect(jingan, pass.Code), http.StatusTooManyRequests)
	wantStaffPage(t, "another client behind the proxy", session("10.0.0.9:80", "198.51.100.10").inspect(jingan, pass.Code), http.StatusOK)
	// A client talking to us directly cannot pick its address with the header.
	direct := session("203.0.113.50:1234", "")
	for i := range 4 {
		direct = session("203.0.113.50:1234", fmt.Sprintf("192.0.2.%d", i))
		for range 5 {
			wantStaffPage(t, "direct guess", direct.inspect(jingan, wrong), http.StatusUnprocessableEntity, "Wrong code.")
		}
	}
	direct.xff = "192.0.2.200"
	wantStaffPage(t, "spoofed header", session("203.0.113.50:1234", "192.0.2.201").inspect(jingan, pass.Code), http.StatusTooManyRequests)
	// IPv6 clients count by /64.
	for i := range 4 {
		g := session(fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1), "")
		for range 5 {
			wantStaffPage(t, "v6 guess", g.inspect(jingan, wrong), http.StatusUnprocessableEntity, "Wrong code.")
		}
	}
	wantStaffPage(t, "the same /64", session("[2001:db8:1:2:ffff::1]:443", "").inspect(jingan, pass.Code), http.StatusTooManyRequests)
	wantStaffPage(t, "another /64", session("[2001:db8:1:3::1]:443", "").inspect(jingan, pass.Code), http.StatusOK)
}

// TestStaffConcurrentWrongCodes: 100 simultaneous wrong codes from one
// session are answered "wrong code" exactly 5 times and "too many" 95
// times, on SQLite and (with DATABASE_URL) on Postgres.
func TestStaffConcurrentWrongCodes(t *testing.T) {
	t.Parallel()
	for name, open := range staffStores(t) {
		t.Run(name, func(t *testing.T) {
			e := newStaffEnvOn(t, open(t), clientaddr.Resolver{})
			jingan := e.point("SH-JINGAN")
			_, pass := e.readyOrder("SH-JINGAN", "Alice Li")
			c := e.login("web:staff-jingan")
			wrong := staffOtherCode(pass.Code)
			codes := make([]int, 100)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range codes {
				wg.Go(func() {
					<-start
					codes[i] = c.inspect(jingan, wrong).Code
				})
			}
			close(start)
			wg.Wait()
			count := map[int]int{}
			for _, code := range codes {
				count[code]++
			}
			t.Logf("100 simultaneous wrong codes: %d answered wrong (evaluated), %d too many", count[422], count[429])
			if count[http.StatusUnprocessableEntity] != 5 || count[http.StatusTooManyRequests] != 95 {
				t.Fatalf("answers %v; want 5 × 422 and 95 × 429", count)
			}
		})
	}
}

// staffStores opens demo-seeded stores: SQLite, and Postgres when
// DATABASE_URL names one.
func staffStores(t *testing.T) map[string]func(*testing.T) *sqlstore.Store {
	out := map[string]func(*testing.T) *sqlstore.Store{"sqlite": func(t *testing.T) *sqlstore.Store { return testenv.DemoSQLite(t) }}
	if os.Getenv("DATABASE_URL") != "" || testenv.Required() {
		out["postgres"] = func(t *testing.T) *sqlstore.Store {
			ctx := context.Background()
			db, err := postgres.Open(ctx, testenv.PostgresSchema(t), postgres.PoolOptions{MaxConns: 8})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(db.Close)
			if err := postgres.Migrate(ctx, db.SQL); err != nil {
				t.Fatal(err)
			}
			st := postgres.New(db.SQL, sqlstore.Options{})
			if err := demo.Seed(ctx, st); err != nil {
				t.Fatal(err)
			}
			return st
		}
	}
	return out
}

// TestStaffKeysRotateApart: the staff key and the pickup pass key are two
// secrets. A new staff key signs every staff member out and leaves the
// buyers' QR passes valid; a new pass key changes the passes and signs no
// one out.
func TestStaffKeysRotateApart(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	jingan := e.point("SH-JINGAN")
	o, pass := e.readyOrder("SH-JINGAN", "Alice Li")
	c := e.login("web:staff-jingan")
	page := func(key []byte, pickup *commerce.Pickup) *http.ServeMux {
		p, err := New(Options{Pickup: pickup, Key: key, Store: e.st, PublicURL: "https://shop.example", Clock: e.clock.Now, Secure: true})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		p.Register(mux)
		return mux
	}
	newPickup := func(secret []byte) *commerce.Pickup {
		p, err := commerce.NewPickup(commerce.PickupOptions{Store: e.st, Clock: e.clock, Secret: secret})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	// The staff key rotates: everyone signs in again; the pass still works.
	e.mux = page([]byte("the rotated staff key, at least 32 bytes"), e.pickup)
	wantStaffPage(t, "old session, new staff key", c.get("/staff"), http.StatusUnauthorized, "login link")
	e.staff, _ = New(Options{Pickup: e.pickup, Key: []byte("the rotated staff key, at least 32 bytes"), Store: e.st, PublicURL: "https://shop.example/", Clock: e.clock.Now, Secure: true})
	c = e.login("web:staff-jingan")
	wantStaffPage(t, "QR pass after the staff key rotated", c.get("/staff?t="+url.QueryEscape(pass.Token)), http.StatusOK, o.Number)

	// The pass key rotates: the session stays; the buyer's pass changes.
	rotated := newPickup([]byte("the rotated pickup pass key, 32+ bytes.."))
	e.mux = page([]byte("the rotated staff key, at least 32 bytes"), rotated)
	wantStaffPage(t, "session after the pass key rotated", c.get("/staff"), http.StatusOK, "web:staff-jingan")
	wantStaffPage(t, "old pass, new pass key", c.inspect(jingan, pass.Token), http.StatusUnprocessableEntity, "Wrong code.")
	fresh, err := rotated.Pass(e.ctx, o.Buyer, o.ID)
	if err != nil || fresh.Token == pass.Token || fresh.Code != pass.Code {
		t.Fatalf("pass after rotation = %+v, %v", fresh, err)
	}
	wantStaffPage(t, "new pass", c.redeem(jingan, fresh.Token), http.StatusOK, "Handed over")
}

func TestStaffOtherPoint(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	jingan, lujiazui := e.point("SH-JINGAN"), e.point("SH-LUJIAZUI")
	o, pass := e.readyOrder("SH-JINGAN", "Alice Li")
	l := e.login("web:staff-lujiazui")
	// Staff of Lujiazui acting at Jing'an.
	wantStaffPage(t, "inspect at another point", l.inspect(jingan, pass.Code), http.StatusForbidden, "You are not staff of this pickup point.")
	wantStaffPage(t, "redeem at another point", l.redeem(jingan, pass.Code), http.StatusForbidden, "You are not staff of this pickup point.")
	wantStaffPage(t, "open another point", l.get(fmt.Sprintf("/staff?point=%d", jingan.ID)), http.StatusForbidden, "You are not staff of this pickup point.")
	wantStaffPage(t, "bad point id", l.get("/staff?point=abc"), http.StatusForbidden)
	// A genuine token of Jing'an at Lujiazui.
	wantStaffPage(t, "token of another point", l.inspect(lujiazui, pass.Token), http.StatusUnprocessableEntity, "This code is for another pickup point.")
	wantStaffPage(t, "token of another point by URL", l.get("/staff?t="+url.QueryEscape(pass.Token)), http.StatusUnprocessableEntity, "another pickup point")
	// Jing'an's code typed at Lujiazui is just a wrong code there.
	wantStaffPage(t, "code of another point", l.redeem(lujiazui, pass.Code), http.StatusUnprocessableEntity, "Wrong code.")
	if e.status(o.ID) != commerce.StatusReadyForPickup {
		t.Fatal("order moved")
	}
}

func TestStaffScannedToken(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	o, pass := e.readyOrder("SH-JINGAN", "李小明")
	qrURL := "https://shop.example/staff?t=" + pass.Token // what app puts in the QR code

	wantStaffPage(t, "scanned without a session", (&staffClient{e: e}).get("/staff?t="+pass.Token), http.StatusUnauthorized, "login link")
	c := e.login("web:staff-jingan")
	u, _ := url.Parse(qrURL)
	w := c.get(u.RequestURI())
	wantStaffPage(t, "scanned", w, http.StatusOK, o.Number, "李**", "Hand over", `name="code" value="`+pass.Token+`"`)
	if strings.Contains(w.Body.String(), "李小明") {
		t.Error("full name shown")
	}
	if e.status(o.ID) != commerce.StatusReadyForPickup {
		t.Fatal("opening the scanned URL handed the order over")
	}
	wantStaffPage(t, "hand over scanned", c.redeem(e.point("SH-JINGAN"), pass.Token), http.StatusOK, "Handed over", o.Number)
	wantStaffPage(t, "scan again", c.get(u.RequestURI()), http.StatusConflict, "already collected")

	// The whole URL pasted into the field works too.
	o2, pass2 := e.readyOrder("SH-JINGAN", "Bob Wang")
	wantStaffPage(t, "pasted URL", c.inspect(e.point("SH-JINGAN"), "https://shop.example/staff?t="+pass2.Token), http.StatusOK, o2.Number, "Bob")
	// A ?t= that is not a token only fills the field.
	wantStaffPage(t, "t is a code", c.get("/staff?t="+pass2.Code), http.StatusOK, `value="`+pass2.Code+`"`)
	if e.status(o2.ID) != commerce.StatusReadyForPickup {
		t.Fatal("order 2 moved")
	}
	// Expired codes say so (after 30 days; sign in again, the session is shorter).
	e.clock.Advance(30*24*time.Hour + time.Second)
	c = e.login("web:staff-jingan")
	wantStaffPage(t, "expired token", c.get("/staff?t="+pass2.Token), http.StatusGone, "This code has expired.")
	wantStaffPage(t, "expired code", c.inspect(e.point("SH-JINGAN"), pass2.Code), http.StatusGone, "This code has expired.")
	e.noSecretsLogged(pass.Token, pass2.Token, pass2.Code)
}

func TestStaffSeveralPoints(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	e.addStaff("SH-JINGAN", "tg:42")
	e.addStaff("SH-LUJIAZUI", "tg:42")
	jingan, lujiazui := e.point("SH-JINGAN"), e.point("SH-LUJIAZUI")
	c := e.login("tg:42")
	c.lang = "zh-CN"
	w := c.get("/staff")
	wantStaffPage(t, "chooser", w, http.StatusOK, `<select id="point" name="point">`, "静安寺自提点", "陆家嘴自提点",
		fmt.Sprintf(`<option value="%d" selected>`, jingan.ID), fmt.Sprintf(`name="point" value="%d"`, jingan.ID))
	if strings.Contains(w.Body.String(), "武林") {
		t.Error("a point the staff does not work at is listed")
	}
	wantStaffPage(t, "choose Lujiazui", c.get(fmt.Sprintf("/staff?point=%d", lujiazui.ID)), http.StatusOK,
		fmt.Sprintf(`<option value="%d" selected>`, lujiazui.ID), fmt.Sprintf(`name="point" value="%d"`, lujiazui.ID))

	c.lang = ""
	// A scanned Lujiazui token while Jing'an is chosen: checked at Lujiazui.
	o, pass := e.readyOrder("SH-LUJIAZUI", "Alice Li")
	w = c.get("/staff?t=" + pass.Token)
	wantStaffPage(t, "token of my other point", w, http.StatusOK, o.Number, fmt.Sprintf(`name="point" value="%d"`, lujiazui.ID))
	wantStaffPage(t, "redeem at the other point", c.redeem(lujiazui, pass.Token), http.StatusOK, "Handed over")
	// A Hangzhou token is still another point's.
	_, hz := e.readyOrder("HZ-WULIN", "Alice Li")
	wantStaffPage(t, "token of a point not mine", c.get("/staff?t="+hz.Token), http.StatusUnprocessableEntity, "another pickup point")
}

func TestStaffReturns(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	jingan, lujiazui := e.point("SH-JINGAN"), e.point("SH-LUJIAZUI")
	collect := func(contact string) commerce.Order {
		t.Helper()
		o, pass := e.readyOrder("SH-JINGAN", contact)
		if _, err := e.pickup.Redeem(e.ctx, "web:staff-jingan", jingan.ID, pass.Code); err != nil {
			t.Fatal(err)
		}
		return o
	}
	o1, o2 := collect("Alice Li"), collect("Bob Wang")
	r1, err := e.pickup.StartReturn(e.ctx, o1.Buyer, commerce.ReturnRequest{OrderID: o1.ID, Kind: commerce.ReturnRefund,
		Reason: "wrong_size", Note: `<script>alert("x")</script> too small`})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := e.pickup.StartReturn(e.ctx, o2.Buyer, commerce.ReturnRequest{OrderID: o2.ID, Kind: commerce.ReturnRepair, Reason: "defective"})
	if err != nil {
		t.Fatal(err)
	}
	if r2, err = e.pickup.BookDropoff(e.ctx, o2.Buyer, r2.ID, commerce.PickupSlot{PointID: jingan.ID,
		Start: time.Date(2026, 11, 26, 11, 0, 0, 0, staffShanghai)}); err != nil {
		t.Fatal(err)
	}

	c := e.login("web:staff-jingan")
	w := c.get("/staff")
	wantStaffPage(t, "open returns", w, http.StatusOK, o1.Number, o2.Number, "Return", "Wrong size", "Repair", "Defective",
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; too small", "2026-11-26 11:00–11:15",
		fmt.Sprintf(`action="/staff/returns/%d/accept"`, r1.ID), fmt.Sprintf(`formaction="/staff/returns/%d/reject"`, r1.ID))
	if strings.Contains(w.Body.String(), "<script>") {
		t.Error("buyer's note not escaped")
	}
	zh := *c
	zh.lang = "zh-CN"
	wantStaffPage(t, "open returns in Chinese", zh.get("/staff"), http.StatusOK, "退货", "尺码不合适", "维修", "质量问题", "待处理退货")
	ru := *c
	ru.lang = "ru"
	wantStaffPage(t, "open returns in Russian", ru.get("/staff"), http.StatusOK, "Ремонт", "Ожидаемые возвраты", "Принять")
	pt := fmt.Sprint(jingan.ID)

	// Staff of another point can neither see nor decide them.
	l := e.login("web:staff-lujiazui")
	if strings.Contains(l.get("/staff").Body.String(), o1.Number) {
		t.Error("another point's staff sees the return")
	}
	wantStaffPage(t, "decide at a point not mine", l.post(fmt.Sprintf("/staff/returns/%d/accept", r1.ID), url.Values{"point": {pt}}),
		http.StatusForbidden, "You are not staff of this pickup point.")
	wantStaffPage(t, "decide another point's return", l.post(fmt.Sprintf("/staff/returns/%d/accept", r1.ID), url.Values{"point": {fmt.Sprint(lujiazui.ID)}}),
		http.StatusUnprocessableEntity, "This return is handled at another pickup point.")

	wantStaffPage(t, "note too long", c.post(fmt.Sprintf("/staff/returns/%d/accept", r1.ID), url.Values{"point": {pt}, "note": {strings.Repeat("好", 501)}}),
		http.StatusUnprocessableEntity, "The note is too long")
	wantStaffPage(t, "unknown return", c.post("/staff/returns/999999/accept", url.Values{"point": {pt}}), http.StatusNotFound, "Not found.")
	wantStaffPage(t, "bad return id", c.post("/staff/returns/x/accept", url.Values{"point": {pt}}), http.StatusNotFound, "Not found.")

	w = c.post(fmt.Sprintf("/staff/returns/%d/accept", r1.ID), url.Values{"point": {pt}, "note": {" unworn, tags on "}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/staff?point="+pt+"&done=accepted" {
		t.Fatalf("accept: %d %v\n%s", w.Code, w.Header(), w.Body)
	}
	got, err := e.st.Return(e.ctx, r1.ID)
	if err != nil || got.Status != commerce.ReturnAccepted || got.DecidedBy != "web:staff-jingan" || got.DecisionNote != "unworn, tags on" {
		t.Fatalf("return after accept = %+v, %v", got, err)
	}
	if e.status(o1.ID) != commerce.StatusReturned {
		t.Fatalf("order after an accepted return is %s", e.status(o1.ID))
	}
	w = c.get(w.Header().Get("Location"))
	wantStaffPage(t, "after accept", w, http.StatusOK, "Return accepted.", o2.Number)
	if strings.Contains(w.Body.String(), o1.Number) {
		t.Error("a decided return is still listed")
	}
	wantStaffPage(t, "accept twice", c.post(fmt.Sprintf("/staff/returns/%d/reject", r1.ID), url.Values{"point": {pt}}),
		http.StatusConflict, "already decided")

	w = c.post(fmt.Sprintf("/staff/returns/%d/reject", r2.ID), url.Values{"point": {pt}, "note": {"water damage, not covered"}})
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "done=rejected") {
		t.Fatalf("reject: %d %v", w.Code, w.Header())
	}
	if got, _ := e.st.Return(e.ctx, r2.ID); got.Status != commerce.ReturnRejected {
		t.Fatalf("return after reject = %+v", got)
	}
	wantStaffPage(t, "after reject", c.get("/staff?done=rejected"), http.StatusOK, "Return rejected.", "None")
}

// FuzzStaffLogin: whatever token arrives, opening the login link answers
// 200 or 401 and signing in 200 with a session cookie or 401/410 without
// one, and neither shows a text key or a Go error. (staff/auth fuzzes the
// token itself.)
func FuzzStaffLogin(f *testing.F) {
	now := staffTestStart
	p, err := New(Options{Pickup: &commerce.Pickup{}, Key: staffTestKey, Store: testenv.SQLite(f), PublicURL: "https://shop.example",
		Clock: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	link, err := p.LoginLink(context.Background(), "web:staff-jingan", time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	valid := strings.TrimPrefix(link, "https://shop.example/staff/login?token=")
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add("")
	f.Add(strings.Repeat("A", 600))
	mux := http.NewServeMux()
	p.Register(mux)
	f.Fuzz(func(t *testing.T, tok string) {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/staff/login?token="+url.QueryEscape(tok), nil))
		if (w.Code != http.StatusOK && w.Code != http.StatusUnauthorized) || len(w.Result().Cookies()) != 0 {
			t.Fatalf("opening the link answered %d with cookies %v", w.Code, w.Result().Cookies())
		}
		if tok == valid && w.Code != http.StatusOK {
			t.Fatal("the valid link was refused")
		}
		r := httptest.NewRequest(http.MethodPost, "/staff/login", strings.NewReader(url.Values{"token": {tok}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w2 := httptest.NewRecorder()
		mux.ServeHTTP(w2, r)
		cookies := len(w2.Result().Cookies())
		switch {
		case w2.Code == http.StatusOK && cookies == 1:
		case (w2.Code == http.StatusUnauthorized || w2.Code == http.StatusGone) && cookies == 0:
		default:
			t.Fatalf("signing in answered %d with %d cookies", w2.Code, cookies)
		}
		for _, body := range []string{w.Body.String(), w2.Body.String()} {
			if strings.Contains(body, "staffpage_") || strings.Contains(body, "auth:") {
				t.Fatalf("login page shows a key or an error:\n%s", body)
			}
		}
	})
}

// An unpaid order is handed over only with its payment: the check shows
// the payment form (method and amount, the total by default); a hand-over
// without it, or with a bad amount, changes nothing; with it the order is
// picked up and the payment recorded against the staff member.
func TestStaffPaymentAtPickup(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	e.unpaid = true
	jingan := e.point("SH-JINGAN")
	o, pass := e.readyOrder("SH-JINGAN", "Alice Li")
	c := e.login("web:staff-jingan")
	wantStaffPage(t, "inspect unpaid", c.inspect(jingan, pass.Code), http.StatusOK, "Not paid yet", `name="payment" value="cash" required checked`,
		`name="payment" value="card"`, `name="payment" value="transfer"`, `name="amount"`, `value="318.00"`, `name="currency" value="CNY"`)
	wantStaffPage(t, "hand over without the payment", c.redeem(jingan, pass.Code), http.StatusConflict, "Not paid yet: choose how the buyer paid")
	form := func(method, amount string) url.Values {
		return url.Values{"point": {fmt.Sprint(jingan.ID)}, "code": {pass.Code}, "payment": {method}, "amount": {amount}, "currency": {"CNY"}}
	}
	wantStaffPage(t, "a bad amount", c.post("/staff/redeem", form("cash", "lots")), http.StatusUnprocessableEntity, "That is not an amount")
	wantStaffPage(t, "a bad method", c.post("/staff/redeem", form("iou", "318")), http.StatusUnprocessableEntity, "That is not an amount")
	if got, _ := e.st.Order(e.ctx, o.ID); got.Status != commerce.StatusReadyForPickup || got.Paid.IsPaid() {
		t.Fatalf("a refused hand-over changed the order: %s %+v", got.Status, got.Paid)
	}
	wantStaffPage(t, "hand over with the payment", c.post("/staff/redeem", form("card", "300,50")), http.StatusOK,
		"Handed over", o.Number, "Paid: 300.50 CNY · card")
	got, err := e.st.Order(e.ctx, o.ID)
	if err != nil || got.Status != commerce.StatusPickedUp || got.Paid.Method != commerce.PayCard || got.Paid.Amount != commerce.CNY(30050) ||
		got.Paid.By != "web:staff-jingan" {
		t.Fatalf("after the hand-over: %s %+v %v", got.Status, got.Paid, err)
	}
}
