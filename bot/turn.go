package bot

import (
	"context"
	"strings"
	"time"

	"shopbot/commerce"
	"shopbot/templates"
)

// turn is one message being handled: the router, the session and the
// message at hand, and the helpers every feature answers with. Feature
// handlers take it as their first argument.
type turn struct {
	r    *Router
	ctx  context.Context
	s    *Session
	m    Message
	lang string
}

// maxTextLen bounds typed input we try to interpret; longer text gets help.
const maxTextLen = 1024

// step routes one message to the feature that answers it, in this order: a
// button press to its verb's handler; a location; a photo to the features
// that take photos; a command to its handler; typed text to staff (a
// pickup code), then to the step the session awaits, then to the features
// that read free text; anything left gets "didn't understand".
func (r *Router) step(ctx context.Context, s *Session, m Message) ([]Reply, error) {
	if s.Lang == "" {
		if s.Lang = templates.Match(m.Lang); s.Lang == "" {
			s.Lang = templates.Default
		}
	}
	t := &turn{r: r, ctx: ctx, s: s, m: m, lang: s.Lang}
	t.offeredLang()
	if m.Paid != nil {
		return t.providerPaid() // money moved: tgpay.go
	}
	rt := r.routes
	if m.Action != "" {
		return t.action(m.Action)
	}
	if m.HasLocation {
		if rt.location == nil {
			return t.help("help_unknown")
		}
		return rt.location(t, m.Lat, m.Lon)
	}
	text := strings.TrimSpace(m.Text)
	if len(m.Photo) > 0 {
		if r, ok, err := t.firstOf(rt.photos, text); ok || err != nil {
			return r, err
		}
		return t.help("photo_not_supported")
	}
	if len(text) > maxTextLen {
		return t.help("help_unknown")
	}
	if strings.HasPrefix(text, "/") {
		return t.command(text)
	}
	if r, ok, err := t.firstOf(rt.codes, text); ok || err != nil {
		return r, err
	}
	if s.Step != "" {
		if f := rt.steps[s.Step]; f != nil {
			return f(t, text)
		}
		s.Step = "" // a step of a feature switched off since
	}
	if r, ok, err := t.firstOf(rt.texts, text); ok || err != nil {
		return r, err
	}
	return t.help("help_unknown")
}

// firstOf offers text to each input handler in turn until one takes it.
func (t *turn) firstOf(handlers []inputFunc, text string) ([]Reply, bool, error) {
	for _, f := range handlers {
		if r, ok, err := f(t, text); ok || err != nil {
			return r, true, err
		}
	}
	return nil, false, nil
}

// command runs "/cmd arg" ("/start@ShopBot" in groups is "/start").
func (t *turn) command(text string) ([]Reply, error) {
	cmd, arg, _ := strings.Cut(text, " ")
	cmd, _, _ = strings.Cut(strings.ToLower(cmd), "@")
	if f := t.r.routes.commands[Command(cmd)]; f != nil {
		return f(t, strings.TrimSpace(arg))
	}
	return t.help("help_unknown")
}

// action runs a button's handler. Every handler validates its arguments;
// an unknown verb or a malformed button is answered as a stale button.
func (t *turn) action(a string) ([]Reply, error) {
	if len(a) > MaxActionLen {
		return t.stale()
	}
	verb, rest, _ := strings.Cut(a, ":")
	f := t.r.routes.actions[Verb(verb)]
	if f == nil {
		return t.stale()
	}
	return f(t, strings.Split(rest, ":"))
}

// verb is the verb of the button pressed ("" for anything else).
func (t *turn) verb() Verb {
	v, _, _ := strings.Cut(t.m.Action, ":")
	return Verb(v)
}

// ---- what every feature answers with ----

func (t *turn) text(key string, data any) string { return t.r.o.Texts.Text(t.lang, key, data) }

// btn is a button with a text key's label.
func (t *turn) btn(key, action string) Button {
	return Button{Text: t.text(key, nil), Action: action}
}

// say is a one-reply answer.
func say(text string, rows ...[]Button) []Reply { return []Reply{{Text: text, Buttons: rows}} }

// toast answers a button press in a group with a notification only; in a
// private chat, where a message bothers no one, with a message.
func (t *turn) toast(key string, data any) []Reply {
	text := t.text(key, data)
	if t.m.Group {
		return []Reply{{Toast: text}}
	}
	return say(text)
}

// hint answers a button press that changes nothing (− at the least
// quantity) and leaves the message as it is: a notification where a
// button press can be answered so (Telegram), a message elsewhere.
func (t *turn) hint(key string, data any) []Reply {
	text := t.text(key, data)
	if t.m.Channel == ChannelTelegram && t.m.Action != "" {
		return []Reply{{Toast: text}}
	}
	return say(text)
}

// fail answers a domain error with its localized message and the main menu,
// or returns it as internal when no user message fits (errortable.go).
func (t *turn) fail(err error) ([]Reply, error) {
	ue, ok := ErrorText(err, InChat)
	if !ok {
		return nil, err
	}
	// err_quantity needs the cap, a limit its figures; the other keys ignore the data.
	data := t.limitData(err, map[string]any{"Max": t.r.o.Shop.MaxQtyPerLine(), "InCart": 0})
	return say(t.text(ue.Key, data), t.menuRow()...), nil
}

func (t *turn) menuRow() [][]Button {
	return [][]Button{{t.btn("btn_shop", VerbCategories.Of()), t.cartButton()}}
}

func (t *turn) cartButton() Button {
	return Button{Text: t.text("btn_cart", map[string]any{"Units": t.s.Cart.Units()}), Action: VerbCart.Of()}
}

func (t *turn) mainMenu() [][]Button {
	return [][]Button{
		{t.btn("btn_shop", VerbCategories.Of()), t.cartButton()},
		{t.btn("btn_orders", VerbOrders.Of()), t.btn("btn_lang", VerbLanguages.Of())},
		{t.btn("btn_help", VerbHelp.Of())},
	}
}

// help answers with a text and the main menu; /help adds the sellers'
// commands for sellers in a private chat (no menu button leads to them).
func (t *turn) help(key string) ([]Reply, error) {
	text := t.text(key, nil)
	if key == "help" {
		text += t.contactHours()
	}
	if key == "help" && t.isAdmin() && !t.m.Group {
		text += "\n\n" + t.text("help_seller", nil)
	}
	return say(text, t.mainMenu()...), nil
}

func (t *turn) stale() ([]Reply, error) { return t.help("err_stale") }

// ---- who is asking ----

func (t *turn) buyer() commerce.Buyer {
	return commerce.Buyer{Channel: t.m.Channel, UserID: t.m.UserID}
}

// identity is the sender as staff lists and Admins name them: "tg:123".
func (t *turn) identity() string { return t.m.Channel + ":" + t.m.UserID }

// privileged reports whether the sender's identity is vouched for by its
// platform (Telegram, WeChat); web-chat ids are self-chosen (see
// Options.TrustWebIdentity).
func (t *turn) privileged() bool { return t.m.Channel != ChannelWeb || t.r.o.TrustWebIdentity }

func (t *turn) isAdmin() bool { return t.privileged() && t.r.admins[t.identity()] }

// isSeller: an admin in a private chat, with the catalog tools on.
func (t *turn) isSeller() bool { return t.r.seller != nil && !t.m.Group && t.isAdmin() }

// ---- formatting ----

// date formats a time in the pickup point's zone (Asia/Shanghai when unknown).
func (t *turn) date(at time.Time, zone string) string {
	if zone == "" {
		zone = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	return at.In(loc).Format("2006-01-02 15:04")
}

// num formats a count with the locale's digit grouping.
func (t *turn) num(n int) string { return formatCount(t.lang, n) }

func (t *turn) event(e Event) { t.r.o.Events(e) }

func (t *turn) imageURL(key string) string { return t.r.o.ImageURL(key) }
