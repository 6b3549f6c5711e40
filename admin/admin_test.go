package admin

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/store/sqlstore"
	"shopbot/templates"
)

var (
	testKey  = []byte("console test key, at least 32 bytes long!")
	shanghai = mustZone("Asia/Shanghai")
	// testStart: Wednesday 2026-11-25 09:00 in Shanghai.
	testStart = time.Date(2026, 11, 25, 9, 0, 0, 0, shanghai)
)

const seller = "tg:1001"

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// env is a demo-seeded SQLite store with the console on a mux, on one
// injected clock; admins is the live list of sellers.
type env struct {
	t         *testing.T
	ctx       context.Context
	st        *sqlstore.Store
	clock     *testenv.Clock
	shop      *commerce.Shop
	seller    *commerce.Seller
	pickup    *commerce.Pickup
	setup     *commerce.ShopSetup
	questions *commerce.Questions
	console   *Console
	mux       *http.ServeMux

	mu     sync.Mutex
	admins []string
	orders int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, ctx: t.Context(), st: testenv.DemoSQLite(t), clock: testenv.NewClock(testStart), admins: []string{seller}}
	clock := commerce.ClockFunc(e.clock.Now)
	e.shop = commerce.NewShop(commerce.ShopOptions{Store: e.st, Clock: clock})
	e.seller = commerce.NewSeller(commerce.SellerOptions{Store: e.st, Clock: clock})
	var err error
	if e.pickup, err = commerce.NewPickup(commerce.PickupOptions{Store: e.st, Clock: clock, Secret: []byte("pickup secret for console tests, 32+ bytes")}); err != nil {
		t.Fatal(err)
	}
	drops := commerce.NewDropService(commerce.DropServiceOptions{Store: e.st, Clock: clock})
	e.setup = commerce.NewShopSetup(commerce.ShopSetupOptions{Store: e.st, Clock: clock})
	e.questions = commerce.NewQuestions(commerce.QuestionsOptions{Store: e.st, Clock: clock})
	desk := commerce.NewOrderDesk(commerce.OrderDeskOptions{Store: e.st, Shop: e.shop, Pickup: e.pickup, Clock: clock})
	e.console, err = New(Options{Shop: e.shop, Seller: e.seller, Pickup: e.pickup, Drops: drops, Broadcasts: e.st, Orders: e.st, Setup: e.setup,
		Desk: desk, Questions: e.questions, ProductLink: func(_ context.Context, target string, id int64) (string, error) {
			return "https://shop.example/?start=p_" + strconv.FormatInt(id, 10), nil
		},
		IsAdmin: e.isAdmin, Key: testKey, Store: e.st, PublicURL: "https://shop.example/", Zone: shanghai,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: e.clock.Now, Secure: true,
		ImageURL: func(key string) string { return "/img/" + key + ".png" }})
	if err != nil {
		t.Fatal(err)
	}
	e.mux = http.NewServeMux()
	e.console.Register(e.mux)
	return e
}

func (e *env) isAdmin(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Contains(e.admins, id)
}

func (e *env) setAdmins(ids ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.admins = ids
}

// browser is one browser: its cookies and language.
type browser struct {
	e       *env
	cookies map[string]*http.Cookie
	lang    string
}

func (e *env) browser(lang string) *browser {
	return &browser{e: e, cookies: map[string]*http.Cookie{}, lang: lang}
}

func (b *browser) do(r *http.Request) *httptest.ResponseRecorder {
	for _, c := range b.cookies {
		r.AddCookie(c)
	}
	if b.lang != "" {
		r.Header.Set("Accept-Language", b.lang)
	}
	w := httptest.NewRecorder()
	b.e.mux.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return w
}

func (b *browser) get(path string) *httptest.ResponseRecorder {
	return b.do(httptest.NewRequest(http.MethodGet, path, nil))
}

func (b *browser) post(path string, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(r)
}

// csrf is the session's token, read from a page's logout form.
func (b *browser) csrf() string {
	body := b.get("/admin").Body.String()
	const marker = `name="csrf" value="`
	i := strings.Index(body, marker)
	if i < 0 {
		b.e.t.Fatalf("no CSRF token on the page:\n%s", body)
	}
	rest := body[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

// token makes a login link for identity and returns its token.
func (e *env) token(identity string, ttl time.Duration) string {
	e.t.Helper()
	link, err := e.console.LoginLink(e.ctx, identity, ttl)
	if err != nil {
		e.t.Fatal(err)
	}
	if !strings.HasPrefix(link, "https://shop.example/admin/login?token=") {
		e.t.Fatalf("link %q", link)
	}
	return link[strings.Index(link, "token=")+len("token="):]
}

// signIn signs a new browser in as seller.
func (e *env) signIn(lang string) *browser {
	e.t.Helper()
	b := e.browser(lang)
	w := b.post("/admin/login", url.Values{"token": {e.token(seller, time.Minute)}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin" {
		e.t.Fatalf("sign in: %d %s", w.Code, w.Body)
	}
	return b
}

func wantStatus(t *testing.T, what string, w *httptest.ResponseRecorder, code int, contains ...string) {
	t.Helper()
	if w.Code != code {
		t.Fatalf("%s: status %d; want %d\n%s", what, w.Code, code, w.Body)
	}
	for _, s := range contains {
		if !strings.Contains(w.Body.String(), s) {
			t.Fatalf("%s: the page lacks %q:\n%s", what, s, w.Body)
		}
	}
}

var texts = templates.MustLoad()

// tx is a text as a page shows it (HTML-escaped).
func tx(lang, key string, data map[string]any) string {
	return html.EscapeString(texts.Text(lang, key, data))
}

// TestLoginLinkSingleUseAndExpiry: opening a link signs no one in; the
// button does, once; a link past its time does not; the session cookie is
// HttpOnly, SameSite=Strict and Secure; logout ends the session.
func TestLoginLinkSingleUseAndExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser("en")
	wantStatus(t, "anonymous", b.get("/admin"), http.StatusUnauthorized, tx("en", "console_anon", nil))
	tok := e.token(seller, 10*time.Minute)
	wantStatus(t, "link page", b.get("/admin/login?token="+tok), http.StatusOK, `name="token" value="`+tok+`"`)
	wantStatus(t, "opening the link signs no one in", b.get("/admin"), http.StatusUnauthorized)
	w := b.post("/admin/login", url.Values{"token": {tok}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", w.Code, w.Body)
	}
	var ck *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == "__Host-shopbot_console" {
			ck = c
		}
	}
	if ck == nil || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" {
		t.Fatalf("session cookie %+v", ck)
	}
	wantStatus(t, "signed in", b.get("/admin"), http.StatusOK, tx("en", "console_today_new_orders", nil), seller)
	// A used link opened again by its browser moves on; elsewhere it says so.
	if w := b.get("/admin/login?token=" + tok); w.Code != http.StatusSeeOther {
		t.Fatalf("used link in its browser: %d", w.Code)
	}
	other := e.browser("ru")
	wantStatus(t, "used link", other.post("/admin/login", url.Values{"token": {tok}}), http.StatusGone, tx("ru", "console_link_used", nil))
	wantStatus(t, "used link page", other.get("/admin/login?token="+tok), http.StatusGone)
	// Expiry, on the injected clock.
	late := e.token(seller, time.Minute)
	e.clock.Advance(time.Minute)
	wantStatus(t, "expired link", other.post("/admin/login", url.Values{"token": {late}}), http.StatusUnauthorized, tx("ru", "console_link_expired", nil))
	wantStatus(t, "forged link", other.post("/admin/login", url.Values{"token": {strings.Repeat("A", 43)}}), http.StatusUnauthorized, tx("ru", "console_link_invalid", nil))
	// Logout needs the token, then ends the session for good.
	replay := b.cookies["__Host-shopbot_console"]
	wantStatus(t, "logout without CSRF", b.post("/admin/logout", nil), http.StatusForbidden)
	wantStatus(t, "logout", b.post("/admin/logout", url.Values{"csrf": {b.csrf()}}), http.StatusOK, tx("en", "console_signed_out", nil))
	wantStatus(t, "after logout", b.get("/admin"), http.StatusUnauthorized)
	thief := e.browser("en")
	thief.cookies[replay.Name] = replay
	wantStatus(t, "replayed cookie", thief.get("/admin"), http.StatusUnauthorized)
}

// TestSellersOnly: no link for someone not in SHOPBOT_ADMINS; a seller
// taken out of the list is out at their next request, and back in when
// listed again.
func TestSellersOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.console.LoginLink(e.ctx, "tg:666", time.Minute); err == nil {
		t.Fatal("a login link for a buyer")
	}
	b := e.signIn("en")
	e.setAdmins("tg:2002")
	wantStatus(t, "removed seller", b.get("/admin"), http.StatusForbidden, tx("en", "console_forbidden", map[string]any{"Identity": seller}))
	wantStatus(t, "removed seller's orders", b.get("/admin/drops"), http.StatusForbidden)
	e.setAdmins(seller)
	wantStatus(t, "listed again", b.get("/admin"), http.StatusOK)
	// A link made while listed does not let an unlisted seller in.
	tok := e.token(seller, time.Minute)
	e.setAdmins()
	wantStatus(t, "link of an unlisted seller", e.browser("en").post("/admin/login", url.Values{"token": {tok}}), http.StatusForbidden)
}

// TestCSRF: every POST without the session's token is refused and
// changes nothing.
func TestCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.signIn("zh-CN")
	for _, path := range []string{"/admin/logout"} {
		wantStatus(t, path+" without a token", b.post(path, url.Values{}), http.StatusForbidden, tx("zh-CN", "console_expired", nil))
		wantStatus(t, path+" with a wrong token", b.post(path, url.Values{"csrf": {"x"}}), http.StatusForbidden)
	}
	wantStatus(t, "still signed in", b.get("/admin"), http.StatusOK)
}

// TestEveryPageInEveryLanguage: every page answers 200 in each language,
// in that language, with the language switch.
func TestEveryPageInEveryLanguage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, lang := range templates.Locales {
		b := e.signIn(lang)
		for _, path := range pagePaths(e) {
			w := b.get(path)
			wantStatus(t, lang+" "+path, w, http.StatusOK, `<html lang="`+lang+`">`, tx(lang, "console_sign_out", nil))
			if got := w.Header().Get("Content-Language"); got != lang {
				t.Errorf("%s %s: Content-Language %q", lang, path, got)
			}
		}
	}
	wantStatus(t, "drops chart", e.signIn("en").get("/admin/drops"), http.StatusOK, `<rect class="sold" x="74"`, `<rect class="left" x="74.0" y="4" width="200.0" height="20"/>`, "0%")
	// The switch: ?lang= wins over Accept-Language and is remembered.
	b := e.signIn("en")
	wantStatus(t, "switch", b.get("/admin?lang=ru"), http.StatusOK, `<html lang="ru">`)
	wantStatus(t, "remembered", b.get("/admin"), http.StatusOK, `<html lang="ru">`)
	// A browser that names no language gets the shop's default one.
	if _, err := e.setup.UpdateProfile(e.ctx, func(p *commerce.ShopProfile) error {
		p.Languages, p.DefaultLang = []string{"ru", "en"}, "ru"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "the shop's language", e.signIn("").get("/admin"), http.StatusOK, `<html lang="ru">`)
}

// pagePaths are the console's pages for a seller, with an order, a drop
// and a broadcast to show.
func pagePaths(e *env) []string {
	e.t.Helper()
	o := e.place("李雷", "+8613900000000", "COS-001", 1)
	p := e.product("COS-001")
	drops := commerce.NewDropService(commerce.DropServiceOptions{Store: e.st, Clock: commerce.ClockFunc(e.clock.Now)})
	if _, err := drops.Create(e.ctx, commerce.Drop{ProductID: p.ID, Units: 40, Price: p.Price, StartsAt: e.clock.Now().Add(-time.Hour),
		PerBuyerLimit: 2, ReservationTTL: 10 * time.Minute}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.CreateBroadcast(e.ctx, commerce.Broadcast{Content: commerce.BroadcastContent{Text: "新品上市 New arrivals"},
		Author: seller, Status: commerce.BroadcastDraft, CreatedAt: e.clock.Now()}); err != nil {
		e.t.Fatal(err)
	}
	return []string{"/admin", "/admin/orders", "/admin/orders/" + o.Number, "/admin/products", "/admin/products?hidden=1",
		"/admin/products/new", "/admin/products/" + strconv.FormatInt(p.ID, 10), "/admin/categories", "/admin/points", "/admin/labels", "/admin/questions", "/admin/settings", "/admin/drops", "/admin/broadcasts"}
}
