// Package auth signs people in to the shop's own web pages (today the
// pickup counter's staff page; the seller's console is meant to share it):
// login links signed with HMAC, a signed session cookie, and a CSRF token
// bound to the session. It knows identities ("tg:123", "web:staff-jingan"),
// not what they may do: the page checks that.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"shopbot/commerce"
)

// Limits of tokens and sessions.
const (
	// DefaultSessionTTL is how long a session lasts after signing in with a
	// login link, unless Options.SessionTTL says otherwise.
	DefaultSessionTTL = 12 * time.Hour
	// MaxLoginTTL is the longest validity of a login link.
	MaxLoginTTL = 30 * 24 * time.Hour

	// maxToken bounds the login token and session cookie looked at.
	maxToken = 512
	sidLen   = 16
	// tokenVersion starts every signed login token and session.
	tokenVersion = 1
)

// Errors of a login token that does not sign anyone in.
var (
	// ErrInvalid: not a token this Auth signed (forged, altered, truncated,
	// of another kind or another secret).
	ErrInvalid = errors.New("auth: token invalid")
	// ErrExpired: a genuine token past its expiry.
	ErrExpired = errors.New("auth: token expired")
)

// Options configures an Auth.
type Options struct {
	// Secret is the HMAC key of login links, session cookies and CSRF
	// tokens: at least commerce.MinSecretLen (32) bytes, stable across
	// restarts and replicas. Keys for each use are derived from it.
	Secret []byte
	// Name tells one site's sign-ins from another's ("staff"): it labels
	// the derived keys and names the cookie. Lower-case letters only.
	Name string
	// Secure sets the Secure flag of the session cookie and names it
	// "__Host-…"; set it when the site is served over https.
	Secure bool
	// SessionTTL is how long a sign-in lasts (default DefaultSessionTTL).
	SessionTTL time.Duration
	Clock      func() time.Time // default time.Now
}

// Auth signs login tokens and keeps sessions in a signed cookie.
type Auth struct {
	name       string
	secure     bool
	sessionTTL time.Duration
	now        func() time.Time

	loginKey, sessionKey, csrfKey []byte
}

var nameRe = regexp.MustCompile(`^[a-z]{1,32}$`)

// New checks the options. It fails with commerce.ErrInvalid for a short
// secret or a malformed name.
func New(o Options) (*Auth, error) {
	if len(o.Secret) < commerce.MinSecretLen {
		return nil, fmt.Errorf("auth: secret of %d bytes, need %d: %w", len(o.Secret), commerce.MinSecretLen, commerce.ErrInvalid)
	}
	if !nameRe.MatchString(o.Name) {
		return nil, fmt.Errorf("auth: name %q: %w", o.Name, commerce.ErrInvalid)
	}
	a := &Auth{
		name: o.Name, secure: o.Secure, sessionTTL: o.SessionTTL, now: o.Clock,
		loginKey:   deriveKey(o.Secret, "shopbot "+o.Name+" login v1"),
		sessionKey: deriveKey(o.Secret, "shopbot "+o.Name+" session v1"),
		csrfKey:    deriveKey(o.Secret, "shopbot "+o.Name+" csrf v1"),
	}
	if a.sessionTTL <= 0 {
		a.sessionTTL = DefaultSessionTTL
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a, nil
}

// ---- signed tokens ----

func deriveKey(secret []byte, label string) []byte {
	return mac(secret, []byte(label))
}

func mac(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)
}

// sign returns base64url(version, expiry, extra, identity, HMAC).
func sign(key []byte, expires time.Time, extra []byte, identity string) string {
	body := []byte{tokenVersion}
	body = binary.BigEndian.AppendUint64(body, uint64(expires.Unix()))
	body = append(body, extra...)
	body = append(body, identity...)
	body = append(body, mac(key, body)...)
	return base64.RawURLEncoding.EncodeToString(body)
}

// verify checks a token made by sign with extraLen bytes of extra in
// constant time, then its expiry at now: ErrExpired for a genuine but
// expired token (with its contents), ErrInvalid for anything else.
func verify(key []byte, tok string, extraLen int, now time.Time) (identity string, extra []byte, expires time.Time, err error) {
	if len(tok) > maxToken {
		return "", nil, time.Time{}, ErrInvalid
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(tok)
	if err != nil || len(raw) < 1+8+extraLen+1+sha256.Size {
		return "", nil, time.Time{}, ErrInvalid
	}
	body, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if !hmac.Equal(sum, mac(key, body)) || body[0] != tokenVersion {
		return "", nil, time.Time{}, ErrInvalid
	}
	exp := int64(binary.BigEndian.Uint64(body[1:9]))
	extra = body[9 : 9+extraLen]
	identity = string(body[9+extraLen:])
	if !commerce.ValidIdentity(identity) || exp < 0 {
		return "", nil, time.Time{}, ErrInvalid
	}
	expires = time.Unix(exp, 0).UTC()
	if !now.Before(expires) {
		return identity, extra, expires, ErrExpired
	}
	return identity, extra, expires, nil
}

// ---- login links ----

// LoginToken returns a token that signs identity in, valid for ttl (at
// most MaxLoginTTL). Whoever holds it can sign in until it expires. It fails
// with commerce.ErrInvalid for a malformed identity or a ttl out of range.
func (a *Auth) LoginToken(identity string, ttl time.Duration) (string, error) {
	if !commerce.ValidIdentity(identity) {
		return "", fmt.Errorf("login token: identity %q: %w", identity, commerce.ErrInvalid)
	}
	if ttl < time.Second || ttl > MaxLoginTTL {
		return "", fmt.Errorf("login token: validity %v: %w", ttl, commerce.ErrInvalid)
	}
	return sign(a.loginKey, a.now().Add(ttl), nil, identity), nil
}

// Login checks a login token and, when it is valid, starts a session: the
// cookie is set on w. It fails with ErrExpired or ErrInvalid.
func (a *Auth) Login(w http.ResponseWriter, token string) (Session, error) {
	now := a.now()
	identity, _, _, err := verify(a.loginKey, token, 0, now)
	if err != nil {
		return Session{}, err
	}
	sid := make([]byte, sidLen)
	_, _ = rand.Read(sid) // crypto/rand.Read never returns an error
	a.setCookie(w, sign(a.sessionKey, now.Add(a.sessionTTL), sid, identity), int(a.sessionTTL/time.Second))
	return Session{Identity: identity, CSRF: a.csrfToken(sid)}, nil
}

// ---- sessions ----

// Session is a signed-in person.
type Session struct {
	Identity string
	// CSRF is the token every form of the session carries (a hidden
	// "csrf" field); CheckCSRF compares it.
	CSRF string
}

// CheckCSRF reports, in constant time, whether a posted token is the
// session's.
func (s Session) CheckCSRF(posted string) bool {
	return s.CSRF != "" && hmac.Equal([]byte(posted), []byte(s.CSRF))
}

// CookieName is the session cookie's name: "__Host-shopbot_<name>" when
// Secure, else "shopbot_<name>".
func (a *Auth) CookieName() string {
	if a.secure {
		return "__Host-shopbot_" + a.name
	}
	return "shopbot_" + a.name
}

func (a *Auth) csrfToken(sid []byte) string {
	return base64.RawURLEncoding.EncodeToString(mac(a.csrfKey, sid))
}

func (a *Auth) setCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: a.CookieName(), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode,
	})
}

// Session returns the signed-in person of r, if any. present tells whether
// r carried a session cookie at all (an expired or forged one is present
// but not ok: drop it with Logout).
func (a *Auth) Session(r *http.Request) (s Session, ok, present bool) {
	c, err := r.Cookie(a.CookieName())
	if err != nil {
		return Session{}, false, false
	}
	identity, sid, _, err := verify(a.sessionKey, c.Value, sidLen, a.now())
	if err != nil {
		return Session{}, false, true
	}
	return Session{Identity: identity, CSRF: a.csrfToken(sid)}, true, true
}

// Logout drops the session cookie.
func (a *Auth) Logout(w http.ResponseWriter) {
	a.setCookie(w, "", -1)
}
