package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/internal/cmdline"
)

// The staff page's sign-ins as the app wires them: the staff key and the
// pickup pass key are two secrets, from the environment or generated into
// two settings rows; the seller signs staff out from the command line; a
// flood of wrong codes becomes a notice to the admins.

// staffBrowser drives one browser against an opened (not serving) app.
type staffBrowser struct {
	t      *testing.T
	h      http.Handler
	cookie *http.Cookie
	addr   string
}

func (b *staffBrowser) do(r *http.Request) *httptest.ResponseRecorder {
	if b.cookie != nil {
		r.AddCookie(b.cookie)
	}
	if b.addr != "" {
		r.RemoteAddr = b.addr
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	return w
}

func (b *staffBrowser) get(path string) *httptest.ResponseRecorder {
	return b.do(httptest.NewRequest(http.MethodGet, path, nil))
}

func (b *staffBrowser) post(path string, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(r)
}

// signIn makes a login link for identity and signs the browser in with it.
func (b *staffBrowser) signIn(a *App, identity string) {
	b.t.Helper()
	link, err := a.staff.LoginLink(b.t.Context(), identity, time.Minute)
	if err != nil {
		b.t.Fatal(err)
	}
	tok := link[strings.Index(link, "token=")+len("token="):]
	w := b.post("/staff/login", url.Values{"token": {tok}})
	if w.Code != http.StatusOK {
		b.t.Fatalf("sign in: %d %s", w.Code, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Value != "" {
			b.cookie = c
		}
	}
}

// openApp opens the app on cfg without serving, closed after the test.
func openApp(t *testing.T, cfg Config) *App {
	t.Helper()
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// passToken is a QR pass token signed with the app's pass key.
func passToken(a *App) string {
	return commerce.SignPickupToken(a.secret, commerce.PickupClaims{OrderID: 1, PointID: 1, Code: "123456",
		Expires: time.Now().Add(24 * time.Hour).Truncate(time.Second)})
}

// TestStaffAndPassKeysRotateApart: a new SHOPBOT_STAFF_KEY signs every
// staff member out and leaves the buyers' QR passes valid; a new
// SHOPBOT_PICKUP_SECRET voids the passes and signs no one out.
func TestStaffAndPassKeysRotateApart(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "shop.db")
	config := func(staffKey, passKey string) Config {
		cfg, err := CoreConfigFromEnv(env(map[string]string{"DATABASE_URL": db,
			"SHOPBOT_STAFF_KEY": staffKey, "SHOPBOT_PICKUP_SECRET": passKey}))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	const (
		staffA, staffB = "staff key A, thirty-two bytes or more", "staff key B, thirty-two bytes or more"
		passA, passB   = "pass key A, thirty-two bytes or more.", "pass key B, thirty-two bytes or more."
	)
	qr := func(a *App, tok string) int {
		return (&staffBrowser{t: t, h: a.Handler()}).get("/qr/" + tok + ".png").Code
	}
	a := openApp(t, config(staffA, passA))
	b := &staffBrowser{t: t, h: a.Handler()}
	b.signIn(a, "web:staff-jingan")
	pass := passToken(a)
	if w := b.get("/staff"); w.Code != http.StatusOK || qr(a, pass) != http.StatusOK {
		t.Fatalf("before rotation: staff page %d, QR %d", w.Code, qr(a, pass))
	}
	a.Close()

	// The staff key rotates.
	a = openApp(t, config(staffB, passA))
	b.h = a.Handler()
	if w := b.get("/staff"); w.Code != http.StatusUnauthorized {
		t.Fatalf("session after the staff key rotated: %d; want 401", w.Code)
	}
	if code := qr(a, pass); code != http.StatusOK {
		t.Fatalf("QR pass after the staff key rotated: %d; want 200", code)
	}
	b.signIn(a, "web:staff-jingan")
	a.Close()

	// The pass key rotates.
	a = openApp(t, config(staffB, passB))
	b.h = a.Handler()
	if w := b.get("/staff"); w.Code != http.StatusOK {
		t.Fatalf("session after the pass key rotated: %d; want 200", w.Code)
	}
	if code := qr(a, pass); code != http.StatusNotFound {
		t.Fatalf("old QR pass after the pass key rotated: %d; want 404", code)
	}
	if code := qr(a, passToken(a)); code != http.StatusOK {
		t.Fatalf("new QR pass: %d", code)
	}
}

// TestGeneratedKeys: without the variables each key is its own settings
// row; both survive a restart; "rotate-key" replaces one, and the other
// keeps working.
func TestGeneratedKeys(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db")}
	cfg, err := CoreConfigFromEnv(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	a := openApp(t, cfg)
	staffKey, err := a.Store.InitSetting(ctx, staffKeySetting, "unused")
	if err != nil {
		t.Fatal(err)
	}
	if len(staffKey) < 32 || staffKey == string(a.secret) {
		t.Fatalf("generated staff key %d bytes, equal to the pass key: %v", len(staffKey), staffKey == string(a.secret))
	}
	b := &staffBrowser{t: t, h: a.Handler()}
	b.signIn(a, "web:staff-jingan")
	pass := passToken(a)
	a.Close()

	a = openApp(t, cfg)
	b.h = a.Handler()
	if w := b.get("/staff"); w.Code != http.StatusOK {
		t.Fatalf("session after a restart: %d", w.Code)
	}
	a.Close()

	run := shopbot(t, vars)
	if code, out, errOut := run("staff", "rotate-key"); code != 0 || !strings.Contains(out, "restart shopbot") {
		t.Fatalf("staff rotate-key = %d, %q, %q", code, out, errOut)
	}
	a = openApp(t, cfg)
	b.h = a.Handler()
	if w := b.get("/staff"); w.Code != http.StatusUnauthorized {
		t.Fatalf("session after staff rotate-key: %d; want 401", w.Code)
	}
	if code := b.get("/qr/" + pass + ".png").Code; code != http.StatusOK {
		t.Fatalf("QR pass after staff rotate-key: %d", code)
	}
	b.signIn(a, "web:staff-jingan")
	a.Close()

	if code, _, errOut := run("pickup", "rotate-key"); code != 0 {
		t.Fatalf("pickup rotate-key = %d, %q", code, errOut)
	}
	a = openApp(t, cfg)
	b.h = a.Handler()
	if w := b.get("/staff"); w.Code != http.StatusOK {
		t.Fatalf("session after pickup rotate-key: %d", w.Code)
	}
	if code := b.get("/qr/" + pass + ".png").Code; code != http.StatusNotFound {
		t.Fatalf("old QR pass after pickup rotate-key: %d", code)
	}

	// A key the environment sets is rotated there.
	withEnv := map[string]string{"DATABASE_URL": vars["DATABASE_URL"], "SHOPBOT_STAFF_KEY": strings.Repeat("k", 32)}
	if code, _, errOut := shopbot(t, withEnv)("staff", "rotate-key"); code != cmdline.ExitUsage || !strings.Contains(errOut, "SHOPBOT_STAFF_KEY is set") {
		t.Fatalf("rotate-key with SHOPBOT_STAFF_KEY set = %d, %q", code, errOut)
	}
}

// TestStaffCLI: "staff link" makes single-use links that last 15 minutes by
// default and 24 hours at most; "staff signout" ends a staff member's
// sessions on every device.
func TestStaffCLI(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db")}
	run := shopbot(t, vars)
	if code, _, errOut := run("demo", "seed"); code != 0 {
		t.Fatalf("demo seed: %s", errOut)
	}
	code, out, errOut := run("staff", "link", "web:staff-jingan")
	if code != 0 || !strings.Contains(out, "/staff/login?token=") {
		t.Fatalf("staff link = %d, %q, %q", code, out, errOut)
	}
	tok := strings.TrimSpace(out[strings.Index(out, "token=")+len("token="):])
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"staff", "link", "web:staff-jingan", "-ttl", "25h"}, "-ttl 25h0m0s: want 1s to 24h0m0s"},
		{[]string{"staff", "link", "web:staff-jingan", "-ttl", "720h"}, "want 1s to 24h0m0s"},
		{[]string{"staff", "signout"}, "missing IDENTITY"},
		{[]string{"staff", "signout", "nobody"}, `IDENTITY "nobody"`},
		{[]string{"staff", "rotate-key", "now"}, `unexpected argument "now"`},
	} {
		if code, out, errOut := run(tc.args...); code != cmdline.ExitUsage || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q = %d, %q, %q; want 2 and %q", tc.args, code, out, errOut, tc.want)
		}
	}
	if code, out, _ := run("staff", "link", "web:staff-jingan", "-ttl", "24h"); code != 0 || !strings.Contains(out, "token=") {
		t.Errorf("staff link -ttl 24h = %d, %q", code, out)
	}

	cfg, err := CoreConfigFromEnv(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	a := openApp(t, cfg)
	phone, laptop := &staffBrowser{t: t, h: a.Handler()}, &staffBrowser{t: t, h: a.Handler()}
	if w := phone.post("/staff/login", url.Values{"token": {tok}}); w.Code != http.StatusOK {
		t.Fatalf("sign in with the CLI's link: %d", w.Code)
	} else {
		phone.cookie = w.Result().Cookies()[0]
	}
	laptop.signIn(a, "web:staff-jingan")
	colleague := &staffBrowser{t: t, h: a.Handler()}
	colleague.signIn(a, "web:staff-lujiazui")
	code, out, errOut = run("staff", "signout", "web:staff-jingan")
	if code != 0 || !strings.Contains(out, "web:staff-jingan: 2 sessions ended, 1 unused login link voided") {
		t.Fatalf("staff signout = %d, %q, %q", code, out, errOut)
	}
	for name, b := range map[string]*staffBrowser{"phone": phone, "laptop": laptop} {
		if w := b.get("/staff"); w.Code != http.StatusUnauthorized {
			t.Errorf("%s after staff signout: %d", name, w.Code)
		}
	}
	if w := colleague.get("/staff"); w.Code != http.StatusOK {
		t.Errorf("a colleague after staff signout: %d", w.Code)
	}
}

// TestStaffFloodNoticeToAdmins: wrong codes at a point from many sessions
// queue one notice to each admin, and refuse no one.
func TestStaffFloodNoticeToAdmins(t *testing.T) {
	t.Parallel()
	cfg, err := CoreConfigFromEnv(env(map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db"),
		"SHOPBOT_ADMINS": "tg:1001,wx:oSeller"}))
	if err != nil {
		t.Fatal(err)
	}
	a := openApp(t, cfg) // the queue is not started: notices stay pending
	ctx := t.Context()
	points, err := a.Store.PickupPoints(ctx)
	if err != nil || len(points) == 0 {
		t.Fatal(points, err)
	}
	pt := points[0]
	for i := range 12 {
		b := &staffBrowser{t: t, h: a.Handler(), addr: fmt.Sprintf("198.51.100.%d:4000", i+1)}
		b.signIn(a, pt.Staff[0])
		m := csrfRe.FindStringSubmatch(b.get("/staff").Body.String())
		if m == nil {
			t.Fatal("no CSRF token on the staff page")
		}
		for range 2 {
			w := b.post("/staff/inspect", url.Values{"csrf": {m[1]}, "point": {fmt.Sprint(pt.ID)}, "code": {"000000"}})
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("wrong code from session %d: %d", i, w.Code)
			}
		}
	}
	pending, err := a.queue.PendingNotices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pending {
		if p.Notice.Kind == bot.NoticeStaffFlood {
			if p.Notice.PointID != pt.ID {
				t.Errorf("flood notice for point %d; want %d", p.Notice.PointID, pt.ID)
			}
			got = append(got, p.Notice.Channel+":"+p.Notice.ChatID)
		}
	}
	if strings.Join(got, ",") != "tg:1001,wx:oSeller" && strings.Join(got, ",") != "wx:oSeller,tg:1001" {
		t.Fatalf("flood notices to %v; want one to each admin", got)
	}
	r, err := a.Router.RenderNotice(ctx, bot.Notice{Kind: bot.NoticeStaffFlood, Channel: "tg", ChatID: "1001", UserID: "1001", PointID: pt.ID})
	if err != nil || len(r) != 1 || !strings.Contains(r[0].Text, pt.Code) {
		t.Fatalf("rendered flood notice = %+v, %v", r, err)
	}
}
