package bot

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"shopbot/commerce"
)

// Drops for sellers (Options.Admins, private chats only): /newdrop [ID|SKU]
// or a product card's "dn:<product>" button walks through product, units,
// price, start (typed in the seller's zone), per-buyer limit and
// reservation minutes, previews the buyer card, and schedules it. /drops
// lists drops; "dv:<drop>" shows a drop's live figures.
//
// Button payloads:
//
//	dn:<product>                 start a drop of this product
//	dnd:<nonce>:<field>          take the field's default (price, limit, ttl)
//	dnf:<nonce>:<field>          change a field
//	dnc:<nonce>                  the change menu
//	dns:<nonce> / dnx:<nonce>    schedule / discard
//	dv:<drop>                    figures
//	dl                           the list of drops
func init() {
	registerCommand("/newdrop", func(t *turn, arg string) ([]Reply, error) {
		if !t.dropSeller() {
			return t.help("help_unknown")
		}
		t.s.DropNew = DropWizard{Nonce: newNonce()}
		if arg == "" {
			return t.dnAsk(stepDNProduct)
		}
		return t.dnProduct(arg)
	})
	registerCommand("/drops", func(t *turn, _ string) ([]Reply, error) {
		if !t.dropSeller() {
			return t.help("help_unknown")
		}
		return t.dropList()
	})
	registerAction("dn", func(t *turn, rest string, args []string) ([]Reply, error) {
		if _, ok := parseID(rest); !ok || len(args) != 1 || !t.dropSeller() {
			return t.stale()
		}
		t.s.DropNew = DropWizard{Nonce: newNonce()}
		return t.dnProduct(rest)
	})
	registerAction("dnd", wizardAction(func(t *turn, args []string) ([]Reply, error) {
		w := &t.s.DropNew
		switch arg(args, 1) {
		case "price":
			p, err := t.r.o.Shop.Store().Product(t.ctx, w.Product)
			if err != nil || w.Product == 0 {
				return t.stale()
			}
			w.Price, w.Currency = p.Price.Amount, p.Price.Currency
		case "limit":
			w.Limit = 1
		case "ttl":
			w.TTL = 15
		default:
			return t.stale()
		}
		return t.dnNext()
	}))
	registerAction("dnc", wizardAction(func(t *turn, _ []string) ([]Reply, error) {
		if !t.s.DropNew.complete() {
			return t.stale()
		}
		n := t.s.DropNew.Nonce
		b := func(key, field string) Button { return t.btn(key, "dnf:"+n+":"+field) }
		return say(t.text("dn_change", nil),
			[]Button{b("btn_dn_product", "product"), b("btn_dn_units", "units"), b("btn_dn_price", "price")},
			[]Button{b("btn_dn_start", "start"), b("btn_dn_limit", "limit"), b("btn_dn_ttl", "ttl")},
			[]Button{t.btn("btn_dn_back", "dnb:"+n)}), nil
	}))
	registerAction("dnb", wizardAction(func(t *turn, _ []string) ([]Reply, error) { return t.dnNext() }))
	registerAction("dnf", wizardAction(func(t *turn, args []string) ([]Reply, error) {
		step, ok := map[string]string{"product": stepDNProduct, "units": stepDNUnits, "price": stepDNPrice,
			"start": stepDNStart, "limit": stepDNLimit, "ttl": stepDNTTL}[arg(args, 1)]
		if !ok || !t.s.DropNew.complete() {
			return t.stale()
		}
		return t.dnAsk(step)
	}))
	registerAction("dns", wizardAction(func(t *turn, _ []string) ([]Reply, error) { return t.dnSchedule() }))
	registerAction("dnx", wizardAction(func(t *turn, _ []string) ([]Reply, error) {
		t.s.DropNew = DropWizard{}
		if strings.HasPrefix(t.s.Step, "dn_") {
			t.s.Step = ""
		}
		return say(t.text("dn_discarded", nil), t.mainMenu()...), nil
	}))
	registerAction("dv", func(t *turn, rest string, args []string) ([]Reply, error) {
		id, ok := parseID(rest)
		if !ok || len(args) != 1 || !t.dropSeller() {
			return t.stale()
		}
		return t.dropStats(id)
	})
	registerAction("dl", func(t *turn, _ string, _ []string) ([]Reply, error) {
		if !t.dropSeller() {
			return t.stale()
		}
		return t.dropList()
	})
	for step, f := range map[string]func(t *turn, text string) ([]Reply, error){
		stepDNProduct: (*turn).dnProduct, stepDNUnits: (*turn).dnUnits, stepDNPrice: (*turn).dnPrice,
		stepDNStart: (*turn).dnStart, stepDNLimit: (*turn).dnLimit, stepDNTTL: (*turn).dnTTL,
	} {
		registerStep(step, func(t *turn, text string) ([]Reply, error) {
			if !t.dropSeller() || t.s.DropNew.Nonce == "" {
				t.s.Step = ""
				return t.help("help_unknown")
			}
			return f(t, text)
		})
	}
}

// Steps of the drop wizard.
const (
	stepDNProduct = "dn_product"
	stepDNUnits   = "dn_units"
	stepDNPrice   = "dn_price"
	stepDNStart   = "dn_start"
	stepDNLimit   = "dn_limit"
	stepDNTTL     = "dn_ttl"
)

// Bounds of what a seller may type.
const (
	maxDropLimit      = 100
	maxDropTTLMinutes = 7 * 24 * 60
)

// DropWizard is a drop a seller is putting together; nothing is stored
// until it is scheduled. Zero fields are not set yet.
type DropWizard struct {
	Nonce    string `json:"n,omitempty"`
	Product  int64  `json:"p,omitempty"`
	Units    int    `json:"u,omitempty"`
	Price    int64  `json:"pr,omitempty"` // minor units of Currency
	Currency string `json:"cu,omitempty"`
	Start    int64  `json:"s,omitempty"` // unix ms
	Limit    int    `json:"l,omitempty"`
	TTL      int    `json:"t,omitempty"` // minutes
	Made     int64  `json:"m,omitempty"` // the drop scheduled from this draft: a second tap shows it again
}

func (w DropWizard) complete() bool {
	return w.Product > 0 && w.Units > 0 && w.Price > 0 && w.Start != 0 && w.Limit > 0 && w.TTL > 0
}

// dropSeller: an admin, in a private chat, with drops on.
func (t *turn) dropSeller() bool { return t.r.o.Drops != nil && t.isAdmin() && !t.m.Group }

// wizardAction guards a wizard button: a seller, the draft's nonce, not scheduled yet.
func wizardAction(f func(t *turn, args []string) ([]Reply, error)) actionFunc {
	return func(t *turn, _ string, args []string) ([]Reply, error) {
		w := t.s.DropNew
		if !t.dropSeller() || w.Nonce == "" || args[0] != w.Nonce {
			return t.stale()
		}
		if w.Made != 0 {
			return t.dropScheduled(w.Made)
		}
		return f(t, args)
	}
}

// zoneName is the IANA name stored with a drop ("" when the zone has none).
func zoneName(loc *time.Location) string {
	if _, err := time.LoadLocation(loc.String()); err != nil || loc == time.Local {
		return ""
	}
	return loc.String()
}

// dnNext asks for the first field not set, or shows the preview.
func (t *turn) dnNext() ([]Reply, error) {
	w := t.s.DropNew
	switch {
	case w.Product == 0:
		return t.dnAsk(stepDNProduct)
	case w.Units == 0:
		return t.dnAsk(stepDNUnits)
	case w.Price == 0:
		return t.dnAsk(stepDNPrice)
	case w.Start == 0:
		return t.dnAsk(stepDNStart)
	case w.Limit == 0:
		return t.dnAsk(stepDNLimit)
	case w.TTL == 0:
		return t.dnAsk(stepDNTTL)
	}
	return t.dnPreview()
}

// dnAsk asks for one field, with its default as a button where there is one.
func (t *turn) dnAsk(step string) ([]Reply, error) {
	w := t.s.DropNew
	t.s.Step = step
	n := w.Nonce
	var rows [][]Button
	data := map[string]any{"Zone": t.r.o.TimeZone.String(), "Max": maxDropLimit}
	if w.Product > 0 {
		p, err := t.r.o.Shop.Store().Product(t.ctx, w.Product)
		if err != nil {
			return nil, err
		}
		data["Title"], data["Regular"], data["Stock"], data["Currency"] = p.Title.In(t.lang), p.Price, p.Stock, p.Price.Currency
		if step == stepDNPrice {
			rows = append(rows, []Button{{Text: t.text("btn_use", map[string]any{"Value": t.moneyText(p.Price)}), Action: "dnd:" + n + ":price"}})
		}
	}
	switch step {
	case stepDNLimit:
		rows = append(rows, []Button{{Text: t.text("btn_use", map[string]any{"Value": "1"}), Action: "dnd:" + n + ":limit"}})
	case stepDNTTL:
		rows = append(rows, []Button{{Text: t.text("btn_use", map[string]any{"Value": "15"}), Action: "dnd:" + n + ":ttl"}})
	}
	rows = append(rows, []Button{t.btn("btn_dn_discard", "dnx:"+n)})
	return say(t.text("ask_"+step, data), rows...), nil
}

func (t *turn) moneyText(m commerce.Money) string {
	return t.text("drop_money", map[string]any{"Price": m})
}

// dnBad answers typed input that does not fit and asks again; nothing changes.
func (t *turn) dnBad(key, step string) ([]Reply, error) {
	ask, err := t.dnAsk(step)
	return append(say(t.text(key, map[string]any{"Max": maxDropLimit, "MaxUnits": commerce.MaxDropUnits})), ask...), err
}

func (t *turn) dnProduct(text string) ([]Reply, error) {
	p, err := commerce.FindProduct(t.ctx, t.r.o.Shop.Store(), text)
	if errors.Is(err, commerce.ErrNotFound) {
		return t.dnBad("dn_bad_product", stepDNProduct)
	}
	if err != nil {
		return nil, err
	}
	w := &t.s.DropNew
	if w.Product != p.ID {
		w.Product = p.ID
		w.Price, w.Currency = 0, "" // the old product's price does not carry over
	}
	return t.dnNext()
}

func (t *turn) dnUnits(text string) ([]Reply, error) {
	n, ok := parseInt(strings.TrimSpace(text), 1, commerce.MaxDropUnits)
	if !ok {
		return t.dnBad("dn_bad_units", stepDNUnits)
	}
	w := &t.s.DropNew
	w.Units = n
	if w.Limit > n {
		w.Limit = 0 // ask again: the limit cannot exceed the units
	}
	return t.dnNext()
}

func (t *turn) dnPrice(text string) ([]Reply, error) {
	p, err := t.r.o.Shop.Store().Product(t.ctx, t.s.DropNew.Product)
	if err != nil {
		return nil, err
	}
	m, ok := parseDropPrice(text, p.Price.Currency)
	if !ok {
		return t.dnBad("dn_bad_price", stepDNPrice)
	}
	t.s.DropNew.Price, t.s.DropNew.Currency = m.Amount, m.Currency
	return t.dnNext()
}

// parseDropPrice reads a typed drop price in currency ("129", "129.50",
// "¥129", "129 CNY"); ok is false unless it is positive and sane.
func parseDropPrice(text, currency string) (commerce.Money, bool) {
	s := strings.TrimSpace(strings.NewReplacer("¥", "", "￥", "", "元", "", "₽", "", "$", "", ",", ".", " ", "").Replace(text))
	s = strings.TrimSuffix(strings.ToUpper(s), currency)
	m, err := commerce.ParseMoney(s, currency)
	return m, err == nil && m.Amount > 0 && m.Amount <= 1e12
}

func (t *turn) dnStart(text string) ([]Reply, error) {
	at, err := commerce.ParseDropStart(text, t.r.o.Drops.Now(), t.r.o.TimeZone)
	if err != nil {
		return t.dnBad("dn_bad_start", stepDNStart)
	}
	t.s.DropNew.Start = at.UnixMilli()
	return t.dnNext()
}

func (t *turn) dnLimit(text string) ([]Reply, error) {
	n, ok := parseInt(strings.TrimSpace(text), 1, min(maxDropLimit, max(t.s.DropNew.Units, 1)))
	if !ok {
		return t.dnBad("dn_bad_limit", stepDNLimit)
	}
	t.s.DropNew.Limit = n
	return t.dnNext()
}

func (t *turn) dnTTL(text string) ([]Reply, error) {
	n, ok := parseInt(strings.TrimSuffix(strings.TrimSpace(text), "m"), 1, maxDropTTLMinutes)
	if !ok {
		return t.dnBad("dn_bad_ttl", stepDNTTL)
	}
	t.s.DropNew.TTL = n
	return t.dnNext()
}

// draftDrop is the drop the wizard would schedule.
func (t *turn) draftDrop() commerce.Drop {
	w := t.s.DropNew
	return commerce.Drop{ProductID: w.Product, Units: w.Units, Left: w.Units,
		Price: commerce.Money{Amount: w.Price, Currency: w.Currency}, StartsAt: time.UnixMilli(w.Start),
		TimeZone: zoneName(t.r.o.TimeZone), PerBuyerLimit: w.Limit, ReservationTTL: time.Duration(w.TTL) * time.Minute}
}

// dnPreview shows the buyer card exactly as buyers will see it (the same
// renderer and buttons, which do nothing yet), then the seller's choices.
func (t *turn) dnPreview() ([]Reply, error) {
	t.s.Step = ""
	d := t.draftDrop()
	p, err := t.r.o.Shop.Store().Product(t.ctx, d.ProductID)
	if err != nil {
		return nil, err
	}
	card := t.dropCardReply(d, p, buyerDropState{})
	card.Buttons = t.dropCardButtons(d, buyerDropState{})
	n := t.s.DropNew.Nonce
	return []Reply{
		{Text: t.text("dn_preview_head", nil)},
		card,
		{Text: t.text("dn_preview", t.dropFigures(d, p)), Buttons: [][]Button{
			{t.btn("btn_dn_schedule", "dns:"+n)},
			{t.btn("btn_dn_change", "dnc:"+n), t.btn("btn_dn_discard", "dnx:"+n)},
		}},
	}, nil
}

// dropFigures is the data of the seller's summary and figures texts.
func (t *turn) dropFigures(d commerce.Drop, p commerce.Product) map[string]any {
	return map[string]any{
		"Title": p.Title.In(t.lang), "Code": d.Code, "Units": d.Units, "Left": d.Left, "Price": d.Price,
		"Start": d.StartsAt.In(t.dropZone(d)), "Zone": t.dropZone(d).String(), "Limit": d.PerBuyerLimit,
		"Minutes": int(d.ReservationTTL / time.Minute), "Upcoming": t.r.o.Drops.Now().Before(d.StartsAt),
	}
}

func (t *turn) dnSchedule() ([]Reply, error) {
	w := t.s.DropNew
	if !w.complete() {
		return t.dnNext()
	}
	if time.UnixMilli(w.Start).Before(t.r.o.Drops.Now().Add(-time.Hour)) {
		return t.dnBad("dn_bad_start", stepDNStart) // previewed long ago: the time has passed
	}
	d, err := t.r.o.Drops.Create(t.ctx, t.draftDrop())
	switch {
	case errors.Is(err, commerce.ErrInvalid):
		return t.dnBad("dn_bad_limit", stepDNLimit) // the one rule the steps cannot see alone
	case errors.Is(err, commerce.ErrNotFound):
		return t.dnBad("dn_bad_product", stepDNProduct)
	case err != nil:
		return nil, err
	}
	t.s.DropNew.Made = d.ID
	t.s.Step = ""
	return t.dropScheduled(d.ID)
}

// dropScheduled tells the seller where to share the drop.
func (t *turn) dropScheduled(id int64) ([]Reply, error) {
	d, err := t.r.o.Drops.Get(t.ctx, id)
	if err != nil {
		return nil, err
	}
	p, err := t.r.o.Shop.Store().Product(t.ctx, d.ProductID)
	if err != nil {
		return nil, err
	}
	data := t.dropFigures(d, p)
	var links DropLinks
	if t.r.o.DropLinks != nil {
		links = t.r.o.DropLinks(d.Code)
	}
	data["PageURL"], data["PosterURL"], data["BotURL"] = links.Page, links.Poster, links.Bot
	return say(t.text("dn_scheduled", data),
		[]Button{t.btn("btn_drop_stats", fmt.Sprintf("dv:%d", d.ID)), t.btn("btn_drop_card", fmt.Sprintf("dc:%d", d.ID))}), nil
}

func (t *turn) dropList() ([]Reply, error) {
	list, err := t.r.o.Drops.List(t.ctx, 20)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return say(t.text("drops_empty", nil)), nil
	}
	var rows [][]Button
	for _, d := range list {
		rows = append(rows, []Button{{Text: t.text("drop_list_button", map[string]any{"Title": t.dropTitle(d),
			"Start": d.StartsAt.In(t.dropZone(d)), "Left": d.Left, "Units": d.Units}), Action: fmt.Sprintf("dv:%d", d.ID)}})
	}
	return say(t.text("drops_list", map[string]any{"N": len(list)}), rows...), nil
}

func (t *turn) dropStats(id int64) ([]Reply, error) {
	st, err := t.r.o.Drops.Stats(t.ctx, id)
	if errors.Is(err, commerce.ErrNotFound) {
		return t.stale()
	}
	if err != nil {
		return nil, err
	}
	p, err := t.r.o.Shop.Store().Product(t.ctx, st.Drop.ProductID)
	if err != nil {
		return nil, err
	}
	data := t.dropFigures(st.Drop, p)
	data["Sold"], data["Reserved"], data["Waitlisted"], data["Subscribers"] = st.Sold, st.Reserved, st.Waitlisted, st.Subscribers
	data["Revenue"], data["Orders"] = st.Revenue, st.Orders
	text := t.text("drop_stats", data)
	rows := [][]Button{{t.btn("btn_drop_refresh", fmt.Sprintf("dv:%d", id)), t.btn("btn_drop_card", fmt.Sprintf("dc:%d", id))}}
	if st.Drop.CancelledAt.IsZero() {
		rows = append(rows, []Button{t.btn("btn_da_edit", fmt.Sprintf("dae:%d", id)), t.btn("btn_da_cancel", fmt.Sprintf("dax:%d", id))})
	} else {
		text += "\n" + t.text("da_stats_cancelled", map[string]any{"At": st.Drop.CancelledAt.In(t.dropZone(st.Drop))})
	}
	rows = append(rows, []Button{t.btn("btn_drops", "dl")})
	return say(text, rows...), nil
}
