package bot

import (
	"errors"
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
//
// Verbs of the drop wizard and the seller's drop list.
const (
	VerbDropNew         Verb = "dn"
	VerbDropNewDefault  Verb = "dnd"
	VerbDropNewChange   Verb = "dnc"
	VerbDropNewBack     Verb = "dnb"
	VerbDropNewField    Verb = "dnf"
	VerbDropNewSchedule Verb = "dns"
	VerbDropNewDiscard  Verb = "dnx"
	VerbDropStats       Verb = "dv"
	VerbDropList        Verb = "dl"
)

// Commands of sellers' drops.
const (
	CmdNewDrop Command = "/newdrop"
	CmdDrops   Command = "/drops"
)

// sellerRoutes are the sellers' routes of drops: the wizard, the list, a
// drop's figures and its changes (dropadmin.go).
func (h *dropsHandler) sellerRoutes() routes {
	return routes{
		commands: map[Command]commandFunc{
			CmdNewDrop: h.newDrop,
			CmdDrops: func(t *turn, _ string) ([]Reply, error) {
				if !h.dropSeller(t) {
					return t.help("help_unknown")
				}
				return h.dropList(t)
			},
		},
		actions: map[Verb]actionFunc{
			VerbDropNew:         h.newDropOf,
			VerbDropNewDefault:  h.wizard(h.dnDefault),
			VerbDropNewChange:   h.wizard(h.dnChange),
			VerbDropNewBack:     h.wizard(func(t *turn, _ args) ([]Reply, error) { return h.dnNext(t) }),
			VerbDropNewField:    h.wizard(h.dnField),
			VerbDropNewSchedule: h.wizard(func(t *turn, _ args) ([]Reply, error) { return h.dnSchedule(t) }),
			VerbDropNewDiscard:  h.wizard(h.dnDiscard),
			VerbDropStats: func(t *turn, a args) ([]Reply, error) {
				id, ok := a.id(0)
				if !ok || len(a) != 1 || !h.dropSeller(t) {
					return t.stale()
				}
				return h.dropStats(t, id)
			},
			VerbDropList: func(t *turn, _ args) ([]Reply, error) {
				if !h.dropSeller(t) {
					return t.stale()
				}
				return h.dropList(t)
			},
			VerbDropEdit:      h.sellerDrop(func(t *turn, d commerce.Drop, _ args) ([]Reply, error) { return h.daMenu(t, d) }),
			VerbDropEditField: h.sellerDrop(h.daField),
			VerbDropCancel:    h.sellerDrop(h.daCancelAsk),
			VerbDropCancelOK:  h.sellerDrop(h.daCancel),
		},
		steps: map[Step]stepFunc{
			stepDNProduct: h.dnStep(h.dnProduct),
			stepDNUnits:   h.dnStep(h.dnUnits),
			stepDNPrice:   h.dnStep(h.dnPrice),
			stepDNStart:   h.dnStep(h.dnStart),
			stepDNLimit:   h.dnStep(h.dnLimit),
			stepDNTTL:     h.dnStep(h.dnTTL),
			stepDAValue:   h.daValueStep,
		},
	}
}

// newDrop runs /newdrop [ID|SKU].
func (h *dropsHandler) newDrop(t *turn, arg string) ([]Reply, error) {
	if !h.dropSeller(t) {
		return t.help("help_unknown")
	}
	t.s.Drops.New = DropWizard{Nonce: newNonce()}
	if arg == "" {
		return h.dnAsk(t, stepDNProduct)
	}
	return h.dnProduct(t, arg)
}

// newDropOf starts a drop of a product from its seller card: "<product>".
func (h *dropsHandler) newDropOf(t *turn, a args) ([]Reply, error) {
	if _, ok := a.id(0); !ok || len(a) != 1 || !h.dropSeller(t) {
		return t.stale()
	}
	t.s.Drops.New = DropWizard{Nonce: newNonce()}
	return h.dnProduct(t, a.str(0))
}

// dnDefault takes a field's default: "<nonce>:price|limit|ttl".
func (h *dropsHandler) dnDefault(t *turn, a args) ([]Reply, error) {
	w := &t.s.Drops.New
	switch a.str(1) {
	case "price":
		p, err := h.shop.Store().Product(t.ctx, w.Product)
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
	return h.dnNext(t)
}

// dnChange offers the fields of a complete draft to change.
func (h *dropsHandler) dnChange(t *turn, _ args) ([]Reply, error) {
	if !t.s.Drops.New.complete() {
		return t.stale()
	}
	n := t.s.Drops.New.Nonce
	b := func(key, field string) Button { return t.btn(key, VerbDropNewField.Of(n, field)) }
	return say(t.text("dn_change", nil),
		[]Button{b("btn_dn_product", "product"), b("btn_dn_units", "units"), b("btn_dn_price", "price")},
		[]Button{b("btn_dn_start", "start"), b("btn_dn_limit", "limit"), b("btn_dn_ttl", "ttl")},
		[]Button{t.btn("btn_dn_back", VerbDropNewBack.Of(n))}), nil
}

// dnField asks again for one field of a complete draft: "<nonce>:<field>".
func (h *dropsHandler) dnField(t *turn, a args) ([]Reply, error) {
	var step Step
	switch a.str(1) {
	case "product":
		step = stepDNProduct
	case "units":
		step = stepDNUnits
	case "price":
		step = stepDNPrice
	case "start":
		step = stepDNStart
	case "limit":
		step = stepDNLimit
	case "ttl":
		step = stepDNTTL
	}
	if step == "" || !t.s.Drops.New.complete() {
		return t.stale()
	}
	return h.dnAsk(t, step)
}

// dnDiscard throws the draft away.
func (h *dropsHandler) dnDiscard(t *turn, _ args) ([]Reply, error) {
	t.s.Drops.New = DropWizard{}
	if strings.HasPrefix(string(t.s.Step), "dn_") {
		t.s.Step = ""
	}
	return say(t.text("dn_discarded", nil), t.mainMenu()...), nil
}

// dnStep guards a wizard step: a seller with a draft.
func (h *dropsHandler) dnStep(f stepFunc) stepFunc {
	return func(t *turn, text string) ([]Reply, error) {
		if !h.dropSeller(t) || t.s.Drops.New.Nonce == "" {
			t.s.Step = ""
			return t.help("help_unknown")
		}
		return f(t, text)
	}
}

// Steps of the drop wizard.
const (
	stepDNProduct Step = "dn_product"
	stepDNUnits   Step = "dn_units"
	stepDNPrice   Step = "dn_price"
	stepDNStart   Step = "dn_start"
	stepDNLimit   Step = "dn_limit"
	stepDNTTL     Step = "dn_ttl"
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
func (h *dropsHandler) dropSeller(t *turn) bool {
	return h.dropService != nil && t.isAdmin() && !t.m.Group
}

// wizard guards a wizard button: a seller, the draft's nonce, not scheduled yet.
func (h *dropsHandler) wizard(f actionFunc) actionFunc {
	return func(t *turn, a args) ([]Reply, error) {
		w := t.s.Drops.New
		if !h.dropSeller(t) || w.Nonce == "" || a.str(0) != w.Nonce {
			return t.stale()
		}
		if w.Made != 0 {
			return h.dropScheduled(t, w.Made)
		}
		return f(t, a)
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
func (h *dropsHandler) dnNext(t *turn) ([]Reply, error) {
	w := t.s.Drops.New
	switch {
	case w.Product == 0:
		return h.dnAsk(t, stepDNProduct)
	case w.Units == 0:
		return h.dnAsk(t, stepDNUnits)
	case w.Price == 0:
		return h.dnAsk(t, stepDNPrice)
	case w.Start == 0:
		return h.dnAsk(t, stepDNStart)
	case w.Limit == 0:
		return h.dnAsk(t, stepDNLimit)
	case w.TTL == 0:
		return h.dnAsk(t, stepDNTTL)
	}
	return h.dnPreview(t)
}

// dnAsk asks for one field, with its default as a button where there is one.
func (h *dropsHandler) dnAsk(t *turn, step Step) ([]Reply, error) {
	w := t.s.Drops.New
	t.s.Step = step
	n := w.Nonce
	var rows [][]Button
	data := map[string]any{"Zone": h.zone.String(), "Max": maxDropLimit}
	if w.Product > 0 {
		p, err := h.shop.Store().Product(t.ctx, w.Product)
		if err != nil {
			return nil, err
		}
		data["Title"], data["Regular"], data["Stock"], data["Currency"] = p.Title.In(t.lang), p.Price, p.Stock, p.Price.Currency
		if step == stepDNPrice {
			rows = append(rows, []Button{{Text: t.text("btn_use", map[string]any{"Value": h.moneyText(t, p.Price)}), Action: VerbDropNewDefault.Of(n, "price")}})
		}
	}
	switch step {
	case stepDNLimit:
		rows = append(rows, []Button{{Text: t.text("btn_use", map[string]any{"Value": "1"}), Action: VerbDropNewDefault.Of(n, "limit")}})
	case stepDNTTL:
		rows = append(rows, []Button{{Text: t.text("btn_use", map[string]any{"Value": "15"}), Action: VerbDropNewDefault.Of(n, "ttl")}})
	}
	rows = append(rows, []Button{t.btn("btn_dn_discard", VerbDropNewDiscard.Of(n))})
	return say(t.text("ask_"+string(step), data), rows...), nil
}

func (h *dropsHandler) moneyText(t *turn, m commerce.Money) string {
	return t.text("drop_money", map[string]any{"Price": m})
}

// dnBad answers typed input that does not fit and asks again; nothing changes.
func (h *dropsHandler) dnBad(t *turn, key string, step Step) ([]Reply, error) {
	ask, err := h.dnAsk(t, step)
	return append(say(t.text(key, map[string]any{"Max": maxDropLimit, "MaxUnits": commerce.MaxDropUnits})), ask...), err
}

func (h *dropsHandler) dnProduct(t *turn, text string) ([]Reply, error) {
	p, err := commerce.FindProduct(t.ctx, h.shop.Store(), text)
	if errors.Is(err, commerce.ErrNotFound) {
		return h.dnBad(t, "dn_bad_product", stepDNProduct)
	}
	if err != nil {
		return nil, err
	}
	w := &t.s.Drops.New
	if w.Product != p.ID {
		w.Product = p.ID
		w.Price, w.Currency = 0, "" // the old product's price does not carry over
	}
	return h.dnNext(t)
}

func (h *dropsHandler) dnUnits(t *turn, text string) ([]Reply, error) {
	n, ok := parseInt(strings.TrimSpace(text), 1, commerce.MaxDropUnits)
	if !ok {
		return h.dnBad(t, "dn_bad_units", stepDNUnits)
	}
	w := &t.s.Drops.New
	w.Units = n
	if w.Limit > n {
		w.Limit = 0 // ask again: the limit cannot exceed the units
	}
	return h.dnNext(t)
}

func (h *dropsHandler) dnPrice(t *turn, text string) ([]Reply, error) {
	p, err := h.shop.Store().Product(t.ctx, t.s.Drops.New.Product)
	if err != nil {
		return nil, err
	}
	m, ok := parseDropPrice(text, p.Price.Currency)
	if !ok {
		return h.dnBad(t, "dn_bad_price", stepDNPrice)
	}
	t.s.Drops.New.Price, t.s.Drops.New.Currency = m.Amount, m.Currency
	return h.dnNext(t)
}

// parseDropPrice reads a typed drop price in currency ("129", "129.50",
// "¥129", "129 CNY"); ok is false unless it is positive and sane.
func parseDropPrice(text, currency string) (commerce.Money, bool) {
	s := strings.TrimSpace(strings.NewReplacer("¥", "", "￥", "", "元", "", "₽", "", "$", "", ",", ".", " ", "").Replace(text))
	s = strings.TrimSuffix(strings.ToUpper(s), currency)
	m, err := commerce.ParseMoney(s, currency)
	return m, err == nil && m.Amount > 0 && m.Amount <= 1e12
}

func (h *dropsHandler) dnStart(t *turn, text string) ([]Reply, error) {
	at, err := commerce.ParseDropStart(text, h.dropService.Now(), h.zone)
	if err != nil {
		return h.dnBad(t, "dn_bad_start", stepDNStart)
	}
	t.s.Drops.New.Start = at.UnixMilli()
	return h.dnNext(t)
}

func (h *dropsHandler) dnLimit(t *turn, text string) ([]Reply, error) {
	n, ok := parseInt(strings.TrimSpace(text), 1, min(maxDropLimit, max(t.s.Drops.New.Units, 1)))
	if !ok {
		return h.dnBad(t, "dn_bad_limit", stepDNLimit)
	}
	t.s.Drops.New.Limit = n
	return h.dnNext(t)
}

func (h *dropsHandler) dnTTL(t *turn, text string) ([]Reply, error) {
	n, ok := parseInt(strings.TrimSuffix(strings.TrimSpace(text), "m"), 1, maxDropTTLMinutes)
	if !ok {
		return h.dnBad(t, "dn_bad_ttl", stepDNTTL)
	}
	t.s.Drops.New.TTL = n
	return h.dnNext(t)
}

// draftDrop is the drop the wizard would schedule.
func (h *dropsHandler) draftDrop(t *turn) commerce.Drop {
	w := t.s.Drops.New
	return commerce.Drop{ProductID: w.Product, Units: w.Units, Left: w.Units,
		Price: commerce.Money{Amount: w.Price, Currency: w.Currency}, StartsAt: time.UnixMilli(w.Start),
		TimeZone: zoneName(h.zone), PerBuyerLimit: w.Limit, ReservationTTL: time.Duration(w.TTL) * time.Minute}
}

// dnPreview shows the buyer card exactly as buyers will see it (the same
// renderer and buttons, which do nothing yet), then the seller's choices.
func (h *dropsHandler) dnPreview(t *turn) ([]Reply, error) {
	t.s.Step = ""
	d := h.draftDrop(t)
	p, err := h.shop.Store().Product(t.ctx, d.ProductID)
	if err != nil {
		return nil, err
	}
	card := h.dropCardReply(t, d, p, buyerDropState{})
	card.Buttons = h.dropCardButtons(t, d, buyerDropState{})
	n := t.s.Drops.New.Nonce
	return []Reply{
		{Text: t.text("dn_preview_head", nil)},
		card,
		{Text: t.text("dn_preview", h.dropFigures(t, d, p)), Buttons: [][]Button{
			{t.btn("btn_dn_schedule", VerbDropNewSchedule.Of(n))},
			{t.btn("btn_dn_change", VerbDropNewChange.Of(n)), t.btn("btn_dn_discard", VerbDropNewDiscard.Of(n))},
		}},
	}, nil
}

// dropFigures is the data of the seller's summary and figures texts.
func (h *dropsHandler) dropFigures(t *turn, d commerce.Drop, p commerce.Product) map[string]any {
	return map[string]any{
		"Title": p.Title.In(t.lang), "Code": d.Code, "Units": d.Units, "Left": d.Left, "Price": d.Price,
		"Start": d.StartsAt.In(h.dropZone(t, d)), "Zone": h.dropZone(t, d).String(), "Limit": d.PerBuyerLimit,
		"Minutes": int(d.ReservationTTL / time.Minute), "Upcoming": h.dropService.Now().Before(d.StartsAt),
	}
}

func (h *dropsHandler) dnSchedule(t *turn) ([]Reply, error) {
	w := t.s.Drops.New
	if !w.complete() {
		return h.dnNext(t)
	}
	if time.UnixMilli(w.Start).Before(h.dropService.Now().Add(-time.Hour)) {
		return h.dnBad(t, "dn_bad_start", stepDNStart) // previewed long ago: the time has passed
	}
	d, err := h.dropService.Create(t.ctx, h.draftDrop(t))
	switch {
	case errors.Is(err, commerce.ErrInvalid):
		return h.dnBad(t, "dn_bad_limit", stepDNLimit) // the one rule the steps cannot see alone
	case errors.Is(err, commerce.ErrNotFound):
		return h.dnBad(t, "dn_bad_product", stepDNProduct)
	case err != nil:
		return nil, err
	}
	t.s.Drops.New.Made = d.ID
	t.s.Step = ""
	return h.dropScheduled(t, d.ID)
}

// dropScheduled tells the seller where to share the drop.
func (h *dropsHandler) dropScheduled(t *turn, id int64) ([]Reply, error) {
	d, err := h.dropService.Get(t.ctx, id)
	if err != nil {
		return nil, err
	}
	p, err := h.shop.Store().Product(t.ctx, d.ProductID)
	if err != nil {
		return nil, err
	}
	data := h.dropFigures(t, d, p)
	var links DropLinks
	if h.links != nil {
		links = h.links(d.Code)
	}
	data["PageURL"], data["PosterURL"], data["BotURL"] = links.Page, links.Poster, links.Bot
	return say(t.text("dn_scheduled", data),
		[]Button{t.btn("btn_drop_stats", VerbDropStats.Of(d.ID)), t.btn("btn_drop_card", VerbDropCard.Of(d.ID))}), nil
}

func (h *dropsHandler) dropList(t *turn) ([]Reply, error) {
	list, err := h.dropService.List(t.ctx, 20)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return say(t.text("drops_empty", nil)), nil
	}
	var rows [][]Button
	for _, d := range list {
		rows = append(rows, []Button{{Text: t.text("drop_list_button", map[string]any{"Title": h.dropTitle(t, d),
			"Start": d.StartsAt.In(h.dropZone(t, d)), "Left": d.Left, "Units": d.Units}), Action: VerbDropStats.Of(d.ID)}})
	}
	return say(t.text("drops_list", map[string]any{"N": len(list)}), rows...), nil
}

func (h *dropsHandler) dropStats(t *turn, id int64) ([]Reply, error) {
	st, err := h.dropService.Stats(t.ctx, id)
	if errors.Is(err, commerce.ErrNotFound) {
		return t.stale()
	}
	if err != nil {
		return nil, err
	}
	p, err := h.shop.Store().Product(t.ctx, st.Drop.ProductID)
	if err != nil {
		return nil, err
	}
	data := h.dropFigures(t, st.Drop, p)
	data["Sold"], data["Reserved"], data["Waitlisted"], data["Subscribers"] = st.Sold, st.Reserved, st.Waitlisted, st.Subscribers
	data["Revenue"], data["Orders"] = st.Revenue, st.Orders
	text := t.text("drop_stats", data)
	rows := [][]Button{{t.btn("btn_drop_refresh", VerbDropStats.Of(id)), t.btn("btn_drop_card", VerbDropCard.Of(id))}}
	if st.Drop.CancelledAt.IsZero() {
		rows = append(rows, []Button{t.btn("btn_da_edit", VerbDropEdit.Of(id)), t.btn("btn_da_cancel", VerbDropCancel.Of(id))})
	} else {
		text += "\n" + t.text("da_stats_cancelled", map[string]any{"At": st.Drop.CancelledAt.In(h.dropZone(t, st.Drop))})
	}
	rows = append(rows, []Button{t.btn("btn_drops", VerbDropList.Of())})
	return say(text, rows...), nil
}
