package commerce

import (
	"context"
	"errors"
	"fmt"
)

// An order not collected within its hold period (the desk's overdue
// shelf; the seller was told by HoldExpired) may be cancelled by a seller
// with a reason: its stock goes back on sale and, when it was paid, its
// payment is refunded (Pickup.UsePayments), once, keyed "hold:"+number.

// ErrHoldNotOver: the order is still within its hold period (or is not
// waiting at a point at all); nothing changed.
var ErrHoldNotOver = errors.New("the order is not past its hold period")

// CancelOverdue cancels an order still ready for pickup past its hold
// period for a seller (by: "cli", "tg:123"), with the reason the buyer is
// told, and refunds its payment. It returns the order and whether this
// call cancelled it; an order cancelled before is returned with false
// (and its refund made if it is missing: the key makes it one). Errors:
// ErrNotFound, ErrInvalid (the reason), ErrHoldNotOver, ErrConflict (it
// was collected meanwhile), and Payments.Refund's (the order is cancelled
// then; calling again refunds it).
func (d *OrderDesk) CancelOverdue(ctx context.Context, number, reason, by string) (Order, bool, error) {
	reason, err := NormalizeCancelReason(reason)
	if err != nil {
		return Order{}, false, err
	}
	o, err := d.byNumber(ctx, number)
	if err != nil {
		return Order{}, false, err
	}
	if o.Status == StatusCancelled {
		return o, false, d.refundOverdue(ctx, o, by)
	}
	if err := d.overdue(ctx, o); err != nil {
		return o, false, err
	}
	c, err := d.shop.store.SellerCancelOrder(ctx, Cancellation{OrderID: o.ID, From: StatusReadyForPickup, Reason: reason, By: by,
		At: d.clock.Now(), Overdue: true})
	if err != nil {
		return o, false, err
	}
	return c, true, d.refundOverdue(ctx, c, by)
}

// Overdue reports whether o is waiting at its point past its hold period.
func (d *OrderDesk) Overdue(ctx context.Context, o Order) (bool, error) {
	err := d.overdue(ctx, o)
	if errors.Is(err, ErrHoldNotOver) {
		return false, nil
	}
	return err == nil, err
}

func (d *OrderDesk) overdue(ctx context.Context, o Order) error {
	if o.Status != StatusReadyForPickup || d.pickup == nil {
		return fmt.Errorf("order %s is %s: %w", o.Number, o.Status, ErrHoldNotOver)
	}
	code, err := d.pickup.store.CodeOf(ctx, o.ID)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("order %s has no pickup code: %w", o.Number, ErrHoldNotOver)
	}
	if err != nil {
		return err
	}
	if end := code.ReadyAt.Add(d.hold); d.clock.Now().Before(end) {
		return fmt.Errorf("order %s is held until %s: %w", o.Number, end.Format("2006-01-02 15:04"), ErrHoldNotOver)
	}
	return nil
}

// refundOverdue refunds everything left of a cancelled overdue order's
// payment (nothing for an unpaid one, or without payments).
func (d *OrderDesk) refundOverdue(ctx context.Context, o Order, by string) error {
	if d.pickup == nil || d.pickup.pay == nil {
		return nil
	}
	_, _, err := d.pickup.pay.RefundRest(ctx, o, o.CancelReason, by, "hold:"+o.Number)
	return err
}
