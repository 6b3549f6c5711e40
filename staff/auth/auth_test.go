package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"shopbot/commerce"
)

var (
	testSecret = []byte("auth package test secret, at least 32 bytes")
	testNow    = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
)

func newAuth(t testing.TB, o Options) *Auth {
	t.Helper()
	if o.Secret == nil {
		o.Secret = testSecret
	}
	if o.Name == "" {
		o.Name = "staff"
	}
	a, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestNewOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"short secret":    {Secret: []byte("short"), Name: "staff"},
		"no name":         {Secret: testSecret},
		"name with space": {Secret: testSecret, Name: "staff page"},
		"upper-case name": {Secret: testSecret, Name: "Staff"},
	} {
		if _, err := New(o); !errors.Is(err, commerce.ErrInvalid) {
			t.Errorf("%s: err = %v; want ErrInvalid", name, err)
		}
	}
	if got := newAuth(t, Options{Name: "console", Secure: true}).CookieName(); got != "__Host-shopbot_console" {
		t.Errorf("secure cookie name %q", got)
	}
	if got := newAuth(t, Options{Name: "console"}).CookieName(); got != "shopbot_console" {
		t.Errorf("cookie name %q", got)
	}
}

// sessionOf returns the session a browser holding w's cookie has.
func sessionOf(a *Auth, w *httptest.ResponseRecorder) (Session, bool, bool) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range w.Result().Cookies() {
		r.AddCookie(c)
	}
	return a.Session(r)
}

func TestLoginSessionLogout(t *testing.T) {
	now := testNow
	clock := func() time.Time { return now }
	a := newAuth(t, Options{Secure: true, SessionTTL: time.Hour, Clock: clock})
	tok, err := a.LoginToken("web:staff-jingan", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	s, err := a.Login(w, tok)
	if err != nil || s.Identity != "web:staff-jingan" || s.CSRF == "" {
		t.Fatalf("Login = %+v, %v", s, err)
	}
	cs := w.Result().Cookies()
	if len(cs) != 1 || cs[0].Name != "__Host-shopbot_staff" || !cs[0].HttpOnly || !cs[0].Secure ||
		cs[0].SameSite != http.SameSiteStrictMode || cs[0].Path != "/" || cs[0].MaxAge != 3600 {
		t.Fatalf("session cookie %+v", cs)
	}
	got, ok, present := sessionOf(a, w)
	if !ok || !present || got != s {
		t.Fatalf("Session = %+v %v %v; want %+v", got, ok, present, s)
	}
	if !got.CheckCSRF(s.CSRF) || got.CheckCSRF("") || got.CheckCSRF(s.CSRF+"x") || (Session{}).CheckCSRF("") {
		t.Error("CheckCSRF accepts a wrong token or refuses the right one")
	}
	// A second sign-in is another session with another CSRF token.
	w2 := httptest.NewRecorder()
	if s2, err := a.Login(w2, tok); err != nil || s2.CSRF == s.CSRF {
		t.Errorf("second session %+v, %v shares the CSRF token", s2, err)
	}
	// A login token is no session, nor a session a login token.
	if _, ok, _ := a.Session(withCookie(a, tok)); ok {
		t.Error("a login token passes as a session cookie")
	}
	if _, err := a.Login(httptest.NewRecorder(), cs[0].Value); !errors.Is(err, ErrInvalid) {
		t.Errorf("a session cookie as login token: %v", err)
	}
	// Another secret or another name does not accept them.
	for _, other := range []*Auth{newAuth(t, Options{Secret: []byte("another secret of at least thirty-two bytes"), Clock: clock}),
		newAuth(t, Options{Name: "console", Clock: clock})} {
		if _, err := other.Login(httptest.NewRecorder(), tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("foreign login token: %v", err)
		}
		if _, ok, _ := other.Session(withCookie(other, cs[0].Value)); ok {
			t.Error("foreign session cookie accepted")
		}
	}
	// Sessions end after SessionTTL; login tokens after their ttl.
	now = now.Add(time.Hour - time.Second)
	if _, ok, _ := sessionOf(a, w); !ok {
		t.Error("session ended early")
	}
	now = now.Add(time.Second)
	if _, ok, present := sessionOf(a, w); ok || !present {
		t.Errorf("expired session: ok %v present %v", ok, present)
	}
	if _, err := a.Login(httptest.NewRecorder(), tok); !errors.Is(err, ErrExpired) {
		t.Errorf("expired login token: %v", err)
	}
	// Logout drops the cookie; no cookie is no session.
	out := httptest.NewRecorder()
	a.Logout(out)
	if cs := out.Result().Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 || cs[0].Value != "" {
		t.Errorf("logout cookies %v", cs)
	}
	if _, ok, present := a.Session(httptest.NewRequest(http.MethodGet, "/", nil)); ok || present {
		t.Error("a request without a cookie has a session")
	}
}

func withCookie(a *Auth, value string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: a.CookieName(), Value: value})
	return r
}

func TestLoginTokenRefuses(t *testing.T) {
	a := newAuth(t, Options{})
	for _, bad := range []struct {
		identity string
		ttl      time.Duration
	}{{"staff-jingan", time.Hour}, {"web:", time.Hour}, {"web:a b", time.Hour}, {"web:staff-jingan", 0},
		{"web:staff-jingan", -time.Hour}, {"web:staff-jingan", MaxLoginTTL + time.Second}} {
		if _, err := a.LoginToken(bad.identity, bad.ttl); !errors.Is(err, commerce.ErrInvalid) {
			t.Errorf("LoginToken(%q, %v) err = %v; want ErrInvalid", bad.identity, bad.ttl, err)
		}
	}
}

// FuzzLoginToken: the verifier never panics, accepts only what it signed
// (canonical encoding, valid identity), and its tokens are never session
// cookies; Login sets a cookie exactly when the token is valid.
func FuzzLoginToken(f *testing.F) {
	now := testNow
	a := newAuth(f, Options{Clock: func() time.Time { return now }})
	valid := sign(a.loginKey, now.Add(time.Hour), nil, "web:staff-jingan")
	f.Add(valid)
	f.Add(sign(a.loginKey, now.Add(-time.Hour), nil, "tg:123"))
	f.Add(sign(a.loginKey, now.Add(time.Hour), nil, "not an identity"))
	f.Add(sign(a.sessionKey, now.Add(time.Hour), make([]byte, sidLen), "web:staff-jingan"))
	f.Add(valid[:len(valid)-1])
	f.Add(valid + "=")
	f.Add("")
	f.Add("AQ")
	f.Add(strings.Repeat("_", 300))
	f.Fuzz(func(t *testing.T, tok string) {
		identity, _, exp, err := verify(a.loginKey, tok, 0, now)
		if err == nil || errors.Is(err, ErrExpired) {
			if !commerce.ValidIdentity(identity) {
				t.Fatalf("accepted identity %q", identity)
			}
			if again := sign(a.loginKey, exp, nil, identity); again != tok {
				t.Fatalf("accepted a non-canonical token %q (canonical %q)", tok, again)
			}
			if _, _, _, err := verify(a.sessionKey, tok, sidLen, now); err == nil {
				t.Fatal("a login token passes as a session")
			}
		} else if !errors.Is(err, ErrInvalid) {
			t.Fatalf("unexpected error %v", err)
		}
		if err == nil && !exp.After(now) {
			t.Fatalf("accepted a token that expired %v at %v", exp, now)
		}
		w := httptest.NewRecorder()
		_, lerr := a.Login(w, tok)
		if (lerr == nil) != (err == nil) || (len(w.Result().Cookies()) == 1) != (err == nil) {
			t.Fatalf("Login = %v with cookies %v; verify said %v", lerr, w.Result().Cookies(), err)
		}
	})
}
