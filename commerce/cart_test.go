package commerce

import (
	"errors"
	"strings"
	"testing"
)

func TestCart(t *testing.T) {
	var c Cart
	steps := []struct {
		name  string
		do    func() error
		err   error
		units int
	}{
		{"add 2", func() error { return c.Add(1, 2, 10, CNY(100)) }, nil, 2},
		{"add 0", func() error { return c.Add(1, 0, 10, CNY(100)) }, ErrQuantity, 2},
		{"add -1", func() error { return c.Add(2, -1, 10, CNY(100)) }, ErrQuantity, 2},
		{"merge 8", func() error { return c.Add(1, 8, 10, CNY(120)) }, nil, 10},
		{"over cap", func() error { return c.Add(1, 1, 10, CNY(120)) }, ErrQuantity, 10},
		{"new line over cap", func() error { return c.Add(2, 11, 10, CNY(5)) }, ErrQuantity, 10},
		{"set 3", func() error { return c.SetQty(1, 3, 10) }, nil, 3},
		{"set missing", func() error { return c.SetQty(9, 3, 10) }, ErrNotFound, 3},
		{"set negative", func() error { return c.SetQty(1, -3, 10) }, ErrQuantity, 3},
		{"add second", func() error { return c.Add(2, 1, 10, CNY(5)) }, nil, 4},
		{"remove first", func() error { return c.Remove(1) }, nil, 1},
		{"remove again", func() error { return c.Remove(1) }, ErrNotFound, 1},
		{"set 0 removes", func() error { return c.SetQty(2, 0, 10) }, nil, 0},
	}
	for _, s := range steps {
		err := s.do()
		if s.err == nil && err != nil || s.err != nil && !errors.Is(err, s.err) {
			t.Fatalf("%s: err = %v; want %v", s.name, err, s.err)
		}
		if c.Units() != s.units {
			t.Fatalf("%s: units = %d; want %d", s.name, c.Units(), s.units)
		}
	}
	if !c.Empty() {
		t.Fatal("cart should be empty")
	}
	for i := range MaxCartLines {
		if err := c.Add(int64(i+1), 1, 10, CNY(1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Add(999, 1, 10, CNY(1)); !errors.Is(err, ErrCartFull) {
		t.Fatalf("line %d accepted: %v", MaxCartLines+1, err)
	}
}

func TestNormalizePhoneAndName(t *testing.T) {
	for in, want := range map[string]string{"+86 138-0013-8000": "+8613800138000", "(021) 6234 5678": "02162345678", "13800138000": "13800138000"} {
		if got, err := NormalizePhone(in); err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "12345", "1234567890123456", "call me", "86+138", "+", "１３８００１３８０００"} {
		if _, err := NormalizePhone(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("NormalizePhone(%q) err = %v; want ErrInvalid", in, err)
		}
	}
	for in, want := range map[string]string{"  Li   Wei ": "Li Wei", "王小明": "王小明", "Анна": "Анна"} {
		if got, err := NormalizeName(in); err != nil || got != want {
			t.Errorf("NormalizeName(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "   ", "a\x00b", "<script>", strings.Repeat("名", 41)} {
		if _, err := NormalizeName(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("NormalizeName(%q) err = %v; want ErrInvalid", in, err)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+86 138 0013 8000", "(021) 6234-5678", "abc", "++1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := NormalizePhone(s)
		if err != nil {
			return
		}
		digits := len(p)
		if p[0] == '+' {
			digits--
		}
		if digits < 6 || digits > 15 {
			t.Fatalf("%q → %q has %d digits", s, p, digits)
		}
		for i, r := range p {
			if !(r >= '0' && r <= '9' || r == '+' && i == 0) {
				t.Fatalf("%q → %q has %q", s, p, r)
			}
		}
	})
}

func TestTextIn(t *testing.T) {
	tx := Text{"en": "Tea", "zh-CN": "茶"}
	for lang, want := range map[string]string{"en": "Tea", "zh-CN": "茶", "ru": "Tea"} {
		if got := tx.In(lang); got != want {
			t.Errorf("In(%s) = %q; want %q", lang, got, want)
		}
	}
	if (Text{"ru": "Чай"}).In("en") != "Чай" || (Text{}).In("en") != "" {
		t.Error("fallbacks wrong")
	}
}

func TestParseOrigin(t *testing.T) {
	for in, want := range map[string]Origin{"bonded": OriginBonded, "Direct-Mail": OriginDirectMail, "dutypaid": OriginDutyPaid, "local": OriginLocal} {
		if got, err := ParseOrigin(in); err != nil || got != want {
			t.Errorf("ParseOrigin(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseOrigin("smuggled"); !errors.Is(err, ErrInvalid) {
		t.Error("unknown origin accepted")
	}
}
