package staff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/store/sqlstore"
)

var (
	staffTestSecret   = []byte("staff page test secret, at least 32 bytes")
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
}

func newStaffEnv(t *testing.T) *staffEnv {
	t.Helper()
	ctx := t.Context()
	st := testenv.DemoSQLite(t)
	var err error
	e := &staffEnv{t: t, ctx: ctx, st: st, clock: testenv.NewClock(staffTestStart), logs: &staffLogBuffer{},
		points: map[string]commerce.PickupPoint{}}
	if e.pickup, err = commerce.NewPickup(commerce.PickupOptions{Store: st, Clock: e.clock, Secret: staffPickupSecret}); err != nil {
		t.Fatal(err)
	}
	e.staff, err = New(Options{Pickup: e.pickup, Secret: staffTestSecret, PublicURL: "https://shop.example/",
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
}

var staffCSRFRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login signs identity in with a fresh login link.
func (e *staffEnv) login(identity string) *staffClient {
	e.t.Helper()
	link, err := e.staff.LoginLink(identity, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	w := e.serve(httptest.NewRequest(http.MethodGet, link, nil))
	if w.Code != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", identity, w.Code, w.Body)
	}
	c := &staffClient{e: e, cookie: staffSessionCookie(e.t, w), token: strings.TrimPrefix(link, "https://shop.example/staff/login?token=")}
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
	ok := Options{Pickup: &commerce.Pickup{}, Secret: staffTestSecret, PublicURL: "http://127.0.0.1:8080"}
	if _, err := New(ok); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*Options){
		"no pickup":    func(o *Options) { o.Pickup = nil },
		"short secret": func(o *Options) { o.Secret = []byte("short") },
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
	link, err := e.staff.LoginLink("web:staff-jingan", time.Hour)
	if err != nil || !strings.HasPrefix(link, "https://shop.example/staff/login?token=") {
		t.Fatalf("LoginLink = %q, %v", link, err)
	}
	for _, bad := range []struct {
		identity string
		ttl      time.Duration
	}{{"staff-jingan", time.Hour}, {"web:", time.Hour}, {"web:a b", time.Hour}, {"web:staff-jingan", 0},
		{"web:staff-jingan", -time.Hour}, {"web:staff-jingan", MaxLoginTTL + time.Second}} {
		if _, err := e.staff.LoginLink(bad.identity, bad.ttl); !errors.Is(err, commerce.ErrInvalid) {
			t.Errorf("LoginLink(%q, %v) err = %v; want ErrInvalid", bad.identity, bad.ttl, err)
		}
	}

	t.Run("valid", func(t *testing.T) {
		w := e.serve(httptest.NewRequest(http.MethodGet, link, nil))
		wantStaffPage(t, "login", w, http.StatusOK, `http-equiv="refresh" content="0; url=/staff"`, `href="/staff"`)
		c := staffSessionCookie(t, w)
		if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge != int(SessionTTL/time.Second) {
			t.Errorf("session cookie %+v", c)
		}
		cl := &staffClient{e: e, cookie: c}
		wantStaffPage(t, "staff page", cl.get("/staff"), http.StatusOK, "Jing&#39;an Temple pickup point",
			`action="/staff/inspect"`, "autofocus", `inputmode="numeric"`, "web:staff-jingan")
		// The link works until it expires (the CLI chooses how long).
		w = e.serve(httptest.NewRequest(http.MethodGet, link, nil))
		if w.Code != http.StatusOK {
			t.Errorf("second use of the link: %d", w.Code)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		u, _ := url.Parse(link)
		tok := []byte(u.Query().Get("token"))
		for _, i := range []int{0, 5, len(tok) / 2, len(tok) - 1} {
			bad := append([]byte(nil), tok...)
			if bad[i] == 'A' {
				bad[i] = 'B'
			} else {
				bad[i] = 'A'
			}
			w := e.serve(httptest.NewRequest(http.MethodGet, "/staff/login?token="+string(bad), nil))
			wantStaffPage(t, "tampered link", w, http.StatusUnauthorized, "This login link is not valid.", "Ask your seller for a login link")
			if len(w.Result().Cookies()) != 0 {
				t.Errorf("tampered link set cookies %v", w.Result().Cookies())
			}
		}
		for _, bad := range []string{"", "x", strings.Repeat("A", 5000), string(tok) + "A", string(tok[:len(tok)-2])} {
			w := e.serve(httptest.NewRequest(http.MethodGet, "/staff/login?token="+url.QueryEscape(bad), nil))
			wantStaffPage(t, "malformed link", w, http.StatusUnauthorized, "This login link is not valid.")
		}
		// Signed with another secret.
		other, err := New(Options{Pickup: e.pickup, Secret: []byte("another staff secret of at least 32 bytes"), PublicURL: "https://shop.example"})
		if err != nil {
			t.Fatal(err)
		}
		foreign, _ := other.LoginLink("web:staff-jingan", time.Hour)
		wantStaffPage(t, "foreign link", e.serve(httptest.NewRequest(http.MethodGet, foreign, nil)), http.StatusUnauthorized, "not valid")
	})
	t.Run("expired", func(t *testing.T) {
		short, err := e.staff.LoginLink("web:staff-jingan", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute - time.Second)
		if w := e.serve(httptest.NewRequest(http.MethodGet, short, nil)); w.Code != http.StatusOK {
			t.Fatalf("link a second before expiry: %d", w.Code)
		}
		e.clock.Advance(time.Second)
		wantStaffPage(t, "expired link", e.serve(httptest.NewRequest(http.MethodGet, short, nil)), http.StatusUnauthorized, "This login link has expired.")
	})
	e.noSecretsLogged(strings.TrimPrefix(link, "https://shop.example/staff/login?token="))
}

func TestStaffSession(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	anon := &staffClient{e: e}
	wantStaffPage(t, "no cookie", anon.get("/staff"), http.StatusUnauthorized, "Ask your seller for a login link")
	for _, path := range []string{"/staff/inspect", "/staff/redeem", "/staff/returns/1/accept", "/staff/returns/1/reject", "/staff/logout"} {
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

	// Sign out, then the page asks for a link again (the browser drops the cookie).
	wantStaffPage(t, "logout without CSRF", c.post("/staff/logout", url.Values{"csrf": {""}}), http.StatusForbidden)
	w = c.post("/staff/logout", nil)
	wantStaffPage(t, "logout", w, http.StatusOK, "Signed out.")
	if cs := w.Result().Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 || cs[0].Value != "" {
		t.Errorf("logout cookies %v", cs)
	}

	// Sessions end after SessionTTL.
	c = e.login("web:staff-jingan")
	e.clock.Advance(SessionTTL - time.Second)
	wantStaffPage(t, "session before expiry", c.get("/staff"), http.StatusOK)
	e.clock.Advance(time.Second)
	wantStaffPage(t, "expired session", c.get("/staff"), http.StatusUnauthorized, "login link")
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
		for _, path := range []string{"/staff/inspect", "/staff/redeem", "/staff/returns/1/accept", "/staff/logout"} {
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
	c := e.login("web:staff-jingan")
	wrong := staffOtherCode(pass.Code)
	// The default staff limit: 5 wrong codes per 10 minutes.
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
	// Other points' staff are not affected; after the window the right code works.
	l := e.login("web:staff-lujiazui")
	wantStaffPage(t, "other staff", l.inspect(e.point("SH-LUJIAZUI"), wrong), http.StatusUnprocessableEntity, "Wrong code.")
	e.clock.Advance(10*time.Minute + time.Second)
	c = e.login("web:staff-jingan")
	wantStaffPage(t, "after the window", c.redeem(jingan, pass.Code), http.StatusOK, "Handed over")
	e.noSecretsLogged(pass.Code, pass.Token)
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

// FuzzStaffLogin: whatever token arrives, the login page answers 200 with a
// session cookie or 401 without one, and never shows a text key or a Go
// error. (staff/auth fuzzes the token itself.)
func FuzzStaffLogin(f *testing.F) {
	now := staffTestStart
	p, err := New(Options{Pickup: &commerce.Pickup{}, Secret: staffTestSecret, PublicURL: "https://shop.example",
		Clock: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	link, err := p.LoginLink("web:staff-jingan", time.Hour)
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
		cookies := len(w.Result().Cookies())
		switch {
		case w.Code == http.StatusOK && cookies == 1:
		case w.Code == http.StatusUnauthorized && cookies == 0:
		default:
			t.Fatalf("login answered %d with %d cookies", w.Code, cookies)
		}
		if body := w.Body.String(); strings.Contains(body, "staffpage_") || strings.Contains(body, "auth:") {
			t.Fatalf("login page shows a key or an error:\n%s", body)
		}
		if tok == valid && w.Code != http.StatusOK {
			t.Fatal("the valid token was refused")
		}
	})
}
