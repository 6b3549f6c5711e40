package storetest

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"shopbot/internal/testenv"
	"shopbot/staff/auth"
)

// The sign-ins of the shop's web pages (staff/auth's Store), through the
// auth package itself: single-use login links, server-side sessions that a
// logout ends, signing out everywhere, keys and sites kept apart.

var authStart = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

type authEnv struct {
	t     *testing.T
	s     ShopStore
	clock *testenv.Clock
	a     *auth.Auth
}

func newAuthEnv(t *testing.T, open OpenShop) *authEnv {
	e := &authEnv{t: t, s: open.plain(t), clock: testenv.NewClock(authStart)}
	e.a = e.site("staff", []byte("storetest staff key, at least 32 bytes"))
	return e
}

// site is an Auth of the store for another site or key.
func (e *authEnv) site(name string, key []byte) *auth.Auth {
	e.t.Helper()
	a, err := auth.New(auth.Options{Key: key, Name: name, Store: e.s, SessionTTL: time.Hour, Clock: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *authEnv) link(a *auth.Auth, identity string, ttl time.Duration) string {
	e.t.Helper()
	tok, _, err := a.NewLink(e.t.Context(), identity, ttl)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// login signs in with a fresh link and returns the browser's cookie.
func (e *authEnv) login(a *auth.Auth, identity string) *http.Cookie {
	e.t.Helper()
	w := httptest.NewRecorder()
	if _, err := a.Login(e.t.Context(), w, e.link(a, identity, time.Minute)); err != nil {
		e.t.Fatal(err)
	}
	return w.Result().Cookies()[0]
}

func sessionOf(a *auth.Auth, c *http.Cookie) (auth.Session, error) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(c)
	return a.Session(r)
}

func runAuth(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"link once, session, logout", testAuthLifecycle},
		{"link used concurrently", testAuthLinkRace},
		{"sign out everywhere", testAuthSignOutEverywhere},
		{"keys and sites apart", testAuthKeysAndSites},
		{"prune", testAuthPrune},
	})
}

func testAuthLifecycle(t *testing.T, open OpenShop) {
	e := newAuthEnv(t, open)
	ctx := t.Context()
	tok := e.link(e.a, "web:staff-jingan", 15*time.Minute)
	if l, err := e.a.CheckLink(ctx, tok); err != nil || l.Identity != "web:staff-jingan" || !l.Expires.Equal(authStart.Add(15*time.Minute)) || !l.Used.IsZero() {
		t.Fatalf("CheckLink = %+v, %v", l, err)
	}
	e.clock.Advance(time.Minute)
	w := httptest.NewRecorder()
	s, err := e.a.Login(ctx, w, tok)
	if err != nil || s.Identity != "web:staff-jingan" || !s.Expires.Equal(authStart.Add(time.Minute+time.Hour)) {
		t.Fatalf("Login = %+v, %v", s, err)
	}
	cookie := w.Result().Cookies()[0]
	if got, err := sessionOf(e.a, cookie); err != nil || got != s {
		t.Fatalf("Session = %+v, %v; want %+v", got, err, s)
	}
	if _, err := e.a.Login(ctx, httptest.NewRecorder(), tok); !errors.Is(err, auth.ErrUsed) {
		t.Fatalf("second use: %v; want ErrUsed", err)
	}
	if l, err := e.a.CheckLink(ctx, tok); !errors.Is(err, auth.ErrUsed) || !l.Used.Equal(authStart.Add(time.Minute)) {
		t.Fatalf("CheckLink after use = %+v, %v", l, err)
	}
	late := e.link(e.a, "web:staff-jingan", time.Minute)
	e.clock.Advance(time.Minute)
	if _, err := e.a.Login(ctx, httptest.NewRecorder(), late); !errors.Is(err, auth.ErrExpired) {
		t.Fatalf("expired link: %v", err)
	}
	// Logout ends the session on the server: the cookie, replayed, is refused.
	if err := e.a.Logout(ctx, httptest.NewRecorder(), s); err != nil {
		t.Fatal(err)
	}
	if _, err := sessionOf(e.a, cookie); !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("replayed cookie after logout: %v; want ErrInvalid", err)
	}
	if err := e.a.Logout(ctx, httptest.NewRecorder(), s); err != nil {
		t.Fatalf("logout twice: %v", err)
	}
	// A session ends at its expiry.
	c := e.login(e.a, "tg:42")
	e.clock.Advance(time.Hour - time.Millisecond)
	if _, err := sessionOf(e.a, c); err != nil {
		t.Fatalf("session before expiry: %v", err)
	}
	e.clock.Advance(time.Millisecond)
	if _, err := sessionOf(e.a, c); !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("session at expiry: %v", err)
	}
}

func testAuthLinkRace(t *testing.T, open OpenShop) {
	e := newAuthEnv(t, open)
	tok := e.link(e.a, "web:staff-jingan", time.Minute)
	errs := make([]error, 30)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range errs {
		wg.Go(func() {
			<-start
			_, errs[i] = e.a.Login(t.Context(), httptest.NewRecorder(), tok)
		})
	}
	close(start)
	wg.Wait()
	ok, used := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, auth.ErrUsed):
			used++
		default:
			t.Errorf("Login: %v", err)
		}
	}
	var sessions int
	if err := e.s.DB().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM auth_sessions`).Scan(&sessions); err != nil {
		t.Fatal(err)
	}
	if ok != 1 || used != len(errs)-1 || sessions != 1 {
		t.Fatalf("%d sign-ins, %d refused as used, %d sessions stored; want 1, %d, 1", ok, used, sessions, len(errs)-1)
	}
}

func testAuthSignOutEverywhere(t *testing.T, open OpenShop) {
	e := newAuthEnv(t, open)
	ctx := t.Context()
	var mine []*http.Cookie
	for range 3 {
		mine = append(mine, e.login(e.a, "tg:42"))
	}
	theirs := e.login(e.a, "tg:7")
	console := e.site("console", []byte("storetest console key, at least 32 bytes"))
	elsewhere := e.login(console, "tg:42")
	pending := e.link(e.a, "tg:42", time.Hour)
	sessions, links, err := e.a.SignOutEverywhere(ctx, "tg:42")
	if err != nil || sessions != 3 || links != 1 {
		t.Fatalf("SignOutEverywhere = %d, %d, %v; want 3 sessions, 1 link", sessions, links, err)
	}
	for i, c := range mine {
		if _, err := sessionOf(e.a, c); !errors.Is(err, auth.ErrInvalid) {
			t.Errorf("session %d: %v", i, err)
		}
	}
	if _, err := e.a.Login(ctx, httptest.NewRecorder(), pending); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("link made before: %v", err)
	}
	if s, err := sessionOf(e.a, theirs); err != nil || s.Identity != "tg:7" {
		t.Errorf("another person's session: %+v, %v", s, err)
	}
	if _, err := sessionOf(console, elsewhere); err != nil {
		t.Errorf("the same person on another site: %v", err)
	}
	if s, l, err := e.a.SignOutEverywhere(ctx, "tg:42"); err != nil || s != 0 || l != 0 {
		t.Errorf("again = %d, %d, %v", s, l, err)
	}
}

func testAuthKeysAndSites(t *testing.T, open OpenShop) {
	e := newAuthEnv(t, open)
	ctx := t.Context()
	c := e.login(e.a, "tg:42")
	tok := e.link(e.a, "tg:42", time.Minute)
	for name, other := range map[string]*auth.Auth{
		"rotated key":  e.site("staff", []byte("the rotated storetest staff key, 32+ bytes")),
		"another site": e.site("console", []byte("storetest staff key, at least 32 bytes")),
	} {
		if _, err := sessionOf(other, &http.Cookie{Name: other.CookieName(), Value: c.Value}); !errors.Is(err, auth.ErrInvalid) {
			t.Errorf("%s: session: %v", name, err)
		}
		if _, err := other.Login(ctx, httptest.NewRecorder(), tok); !errors.Is(err, auth.ErrInvalid) {
			t.Errorf("%s: link: %v", name, err)
		}
	}
	if _, err := sessionOf(e.a, c); err != nil {
		t.Fatalf("the original key: %v", err)
	}
	if _, err := e.a.Login(ctx, httptest.NewRecorder(), tok); err != nil {
		t.Fatalf("the original key's link: %v", err)
	}
}

func testAuthPrune(t *testing.T, open OpenShop) {
	e := newAuthEnv(t, open)
	ctx := t.Context()
	e.login(e.a, "tg:42")              // session until +1h; its link (used) until +1m
	e.link(e.a, "tg:42", 24*time.Hour) // until +24h
	count := func() int {
		var n int
		for _, table := range []string{"auth_sessions", "auth_links"} {
			var m int
			if err := e.s.DB().QueryRowContext(ctx, fmt.Sprintf(`SELECT COUNT(*) FROM %s`, table)).Scan(&m); err != nil {
				t.Fatal(err)
			}
			n += m
		}
		return n
	}
	for _, step := range []struct {
		advance      time.Duration
		pruned, left int
	}{{0, 0, 3}, {24*time.Hour + 2*time.Minute, 1, 2}, {time.Hour, 1, 1}, {24 * time.Hour, 1, 0}} {
		e.clock.Advance(step.advance)
		if n, err := e.a.Prune(ctx); err != nil || n != int64(step.pruned) || count() != step.left {
			t.Fatalf("after %v: Prune = %d, %v, %d rows left; want %d pruned, %d left", step.advance, n, err, count(), step.pruned, step.left)
		}
	}
}
