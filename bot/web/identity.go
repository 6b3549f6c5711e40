package web

// Web identities are issued by the server. The first visit gets a cookie
// that carries a random id signed with the deployment's key:
//
//	shopbot_web=1.<gen>.<id>.<mac>
//
// 1 is the format, gen the number of the key that signed it (keys rotate),
// id 16 random bytes (base64url, 22 characters) and mac the first 16 bytes
// of HMAC-SHA256(key, "shopbot web identity|1|<gen>|<id>") in base64url.
// The cookie is HttpOnly, SameSite=Lax, Secure under https and lives 400
// days from the last visit of the page. Nothing the browser sends in a body
// or a query names the buyer; a cookie that does not verify is no cookie.
//
// Issuing an identity stores nothing: the database learns of it with its
// first chat message (Options.Visitors). New identities are limited per
// client address (Options.NewIdentities).

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"shopbot/chatstate"
)

// IdentityCookie is the name of the web identity cookie.
const IdentityCookie = "shopbot_web"

// identityMaxAge is how long the cookie lives after the last page visit
// (browsers cap cookies at 400 days).
const identityMaxAge = 400 * 24 * time.Hour

// keyReloadEvery bounds how often a cookie signed by a newer key than ours
// makes the handler read the keys again (another replica saw a rotation):
// often enough that a buyer never loses an identity to a rotation, rarely
// enough that forged cookies cannot hammer the store.
const keyReloadEvery = time.Second

// keyRefreshEvery is how old the keys in hand may get before they are read
// again: a rotation signs new cookies on every replica within it.
const keyRefreshEvery = 5 * time.Minute

// Key is one key that signs web identity cookies. Gen numbers it: each
// rotation adds a key with the next number.
type Key struct {
	Gen    int
	Secret []byte
}

// Visitors records the web identities that write (the retention sweep
// removes idle ones that never ordered).
type Visitors interface {
	// SeeWebIdentity records that id was active at at, adding it when new.
	SeeWebIdentity(ctx context.Context, id string, at time.Time) error
}

var idRe = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// seenCacheMax bounds the identities seenCache remembers in one hour.
const seenCacheMax = 100_000

// seenCache remembers the identities recorded as seen in the current hour,
// so a busy buyer costs Visitors one write an hour, not one a message.
type seenCache struct {
	mu   sync.Mutex
	hour int64
	ids  map[string]bool
}

// fresh reports whether id has not been recorded this hour, and counts it
// as recorded (the caller records it).
func (c *seenCache) fresh(id string, now time.Time) bool {
	hour := now.Unix() / 3600
	c.mu.Lock()
	defer c.mu.Unlock()
	if hour != c.hour || c.ids == nil {
		c.hour, c.ids = hour, map[string]bool{}
	}
	if c.ids[id] {
		return false
	}
	if len(c.ids) < seenCacheMax {
		c.ids[id] = true
	}
	return true
}

// forget lets the next message record id again (its recording failed).
func (c *seenCache) forget(id string) {
	c.mu.Lock()
	delete(c.ids, id)
	c.mu.Unlock()
}

// ErrTooManyNew is returned when a client address has made its limit of
// new web identities in this window.
var ErrTooManyNew = errors.New("web: too many new web identities from this address")

// identities issues and checks identity cookies.
type identities struct {
	load   func(ctx context.Context) ([]Key, error)
	now    func() time.Time
	secure bool
	addr   func(*http.Request) netip.Addr
	limit  chatstate.WindowLimiter // nil: no limit

	mu       sync.Mutex
	keys     []Key // newest first; keys[0] signs
	loadedAt time.Time
}

// signingKeys returns the keys, loading them on first use, every
// keyRefreshEvery, and when a cookie names a newer generation than ours
// (at most every keyReloadEvery).
func (ids *identities) signingKeys(ctx context.Context, wantGen int) ([]Key, error) {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	known := len(ids.keys) > 0
	age := ids.now().Sub(ids.loadedAt)
	if known && (age >= keyRefreshEvery || wantGen > ids.keys[0].Gen && age >= keyReloadEvery) {
		known = false // time to look again, or a newer key than ours: a rotation
	}
	if !known {
		keys, err := ids.load(ctx)
		if err != nil {
			if len(ids.keys) > 0 {
				ids.loadedAt = ids.now() // keep signing with what we have; look again later
				return ids.keys, nil
			}
			return nil, err
		}
		if len(keys) == 0 {
			return nil, errors.New("web: no identity keys")
		}
		ids.keys, ids.loadedAt = keys, ids.now()
	}
	return ids.keys, nil
}

func mac(secret []byte, gen int, id string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("shopbot web identity|1|" + strconv.Itoa(gen) + "|" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// verify returns the identity a cookie value names and the generation of
// the key that signed it; ok is false for anything that does not verify.
func (ids *identities) verify(ctx context.Context, value string) (id string, gen int, ok bool) {
	parts := strings.Split(value, ".")
	if len(parts) != 4 || parts[0] != "1" || !idRe.MatchString(parts[2]) || len(parts[3]) != 22 {
		return "", 0, false
	}
	gen, err := strconv.Atoi(parts[1])
	if err != nil || gen < 1 {
		return "", 0, false
	}
	keys, err := ids.signingKeys(ctx, gen)
	if err != nil {
		return "", 0, false
	}
	for _, k := range keys {
		if k.Gen == gen {
			if hmac.Equal([]byte(mac(k.Secret, gen, parts[2])), []byte(parts[3])) {
				return parts[2], gen, true
			}
			return "", 0, false
		}
	}
	return "", 0, false
}

// fromRequest is the identity of the request's cookie; ok is false
// without a cookie that verifies. current reports whether the newest key
// signed it.
func (ids *identities) fromRequest(r *http.Request) (id string, current, ok bool) {
	c, err := r.Cookie(IdentityCookie)
	if err != nil {
		return "", false, false
	}
	id, gen, ok := ids.verify(r.Context(), c.Value)
	if !ok {
		return "", false, false
	}
	keys, err := ids.signingKeys(r.Context(), 0)
	return id, err == nil && keys[0].Gen == gen, true
}

// setCookie (re)issues the cookie of id, signed with the newest key.
func (ids *identities) setCookie(ctx context.Context, w http.ResponseWriter, id string) error {
	keys, err := ids.signingKeys(ctx, 0)
	if err != nil {
		return err
	}
	k := keys[0]
	http.SetCookie(w, &http.Cookie{
		Name: IdentityCookie, Value: "1." + strconv.Itoa(k.Gen) + "." + id + "." + mac(k.Secret, k.Gen, id),
		Path: "/", MaxAge: int(identityMaxAge / time.Second), HttpOnly: true, Secure: ids.secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// issue makes a new identity for the request's client, within the limit
// of new identities per address (ErrTooManyNew beyond it), and sets its
// cookie. It stores nothing.
func (ids *identities) issue(w http.ResponseWriter, r *http.Request) (string, error) {
	if _, err := ids.signingKeys(r.Context(), 0); err != nil {
		return "", err
	}
	if ids.limit != nil {
		ok, err := ids.limit.Allow(r.Context(), limitKey(ids.addr(r)))
		switch {
		case err != nil:
			// The limit guards against floods; its store failing must not
			// keep every new visitor out. Let this one in.
		case !ok:
			return "", ErrTooManyNew
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	return id, ids.setCookie(r.Context(), w, id)
}

// ensure is the request's identity, issued when it has none; a cookie
// signed by an older key is signed again with the newest.
func (ids *identities) ensure(w http.ResponseWriter, r *http.Request) (id string, issued bool, err error) {
	id, current, ok := ids.fromRequest(r)
	if ok {
		if !current {
			err = ids.setCookie(r.Context(), w, id)
		}
		return id, false, err
	}
	id, err = ids.issue(w, r)
	return id, err == nil, err
}

// limitKey is what the new-identity limit counts on: the IPv4 address, or
// the /64 of an IPv6 one (one subscriber's prefix).
func limitKey(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "unknown"
	case a.Is4():
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// peerAddr is the direct peer of a request (Options.ClientAddr's default).
func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		a, _ := netip.ParseAddr(r.RemoteAddr)
		return a.Unmap()
	}
	return ap.Addr().Unmap()
}

// processKeys is the Keys default: one random key of this process, so a
// restart forgets every identity (tests, and handlers made without a
// store).
func processKeys() func(context.Context) ([]Key, error) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	keys := []Key{{Gen: 1, Secret: b[:]}}
	return func(context.Context) ([]Key, error) { return keys, nil }
}
