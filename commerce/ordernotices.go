package commerce

import (
	"context"
	"fmt"
	"time"
)

// New-order notices to sellers. Every seller (an identity of the shop's
// admins, "tg:123") is told of each new order in their own chat: the
// first order of a quiet minute at once, the orders placed within the
// minute after that together in one message when the minute is over, and
// so on — however many buyers a drop brings, a seller gets at most one
// message a minute (NoticeWindow) with the count and the first orders.
//
// The notice is durable: the order's event (IsNewOrder) becomes one job
// per seller in the transaction that created the order, and each job asks
// NewOrderNotice what to send. Each notice row is claimed by the job that
// sends it and marked delivered after the send, so a retried job resends
// only what it claimed and never what another job already sent.

// DefaultNoticeWindow is how often at most a seller hears of new orders.
const DefaultNoticeWindow = time.Minute

// NoticeStep is what a seller's new-order job does now.
type NoticeStep struct {
	// Send lists the orders to tell the seller of now, oldest first,
	// claimed by the job: one is a notice of that order, several a
	// summary. Call NoticeSent after the send.
	Send []int64
	// WaitUntil, when set, is when to ask again: the order waits for the
	// end of the seller's current minute, to go out with the others.
	WaitUntil time.Time
}

// SellerNoticeStore keeps the new-order notices of each seller.
type SellerNoticeStore interface {
	// NoticeStep decides, in one transaction serialized per seller, what
	// the job (job > 0, unique per job) that tells seller of orderID does
	// at now: it records the order for the seller if new; when the order
	// was delivered, or claimed by another job, nothing (zero step); when
	// this job claimed it before (a retry), the orders it claimed and has
	// not delivered; when the seller's last send is window or more ago
	// (or never), it claims every order of the seller not yet claimed,
	// this one included, and records now as the last send; otherwise it
	// waits until the last send plus window.
	NoticeStep(ctx context.Context, seller string, orderID, job int64, window time.Duration, now time.Time) (NoticeStep, error)
	// NoticeSent marks the orders the job claimed for seller as delivered.
	NoticeSent(ctx context.Context, seller string, job int64, at time.Time) error
}

// IsNewOrder reports whether an event makes an order new for the seller —
// a buyer confirmed a checkout (pending → confirmed) or paid one online
// (awaiting_payment → paid), or an order was
// placed confirmed at once (a drop's) — and returns the order.
func IsNewOrder(e Event) (Order, bool) {
	switch e := e.(type) {
	case OrderPlaced:
		return e.Order, e.Order.Status == StatusConfirmed
	case OrderStatusChanged:
		return e.Order, e.From == StatusPending && e.To == StatusConfirmed || e.From == StatusAwaitingPayment && e.To == StatusPaid
	}
	return Order{}, false
}

// NewOrderNotice is the step of the job (job > 0) that tells seller of a
// new order (see NoticeStep). ErrInvalid for a missing seller, order or job.
func (d *OrderDesk) NewOrderNotice(ctx context.Context, seller string, orderID, job int64) (NoticeStep, error) {
	if seller == "" || orderID <= 0 || job <= 0 {
		return NoticeStep{}, fmt.Errorf("new-order notice of %d to %q by job %d: %w", orderID, seller, job, ErrInvalid)
	}
	return d.store.NoticeStep(ctx, seller, orderID, job, d.window, d.clock.Now())
}

// NoticeSent records that the job delivered what it claimed for seller.
func (d *OrderDesk) NoticeSent(ctx context.Context, seller string, job int64) error {
	return d.store.NoticeSent(ctx, seller, job, d.clock.Now())
}
