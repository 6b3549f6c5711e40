package commerce

import (
	"errors"
	"testing"
	"unicode/utf8"
)

func TestParseOrderSearch(t *testing.T) {
	for _, tc := range []struct{ in, number, tail string }{
		{"K7Q2M9", "K7Q2M9", ""},
		{" k7q2 m9 ", "K7Q2M9", ""},
		{"№K7Q2M9", "K7Q2M9", ""},
		{"1234", "", "1234"},
		{"*1234", "", "1234"},
		{"…5678", "", "5678"},
		{"13800138000", "", "13800138000"},
		{"234567", "234567", "234567"}, // all digits: either
	} {
		number, tail, err := ParseOrderSearch(tc.in)
		if err != nil || number != tc.number || tail != tc.tail {
			t.Errorf("ParseOrderSearch(%q) = %q, %q, %v; want %q, %q", tc.in, number, tail, err, tc.number, tc.tail)
		}
	}
	for _, bad := range []string{"", "  ", "123", "K7Q2M", "K7Q2M9X", "面霜面霜面霜", "12a4", "123456789012", "K7Q-M9"} {
		if n, p, err := ParseOrderSearch(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseOrderSearch(%q) = %q, %q, %v; want ErrInvalid", bad, n, p, err)
		}
	}
}

func FuzzParseOrderSearch(f *testing.F) {
	for _, s := range []string{"K7Q2M9", "1234", "*1234", "面霜", "", "№ k7q2m9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		number, tail, err := ParseOrderSearch(s)
		if err != nil {
			if number != "" || tail != "" {
				t.Fatalf("error with results %q %q", number, tail)
			}
			return
		}
		if number == "" && tail == "" {
			t.Fatal("no error and nothing to search")
		}
		if number != "" && (len(number) != 6 || !utf8.ValidString(number)) {
			t.Fatalf("number %q", number)
		}
		for _, r := range tail {
			if r < '0' || r > '9' {
				t.Fatalf("tail %q", tail)
			}
		}
	})
}

func TestDeskStates(t *testing.T) {
	for _, s := range DeskStates {
		if got, err := ParseDeskState(string(s)); err != nil || got != s {
			t.Errorf("ParseDeskState(%q) = %q, %v", s, got, err)
		}
	}
	if _, err := ParseDeskState("shipped"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseDeskState(shipped): %v", err)
	}
	if (OrderPage{Page: 0, PerPage: 10, Total: 10}).More() || !(OrderPage{Page: 0, PerPage: 10, Total: 11}).More() {
		t.Error("OrderPage.More")
	}
}
