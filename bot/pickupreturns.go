package bot

import (
	"errors"
	"shopbot/commerce"
	"strings"
	"time"
)

// After-sales at the pickup point, the buyer's side: what an order collected
// shows of its return period and requests, opening a return, exchange or
// repair, booking (or moving) the drop-off at the counter and withdrawing
// the request. Part of the pickup feature (pickup.go has its routes).

func (h *pickupHandler) afterSalesSection(t *turn, o commerce.Order, pt commerce.PickupPoint) (string, [][]Button, error) {
	p := h.pickupService
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
		parts = append(parts, t.text("order_return", h.returnData(t, o, pt, rets[0], loc)))
		if rets[0].Status.Open() {
			return parts[0], h.returnRows(t, rets[0]), nil
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
				rows = [][]Button{{t.btn("btn_return", VerbReturnStart.Of(o.ID))}}
			}
			parts = append(parts, t.text("order_return_period", map[string]any{"CanReturn": open, "Deadline": deadline.In(loc)}))
		}
	}
	return strings.Join(parts, "\n"), rows, nil
}

// canReturn reports whether a new request may still be opened.
func (h *pickupHandler) canReturn(t *turn, o commerce.Order) bool {
	if o.Status != commerce.StatusPickedUp {
		return false
	}
	deadline, err := h.pickupService.ReturnDeadline(t.ctx, o.Buyer, o.ID)
	return err == nil && h.pickupService.Now().Before(deadline)
}

// returnData describes an after-sales request for texts.
func (h *pickupHandler) returnData(t *turn, o commerce.Order, pt commerce.PickupPoint, r commerce.Return, loc *time.Location) map[string]any {
	data := h.pointData(t, o, pt)
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
func (h *pickupHandler) returnRows(t *turn, r commerce.Return) [][]Button {
	key := "btn_book_dropoff"
	if r.Status == commerce.ReturnDropoffBooked {
		key = "btn_change_dropoff"
	}
	return [][]Button{{t.btn(key, VerbDropoffSlots.Of(r.ID)), t.btn("btn_cancel_return", VerbReturnWithdraw.Of(r.ID))}}
}

func dropoffTarget(r commerce.Return) slotTarget {
	return slotTarget{pointID: r.PointID, id: r.ID, book: VerbBookDropoff, more: VerbDropoffSlots, back: VerbOrder.Of(r.OrderID)}
}

// returnStart asks what the buyer needs: a return, an exchange or a repair.
func (h *pickupHandler) returnStart(t *turn, id int64) ([]Reply, error) {
	o, r, err := h.returnableOrder(t, id)
	if r != nil || err != nil {
		return r, err
	}
	pt, loc, err := h.pointOf(t, o.PickupPointID)
	if err != nil {
		return nil, err
	}
	deadline, err := h.pickupService.ReturnDeadline(t.ctx, t.buyer(), o.ID)
	if err != nil {
		return nil, err
	}
	data := h.pointData(t, o, pt)
	data["Deadline"] = deadline.In(loc)
	var row []Button
	for _, k := range []commerce.ReturnKind{commerce.ReturnRefund, commerce.ReturnExchange, commerce.ReturnRepair} {
		row = append(row, t.btn("return_kind_"+string(k), VerbReturnKind.Of(o.ID, k)))
	}
	return say(t.text("return_kind_choose", data), row, []Button{t.btn("btn_back", VerbOrder.Of(o.ID))}), nil
}

// returnableOrder returns the buyer's order if a request may be opened for
// it now; otherwise the replies explaining why not (an open request is
// shown instead of opening another).
func (h *pickupHandler) returnableOrder(t *turn, id int64) (commerce.Order, []Reply, error) {
	o, err := h.shop.OwnOrder(t.ctx, t.buyer(), id)
	if err != nil {
		r, err := t.fail(err)
		return o, r, err
	}
	if o.Status != commerce.StatusPickedUp {
		r, err := t.fail(commerce.ErrInvalidTransition)
		return o, r, err
	}
	rets, err := h.pickupService.Returns(t.ctx, t.buyer(), o.ID)
	if err != nil {
		return o, nil, err
	}
	if len(rets) > 0 && rets[0].Status.Open() {
		r, err := h.orders.view(t, o, "order_details")
		return o, r, err
	}
	if !h.canReturn(t, o) {
		r, err := t.fail(commerce.ErrReturnWindowClosed)
		return o, r, err
	}
	return o, nil, nil
}

// returnKind asks for the reason.
func (h *pickupHandler) returnKind(t *turn, id int64, kind commerce.ReturnKind) ([]Reply, error) {
	o, r, err := h.returnableOrder(t, id)
	if r != nil || err != nil {
		return r, err
	}
	var rows [][]Button
	for i, reason := range commerce.ReturnReasons {
		b := t.btn("return_reason_"+reason, VerbReturnReason.Of(o.ID, kind, reason))
		if i%2 == 0 {
			rows = append(rows, []Button{b})
		} else {
			rows[len(rows)-1] = append(rows[len(rows)-1], b)
		}
	}
	rows = append(rows, []Button{t.btn("btn_back", VerbReturnStart.Of(o.ID))})
	return say(t.text("return_reason_choose", map[string]any{"Number": o.Number, "Kind": t.text("return_kind_"+string(kind), nil)}), rows...), nil
}

// returnReason opens the request and offers drop-off slots.
func (h *pickupHandler) returnReason(t *turn, id int64, kind commerce.ReturnKind, reason string) ([]Reply, error) {
	o, r, err := h.returnableOrder(t, id)
	if r != nil || err != nil {
		return r, err
	}
	ret, err := h.pickupService.StartReturn(t.ctx, t.buyer(), commerce.ReturnRequest{OrderID: o.ID, Kind: kind, Reason: reason})
	switch {
	case errors.Is(err, commerce.ErrInvalid):
		return t.fail(commerce.ErrInvalidTransition) // no longer picked up
	case err != nil:
		return t.fail(err)
	}
	pt, loc, err := h.pointOf(t, ret.PointID)
	if err != nil {
		return nil, err
	}
	reply, err := h.slotPicker(t, dropoffTarget(ret), "dropoff_choose", h.returnData(t, o, pt, ret, loc), loc, 0, false)
	if err != nil {
		return nil, err
	}
	return append(say(t.text("return_started", h.returnData(t, o, pt, ret, loc))), reply), nil
}

// ownReturn returns the buyer's request and its order; ErrNotFound for
// anyone else's.
func (h *pickupHandler) ownReturn(t *turn, id int64) (commerce.Return, commerce.Order, error) {
	r, err := h.pickupService.Store().Return(t.ctx, id)
	if err != nil {
		return r, commerce.Order{}, err
	}
	o, err := h.shop.OwnOrder(t.ctx, t.buyer(), r.OrderID)
	return r, o, err
}

// openReturn returns the buyer's open request, or the replies explaining
// why there is none.
func (h *pickupHandler) openReturn(t *turn, id int64) (commerce.Return, commerce.Order, []Reply, error) {
	r, o, err := h.ownReturn(t, id)
	if err != nil {
		rep, err := t.fail(err)
		return r, o, rep, err
	}
	if !r.Status.Open() {
		rep, err := h.orders.view(t, o, "order_details")
		return r, o, rep, err
	}
	return r, o, nil, nil
}

// dropoffSlots offers slots to bring a request's goods to the counter.
func (h *pickupHandler) dropoffSlots(t *turn, id int64, page int, edit bool) ([]Reply, error) {
	r, o, rep, err := h.openReturn(t, id)
	if rep != nil || err != nil {
		return rep, err
	}
	return h.dropoffPicker(t, r, o, page, edit, nil)
}

func (h *pickupHandler) dropoffPicker(t *turn, r commerce.Return, o commerce.Order, page int, edit bool, notes []Reply) ([]Reply, error) {
	pt, loc, err := h.pointOf(t, r.PointID)
	if err != nil {
		return nil, err
	}
	reply, err := h.slotPicker(t, dropoffTarget(r), "dropoff_choose", h.returnData(t, o, pt, r, loc), loc, page, edit)
	if err != nil {
		return nil, err
	}
	return append(notes, reply), nil
}

// bookDropoff books (or moves) a request's drop-off slot.
func (h *pickupHandler) bookDropoff(t *turn, id, minutes int64) ([]Reply, error) {
	r, o, rep, err := h.openReturn(t, id)
	if rep != nil || err != nil {
		return rep, err
	}
	start := time.Unix(minutes*60, 0)
	saved, err := h.pickupService.BookDropoff(t.ctx, t.buyer(), r.ID, commerce.PickupSlot{PointID: r.PointID, Start: start})
	switch {
	case errors.Is(err, commerce.ErrSlotFull):
		return h.dropoffPicker(t, r, o, 0, false, say(t.text("err_slot_full", nil)))
	case errors.Is(err, commerce.ErrInvalid):
		return h.dropoffPicker(t, r, o, 0, false, say(t.text("err_slot_gone", nil)))
	case err != nil:
		return t.fail(err)
	}
	pt, loc, err := h.pointOf(t, saved.PointID)
	if err != nil {
		return nil, err
	}
	rows := append(h.returnRows(t, saved), []Button{t.btn("btn_back", VerbOrder.Of(o.ID))})
	return say(t.text("dropoff_booked", h.returnData(t, o, pt, saved, loc)), rows...), nil
}

// cancelReturn withdraws the buyer's open request.
func (h *pickupHandler) cancelReturn(t *turn, id int64) ([]Reply, error) {
	r, o, err := h.ownReturn(t, id)
	if err != nil {
		return t.fail(err)
	}
	if _, err := h.pickupService.CancelReturn(t.ctx, t.buyer(), r.ID); err != nil {
		return t.fail(err)
	}
	return say(t.text("return_cancelled", map[string]any{"Number": o.Number}),
		[]Button{t.btn("btn_back", VerbOrder.Of(o.ID)), t.btn("btn_orders", VerbOrders.Of())}), nil
}
