package phone

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	cn, err := New("cn")
	if err != nil {
		t.Fatal(err)
	}
	ru, err := New("RU")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		n        Normalizer
		in, want string
	}{
		// The finding: these are one number.
		{cn, "+8613711110001", "+8613711110001"},
		{cn, "13711110001", "+8613711110001"},
		{cn, "8613711110001", "+8613711110001"},
		{cn, "008613711110001", "+8613711110001"},
		{cn, "+86 137 1111 0001", "+8613711110001"},
		{cn, "137-1111-0001", "+8613711110001"},
		{cn, " (137) 1111.0001 ", "+8613711110001"},
		{cn, "+7 912 345-67-89", "+79123456789"},
		{cn, "+1 415 555 2671", "+14155552671"},
		{ru, "8 912 345-67-89", "+79123456789"},
		{ru, "+8613711110001", "+8613711110001"},
		// Not numbers, or not valid ones.
		{cn, "", ""},
		{cn, "123456", ""},
		{cn, "137111100011", ""},
		{cn, "99999999999999", ""},
		{cn, "tel:+8613711110001", ""},
		{cn, "1-800-FLOWERS", ""},
		{cn, "++8613711110001", ""},
		{cn, strings.Repeat("1", 41), ""},
	} {
		got, err := tc.n.Normalize(tc.in)
		if tc.want == "" {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s %q = %q, %v; want ErrInvalid", tc.n.Region(), tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %q = %q, %v; want %q", tc.n.Region(), tc.in, got, err, tc.want)
		}
	}
}

func TestNewRefusesUnknownRegions(t *testing.T) {
	for _, r := range []string{"", "XX", "China", "86"} {
		if _, err := New(r); err == nil {
			t.Errorf("New(%q) accepted", r)
		}
	}
}

// FuzzNormalize: whatever a buyer types, Normalize answers without
// panicking, and what it returns is E.164 that normalizes to itself.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"+8613711110001", "13711110001", "008613711110001", "(137) 1111-0001", "+", "0", "+0 0", "8 (912) 345-67-89"} {
		f.Add(s)
	}
	n, err := New("CN")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := n.Normalize(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "+") || len(got) > 16 {
			t.Fatalf("%q → %q: not E.164", s, got)
		}
		again, err := n.Normalize(got)
		if err != nil || again != got {
			t.Fatalf("%q → %q → %q, %v: not stable", s, got, again, err)
		}
	})
}
