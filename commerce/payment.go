package commerce

import (
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
