package commerce

import (
	"slices"
	"testing"
	"unicode/utf8"
)

// FuzzShopSetupInputs: whatever a seller types, the setup's parsers either
// refuse it with ErrInvalid or return a value the profile accepts.
func FuzzShopSetupInputs(f *testing.F) {
	for _, s := range []string{"CNY", "₽", "zh-CN en", "中文, English", "Asia/Shanghai", "cn", "Baby care", "面霜", "", "\x00", "Сладости 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := ParseCurrency(s); err == nil && !ValidCurrency(c) {
			t.Errorf("ParseCurrency(%q) = %q", s, c)
		}
		if r, err := ParseRegion(s); err == nil && !ValidRegion(r) {
			t.Errorf("ParseRegion(%q) = %q", s, r)
		}
		if langs, def, err := ParseLanguages(s); err == nil {
			p := ShopProfile{Languages: langs, DefaultLang: def}
			if p.Validate() != nil || !slices.Contains(langs, def) {
				t.Errorf("ParseLanguages(%q) = %v, %q: not a valid profile", s, langs, def)
			}
		}
		if z, err := ParseTimeZone(s); err == nil && (ShopProfile{TimeZone: z}).Validate() != nil {
			t.Errorf("ParseTimeZone(%q) = %q: not a valid profile", s, z)
		}
		if slug := SlugOf(s); slug != "" && !ValidSlug(slug) {
			t.Errorf("SlugOf(%q) = %q", s, slug)
		}
		if l := TextLanguage(s, "x"); l != "x" && !slices.Contains(Languages, l) {
			t.Errorf("TextLanguage(%q) = %q", s, l)
		}
		if c, err := CleanCategoryTitle(s); err == nil && (c == "" || utf8.RuneCountInString(c) > MaxCategoryRunes) {
			t.Errorf("CleanCategoryTitle(%q) = %q", s, c)
		}
	})
}
