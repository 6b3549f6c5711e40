package bot

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"time"

	"shopbot/commerce"
)

// Buyer side of pickup: the pickup section of an order, slot booking,
// the pickup code, after-sales requests and nearest points (a shared
// location). The feature is on with Options.Pickup; its notices are in
// notice.go, the counter's side in staff.go.
//
// Buttons (every id is re-checked against the buyer):
//
//	pb:<order>[:<page>]        pickup slots of an order
//	bk:<order>:<unix-minutes>  book (or move to) a pickup slot
//	bc:<order>                 cancel the pickup booking
//	pc:<order>                 show the pickup code and its QR
//	rt:<order>                 start a return: choose the kind
//	rk:<order>:<kind>          choose the reason
//	rr:<order>:<kind>:<reason> open the request
//	ds:<return>[:<page>]       drop-off slots of a request
//	db:<return>:<unix-minutes> book (or move) the drop-off
//	rx:<return>                withdraw the request

// Verbs of pickup.
const (
	VerbPickupSlots    Verb = "pb"
	VerbBookPickup     Verb = "bk"
	VerbCancelBooking  Verb = "bc"
	VerbPickupCode     Verb = "pc"
	VerbReturnStart    Verb = "rt"
	VerbReturnKind     Verb = "rk"
	VerbReturnReason   Verb = "rr"
	VerbDropoffSlots   Verb = "ds"
	VerbBookDropoff    Verb = "db"
	VerbReturnWithdraw Verb = "rx"
)

type pickupHandler struct {
	shop          *commerce.Shop
	pickupService *commerce.Pickup
	orders        *ordersHandler
}

func (h *pickupHandler) routes() routes {
	return routes{
		actions: map[Verb]actionFunc{
			VerbPickupSlots:    h.slotsPage(h.pickupSlots),
			VerbDropoffSlots:   h.slotsPage(h.dropoffSlots),
			VerbBookPickup:     h.slotChosen(h.book),
			VerbBookDropoff:    h.slotChosen(h.bookDropoff),
			VerbCancelBooking:  h.byID(h.cancelBooking),
			VerbPickupCode:     h.byID(h.pickupCode),
			VerbReturnStart:    h.byID(h.returnStart),
			VerbReturnWithdraw: h.byID(h.cancelReturn),
			VerbReturnKind: func(t *turn, a args) ([]Reply, error) {
				id, ok := a.id(0)
				kind := commerce.ReturnKind(a.str(1))
				if !ok || !kind.Valid() || len(a) != 2 {
					return t.stale()
				}
				return h.returnKind(t, id, kind)
			},
			VerbReturnReason: func(t *turn, a args) ([]Reply, error) {
				id, ok := a.id(0)
				kind, reason := commerce.ReturnKind(a.str(1)), a.str(2)
				if !ok || !kind.Valid() || !slices.Contains(commerce.ReturnReasons, reason) || len(a) != 3 {
					return t.stale()
				}
				return h.returnReason(t, id, kind, reason)
			},
		},
	}
}

// byID reads a button of one order or request: "<id>".
func (h *pickupHandler) byID(f func(t *turn, id int64) ([]Reply, error)) actionFunc {
	return func(t *turn, a args) ([]Reply, error) {
		id, ok := a.id(0)
		if !ok || len(a) != 1 {
			return t.stale()
		}
		return f(t, id)
	}
}

// slotsPage reads a slot list button: "<id>" (sent anew) or "<id>:<page>"
// (a page of it, edited in place).
func (h *pickupHandler) slotsPage(f func(t *turn, id int64, page int, edit bool) ([]Reply, error)) actionFunc {
	return func(t *turn, a args) ([]Reply, error) {
		id, ok := a.id(0)
		page, edit := 0, len(a) > 1
		if edit {
			p, pageOK := a.num(1, 0, maxSlotPage)
			ok, page = ok && pageOK, p
		}
		if !ok || len(a) > 2 {
			return t.stale()
		}
		return f(t, id, page, edit)
	}
}

// slotChosen reads a slot button: "<id>:<unix minutes>".
func (h *pickupHandler) slotChosen(f func(t *turn, id, minutes int64) ([]Reply, error)) actionFunc {
	return func(t *turn, a args) ([]Reply, error) {
		id, idOK := a.id(0)
		minutes, ok := parseMinutes(a.str(1))
		if !idOK || !ok || len(a) != 2 {
			return t.stale()
		}
		return f(t, id, minutes)
	}
}

// slotsPerPage is how many slot buttons one message offers.
const slotsPerPage = 6

// maxSlotPage is the last page NextSlots (at most 100 slots) can fill.
const maxSlotPage = 100 / slotsPerPage

// qrPath is where the pickup pass of an order is served as a QR code.
// The token is the secret that collects the order, so the URL carries it and
// nothing guessable (an order id would let anyone fetch anyone's QR).
func qrPath(token string) string { return "/qr/" + token + ".png" }

// parseMinutes reads a slot start in minutes since the Unix epoch.
func parseMinutes(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0 && n < math.MaxInt64/60 && strconv.FormatInt(n, 10) == s
}

// pointOf loads an order's pickup point and its time zone.
func (h *pickupHandler) pointOf(t *turn, id int64) (commerce.PickupPoint, *time.Location, error) {
	pt, err := h.shop.Store().PickupPoint(t.ctx, id)
	if err != nil {
		return pt, nil, err
	}
	loc, err := h.pickupService.Location(pt)
	return pt, loc, err
}

// pointData is what every pickup text may name: the order and its point.
// Texts that show a code or a slot get Code, Booked, Start and End too.
func (h *pickupHandler) pointData(t *turn, o commerce.Order, pt commerce.PickupPoint) map[string]any {
	return map[string]any{
		"Number": o.Number, "Total": o.Total, "Point": pt.Name.In(t.lang), "Address": pt.Address.In(t.lang),
		"City": pt.City.In(t.lang), "Hours": pt.Hours, "Code": "", "Booked": false, "Start": time.Time{}, "End": time.Time{},
	}
}

// withSlot adds a booked interval, in the point's zone, to text data.
func withSlot(data map[string]any, start, end time.Time, loc *time.Location) map[string]any {
	data["Booked"], data["Start"], data["End"] = true, start.In(loc), end.In(loc)
	return data
}

// passCode is the order's 6-digit pickup code, or "" while it has none
// (not arrived) or once collected.
func (h *pickupHandler) passCode(t *turn, o commerce.Order) (string, error) {
	pass, err := h.pickupService.Pass(t.ctx, o.Buyer, o.ID)
	if errors.Is(err, commerce.ErrNotFound) || errors.Is(err, commerce.ErrAlreadyCollected) {
		return "", nil
	}
	return pass.Code, err
}

// activeBooking is the order's booking, or nil.
func (h *pickupHandler) activeBooking(t *turn, o commerce.Order) (*commerce.Booking, error) {
	bk, err := h.pickupService.ActiveBooking(t.ctx, o.Buyer, o.ID)
	if errors.Is(err, commerce.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &bk, nil
}

// bookingRows are the buttons of an order waiting at its point.
func (h *pickupHandler) bookingRows(t *turn, orderID int64, booked bool) [][]Button {
	if booked {
		return [][]Button{
			{t.btn("btn_reschedule", VerbPickupSlots.Of(orderID)), t.btn("btn_cancel_booking", VerbCancelBooking.Of(orderID))},
			{t.btn("btn_show_code", VerbPickupCode.Of(orderID))},
		}
	}
	return [][]Button{{t.btn("btn_book", VerbPickupSlots.Of(orderID))}, {t.btn("btn_show_code", VerbPickupCode.Of(orderID))}}
}

// section is what order details add once the order reached its
// point: the code and booking while it waits, the return period and
// requests after it was collected.
func (h *pickupHandler) section(t *turn, o commerce.Order, pt commerce.PickupPoint) (string, [][]Button, error) {
	p := h.pickupService
	switch o.Status {
	case commerce.StatusReadyForPickup:
		loc, err := p.Location(pt)
		if err != nil {
			return "", nil, err
		}
		data := h.pointData(t, o, pt)
		if data["Code"], err = h.passCode(t, o); err != nil {
			return "", nil, err
		}
		bk, err := h.activeBooking(t, o)
		if err != nil {
			return "", nil, err
		}
		if bk != nil {
			withSlot(data, bk.Start, bk.End, loc)
		}
		return t.text("order_pickup", data), h.bookingRows(t, o.ID, bk != nil), nil
	case commerce.StatusPickedUp, commerce.StatusReturned:
		return h.afterSalesSection(t, o, pt)
	}
	return "", nil, nil
}

// slotTarget says what a slot picker books.
type slotTarget struct {
	pointID int64
	id      int64  // the order or the request
	book    Verb   // a slot's button: "bk:<order>:<minutes>" or "db:<return>:<minutes>"
	more    Verb   // a page's button: "pb:<order>:<page>" or "ds:<return>:<page>"
	back    string // the back button's action
	backKey string // its label; default btn_back
}

// slotRows offers one page of a point's free slots as buttons (two a row)
// with paging and a back button; ok is false when no slot is free at all.
func (h *pickupHandler) slotRows(t *turn, st slotTarget, loc *time.Location, page int) (rows [][]Button, ok bool, err error) {
	slots, err := h.pickupService.NextSlots(t.ctx, st.pointID, min((page+1)*slotsPerPage+1, 100))
	if errors.Is(err, commerce.ErrInvalid) { // the point closed
		slots, err = nil, nil
	}
	if err != nil {
		return nil, false, err
	}
	backKey := st.backKey
	if backKey == "" {
		backKey = "btn_back"
	}
	if len(slots) == 0 {
		return [][]Button{{t.btn(backKey, st.back)}}, false, nil
	}
	from := min(page*slotsPerPage, len(slots))
	if from == len(slots) { // a page that emptied meanwhile: start over
		page, from = 0, 0
	}
	to := min(from+slotsPerPage, len(slots))
	for i, s := range slots[from:to] {
		b := Button{Text: t.text("slot_button", map[string]any{"Start": s.Start.In(loc)}),
			Action: st.book.Of(st.id, s.Start.Unix()/60)}
		if i%2 == 0 {
			rows = append(rows, []Button{b})
		} else {
			rows[len(rows)-1] = append(rows[len(rows)-1], b)
		}
	}
	var nav []Button
	if page > 0 {
		nav = append(nav, Button{Text: t.text("btn_earlier", nil), Action: st.more.Of(st.id, page-1)})
	}
	if len(slots) > to && page < maxSlotPage {
		nav = append(nav, Button{Text: t.text("btn_later", nil), Action: st.more.Of(st.id, page+1)})
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	return append(rows, []Button{t.btn(backKey, st.back)}), true, nil
}

func pickupTarget(o commerce.Order) slotTarget {
	return slotTarget{pointID: o.PickupPointID, id: o.ID, book: VerbBookPickup, more: VerbPickupSlots, back: VerbOrder.Of(o.ID)}
}

// slotPicker is one reply offering slots under the text of key, or the
// "no free slots" text.
func (h *pickupHandler) slotPicker(t *turn, st slotTarget, key string, data map[string]any, loc *time.Location, page int, edit bool) (Reply, error) {
	rows, ok, err := h.slotRows(t, st, loc, page)
	if err != nil {
		return Reply{}, err
	}
	if !ok {
		key = "slot_none"
	}
	return Reply{Text: t.text(key, data), Buttons: rows, Edit: edit}, nil
}

// readyOrder returns the buyer's order if it waits at its point; otherwise
// the replies explaining why it does not.
func (h *pickupHandler) readyOrder(t *turn, id int64) (commerce.Order, []Reply, error) {
	o, err := h.shop.OwnOrder(t.ctx, t.buyer(), id)
	if err != nil {
		r, err := t.fail(err)
		return o, r, err
	}
	switch o.Status {
	case commerce.StatusReadyForPickup:
		return o, nil, nil
	case commerce.StatusConfirmed, commerce.StatusPaid, commerce.StatusAwaitingPayment, commerce.StatusShipped, commerce.StatusArrived, commerce.StatusPending:
		return o, say(t.text("err_not_ready", map[string]any{"Number": o.Number}), []Button{t.btn("btn_orders", VerbOrders.Of())}), nil
	case commerce.StatusPickedUp, commerce.StatusReturned:
		r, err := t.fail(commerce.ErrAlreadyCollected)
		return o, r, err
	}
	r, err := t.fail(commerce.ErrInvalidTransition)
	return o, r, err
}

// pickupSlots offers the slots to book (or move) an order's pickup.
func (h *pickupHandler) pickupSlots(t *turn, id int64, page int, edit bool) ([]Reply, error) {
	o, r, err := h.readyOrder(t, id)
	if r != nil || err != nil {
		return r, err
	}
	return h.pickupPicker(t, o, page, edit, nil)
}

// pickupPicker is the slot choice for an order, after the notes.
func (h *pickupHandler) pickupPicker(t *turn, o commerce.Order, page int, edit bool, notes []Reply) ([]Reply, error) {
	pt, loc, err := h.pointOf(t, o.PickupPointID)
	if err != nil {
		return nil, err
	}
	data := h.pointData(t, o, pt)
	reply, err := h.slotPicker(t, pickupTarget(o), "slot_choose", data, loc, page, edit)
	if err != nil {
		return nil, err
	}
	return append(notes, reply), nil
}

// book books (or moves) the order's pickup into the slot starting at
// minutes since the epoch. A full, gone or off-grid slot is explained and
// fresh slots offered; nothing changes then.
func (h *pickupHandler) book(t *turn, id, minutes int64) ([]Reply, error) {
	o, r, err := h.readyOrder(t, id)
	if r != nil || err != nil {
		return r, err
	}
	start := time.Unix(minutes*60, 0)
	bk, err := h.pickupService.Book(t.ctx, t.buyer(), o.ID, commerce.PickupSlot{PointID: o.PickupPointID, Start: start})
	switch {
	case errors.Is(err, commerce.ErrSlotFull):
		return h.pickupPicker(t, o, 0, false, say(t.text("err_slot_full", nil)))
	case errors.Is(err, commerce.ErrInvalid):
		return h.pickupPicker(t, o, 0, false, say(t.text("err_slot_gone", nil)))
	case err != nil:
		return t.fail(err)
	}
	return h.bookedReply(t, o, bk)
}

// bookedReply confirms a booking: time, place, code.
func (h *pickupHandler) bookedReply(t *turn, o commerce.Order, bk commerce.Booking) ([]Reply, error) {
	pt, loc, err := h.pointOf(t, o.PickupPointID)
	if err != nil {
		return nil, err
	}
	data := withSlot(h.pointData(t, o, pt), bk.Start, bk.End, loc)
	if data["Code"], err = h.passCode(t, o); err != nil {
		return nil, err
	}
	rows := append(h.bookingRows(t, o.ID, true), []Button{t.btn("btn_orders", VerbOrders.Of())})
	return say(t.text("booked", data), rows...), nil
}

// cancelBooking frees the order's seat.
func (h *pickupHandler) cancelBooking(t *turn, id int64) ([]Reply, error) {
	o, err := h.shop.OwnOrder(t.ctx, t.buyer(), id)
	if err != nil {
		return t.fail(err)
	}
	if _, err := h.pickupService.CancelBooking(t.ctx, t.buyer(), o.ID); errors.Is(err, commerce.ErrNotFound) {
		return h.orders.view(t, o, "order_details") // nothing booked (any more)
	} else if err != nil {
		return t.fail(err)
	}
	rows := h.bookingRows(t, o.ID, false)
	rows = append(rows, []Button{t.btn("btn_orders", VerbOrders.Of())})
	return say(t.text("booking_cancelled", map[string]any{"Number": o.Number}), rows...), nil
}

// pickupCode shows the code to read out and the QR to scan.
func (h *pickupHandler) pickupCode(t *turn, id int64) ([]Reply, error) {
	o, r, err := h.readyOrder(t, id)
	if r != nil || err != nil {
		return r, err
	}
	pass, err := h.pickupService.Pass(t.ctx, t.buyer(), o.ID)
	if err != nil {
		return t.fail(err)
	}
	pt, loc, err := h.pointOf(t, o.PickupPointID)
	if err != nil {
		return nil, err
	}
	bk, err := h.activeBooking(t, o)
	if err != nil {
		return nil, err
	}
	data := h.pointData(t, o, pt)
	data["Code"], data["Expires"] = pass.Code, pass.ExpiresAt.In(loc)
	if bk != nil {
		withSlot(data, bk.Start, bk.End, loc)
	}
	key := "btn_book"
	if bk != nil {
		key = "btn_reschedule"
	}
	return []Reply{{Text: t.text("pickup_code", data), Image: qrPath(pass.Token), Buttons: [][]Button{
		{t.btn(key, VerbPickupSlots.Of(o.ID)), t.btn("btn_back", VerbOrder.Of(o.ID))},
	}}}, nil
}
