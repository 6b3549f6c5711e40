package bot

import "testing"

// FuzzParseDropPrice: whatever a seller types, a price is positive, sane and
// in the drop's currency, or refused.
func FuzzParseDropPrice(f *testing.F) {
	for _, s := range []string{"129", "129.50", "¥129", "129 CNY", "1,5", "-3", "", "1e9", "０", "99999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, ok := parseDropPrice(s, "CNY")
		if ok && (m.Amount <= 0 || m.Amount > 1e12 || m.Currency != "CNY") {
			t.Fatalf("parseDropPrice(%q) = %+v, accepted", s, m)
		}
	})
}
