package bot

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"shopbot/commerce"
)

// Buyer side of pickup: the pickup section of an order, slot booking,
// the pickup code, after-sales requests and nearest points.
//
// Action codes (every id is re-checked against the buyer):
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

func (t *turn) pickupOff() ([]Reply, error) {
	return say(t.text("pickup_unavailable", nil), t.mainMenu()...), nil
}

// pointOf loads an order's pickup point and its time zone.
func (t *turn) pointOf(id int64) (commerce.PickupPoint, *time.Location, error) {
	pt, err := t.r.o.Shop.Store().PickupPoint(t.ctx, id)
	if err != nil {
		return pt, nil, err
	}
	var loc *time.Location
	if t.r.o.Pickup != nil {
		loc, err = t.r.o.Pickup.Location(pt)
	} else {
		loc, err = pt.Location()
	}
	return pt, loc, err
}

// pointData is what every pickup text may name: the order and its point.
// Texts that show a code or a slot get Code, Booked, Start and End too.
func (t *turn) pointData(o commerce.Order, pt commerce.PickupPoint) map[string]any {
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
func (t *turn) passCode(o commerce.Order) (string, error) {
	pass, err := t.r.o.Pickup.Pass(t.ctx, o.Buyer, o.ID)
	if errors.Is(err, commerce.ErrNotFound) || errors.Is(err, commerce.ErrAlreadyCollected) {
		return "", nil
	}
	return pass.Code, err
}

// activeBooking is the order's booking, or nil.
func (t *turn) activeBooking(o commerce.Order) (*commerce.Booking, error) {
	bk, err := t.r.o.Pickup.ActiveBooking(t.ctx, o.Buyer, o.ID)
	if errors.Is(err, commerce.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &bk, nil
}

// bookingRows are the buttons of an order waiting at its point.
func (t *turn) bookingRows(orderID int64, booked bool) [][]Button {
	if booked {
		return [][]Button{
			{t.btn("btn_reschedule", fmt.Sprintf("pb:%d", orderID)), t.btn("btn_cancel_booking", fmt.Sprintf("bc:%d", orderID))},
			{t.btn("btn_show_code", fmt.Sprintf("pc:%d", orderID))},
		}
	}
	return [][]Button{{t.btn("btn_book", fmt.Sprintf("pb:%d", orderID))}, {t.btn("btn_show_code", fmt.Sprintf("pc:%d", orderID))}}
}

// pickupSection is what order details add once the order reached its
// point: the code and booking while it waits, the return period and
// requests after it was collected.
func (t *turn) pickupSection(o commerce.Order, pt commerce.PickupPoint) (string, [][]Button, error) {
	p := t.r.o.Pickup
	if p == nil {
		return "", nil, nil
	}
	switch o.Status {
	case commerce.StatusReadyForPickup:
		loc, err := p.Location(pt)
		if err != nil {
			return "", nil, err
		}
		data := t.pointData(o, pt)
		if data["Code"], err = t.passCode(o); err != nil {
			return "", nil, err
		}
		bk, err := t.activeBooking(o)
		if err != nil {
			return "", nil, err
		}
		if bk != nil {
			withSlot(data, bk.Start, bk.End, loc)
		}
		return t.text("order_pickup", data), t.bookingRows(o.ID, bk != nil), nil
	case commerce.StatusPickedUp, commerce.StatusReturned:
		return t.afterSalesSection(o, pt)
	}
	return "", nil, nil
}

func (t *turn) afterSalesSection(o commerce.Order, pt commerce.PickupPoint) (string, [][]Button, error) {
	p := t.r.o.Pickup
	loc, err := p.Location(pt)
	if err != nil {
		return "", nil, err
	}
	rets, err := p.Returns(t.ctx, o.Buyer, o.ID)
	if err != nil {
		return "", nil, err
	}
	var parts []string
	var rows [][]Button
	if len(rets) > 0 { // the latest request
		parts = append(parts, t.text("order_return", t.returnData(o, pt, rets[0], loc)))
		if rets[0].Status.Open() {
			return parts[0], t.returnRows(rets[0]), nil
		}
	}
	if o.Status == commerce.StatusPickedUp {
		deadline, err := p.ReturnDeadline(t.ctx, o.Buyer, o.ID)
		switch {
		case errors.Is(err, commerce.ErrNotFound): // no pickup record: no return period to show
		case err != nil:
			return "", nil, err
		default:
			open := p.Now().Before(deadline)
			if open {
				rows = [][]Button{{t.btn("btn_return", fmt.Sprintf("rt:%d", o.ID))}}
			}
			parts = append(parts, t.text("order_return_period", map[string]any{"CanReturn": open, "Deadline": deadline.In(loc)}))
		}
	}
	return strings.Join(parts, "\n"), rows, nil
}

// canReturn reports whether a new request may still be opened.
func (t *turn) canReturn(o commerce.Order) bool {
	if o.Status != commerce.StatusPickedUp {
		return false
	}
	deadline, err := t.r.o.Pickup.ReturnDeadline(t.ctx, o.Buyer, o.ID)
	return err == nil && t.r.o.Pickup.Now().Before(deadline)
}

// returnData describes an after-sales request for texts.
func (t *turn) returnData(o commerce.Order, pt commerce.PickupPoint, r commerce.Return, loc *time.Location) map[string]any {
	data := t.pointData(o, pt)
	data["Kind"] = t.text("return_kind_"+string(r.Kind), nil)
	data["Reason"] = t.text("return_reason_"+r.Reason, nil)
	data["Status"] = t.text("return_status_"+string(r.Status), nil)
	data["Note"] = r.DecisionNote
	if !r.SlotStart.IsZero() && r.Status == commerce.ReturnDropoffBooked {
		withSlot(data, r.SlotStart, r.SlotEnd, loc)
	}
	return data
}

// returnRows are the buttons of an open request.
func (t *turn) returnRows(r commerce.Return) [][]Button {
	key := "btn_book_dropoff"
	if r.Status == commerce.ReturnDropoffBooked {
		key = "btn_change_dropoff"
	}
	return [][]Button{{t.btn(key, fmt.Sprintf("ds:%d", r.ID)), t.btn("btn_cancel_return", fmt.Sprintf("rx:%d", r.ID))}}
}

// slotTarget says what a slot picker books.
type slotTarget struct {
	pointID int64
	book    string // action prefix of a slot: "bk:<order>" or "db:<return>"
	more    string // action prefix of a page: "pb:<order>" or "ds:<return>"
	back    string // the back button's action
	backKey string // its label; default btn_back
}

// slotRows offers one page of a point's free slots as buttons (two a row)
// with paging and a back button; ok is false when no slot is free at all.
func (t *turn) slotRows(st slotTarget, loc *time.Location, page int) (rows [][]Button, ok bool, err error) {
	slots, err := t.r.o.Pickup.NextSlots(t.ctx, st.pointID, min((page+1)*slotsPerPage+1, 100))
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
			Action: fmt.Sprintf("%s:%d", st.book, s.Start.Unix()/60)}
		if i%2 == 0 {
			rows = append(rows, []Button{b})
		} else {
			rows[len(rows)-1] = append(rows[len(rows)-1], b)
		}
	}
	var nav []Button
	if page > 0 {
		nav = append(nav, Button{Text: t.text("btn_earlier", nil), Action: fmt.Sprintf("%s:%d", st.more, page-1)})
	}
	if len(slots) > to && page < maxSlotPage {
		nav = append(nav, Button{Text: t.text("btn_later", nil), Action: fmt.Sprintf("%s:%d", st.more, page+1)})
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	return append(rows, []Button{t.btn(backKey, st.back)}), true, nil
}

func pickupTarget(o commerce.Order) slotTarget {
	return slotTarget{pointID: o.PickupPointID, book: fmt.Sprintf("bk:%d", o.ID), more: fmt.Sprintf("pb:%d", o.ID), back: fmt.Sprintf("os:%d", o.ID)}
}

func dropoffTarget(r commerce.Return) slotTarget {
	return slotTarget{pointID: r.PointID, book: fmt.Sprintf("db:%d", r.ID), more: fmt.Sprintf("ds:%d", r.ID), back: fmt.Sprintf("os:%d", r.OrderID)}
}

// slotPicker is one reply offering slots under the text of key, or the
// "no free slots" text.
func (t *turn) slotPicker(st slotTarget, key string, data map[string]any, loc *time.Location, page int, edit bool) (Reply, error) {
	rows, ok, err := t.slotRows(st, loc, page)
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
func (t *turn) readyOrder(id int64) (commerce.Order, []Reply, error) {
	o, err := t.r.o.Shop.OwnOrder(t.ctx, t.buyer(), id)
	if err != nil {
		r, err := t.fail(err)
		return o, r, err
	}
	switch o.Status {
	case commerce.StatusReadyForPickup:
		return o, nil, nil
	case commerce.StatusConfirmed, commerce.StatusShipped, commerce.StatusArrived, commerce.StatusPending:
		return o, say(t.text("err_not_ready", map[string]any{"Number": o.Number}), []Button{t.btn("btn_orders", "o")}), nil
	case commerce.StatusPickedUp, commerce.StatusReturned:
		r, err := t.fail(commerce.ErrAlreadyCollected)
		return o, r, err
	}
	r, err := t.fail(commerce.ErrInvalidTransition)
	return o, r, err
}

// pickupSlots offers the slots to book (or move) an order's pickup.
func (t *turn) pickupSlots(id int64, page int, edit bool) ([]Reply, error) {
	if t.r.o.Pickup == nil {
		return t.pickupOff()
	}
	o, r, err := t.readyOrder(id)
	if r != nil || err != nil {
		return r, err
	}
	return t.pickupPicker(o, page, edit, nil)
}

// pickupPicker is the slot choice for an order, after the notes.
func (t *turn) pickupPicker(o commerce.Order, page int, edit bool, notes []Reply) ([]Reply, error) {
	pt, loc, err := t.pointOf(o.PickupPointID)
	if err != nil {
		return nil, err
	}
	data := t.pointData(o, pt)
	reply, err := t.slotPicker(pickupTarget(o), "slot_choose", data, loc, page, edit)
	if err != nil {
		return nil, err
	}
	return append(notes, reply), nil
}

// book books (or moves) the order's pickup into the slot starting at
// minutes since the epoch. A full, gone or off-grid slot is explained and
// fresh slots offered; nothing changes then.
func (t *turn) book(id, minutes int64) ([]Reply, error) {
	if t.r.o.Pickup == nil {
		return t.pickupOff()
	}
	o, r, err := t.readyOrder(id)
	if r != nil || err != nil {
		return r, err
	}
	start := time.Unix(minutes*60, 0)
	bk, err := t.r.o.Pickup.Book(t.ctx, t.buyer(), o.ID, commerce.PickupSlot{PointID: o.PickupPointID, Start: start})
	switch {
	case errors.Is(err, commerce.ErrSlotFull):
		return t.pickupPicker(o, 0, false, say(t.text("err_slot_full", nil)))
	case errors.Is(err, commerce.ErrInvalid):
		return t.pickupPicker(o, 0, false, say(t.text("err_slot_gone", nil)))
	case err != nil:
		return t.fail(err)
	}
	return t.bookedReply(o, bk)
}

// bookedReply confirms a booking: time, place, code.
func (t *turn) bookedReply(o commerce.Order, bk commerce.Booking) ([]Reply, error) {
	pt, loc, err := t.pointOf(o.PickupPointID)
	if err != nil {
		return nil, err
	}
	data := withSlot(t.pointData(o, pt), bk.Start, bk.End, loc)
	if data["Code"], err = t.passCode(o); err != nil {
		return nil, err
	}
	rows := append(t.bookingRows(o.ID, true), []Button{t.btn("btn_orders", "o")})
	return say(t.text("booked", data), rows...), nil
}

// cancelBooking frees the order's seat.
func (t *turn) cancelBooking(id int64) ([]Reply, error) {
	if t.r.o.Pickup == nil {
		return t.pickupOff()
	}
	o, err := t.r.o.Shop.OwnOrder(t.ctx, t.buyer(), id)
	if err != nil {
		return t.fail(err)
	}
	if _, err := t.r.o.Pickup.CancelBooking(t.ctx, t.buyer(), o.ID); errors.Is(err, commerce.ErrNotFound) {
		return t.orderView(o, "order_details") // nothing booked (any more)
	} else if err != nil {
		return t.fail(err)
	}
	rows := t.bookingRows(o.ID, false)
	rows = append(rows, []Button{t.btn("btn_orders", "o")})
	return say(t.text("booking_cancelled", map[string]any{"Number": o.Number}), rows...), nil
}

// pickupCode shows the code to read out and the QR to scan.
func (t *turn) pickupCode(id int64) ([]Reply, error) {
	if t.r.o.Pickup == nil {
		return t.pickupOff()
	}
	o, r, err := t.readyOrder(id)
	if r != nil || err != nil {
		return r, err
	}
	pass, err := t.r.o.Pickup.Pass(t.ctx, t.buyer(), o.ID)
	if err != nil {
		return t.fail(err)
	}
	pt, loc, err := t.pointOf(o.PickupPointID)
	if err != nil {
		return nil, err
	}
	bk, err := t.activeBooking(o)
	if err != nil {
		return nil, err
	}
	data := t.pointData(o, pt)
	data["Code"], data["Expires"] = pass.Code, pass.ExpiresAt.In(loc)
	if bk != nil {
		withSlot(data, bk.Start, bk.End, loc)
	}
	key := "btn_book"
	if bk != nil {
		key = "btn_reschedule"
	}
	return []Reply{{Text: t.text("pickup_code", data), Image: qrPath(pass.Token), Buttons: [][]Button{
		{t.btn(key, fmt.Sprintf("pb:%d", o.ID)), t.btn("btn_back", fmt.Sprintf("os:%d", o.ID))},
	}}}, nil
}

// ---- after-sales ----

// returnStart asks what the buyer needs: a return, an exchange or a repair.
func (t *turn) returnStart(id int64) ([]Reply, error) {
	if t.r.o.Pickup == nil {
		return t.pickupOff()
	}
	o, r, err := t.returnableOrder(id)
	if r != nil || err != nil {
		return r, err
	}
	pt, loc, err := t.pointOf(o.PickupPointID)
	if err != nil {
		return nil, err
	}
	deadline, err := t.r.o.Pickup.ReturnDeadline(t.ctx, t.buyer(), o.ID)
	if err != nil {
		return nil, err
	}
	data := t.pointData(o, pt)
	data["Deadline"] = deadline.In(loc)
	var row []Button
	for _, k := range []commerce.ReturnKind{commerce.ReturnRefund, commerce.ReturnExchange, commerce.ReturnRepair} {
		row = append(row, t.btn("return_kind_"+string(k), fmt.Sprintf("rk:%d:%s", o.ID, k)))
	}
	return say(t.text("return_kind_choose", data), row, []Button{t.btn("btn_back", fmt.Sprintf("os:%d", o.ID))}), nil
}

// returnableOrder returns the buyer's order if a request may be opened for
// it now; otherwise the replies explaining why not (an open request is
// shown instead of opening another).
func (t *turn) returnableOrder(id int64) (commerce.Order, []Reply, error) {
	o, err := t.r.o.Shop.OwnOrder(t.ctx, t.buyer(), id)
	if err != nil {
		r, err := t.fail(err)
		return o, r, err
	}
	if o.Status != commerce.StatusPickedUp {
		r, err := t.fail(commerce.ErrInvalidTransition)
		return o, r, err
	}
	rets, err := t.r.o.Pickup.Returns(t.ctx, t.buyer(), o.ID)
	if err != nil {
		return o, nil, err
	}
	if len(rets) > 0 && rets[0].Status.Open() {
		r, err := t.orderView(o, "order_details")
		return o, r, err
	}
	if !t.canReturn(o) {
		r, err := t.fail(commerce.ErrReturnWindowClosed)
		return o, r, err
	}
	return o, nil, nil
}

// returnKind asks for the reason.
func (t *turn) returnKind(id int64, kind commerce.ReturnKind) ([]Reply, error) {
	if t.r.o.Pickup == nil {
		return t.pickupOff()
	}
	o, r, err := t.returnableOrder(id)
	if r != nil || err != nil {
		return r, err
	}
	var rows [][]Button
	for i, reason := range commerce.ReturnReasons {
		b := t.btn("return_reason_"+reason, fmt.Sprintf("rr:%d:%s:%s", o.ID, kind, reason))
		if i%2 == 0 {
			rows = append(rows, []Button{b})
		} else {
			rows[len(rows)-1] = append(rows[len(rows)-1], b)
		}
	}
	rows = append(rows, []Button{t.btn("btn_back", fmt.Sprintf("rt:%d", o.ID))})
	return say(t.text("return_reason_choose", map[string]any{"Number": o.Number, "Kind": t.text("return_kind_"+string(kind), nil)}), rows...), nil
}

// returnReason opens the request and offers drop-off slots.
func (t *turn) returnReason(id int64, kind commerce.ReturnKind, reason string) ([]Reply, error) {
	if t.r.o.Pickup == nil {
		return t.pickupOff()
	}
	o, r, err := t.returnableOrder(id)
	if r != nil || err != nil {
		return r, err
	}
	ret, err := t.r.o.Pickup.StartReturn(t.ctx, t.buyer(), commerce.ReturnRequest{OrderID: o.ID, Kind: kind, Reason: reason})
	switch {
	case errors.Is(err, commerce.ErrInvalid):
		return t.fail(commerce.ErrInvalidTransition) // no longer picked up
	case err != nil:
		return t.fail(err)
	}
	pt, loc, err := t.pointOf(ret.PointID)
	if err != nil {
		return nil, err
	}
	reply, err := t.slotPicker(dropoffTarget(ret), "dropoff_choose", t.returnData(o, pt, ret, loc), loc, 0, false)
	if err != nil {
		return nil, err
	}
	return append(say(t.text("return_started", t.returnData(o, pt, ret, loc))), reply), nil
}

// ownReturn returns the buyer's request and its order; ErrNotFound for
// anyone else's.
func (t *turn) ownReturn(id int64) (commerce.Return, commerce.Order, error) {
	r, err := t.r.o.Pickup.Store().Return(t.ctx, id)
	if err != nil {
		return r, commerce.Order{}, err
	}
	o, err := t.r.o.Shop.OwnOrder(t.ctx, t.buyer(), r.OrderID)
	return r, o, err
}

// openReturn returns the buyer's open request, or the replies explaining
// why there is none.
func (t *turn) openReturn(id int64) (commerce.Return, commerce.Order, []Reply, error) {
	r, o, err := t.ownReturn(id)
	if err != nil {
		rep, err := t.fail(err)
		return r, o, rep, err
	}
	if !r.Status.Open() {
		rep, err := t.orderView(o, "order_details")
		return r, o, rep, err
	}
	return r, o, nil, nil
}

// dropoffSlots offers slots to bring a request's goods to the counter.
func (t *turn) dropoffSlots(id int64, page int, edit bool) ([]Reply, error) {
	if t.r.o.Pickup == nil {
		return t.pickupOff()
	}
	r, o, rep, err := t.openReturn(id)
	if rep != nil || err != nil {
		return rep, err
	}
	return t.dropoffPicker(r, o, page, edit, nil)
}

func (t *turn) dropoffPicker(r commerce.Return, o commerce.Order, page int, edit bool, notes []Reply) ([]Reply, error) {
	pt, loc, err := t.pointOf(r.PointID)
	if err != nil {
		return nil, err
	}
	reply, err := t.slotPicker(dropoffTarget(r), "dropoff_choose", t.returnData(o, pt, r, loc), loc, page, edit)
	if err != nil {
		return nil, err
	}
	return append(notes, reply), nil
}

// bookDropoff books (or moves) a request's drop-off slot.
func (t *turn) bookDropoff(id, minutes int64) ([]Reply, error) {
	if t.r.o.Pickup == nil {
		return t.pickupOff()
	}
	r, o, rep, err := t.openReturn(id)
	if rep != nil || err != nil {
		return rep, err
	}
	start := time.Unix(minutes*60, 0)
	saved, err := t.r.o.Pickup.BookDropoff(t.ctx, t.buyer(), r.ID, commerce.PickupSlot{PointID: r.PointID, Start: start})
	switch {
	case errors.Is(err, commerce.ErrSlotFull):
		return t.dropoffPicker(r, o, 0, false, say(t.text("err_slot_full", nil)))
	case errors.Is(err, commerce.ErrInvalid):
		return t.dropoffPicker(r, o, 0, false, say(t.text("err_slot_gone", nil)))
	case err != nil:
		return t.fail(err)
	}
	pt, loc, err := t.pointOf(saved.PointID)
	if err != nil {
		return nil, err
	}
	rows := append(t.returnRows(saved), []Button{t.btn("btn_back", fmt.Sprintf("os:%d", o.ID))})
	return say(t.text("dropoff_booked", t.returnData(o, pt, saved, loc)), rows...), nil
}

// cancelReturn withdraws the buyer's open request.
func (t *turn) cancelReturn(id int64) ([]Reply, error) {
	if t.r.o.Pickup == nil {
		return t.pickupOff()
	}
	r, o, err := t.ownReturn(id)
	if err != nil {
		return t.fail(err)
	}
	if _, err := t.r.o.Pickup.CancelReturn(t.ctx, t.buyer(), r.ID); err != nil {
		return t.fail(err)
	}
	return say(t.text("return_cancelled", map[string]any{"Number": o.Number}),
		[]Button{t.btn("btn_back", fmt.Sprintf("os:%d", o.ID)), t.btn("btn_orders", "o")}), nil
}

// ---- location ----

// nearestCount is how many points a shared location lists.
const nearestCount = 3

// nearest lists the pickup points nearest to a shared location.
func (t *turn) nearest(lat, lon float64) ([]Reply, error) {
	if !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
		return t.help("help_unknown")
	}
	var near []commerce.PointDistance
	if t.r.o.Pickup != nil {
		var err error
		if near, err = t.r.o.Pickup.Nearest(t.ctx, lat, lon, nearestCount); err != nil {
			return nil, err
		}
	} else {
		pts, err := t.r.o.Shop.Store().PickupPoints(t.ctx)
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
