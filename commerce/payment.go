package commerce

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// PaymentMethod is how a buyer paid at pickup.
type PaymentMethod string

const (
	PayCash     PaymentMethod = "cash"
	PayCard     PaymentMethod = "card"
	PayTransfer PaymentMethod = "transfer" // a bank or app transfer (WeChat Pay, Alipay, SBP …) shown at the counter
)

// PaymentMethods lists the methods staff choose from, in the order shown.
var PaymentMethods = []PaymentMethod{PayCash, PayCard, PayTransfer}

// ParsePaymentMethod reads a method name (any case). ErrInvalid otherwise.
func ParsePaymentMethod(s string) (PaymentMethod, error) {
	m := PaymentMethod(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(PaymentMethods, m) {
		return "", fmt.Errorf("payment method %q: %w", s, ErrInvalid)
	}
	return m, nil
}

// Payment is an order's payment as recorded: when, how, how much and by
// whom ("tg:42", "web:staff-jingan", "cli"). The zero Payment is unpaid.
type Payment struct {
	At     time.Time
	Method PaymentMethod
	Amount Money
	By     string
}

// IsPaid reports whether a payment was recorded.
func (p Payment) IsPaid() bool { return !p.At.IsZero() }

// check validates a payment for an order of total: a known method and a
// positive amount in the order's currency (it may differ from the total:
// a discount at the counter). ErrInvalid, ErrCurrencyMismatch.
func (p Payment) check(total Money) error {
	if _, err := ParsePaymentMethod(string(p.Method)); err != nil {
		return err
	}
	if p.Amount.Amount <= 0 || p.Amount.Amount > 1_000_000_000_00 {
		return fmt.Errorf("payment of %d: %w", p.Amount.Amount, ErrInvalid)
	}
	if p.Amount.Currency != total.Currency {
		return fmt.Errorf("payment in %s for an order in %s: %w", p.Amount.Currency, total.Currency, ErrCurrencyMismatch)
	}
	if p.By == "" || p.At.IsZero() {
		return fmt.Errorf("payment: who and when required: %w", ErrInvalid)
	}
	return nil
}

// PaymentStore records payments.
type PaymentStore interface {
	// RecordPayment records an unpaid order's payment with one conditional
	// update. An order already paid is returned unchanged with
	// recorded=false; ErrInvalidTransition for a cancelled or returned
	// order; ErrNotFound if absent.
	RecordPayment(ctx context.Context, orderID int64, p Payment) (o Order, recorded bool, err error)
}

// recordPayment checks pay against o and records it at now by by (the
// amount's currency is the order's).
func recordPayment(ctx context.Context, st PaymentStore, o Order, pay Payment, by string, now time.Time) (Order, bool, error) {
	pay.At, pay.By, pay.Amount.Currency = now, by, o.Total.Currency
	if err := pay.check(o.Total); err != nil {
		return o, false, err
	}
	return st.RecordPayment(ctx, o.ID, pay)
}

// HandOverBy hands an order over with its payment, as staff record it at
// the counter (the staff page, the chat): the code is checked as
// RedeemBy; an unpaid order needs pay (Method and Amount, a zero Amount
// being the order's total; who and when are filled in) — without it
// ErrPaymentRequired (with the order: the Collection) and nothing changes;
// with it the payment is recorded, then the order handed over. An order
// paid before ignores pay; one paid another way between the inspection and
// this record (a WeChat Pay QR at the counter) is not handed over:
// ErrAlreadyPaid with the order as it is now. Errors as RedeemBy, and
// ErrInvalid for a bad payment.
func (p *Pickup) HandOverBy(ctx context.Context, clerk Clerk, pointID int64, input string, pay *Payment) (Collection, error) {
	col, err := p.InspectBy(ctx, clerk, pointID, input)
	if err != nil {
		return Collection{}, err
	}
	if !col.Order.Paid.IsPaid() {
		if pay == nil {
			return col, fmt.Errorf("order %s: %w", col.Order.Number, ErrPaymentRequired)
		}
		paid := *pay
		if paid.Amount.Amount == 0 { // the order's total
			paid.Amount = col.Order.Total
		}
		o, recorded, err := recordPayment(ctx, p.store, col.Order, paid, clerk.Staff, p.clock.Now())
		if err != nil {
			return Collection{}, err
		}
		if !recorded {
			// Paid another way meanwhile (the buyer's WeChat Pay QR at the
			// counter): staff must not keep this payment too.
			col.Order = o
			return col, fmt.Errorf("order %s paid by %s meanwhile: %w", o.Number, o.Paid.Method, ErrAlreadyPaid)
		}
	}
	return p.RedeemBy(ctx, clerk, pointID, input)
}

// RecordPayment records how an order was paid (by: "cli", "tg:123"),
// before or without its hand-over: a transfer the seller received, say.
// It returns the order and whether this call recorded it (false: it was
// paid already). ErrNotFound, ErrInvalid (method, amount),
// ErrInvalidTransition (cancelled or returned).
func (d *OrderDesk) RecordPayment(ctx context.Context, number string, method PaymentMethod, amount Money, by string) (Order, bool, error) {
	o, err := d.byNumber(ctx, number)
	if err != nil {
		return Order{}, false, err
	}
	if amount.Currency != "" && amount.Currency != o.Total.Currency {
		return o, false, fmt.Errorf("payment in %s for an order in %s: %w", amount.Currency, o.Total.Currency, ErrCurrencyMismatch)
	}
	return recordPayment(ctx, d.store, o, Payment{Method: method, Amount: amount}, by, d.clock.Now())
}
