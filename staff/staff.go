// Package staff is the pickup counter's web page: staff of a pickup point
// sign in with a link the seller gives them (shopbot staff link IDENTITY),
// check the code or QR a buyer shows, hand the order over, and decide
// returns brought back to the counter. Everything is rendered on the server
// with html/template; the page needs no script and no external asset.
//
// The package is split by job: staff/auth keeps the single-use login links,
// the server-side sessions and their CSRF tokens; handlers.go answers the
// routes; views.go turns the domain's values into page.html, in the staff
// member's language.
package staff

import (
	"context"
	"crypto/rand"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/internal/clientaddr"
	"shopbot/staff/auth"
	"shopbot/templates"
)

// Defaults and limits of the staff page.
const (
	// SessionTTL is how long a staff session lasts after signing in with a
	// login link, unless Options.SessionTTL says otherwise.
	SessionTTL = auth.DefaultSessionTTL
	// LoginTTL is how long a login link works unless its maker says
	// otherwise.
	LoginTTL = auth.DefaultLinkTTL
	// MaxLoginTTL is the longest validity LoginLink accepts.
	MaxLoginTTL = auth.MaxLinkTTL
	// MaxBody is the largest accepted form body of a staff POST.
	MaxBody = 16 << 10

	// defaultRetryAfter is what staff are told to wait after too many
	// wrong codes, unless Options.RetryAfter says otherwise: commerce's
	// default wrong-code window (PickupOptions.StaffLimit.Per).
	defaultRetryAfter = 10 * time.Minute
	maxNote           = 500
)

// Options configures the staff page.
type Options struct {
	Pickup *commerce.Pickup
	// Payments offers WeChat Pay at the counter (a QR code the buyer
	// scans) when WeChat Pay is configured; nil: cash, card, transfer.
	Payments *commerce.Payments
	// Texts are the page's words (templates/locales/*/staffpage.txt); nil
	// loads the embedded set.
	Texts *templates.Set
	// Key is the staff key (SHOPBOT_STAFF_KEY): the HMAC key of login
	// links, sessions and CSRF tokens, at least auth.MinKeyLen (32) bytes,
	// stable across restarts and replicas, and apart from the pickup pass
	// key: a new one signs every staff member out and nothing else.
	Key []byte
	// LogKey keys the hashes that stand for staff identities in logs:
	// pass the chat router's (bot.LogIDKey of the same secret), so one
	// person has one hash in both. Nil: a random key (hashes then
	// correlate within this process only).
	LogKey []byte
	// Store keeps the login links and sessions.
	Store auth.Store
	// Proxies tells the client address of a request (X-Forwarded-For is
	// believed only from SHOPBOT_TRUSTED_PROXIES): wrong codes are limited
	// per address as well as per session. The zero value trusts no proxy.
	Proxies clientaddr.Resolver
	// PublicURL is the base of login links ("https://shop.example").
	PublicURL string
	Log       *slog.Logger
	Clock     func() time.Time // default time.Now
	// Secure sets the Secure flag of the session cookie (and names it
	// "__Host-…"); set it when PublicURL is https.
	Secure bool
	// SessionTTL is how long a sign-in lasts (default SessionTTL).
	SessionTTL time.Duration
	// RetryAfter is the wait staff are told after too many wrong codes;
	// set it to the Pickup service's StaffLimit.Per (default 10 min).
	RetryAfter time.Duration
}

// Page serves the pickup counter's pages under /staff.
type Page struct {
	pickup     *commerce.Pickup
	payments   *commerce.Payments
	texts      *templates.Set
	auth       *auth.Auth
	proxies    clientaddr.Resolver
	log        *slog.Logger
	now        func() time.Time
	base       string
	secure     bool
	retryAfter time.Duration
	tmpl       map[string]*template.Template // by locale
	logKey     []byte                        // of identities in logs (logID)
}

// New checks the options and builds the staff page. It fails with
// commerce.ErrInvalid without a Pickup service or a Store, with a short key
// or a PublicURL that is not an absolute http(s) URL.
func New(o Options) (*Page, error) {
	if o.Pickup == nil {
		return nil, fmt.Errorf("staff page: no pickup service: %w", commerce.ErrInvalid)
	}
	u, err := url.Parse(o.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("staff page: public URL %q: %w", o.PublicURL, commerce.ErrInvalid)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if len(o.LogKey) == 0 {
		o.LogKey = bot.LogIDKey(randomKey())
	}
	a, err := auth.New(auth.Options{Key: o.Key, Name: "staff", Store: o.Store, Secure: o.Secure, SessionTTL: o.SessionTTL, Clock: o.Clock})
	if err != nil {
		return nil, fmt.Errorf("staff page: %w", err)
	}
	if o.Texts == nil {
		if o.Texts, err = templates.Load(); err != nil {
			return nil, fmt.Errorf("staff page: %w", err)
		}
	}
	p := &Page{
		pickup: o.Pickup, payments: o.Payments, texts: o.Texts, auth: a, proxies: o.Proxies, log: o.Log, now: o.Clock,
		base: strings.TrimRight(o.PublicURL, "/"), secure: o.Secure, retryAfter: o.RetryAfter,
		logKey: o.LogKey,
	}
	if p.tmpl, err = parseViews(o.Texts); err != nil {
		return nil, fmt.Errorf("staff page template: %w", err)
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.retryAfter <= 0 {
		p.retryAfter = defaultRetryAfter
	}
	return p, nil
}

// Register adds the staff routes to mux: GET /staff, POST /staff/inspect,
// POST /staff/redeem, POST /staff/wechatpay, POST /staff/returns/{id}/accept and …/reject,
// GET and POST /staff/login, POST /staff/logout and
// POST /staff/logout/everywhere.
func (p *Page) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /staff", p.home)
	mux.HandleFunc("GET /staff/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/staff", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /staff/inspect", p.inspect)
	mux.HandleFunc("POST /staff/redeem", p.redeem)
	mux.HandleFunc("POST /staff/wechatpay", p.wechatPay)
	mux.HandleFunc("POST /staff/returns/{id}/accept", func(w http.ResponseWriter, r *http.Request) { p.decide(w, r, true) })
	mux.HandleFunc("POST /staff/returns/{id}/reject", func(w http.ResponseWriter, r *http.Request) { p.decide(w, r, false) })
	mux.HandleFunc("GET /staff/login", p.loginPage)
	mux.HandleFunc("POST /staff/login", p.login)
	mux.HandleFunc("POST /staff/logout", func(w http.ResponseWriter, r *http.Request) { p.logout(w, r, false) })
	mux.HandleFunc("POST /staff/logout/everywhere", func(w http.ResponseWriter, r *http.Request) { p.logout(w, r, true) })
}

// LoginLink returns "<PublicURL>/staff/login?token=…": a link that signs
// identity ("tg:123", "web:staff-jingan") in to the staff page once, within
// ttl (at most MaxLoginTTL). Whoever opens it first can sign in: hand it
// over privately. ErrInvalid for a malformed identity or a ttl out of
// range.
func (p *Page) LoginLink(ctx context.Context, identity string, ttl time.Duration) (string, error) {
	tok, _, err := p.auth.NewLink(ctx, identity, ttl)
	if err != nil {
		return "", fmt.Errorf("staff login link: %w", err)
	}
	return p.base + "/staff/login?token=" + tok, nil
}

// SignOutEverywhere ends every staff-page session of identity and voids
// its unused login links (the seller's "shopbot staff signout"), and says
// how many of each.
func (p *Page) SignOutEverywhere(ctx context.Context, identity string) (sessions, links int64, err error) {
	return p.auth.SignOutEverywhere(ctx, identity)
}

// Prune deletes expired login links and sessions; run it periodically.
func (p *Page) Prune(ctx context.Context) (int64, error) { return p.auth.Prune(ctx) }

// randomKey is 32 random bytes.
func randomKey() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}
