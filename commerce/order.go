package commerce

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"
)

// OrderStatus is a state of the order state machine.
type OrderStatus string

const (
	StatusPending         OrderStatus = "pending"          // stock reserved, awaiting the buyer's confirmation
	StatusAwaitingPayment OrderStatus = "awaiting_payment" // online payment chosen; stock held for the payment time
	StatusConfirmed       OrderStatus = "confirmed"        // buyer confirmed; pay at pickup
	StatusPaid            OrderStatus = "paid"             // paid online
	StatusShipped         OrderStatus = "shipped"          // on its way to the pickup point
	StatusArrived         OrderStatus = "arrived"          // at the pickup point, being checked in
	StatusReadyForPickup  OrderStatus = "ready_for_pickup" // buyer may collect
	StatusPickedUp        OrderStatus = "picked_up"        // handed over
	StatusCancelled       OrderStatus = "cancelled"        // by the buyer, the seller, or reservation expiry
	StatusReturned        OrderStatus = "returned"         // brought back after pickup
)

// transitions is the order state machine: from → allowed next states.
var transitions = map[OrderStatus][]OrderStatus{
	StatusPending:         {StatusAwaitingPayment, StatusConfirmed, StatusCancelled},
	StatusAwaitingPayment: {StatusPaid, StatusCancelled}, // cancelled: closed at the provider first (Payments)
	StatusConfirmed:       {StatusShipped, StatusCancelled},
	StatusPaid:            {StatusShipped, StatusCancelled}, // cancelled: refunded (Payments)
	StatusShipped:         {StatusArrived},
	StatusArrived:         {StatusReadyForPickup},
	StatusReadyForPickup:  {StatusPickedUp},
	StatusPickedUp:        {StatusReturned},
}

// Statuses lists every status in lifecycle order.
var Statuses = []OrderStatus{StatusPending, StatusAwaitingPayment, StatusConfirmed, StatusPaid, StatusShipped, StatusArrived,
	StatusReadyForPickup, StatusPickedUp, StatusCancelled, StatusReturned}

// CanBecome reports whether the state machine allows s → next.
func (s OrderStatus) CanBecome(next OrderStatus) bool {
	for _, n := range transitions[s] {
		if n == next {
			return true
		}
	}
	return false
}

// Transition validates s → next, returning ErrInvalidTransition when illegal.
func (s OrderStatus) Transition(next OrderStatus) error {
	if !s.CanBecome(next) {
		return fmt.Errorf("%s → %s: %w", s, next, ErrInvalidTransition)
	}
	return nil
}

// HoldsStock reports whether an order in this status still holds reserved stock,
// which must be returned when it is cancelled.
func (s OrderStatus) HoldsStock() bool {
	return s == StatusPending || s == StatusAwaitingPayment || s == StatusConfirmed || s == StatusPaid
}

// ReadyToShip reports whether an order in this status may leave for its
// pickup point: confirmed (pay at pickup) or paid online.
func (s OrderStatus) ReadyToShip() bool { return s == StatusConfirmed || s == StatusPaid }

// Final reports whether no transition leads out of s.
func (s OrderStatus) Final() bool { return len(transitions[s]) == 0 }

// OrderLine is a product in an order, with the unit price taken from the
// database at the moment the order was placed.
type OrderLine struct {
	ProductID int64
	SKU       string
	Title     Text
	UnitPrice Money
	Qty       int
}

// Buyer identifies a person on one channel ("tg", "wx", "web").
type Buyer struct {
	Channel string
	UserID  string
}

// Key is the stable identity string, e.g. "tg:12345".
func (b Buyer) Key() string { return b.Channel + ":" + b.UserID }

// Order is a buyer's order for pickup.
type Order struct {
	ID             int64
	Number         string // short, human, unique: "K7Q2M9"
	Buyer          Buyer
	ChatID         string // where to notify the buyer
	Lang           string
	Status         OrderStatus
	Lines          []OrderLine
	Total          Money
	PickupPointID  int64
	ContactName    string
	Phone          string
	IdempotencyKey string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ExpiresAt      time.Time // reservation expiry while pending
	// CancelReason and CancelledBy are set when a seller cancelled the
	// order (SellerCancel): what the buyer was told, and who ("cli",
	// "tg:123").
	CancelReason string
	CancelledBy  string
	// Paid is how the order was paid, when it was: recorded by staff at
	// the hand-over of a pay-at-pickup order (RecordPayment). Zero: unpaid.
	Paid Payment
}

// NormalizeOrderNumber is an order number as typed ("k7q 2m9 "), in the
// form orders are stored and found by: upper case, no spaces.
func NormalizeOrderNumber(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// numberAlphabet avoids look-alike characters (0/O, 1/I/L).
const numberAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NewOrderNumber returns a random 6-character order number: short enough to
// read over a counter, random enough not to be guessed (31^6 ≈ 8.9e8).
func NewOrderNumber() string {
	out := make([]byte, 0, 6)
	var buf [16]byte
	for len(out) < 6 {
		_, _ = rand.Read(buf[:]) // crypto/rand.Read never returns an error
		for _, c := range buf {
			// Reject the top of the byte range so every letter is equally likely.
			if int(c) < 256/len(numberAlphabet)*len(numberAlphabet) && len(out) < 6 {
				out = append(out, numberAlphabet[int(c)%len(numberAlphabet)])
			}
		}
	}
	return string(out)
}
