package commerce

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	// StaffLimit: wrong codes allowed per staff member (5 per 10 min).
	StaffLimit Limit
	// PointLimit: wrong codes allowed per point, all staff together (20 per 10 min).
	PointLimit Limit
}

// Pickup is the offline half of the shop: pickup points, slots and
// bookings, arrival of shipments, pickup codes redeemed by staff, and
// after-sales at the counter. Every time it uses comes from its Clock.
//
// Slots it generates (NextSlots) are in the point's zone; times read back
// from the store (bookings, codes, returns) are UTC: format them with the
// point's Location.
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
	pointLimit   Limit

	mu   sync.Mutex
	locs map[string]*time.Location
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
		staffLimit: lim(o.StaffLimit, Limit{5, 10 * time.Minute}), pointLimit: lim(o.PointLimit, Limit{20, 10 * time.Minute}),
		locs: map[string]*time.Location{},
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

// ---- slots and bookings ----

// maxSlotsListed caps NextSlots.
const maxSlotsListed = 100

// NextSlots returns up to n (default 6, at most 100) free slots of a point,
// soonest first: from its opening hours, skipping holidays, closed days,
// slots starting within the lead time and full slots, up to the horizon.
// Times are in the point's zone.
func (p *Pickup) NextSlots(ctx context.Context, pointID int64, n int) ([]PickupSlot, error) {
	if n <= 0 {
		n = 6
	}
	n = min(n, maxSlotsListed)
	pt, err := p.store.PickupPoint(ctx, pointID)
	if err != nil {
		return nil, err
	}
	if !pt.Active {
		return nil, fmt.Errorf("pickup point %s inactive: %w", pt.Code, ErrInvalid)
	}
	loc, err := p.Location(pt)
	if err != nil {
		return nil, err
	}
	now := p.clock.Now()
	cands := GenerateSlots(pt, loc, now.Add(p.lead), now.Add(p.horizon))
	if len(cands) == 0 {
		return nil, nil
	}
	used, err := p.store.SlotUsage(ctx, pointID, cands[0].Start, cands[len(cands)-1].Start.Add(time.Millisecond))
	if err != nil {
		return nil, err
	}
	booked := make(map[int64]int, len(used))
	for _, u := range used {
		booked[u.Start.UnixMilli()] = u.Booked
	}
	out := make([]PickupSlot, 0, n)
	for _, s := range cands {
		s.Booked = booked[s.Start.UnixMilli()]
		if !s.Full() {
			out = append(out, s)
			if len(out) == n {
				break
			}
		}
	}
	return out, nil
}

// checkSlot returns the point's slot matching the requested one, or
// ErrInvalid if it is at another point, not within opening hours (closed
// day, holiday, off the slot grid), in the past, within the lead time or
// beyond the horizon.
func (p *Pickup) checkSlot(pt PickupPoint, want PickupSlot, now time.Time) (PickupSlot, error) {
	if want.PointID != pt.ID {
		return PickupSlot{}, fmt.Errorf("slot of point %d for an order at point %d: %w", want.PointID, pt.ID, ErrInvalid)
	}
	if !pt.Active {
		return PickupSlot{}, fmt.Errorf("pickup point %s inactive: %w", pt.Code, ErrInvalid)
	}
	loc, err := p.Location(pt)
	if err != nil {
		return PickupSlot{}, err
	}
	s, ok := FindSlot(pt, loc, want.Start)
	switch {
	case !ok:
		return s, fmt.Errorf("no slot at %s at point %s: %w", want.Start.In(loc).Format(time.RFC3339), pt.Code, ErrInvalid)
	case !s.Start.After(now):
		return s, fmt.Errorf("slot %s is past: %w", s.Start.Format(time.RFC3339), ErrInvalid)
	case s.Start.Before(now.Add(p.lead)):
		return s, fmt.Errorf("slot %s starts within %v: %w", s.Start.Format(time.RFC3339), p.lead, ErrInvalid)
	case !s.Start.Before(now.Add(p.horizon)):
		return s, fmt.Errorf("slot %s is beyond the booking horizon: %w", s.Start.Format(time.RFC3339), ErrInvalid)
	}
	return s, nil
}

// ownOrder returns the buyer's order; ErrNotFound for anyone else's.
func (p *Pickup) ownOrder(ctx context.Context, b Buyer, id int64) (Order, error) {
	o, err := p.store.Order(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if o.Buyer != b {
		return Order{}, fmt.Errorf("order %d of another buyer: %w", id, ErrNotFound)
	}
	return o, nil
}

// Book books the buyer's ready_for_pickup order into a slot of its own
// pickup point (slot.PointID and slot.Start identify it; the rest is
// ignored). If the order already has a booking it is moved: the old seat is
// freed and the new one taken atomically; booking the same slot again
// returns the booking unchanged. ErrNotFound for another buyer's order;
// ErrInvalid if the order is not ready for pickup or the slot is at another
// point, out of hours, past, within the lead time or beyond the horizon;
// ErrSlotFull if no seat is left; ErrConflict if the order changed
// meanwhile (collected, or a concurrent booking won).
func (p *Pickup) Book(ctx context.Context, b Buyer, orderID int64, slot PickupSlot) (Booking, error) {
	o, err := p.ownOrder(ctx, b, orderID)
	if err != nil {
		return Booking{}, err
	}
	if o.Status != StatusReadyForPickup {
		return Booking{}, fmt.Errorf("order %s is %s, not ready for pickup: %w", o.Number, o.Status, ErrInvalid)
	}
	pt, err := p.store.PickupPoint(ctx, o.PickupPointID)
	if err != nil {
		return Booking{}, err
	}
	now := p.clock.Now()
	s, err := p.checkSlot(pt, slot, now)
	if err != nil {
		return Booking{}, err
	}
	return p.store.BookSlot(ctx, o.ID, s, now)
}

// CancelBooking cancels the buyer's booking and frees its seat.
// ErrNotFound if the order is not the buyer's or has no active booking.
func (p *Pickup) CancelBooking(ctx context.Context, b Buyer, orderID int64) (Booking, error) {
	if _, err := p.ownOrder(ctx, b, orderID); err != nil {
		return Booking{}, err
	}
	return p.store.CancelBooking(ctx, orderID, p.clock.Now())
}

// ActiveBooking returns the buyer's booking for an order. ErrNotFound if the
// order is not the buyer's or has no active booking.
func (p *Pickup) ActiveBooking(ctx context.Context, b Buyer, orderID int64) (Booking, error) {
	if _, err := p.ownOrder(ctx, b, orderID); err != nil {
		return Booking{}, err
	}
	return p.store.ActiveBooking(ctx, orderID)
}

// Booking returns a booking in any status (for reminder jobs: remind only
// while it is Active and still starts when the job expected).
func (p *Pickup) Booking(ctx context.Context, id int64) (Booking, error) {
	return p.store.Booking(ctx, id)
}

// ReleaseMissed releases a booking nobody came for once its slot ended more
// than the grace period ago, emitting BookingMissed. It reports whether it
// released it; a booking not yet due, collected, cancelled or moved is left
// alone (false, nil). Run it from a job scheduled at End + Grace.
func (p *Pickup) ReleaseMissed(ctx context.Context, bookingID int64) (bool, error) {
	bk, err := p.store.Booking(ctx, bookingID)
	if err != nil {
		return false, err
	}
	now := p.clock.Now()
	if !bk.Active() || now.Before(bk.End.Add(p.grace)) {
		return false, nil
	}
	_, err = p.store.ReleaseMissedBooking(ctx, bookingID, now.Add(-p.grace), now)
	if errors.Is(err, ErrConflict) {
		return false, nil // collected or moved meanwhile
	}
	return err == nil, err
}

// ReleaseMissedDue releases every missed booking that is due; the safety
// net behind the per-booking job. It returns how many it released.
func (p *Pickup) ReleaseMissedDue(ctx context.Context) (int, error) {
	ids, err := p.store.MissedBookings(ctx, p.clock.Now().Add(-p.grace), 500)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		ok, err := p.ReleaseMissed(ctx, id)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// ---- shipping and arrival ----

// Shipment names orders travelling to one pickup point.
type Shipment struct {
	PointID int64
	// Numbers are order numbers (any case; spaces ignored).
	Numbers []string
	// Batch is a seller-chosen batch code (1–32 of A–Z 0–9 - _, any case).
	// Ship records the shipped orders under it; MarkArrived checks in every
	// order of the batch besides Numbers.
	Batch string
}

// SkipReason says why an order of a shipment was not moved.
type SkipReason string

const (
	SkipUnknown     SkipReason = "unknown_order" // no order with that number
	SkipOtherPoint  SkipReason = "other_point"   // the order is for another pickup point
	SkipWrongStatus SkipReason = "wrong_status"  // not confirmed (Ship) / not shipped (MarkArrived); see Status
)

// Skipped is an order a shipment left alone.
type Skipped struct {
	Number string
	Reason SkipReason
	Status OrderStatus // the order's status, unless unknown
}

// MoveReport is the outcome of Ship or MarkArrived, in input order.
type MoveReport struct {
	Moved   []Order
	Skipped []Skipped
}

// maxShipment caps the orders of one Ship or MarkArrived call.
const maxShipment = 1000

// NormalizeBatchCode upper-cases and checks a batch code. ErrInvalid if bad.
func NormalizeBatchCode(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" || len(s) > 32 || strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return "", fmt.Errorf("batch code %q: %w", s, ErrInvalid)
	}
	return s, nil
}

func normalizeNumbers(in []string) []string {
	var out []string
	for _, n := range in {
		n = strings.ToUpper(strings.Join(strings.Fields(n), ""))
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// Ship moves confirmed orders of a point to shipped (seller use), recording
// them under s.Batch when given. Orders that are unknown, for another point
// or not confirmed are skipped and reported. ErrNotFound for an unknown
// point; ErrWrongPoint if the batch exists for another point.
func (p *Pickup) Ship(ctx context.Context, s Shipment) (MoveReport, error) {
	if _, err := p.store.PickupPoint(ctx, s.PointID); err != nil {
		return MoveReport{}, err
	}
	batch := ""
	if s.Batch != "" {
		var err error
		if batch, err = NormalizeBatchCode(s.Batch); err != nil {
			return MoveReport{}, err
		}
	}
	if batch != "" {
		b, err := p.store.Batch(ctx, batch)
		if err == nil && b.PointID != s.PointID {
			return MoveReport{}, fmt.Errorf("batch %s is for point %d: %w", batch, b.PointID, ErrWrongPoint)
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return MoveReport{}, err
		}
	}
	numbers := normalizeNumbers(s.Numbers)
	if len(numbers) == 0 || len(numbers) > maxShipment {
		return MoveReport{}, fmt.Errorf("ship %d orders: %w", len(numbers), ErrInvalid)
	}
	return p.move(ctx, s.PointID, numbers, StatusConfirmed, func(o Order) (Order, error) {
		return p.store.ShipOrder(ctx, o.ID, s.PointID, batch, p.clock.Now())
	})
}

// MarkArrived checks in orders at their pickup point: each shipped order of
// the point (by number, or every order of s.Batch) moves to arrived and on
// to ready_for_pickup in one transaction, gets its pickup code, and emits
// OrderArrived. Unknown orders, orders for another point and orders not
// shipped (already arrived included) are skipped and reported, so a repeated
// check-in is harmless. ErrNotFound for an unknown point or batch;
// ErrWrongPoint if the batch is for another point.
func (p *Pickup) MarkArrived(ctx context.Context, s Shipment) (MoveReport, error) {
	if _, err := p.store.PickupPoint(ctx, s.PointID); err != nil {
		return MoveReport{}, err
	}
	numbers := normalizeNumbers(s.Numbers)
	if s.Batch != "" {
		code, err := NormalizeBatchCode(s.Batch)
		if err != nil {
			return MoveReport{}, err
		}
		b, err := p.store.Batch(ctx, code)
		if err != nil {
			return MoveReport{}, err
		}
		if b.PointID != s.PointID {
			return MoveReport{}, fmt.Errorf("batch %s is for point %d: %w", code, b.PointID, ErrWrongPoint)
		}
		for _, id := range b.OrderIDs {
			o, err := p.store.Order(ctx, id)
			if err != nil {
				return MoveReport{}, err
			}
			if !slices.Contains(numbers, o.Number) {
				numbers = append(numbers, o.Number)
			}
		}
	}
	if len(numbers) == 0 || len(numbers) > maxShipment {
		return MoveReport{}, fmt.Errorf("check in %d orders: %w", len(numbers), ErrInvalid)
	}
	return p.move(ctx, s.PointID, numbers, StatusShipped, func(o Order) (Order, error) {
		now := p.clock.Now()
		moved, _, err := p.store.ArriveOrder(ctx, ArrivalRecord{OrderID: o.ID, PointID: s.PointID, At: now,
			ExpiresAt: now.Add(p.codeTTL).Truncate(time.Second), NewCode: NewPickupCode})
		return moved, err
	})
}

// move applies step to every order of numbers that is at pointID in status
// from, reporting the rest.
func (p *Pickup) move(ctx context.Context, pointID int64, numbers []string, from OrderStatus, step func(Order) (Order, error)) (MoveReport, error) {
	var r MoveReport
	for _, n := range numbers {
		o, err := p.store.OrderByNumber(ctx, n)
		switch {
		case errors.Is(err, ErrNotFound):
			r.Skipped = append(r.Skipped, Skipped{Number: n, Reason: SkipUnknown})
			continue
		case err != nil:
			return r, err
		case o.PickupPointID != pointID:
			r.Skipped = append(r.Skipped, Skipped{Number: n, Reason: SkipOtherPoint, Status: o.Status})
			continue
		case o.Status != from:
			r.Skipped = append(r.Skipped, Skipped{Number: n, Reason: SkipWrongStatus, Status: o.Status})
			continue
		}
		moved, err := step(o)
		if errors.Is(err, ErrConflict) { // moved by someone else meanwhile
			cur, rerr := p.store.Order(ctx, o.ID)
			if rerr != nil {
				return r, rerr
			}
			r.Skipped = append(r.Skipped, Skipped{Number: n, Reason: SkipWrongStatus, Status: cur.Status})
			continue
		}
		if err != nil {
			return r, err
		}
		r.Moved = append(r.Moved, moved)
	}
	return r, nil
}

// ---- pickup codes and redemption ----

func (p *Pickup) pass(c PickupCode) PickupPass {
	return PickupPass{PickupCode: c, Token: SignPickupToken(p.secret, PickupClaims{
		OrderID: c.OrderID, PointID: c.PointID, Code: c.Code, Expires: c.ExpiresAt})}
}

// Pass returns the buyer's pickup code and QR token for an order.
// ErrNotFound if the order is not the buyer's or not yet ready for pickup;
// ErrAlreadyCollected once it was picked up.
func (p *Pickup) Pass(ctx context.Context, b Buyer, orderID int64) (PickupPass, error) {
	if _, err := p.ownOrder(ctx, b, orderID); err != nil {
		return PickupPass{}, err
	}
	c, err := p.store.CodeOf(ctx, orderID)
	if err != nil {
		return PickupPass{}, err
	}
	if c.Redeemed() {
		return PickupPass{}, fmt.Errorf("order %d: %w", orderID, ErrAlreadyCollected)
	}
	return p.pass(c), nil
}

// ReissueCode gives a ready_for_pickup order a new code and token (the old
// ones stop working), valid for the code TTL from now, and emits
// PickupCodeReissued (seller or staff use: a lost or leaked code, or an
// expired one). ErrInvalid if the order is not ready for pickup.
func (p *Pickup) ReissueCode(ctx context.Context, orderID int64) (PickupPass, error) {
	o, err := p.store.Order(ctx, orderID)
	if err != nil {
		return PickupPass{}, err
	}
	if o.Status != StatusReadyForPickup {
		return PickupPass{}, fmt.Errorf("order %s is %s: %w", o.Number, o.Status, ErrInvalid)
	}
	now := p.clock.Now()
	c, err := p.store.ReissueCode(ctx, orderID, NewPickupCode, now.Add(p.codeTTL).Truncate(time.Second), now)
	if err != nil {
		return PickupPass{}, err
	}
	return p.pass(c), nil
}

// Collection is what staff see before and after handing an order over.
type Collection struct {
	Order     Order // with its lines
	FirstName string
	Code      PickupCode
	Booking   *Booking // the active booking; nil for a walk-in
}

func staffScope(identity string) string { return "staff:" + identity }
func pointScope(id int64) string        { return "point:" + strconv.FormatInt(id, 10) }

// checkLimits fails with ErrRateLimited while the staff member or the
// point has used up its wrong-code allowance.
func (p *Pickup) checkLimits(ctx context.Context, staff string, pointID int64, now time.Time) error {
	for _, c := range []struct {
		scope string
		lim   Limit
	}{{staffScope(staff), p.staffLimit}, {pointScope(pointID), p.pointLimit}} {
		n, err := p.store.CountFailures(ctx, c.scope, now.Add(-c.lim.Per))
		if err != nil {
			return err
		}
		if n >= c.lim.N {
			return fmt.Errorf("%d wrong codes in %v for %s: %w", n, c.lim.Per, c.scope, ErrRateLimited)
		}
	}
	return nil
}

// wrong records a wrong-code attempt and returns cause.
func (p *Pickup) wrong(ctx context.Context, staff string, pointID int64, now time.Time, cause error) error {
	if err := p.store.RecordFailure(ctx, now, staffScope(staff), pointScope(pointID)); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// verify finds the code staff entered at their point, enforcing staff
// membership and the wrong-code limits.
func (p *Pickup) verify(ctx context.Context, staff string, pointID int64, input string) (PickupCode, error) {
	if _, err := p.staffPoint(ctx, staff, pointID); err != nil {
		return PickupCode{}, err
	}
	now := p.clock.Now()
	if err := p.checkLimits(ctx, staff, pointID, now); err != nil {
		return PickupCode{}, err
	}
	in, err := ParseRedeemInput(input)
	if err != nil {
		return PickupCode{}, p.wrong(ctx, staff, pointID, now, err)
	}
	var c PickupCode
	if in.Token != "" {
		claims, err := VerifyPickupToken(p.secret, in.Token, now)
		switch {
		case errors.Is(err, ErrCodeExpired):
			return PickupCode{}, err // genuine: not a guess
		case err != nil:
			return PickupCode{}, p.wrong(ctx, staff, pointID, now, err)
		case claims.PointID != pointID:
			return PickupCode{}, fmt.Errorf("token for point %d at point %d: %w", claims.PointID, pointID, ErrWrongPoint)
		}
		c, err = p.store.CodeOf(ctx, claims.OrderID)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return PickupCode{}, p.wrong(ctx, staff, pointID, now, fmt.Errorf("token of order %d: %w", claims.OrderID, ErrWrongCode))
			}
			return PickupCode{}, err
		}
		if c.Code != claims.Code || c.PointID != pointID || !c.ExpiresAt.Equal(claims.Expires) {
			return PickupCode{}, fmt.Errorf("token of order %d was superseded by a reissued code: %w", claims.OrderID, ErrWrongCode)
		}
	} else {
		c, err = p.store.CodeAt(ctx, pointID, in.Code)
		if errors.Is(err, ErrNotFound) {
			return PickupCode{}, p.wrong(ctx, staff, pointID, now, fmt.Errorf("code at point %d: %w", pointID, ErrWrongCode))
		}
		if err != nil {
			return PickupCode{}, err
		}
	}
	if c.Redeemed() {
		return c, fmt.Errorf("order %d collected %s: %w", c.OrderID, c.RedeemedAt.Format(time.RFC3339), ErrAlreadyCollected)
	}
	if !now.Before(c.ExpiresAt) {
		return c, fmt.Errorf("code of order %d expired %s: %w", c.OrderID, c.ExpiresAt.Format(time.RFC3339), ErrCodeExpired)
	}
	return c, nil
}

func collection(o Order, c PickupCode, bk *Booking) Collection {
	return Collection{Order: o, FirstName: FirstName(o.ContactName), Code: c, Booking: bk}
}

// Inspect shows staff the order a code (or scanned token) collects, without
// handing it over: the first step of redemption. Errors as Redeem.
func (p *Pickup) Inspect(ctx context.Context, staff string, pointID int64, input string) (Collection, error) {
	c, err := p.verify(ctx, staff, pointID, input)
	if err != nil {
		return Collection{}, err
	}
	o, err := p.store.Order(ctx, c.OrderID)
	if err != nil {
		return Collection{}, err
	}
	if o.Status != StatusReadyForPickup {
		return Collection{}, fmt.Errorf("order %s is %s: %w", o.Number, o.Status, ErrAlreadyCollected)
	}
	var bk *Booking
	if b, err := p.store.ActiveBooking(ctx, o.ID); err == nil {
		bk = &b
	} else if !errors.Is(err, ErrNotFound) {
		return Collection{}, err
	}
	return collection(o, c, bk), nil
}

// Redeem hands an order over: staff of the point enter the buyer's 6-digit
// code or scan the QR token; the order becomes picked_up exactly once.
// Errors: ErrForbidden (not staff of the point), ErrRateLimited (too many
// wrong codes lately, checked before the code), ErrWrongCode (wrong,
// unknown or tampered code — counted against the limits), ErrWrongPoint (a
// genuine token of another point), ErrCodeExpired, ErrAlreadyCollected (of
// two staff redeeming at once, one succeeds and the other gets this).
func (p *Pickup) Redeem(ctx context.Context, staff string, pointID int64, input string) (Collection, error) {
	c, err := p.verify(ctx, staff, pointID, input)
	if err != nil {
		return Collection{}, err
	}
	now := p.clock.Now()
	o, bk, err := p.store.RedeemPickup(ctx, c.OrderID, pointID, c.Code, staff, now)
	if err != nil {
		return Collection{}, err
	}
	c.RedeemedAt, c.RedeemedBy = now, staff
	return collection(o, c, bk), nil
}

// AlertOverdueHolds emits HoldExpired, once per order, for every order
// still waiting at its point a hold period after it arrived, and returns
// them. Run it periodically.
func (p *Pickup) AlertOverdueHolds(ctx context.Context) ([]Order, error) {
	now := p.clock.Now()
	return p.store.OverdueHolds(ctx, now.Add(-p.hold), now, 200)
}

// ---- after-sales ----

// ReturnRequest is what the buyer chose when starting a return.
type ReturnRequest struct {
	OrderID int64
	Kind    ReturnKind
	Reason  string // one of ReturnReasons
	Note    string
}

// ReturnDeadline is the end of the buyer's return period for a picked-up
// order. ErrNotFound if the order is not the buyer's; ErrInvalid if it was
// not picked up (or was already returned).
func (p *Pickup) ReturnDeadline(ctx context.Context, b Buyer, orderID int64) (time.Time, error) {
	o, err := p.ownOrder(ctx, b, orderID)
	if err != nil {
		return time.Time{}, err
	}
	if o.Status != StatusPickedUp {
		return time.Time{}, fmt.Errorf("order %s is %s: %w", o.Number, o.Status, ErrInvalid)
	}
	at, err := p.store.PickedUpAt(ctx, orderID)
	if err != nil {
		return time.Time{}, err
	}
	return at.Add(p.returnPeriod), nil
}

// StartReturn opens a return, exchange or repair request for the buyer's
// picked-up order within the return period, to be handled at the order's
// pickup point, and emits ReturnChanged. If the order already has an open
// request that one is returned unchanged. ErrReturnWindowClosed after the
// period; ErrInvalid for an unknown kind or reason, or an order not picked up.
func (p *Pickup) StartReturn(ctx context.Context, b Buyer, req ReturnRequest) (Return, error) {
	deadline, err := p.ReturnDeadline(ctx, b, req.OrderID)
	if err != nil {
		return Return{}, err
	}
	now := p.clock.Now()
	if !now.Before(deadline) {
		return Return{}, fmt.Errorf("order %d: return period ended %s: %w", req.OrderID, deadline.Format(time.RFC3339), ErrReturnWindowClosed)
	}
	o, err := p.store.Order(ctx, req.OrderID)
	if err != nil {
		return Return{}, err
	}
	r := Return{OrderID: o.ID, PointID: o.PickupPointID, Kind: req.Kind, Reason: req.Reason,
		Note: strings.TrimSpace(req.Note), Status: ReturnRequested, CreatedAt: now, UpdatedAt: now}
	if err := r.Validate(); err != nil {
		return Return{}, err
	}
	saved, _, err := p.store.CreateReturn(ctx, r)
	return saved, err
}

// Returns lists the buyer's returns of an order, newest first.
func (p *Pickup) Returns(ctx context.Context, b Buyer, orderID int64) ([]Return, error) {
	if _, err := p.ownOrder(ctx, b, orderID); err != nil {
		return nil, err
	}
	return p.store.OrderReturns(ctx, orderID)
}

// ownReturn returns the buyer's return; ErrNotFound for anyone else's.
func (p *Pickup) ownReturn(ctx context.Context, b Buyer, id int64) (Return, error) {
	r, err := p.store.Return(ctx, id)
	if err != nil {
		return Return{}, err
	}
	if _, err := p.ownOrder(ctx, b, r.OrderID); err != nil {
		return Return{}, fmt.Errorf("return %d: %w", id, err)
	}
	return r, nil
}

// BookDropoff books (or moves) the drop-off of the buyer's open return into
// a slot at the return's point — the same slots and seats as pickups, with
// the same rules (ErrInvalid, ErrSlotFull) — and emits ReturnChanged.
// Slots come from NextSlots(r.PointID).
func (p *Pickup) BookDropoff(ctx context.Context, b Buyer, returnID int64, slot PickupSlot) (Return, error) {
	r, err := p.ownReturn(ctx, b, returnID)
	if err != nil {
		return Return{}, err
	}
	if !r.Status.Open() {
		return Return{}, fmt.Errorf("return %d is %s: %w", r.ID, r.Status, ErrInvalid)
	}
	pt, err := p.store.PickupPoint(ctx, r.PointID)
	if err != nil {
		return Return{}, err
	}
	now := p.clock.Now()
	s, err := p.checkSlot(pt, slot, now)
	if err != nil {
		return Return{}, err
	}
	return p.store.BookDropoff(ctx, r.ID, s, now)
}

// CancelReturn withdraws the buyer's open return, freeing its drop-off
// seat. Cancelling a cancelled return is harmless; a decided one gives
// ErrInvalidTransition.
func (p *Pickup) CancelReturn(ctx context.Context, b Buyer, returnID int64) (Return, error) {
	r, err := p.ownReturn(ctx, b, returnID)
	if err != nil {
		return Return{}, err
	}
	if r.Status == ReturnCancelled {
		return r, nil
	}
	return p.store.SetReturnStatus(ctx, returnID, ReturnCancelled, "", "", p.clock.Now())
}

// OpenReturns lists the open returns expected at a point, for its staff.
func (p *Pickup) OpenReturns(ctx context.Context, staff string, pointID int64) ([]Return, error) {
	if _, err := p.staffPoint(ctx, staff, pointID); err != nil {
		return nil, err
	}
	return p.store.OpenReturnsAt(ctx, pointID)
}

// AcceptReturn records that staff of the return's point took the goods back
// (a "return" also moves the order to returned). ErrForbidden for anyone
// but the point's staff; ErrWrongPoint for a return at another point;
// ErrInvalidTransition if it was already decided or cancelled.
func (p *Pickup) AcceptReturn(ctx context.Context, staff string, pointID, returnID int64, note string) (Return, error) {
	return p.decide(ctx, staff, pointID, returnID, ReturnAccepted, note)
}

// RejectReturn records that staff refused the return at the counter;
// errors as AcceptReturn.
func (p *Pickup) RejectReturn(ctx context.Context, staff string, pointID, returnID int64, note string) (Return, error) {
	return p.decide(ctx, staff, pointID, returnID, ReturnRejected, note)
}

func (p *Pickup) decide(ctx context.Context, staff string, pointID, returnID int64, to ReturnStatus, note string) (Return, error) {
	if _, err := p.staffPoint(ctx, staff, pointID); err != nil {
		return Return{}, err
	}
	r, err := p.store.Return(ctx, returnID)
	if err != nil {
		return Return{}, err
	}
	if r.PointID != pointID {
		return Return{}, fmt.Errorf("return %d is handled at point %d: %w", r.ID, r.PointID, ErrWrongPoint)
	}
	note = strings.TrimSpace(note)
	if len([]rune(note)) > 500 {
		return Return{}, fmt.Errorf("decision note: %w", ErrInvalid)
	}
	return p.store.SetReturnStatus(ctx, returnID, to, staff, note, p.clock.Now())
}

// ---- housekeeping ----

// SweepResult counts what Sweep did.
type SweepResult struct {
	Missed  int   // bookings released as missed
	Overdue int   // orders whose hold period ran out (HoldExpired emitted)
	Pruned  int64 // old wrong-code records deleted
}

// Sweep releases missed bookings, alerts overdue holds and prunes old
// wrong-code records; run it periodically (every few minutes) as the safety
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
	keep := max(p.staffLimit.Per, p.pointLimit.Per)
	r.Pruned, err = p.store.PruneFailures(ctx, p.clock.Now().Add(-keep))
	return r, err
}
