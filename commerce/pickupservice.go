package commerce

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Limit is a rate: at most N events per Per (a sliding window).
type Limit struct {
	N   int
	Per time.Duration
}

// PickupOptions configures a Pickup service. Zero durations and limits take
// the defaults shown.
type PickupOptions struct {
	Store  PickupServiceStore
	Clock  Clock  // default SystemClock
	Secret []byte // HMAC key of pickup tokens, at least 32 bytes; keep it stable across restarts and replicas
	// Lead: slots starting sooner than this are neither offered nor bookable (30 min).
	Lead time.Duration
	// Grace: a booking is released as missed this long after its slot ends (15 min).
	Grace time.Duration
	// Horizon: how far ahead slots are offered and bookable (14 days).
	Horizon time.Duration
	// HoldPeriod: an order waiting this long after arrival alerts the seller (7 days).
	HoldPeriod time.Duration
	// ReturnPeriod: how long after pickup a return may be started (7 days).
	ReturnPeriod time.Duration
	// CodeTTL: how long a pickup code and its token work after arrival (30 days).
	CodeTTL time.Duration
	// StaffLimit: wrong codes allowed per staff session (Clerk.Session: a
	// staff page sign-in) or, on the chat, per staff identity (5 per 10 min).
	StaffLimit Limit
	// AddrLimit: wrong codes allowed per client address (Clerk.Addr; 20 per
	// 10 min: a counter's staff may share one address).
	AddrLimit Limit
	// FloodAlert: this many wrong codes at one point within Per, from
	// everyone together, emit StaffCodeFlood (20 per 10 min). It refuses
	// nothing: a right code or a QR pass is never refused for others'
	// wrong guesses.
	FloodAlert Limit
}

// Pickup is the offline half of the shop: pickup points, slots and
// bookings, arrival of shipments, pickup codes redeemed by staff, and
// after-sales at the counter. Every time it uses comes from its Clock.
//
// Slots it generates (NextSlots) are in the point's zone; times read back
// from the store (bookings, codes, returns) are UTC: format them with the
// point's Location.
//
// Its methods live beside their section: points and the sweep here,
// slots and bookings in pickupbooking.go, shipping and arrival in
// pickupshipment.go, codes and redemption in pickupredeem.go, returns in
// pickupreturns.go.
type Pickup struct {
	store        PickupServiceStore
	clock        Clock
	secret       []byte
	lead, grace  time.Duration
	horizon      time.Duration
	hold         time.Duration
	returnPeriod time.Duration
	codeTTL      time.Duration
	staffLimit   Limit
	addrLimit    Limit
	floodAlert   Limit

	mu   sync.Mutex
	locs map[string]*time.Location

	pay *Payments // UsePayments; nil: accepted returns refund nothing
}

// MinSecretLen is the shortest accepted token secret.
const MinSecretLen = 32

// NewPickup builds a Pickup service with defaults filled in. ErrInvalid
// without a store or with a secret shorter than MinSecretLen.
func NewPickup(o PickupOptions) (*Pickup, error) {
	if o.Store == nil {
		return nil, fmt.Errorf("pickup: no store: %w", ErrInvalid)
	}
	if len(o.Secret) < MinSecretLen {
		return nil, fmt.Errorf("pickup: token secret of %d bytes, need %d: %w", len(o.Secret), MinSecretLen, ErrInvalid)
	}
	or := func(d, def time.Duration) time.Duration {
		if d <= 0 {
			return def
		}
		return d
	}
	lim := func(l, def Limit) Limit {
		if l.N <= 0 || l.Per <= 0 {
			return def
		}
		return l
	}
	p := &Pickup{
		store: o.Store, clock: o.Clock, secret: slices.Clone(o.Secret),
		lead: or(o.Lead, 30*time.Minute), grace: or(o.Grace, 15*time.Minute),
		horizon: or(o.Horizon, 14*24*time.Hour), hold: or(o.HoldPeriod, 7*24*time.Hour),
		returnPeriod: or(o.ReturnPeriod, 7*24*time.Hour), codeTTL: or(o.CodeTTL, 30*24*time.Hour),
		staffLimit: lim(o.StaffLimit, Limit{5, 10 * time.Minute}), addrLimit: lim(o.AddrLimit, Limit{20, 10 * time.Minute}),
		floodAlert: lim(o.FloodAlert, Limit{20, 10 * time.Minute}),
		locs:       map[string]*time.Location{},
	}
	if p.clock == nil {
		p.clock = SystemClock
	}
	return p, nil
}

// Now is the service's clock.
func (p *Pickup) Now() time.Time { return p.clock.Now() }

// Store exposes the underlying store for read-only listings.
func (p *Pickup) Store() PickupServiceStore { return p.store }

// StaffLimit is the wrong codes allowed per staff session (or chat
// identity) and window.
func (p *Pickup) StaffLimit() Limit { return p.staffLimit }

// FloodAlert is how many wrong codes at one point within its window tell
// the sellers (StaffCodeFlood).
func (p *Pickup) FloodAlert() Limit { return p.floodAlert }

// HoldPeriod is how long an arrived order waits before the seller is alerted.
func (p *Pickup) HoldPeriod() time.Duration { return p.hold }

// Grace is how long after a slot's end a booking is released as missed.
func (p *Pickup) Grace() time.Duration { return p.grace }

// Location returns the point's time zone (cached).
func (p *Pickup) Location(pt PickupPoint) (*time.Location, error) {
	p.mu.Lock()
	loc := p.locs[pt.TimeZone]
	p.mu.Unlock()
	if loc != nil {
		return loc, nil
	}
	loc, err := pt.Location()
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.locs[pt.TimeZone] = loc
	p.mu.Unlock()
	return loc, nil
}

// ---- points ----

// SavePoint validates and upserts a point by Code (defaults filled in).
func (p *Pickup) SavePoint(ctx context.Context, pt PickupPoint) (PickupPoint, error) {
	pt = pt.WithDefaults()
	if err := pt.Validate(); err != nil {
		return pt, err
	}
	return p.store.UpsertPickupPoint(ctx, pt)
}

// Nearest returns up to n active points nearest to a shared location.
func (p *Pickup) Nearest(ctx context.Context, lat, lon float64, n int) ([]PointDistance, error) {
	pts, err := p.store.PickupPoints(ctx)
	if err != nil {
		return nil, err
	}
	return NearestPoints(pts, lat, lon, n), nil
}

// StaffPoints returns the active points where identity ("tg:123") is staff;
// empty for anyone else.
func (p *Pickup) StaffPoints(ctx context.Context, identity string) ([]PickupPoint, error) {
	return p.store.StaffPoints(ctx, identity)
}

// staffPoint returns the point if identity is its staff; ErrForbidden otherwise.
func (p *Pickup) staffPoint(ctx context.Context, identity string, pointID int64) (PickupPoint, error) {
	pt, err := p.store.PickupPoint(ctx, pointID)
	if errors.Is(err, ErrNotFound) {
		return pt, fmt.Errorf("point %d: %w", pointID, ErrForbidden)
	}
	if err != nil {
		return pt, err
	}
	if !pt.IsStaff(identity) {
		return pt, fmt.Errorf("%q is not staff of point %s: %w", identity, pt.Code, ErrForbidden)
	}
	return pt, nil
}

// ---- housekeeping ----

// SweepResult counts what Sweep did.
type SweepResult struct {
	Missed  int   // bookings released as missed
	Overdue int   // orders whose hold period ran out (HoldExpired emitted)
	Pruned  int64 // old wrong-code windows deleted
}

// Sweep releases missed bookings, alerts overdue holds and prunes old
// wrong-code windows; run it periodically (every few minutes) as the safety
// net behind per-booking jobs.
func (p *Pickup) Sweep(ctx context.Context) (SweepResult, error) {
	var r SweepResult
	var err error
	if r.Missed, err = p.ReleaseMissedDue(ctx); err != nil {
		return r, err
	}
	overdue, err := p.AlertOverdueHolds(ctx)
	if err != nil {
		return r, err
	}
	r.Overdue = len(overdue)
	keep := max(p.staffLimit.Per, p.addrLimit.Per, p.floodAlert.Per)
	r.Pruned, err = p.store.PruneAttempts(ctx, p.clock.Now().Add(-keep))
	return r, err
}
