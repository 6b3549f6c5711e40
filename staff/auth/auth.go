// Package auth signs people in to the shop's own web pages (today the
// pickup counter's staff page; the seller's console is meant to share it):
// single-use login links, server-side sessions behind an HttpOnly cookie,
// and a CSRF token bound to the session. It knows identities ("tg:123",
// "web:staff-jingan") and sites ("staff"), not pages nor what anyone may
// do there: the page checks that.
//
// Every link and session is a random token the server hands out once; the
// Store keeps only its HMAC under the site's key. So the database never
// holds a token that works, a logout or "sign out everywhere" ends sessions
// for good (the cookie alone proves nothing), and a new key — rotated on
// its own, apart from any other secret of the shop — ends every link and
// session of the site.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"shopbot/commerce"
)

// Limits of links and sessions.
const (
	// DefaultSessionTTL is how long a session lasts after signing in,
	// unless Options.SessionTTL says otherwise.
	DefaultSessionTTL = 12 * time.Hour
	// DefaultLinkTTL is how long a login link works unless its maker says
	// otherwise.
	DefaultLinkTTL = 15 * time.Minute
	// MaxLinkTTL is the longest validity of a login link.
	MaxLinkTTL = 24 * time.Hour
	// MinKeyLen is the shortest accepted site key.
	MinKeyLen = 32

	tokenBytes = 32
	tokenLen   = 43 // base64url of tokenBytes, unpadded
	// handleLen is the length of Session.ID.
	handleLen = 16
)

// Errors of a login link or session cookie that signs no one in.
var (
	// ErrInvalid: not a link or session of this site and key (unknown,
	// forged, malformed, ended, or made under another key).
	ErrInvalid = errors.New("auth: link or session invalid")
	// ErrExpired: a genuine login link past its expiry.
	ErrExpired = errors.New("auth: login link expired")
	// ErrUsed: a genuine login link that already signed someone in.
	ErrUsed = errors.New("auth: login link already used")
	// ErrNoSession: the request carries no session cookie.
	ErrNoSession = errors.New("auth: not signed in")
)

// Refusal says why a login link signs no one in, for the page to word it:
// "invalid" or "expired" (401 Unauthorized), "used" (410 Gone). ok is false
// for any other error: a failure of ours.
func Refusal(err error) (why string, status int, ok bool) {
	switch {
	case errors.Is(err, ErrInvalid):
		return "invalid", http.StatusUnauthorized, true
	case errors.Is(err, ErrExpired):
		return "expired", http.StatusUnauthorized, true
	case errors.Is(err, ErrUsed):
		return "used", http.StatusGone, true
	}
	return "", 0, false
}

// LinkRecord is a login link as the Store keeps it.
type LinkRecord struct {
	Site      string
	TokenHash string // HMAC of the link's token under the site's key
	Identity  string
	Created   time.Time
	Expires   time.Time
	Used      time.Time // zero until it signed someone in
}

// SessionRecord is a live session as the Store keeps it.
type SessionRecord struct {
	Site      string
	TokenHash string // HMAC of the cookie's token under the site's key
	Identity  string
	Created   time.Time
	Expires   time.Time
}

// Store keeps the login links and sessions of every site. Errors are
// commerce's sentinels (ErrNotFound, ErrConflict) or storage failures.
type Store interface {
	// SaveLoginLink stores a new, unused link.
	SaveLoginLink(ctx context.Context, l LinkRecord) error
	// LoginLink returns a link, used or not, until it is pruned.
	// commerce.ErrNotFound if there is none.
	LoginLink(ctx context.Context, site, tokenHash string) (LinkRecord, error)
	// StartSession, in one transaction, marks the link (s.Site, linkHash)
	// used at s.Created with one conditional update that only an unused
	// link expiring after s.Created passes, and stores s with the link's
	// identity, which it returns. Of simultaneous calls with one link
	// exactly one succeeds. A used or expired link: commerce.ErrConflict;
	// an unknown one: commerce.ErrNotFound; nothing changes then.
	StartSession(ctx context.Context, linkHash string, s SessionRecord) (SessionRecord, error)
	// Session returns the session if it is live at at (not ended, expiring
	// after at). commerce.ErrNotFound otherwise.
	Session(ctx context.Context, site, tokenHash string, at time.Time) (SessionRecord, error)
	// EndSession ends one session; ending one that is gone is no error.
	EndSession(ctx context.Context, site, tokenHash string) error
	// EndSessions ends every session of identity on site and deletes its
	// unused links, and says how many of each.
	EndSessions(ctx context.Context, site, identity string) (sessions, links int64, err error)
	// PruneAuth deletes links and sessions of every site that expired
	// before before, and says how many.
	PruneAuth(ctx context.Context, before time.Time) (int64, error)
}

// Options configures an Auth.
type Options struct {
	// Key is the site's HMAC key: at least MinKeyLen bytes, stable across
	// restarts and replicas, and the site's own (a new key signs everyone
	// out and voids every link, and nothing else). Keys for links,
	// sessions and CSRF tokens are derived from it.
	Key []byte
	// Name tells one site's sign-ins from another's ("staff"): it labels
	// the derived keys, the stored rows and the cookie. Lower-case letters
	// only.
	Name  string
	Store Store
	// Secure sets the Secure flag of the session cookie and names it
	// "__Host-…"; set it when the site is served over https.
	Secure bool
	// SessionTTL is how long a sign-in lasts (default DefaultSessionTTL).
	SessionTTL time.Duration
	Clock      func() time.Time // default time.Now
}

// Auth hands out login links and keeps sessions of one site.
type Auth struct {
	name       string
	store      Store
	secure     bool
	sessionTTL time.Duration
	now        func() time.Time

	linkKey, sessionKey, csrfKey []byte
}

var nameRe = regexp.MustCompile(`^[a-z]{1,32}$`)

// New checks the options. It fails with commerce.ErrInvalid for a short
// key, a malformed name or no store.
func New(o Options) (*Auth, error) {
	if len(o.Key) < MinKeyLen {
		return nil, fmt.Errorf("auth: key of %d bytes, need %d: %w", len(o.Key), MinKeyLen, commerce.ErrInvalid)
	}
	if !nameRe.MatchString(o.Name) {
		return nil, fmt.Errorf("auth: name %q: %w", o.Name, commerce.ErrInvalid)
	}
	if o.Store == nil {
		return nil, fmt.Errorf("auth: no store: %w", commerce.ErrInvalid)
	}
	a := &Auth{
		name: o.Name, store: o.Store, secure: o.Secure, sessionTTL: o.SessionTTL, now: o.Clock,
		linkKey:    mac(o.Key, []byte("shopbot "+o.Name+" login link v2")),
		sessionKey: mac(o.Key, []byte("shopbot "+o.Name+" session v2")),
		csrfKey:    mac(o.Key, []byte("shopbot "+o.Name+" csrf v2")),
	}
	if a.sessionTTL <= 0 {
		a.sessionTTL = DefaultSessionTTL
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a, nil
}

// SessionTTL is how long a sign-in lasts.
func (a *Auth) SessionTTL() time.Duration { return a.sessionTTL }

func mac(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)
}

func newToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashOf is what the store keeps of a token: its HMAC under key. ok is
// false for a string that is no token we could have made (looked up never).
func hashOf(key []byte, token string) (hash string, ok bool) {
	if len(token) != tokenLen {
		return "", false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) != tokenBytes {
		return "", false
	}
	return base64.RawURLEncoding.EncodeToString(mac(key, []byte(token))), true
}

// ---- login links ----

// NewLink stores and returns a login link's token that signs identity in
// once, within ttl (at most MaxLinkTTL). Whoever holds it first can sign
// in: hand it over privately. It fails with commerce.ErrInvalid for a
// malformed identity or a ttl out of range.
func (a *Auth) NewLink(ctx context.Context, identity string, ttl time.Duration) (token string, expires time.Time, err error) {
	if !commerce.ValidIdentity(identity) {
		return "", time.Time{}, fmt.Errorf("login link: identity %q: %w", identity, commerce.ErrInvalid)
	}
	if ttl < time.Second || ttl > MaxLinkTTL {
		return "", time.Time{}, fmt.Errorf("login link: validity %v, want 1s to %v: %w", ttl, MaxLinkTTL, commerce.ErrInvalid)
	}
	token = newToken()
	hash, _ := hashOf(a.linkKey, token)
	now := a.now()
	expires = now.Add(ttl)
	if err := a.store.SaveLoginLink(ctx, LinkRecord{Site: a.name, TokenHash: hash, Identity: identity, Created: now, Expires: expires}); err != nil {
		return "", time.Time{}, fmt.Errorf("login link: %w", err)
	}
	return token, expires, nil
}

// CheckLink tells, without using it, whom a login link would sign in. It
// fails with ErrInvalid, ErrExpired or ErrUsed (with the link's record for
// the last two), or a storage error.
func (a *Auth) CheckLink(ctx context.Context, token string) (LinkRecord, error) {
	hash, ok := hashOf(a.linkKey, token)
	if !ok {
		return LinkRecord{}, ErrInvalid
	}
	l, err := a.store.LoginLink(ctx, a.name, hash)
	if errors.Is(err, commerce.ErrNotFound) {
		return LinkRecord{}, ErrInvalid
	}
	if err != nil {
		return LinkRecord{}, fmt.Errorf("login link: %w", err)
	}
	switch {
	case !l.Used.IsZero():
		return l, ErrUsed
	case !a.now().Before(l.Expires):
		return l, ErrExpired
	}
	return l, nil
}

// Login uses a login link: when it is valid and unused, a session starts
// and its cookie is set on w; the link never works again. It fails with
// ErrInvalid, ErrExpired or ErrUsed, or a storage error.
func (a *Auth) Login(ctx context.Context, w http.ResponseWriter, token string) (Session, error) {
	linkHash, ok := hashOf(a.linkKey, token)
	if !ok {
		return Session{}, ErrInvalid
	}
	now := a.now()
	sessionToken := newToken()
	hash, _ := hashOf(a.sessionKey, sessionToken)
	rec, err := a.store.StartSession(ctx, linkHash, SessionRecord{Site: a.name, TokenHash: hash, Created: now, Expires: now.Add(a.sessionTTL)})
	switch {
	case errors.Is(err, commerce.ErrNotFound):
		return Session{}, ErrInvalid
	case errors.Is(err, commerce.ErrConflict):
		if _, err := a.CheckLink(ctx, token); err != nil {
			return Session{}, err
		}
		return Session{}, ErrUsed // used between the look and the update
	case err != nil:
		return Session{}, fmt.Errorf("login: %w", err)
	}
	a.setCookie(w, sessionToken, int(a.sessionTTL/time.Second))
	return a.session(rec, sessionToken), nil
}

// ---- sessions ----

// Session is a signed-in person.
type Session struct {
	Identity string
	// ID is a handle of the session that reveals nothing of its cookie: for
	// logs and per-session limits.
	ID string
	// CSRF is the token every form of the session carries (a hidden
	// "csrf" field); CheckCSRF compares it.
	CSRF    string
	Expires time.Time

	hash string
}

// CheckCSRF reports, in constant time, whether a posted token is the
// session's.
func (s Session) CheckCSRF(posted string) bool {
	return s.CSRF != "" && hmac.Equal([]byte(posted), []byte(s.CSRF))
}

func (a *Auth) session(rec SessionRecord, token string) Session {
	return Session{Identity: rec.Identity, ID: rec.TokenHash[:handleLen], Expires: rec.Expires, hash: rec.TokenHash,
		CSRF: base64.RawURLEncoding.EncodeToString(mac(a.csrfKey, []byte(token)))}
}

// CookieName is the session cookie's name: "__Host-shopbot_<name>" when
// Secure, else "shopbot_<name>".
func (a *Auth) CookieName() string {
	if a.secure {
		return "__Host-shopbot_" + a.name
	}
	return "shopbot_" + a.name
}

func (a *Auth) setCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: a.CookieName(), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode,
	})
}

// Session returns the signed-in person of r. It fails with ErrNoSession
// when r carries no session cookie, ErrInvalid when the cookie names no
// live session (ended, expired, forged, or of another key: drop it with
// DropCookie), or a storage error.
func (a *Auth) Session(r *http.Request) (Session, error) {
	c, err := r.Cookie(a.CookieName())
	if err != nil {
		return Session{}, ErrNoSession
	}
	hash, ok := hashOf(a.sessionKey, c.Value)
	if !ok {
		return Session{}, ErrInvalid
	}
	rec, err := a.store.Session(r.Context(), a.name, hash, a.now())
	if errors.Is(err, commerce.ErrNotFound) {
		return Session{}, ErrInvalid
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	return a.session(rec, c.Value), nil
}

// Logout ends s on the server and drops the cookie: the cookie, replayed,
// proves nothing any more.
func (a *Auth) Logout(ctx context.Context, w http.ResponseWriter, s Session) error {
	if err := a.End(ctx, s); err != nil {
		return err
	}
	a.DropCookie(w)
	return nil
}

// End ends s on the server only (a browser signing in as someone else
// ends the session it had; its cookie is replaced).
func (a *Auth) End(ctx context.Context, s Session) error {
	if err := a.store.EndSession(ctx, a.name, s.hash); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// DropCookie tells the browser to forget the session cookie.
func (a *Auth) DropCookie(w http.ResponseWriter) {
	a.setCookie(w, "", -1)
}

// SignOutEverywhere ends every session of identity on this site and voids
// its unused login links, and says how many of each.
func (a *Auth) SignOutEverywhere(ctx context.Context, identity string) (sessions, links int64, err error) {
	sessions, links, err = a.store.EndSessions(ctx, a.name, identity)
	if err != nil {
		return 0, 0, fmt.Errorf("sign out everywhere: %w", err)
	}
	return sessions, links, nil
}

// Prune deletes links and sessions (of every site) that expired a day or
// more ago; a used link is kept that long so that opening it again says
// it was used. Run it periodically.
func (a *Auth) Prune(ctx context.Context) (int64, error) {
	return a.store.PruneAuth(ctx, a.now().Add(-24*time.Hour))
}
