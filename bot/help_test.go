package bot_test

import (
	"strings"
	"testing"
)

// /help lists the sellers' commands to sellers in a private chat only.
func TestHelpSellerSection(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{admins: []string{"web:seller-zh-CN", "web:seller-en", "web:seller-ru"}})
	for _, lang := range []string{"zh-CN", "en", "ru"} {
		seller := h.user(t, "seller-"+lang, lang)
		buyer := h.user(t, "buyer-"+lang, lang)
		both := seller.tx("help", nil) + "\n\n" + seller.tx("help_seller", nil)
		for _, tc := range []struct {
			name string
			c    *chat
			do   func(*chat) string
			want string
		}{
			{"seller /help", seller, func(c *chat) string { return c.send("/help")[0].Text }, both},
			{"seller button", seller, func(c *chat) string { return c.press("help")[0].Text }, both},
			{"seller in a group", seller.inGroup("g-" + lang), func(c *chat) string { return c.send("/help")[0].Text }, seller.tx("help", nil)},
			{"buyer /help", buyer, func(c *chat) string { return c.send("/help")[0].Text }, buyer.tx("help", nil)},
		} {
			if got := tc.do(tc.c); got != tc.want {
				t.Errorf("%s %s = %q; want %q", lang, tc.name, got, tc.want)
			}
		}
		if help := buyer.tx("help", nil); !strings.Contains(help, "/stop") || strings.Contains(help, "/newdrop") {
			t.Errorf("%s buyers' help %q: want /stop and no seller commands", lang, help)
		}
		for _, cmd := range []string{"/products", "/newdrop", "/drops", "/broadcast", "/post"} {
			if !strings.Contains(seller.tx("help_seller", nil), cmd) {
				t.Errorf("%s sellers' help lacks %s", lang, cmd)
			}
		}
	}
}
