// Package admin is the seller's console at /admin: today's figures, the
// orders with the chat's actions and a CSV export, the products with every
// field, drops with a sell-through chart and broadcasts with their
// progress. Sellers (the identities of SHOPBOT_ADMINS) sign in with a
// single-use login link (shopbot admin link IDENTITY, or /console in their
// chat) through staff/auth: a server-side session, a CSRF token on every
// form. Their rights are checked at every request, so a seller taken out
// of SHOPBOT_ADMINS is out of the console at once.
//
// Pages are rendered on the server with html/template in the seller's
// language (templates topic "console"), mobile first, and need no script;
// charts are SVG drawn on the server.
package admin

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"shopbot/commerce"
	"shopbot/staff/auth"
	"shopbot/templates"
)

// Defaults and limits of the console.
const (
	// LoginTTL is how long a login link works unless its maker says
	// otherwise; MaxLoginTTL is the longest accepted.
	LoginTTL    = auth.DefaultLinkTTL
	MaxLoginTTL = auth.MaxLinkTTL
	// MaxBody is the largest accepted form body of a console POST; a
	// photo upload may carry MaxPhotoBody.
	MaxBody      = 64 << 10
	MaxPhotoBody = commerce.MaxImageBytes + 64<<10
	// LowStock is the stock at or under which today's page lists a product.
	LowStock = 5
	// ordersPerPage is the rows of one orders page.
	ordersPerPage = 50
)

// Site is the console's name in staff/auth (its cookie, rows and keys).
const Site = "console"

// Options configures the console.
type Options struct {
	Shop   *commerce.Shop
	Seller *commerce.Seller
	Pickup *commerce.Pickup
	Drops  *commerce.DropService // nil: no drops page
	// Broadcasts lists the sellers' broadcasts; nil: no broadcasts page.
	Broadcasts commerce.BroadcastStore
	// Setup is the shop's profile, categories and pickup points; nil: no
	// categories, points or settings pages.
	Setup *commerce.ShopSetup
	// Desk is the seller's order desk: shelves, notes to buyers,
	// payments; nil leaves them out.
	Desk *commerce.OrderDesk
	// ProductLink is what a product's label's QR code opens on a target
	// ("telegram", "wechat", "web"), and LinkTargets the targets there
	// are, the default first; nil: no labels page.
	ProductLink func(ctx context.Context, target string, productID int64) (string, error)
	LinkTargets func() []string
	// Questions is the sellers' inbox of buyers' questions; nil: no
	// questions page.
	Questions *commerce.Questions
	// Payments is the payment side of orders (issue 14): the order page
	// shows the transaction and the refunds, takes refunds and marks
	// manual ones made, and cancels orders awaiting payment or paid through
	// it; nil: no refunds, cancels as before.
	Payments *commerce.Payments
	// Orders are the console's reads of orders and figures.
	Orders commerce.ConsoleStore
	// IsAdmin tells, at every request, whether an identity is a seller
	// (listed in SHOPBOT_ADMINS).
	IsAdmin func(identity string) bool
	// Texts are the words (templates topic "console"); nil loads the
	// embedded set.
	Texts *templates.Set
	// Key is the console key: at least auth.MinKeyLen bytes, stable across
	// restarts and replicas; a new one signs every seller out.
	Key []byte
	// Store keeps the login links and sessions.
	Store auth.Store
	// PublicURL is the base of login links ("https://shop.example").
	PublicURL string
	// Zone is the shop's time zone: days, dates and the CSV are in it.
	Zone  *time.Location
	Log   *slog.Logger
	Clock func() time.Time // default time.Now
	// Secure marks the session cookie Secure (and "__Host-"); set it when
	// PublicURL is https.
	Secure bool
	// ImageURL maps a product's image key to a URL (bot.Router.ImageURL);
	// nil shows no pictures.
	ImageURL func(key string) string
}

// Console serves the seller's console under /admin.
type Console struct {
	o     Options
	auth  *auth.Auth
	texts *templates.Set
	log   *slog.Logger
	now   func() time.Time
	zone  *time.Location
	base  string
	pages map[string]map[string]*template.Template // page → locale → template
}

// New checks the options and builds the console. It fails with
// commerce.ErrInvalid without the services it needs, with a short key or a
// PublicURL that is not an absolute http(s) URL.
func New(o Options) (*Console, error) {
	if o.ProductLink != nil && o.LinkTargets == nil {
		o.LinkTargets = func() []string { return []string{"web"} }
	}
	if o.Shop == nil || o.Seller == nil || o.Pickup == nil || o.Orders == nil || o.IsAdmin == nil {
		return nil, fmt.Errorf("console: shop, seller, pickup, orders and admins are required: %w", commerce.ErrInvalid)
	}
	u, err := url.Parse(o.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("console: public URL %q: %w", o.PublicURL, commerce.ErrInvalid)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Zone == nil {
		o.Zone = time.UTC
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	a, err := auth.New(auth.Options{Key: o.Key, Name: Site, Store: o.Store, Secure: o.Secure, Clock: o.Clock})
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	if o.Texts == nil {
		if o.Texts, err = templates.Load(); err != nil {
			return nil, fmt.Errorf("console: %w", err)
		}
	}
	c := &Console{o: o, auth: a, texts: o.Texts, log: o.Log, now: o.Clock, zone: o.Zone, base: strings.TrimRight(o.PublicURL, "/")}
	if c.pages, err = c.parsePages(); err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	return c, nil
}

// Register adds the console's routes to mux.
func (c *Console) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/console.css", serveCSS)
	mux.HandleFunc("GET /admin/login", c.loginPage)
	mux.HandleFunc("POST /admin/login", c.login)
	mux.HandleFunc("POST /admin/logout", c.logout)
	mux.HandleFunc("GET /admin", c.page(c.today))
	mux.HandleFunc("GET /admin/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
	})
	c.registerOrders(mux)
	c.registerDesk(mux)
	c.registerPayments(mux)
	c.registerProducts(mux)
	c.registerCategories(mux)
	c.registerSettings(mux)
	c.registerPoints(mux)
	c.registerLabels(mux)
	c.registerQuestions(mux)
	mux.HandleFunc("GET /admin/drops", c.page(c.drops))
	mux.HandleFunc("GET /admin/broadcasts", c.page(c.broadcasts))
}

// LoginLink returns "<PublicURL>/admin/login?token=…": a link that signs
// identity in to the console once, within ttl (at most MaxLoginTTL).
// commerce.ErrForbidden when identity is no seller; ErrInvalid for a
// malformed identity or a ttl out of range.
func (c *Console) LoginLink(ctx context.Context, identity string, ttl time.Duration) (string, error) {
	if !c.o.IsAdmin(identity) {
		return "", fmt.Errorf("console login link: %s is no seller: %w", identity, commerce.ErrForbidden)
	}
	tok, _, err := c.auth.NewLink(ctx, identity, ttl)
	if err != nil {
		return "", fmt.Errorf("console login link: %w", err)
	}
	return c.base + "/admin/login?token=" + tok, nil
}

// SignOutEverywhere ends every console session of identity and voids its
// unused login links, and says how many of each.
func (c *Console) SignOutEverywhere(ctx context.Context, identity string) (sessions, links int64, err error) {
	return c.auth.SignOutEverywhere(ctx, identity)
}
