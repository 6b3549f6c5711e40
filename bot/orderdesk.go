package bot

import (
	"context"
	"errors"
	"fmt"

	"shopbot/commerce"
)

// The sellers' order desk (commerce.OrderDesk): /orders for a seller shows
// the open orders by shelf (new, to ship, on the way, at the point,
// awaiting pickup, overdue, returns) with counts; each shelf pages through
// its orders; a number or the last digits of a phone find an order; the
// order card carries the actions — cancel with a reason (ordercancel.go),
// mark shipped or arrived, a note to the buyer (delivered as a notice).
// A seller who also buys reaches their own orders with a button.
//
//	/orders [NUMBER|DIGITS]  the desk, or a search
//	dk                       the desk
//	dkl:<shelf>:<page>       a shelf's orders
//	dks                      asks for a number or phone digits (step dk_search)
//	dksh:<order>             mark shipped
//	dkar:<order>             mark arrived
//	dkn:<order>              asks for a note to the buyer (step dk_note)

// Verbs of the desk.
const (
	VerbDesk       Verb = "dk"
	VerbDeskList   Verb = "dkl"
	VerbDeskSearch Verb = "dks"
	VerbDeskShip   Verb = "dksh"
	VerbDeskArrive Verb = "dkar"
	VerbDeskNote   Verb = "dkn"
)

// Steps of the desk.
const (
	stepDeskSearch Step = "dk_search"
	stepDeskNote   Step = "dk_note"
)

// DeskState is the desk's part of the session: the order a seller is
// typing a note for.
type DeskState struct {
	Note int64 `json:"n,omitempty"`
}

// deskPage is how many orders a shelf shows at once.
const deskPage = 8

type deskHandler struct {
	desk   *commerce.OrderDesk
	orders *ordersHandler
	pickup bool // shipment actions
}

func (h *deskHandler) routes() routes {
	seller := func(f func(t *turn, a args) ([]Reply, error)) actionFunc {
		return func(t *turn, a args) ([]Reply, error) {
			if !h.orders.orderSeller(t) {
				return t.stale()
			}
			return f(t, a)
		}
	}
	order := func(f func(t *turn, id int64) ([]Reply, error)) actionFunc {
		return seller(func(t *turn, a args) ([]Reply, error) {
			id, ok := a.id(0)
			if !ok || len(a) != 1 {
				return t.stale()
			}
			return f(t, id)
		})
	}
	return routes{
		actions: map[Verb]actionFunc{
			VerbDesk: seller(func(t *turn, _ args) ([]Reply, error) { return h.home(t) }),
			VerbDeskList: seller(func(t *turn, a args) ([]Reply, error) {
				state, err := commerce.ParseDeskState(a.str(0))
				page, ok := a.num(1, 0, 10000)
				if err != nil || !ok || len(a) != 2 {
					return t.stale()
				}
				return h.list(t, state, page)
			}),
			VerbDeskSearch: seller(func(t *turn, _ args) ([]Reply, error) {
				t.s.setStep(stepDeskSearch)
				return say(t.text("desk_search_ask", nil), []Button{t.btn("desk_btn_desk", VerbDesk.Of())}), nil
			}),
			VerbDeskShip:   order(h.ship),
			VerbDeskArrive: order(h.arrive),
			VerbDeskNote:   order(h.askNote),
		},
		steps: map[Step]stepFunc{stepDeskSearch: h.searchStep, stepDeskNote: h.noteStep},
	}
}

// command is a seller's /orders: the desk, or a search for its argument.
func (h *deskHandler) command(t *turn, arg string) ([]Reply, error) {
	if arg == "" {
		return h.home(t)
	}
	return h.search(t, arg)
}

// home shows the shelves with their counts.
func (h *deskHandler) home(t *turn) ([]Reply, error) {
	t.s.leaveStep(stepDeskSearch, stepDeskNote)
	counts, err := h.desk.Counts(t.ctx)
	if err != nil {
		return nil, err
	}
	type shelf struct {
		Name string
		N    int
	}
	var shelves []shelf
	var rows [][]Button
	var row []Button
	for _, c := range counts {
		name := t.text("desk_shelf_"+string(c.State), nil)
		shelves = append(shelves, shelf{Name: name, N: c.N})
		row = append(row, Button{Text: t.text("desk_btn_shelf", map[string]any{"Name": name, "N": c.N}),
			Action: VerbDeskList.Of(string(c.State), 0)})
		if len(row) == 2 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	rows = append(rows, []Button{t.btn("desk_btn_search", VerbDeskSearch.Of()), t.btn("desk_btn_own", VerbOrders.Of())})
	return say(t.text("desk_home", map[string]any{"Shelves": shelves}), rows...), nil
}

// list shows a page of a shelf.
func (h *deskHandler) list(t *turn, state commerce.DeskState, page int) ([]Reply, error) {
	p, err := h.desk.List(t.ctx, commerce.ListOptions{State: state, Page: page, PerPage: deskPage})
	if err != nil {
		return nil, err
	}
	name := t.text("desk_shelf_"+string(state), nil)
	rows := h.orderRows(t, p.Orders)
	var nav []Button
	if page > 0 {
		nav = append(nav, t.btn("btn_prev", VerbDeskList.Of(string(state), page-1)))
	}
	if p.More() {
		nav = append(nav, t.btn("btn_next", VerbDeskList.Of(string(state), page+1)))
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	rows = append(rows, []Button{t.btn("desk_btn_desk", VerbDesk.Of())})
	pages := (p.Total + deskPage - 1) / deskPage
	return say(t.text("desk_list", map[string]any{"Shelf": name, "Count": p.Total, "Orders": h.rowsData(t, p.Orders),
		"Page": page + 1, "Pages": max(pages, 1)}), rows...), nil
}

// searchStep takes the typed number or phone digits.
func (h *deskHandler) searchStep(t *turn, text string) ([]Reply, error) {
	t.s.leaveStep(stepDeskSearch)
	if !h.orders.orderSeller(t) {
		return t.help("help_unknown")
	}
	return h.search(t, text)
}

// search finds orders by number or phone digits: one opens its card.
func (h *deskHandler) search(t *turn, query string) ([]Reply, error) {
	p, err := h.desk.List(t.ctx, commerce.ListOptions{Search: query, PerPage: deskPage})
	if errors.Is(err, commerce.ErrInvalid) {
		t.s.setStep(stepDeskSearch)
		return say(t.text("desk_search_bad", nil), []Button{t.btn("desk_btn_desk", VerbDesk.Of())}), nil
	}
	if err != nil {
		return nil, err
	}
	switch p.Total {
	case 0:
		return say(t.text("desk_search_none", map[string]any{"Query": query}),
			[]Button{t.btn("desk_btn_search", VerbDeskSearch.Of()), t.btn("desk_btn_desk", VerbDesk.Of())}), nil
	case 1:
		return h.card(t, p.Orders[0].ID)
	}
	rows := append(h.orderRows(t, p.Orders), []Button{t.btn("desk_btn_search", VerbDeskSearch.Of()), t.btn("desk_btn_desk", VerbDesk.Of())})
	return say(t.text("desk_found", map[string]any{"Count": p.Total, "Orders": h.rowsData(t, p.Orders), "More": p.More()}), rows...), nil
}

// orderRows is a button per order, opening its card.
func (h *deskHandler) orderRows(t *turn, list []commerce.Order) [][]Button {
	var rows [][]Button
	for _, o := range list {
		rows = append(rows, []Button{{Text: t.text("order_button", map[string]any{"Number": o.Number,
			"Status": t.text("status_"+string(o.Status), nil)}), Action: VerbSellerOrder.Of(o.ID)}})
	}
	return rows
}

// deskRow is an order in a list's text.
type deskRow struct {
	Number, Status, Name, Date string
	Total                      commerce.Money
	Paid                       bool
}

func (h *deskHandler) rowsData(t *turn, list []commerce.Order) []deskRow {
	out := make([]deskRow, 0, len(list))
	for _, o := range list {
		out = append(out, deskRow{Number: o.Number, Status: t.text("status_"+string(o.Status), nil), Name: o.ContactName,
			Date: t.date(o.CreatedAt, ""), Total: o.Total, Paid: o.Paid.IsPaid()})
	}
	return out
}

// card is an order as the seller sees it, with the actions its status allows.
func (h *deskHandler) card(t *turn, id int64) ([]Reply, error) {
	d, err := h.desk.Order(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	o := d.Order
	data, _, err := h.orders.orderData(t, o)
	if err != nil {
		return nil, err
	}
	type note struct{ Body, Date string }
	var notes []note
	for _, n := range d.Notes {
		notes = append(notes, note{Body: n.Body, Date: t.date(n.At, d.Point.TimeZone)})
	}
	data["Phone"], data["Reason"], data["Notes"] = o.Phone, o.CancelReason, notes
	data["Paid"], data["Method"], data["Amount"] = o.Paid.IsPaid(), "", o.Paid.Amount
	data["Awaiting"] = o.Status == commerce.StatusAwaitingPayment
	if o.Paid.IsPaid() {
		data["Method"] = methodName(t, o.Paid.Method)
	}
	var rows [][]Button
	if h.orders.sellerCancellable(t, o) {
		rows = append(rows, []Button{t.btn("btn_cancel_order", VerbSellerCancel.Of(o.ID))})
	}
	if h.pickup && o.Status.ReadyToShip() {
		rows = append(rows, []Button{t.btn("desk_btn_ship", VerbDeskShip.Of(o.ID))})
	}
	if h.pickup && o.Status == commerce.StatusShipped {
		rows = append(rows, []Button{t.btn("desk_btn_arrive", VerbDeskArrive.Of(o.ID))})
	}
	text := t.text("desk_card", data)
	if h.orders.pay.online() {
		payText, payRows, err := h.orders.pay.sellerSection(t, o)
		if err != nil {
			return nil, err
		}
		if payText != "" {
			text += "\n" + payText
		}
		rows = append(rows, payRows...)
	}
	rows = append(rows, []Button{t.btn("desk_btn_note", VerbDeskNote.Of(o.ID)), t.btn("desk_btn_desk", VerbDesk.Of())})
	return say(text, rows...), nil
}

// ship and arrive move an order along, then show its card.
func (h *deskHandler) ship(t *turn, id int64) ([]Reply, error) {
	return h.move(t, id, "desk_shipped", h.desk.MarkShipped)
}

func (h *deskHandler) arrive(t *turn, id int64) ([]Reply, error) {
	return h.move(t, id, "desk_arrived", h.desk.MarkArrived)
}

func (h *deskHandler) move(t *turn, id int64, key string, move func(ctx context.Context, number string) (commerce.Order, error)) ([]Reply, error) {
	if !h.pickup {
		return t.stale()
	}
	d, err := h.desk.Order(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	o, err := move(t.ctx, d.Order.Number)
	switch {
	case errors.Is(err, commerce.ErrInvalidTransition):
		key = "desk_not_moved"
	case err != nil:
		return t.fail(err)
	}
	head := t.text(key, map[string]any{"Number": o.Number, "Status": t.text("status_"+string(o.Status), nil)})
	card, err := h.card(t, id)
	if err != nil {
		return nil, err
	}
	return append(say(head), card...), nil
}

// askNote awaits a note to the buyer of order id.
func (h *deskHandler) askNote(t *turn, id int64) ([]Reply, error) {
	d, err := h.desk.Order(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	t.s.setStep(stepDeskNote)
	t.s.Desk = DeskState{Note: id}
	return say(t.text("desk_note_ask", map[string]any{"Number": d.Order.Number, "Max": commerce.MaxNote}),
		[]Button{t.btn("desk_btn_back", VerbSellerOrder.Of(id))}), nil
}

// noteStep sends the typed note to the buyer.
func (h *deskHandler) noteStep(t *turn, text string) ([]Reply, error) {
	id := t.s.Desk.Note
	if id == 0 || !h.orders.orderSeller(t) {
		t.s.leaveStep(stepDeskNote)
		t.s.Desk = DeskState{}
		return t.help("help_unknown")
	}
	d, err := h.desk.Order(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	if _, err := h.desk.NoteToBuyer(t.ctx, d.Order.Number, text, t.identity()); errors.Is(err, commerce.ErrInvalid) {
		return say(t.text("desk_note_bad", map[string]any{"Max": commerce.MaxNote}), []Button{t.btn("desk_btn_back", VerbSellerOrder.Of(id))}), nil
	} else if err != nil {
		return t.fail(err)
	}
	t.s.leaveStep(stepDeskNote)
	t.s.Desk = DeskState{}
	return say(t.text("desk_note_sent", map[string]any{"Number": d.Order.Number}), []Button{t.btn("btn_order", VerbSellerOrder.Of(id))}), nil
}

// renderNote gives the buyer a seller's note (NoticeOrderNote); a note
// of another buyer's order says nothing.
func (h *deskHandler) renderNote(t *turn, n Notice) ([]Reply, error) {
	if n.NoteID <= 0 || n.OrderID <= 0 {
		return nil, fmt.Errorf("bot: %s notice without a note: %w", n.Kind, commerce.ErrInvalid)
	}
	note, err := h.desk.Note(t.ctx, n.NoteID)
	if err != nil {
		return nil, ignoreGone(err)
	}
	o, err := h.orders.shop.Store().Order(t.ctx, n.OrderID)
	if err != nil {
		return nil, ignoreGone(err)
	}
	if note.OrderID != o.ID || o.Buyer.Channel != n.Channel || n.UserID != "" && o.Buyer.UserID != n.UserID {
		return nil, nil
	}
	return say(t.text("desk_note_notice", map[string]any{"Number": o.Number, "Note": note.Body}),
		[]Button{t.btn("btn_order", VerbOrder.Of(o.ID)), t.btn("btn_orders", VerbOrders.Of())}), nil
}
