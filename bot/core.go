package bot

import (
	"context"
	"errors"
	"strings"

	"shopbot/commerce"
	"shopbot/templates"
)

// The core of the conversation: the welcome (with deep links), the menu,
// help, the language, leaving a checkout, a pickup point's card and the
// points nearest to a shared location.
//
//	/start [payload]   welcome, or what a deep link names ("p_12", "d_spring26")
//	/help /lang [xx] /cancel
//	home               the main menu
//	help               help
//	lang               the language menu
//	l:<locale>         switch to a language
//	pt_<point>         (deep link) a pickup point's card, for QR codes at the counter

// Verbs of the core.
const (
	VerbHome      Verb = "home"
	VerbHelp      Verb = "help"
	VerbLanguages Verb = "lang"
	VerbLanguage  Verb = "l"
)

// Commands of the core.
const (
	CmdStart  Command = "/start"
	CmdHelp   Command = "/help"
	CmdLang   Command = "/lang"
	CmdCancel Command = "/cancel"
)

// nearestCount is how many points a shared location lists.
const nearestCount = 3

// LinkPoint opens a pickup point's card.
const LinkPoint DeepLink = "pt"

type coreHandler struct {
	shop          *commerce.Shop
	pickupService *commerce.Pickup // nil with pickup off: distances from the shop's list
	checkout      *checkoutHandler
}

func (h *coreHandler) routes() routes {
	return routes{
		commands: map[Command]commandFunc{
			CmdStart: h.start,
			CmdHelp:  func(t *turn, _ string) ([]Reply, error) { return t.help("help") },
			CmdLang: func(t *turn, arg string) ([]Reply, error) {
				if arg != "" {
					return h.setLang(t, arg)
				}
				return h.langMenu(t)
			},
			CmdCancel: func(t *turn, _ string) ([]Reply, error) {
				h.checkout.leave(t)
				return t.help("checkout_left")
			},
		},
		actions: map[Verb]actionFunc{
			VerbHome:      func(t *turn, _ args) ([]Reply, error) { return say(t.text("menu", nil), t.mainMenu()...), nil },
			VerbHelp:      func(t *turn, _ args) ([]Reply, error) { return t.help("help") },
			VerbLanguages: func(t *turn, _ args) ([]Reply, error) { return h.langMenu(t) },
			VerbLanguage:  func(t *turn, a args) ([]Reply, error) { return h.setLang(t, strings.Join(a, ":")) },
		},
		location: h.nearest,
		links: map[DeepLink]linkFunc{
			LinkPoint: func(t *turn, rest string) ([]Reply, bool, error) {
				id, ok := parseID(rest)
				if !ok {
					return nil, false, nil
				}
				r, err := h.pointCard(t, id)
				return r, true, err
			},
		},
	}
}

// start welcomes the user, or opens what a deep link names: its kind is
// routed like a verb ("d" → drops), and a payload no feature knows gets
// the welcome.
func (h *coreHandler) start(t *turn, payload string) ([]Reply, error) {
	t.s.Step = ""
	if payload == "" && t.r.setup != nil {
		if r, ok, err := t.r.setup.firstStart(t); ok || err != nil {
			return r, err
		}
	}
	if payload != "" {
		kind, rest, _ := strings.Cut(payload, "_")
		if f := t.r.routes.links[DeepLink(kind)]; f != nil {
			if r, ok, err := f(t, rest); ok || err != nil {
				return r, err
			}
		}
	}
	return say(t.welcome(), t.mainMenu()...), nil
}

// Welcome is what a plain /start answers someone who has no session yet,
// made without loading or saving one (and without recording the audience):
// the web page greets a visitor with it, so a visit that goes no further
// stores nothing. m gives the language hint and the name.
func (r *Router) Welcome(m Message) []Reply {
	lang := templates.Match(m.Lang)
	if lang == "" {
		lang = templates.Default
	}
	t := &turn{r: r, ctx: context.Background(), s: &Session{Lang: lang}, m: m, lang: lang}
	return say(t.welcome(), t.mainMenu()...)
}

func (h *coreHandler) langMenu(t *turn) ([]Reply, error) {
	var row []Button
	p, _ := t.profile()
	for _, l := range templates.Locales {
		if !p.Speaks(l) {
			continue // the shop does not offer it
		}
		row = append(row, Button{Text: t.r.o.Texts.Text(l, "lang_name", nil), Action: VerbLanguage.Of(l)})
	}
	return say(t.text("lang_choose", nil), row), nil
}

func (h *coreHandler) setLang(t *turn, hint string) ([]Reply, error) {
	l := templates.Match(hint)
	if p, _ := t.profile(); l == "" || !p.Speaks(l) {
		return h.langMenu(t)
	}
	t.s.Lang, t.lang = l, l
	return say(t.text("lang_set", nil), t.mainMenu()...), nil
}

// pointCard shows one pickup point: where it is and when it is open.
func (h *coreHandler) pointCard(t *turn, id int64) ([]Reply, error) {
	p, err := h.shop.Store().PickupPoint(t.ctx, id)
	if errors.Is(err, commerce.ErrNotFound) || err == nil && !p.Active {
		return t.fail(commerce.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return say(t.text("point_card", map[string]any{"Point": p.Name.In(t.lang), "City": p.City.In(t.lang),
		"Address": p.Address.In(t.lang), "Hours": p.Hours}), t.mainMenu()...), nil
}

// nearest lists the pickup points nearest to a shared location.
func (h *coreHandler) nearest(t *turn, lat, lon float64) ([]Reply, error) {
	if !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
		return t.help("help_unknown")
	}
	var near []commerce.PointDistance
	if h.pickupService != nil {
		var err error
		if near, err = h.pickupService.Nearest(t.ctx, lat, lon, nearestCount); err != nil {
			return nil, err
		}
	} else {
		pts, err := h.shop.Store().PickupPoints(t.ctx)
		if err != nil {
			return nil, err
		}
		near = commerce.NearestPoints(pts, lat, lon, nearestCount)
	}
	if len(near) == 0 {
		return say(t.text("no_pickup_points", nil), t.mainMenu()...), nil
	}
	type point struct {
		Name, City, Address, Hours string
		Meters                     float64
	}
	var list []point
	for _, d := range near {
		list = append(list, point{Name: d.Point.Name.In(t.lang), City: d.Point.City.In(t.lang),
			Address: d.Point.Address.In(t.lang), Hours: d.Point.Hours, Meters: d.Meters})
	}
	return say(t.text("nearest", map[string]any{"Points": list}), t.mainMenu()...), nil
}
