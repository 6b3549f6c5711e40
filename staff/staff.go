// Package staff is the pickup counter's web page: staff of a pickup point
// sign in with a link the seller gives them (shopbot staff link IDENTITY),
// check the code or QR a buyer shows, hand the order over, and decide
// returns brought back to the counter. Everything is rendered on the server
// with html/template; the page needs no script and no external asset.
//
// The package is split by job: staff/auth signs the login links, session
// cookies and CSRF tokens; handlers.go answers the routes; views.go turns
// the domain's values into page.html, in the staff member's language.
package staff

import (
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/staff/auth"
	"shopbot/templates"
)

// Defaults and limits of the staff page.
const (
	// SessionTTL is how long a staff session lasts after signing in with a
	// login link, unless Options.SessionTTL says otherwise.
	SessionTTL = auth.DefaultSessionTTL
	// MaxLoginTTL is the longest validity LoginLink accepts.
	MaxLoginTTL = auth.MaxLoginTTL
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
	// Texts are the page's words (templates/locales/*/staffpage.txt); nil
	// loads the embedded set.
	Texts *templates.Set
	// Secret is the HMAC key of login links, session cookies and CSRF
	// tokens: at least commerce.MinSecretLen (32) bytes, stable across
	// restarts and replicas. Keys for each use are derived from it.
	Secret []byte
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
	texts      *templates.Set
	auth       *auth.Auth
	log        *slog.Logger
	now        func() time.Time
	base       string
	secure     bool
	retryAfter time.Duration
	tmpl       map[string]*template.Template // by locale
	logKey     []byte                        // of identities in logs (logID)
}

// New checks the options and builds the staff page. It fails with
// commerce.ErrInvalid without a Pickup service, with a short secret or a
// PublicURL that is not an absolute http(s) URL.
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
	a, err := auth.New(auth.Options{Secret: o.Secret, Name: "staff", Secure: o.Secure, SessionTTL: o.SessionTTL, Clock: o.Clock})
	if err != nil {
		return nil, fmt.Errorf("staff page: %w", err)
	}
	if o.Texts == nil {
		if o.Texts, err = templates.Load(); err != nil {
			return nil, fmt.Errorf("staff page: %w", err)
		}
	}
	p := &Page{
		pickup: o.Pickup, texts: o.Texts, auth: a, log: o.Log, now: o.Clock,
		base: strings.TrimRight(o.PublicURL, "/"), secure: o.Secure, retryAfter: o.RetryAfter,
		logKey: bot.LogIDKey(o.Secret),
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
// POST /staff/redeem, POST /staff/returns/{id}/accept and …/reject,
// GET /staff/login and POST /staff/logout.
func (p *Page) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /staff", p.home)
	mux.HandleFunc("GET /staff/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/staff", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /staff/inspect", p.inspect)
	mux.HandleFunc("POST /staff/redeem", p.redeem)
	mux.HandleFunc("POST /staff/returns/{id}/accept", func(w http.ResponseWriter, r *http.Request) { p.decide(w, r, true) })
	mux.HandleFunc("POST /staff/returns/{id}/reject", func(w http.ResponseWriter, r *http.Request) { p.decide(w, r, false) })
	mux.HandleFunc("GET /staff/login", p.login)
	mux.HandleFunc("POST /staff/logout", p.logout)
}

// LoginLink returns "<PublicURL>/staff/login?token=…": a link that signs
// identity ("tg:123", "web:staff-jingan") in to the staff page, valid for
// ttl (at most MaxLoginTTL). Whoever holds it can sign in until it
// expires: hand it over privately. ErrInvalid for a malformed identity or a
// ttl out of range.
func (p *Page) LoginLink(identity string, ttl time.Duration) (string, error) {
	tok, err := p.auth.LoginToken(identity, ttl)
	if err != nil {
		return "", fmt.Errorf("staff login link: %w", err)
	}
	return p.base + "/staff/login?token=" + tok, nil
}
