package commerce

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// WeChat Pay at the pickup counter (issue 14): an unpaid pay-at-pickup
// order is paid by the buyer scanning a Native QR code staff show, instead
// of cash, card or a transfer. The order keeps its status (it is on its
// way or at the counter already); the attempt is open until the provider
// says it was paid, and Apply then records the payment on the order as
// staff would (paid_at, wechatpay, the amount; by "provider") and sends
// the receipt. Staff who took cash meanwhile win: the QR payment that
// still comes is late, and refunded.

// CounterPayStore is the store's part of paying at the counter.
type CounterPayStore interface {
	// BeginCounterPayment, in one transaction locking the order: when the
	// order is unpaid and confirmed, shipped, arrived or ready_for_pickup,
	// returns its newest open attempt of a's method and trade type
	// (created=false), or inserts a (numbered as BeginPayment numbers; its
	// Amount the order's total; created=true). The order's status and
	// expiry do not change and no event is emitted: no payment time runs.
	// ErrAlreadyPaid if the order is paid; ErrInvalidTransition in any
	// other status; ErrNotFound if absent.
	BeginCounterPayment(ctx context.Context, orderID int64, a PayAttempt) (PayAttempt, bool, error)
	// CloseAttempt marks an open attempt closed (after it was closed at
	// the provider) with one conditional update; an attempt no longer
	// open is returned unchanged with changed=false. ErrNotFound if absent.
	CloseAttempt(ctx context.Context, attemptID int64, at time.Time) (PayAttempt, bool, error)
}

// AwaitsCounterPayment reports whether an order in status s, unpaid, is
// paid at the counter: confirmed for pay at pickup and not yet handed over.
func AwaitsCounterPayment(s OrderStatus) bool {
	return s == StatusConfirmed || s == StatusShipped || s == StatusArrived || s == StatusReadyForPickup
}

// counterReuse is how much of its time a counter QR must have left to be
// shown again; an older one is closed and replaced.
func (p *Payments) counterReuse() time.Duration { return min(5*time.Minute, p.ttl/3) }

// BeginCounter starts paying an unpaid pay-at-pickup order at the counter
// of pointID with WeChat Pay Native: clerk must be staff of the point and
// the order (by number) one of the point's, unpaid, confirmed, shipped,
// arrived or ready for pickup. The transaction is created at the provider
// and the attempt carries its code_url (shown as a QR code: the app's
// /pay/qr/{out_trade_no}.png). Calling it again shows the same QR while
// enough of its time is left. ErrForbidden (not staff of the point),
// ErrNotFound (no such order at the point), ErrAlreadyPaid,
// ErrInvalidTransition (collected, cancelled …), ErrPaymentMethod (WeChat
// Pay not configured, or not a CNY order), ErrProvider.
func (p *Payments) BeginCounter(ctx context.Context, clerk Clerk, pointID int64, number string) (Order, PayAttempt, error) {
	pt, err := p.store.PickupPoint(ctx, pointID)
	if errors.Is(err, ErrNotFound) {
		return Order{}, PayAttempt{}, fmt.Errorf("point %d: %w", pointID, ErrForbidden)
	}
	if err != nil {
		return Order{}, PayAttempt{}, err
	}
	if clerk.Staff == "" || !pt.IsStaff(clerk.Staff) {
		return Order{}, PayAttempt{}, fmt.Errorf("%q is not staff of point %s: %w", clerk.Staff, pt.Code, ErrForbidden)
	}
	o, err := p.store.OrderByNumber(ctx, NormalizeOrderNumber(number))
	if err != nil {
		return Order{}, PayAttempt{}, err
	}
	if o.PickupPointID != pointID {
		return Order{}, PayAttempt{}, fmt.Errorf("order %s is not for point %s: %w", o.Number, pt.Code, ErrNotFound)
	}
	switch {
	case o.Paid.IsPaid() || o.Status == StatusPaid:
		return o, PayAttempt{}, fmt.Errorf("order %s: %w", o.Number, ErrAlreadyPaid)
	case !AwaitsCounterPayment(o.Status):
		return o, PayAttempt{}, fmt.Errorf("order %s is %s: pay at the counter: %w", o.Number, o.Status, ErrInvalidTransition)
	case p.wechat == nil || o.Total.Currency != "CNY":
		return o, PayAttempt{}, fmt.Errorf("order %s: WeChat Pay at the counter: %w", o.Number, ErrPaymentMethod)
	}
	now := p.clock.Now()
	var a PayAttempt
	for range 2 {
		var created bool
		a, created, err = p.flow.BeginCounterPayment(ctx, o.ID, PayAttempt{OrderID: o.ID, Method: PayWeChat, TradeType: TradeNative,
			Amount: o.Total, State: AttemptOpen, CreatedAt: now, UpdatedAt: now})
		if err != nil {
			return o, a, err
		}
		if created || now.Before(a.CreatedAt.Add(p.ttl-p.counterReuse())) {
			break
		}
		// Its QR runs out soon: close it at the provider, and make another.
		if err := p.retire(ctx, a); err != nil {
			return o, a, err
		}
		if o, err = p.store.Order(ctx, o.ID); err != nil {
			return o, a, err
		}
		if o.Paid.IsPaid() {
			return o, a, fmt.Errorf("order %s: %w", o.Number, ErrAlreadyPaid)
		}
	}
	if a.Prepay != "" {
		return o, a, nil
	}
	prepay, err := p.wechat.Prepay(ctx, Prepay{TradeType: TradeNative, OutTradeNo: a.OutTradeNo,
		Description: p.describe(o), Amount: a.Amount, ExpiresAt: a.CreatedAt.Add(p.ttl)})
	if err != nil {
		return o, a, fmt.Errorf("prepay %s: %w", a.OutTradeNo, err)
	}
	if err := p.flow.SetAttemptPrepay(ctx, a.ID, prepay, now); err != nil {
		return o, a, err
	}
	a.Prepay = prepay
	return o, a, nil
}

// Refresh asks WeChat Pay about an open attempt and applies its answer
// (Apply): the counter's "Paid? Check" when the notification is slow. An
// attempt no longer open, or not of WeChat Pay, is not asked about. The
// result always carries the attempt and its order as they are now.
func (p *Payments) Refresh(ctx context.Context, outTradeNo string) (PayResult, error) {
	a, err := p.flow.AttemptByOutTradeNo(ctx, outTradeNo)
	if err != nil {
		return PayResult{}, err
	}
	res := PayResult{Outcome: PayNotPaid, Attempt: a}
	if a.State == AttemptOpen && a.Method == PayWeChat && p.wechat != nil {
		tx, err := p.wechat.Query(ctx, a.OutTradeNo)
		if err != nil {
			return res, err
		}
		if tx.Succeeded() {
			if res, err = p.Apply(ctx, tx); err != nil {
				return res, err
			}
		}
	} else if a.State != AttemptOpen {
		res.Outcome = PayDuplicate
	}
	if res.Attempt, err = p.flow.AttemptByOutTradeNo(ctx, outTradeNo); err != nil {
		return res, err
	}
	res.Order, err = p.store.Order(ctx, a.OrderID)
	return res, err
}

// retire closes an open WeChat attempt at the provider and then in the
// store; one the provider says is paid is applied instead (Apply: the
// order paid, or the payment late and refunded).
func (p *Payments) retire(ctx context.Context, a PayAttempt) error {
	if p.wechat == nil {
		return fmt.Errorf("close %s: WeChat Pay not configured: %w", a.OutTradeNo, ErrProvider)
	}
	err := p.wechat.Close(ctx, a.OutTradeNo)
	if errors.Is(err, ErrAlreadyPaid) {
		tx, err := p.wechat.Query(ctx, a.OutTradeNo)
		if err != nil {
			return err
		}
		if !tx.Succeeded() {
			return fmt.Errorf("close %s: paid, says the provider, then unpaid: %w", a.OutTradeNo, ErrProvider)
		}
		_, err = p.Apply(ctx, tx)
		return err
	}
	if err != nil {
		return err
	}
	_, _, err = p.flow.CloseAttempt(ctx, a.ID, p.clock.Now())
	return err
}

// retireStale closes a stale open WeChat attempt the provider says is
// unpaid once its time is over, unless its order awaits payment (Expire
// closes those with the order): a counter QR no one paid (the buyer paid
// cash), or a second way of paying an order paid the first way. Without
// it the reconciliation would ask about them forever.
func (p *Payments) retireStale(ctx context.Context, a PayAttempt) error {
	if a.Method != PayWeChat || p.clock.Now().Before(a.CreatedAt.Add(p.ttl)) {
		return nil
	}
	o, err := p.store.Order(ctx, a.OrderID)
	if err != nil {
		return err
	}
	if o.Status == StatusAwaitingPayment || o.Status == StatusPending {
		return nil
	}
	return p.retire(ctx, a)
}
