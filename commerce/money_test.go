package commerce

import (
	"errors"
	"testing"
)

func TestParseMoney(t *testing.T) {
	for _, tc := range []struct {
		in, cur string
		want    int64
		ok      bool
	}{
		{"129", "CNY", 12900, true},
		{"129.5", "CNY", 12950, true},
		{"129.50", "cny", 12950, true},
		{" 0.01 ", "CNY", 1, true},
		{"1500", "JPY", 1500, true},
		{"1.5", "JPY", 0, false},
		{"129.501", "CNY", 0, false},
		{"-1", "CNY", 0, false},
		{"1e3", "CNY", 0, false},
		{"", "CNY", 0, false},
		{".5", "CNY", 0, false},
		{"5.", "CNY", 0, false},
		{"1,5", "CNY", 0, false},
		{"9999999999999", "CNY", 0, false},
	} {
		m, err := ParseMoney(tc.in, tc.cur)
		if tc.ok && (err != nil || m.Amount != tc.want) {
			t.Errorf("ParseMoney(%q, %s) = %v, %v; want %d", tc.in, tc.cur, m, err, tc.want)
		}
		if !tc.ok && !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseMoney(%q, %s) err = %v; want ErrInvalid", tc.in, tc.cur, err)
		}
	}
}

func TestMoneyArithmetic(t *testing.T) {
	sum, err := Money{}.Add(CNY(100))
	if err != nil || sum != CNY(100) {
		t.Fatalf("zero + ¥1 = %v, %v", sum, err)
	}
	if _, err := CNY(1).Add(Money{Amount: 1, Currency: "USD"}); !errors.Is(err, ErrCurrencyMismatch) {
		t.Fatalf("CNY + USD err = %v", err)
	}
	if got := CNY(1999).Mul(3); got != CNY(5997) {
		t.Fatalf("Mul = %v", got)
	}
	for m, want := range map[Money]string{CNY(5): "0.05", CNY(-150): "-1.50", {Amount: 7, Currency: "JPY"}: "7", {Amount: 1234, Currency: "KWD"}: "1.234"} {
		if got := m.Decimal(); got != want {
			t.Errorf("%#v.Decimal() = %q; want %q", m, got, want)
		}
	}
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"129", "129.50", "0.01", "-1", "1e3", "٣", "1.2.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMoney(s, "CNY")
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if m.Amount < 0 {
			t.Fatalf("negative amount from %q", s)
		}
		back, err := ParseMoney(m.Decimal(), "CNY")
		if err != nil || back != m {
			t.Fatalf("round trip %q → %v → %v, %v", s, m, back, err)
		}
	})
}
