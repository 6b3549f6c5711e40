package commerce

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A seller cancels an order with a reason until it is shipped: the stock
// (or the drop's units) goes back, and the buyer is told in the chat they
// ordered from, with the reason (SellerCancelledOrder). After shipment
// only the return path applies.

// ErrTooLate: the order has left for its pickup point (shipped or further
// along): it can no longer be cancelled, only returned (nothing changed).
var ErrTooLate = errors.New("too late to cancel: the order has shipped")

// MaxCancelReason is the longest reason, in characters.
const MaxCancelReason = 200

// Cancellation is a seller's cancellation of one order, as the store
// records it.
type Cancellation struct {
	OrderID int64
	// From is the status the order is cancelled from: the store's
	// conditional update changes nothing if it is no longer in it.
	From   OrderStatus
	Reason string // what the buyer is told
	By     string // "cli" or the seller's identity ("tg:123")
	At     time.Time
	// Overdue: an order ready for pickup and not collected within the hold
	// period (OrderDesk.CancelOverdue): cancelled from ready_for_pickup,
	// its stock back on sale.
	Overdue bool
}

// SellerCancelledOrder: a seller cancelled an order (emitted after the
// OrderStatusChanged to cancelled, in the same transaction): tell the
// buyer, with Order.CancelReason.
type SellerCancelledOrder struct{ Order Order }

// EventName implements Event.
func (SellerCancelledOrder) EventName() string { return "seller_cancelled_order" }

// SellerCancellable reports whether a seller may still cancel an order in
// this status: until it is shipped. An order awaiting payment is
// cancelled through Payments.SellerCancel (closed at the provider first);
// a paid one is cancelled here too, and Payments.SellerCancel refunds it.
func (s OrderStatus) SellerCancellable() bool {
	return s == StatusPending || s == StatusConfirmed || s == StatusPaid
}

// NormalizeCancelReason trims a reason and checks it is 1–MaxCancelReason
// printable characters (line breaks allowed). ErrInvalid otherwise.
func NormalizeCancelReason(s string) (string, error) {
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n == 0 || n > MaxCancelReason || !utf8.ValidString(s) {
		return "", fmt.Errorf("cancel reason of %d characters: %w", n, ErrInvalid)
	}
	for _, r := range s {
		if r != '\n' && !unicode.IsPrint(r) {
			return "", fmt.Errorf("cancel reason: control character: %w", ErrInvalid)
		}
	}
	return s, nil
}

// SellerCancel cancels the order with that number for a seller (by names
// them: "cli", "tg:123") and tells the buyer why. It returns the order
// and whether this call cancelled it: an order already cancelled is
// returned unchanged with false. ErrNotFound for an unknown number,
// ErrInvalid for an empty or overlong reason, ErrTooLate for an order
// that has shipped. A concurrent change (the buyer confirming, staff
// shipping) is re-read: exactly one of a cancellation and a shipment wins.
func (s *Shop) SellerCancel(ctx context.Context, number, reason, by string) (Order, bool, error) {
	reason, err := NormalizeCancelReason(reason)
	if err != nil {
		return Order{}, false, err
	}
	number = NormalizeOrderNumber(number)
	if number == "" {
		return Order{}, false, fmt.Errorf("order number: %w", ErrNotFound)
	}
	o, err := s.store.OrderByNumber(ctx, number)
	if err != nil {
		return Order{}, false, err
	}
	for attempt := 0; ; attempt++ {
		switch {
		case o.Status == StatusCancelled:
			return o, false, nil
		case !o.Status.SellerCancellable():
			return o, false, fmt.Errorf("order %s is %s: %w", o.Number, o.Status, ErrTooLate)
		}
		cancelled, err := s.store.SellerCancelOrder(ctx, Cancellation{OrderID: o.ID, From: o.Status, Reason: reason, By: by, At: s.clock.Now()})
		if !errors.Is(err, ErrConflict) || attempt >= 3 {
			return cancelled, err == nil, err
		}
		// Moved meanwhile (confirmed by the buyer, shipped, expired): look again.
		if o, err = s.store.Order(ctx, o.ID); err != nil {
			return Order{}, false, err
		}
	}
}
