package bot

import "shopbot/commerce"

// The shop as the seller set it up (commerce.ShopSetup): its name and
// welcome greet buyers; a shop not set up greets with the built-in texts.

// profile is the shop's profile, or the defaults when there is no setup
// service or it cannot be read (the error is logged).
func (t *turn) profile() (commerce.ShopProfile, bool) {
	if t.r.o.Setup == nil {
		return commerce.DefaultProfile("CN", "Asia/Shanghai"), false
	}
	p, configured, err := t.r.o.Setup.Profile(t.ctx)
	if err != nil {
		t.r.o.Log.WarnContext(t.ctx, "shop profile unavailable; built-in texts used", "err", err)
	}
	return p, configured
}

// welcome is the greeting of /start: the seller's welcome in the buyer's
// language (else the shop's default one), else the built-in one, under
// the shop's name when it has one.
func (t *turn) welcome() string {
	text := t.text("welcome", map[string]any{"Name": t.m.FirstName})
	p, _ := t.profile()
	if w := p.WelcomeIn(t.lang); w != "" {
		text = w
	}
	if p.Name != "" {
		text = t.text("shop_header", map[string]any{"Shop": p.Name}) + "\n" + text
	}
	return text
}

// tr is a seller's text (a product's title, a category's name) in the
// buyer's language, else in the shop's default language, else in any.
func (t *turn) tr(x commerce.Text) string {
	if s := x[t.lang]; s != "" || len(x) == 0 {
		return s
	}
	p, _ := t.profile()
	return p.TextIn(x, t.lang)
}

// offeredLang keeps the chat in a language the shop offers: one it does
// not (the platform's hint, or a language the shop stopped offering) gives
// way to the shop's default language.
func (t *turn) offeredLang() {
	if t.r.o.Setup == nil {
		return
	}
	if p, _ := t.profile(); !p.Speaks(t.lang) && p.DefaultLang != "" {
		t.s.Lang, t.lang = p.DefaultLang, p.DefaultLang
	}
}

// contactHours is the line of /help saying when the seller can be reached,
// "" when the profile does not say.
func (t *turn) contactHours() string {
	if t.r.o.Setup == nil {
		return ""
	}
	p, _ := t.profile()
	if p.ContactHours == "" {
		return ""
	}
	return "\n" + t.text("shop_contact_hours", map[string]any{"ContactHours": p.ContactHours})
}
