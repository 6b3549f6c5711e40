package commerce

import (
	"errors"
	"slices"
	"testing"
)

func TestShopProfileValidate(t *testing.T) {
	t.Parallel()
	ok := ShopProfile{Name: "Global Picks", Welcome: Text{"en": "Hi!\nWelcome."}, Languages: []string{"en", "ru"},
		DefaultLang: "ru", TimeZone: "Europe/Moscow", Region: "RU", Currency: "RUB", ContactHours: "10-19"}
	tests := []struct {
		name  string
		edit  func(*ShopProfile)
		valid bool
	}{
		{"complete", func(*ShopProfile) {}, true},
		{"empty (not set up yet)", func(p *ShopProfile) { *p = ShopProfile{} }, true},
		{"name with a line break", func(p *ShopProfile) { p.Name = "a\nb" }, false},
		{"name too long", func(p *ShopProfile) { p.Name = string(make([]rune, MaxShopNameRunes+1)) }, false},
		{"welcome in an unknown language", func(p *ShopProfile) { p.Welcome = Text{"de": "Hallo"} }, false},
		{"unknown language offered", func(p *ShopProfile) { p.Languages = []string{"en", "fr"} }, false},
		{"default not offered", func(p *ShopProfile) { p.DefaultLang = "zh-CN" }, false},
		{"bad zone", func(p *ShopProfile) { p.TimeZone = "Mars/Olympus" }, false},
		{"Local zone", func(p *ShopProfile) { p.TimeZone = "Local" }, false},
		{"bad region", func(p *ShopProfile) { p.Region = "rus" }, false},
		{"bad currency", func(p *ShopProfile) { p.Currency = "rub" }, false},
		{"contact hours with control characters", func(p *ShopProfile) { p.ContactHours = "10\x0019" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := ok
			p.Languages = slices.Clone(ok.Languages)
			tc.edit(&p)
			err := p.Validate()
			if tc.valid && err != nil || !tc.valid && !errors.Is(err, ErrInvalid) {
				t.Errorf("Validate(%+v) = %v, want valid=%v", p, err, tc.valid)
			}
		})
	}
}

func TestParseShopFields(t *testing.T) {
	t.Parallel()
	currencies := []struct{ in, want string }{
		{"cny", "CNY"}, {" RUB ", "RUB"}, {"¥", "CNY"}, {"₽", "RUB"}, {"руб", "RUB"}, {"元", "CNY"}, {"$", "USD"},
		{"yuan!", ""}, {"", ""}, {"EURO", ""},
	}
	for _, c := range currencies {
		got, err := ParseCurrency(c.in)
		if got != c.want || (c.want == "") != errors.Is(err, ErrInvalid) {
			t.Errorf("ParseCurrency(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	langs := []struct {
		in   string
		want []string
	}{
		{"en ru", []string{"en", "ru"}}, {"中文, English", []string{"zh-CN", "en"}}, {"ZH-cn/zh/en", []string{"zh-CN", "en"}},
		{"русский", []string{"ru"}}, {"", nil}, {"en fr", nil},
	}
	for _, c := range langs {
		got, def, err := ParseLanguages(c.in)
		if !slices.Equal(got, c.want) || (c.want == nil) != errors.Is(err, ErrInvalid) || c.want != nil && def != c.want[0] {
			t.Errorf("ParseLanguages(%q) = %v, %q, %v; want %v", c.in, got, def, err, c.want)
		}
	}
	for in, want := range map[string]string{"Asia/Shanghai": "Asia/Shanghai", " Europe/Moscow ": "Europe/Moscow", "Local": "", "x": "", "": ""} {
		if got, _ := ParseTimeZone(in); got != want {
			t.Errorf("ParseTimeZone(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"cn": "CN", "RU": "RU", "rus": "", "1a": ""} {
		if got, _ := ParseRegion(in); got != want {
			t.Errorf("ParseRegion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProfileTexts(t *testing.T) {
	t.Parallel()
	p := ShopProfile{DefaultLang: "ru", Welcome: Text{"ru": "Привет", "zh-CN": "你好"}}
	tests := []struct{ lang, welcome, title string }{
		{"zh-CN", "你好", "面霜"}, {"en", "Привет", "Крем"}, {"ru", "Привет", "Крем"},
	}
	title := Text{"zh-CN": "面霜", "ru": "Крем"}
	for _, tc := range tests {
		if got := p.WelcomeIn(tc.lang); got != tc.welcome {
			t.Errorf("WelcomeIn(%s) = %q, want %q", tc.lang, got, tc.welcome)
		}
		if got := p.TextIn(title, tc.lang); got != tc.title {
			t.Errorf("TextIn(%s) = %q, want %q", tc.lang, got, tc.title)
		}
	}
	if got := (ShopProfile{DefaultLang: "en"}).TextIn(Text{"ru": "Крем"}, "zh-CN"); got != "Крем" {
		t.Errorf("TextIn falls back to any language: %q", got)
	}
}
