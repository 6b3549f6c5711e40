package bot

import (
	"errors"
	"strings"
	"time"

	"shopbot/commerce"
)

// A seller's changes of a scheduled drop, from its figures (dv:<drop>):
// ✏️ Change offers the fields (before the start all of them, after it only
// the units), each asked and checked like /newdrop's step of the same name;
// 🛑 Cancel asks for a confirmation first.
//
// Button payloads:
//
//	dae:<drop>            the change menu
//	daf:<drop>:<field>    change start|price|units|limit|ttl (a typed value follows)
//	dax:<drop>            ask to confirm the cancel
//	daxy:<drop>           cancel
//
// Verbs of a seller's drop changes.
const (
	VerbDropEdit      Verb = "dae"
	VerbDropEditField Verb = "daf"
	VerbDropCancel    Verb = "dax"
	VerbDropCancelOK  Verb = "daxy"
)

// daField starts changing one field: "<drop>:<field>".
func (h *dropsHandler) daField(t *turn, d commerce.Drop, a args) ([]Reply, error) {
	field := a.str(1)
	if _, ok := daBadKey(field); !ok || len(a) != 2 {
		return t.stale()
	}
	if !d.CancelledAt.IsZero() {
		return h.daRefused(t, d, "da_already_cancelled")
	}
	if field != "units" && !h.dropService.Now().Before(d.StartsAt) {
		return h.daRefused(t, d, "da_started")
	}
	t.s.Drops.Edit = DropEditState{ID: d.ID, Field: field}
	return h.daAsk(t, d)
}

// daCancelAsk asks the seller to confirm cancelling a drop.
func (h *dropsHandler) daCancelAsk(t *turn, d commerce.Drop, _ args) ([]Reply, error) {
	if !d.CancelledAt.IsZero() {
		return h.daRefused(t, d, "da_already_cancelled")
	}
	st, err := h.dropService.Stats(t.ctx, d.ID)
	if err != nil {
		return nil, err
	}
	data := h.daData(t, d)
	data["Orders"], data["Reserved"] = st.Orders, st.Reserved
	return say(t.text("da_cancel_confirm", data),
		[]Button{t.btn("btn_da_cancel_yes", VerbDropCancelOK.Of(d.ID)), t.btn("btn_da_keep", VerbDropStats.Of(d.ID))}), nil
}

// daCancel cancels a drop (once).
func (h *dropsHandler) daCancel(t *turn, d commerce.Drop, _ args) ([]Reply, error) {
	d, cancelled, err := h.dropService.Cancel(t.ctx, d.ID)
	if err != nil {
		return nil, err
	}
	if !cancelled {
		return h.daRefused(t, d, "da_already_cancelled")
	}
	if t.s.Drops.Edit.ID == d.ID {
		h.daLeave(t)
	}
	st, err := h.dropService.Stats(t.ctx, d.ID)
	if err != nil {
		return nil, err
	}
	data := h.daData(t, d)
	data["Orders"], data["Sold"] = st.Orders, st.Sold
	return say(t.text("da_cancelled", data), []Button{t.btn("btn_drop_stats", VerbDropStats.Of(d.ID)), t.btn("btn_drops", VerbDropList.Of())}), nil
}

// daValueStep takes the typed value of the field being changed.
func (h *dropsHandler) daValueStep(t *turn, text string) ([]Reply, error) {
	e := t.s.Drops.Edit
	if !h.dropSeller(t) || e.ID == 0 {
		h.daLeave(t)
		return t.help("help_unknown")
	}
	d, err := h.dropService.Get(t.ctx, e.ID)
	if errors.Is(err, commerce.ErrNotFound) {
		h.daLeave(t)
		return t.stale()
	}
	if err != nil {
		return nil, err
	}
	return h.daValue(t, d, text)
}

// stepDAValue waits for the typed value of DropEditState.Field.
const stepDAValue Step = "da_value"

// daBadKey is the /newdrop text that says what a bad value of a field is;
// ok is false for a field that cannot be changed.
func daBadKey(field string) (key string, ok bool) {
	switch field {
	case "start", "price", "units", "limit", "ttl":
		return "dn_bad_" + field, true
	}
	return "", false
}

// DropEditState is the drop field a seller is changing.
type DropEditState struct {
	ID    int64  `json:"d,omitempty"`
	Field string `json:"f,omitempty"`
}

// sellerDrop guards a seller's drop button: a seller in private, a known drop.
func (h *dropsHandler) sellerDrop(f func(t *turn, d commerce.Drop, a args) ([]Reply, error)) actionFunc {
	drop := h.withDrop(f)
	return func(t *turn, a args) ([]Reply, error) {
		if !h.dropSeller(t) {
			return t.stale()
		}
		return drop(t, a)
	}
}

func (h *dropsHandler) daLeave(t *turn) {
	t.s.Drops.Edit = DropEditState{}
	t.s.leaveStep(stepDAValue)
}

// daData is the data of the dropadmin texts: the drop's figures.
func (h *dropsHandler) daData(t *turn, d commerce.Drop) map[string]any {
	data := map[string]any{"Title": h.dropTitle(t, d), "Code": d.Code}
	p, err := h.shop.Store().Product(t.ctx, d.ProductID)
	if err == nil {
		data = h.dropFigures(t, d, p)
	}
	data["Currency"], data["Max"], data["MaxUnits"] = d.Price.Currency, min(maxDropLimit, d.Units), commerce.MaxDropUnits
	data["Started"] = !h.dropService.Now().Before(d.StartsAt)
	return data
}

// daMenu offers the fields that may change now.
func (h *dropsHandler) daMenu(t *turn, d commerce.Drop) ([]Reply, error) {
	if !d.CancelledAt.IsZero() {
		return h.daRefused(t, d, "da_already_cancelled")
	}
	b := func(key, field string) Button { return t.btn(key, VerbDropEditField.Of(d.ID, field)) }
	rows := [][]Button{{b("btn_dn_units", "units")}}
	if h.dropService.Now().Before(d.StartsAt) {
		rows = [][]Button{
			{b("btn_dn_start", "start"), b("btn_dn_price", "price")},
			{b("btn_dn_units", "units"), b("btn_dn_limit", "limit"), b("btn_dn_ttl", "ttl")},
		}
	}
	rows = append(rows, []Button{t.btn("btn_dn_back", VerbDropStats.Of(d.ID))})
	return say(t.text("da_menu", h.daData(t, d)), rows...), nil
}

// daAsk asks for the value of the field being changed.
func (h *dropsHandler) daAsk(t *turn, d commerce.Drop) ([]Reply, error) {
	t.s.Step = stepDAValue
	return say(t.text("da_ask_"+t.s.Drops.Edit.Field, h.daData(t, d)), []Button{t.btn("btn_dn_back", VerbDropEdit.Of(d.ID))}), nil
}

// daRefused says why the drop cannot change now and shows its figures.
func (h *dropsHandler) daRefused(t *turn, d commerce.Drop, key string) ([]Reply, error) {
	h.daLeave(t)
	stats, err := h.dropStats(t, d.ID)
	return append(say(t.text(key, h.daData(t, d))), stats...), err
}

// daBad answers a value that does not fit and asks again; nothing changes.
func (h *dropsHandler) daBad(t *turn, d commerce.Drop, key string) ([]Reply, error) {
	ask, err := h.daAsk(t, d)
	return append(say(t.text(key, h.daData(t, d))), ask...), err
}

// daValue parses the typed value like /newdrop does and applies it.
func (h *dropsHandler) daValue(t *turn, d commerce.Drop, text string) ([]Reply, error) {
	field := t.s.Drops.Edit.Field
	bad, ok := daBadKey(field)
	if !ok {
		h.daLeave(t)
		return t.stale()
	}
	text = strings.TrimSpace(text)
	var e commerce.DropEdit
	switch field {
	case "start":
		at, err := commerce.ParseDropStart(text, h.dropService.Now(), h.dropZone(t, d))
		if err != nil {
			return h.daBad(t, d, bad)
		}
		e.StartsAt = &at
	case "price":
		m, ok := parseDropPrice(text, d.Price.Currency)
		if !ok {
			return h.daBad(t, d, bad)
		}
		e.Price = &m
	case "units":
		n, ok := parseInt(text, 1, commerce.MaxDropUnits)
		if !ok {
			return h.daBad(t, d, bad)
		}
		e.Units = &n
	case "limit":
		n, ok := parseInt(text, 1, min(maxDropLimit, max(d.Units, 1)))
		if !ok {
			return h.daBad(t, d, bad)
		}
		e.PerBuyerLimit = &n
	case "ttl":
		n, ok := parseInt(strings.TrimSuffix(text, "m"), 1, maxDropTTLMinutes)
		if !ok {
			return h.daBad(t, d, bad)
		}
		ttl := time.Duration(n) * time.Minute
		e.ReservationTTL = &ttl
	}
	after, err := h.dropService.Edit(t.ctx, d.ID, e)
	switch {
	case errors.Is(err, commerce.ErrDropCancelled):
		return h.daRefused(t, d, "da_already_cancelled")
	case errors.Is(err, commerce.ErrDropStarted):
		if field == "units" && !h.dropService.Now().Before(d.StartsAt) {
			return h.daBad(t, d, "da_units_only_up") // running: more units, never fewer
		}
		return h.daRefused(t, d, "da_started")
	case errors.Is(err, commerce.ErrInvalid):
		return h.daBad(t, d, "da_bad_units_limit") // the one rule a field cannot see alone
	case err != nil:
		return nil, err
	}
	h.daLeave(t)
	stats, err := h.dropStats(t, after.ID)
	return append(say(t.text("da_saved", h.daData(t, after))), stats...), err
}
