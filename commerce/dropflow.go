package commerce

import (
	"context"
	"errors"
	"fmt"
	"time"
)

const (
	// DropOrdered: the reservation became an order; it never expires.
	DropOrdered DropReservationStatus = "ordered"
	// DropReleased: the buyer gave the units back before the expiry.
	DropReleased DropReservationStatus = "released"
)

// DropFollower is someone to tell about a drop: a buyer and where to reach them.
type DropFollower struct {
	Buyer  Buyer
	ChatID string
	Lang   string
}

// DropWaiterStatus is the state of a waitlist entry.
type DropWaiterStatus string

const (
	DropWaiting DropWaiterStatus = "waiting" // in the queue
	DropOffered DropWaiterStatus = "offered" // a unit was reserved for them
	DropSkipped DropWaiterStatus = "skipped" // could not be offered (already holds the limit)
)

// DropWaiter is one place on a drop's waitlist.
type DropWaiter struct {
	ID     int64
	DropID int64
	DropFollower
	Status        DropWaiterStatus
	ReservationID int64 // the reservation made for them once offered
	CreatedAt     time.Time
}

// DropStats are a drop's live figures for the seller.
type DropStats struct {
	Drop        Drop
	Sold        int   // units in orders that are not cancelled
	Orders      int   // such orders
	Reserved    int   // units held by live reservations
	Waitlisted  int   // buyers waiting
	Subscribers int   // buyers who asked to be told at the start
	Revenue     Money // total of the sold units at the drop price
}

// DropOrder is what a buyer entered to turn a reservation into an order.
type DropOrder struct {
	ReservationID int64
	Buyer         Buyer
	ChatID        string
	Lang          string
	PickupPointID int64
	ContactName   string
	Phone         string
	Key           string // same key → same order
}

// DropFlowStore is the part of DropStore behind the chat flows: orders from
// reservations, subscriptions, the waitlist and the seller's figures.
type DropFlowStore interface {
	// Drops lists drops, newest start first.
	Drops(ctx context.Context, limit int) ([]Drop, error)
	// DropReservation returns one reservation. ErrNotFound if absent.
	DropReservation(ctx context.Context, id int64) (DropReservation, error)
	// ActiveDropReservation returns the newest reservation of the drop by
	// the buyer's person that is reserved and not expired at now.
	// ErrNotFound if none.
	ActiveDropReservation(ctx context.Context, dropID int64, buyer Buyer, now time.Time) (DropReservation, error)
	// OrderDropReservation turns a reservation into an order, in one
	// transaction (holding, with limits, the locks of o.Buyer's person and
	// of o.Phone):
	// the reservation moves reserved → ordered only if it belongs to
	// o.Buyer's person and has not expired at now; the order must fit lim
	// like OrderStore.PlaceOrder's (a *LimitError); the phone's units in
	// the drop rise only if they stay within the drop's per-buyer limit;
	// the order is inserted with one line of the drop's product at the drop
	// price (o's lines and total are set here; its status and expiry are
	// o's: confirmed, or pending until the reservation's end when it is to
	// be paid online) and OrderPlaced is emitted.
	// Drop units are separate from the product's stock: nothing is taken
	// from it. Idempotent: the key or the reservation having made an order
	// before returns that order with created=false. Errors (nothing
	// changes): ErrNotFound (no such reservation of this person),
	// ErrExpired, a *LimitError, ErrDropLimit (the phone's limit),
	// ErrInvalid (pickup point missing or closed), ErrConflict (the order
	// number collided: retry with another).
	OrderDropReservation(ctx context.Context, o Order, reservationID int64, now time.Time, lim PersonLimits) (placed Order, created bool, err error)
	// ReleaseDropReservation gives a reserved reservation of b's person
	// back before its expiry, like ExpireReservation (DropUnitsFreed, once:
	// released is false when it is no longer reserved). ErrNotFound if
	// absent or another person's.
	ReleaseDropReservation(ctx context.Context, id int64, b Buyer, now time.Time) (r DropReservation, released bool, err error)
	// SubscribeDrop adds f to the drop's start notice; created=false when
	// f.Buyer's person is subscribed already (from any of its identities).
	// Under the person's lock, the person's waitlist places and pending
	// subscriptions stay within lim.Waitlists (a *LimitError:
	// ErrWaitlistLimit). ErrNotFound if the drop is absent.
	SubscribeDrop(ctx context.Context, dropID int64, f DropFollower, now time.Time, lim PersonLimits) (created bool, err error)
	// UnsubscribeDrop removes the subscriptions of b's person; removed=false
	// when there was none.
	UnsubscribeDrop(ctx context.Context, dropID int64, b Buyer) (removed bool, err error)
	// DropSubscribed reports whether b's person is subscribed.
	DropSubscribed(ctx context.Context, dropID int64, b Buyer) (bool, error)
	// StartDrop marks every subscriber not yet notified as notified and
	// emits DropStarted with them, in one transaction: a second call
	// returns no one.
	StartDrop(ctx context.Context, dropID int64, now time.Time) ([]DropFollower, error)
	// JoinWaitlist appends f to the drop's waitlist, in one transaction
	// holding the lock of f.Buyer's person; created=false (and the existing
	// entry) when the person is on it already, from any of its identities.
	// An entry of f.Buyer whose offer lapsed unused (its reservation
	// expired or was released, or is past its expiry) is no place any
	// more: f.Buyer joins again at the back, under a new id, once however
	// many calls race. A new place must keep the person's places and
	// pending subscriptions within lim.Waitlists (a *LimitError:
	// ErrWaitlistLimit). ErrNotFound if the drop is absent.
	JoinWaitlist(ctx context.Context, dropID int64, f DropFollower, now time.Time, lim PersonLimits) (w DropWaiter, created bool, err error)
	// WaitlistEntry returns the newest entry of b's person. ErrNotFound if none.
	WaitlistEntry(ctx context.Context, dropID int64, b Buyer) (DropWaiter, error)
	// DropPersonTaken is the units b's person holds in the drop: live
	// reservations and orders of every identity linked with b.
	DropPersonTaken(ctx context.Context, dropID int64, b Buyer) (int, error)
	// NextWaiter returns the earliest waiting entry. ErrNotFound if none.
	NextWaiter(ctx context.Context, dropID int64) (DropWaiter, error)
	// SetWaiterOffered moves a waiting entry to offered with r and emits
	// DropOfferMade, once: ok=false (nothing emitted) when it is no longer waiting.
	SetWaiterOffered(ctx context.Context, waiterID int64, r DropReservation) (ok bool, err error)
	// SkipWaiter moves a waiting entry to skipped.
	SkipWaiter(ctx context.Context, waiterID int64) error
	// DropStats returns the drop's figures at now. ErrNotFound if absent.
	DropStats(ctx context.Context, dropID int64, now time.Time) (DropStats, error)
}

// Drop events.
type (
	// DropCreated: a drop was scheduled (its start job is due at StartsAt).
	DropCreated struct{ Drop Drop }
	// DropStarted: these subscribers are to be told the drop started.
	DropStarted struct {
		Drop        Drop
		Subscribers []DropFollower
	}
	// DropUnitsFreed: units went back to the drop (an expired reservation,
	// a cancelled drop order); the waitlist is next. Gate is set when the
	// gate has not been given the units back yet (a cancelled order).
	DropUnitsFreed struct {
		DropID int64
		Buyer  Buyer
		Qty    int
		Gate   bool
	}
	// DropOfferMade: a unit was reserved for a waitlisted buyer.
	DropOfferMade struct {
		Waiter      DropWaiter
		Reservation DropReservation
	}
)

// EventName implements Event.
func (DropCreated) EventName() string { return "drop_created" }

// EventName implements Event.
func (DropStarted) EventName() string { return "drop_started" }

// EventName implements Event.
func (DropUnitsFreed) EventName() string { return "drop_units_freed" }

// EventName implements Event.
func (DropOfferMade) EventName() string { return "drop_offer_made" }

// Get returns one drop (with its current Left).
func (s *DropService) Get(ctx context.Context, id int64) (Drop, error) { return s.store.Drop(ctx, id) }

// ByCode returns one drop by code; a malformed code is ErrNotFound.
func (s *DropService) ByCode(ctx context.Context, code string) (Drop, error) {
	if !ValidDropCode(code) {
		return Drop{}, fmt.Errorf("drop code %q: %w", code, ErrNotFound)
	}
	return s.store.DropByCode(ctx, code)
}

// List returns the newest drops.
func (s *DropService) List(ctx context.Context, limit int) ([]Drop, error) {
	return s.store.Drops(ctx, limit)
}

// Stats returns a drop's live figures.
func (s *DropService) Stats(ctx context.Context, id int64) (DropStats, error) {
	return s.store.DropStats(ctx, id, s.clock.Now())
}

// Taken is the units b's person holds in the drop: live reservations and orders.
func (s *DropService) Taken(ctx context.Context, dropID int64, b Buyer) (int, error) {
	return s.store.DropPersonTaken(ctx, dropID, b)
}

// OwnReservation returns a reservation of b's person; ErrNotFound for
// anyone else's.
func (s *DropService) OwnReservation(ctx context.Context, b Buyer, id int64) (DropReservation, error) {
	r, err := s.store.DropReservation(ctx, id)
	if err != nil {
		return r, err
	}
	if same, err := samePerson(ctx, s.store, r.Buyer, b); err != nil {
		return DropReservation{}, err
	} else if !same {
		return DropReservation{}, fmt.Errorf("drop reservation %d of another buyer: %w", id, ErrNotFound)
	}
	return r, nil
}

// Reservation returns one reservation.
func (s *DropService) Reservation(ctx context.Context, id int64) (DropReservation, error) {
	return s.store.DropReservation(ctx, id)
}

// Active returns the live reservation of a drop by b's person. ErrNotFound if none.
func (s *DropService) Active(ctx context.Context, dropID int64, b Buyer) (DropReservation, error) {
	return s.store.ActiveDropReservation(ctx, dropID, b, s.clock.Now())
}

// UsePayments makes drop orders wait for payment where online payment is
// configured (p.Online()): the order is placed pending and expires with
// its reservation, so units not paid for in the reservation time go back
// to the drop and its waitlist. Call it before serving.
func (s *DropService) UsePayments(p *Payments) { s.pay = p }

// PayOnline reports whether drop orders are placed to be paid online.
func (s *DropService) PayOnline() bool { return s.pay.Online() }

// Order turns the reservation of the buyer's person into an order at the
// drop price, exactly once (see DropFlowStore.OrderDropReservation),
// within the person's limits. Without online payment the order is placed
// confirmed (paid at pickup): the reservation was its hold and the buyer's
// details are the confirmation, so no second countdown starts. With online
// payment (UsePayments) it is placed pending and expires when the
// reservation would have: the buyer pays it (or chooses a method) within
// the reservation time, else it is cancelled like any unpaid order and its
// units go back to the drop. ErrInvalid for a bad name, phone or key.
func (s *DropService) Order(ctx context.Context, in DropOrder) (Order, bool, error) {
	if in.Key == "" {
		return Order{}, false, fmt.Errorf("drop order: missing key: %w", ErrInvalid)
	}
	name, err := NormalizeName(in.ContactName)
	if err != nil {
		return Order{}, false, err
	}
	phone, err := s.phone(in.Phone)
	if err != nil {
		return Order{}, false, err
	}
	now := s.clock.Now()
	o := Order{Buyer: in.Buyer, ChatID: in.ChatID, Lang: in.Lang, Status: StatusConfirmed,
		PickupPointID: in.PickupPointID, ContactName: name, Phone: phone, IdempotencyKey: in.Key,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now}
	if s.pay.Online() {
		r, err := s.store.DropReservation(ctx, in.ReservationID)
		if err != nil {
			return Order{}, false, err
		}
		o.Status, o.ExpiresAt = StatusPending, r.ExpiresAt
	}
	for attempt := 0; ; attempt++ {
		o.Number = NewOrderNumber()
		placed, created, err := s.store.OrderDropReservation(ctx, o, in.ReservationID, now, s.limits)
		if errors.Is(err, ErrConflict) && attempt < 5 {
			continue
		}
		return placed, created, err
	}
}

// Release gives the buyer's reservation back at once (a buyer who will
// not order, or who is over the phone limit); the units go to the drop, the
// gate and then the waitlist. Releasing twice is harmless.
func (s *DropService) Release(ctx context.Context, id int64, b Buyer) (bool, error) {
	r, released, err := s.store.ReleaseDropReservation(ctx, id, b, s.clock.Now())
	if err != nil || !released {
		return false, err
	}
	if s.gate != nil {
		if d, err := s.drop(ctx, r.DropID); err == nil {
			s.giveBack(ctx, d.Code, r.Buyer, r.Qty)
		}
	}
	return true, nil
}

// Subscribe asks for a notice when the drop starts. ErrDropStarted-like
// answers are the caller's: a started drop needs no subscription, so
// subscribing to one is refused with ErrInvalid.
func (s *DropService) Subscribe(ctx context.Context, dropID int64, f DropFollower) (bool, error) {
	d, err := s.store.Drop(ctx, dropID)
	if err != nil {
		return false, err
	}
	if !s.clock.Now().Before(d.StartsAt) || !d.CancelledAt.IsZero() {
		return false, fmt.Errorf("drop %s already started or cancelled: %w", d.Code, ErrInvalid)
	}
	return s.store.SubscribeDrop(ctx, dropID, f, s.clock.Now(), s.limits)
}

// Unsubscribe cancels a subscription (harmless when there is none).
func (s *DropService) Unsubscribe(ctx context.Context, dropID int64, b Buyer) (bool, error) {
	return s.store.UnsubscribeDrop(ctx, dropID, b)
}

// Subscribed reports whether b asked to be told at the start.
func (s *DropService) Subscribed(ctx context.Context, dropID int64, b Buyer) (bool, error) {
	return s.store.DropSubscribed(ctx, dropID, b)
}

// JoinWaitlist queues f for units that come back. ErrInvalid when the drop
// has not started or still has units (buy them instead).
func (s *DropService) JoinWaitlist(ctx context.Context, dropID int64, f DropFollower) (DropWaiter, bool, error) {
	d, err := s.store.Drop(ctx, dropID)
	if err != nil {
		return DropWaiter{}, false, err
	}
	if s.clock.Now().Before(d.StartsAt) || d.Left > 0 || !d.CancelledAt.IsZero() {
		return DropWaiter{}, false, fmt.Errorf("drop %s is not sold out: %w", d.Code, ErrInvalid)
	}
	return s.store.JoinWaitlist(ctx, dropID, f, s.clock.Now(), s.limits)
}

// WaitlistEntry returns b's place on the waitlist. ErrNotFound if none.
func (s *DropService) WaitlistEntry(ctx context.Context, dropID int64, b Buyer) (DropWaiter, error) {
	return s.store.WaitlistEntry(ctx, dropID, b)
}

// Start tells the subscribers the drop started (once; see
// DropFlowStore.StartDrop). ErrDropNotStarted before StartsAt, so a job
// that runs early (clock skew) waits.
func (s *DropService) Start(ctx context.Context, dropID int64) (int, error) {
	d, err := s.store.Drop(ctx, dropID)
	if err != nil {
		return 0, err
	}
	if !d.CancelledAt.IsZero() {
		return 0, fmt.Errorf("drop %s: %w", d.Code, ErrDropCancelled)
	}
	if s.clock.Now().Before(d.StartsAt) {
		return 0, fmt.Errorf("drop %s starts %s: %w", d.Code, d.StartsAt.Format(time.RFC3339), ErrDropNotStarted)
	}
	subs, err := s.store.StartDrop(ctx, dropID, s.clock.Now())
	return len(subs), err
}

// waitlistKey is the reservation key of an offer: a retried offer replays it.
func waitlistKey(w DropWaiter) string { return fmt.Sprintf("wl:%d", w.ID) }

// OfferWaitlist reserves freed units, one each, for the earliest waiting
// buyers, and reports how many it offered. Each offer is idempotent on a
// key derived from the waitlist entry, so a retried or concurrent call
// reserves nothing twice. It reserves in the store directly: the gate may
// not have its units back yet, and the store decides anyway.
func (s *DropService) OfferWaitlist(ctx context.Context, dropID int64) (int, error) {
	offered := 0
	for range 1000 {
		d, err := s.store.Drop(ctx, dropID)
		if err != nil {
			return offered, err
		}
		if d.Left <= 0 || !d.CancelledAt.IsZero() {
			return offered, nil
		}
		w, err := s.store.NextWaiter(ctx, dropID)
		if errors.Is(err, ErrNotFound) {
			return offered, nil
		}
		if err != nil {
			return offered, err
		}
		r, err := s.store.Reserve(ctx, dropID, w.Buyer, 1, waitlistKey(w), s.clock.Now(), s.limits)
		var limit *LimitError
		switch {
		case errors.Is(err, ErrDropLimit), errors.Is(err, ErrConflict), errors.As(err, &limit):
			// They hold the limit already (they bought meanwhile), or
			// their person holds all the reservations allowed or may
			// not order now: next one.
			if err := s.store.SkipWaiter(ctx, w.ID); err != nil {
				return offered, err
			}
			continue
		case errors.Is(err, ErrSoldOut), errors.Is(err, ErrDropCancelled):
			return offered, nil // someone else was quicker, or the sale is off
		case err != nil:
			return offered, err
		}
		if s.gate != nil && !r.Replayed {
			// Account the unit in the gate, so its expiry returns what it took.
			if _, gerr := s.gate.Try(ctx, d.Code, w.Buyer.Key(), 1, d.PerBuyerLimit); gerr != nil {
				s.log.Debug("drop gate did not take an offered unit", "drop", d.Code, "err", gerr)
			}
		}
		ok, err := s.store.SetWaiterOffered(ctx, w.ID, r)
		if err != nil {
			return offered, err
		}
		if ok {
			offered++
		}
	}
	return offered, nil
}

// UnitsFreed handles DropUnitsFreed after its transaction: the gate gets
// back the units it does not know about yet, then the waitlist is offered.
func (s *DropService) UnitsFreed(ctx context.Context, e DropUnitsFreed) (int, error) {
	if e.Gate && s.gate != nil && e.Qty > 0 {
		if d, err := s.drop(ctx, e.DropID); err == nil {
			s.giveBack(ctx, d.Code, e.Buyer, e.Qty)
		}
	}
	return s.OfferWaitlist(ctx, e.DropID)
}
