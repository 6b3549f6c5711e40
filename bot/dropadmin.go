package bot

import (
	"errors"
	"fmt"
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
func init() {
	registerAction("dae", sellerDrop(func(t *turn, d commerce.Drop, _ []string) ([]Reply, error) {
		return t.daMenu(d)
	}))
	registerAction("daf", sellerDrop(func(t *turn, d commerce.Drop, args []string) ([]Reply, error) {
		field := arg(args, 1)
		if _, ok := daFields[field]; !ok || len(args) != 2 {
			return t.stale()
		}
		if !d.CancelledAt.IsZero() {
			return t.daRefused(d, "da_already_cancelled")
		}
		if field != "units" && !t.r.o.Drops.Now().Before(d.StartsAt) {
			return t.daRefused(d, "da_started")
		}
		t.s.DropEdit = DropEditState{ID: d.ID, Field: field}
		return t.daAsk(d)
	}))
	registerAction("dax", sellerDrop(func(t *turn, d commerce.Drop, _ []string) ([]Reply, error) {
		if !d.CancelledAt.IsZero() {
			return t.daRefused(d, "da_already_cancelled")
		}
		st, err := t.r.o.Drops.Stats(t.ctx, d.ID)
		if err != nil {
			return nil, err
		}
		data := t.daData(d)
		data["Orders"], data["Reserved"] = st.Orders, st.Reserved
		return say(t.text("da_cancel_confirm", data),
			[]Button{t.btn("btn_da_cancel_yes", fmt.Sprintf("daxy:%d", d.ID)), t.btn("btn_da_keep", fmt.Sprintf("dv:%d", d.ID))}), nil
	}))
	registerAction("daxy", sellerDrop(func(t *turn, d commerce.Drop, _ []string) ([]Reply, error) {
		d, cancelled, err := t.r.o.Drops.Cancel(t.ctx, d.ID)
		if err != nil {
			return nil, err
		}
		if !cancelled {
			return t.daRefused(d, "da_already_cancelled")
		}
		if t.s.DropEdit.ID == d.ID {
			t.daLeave()
		}
		st, err := t.r.o.Drops.Stats(t.ctx, d.ID)
		if err != nil {
			return nil, err
		}
		data := t.daData(d)
		data["Orders"], data["Sold"] = st.Orders, st.Sold
		return say(t.text("da_cancelled", data), []Button{t.btn("btn_drop_stats", fmt.Sprintf("dv:%d", d.ID)), t.btn("btn_drops", "dl")}), nil
	}))
	registerStep(stepDAValue, func(t *turn, text string) ([]Reply, error) {
		e := t.s.DropEdit
		if !t.dropSeller() || e.ID == 0 {
			t.daLeave()
			return t.help("help_unknown")
		}
		d, err := t.r.o.Drops.Get(t.ctx, e.ID)
		if errors.Is(err, commerce.ErrNotFound) {
			t.daLeave()
			return t.stale()
		}
		if err != nil {
			return nil, err
		}
		return t.daValue(d, text)
	})
}

// stepDAValue waits for the typed value of DropEditState.Field.
const stepDAValue = "da_value"

// daFields maps a field to the /newdrop texts that say what a bad value is.
var daFields = map[string]string{
	"start": "dn_bad_start", "price": "dn_bad_price", "units": "dn_bad_units", "limit": "dn_bad_limit", "ttl": "dn_bad_ttl",
}

// DropEditState is the drop field a seller is changing.
type DropEditState struct {
	ID    int64  `json:"d,omitempty"`
	Field string `json:"f,omitempty"`
}

// sellerDrop guards a seller's drop button: a seller in private, a known drop.
func sellerDrop(f func(t *turn, d commerce.Drop, args []string) ([]Reply, error)) actionFunc {
	drop := withDrop(f)
	return func(t *turn, rest string, args []string) ([]Reply, error) {
		if !t.dropSeller() {
			return t.stale()
		}
		return drop(t, rest, args)
	}
}

func (t *turn) daLeave() {
	t.s.DropEdit = DropEditState{}
	if t.s.Step == stepDAValue {
		t.s.Step = ""
	}
}

// daData is the data of the dropadmin texts: the drop's figures.
func (t *turn) daData(d commerce.Drop) map[string]any {
	data := map[string]any{"Title": t.dropTitle(d), "Code": d.Code}
	p, err := t.r.o.Shop.Store().Product(t.ctx, d.ProductID)
	if err == nil {
		data = t.dropFigures(d, p)
	}
	data["Currency"], data["Max"], data["MaxUnits"] = d.Price.Currency, min(maxDropLimit, d.Units), commerce.MaxDropUnits
	data["Started"] = !t.r.o.Drops.Now().Before(d.StartsAt)
	return data
}

// daMenu offers the fields that may change now.
func (t *turn) daMenu(d commerce.Drop) ([]Reply, error) {
	if !d.CancelledAt.IsZero() {
		return t.daRefused(d, "da_already_cancelled")
	}
	b := func(key, field string) Button { return t.btn(key, fmt.Sprintf("daf:%d:%s", d.ID, field)) }
	rows := [][]Button{{b("btn_dn_units", "units")}}
	if t.r.o.Drops.Now().Before(d.StartsAt) {
		rows = [][]Button{
			{b("btn_dn_start", "start"), b("btn_dn_price", "price")},
			{b("btn_dn_units", "units"), b("btn_dn_limit", "limit"), b("btn_dn_ttl", "ttl")},
		}
	}
	rows = append(rows, []Button{t.btn("btn_dn_back", fmt.Sprintf("dv:%d", d.ID))})
	return say(t.text("da_menu", t.daData(d)), rows...), nil
}

// daAsk asks for the value of the field being changed.
func (t *turn) daAsk(d commerce.Drop) ([]Reply, error) {
	t.s.Step = stepDAValue
	return say(t.text("da_ask_"+t.s.DropEdit.Field, t.daData(d)), []Button{t.btn("btn_dn_back", fmt.Sprintf("dae:%d", d.ID))}), nil
}

// daRefused says why the drop cannot change now and shows its figures.
func (t *turn) daRefused(d commerce.Drop, key string) ([]Reply, error) {
	t.daLeave()
	stats, err := t.dropStats(d.ID)
	return append(say(t.text(key, t.daData(d))), stats...), err
}

// daBad answers a value that does not fit and asks again; nothing changes.
func (t *turn) daBad(d commerce.Drop, key string) ([]Reply, error) {
	ask, err := t.daAsk(d)
	return append(say(t.text(key, t.daData(d))), ask...), err
}

// daValue parses the typed value like /newdrop does and applies it.
func (t *turn) daValue(d commerce.Drop, text string) ([]Reply, error) {
	field := t.s.DropEdit.Field
	bad, ok := daFields[field]
	if !ok {
		t.daLeave()
		return t.stale()
	}
	text = strings.TrimSpace(text)
	var e commerce.DropEdit
	switch field {
	case "start":
		at, err := commerce.ParseDropStart(text, t.r.o.Drops.Now(), t.dropZone(d))
		if err != nil {
			return t.daBad(d, bad)
		}
		e.StartsAt = &at
	case "price":
		m, ok := parseDropPrice(text, d.Price.Currency)
		if !ok {
			return t.daBad(d, bad)
		}
		e.Price = &m
	case "units":
		n, ok := parseInt(text, 1, commerce.MaxDropUnits)
		if !ok {
			return t.daBad(d, bad)
		}
		e.Units = &n
	case "limit":
		n, ok := parseInt(text, 1, min(maxDropLimit, max(d.Units, 1)))
		if !ok {
			return t.daBad(d, bad)
		}
		e.PerBuyerLimit = &n
	case "ttl":
		n, ok := parseInt(strings.TrimSuffix(text, "m"), 1, maxDropTTLMinutes)
		if !ok {
			return t.daBad(d, bad)
		}
		ttl := time.Duration(n) * time.Minute
		e.ReservationTTL = &ttl
	}
	after, err := t.r.o.Drops.Edit(t.ctx, d.ID, e)
	switch {
	case errors.Is(err, commerce.ErrDropCancelled):
		return t.daRefused(d, "da_already_cancelled")
	case errors.Is(err, commerce.ErrDropStarted):
		if field == "units" && !t.r.o.Drops.Now().Before(d.StartsAt) {
			return t.daBad(d, "da_units_only_up") // running: more units, never fewer
		}
		return t.daRefused(d, "da_started")
	case errors.Is(err, commerce.ErrInvalid):
		return t.daBad(d, "da_bad_units_limit") // the one rule a field cannot see alone
	case err != nil:
		return nil, err
	}
	t.daLeave()
	stats, err := t.dropStats(after.ID)
	return append(say(t.text("da_saved", t.daData(after))), stats...), err
}
