package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
)

var (
	testKey = []byte("auth package test key, at least 32 bytes")
	testNow = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
)

// memStore is an in-memory Store with the semantics the SQL store has
// (store/storetest runs the same behaviours on SQLite and Postgres).
type memStore struct {
	mu       sync.Mutex
	links    map[[2]string]LinkRecord
	sessions map[[2]string]SessionRecord
}

func newMemStore() *memStore {
	return &memStore{links: map[[2]string]LinkRecord{}, sessions: map[[2]string]SessionRecord{}}
}

func (m *memStore) SaveLoginLink(_ context.Context, l LinkRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.links[[2]string{l.Site, l.TokenHash}]; ok {
		return commerce.ErrConflict
	}
	m.links[[2]string{l.Site, l.TokenHash}] = l
	return nil
}

func (m *memStore) LoginLink(_ context.Context, site, hash string) (LinkRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.links[[2]string{site, hash}]
	if !ok {
		return LinkRecord{}, commerce.ErrNotFound
	}
	return l, nil
}

func (m *memStore) StartSession(_ context.Context, linkHash string, s SessionRecord) (SessionRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.links[[2]string{s.Site, linkHash}]
	switch {
	case !ok:
		return SessionRecord{}, commerce.ErrNotFound
	case !l.Used.IsZero() || !s.Created.Before(l.Expires):
		return SessionRecord{}, commerce.ErrConflict
	}
	l.Used = s.Created
	m.links[[2]string{s.Site, linkHash}] = l
	s.Identity = l.Identity
	m.sessions[[2]string{s.Site, s.TokenHash}] = s
	return s, nil
}

func (m *memStore) Session(_ context.Context, site, hash string, at time.Time) (SessionRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[[2]string{site, hash}]
	if !ok || !at.Before(s.Expires) {
		return SessionRecord{}, commerce.ErrNotFound
	}
	return s, nil
}

func (m *memStore) EndSession(_ context.Context, site, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, [2]string{site, hash})
	return nil
}

func (m *memStore) EndSessions(_ context.Context, site, identity string) (sessions, links int64, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, s := range m.sessions {
		if s.Site == site && s.Identity == identity {
			delete(m.sessions, k)
			sessions++
		}
	}
	for k, l := range m.links {
		if l.Site == site && l.Identity == identity && l.Used.IsZero() {
			delete(m.links, k)
			links++
		}
	}
	return sessions, links, nil
}

func (m *memStore) PruneAuth(_ context.Context, before time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for k, s := range m.sessions {
		if s.Expires.Before(before) {
			delete(m.sessions, k)
			n++
		}
	}
	for k, l := range m.links {
		if l.Expires.Before(before) {
			delete(m.links, k)
			n++
		}
	}
	return n, nil
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newAuth(t testing.TB, o Options) *Auth {
	t.Helper()
	if o.Key == nil {
		o.Key = testKey
	}
	if o.Name == "" {
		o.Name = "staff"
	}
	if o.Store == nil {
		o.Store = newMemStore()
	}
	a, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestNewOptions(t *testing.T) {
	st := newMemStore()
	for name, o := range map[string]Options{
		"short key":       {Key: []byte("short"), Name: "staff", Store: st},
		"no name":         {Key: testKey, Store: st},
		"name with space": {Key: testKey, Name: "staff page", Store: st},
		"upper-case name": {Key: testKey, Name: "Staff", Store: st},
		"no store":        {Key: testKey, Name: "staff"},
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

// browser keeps the cookie a response set.
func browser(a *Auth, w *httptest.ResponseRecorder) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range w.Result().Cookies() {
		r.AddCookie(c)
	}
	return r
}

func withCookie(a *Auth, value string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: a.CookieName(), Value: value})
	return r
}

func link(t *testing.T, a *Auth, identity string, ttl time.Duration) string {
	t.Helper()
	tok, _, err := a.NewLink(t.Context(), identity, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestLoginSessionLogout(t *testing.T) {
	ctx := t.Context()
	c := &clock{now: testNow}
	a := newAuth(t, Options{Secure: true, SessionTTL: time.Hour, Clock: c.Now})
	tok, exp, err := a.NewLink(ctx, "web:staff-jingan", 10*time.Minute)
	if err != nil || !exp.Equal(testNow.Add(10*time.Minute)) || len(tok) != tokenLen {
		t.Fatalf("NewLink = %q, %v, %v", tok, exp, err)
	}
	if l, err := a.CheckLink(ctx, tok); err != nil || l.Identity != "web:staff-jingan" {
		t.Fatalf("CheckLink = %+v, %v", l, err)
	}
	w := httptest.NewRecorder()
	s, err := a.Login(ctx, w, tok)
	if err != nil || s.Identity != "web:staff-jingan" || s.CSRF == "" || len(s.ID) != handleLen || !s.Expires.Equal(testNow.Add(time.Hour)) {
		t.Fatalf("Login = %+v, %v", s, err)
	}
	cs := w.Result().Cookies()
	if len(cs) != 1 || cs[0].Name != "__Host-shopbot_staff" || !cs[0].HttpOnly || !cs[0].Secure ||
		cs[0].SameSite != http.SameSiteStrictMode || cs[0].Path != "/" || cs[0].MaxAge != 3600 {
		t.Fatalf("session cookie %+v", cs)
	}
	if strings.Contains(cs[0].Value, s.ID) || strings.Contains(tok, s.ID) {
		t.Error("the session's handle is part of a token")
	}
	got, err := a.Session(browser(a, w))
	if err != nil || got != s {
		t.Fatalf("Session = %+v, %v; want %+v", got, err, s)
	}
	if !got.CheckCSRF(s.CSRF) || got.CheckCSRF("") || got.CheckCSRF(s.CSRF+"x") || (Session{}).CheckCSRF("") {
		t.Error("CheckCSRF accepts a wrong token or refuses the right one")
	}

	// The link worked once.
	for range 2 {
		if _, err := a.Login(ctx, httptest.NewRecorder(), tok); !errors.Is(err, ErrUsed) {
			t.Fatalf("second use of a link: %v; want ErrUsed", err)
		}
	}
	if l, err := a.CheckLink(ctx, tok); !errors.Is(err, ErrUsed) || l.Identity != "web:staff-jingan" {
		t.Fatalf("CheckLink of a used link = %+v, %v", l, err)
	}
	// Another link is another session with another CSRF token and handle.
	s2, err := a.Login(ctx, httptest.NewRecorder(), link(t, a, "web:staff-jingan", time.Minute))
	if err != nil || s2.CSRF == s.CSRF || s2.ID == s.ID {
		t.Errorf("second session %+v, %v shares a token with the first", s2, err)
	}
	// A login token is no session, nor a session cookie a login link.
	if _, err := a.Session(withCookie(a, tok)); !errors.Is(err, ErrInvalid) {
		t.Errorf("a login token as session cookie: %v", err)
	}
	if _, err := a.Login(ctx, httptest.NewRecorder(), cs[0].Value); !errors.Is(err, ErrInvalid) {
		t.Errorf("a session cookie as login token: %v", err)
	}
	if _, err := a.Session(httptest.NewRequest(http.MethodGet, "/", nil)); !errors.Is(err, ErrNoSession) {
		t.Errorf("no cookie: %v", err)
	}

	// Sessions end after SessionTTL.
	c.Advance(time.Hour - time.Second)
	if _, err := a.Session(browser(a, w)); err != nil {
		t.Errorf("session ended early: %v", err)
	}
	c.Advance(time.Second)
	if _, err := a.Session(browser(a, w)); !errors.Is(err, ErrInvalid) {
		t.Errorf("expired session: %v", err)
	}
}

// TestLogoutEndsTheSession: after logout the cookie, replayed, is refused.
func TestLogoutEndsTheSession(t *testing.T) {
	ctx := t.Context()
	a := newAuth(t, Options{})
	w := httptest.NewRecorder()
	s, err := a.Login(ctx, w, link(t, a, "tg:42", time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	other := httptest.NewRecorder()
	if _, err := a.Login(ctx, other, link(t, a, "tg:42", time.Minute)); err != nil {
		t.Fatal(err)
	}
	out := httptest.NewRecorder()
	if err := a.Logout(ctx, out, s); err != nil {
		t.Fatal(err)
	}
	if cs := out.Result().Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 || cs[0].Value != "" {
		t.Errorf("logout cookies %v", cs)
	}
	if _, err := a.Session(browser(a, w)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("the cookie of a session that logged out: %v; want ErrInvalid", err)
	}
	if _, err := a.Session(browser(a, other)); err != nil {
		t.Fatalf("another session of the same person ended too: %v", err)
	}
}

func TestLinkExpiry(t *testing.T) {
	ctx := t.Context()
	c := &clock{now: testNow}
	a := newAuth(t, Options{Clock: c.Now})
	tok := link(t, a, "tg:42", DefaultLinkTTL)
	if DefaultLinkTTL != 15*time.Minute || MaxLinkTTL != 24*time.Hour {
		t.Fatalf("link validity default %v, max %v", DefaultLinkTTL, MaxLinkTTL)
	}
	c.Advance(DefaultLinkTTL)
	if _, err := a.CheckLink(ctx, tok); !errors.Is(err, ErrExpired) {
		t.Errorf("CheckLink at expiry: %v", err)
	}
	if _, err := a.Login(ctx, httptest.NewRecorder(), tok); !errors.Is(err, ErrExpired) {
		t.Errorf("Login at expiry: %v", err)
	}
	for _, bad := range []struct {
		identity string
		ttl      time.Duration
	}{{"staff-jingan", time.Hour}, {"web:", time.Hour}, {"web:a b", time.Hour}, {"web:staff-jingan", 0},
		{"web:staff-jingan", -time.Hour}, {"web:staff-jingan", MaxLinkTTL + time.Second}, {"web:staff-jingan", 30 * 24 * time.Hour}} {
		if _, _, err := a.NewLink(ctx, bad.identity, bad.ttl); !errors.Is(err, commerce.ErrInvalid) {
			t.Errorf("NewLink(%q, %v) err = %v; want ErrInvalid", bad.identity, bad.ttl, err)
		}
	}
	if _, _, err := a.NewLink(ctx, "tg:42", MaxLinkTTL); err != nil {
		t.Errorf("NewLink for the longest validity: %v", err)
	}
}

func TestSignOutEverywhere(t *testing.T) {
	ctx := t.Context()
	a := newAuth(t, Options{})
	var mine []*httptest.ResponseRecorder
	for range 3 {
		w := httptest.NewRecorder()
		if _, err := a.Login(ctx, w, link(t, a, "tg:42", time.Minute)); err != nil {
			t.Fatal(err)
		}
		mine = append(mine, w)
	}
	theirs := httptest.NewRecorder()
	if _, err := a.Login(ctx, theirs, link(t, a, "tg:7", time.Minute)); err != nil {
		t.Fatal(err)
	}
	pending := link(t, a, "tg:42", time.Hour)
	sessions, links, err := a.SignOutEverywhere(ctx, "tg:42")
	if err != nil || sessions != 3 || links != 1 {
		t.Fatalf("SignOutEverywhere = %d sessions, %d links, %v; want 3, 1", sessions, links, err)
	}
	for i, w := range mine {
		if _, err := a.Session(browser(a, w)); !errors.Is(err, ErrInvalid) {
			t.Errorf("session %d after signing out everywhere: %v", i, err)
		}
	}
	if _, err := a.Login(ctx, httptest.NewRecorder(), pending); !errors.Is(err, ErrInvalid) {
		t.Errorf("a link made before signing out everywhere: %v", err)
	}
	if s, err := a.Session(browser(a, theirs)); err != nil || s.Identity != "tg:7" {
		t.Errorf("someone else's session: %+v, %v", s, err)
	}
}

// TestKeysAndSites: a new key, or another site, accepts none of the links
// and sessions made before.
func TestKeysAndSites(t *testing.T) {
	ctx := t.Context()
	st := newMemStore()
	a := newAuth(t, Options{Store: st})
	w := httptest.NewRecorder()
	if _, err := a.Login(ctx, w, link(t, a, "tg:42", time.Minute)); err != nil {
		t.Fatal(err)
	}
	tok := link(t, a, "tg:42", time.Minute)
	for name, other := range map[string]*Auth{
		"rotated key":  newAuth(t, Options{Store: st, Key: []byte("the staff key after rotation, 32+ bytes")}),
		"another site": newAuth(t, Options{Store: st, Name: "console"}),
	} {
		r := withCookie(other, w.Result().Cookies()[0].Value)
		if _, err := other.Session(r); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: old session: %v", name, err)
		}
		if _, err := other.CheckLink(ctx, tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: old link: %v", name, err)
		}
	}
	if _, err := a.Session(browser(a, w)); err != nil {
		t.Errorf("the original key lost its session: %v", err)
	}
}

// TestLinkWorksOnce: of simultaneous sign-ins with one link, one wins.
func TestLinkWorksOnce(t *testing.T) {
	ctx := t.Context()
	a := newAuth(t, Options{})
	tok := link(t, a, "tg:42", time.Minute)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { _, errs[i] = a.Login(ctx, httptest.NewRecorder(), tok) })
	}
	wg.Wait()
	ok, used := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrUsed):
			used++
		default:
			t.Errorf("Login: %v", err)
		}
	}
	if ok != 1 || used != len(errs)-1 {
		t.Fatalf("%d sign-ins, %d refused as used; want 1, %d", ok, used, len(errs)-1)
	}
}

func TestPrune(t *testing.T) {
	ctx := t.Context()
	c := &clock{now: testNow}
	st := newMemStore()
	a := newAuth(t, Options{Clock: c.Now, Store: st, SessionTTL: time.Hour})
	if _, err := a.Login(ctx, httptest.NewRecorder(), link(t, a, "tg:42", time.Minute)); err != nil {
		t.Fatal(err)
	}
	link(t, a, "tg:42", time.Minute)
	if n, err := a.Prune(ctx); err != nil || n != 0 {
		t.Fatalf("Prune of live rows = %d, %v", n, err)
	}
	c.Advance(24*time.Hour + 2*time.Minute)
	if n, err := a.Prune(ctx); err != nil || n != 2 {
		t.Fatalf("Prune a day after the links expired = %d, %v; want the 2 links", n, err)
	}
	c.Advance(time.Hour)
	if n, err := a.Prune(ctx); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want the session", n, err)
	}
}

// FuzzLogin: whatever arrives as a link or cookie, nothing panics and only
// the token handed out signs in.
func FuzzLogin(f *testing.F) {
	a := newAuth(f, Options{Clock: func() time.Time { return testNow }})
	valid, _, err := a.NewLink(context.Background(), "web:staff-jingan", time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add(valid + "A")
	f.Add(strings.ToUpper(valid))
	f.Add("")
	f.Add(strings.Repeat("_", 43))
	f.Add(strings.Repeat("A", 300))
	f.Fuzz(func(t *testing.T, tok string) {
		ctx := context.Background()
		if tok == valid {
			return // one use only; covered above
		}
		if _, err := a.CheckLink(ctx, tok); !errors.Is(err, ErrInvalid) {
			t.Fatalf("CheckLink(%q) = %v", tok, err)
		}
		w := httptest.NewRecorder()
		if _, err := a.Login(ctx, w, tok); !errors.Is(err, ErrInvalid) || len(w.Result().Cookies()) != 0 {
			t.Fatalf("Login(%q) = %v with cookies %v", tok, err, w.Result().Cookies())
		}
		if _, err := a.Session(withCookie(a, tok)); err == nil {
			t.Fatalf("cookie %q passes as a session", tok)
		}
	})
}

func ExampleAuth() {
	a, _ := New(Options{Key: testKey, Name: "staff", Store: newMemStore()})
	ctx := context.Background()
	tok, _, _ := a.NewLink(ctx, "web:staff-jingan", DefaultLinkTTL)
	w := httptest.NewRecorder()
	s, err := a.Login(ctx, w, tok)
	fmt.Println(s.Identity, err)
	_, err = a.Login(ctx, httptest.NewRecorder(), tok)
	fmt.Println(err)
	// Output:
	// web:staff-jingan <nil>
	// auth: login link already used
}

func TestRefusal(t *testing.T) {
	for _, tc := range []struct {
		err    error
		why    string
		status int
		ok     bool
	}{
		{fmt.Errorf("open: %w", ErrInvalid), "invalid", http.StatusUnauthorized, true},
		{ErrExpired, "expired", http.StatusUnauthorized, true},
		{fmt.Errorf("sign in: %w", ErrUsed), "used", http.StatusGone, true},
		{errors.New("database down"), "", 0, false},
	} {
		why, status, ok := Refusal(tc.err)
		if why != tc.why || status != tc.status || ok != tc.ok {
			t.Errorf("Refusal(%v) = %q, %d, %v; want %q, %d, %v", tc.err, why, status, ok, tc.why, tc.status, tc.ok)
		}
	}
}
