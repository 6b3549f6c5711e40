package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"shopbot/chatstate"
	"shopbot/commerce"
	"shopbot/templates"
)

// Options configures a Router.
type Options struct {
	Shop     *commerce.Shop
	Sessions chatstate.SessionStore
	Dedupe   chatstate.Deduper
	Locker   chatstate.Locker
	Texts    *templates.Set
	Log      *slog.Logger
	// SessionTTL is how long an idle session is kept; default 30 days.
	SessionTTL time.Duration
	// DedupeTTL is how long an update id is remembered; default 48 h
	// (Telegram keeps unconfirmed updates 24 h).
	DedupeTTL time.Duration
	// Events receives notable outcomes (orders placed, errors) for metrics.
	Events func(Event)
	// ImageURL maps a product image key to a site-relative URL; default
	// "/img/" + key + ".png", or "/img/" + key for an uploaded picture
	// (whose key ends in its file type).
	ImageURL func(key string) string
	// Pickup is the offline half of the shop: slot booking, pickup codes,
	// staff redemption, returns, arrival notices. Nil turns those features
	// off (buyers are told they are not available).
	Pickup *commerce.Pickup
	// Admins are the seller identities ("tg:123", "wx:oAbc" —
	// Message.Channel + ":" + Message.UserID) allowed to run the seller
	// commands (/shipped, /arrived). Admins may also be pickup staff.
	Admins []string
	// TrustWebIdentity lets web-chat users act as staff or admins. Off in
	// production: rights belong to Telegram and WeChat identities (the
	// platforms vouch for them); a web identity is only a server-issued
	// cookie, and web staff use the signed /staff page. Tests of the chat
	// flows turn it on to drive seller and staff flows through the web
	// channel.
	TrustWebIdentity bool
	// DecodeQR returns the text of the QR code in a photo (PNG or JPEG),
	// or an error when there is none. Staff send photos of a buyer's
	// pickup QR; nil means photos cannot be read (staff are asked for the
	// typed code). Only staff photos are decoded.
	DecodeQR func(img []byte) (string, error)
	// Seller is the catalog tools of Admins in a private chat: add a
	// product by sending its photo, edit, hide and show products,
	// /products. Nil turns them off.
	Seller *commerce.Seller
	// GroupPosts posts drops into groups and channels (/post) and takes
	// "+1" taps on those posts; nil turns both off.
	GroupPosts *GroupPosts
	// Drops enables drops in the chat: buyer cards (/drop CODE, d_<code>
	// links), reservations, the waitlist and the sellers' /newdrop and
	// /drops. Nil turns them off.
	Drops *commerce.DropService
	// TimeZone is the seller's zone: drop start times are typed and shown
	// in it (a drop with a zone of its own is shown in that). Default
	// Asia/Shanghai.
	TimeZone *time.Location
	// DropLinks returns the shareable links of a drop shown to the seller
	// after scheduling; nil or empty fields are left out.
	DropLinks func(code string) DropLinks
	// Audience records who may receive broadcasts (users of private chats,
	// once a day at most) and keeps their opt-out; Broadcasts stores the
	// sellers' broadcasts (/broadcast). Nil turns broadcasts off.
	Audience   commerce.AudienceStore
	Broadcasts commerce.BroadcastStore
	// LogKey keys the hashes that stand for user ids, chat ids and
	// session keys in logs (LogID; derive it with LogIDKey). Nil: a random
	// key, so hashes correlate within this process only.
	LogKey []byte
	// Limiter bounds the messages of one identity (chatstate.Limiter);
	// nil lets every message through.
	Limiter chatstate.Limiter
	// Persons links a buyer's chats into one person (/link, /unlink):
	// orders, drop limits, waitlists and notices follow the person
	// (NoticeTarget). Nil turns linking off; the other features still ask
	// the stores, which answer for persons linked before.
	Persons *commerce.Persons
	// Desk is the sellers' order desk: /orders for sellers, the order
	// card's actions, new-order notices. Nil: sellers get the buyer's
	// list and /order NUMBER only.
	Desk *commerce.OrderDesk
	// LinkPages returns the pages that open another chat with a link code
	// (the web chat, the Telegram bot); nil shows none.
	LinkPages func(code string) LinkPages
	// Questions passes buyers' messages on to the sellers (Admins) and
	// their answers back: "Ask the seller" after a search that found
	// nothing, /human, /reply, /questions. Nil: search only.
	Questions *commerce.Questions
	// Restock offers "Notify me" on sold-out products and renders the
	// back-in-stock notices; nil turns it off.
	Restock *commerce.Restock
	// ConsoleLink makes a seller's login link to the console (/console);
	// nil answers /console as an unknown command.
	ConsoleLink func(ctx context.Context, identity string) (ConsoleLink, error)
	// Setup is the shop's profile, categories and pickup points as the
	// seller sets them up: buyers are greeted with the shop's name and
	// welcome, sellers get /settings and /categories. Nil: the built-in
	// texts, and no setup commands.
	Setup *commerce.ShopSetup
	// SetupWizard walks an admin's first /start through setting the shop
	// up while its profile is not set (SHOPBOT_SEED_DEMO=false).
	SetupWizard bool
	// Payments is online payment (WeChat Pay, Telegram Payments): placed
	// orders offer the ways to pay them, orders awaiting payment are
	// closed at the provider before their stock goes back, buyers get
	// receipts and refund notices, sellers refund from the order card.
	// Nil, or not Online: every order is paid at pickup, as before.
	Payments *commerce.Payments
	// PayPage is the absolute URL of the H5 pay page of an order (signed
	// by the app), shown as a URL button: inside WeChat it pays by JSAPI,
	// on a phone it opens there. Nil or "": no page.
	PayPage func(o commerce.Order) string
}

// Event names an outcome worth counting.
type Event string

// Events reported through Options.Events.
const (
	EventMessage      Event = "message"
	EventDuplicate    Event = "duplicate"
	EventOrderPlaced  Event = "order_placed"
	EventOrderConfirm Event = "order_confirmed"
	EventOrderCancel  Event = "order_cancelled"
	EventError        Event = "error"
	EventLimited      Event = "limited" // a message over its sender's limit, not handled
)

// Router turns messages into replies: de-duplicate, lock the chat, load the
// session, route the message to its feature's handler, save the session
// with a version check.
type Router struct {
	o      Options
	admins map[string]bool
	routes *routes
	logKey []byte

	// The feature handlers, each with its routes, its code and its part of
	// the session. A nil handler is a feature switched off: it has no
	// routes, so its commands are unknown and its buttons stale.
	core       *coreHandler
	browse     *browseHandler
	checkout   *checkoutHandler
	orders     *ordersHandler
	desk       *deskHandler      // Options.Desk
	pickup     *pickupHandler    // Options.Pickup
	staff      *staffHandler     // Options.Pickup
	seller     *sellerHandler    // Options.Seller
	drops      *dropsHandler     // Options.Drops
	posts      *postsHandler     // Options.GroupPosts
	broadcasts *broadcastHandler // Options.Audience (sending needs Options.Broadcasts)
	link       *linkHandler      // Options.Persons
	setup      *setupHandler     // Options.Setup
	questions  *questionsHandler // search; asking the sellers with Options.Questions
	restock    *restockHandler   // Options.Restock
	pay        *payHandler       // Options.Payments
	console    *consoleHandler
}

// NewRouter builds a Router with defaults filled in, its feature handlers
// and its route table. It panics when two features route the same verb,
// command, deep link or step: a programming error every test run catches.
func NewRouter(o Options) *Router {
	o = o.withDefaults()
	admins := make(map[string]bool, len(o.Admins))
	for _, a := range o.Admins {
		if a = strings.TrimSpace(a); a != "" {
			admins[a] = true
		}
	}
	r := &Router{o: o, admins: admins, logKey: o.LogKey}
	if len(r.logKey) == 0 {
		r.logKey = randomLogKey()
	}
	r.newHandlers()
	table, err := buildRouteTable(r.featureRoutes()...)
	if err != nil {
		panic(err)
	}
	r.routes = table
	return r
}

// newHandlers makes the handler of every feature switched on and tells
// each which of the others it works with.
func (r *Router) newHandlers() {
	o := r.o
	r.orders = &ordersHandler{shop: o.Shop}
	r.browse = &browseHandler{shop: o.Shop}
	r.checkout = &checkoutHandler{shop: o.Shop, browse: r.browse, orders: r.orders}
	r.core = &coreHandler{shop: o.Shop, pickupService: o.Pickup, checkout: r.checkout}
	if o.Pickup != nil {
		r.pickup = &pickupHandler{shop: o.Shop, pickupService: o.Pickup, orders: r.orders}
		r.staff = &staffHandler{shop: o.Shop, pickupService: o.Pickup, pickup: r.pickup, locker: o.Locker, decodeQR: o.DecodeQR, payments: o.Payments}
		r.orders.pickup = r.pickup
	}
	if o.Seller != nil {
		r.seller = &sellerHandler{shop: o.Shop, catalog: o.Seller, browse: r.browse, staff: r.staff, decodeQR: o.DecodeQR}
	}
	if o.Drops != nil {
		r.drops = &dropsHandler{shop: o.Shop, dropService: o.Drops, orders: r.orders, zone: o.TimeZone, links: o.DropLinks}
	}
	if o.GroupPosts != nil {
		r.posts = &postsHandler{posts: o.GroupPosts}
	}
	if o.Audience != nil {
		r.broadcasts = &broadcastHandler{shop: o.Shop, audience: o.Audience, store: o.Broadcasts}
	}
	if o.Persons != nil {
		r.link = &linkHandler{persons: o.Persons, pages: o.LinkPages}
	}
	if o.Setup != nil {
		r.setup = &setupHandler{setup: o.Setup, seller: r.seller, staff: r.staff, wizard: o.SetupWizard}
	}
	if o.Desk != nil {
		r.desk = &deskHandler{desk: o.Desk, orders: r.orders, pickup: o.Pickup != nil}
		r.orders.desk = r.desk
	}
	if o.Payments != nil {
		r.pay = &payHandler{shop: o.Shop, payments: o.Payments, page: o.PayPage, orders: r.orders}
		r.orders.pay = r.pay
	}
	r.questions = &questionsHandler{shop: o.Shop, questions: o.Questions}
	if o.Restock != nil {
		r.restock = &restockHandler{shop: o.Shop, restock: o.Restock, browse: r.browse}
		r.browse.restock = r.restock
	}
	r.console = &consoleHandler{link: o.ConsoleLink}
}

// featureRoutes is the route table: the routes of every feature switched
// on. The order of features is the order in which photos and free text are
// offered to them.
func (r *Router) featureRoutes() []routes {
	list := []routes{r.core.routes(), r.browse.routes(), r.checkout.routes(), r.orders.routes(), r.orders.sellerRoutes()}
	if r.broadcasts != nil {
		list = append(list, r.broadcasts.routes())
	}
	if r.seller != nil {
		list = append(list, r.seller.routes())
	}
	if r.pickup != nil {
		list = append(list, r.pickup.routes(), r.staff.routes())
	}
	if r.drops != nil {
		list = append(list, r.drops.routes(), r.drops.sellerRoutes())
	}
	if r.posts != nil {
		list = append(list, r.posts.routes())
	}
	if r.desk != nil {
		list = append(list, r.desk.routes())
	}
	if r.link != nil {
		list = append(list, r.link.routes())
	}
	if r.setup != nil {
		list = append(list, r.setup.routes())
	}
	if r.restock != nil {
		list = append(list, r.restock.routes())
	}
	if r.pay != nil {
		list = append(list, r.pay.routes(), r.pay.sellerRoutes())
	}
	list = append(list, r.console.routes())
	// Last: free text no feature above took is a search.
	list = append(list, r.questions.routes())
	if r.o.Questions != nil {
		list = append(list, r.questions.askRoutes(), r.questions.sellerRoutes())
	}
	return list
}

func (o Options) withDefaults() Options {
	if o.SessionTTL <= 0 {
		o.SessionTTL = 30 * 24 * time.Hour
	}
	if o.DedupeTTL <= 0 {
		o.DedupeTTL = 48 * time.Hour
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Events == nil {
		o.Events = func(Event) {}
	}
	if o.ImageURL == nil {
		o.ImageURL = defaultImageURL
	}
	if o.Locker == nil {
		o.Locker = chatstate.NewLocalLocker()
	}
	if o.TimeZone == nil {
		o.TimeZone = defaultZone()
	}
	return o
}

func defaultImageURL(key string) string {
	if strings.HasPrefix(key, "https://") || strings.HasPrefix(key, "http://") {
		return key // an imported product's picture hosted elsewhere
	}
	if commerce.ValidImageKey(key) {
		return "/img/" + key
	}
	return "/img/" + key + ".png"
}

func defaultZone() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// Admins returns the seller identities ("tg:123", …) the router was given,
// for adapters that show sellers more (Telegram's command menu).
func (r *Router) Admins() []string {
	out := make([]string, 0, len(r.admins))
	for a := range r.admins {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// HasRoute reports whether a button's action has a route: its verb is
// one of a feature switched on.
func (r *Router) HasRoute(action string) bool { return r.routes.routed(action) }

// ImageURL maps a product image key to the URL replies use.
func (r *Router) ImageURL(key string) string { return r.o.ImageURL(key) }

// Texts returns the router's text set (adapters render their own chrome with it).
func (r *Router) Texts() *templates.Set { return r.o.Texts }

// Handle processes one message. It returns ErrDuplicate for an update seen
// before, and ErrSlowDown for a message over its sender's limit (see
// ErrSlowDown). Any other error is a failure on our side (the database or
// Redis down): it has already been turned into a localized "try again"
// reply, which is returned alongside it, and the update's de-duplication
// claim is released so a redelivery is handled anew. The error's text names
// no user (ScrubError): log it as it is.
func (r *Router) Handle(ctx context.Context, m Message) ([]Reply, error) {
	if replies, limited, err := r.limit(ctx, m); limited {
		return replies, err
	}
	if m.UpdateID != "" && r.o.Dedupe != nil {
		first, err := r.o.Dedupe.Claim(ctx, "upd:"+m.Channel+":"+m.UpdateID, r.o.DedupeTTL)
		if err != nil {
			return r.failure(m, fmt.Errorf("dedupe: %w", err))
		}
		if !first {
			r.o.Events(EventDuplicate)
			return nil, ErrDuplicate
		}
	}
	r.o.Events(EventMessage)
	replies, err := r.handle(ctx, m)
	if err != nil {
		if m.UpdateID != "" && r.o.Dedupe != nil {
			// Let the platform's redelivery try again; effects are idempotent.
			_ = r.o.Dedupe.Release(context.WithoutCancel(ctx), "upd:"+m.Channel+":"+m.UpdateID)
		}
		return r.failure(m, err)
	}
	return replies, nil
}

// limit takes the message's token from its sender's bucket, before
// anything else is read or written: a flood costs one limiter call a
// message. limited is true for a message over the limit. A limiter that
// fails lets the message through (it is logged): the limit protects the
// shop, it must not stop it.
func (r *Router) limit(ctx context.Context, m Message) (replies []Reply, limited bool, err error) {
	if r.o.Limiter == nil || m.UserID == "" || m.Paid != nil { // a payment is never dropped
		return nil, false, nil
	}
	v, err := r.o.Limiter.Allow(ctx, m.Channel+":"+m.UserID)
	if err != nil {
		r.o.Log.WarnContext(ctx, "message limit unavailable; message let through", "err", r.ScrubError(err, m.UserID, m.ChatID))
		return nil, false, nil
	}
	if v.Allowed {
		return nil, false, nil
	}
	r.o.Events(EventLimited)
	if !v.Tell {
		return nil, true, ErrSlowDown
	}
	text := r.o.Texts.Text(langOf(m), "err_slow_down", nil)
	if m.Channel == ChannelTelegram && m.Action != "" {
		return []Reply{{Toast: text}}, true, ErrSlowDown
	}
	return []Reply{{Text: text}}, true, ErrSlowDown
}

// langOf is the language of a message's sender as the platform says it,
// for answers given without the session (which holds the chosen one).
func langOf(m Message) string {
	if lang := templates.Match(m.Lang); lang != "" {
		return lang
	}
	return templates.Default
}

func (r *Router) failure(m Message, err error) ([]Reply, error) {
	r.o.Events(EventError)
	return []Reply{{Text: r.o.Texts.Text(langOf(m), "error_internal", nil)}}, r.ScrubError(err, m.UserID, m.ChatID)
}

// SessionKey is the storage key of a chat's session. Group and private chats
// never share one, and two users in one group do not either.
func SessionKey(m Message) string {
	if m.Group {
		return "sess:" + m.Channel + ":" + m.ChatID + ":" + m.UserID
	}
	return "sess:" + m.Channel + ":" + m.ChatID
}

func (r *Router) handle(ctx context.Context, m Message) ([]Reply, error) {
	key := SessionKey(m)
	lockKey := "lock:" + key
	const lockTTL = 30 * time.Second
	load := r.o.Sessions.LoadSession
	save := r.o.Sessions.SaveSession
	if ls, ok := r.o.Sessions.(chatstate.LockingSessionStore); ok {
		// Lock with the first load and unlock with the last save: two round trips.
		data, version, token, err := ls.LockAndLoad(ctx, lockKey, lockTTL, key)
		if err != nil {
			return nil, fmt.Errorf("lock and load session: %w", err)
		}
		saved := false
		defer func() {
			if !saved {
				ls.Unlock(ctx, lockKey, token)
			}
		}()
		first := true
		load = func(ctx context.Context, key string) ([]byte, int64, error) {
			if first {
				first = false
				return data, version, nil
			}
			return ls.LoadSession(ctx, key)
		}
		save = func(ctx context.Context, key string, data []byte, version int64, ttl time.Duration) (int64, error) {
			v, err := ls.SaveAndUnlock(ctx, key, data, version, ttl, lockKey, token)
			saved = err == nil
			return v, err
		}
	} else {
		unlock, err := r.o.Locker.Lock(ctx, lockKey, lockTTL)
		if err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
		defer unlock()
	}
	for attempt := 0; ; attempt++ {
		data, version, err := load(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("load session: %w", err)
		}
		sess, err := decodeSession(data, version)
		if err != nil {
			r.o.Log.WarnContext(ctx, "unreadable session reset", "session", r.LogID(key), "err", err)
			sess = Session{version: version}
		}
		r.seen(ctx, &sess, m)
		r.seenPerson(ctx, &sess, m)
		r.seenAsker(ctx, &sess, m)
		replies, err := r.step(ctx, &sess, m)
		if err != nil {
			return nil, err
		}
		enc, err := sess.encode()
		if err != nil {
			return nil, fmt.Errorf("encode session: %w", err)
		}
		_, err = save(ctx, key, enc, sess.version, r.o.SessionTTL)
		if errors.Is(err, commerce.ErrConflict) && attempt < 3 {
			// Another replica saved first (our lock expired); redo the step on
			// its state. Every effect in a step is idempotent.
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("save session: %w", err)
		}
		return replies, nil
	}
}

func newNonce() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
