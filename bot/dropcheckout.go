package bot

import (
	"errors"
	"shopbot/commerce"
)

// Finishing a drop order: the buyer's reservation becomes an order once a
// pickup point, a name and a phone are given (the per-person limit counted
// on the phone at that moment), or is given back. Where online payment is
// configured the order is pending until the reservation's end and the
// buyer is shown the order review with its payment choice. Part of the drops
// feature (drops.go has its routes); DropState.Buy is its part of the
// session.

// Steps of the drop checkout.
const (
	stepDropName  Step = "dco_name"
	stepDropPhone Step = "dco_phone"
)

// DropCheckout is a drop reservation being turned into an order. Its
// buttons carry the nonce; the reservation stays here.
type DropCheckout struct {
	Nonce   string `json:"n,omitempty"`
	Res     int64  `json:"r,omitempty"`
	PointID int64  `json:"pt,omitempty"`
	Name    string `json:"nm,omitempty"`
}

// liveReservation loads the buyer's own reservation and says why it cannot
// be finished when it cannot (replies set).
func (h *dropsHandler) liveReservation(t *turn, id int64) (commerce.DropReservation, commerce.Drop, []Reply, error) {
	drops := h.dropService
	r, err := drops.OwnReservation(t.ctx, t.buyer(), id)
	if errors.Is(err, commerce.ErrNotFound) {
		rep, err := t.stale()
		return r, commerce.Drop{}, rep, err
	}
	if err != nil {
		return r, commerce.Drop{}, nil, err
	}
	d, err := drops.Get(t.ctx, r.DropID)
	if err != nil {
		return r, d, nil, err
	}
	switch {
	case r.Status == commerce.DropOrdered:
		return r, d, say(t.text("drop_already_ordered", nil), []Button{t.btn("btn_orders", VerbOrders.Of())}), nil
	case r.Status != commerce.DropReserved || !drops.Now().Before(r.ExpiresAt):
		rep, err := h.dropNote(t, d, "drop_expired", nil)
		return r, d, rep, err
	}
	return r, d, nil, nil
}

// dropRelease gives the buyer's reservation back (it is theirs, and live).
func (h *dropsHandler) dropRelease(t *turn, id int64) ([]Reply, error) {
	_, d, rep, err := h.liveReservation(t, id)
	if rep != nil || err != nil {
		return rep, err
	}
	if _, err := h.dropService.Release(t.ctx, id, t.buyer()); err != nil {
		return t.fail(err)
	}
	if t.s.Drops.Buy.Res == id {
		h.leaveDropCheckout(t)
	}
	d, err = h.dropService.Get(t.ctx, d.ID)
	if err != nil {
		return nil, err
	}
	return h.dropNote(t, d, "drop_released", nil)
}

// dropFinish starts turning a reservation into an order: the pickup point first.
func (h *dropsHandler) dropFinish(t *turn, id int64) ([]Reply, error) {
	if t.m.Group {
		return say(t.text("checkout_private", nil)), nil
	}
	r, d, rep, err := h.liveReservation(t, id)
	if rep != nil || err != nil {
		return rep, err
	}
	points, err := h.shop.Store().PickupPoints(t.ctx)
	if err != nil {
		return nil, err
	}
	if len(points) == 0 {
		return say(t.text("no_pickup_points", nil), t.mainMenu()...), nil
	}
	t.s.Step, t.s.Drops.Buy = "", DropCheckout{Nonce: newNonce(), Res: r.ID}
	var rows [][]Button
	for _, p := range points {
		rows = append(rows, []Button{{
			Text:   t.text("point_button", map[string]any{"City": p.City.In(t.lang), "Name": p.Name.In(t.lang)}),
			Action: VerbDropPoint.Of(t.s.Drops.Buy.Nonce, p.ID),
		}})
	}
	rows = append(rows, []Button{t.btn("btn_cancel_checkout", VerbDropLeave.Of())})
	return say(t.text("drop_checkout_point", map[string]any{"Qty": r.Qty, "Title": h.dropTitle(t, d),
		"Total": d.Price.Mul(r.Qty), "Until": r.ExpiresAt.In(h.dropZone(t, d))}), rows...), nil
}

func (h *dropsHandler) leaveDropCheckout(t *turn) {
	if t.s.Step == stepDropName || t.s.Step == stepDropPhone {
		t.s.Step = ""
	}
	t.s.Drops.Buy = DropCheckout{}
}

func (h *dropsHandler) dropPoint(t *turn, id int64) ([]Reply, error) {
	p, err := h.shop.Store().PickupPoint(t.ctx, id)
	if err != nil || !p.Active {
		if err == nil || errors.Is(err, commerce.ErrNotFound) {
			return t.stale()
		}
		return nil, err
	}
	t.s.Drops.Buy.PointID, t.s.Step = p.ID, stepDropName
	var rows [][]Button
	if t.s.Contact.Name != "" {
		rows = append(rows, []Button{{Text: t.text("btn_use", map[string]any{"Value": t.s.Contact.Name}), Action: VerbDropName.Of(t.s.Drops.Buy.Nonce)}})
	}
	rows = append(rows, []Button{t.btn("btn_cancel_checkout", VerbDropLeave.Of())})
	return say(t.text("checkout_name", map[string]any{"Point": p.Name.In(t.lang), "Address": p.Address.In(t.lang)}), rows...), nil
}

func (h *dropsHandler) dropName(t *turn, text string) ([]Reply, error) {
	name, err := commerce.NormalizeName(text)
	if err != nil {
		return say(t.text("err_name", nil), []Button{t.btn("btn_cancel_checkout", VerbDropLeave.Of())}), nil
	}
	t.s.Drops.Buy.Name, t.s.Step = name, stepDropPhone
	var rows [][]Button
	if t.s.Contact.Phone != "" {
		rows = append(rows, []Button{{Text: t.text("btn_use", map[string]any{"Value": maskPhone(t.s.Contact.Phone)}), Action: VerbDropPhone.Of(t.s.Drops.Buy.Nonce)}})
	}
	rows = append(rows, []Button{t.btn("btn_cancel_checkout", VerbDropLeave.Of())})
	return []Reply{{Text: t.text("checkout_phone", map[string]any{"Name": name}), Buttons: rows, AskPhone: true}}, nil
}

func (h *dropsHandler) dropPhone(t *turn, text string) ([]Reply, error) {
	phone, err := h.shop.NormalizePhone(text)
	if err != nil {
		return say(t.text("err_phone", nil), []Button{t.btn("btn_cancel_checkout", VerbDropLeave.Of())}), nil
	}
	co := t.s.Drops.Buy
	if co.Nonce == "" || co.Res == 0 || co.PointID == 0 || co.Name == "" {
		h.leaveDropCheckout(t)
		return t.stale()
	}
	o, created, err := h.dropService.Order(t.ctx, commerce.DropOrder{ReservationID: co.Res, Buyer: t.buyer(),
		ChatID: t.m.ChatID, Lang: t.lang, PickupPointID: co.PointID, ContactName: co.Name, Phone: phone,
		Key: "dco:" + SessionKey(t.m) + ":" + co.Nonce})
	_, limited := limitOf(err)
	switch {
	case limited:
		// Too many open orders, or pay at pickup suspended: nothing
		// changed, and the reservation stands until it runs out.
		h.leaveDropCheckout(t)
		ue, _ := ErrorText(err, InChat)
		return say(t.text(ue.Key, t.limitData(err, nil)),
			[]Button{t.btn("btn_orders", VerbOrders.Of()), t.btn("btn_drop_release", VerbDropRelease.Of(co.Res))}), nil
	case errors.Is(err, commerce.ErrDropLimit):
		// Nothing changed: the reservation stands until it runs out.
		h.leaveDropCheckout(t)
		r, rerr := h.dropService.Reservation(t.ctx, co.Res)
		if rerr != nil {
			return nil, rerr
		}
		d, derr := h.dropService.Get(t.ctx, r.DropID)
		if derr != nil {
			return nil, derr
		}
		return say(t.text("drop_phone_limit", map[string]any{"Limit": d.PerBuyerLimit, "Until": r.ExpiresAt.In(h.dropZone(t, d))}),
			[]Button{t.btn("btn_drop_finish", VerbDropFinish.Of(r.ID)), t.btn("btn_drop_release", VerbDropRelease.Of(r.ID))},
			[]Button{t.btn("btn_drop_refresh", VerbDropCard.Of(d.ID))}), nil
	case errors.Is(err, commerce.ErrExpired):
		h.leaveDropCheckout(t)
		_, _, rep, lerr := h.liveReservation(t, co.Res)
		if rep != nil || lerr != nil {
			return rep, lerr
		}
		return h.dropFinish(t, co.Res)
	case errors.Is(err, commerce.ErrInvalid):
		// The pickup point closed meanwhile (name and phone were checked): choose again.
		h.leaveDropCheckout(t)
		return h.dropFinish(t, co.Res)
	case errors.Is(err, commerce.ErrNotFound):
		h.leaveDropCheckout(t)
		return t.stale()
	case err != nil:
		return t.fail(err)
	}
	if created {
		t.event(EventOrderPlaced)
	}
	h.leaveDropCheckout(t)
	t.s.Contact.Name, t.s.Contact.Phone = o.ContactName, o.Phone
	if o.Status == commerce.StatusPending {
		// Online payment is configured: the order waits for the buyer's
		// choice of payment until the reservation's end, as a checkout's
		// order does (the review offers the methods).
		return h.orders.view(t, o, "order_review")
	}
	return h.orders.view(t, o, "order_confirmed")
}
