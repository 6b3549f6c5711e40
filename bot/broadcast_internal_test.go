package bot

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseBroadcastText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, text, label, link string }{
		{"Sale", "Sale", "", ""},
		{"Sale\nbutton: Shop | https://x.y/z", "Sale", "Shop", "https://x.y/z"},
		{"Sale\nBUTTON:Shop|https://x.y", "Sale", "Shop", "https://x.y"},
		{"Скидки\nкнопка: Магазин | https://t.me/b", "Скидки", "Магазин", "https://t.me/b"},
		{"促销\n按钮：进店 | https://t.me/b", "促销", "进店", "https://t.me/b"},
		{"Sale\nbutton: no link", "Sale\nbutton: no link", "", ""},
		{"button: Only | https://x.y", "", "Only", "https://x.y"},
	} {
		c := parseBroadcastText(tc.in)
		if c.Text != tc.text || c.ButtonText != tc.label || c.ButtonURL != tc.link {
			t.Errorf("parseBroadcastText(%q) = %q %q %q", tc.in, c.Text, c.ButtonText, c.ButtonURL)
		}
	}
}

func FuzzParseBroadcastText(f *testing.F) {
	for _, s := range []string{"Sale", "a\nbutton: b | https://c.d", "按钮：x|y", "\n", "кнопка:|"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := parseBroadcastText(s)
		if len(c.Text) > len(s) || len(c.ButtonText) > len(s) || len(c.ButtonURL) > len(s) {
			t.Fatalf("parts longer than the input: %+v", c)
		}
		if utf8.ValidString(s) && (!utf8.ValidString(c.Text) || !utf8.ValidString(c.ButtonText)) {
			t.Fatalf("valid input split into invalid UTF-8: %+v", c)
		}
		if c.ButtonURL == "" && c.ButtonText == "" && c.Text != strings.TrimSpace(s) {
			t.Fatalf("text changed without a button: %q → %q", s, c.Text)
		}
		_ = c.Validate() // must not panic
	})
}
