package commerce

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ShopProfile is who the shop is, as the seller sets it up: its name and
// welcome, the languages it speaks, where it is and what it sells in. It
// lives in the database (ShopSetupStore), not in the binary.
//
// The shop has ONE currency and every price is in it: a cart cannot add
// up two currencies. China's cross-border rules (bonded and direct-mail
// origins, the annual per-person ledger, customs declarations) apply to
// shops selling in CNY only: a shop in another currency sells duty-paid
// and local stock (see DESIGN.md, "Decisions that several issues share").
type ShopProfile struct {
	Name         string    // shown to buyers in the welcome
	Welcome      Text      // the welcome per language; empty: the built-in one
	Languages    []string  // languages offered, a subset of Languages
	DefaultLang  string    // one of Languages: texts missing in a buyer's language fall back to it
	TimeZone     string    // IANA zone of the shop (drop times, reports)
	Region       string    // ISO 3166 alpha-2 region of phone numbers typed without a country code
	Currency     string    // ISO 4217, the currency of every price
	ContactHours string    // when buyers can reach the seller, free text, e.g. "Mo-Fr 10:00-19:00"
	UpdatedAt    time.Time // set by the store
}

// Limits of the profile's fields.
const (
	MaxShopNameRunes     = 64
	MaxWelcomeRunes      = 1000
	MaxContactHoursRunes = 100
)

// ErrCurrencyLocked: the shop's currency cannot change while products are
// priced in the current one (nothing changed). Reprice or remove them
// first.
var ErrCurrencyLocked = errors.New("shop currency cannot change while products are priced in it")

// Configured reports whether the seller has set the shop up: it has a name
// and a currency. A shop without a profile runs on DefaultProfile.
func (p ShopProfile) Configured() bool { return p.Name != "" && p.Currency != "" }

// Speaks reports whether the shop offers lang.
func (p ShopProfile) Speaks(lang string) bool {
	return len(p.Languages) == 0 || slices.Contains(p.Languages, lang)
}

// WelcomeIn is the seller's welcome in lang, else in the default language,
// else "" (the caller shows the built-in welcome).
func (p ShopProfile) WelcomeIn(lang string) string {
	if s := p.Welcome[lang]; s != "" {
		return s
	}
	return p.Welcome[p.DefaultLang]
}

// TextIn returns t in lang, falling back to the shop's default language,
// then to any language t has (Text.In's order).
func (p ShopProfile) TextIn(t Text, lang string) string {
	if s := t[lang]; s != "" {
		return s
	}
	if s := t[p.DefaultLang]; s != "" {
		return s
	}
	return t.In(lang)
}

// DefaultProfile is the profile of a shop the seller has not set up:
// no name, every language, Chinese first, CNY, the given region and zone.
func DefaultProfile(region, timeZone string) ShopProfile {
	return ShopProfile{Languages: slices.Clone(Languages), DefaultLang: Languages[0], TimeZone: timeZone,
		Region: region, Currency: "CNY"}
}

// Validate checks a profile before it is written; ErrInvalid names the
// field. A profile may be partly set (the wizard saves step by step), but
// what is set must be right.
func (p ShopProfile) Validate() error {
	if err := checkLine("shop name", p.Name, MaxShopNameRunes); err != nil {
		return err
	}
	for lang, s := range p.Welcome {
		if !slices.Contains(Languages, lang) {
			return fmt.Errorf("welcome in %q: %w", lang, ErrInvalid)
		}
		if utf8.RuneCountInString(s) > MaxWelcomeRunes || !printable(s, true) {
			return fmt.Errorf("welcome in %s: %w", lang, ErrInvalid)
		}
	}
	for _, l := range p.Languages {
		if !slices.Contains(Languages, l) {
			return fmt.Errorf("language %q: %w", l, ErrInvalid)
		}
	}
	if p.DefaultLang != "" && (!slices.Contains(Languages, p.DefaultLang) || !p.Speaks(p.DefaultLang)) {
		return fmt.Errorf("default language %q not offered: %w", p.DefaultLang, ErrInvalid)
	}
	if p.TimeZone != "" {
		if _, err := ParseTimeZone(p.TimeZone); err != nil {
			return err
		}
	}
	if p.Region != "" && !ValidRegion(p.Region) {
		return fmt.Errorf("region %q: %w", p.Region, ErrInvalid)
	}
	if p.Currency != "" && !ValidCurrency(p.Currency) {
		return fmt.Errorf("currency %q: %w", p.Currency, ErrInvalid)
	}
	return checkLine("contact hours", p.ContactHours, MaxContactHoursRunes)
}

// checkLine refuses a one-line text over max runes or with control characters.
func checkLine(what, s string, max int) error {
	if utf8.RuneCountInString(s) > max || strings.ContainsRune(s, '\n') || !printable(s, false) {
		return fmt.Errorf("%s: %w", what, ErrInvalid)
	}
	return nil
}

// ValidCurrency reports whether s is three upper-case letters (ISO 4217's shape).
func ValidCurrency(s string) bool {
	return len(s) == 3 && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

// ValidRegion reports whether s is two upper-case letters (ISO 3166 alpha-2's shape).
func ValidRegion(s string) bool {
	return len(s) == 2 && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

// ParseCurrency reads a currency as a seller types it: "cny", "RUB", "¥",
// "₽", "$", "元", "руб". ErrInvalid otherwise.
func ParseCurrency(s string) (string, error) {
	s = strings.TrimSpace(s)
	if c, ok := currencyOf[strings.ToLower(s)]; ok {
		return c, nil
	}
	if u := strings.ToUpper(s); ValidCurrency(u) {
		return u, nil
	}
	return "", fmt.Errorf("currency %q: %w", s, ErrInvalid)
}

// ParseRegion reads a two-letter region code in any case ("cn", "RU").
func ParseRegion(s string) (string, error) {
	if u := strings.ToUpper(strings.TrimSpace(s)); ValidRegion(u) {
		return u, nil
	}
	return "", fmt.Errorf("region %q: %w", s, ErrInvalid)
}

// ParseTimeZone reads an IANA zone name ("Asia/Shanghai"); "Local" and
// "" are refused, since they mean different things on different machines.
func ParseTimeZone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "Local" || strings.ContainsFunc(s, unicode.IsSpace) {
		return "", fmt.Errorf("time zone %q: %w", s, ErrInvalid)
	}
	if _, err := time.LoadLocation(s); err != nil {
		return "", fmt.Errorf("time zone %q: %w", s, ErrInvalid)
	}
	return s, nil
}

// ParseLanguages reads a list of languages as a seller types it
// ("zh-CN en", "zh, en, ru", "中文 English"): each must be one of
// Languages (case, "zh" and "cn" are forgiven). The first named is the
// default. ErrInvalid for an empty list or an unknown language.
func ParseLanguages(s string) (langs []string, def string, err error) {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(",;，、/", r) }) {
		l, ok := languageAlias(w)
		if !ok {
			return nil, "", fmt.Errorf("language %q: %w", w, ErrInvalid)
		}
		if !slices.Contains(langs, l) {
			langs = append(langs, l)
		}
	}
	if len(langs) == 0 {
		return nil, "", fmt.Errorf("no language: %w", ErrInvalid)
	}
	return langs, langs[0], nil
}

func languageAlias(w string) (string, bool) {
	switch strings.ToLower(w) {
	case "zh-cn", "zh", "cn", "zh_cn", "chinese", "中文", "汉语", "简体中文", "китайский":
		return "zh-CN", true
	case "en", "english", "英文", "英语", "английский":
		return "en", true
	case "ru", "russian", "俄文", "俄语", "русский":
		return "ru", true
	}
	return "", false
}
