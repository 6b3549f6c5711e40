package commerce

import (
	"errors"
	"fmt"
	"time"
)

// Per-person limits: each refuses a request with a *LimitError matching
// one of these with errors.Is, and nothing changes. They count the person
// (every identity linked with the buyer) and, where the request carries
// one, the E.164 phone number, whoever's identity used it.
var (
	// ErrOpenOrders: the person has as many open pay-at-pickup orders (not
	// yet collected or cancelled) as allowed.
	ErrOpenOrders = errors.New("too many open orders")
	// ErrOpenUnits: the order would take the units in the person's open
	// orders over the limit.
	ErrOpenUnits = errors.New("too many units in open orders")
	// ErrReservationLimit: the person holds as many live drop reservations as allowed.
	ErrReservationLimit = errors.New("too many live drop reservations")
	// ErrWaitlistLimit: the person is on as many waitlists and start
	// notices as allowed.
	ErrWaitlistLimit = errors.New("too many waitlists and notices")
	// ErrPayAtPickupSuspended: an order of the person lapsed uncollected
	// lately; pay at pickup (today the only way to order) is off until
	// LimitError.Until.
	ErrPayAtPickupSuspended = errors.New("pay at pickup suspended")
)

// LimitError is a per-person limit that refused a request.
type LimitError struct {
	Err   error     // one of the sentinels above
	Limit int       // the limit that was reached (0 for a suspension)
	Until time.Time // when a suspension ends (zero otherwise)
}

func (e *LimitError) Error() string {
	if !e.Until.IsZero() {
		return fmt.Sprintf("%v until %s", e.Err, e.Until.Format(time.RFC3339))
	}
	return fmt.Sprintf("%v (limit %d)", e.Err, e.Limit)
}

// Unwrap makes errors.Is(err, ErrOpenOrders) and the like true.
func (e *LimitError) Unwrap() error { return e.Err }

// PersonLimits are the per-person limits a store enforces inside the
// transaction that would pass them. A zero field is no limit.
type PersonLimits struct {
	OpenOrders   int // open pay-at-pickup orders (pending, confirmed, on the way, ready)
	OpenUnits    int // units in them, this order's included
	Reservations int // live drop reservations (reserved, not expired), across drops
	Waitlists    int // waiting waitlist places and pending "notify me" subscriptions, across drops
	// LapseBan is how long pay at pickup stays off after an order of the
	// person (or of the phone) was not collected by the end of its hold.
	LapseBan time.Duration
}

// DefaultPersonLimits are the limits when the operator sets none
// (SHOPBOT_LIMIT_OPEN_ORDERS, _OPEN_UNITS, _RESERVATIONS, _WAITLISTS).
func DefaultPersonLimits() PersonLimits {
	return PersonLimits{OpenOrders: 3, OpenUnits: 20, Reservations: 3, Waitlists: 20, LapseBan: 30 * 24 * time.Hour}
}

// NoPersonLimits, given as a service's limits, turns every per-person
// limit off (benchmarks, and tests that are about something else).
func NoPersonLimits() PersonLimits {
	return PersonLimits{OpenOrders: -1, OpenUnits: -1, Reservations: -1, Waitlists: -1, LapseBan: -1}
}

// OpenStatuses are the statuses of an order counted as open against the
// person's limits: from checkout until it is collected or cancelled.
var OpenStatuses = []OrderStatus{StatusPending, StatusAwaitingPayment, StatusConfirmed, StatusShipped, StatusArrived, StatusReadyForPickup}

// OpenUsage is what a person has open now, as the limits count it.
type OpenUsage struct {
	Orders, Units int       // open pay-at-pickup orders and their units
	Reservations  int       // live drop reservations
	Waitlists     int       // waitlist places and pending start notices
	SuspendedTill time.Time // pay at pickup is off until then (zero: not suspended)
}

// CheckOrder refuses an order of units more: the suspension first, then
// the open orders, then the units. nil when the order fits.
func (l PersonLimits) CheckOrder(u OpenUsage, units int, now time.Time) error {
	switch {
	case u.SuspendedTill.After(now):
		return &LimitError{Err: ErrPayAtPickupSuspended, Until: u.SuspendedTill}
	case l.OpenOrders > 0 && u.Orders+1 > l.OpenOrders:
		return &LimitError{Err: ErrOpenOrders, Limit: l.OpenOrders}
	case l.OpenUnits > 0 && u.Units+units > l.OpenUnits:
		return &LimitError{Err: ErrOpenUnits, Limit: l.OpenUnits}
	}
	return nil
}

// CheckReservation refuses one more live drop reservation. A person whose
// pay at pickup is suspended cannot order, so may not reserve either.
func (l PersonLimits) CheckReservation(u OpenUsage, now time.Time) error {
	switch {
	case u.SuspendedTill.After(now):
		return &LimitError{Err: ErrPayAtPickupSuspended, Until: u.SuspendedTill}
	case l.Reservations > 0 && u.Reservations+1 > l.Reservations:
		return &LimitError{Err: ErrReservationLimit, Limit: l.Reservations}
	}
	return nil
}

// CheckWaitlist refuses one more waitlist place or start notice.
func (l PersonLimits) CheckWaitlist(u OpenUsage) error {
	if l.Waitlists > 0 && u.Waitlists+1 > l.Waitlists {
		return &LimitError{Err: ErrWaitlistLimit, Limit: l.Waitlists}
	}
	return nil
}

// withDefaults is l for a service: a zero PersonLimits takes
// DefaultPersonLimits (a service built without limits still has them),
// and a negative field (NoPersonLimits) is no limit.
func (l PersonLimits) withDefaults() PersonLimits {
	if l == (PersonLimits{}) {
		return DefaultPersonLimits()
	}
	l.OpenOrders, l.OpenUnits = max(l.OpenOrders, 0), max(l.OpenUnits, 0)
	l.Reservations, l.Waitlists = max(l.Reservations, 0), max(l.Waitlists, 0)
	l.LapseBan = max(l.LapseBan, 0)
	return l
}
