package commerce

import (
	"fmt"
	"strings"
)

// Money is an amount in minor units (fen, cents, kopecks) of an ISO 4217 currency.
// It is never a float.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// CNY builds an amount in Chinese yuan from fen.
func CNY(fen int64) Money { return Money{Amount: fen, Currency: "CNY"} }

// Add returns m+o; both must share a currency (a zero Money adopts the other's).
func (m Money) Add(o Money) (Money, error) {
	switch {
	case m.Currency == "":
		m.Currency = o.Currency
	case o.Currency != "" && o.Currency != m.Currency:
		return Money{}, fmt.Errorf("add %s to %s: %w", o.Currency, m.Currency, ErrCurrencyMismatch)
	}
	m.Amount += o.Amount
	return m, nil
}

// Mul returns m multiplied by a quantity.
func (m Money) Mul(n int) Money { return Money{Amount: m.Amount * int64(n), Currency: m.Currency} }

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount == 0 }

// MinorDigits is the number of minor-unit digits of the currency (ISO 4217 exponent).
func MinorDigits(currency string) int {
	switch strings.ToUpper(currency) {
	case "JPY", "KRW", "VND", "CLP", "ISK":
		return 0
	case "BHD", "KWD", "OMR", "JOD", "TND":
		return 3
	default:
		return 2
	}
}

// ParseMoney reads a decimal amount such as "129", "129.5" or "129.50" in the
// given currency. It rejects negative numbers, more fraction digits than the
// currency has, and anything that is not a plain decimal.
func ParseMoney(s, currency string) (Money, error) {
	s = strings.TrimSpace(s)
	digits := MinorDigits(currency)
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 12 || (hasDot && (frac == "" || len(frac) > digits)) {
		return Money{}, fmt.Errorf("amount %q: %w", s, ErrInvalid)
	}
	var amount int64
	for _, r := range whole + frac + strings.Repeat("0", digits-len(frac)) {
		if r < '0' || r > '9' {
			return Money{}, fmt.Errorf("amount %q: %w", s, ErrInvalid)
		}
		amount = amount*10 + int64(r-'0')
	}
	return Money{Amount: amount, Currency: strings.ToUpper(currency)}, nil
}

// Decimal renders the amount as a plain decimal string ("1299.00"), for files and logs.
func (m Money) Decimal() string {
	digits := MinorDigits(m.Currency)
	neg := m.Amount < 0
	a := m.Amount
	if neg {
		a = -a
	}
	s := fmt.Sprintf("%0*d", digits+1, a)
	if digits > 0 {
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func (m Money) String() string { return m.Decimal() + " " + m.Currency }
