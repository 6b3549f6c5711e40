package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"shopbot/commerce"
	"shopbot/templates"
)

// Notices of a feature switched off cannot be rendered.
var (
	errNoPickup  = errors.New("bot: pickup notices need Options.Pickup")
	errNoDrops   = errors.New("bot: drop notices need Options.Drops")
	errNoDesk    = errors.New("bot: order notes need Options.Desk")
	errNoRestock = errors.New("bot: back-in-stock notices need Options.Restock")
	errNoPay     = errors.New("bot: payment notices need Options.Payments")
)

// RenderNotice turns a notice into the replies to deliver to n.ChatID on
// n.Channel, in n.Lang (else the order's language), with the buttons the
// buyer (or seller) acts on. It reads the current state and never touches
// sessions. A notice overtaken by events — the order collected, cancelled
// or moved on, a reminder or booking notice whose booking is no longer the
// active one, a slot already started — renders nothing: no replies and a
// nil error. Errors are for the job to retry (storage) or to give up on (a
// malformed notice).
func (r *Router) RenderNotice(ctx context.Context, n Notice) ([]Reply, error) {
	if n.Kind == NoticeOrderCancelled || n.Kind == NoticeNewOrders || n.Kind == NoticeOrderNote {
		if n.Kind == NoticeNewOrders && n.Lang == "" {
			n.Lang = r.chatLang(ctx, n.Channel, n.UserID)
		}
		lang := templates.Match(n.Lang)
		if lang == "" {
			lang = templates.Default
		}
		t := &turn{r: r, ctx: ctx, s: &Session{Lang: lang}, lang: lang,
			m: Message{Channel: n.Channel, ChatID: n.ChatID, UserID: n.UserID}}
		switch n.Kind {
		case NoticeNewOrders:
			return r.orders.renderNewOrders(t, n)
		case NoticeOrderNote:
			if r.desk == nil {
				return nil, errNoDesk
			}
			return r.desk.renderNote(t, n)
		}
		return r.orders.renderCancelNotice(t, n)
	}
	if n.Kind == NoticePaid || n.Kind == NoticeRefund || n.Kind == NoticePaymentAlert {
		if r.pay == nil {
			return nil, errNoPay
		}
		return r.pay.renderNotice(r, ctx, n)
	}
	if n.Kind == NoticeQuestion || n.Kind == NoticeAnswer {
		return r.questions.renderNotice(r, ctx, n)
	}
	if n.Kind == NoticeRestocked {
		if r.restock == nil {
			return nil, errNoRestock
		}
		return r.restock.renderNotice(r, ctx, n)
	}
	if n.Kind == NoticeDropStarted || n.Kind == NoticeDropOffer {
		if r.drops == nil {
			return nil, errNoDrops
		}
		return r.drops.renderNotice(r, ctx, n)
	}
	if r.pickup == nil {
		return nil, errNoPickup
	}
	if n.Kind == NoticeStaffFlood {
		return r.staff.renderFlood(r, ctx, n)
	}
	return r.pickup.renderNotice(r, ctx, n)
}

// renderNotice renders the pickup notices (RenderNotice).
func (h *pickupHandler) renderNotice(r *Router, ctx context.Context, n Notice) ([]Reply, error) {
	o, ret, err := h.noticeOrder(ctx, n)
	if err != nil || o.ID == 0 {
		return nil, err
	}
	lang := templates.Match(n.Lang)
	if lang == "" {
		if lang = templates.Match(o.Lang); lang == "" {
			lang = templates.Default
		}
	}
	// A turn of its own: the session is a throwaway, never loaded nor saved.
	t := &turn{r: r, ctx: ctx, s: &Session{Lang: lang}, lang: lang,
		m: Message{Channel: o.Buyer.Channel, ChatID: n.ChatID, UserID: o.Buyer.UserID}}
	pt, loc, err := h.pointOf(t, o.PickupPointID)
	if err != nil {
		return nil, err
	}
	nc := noticeCase{n: n, o: o, pt: pt, loc: loc, data: h.pointData(t, o, pt)}
	ready := o.Status == commerce.StatusReadyForPickup
	switch n.Kind {
	case NoticeArrived:
		return onlyIf(ready, func() ([]Reply, error) { return h.noticeArrived(t, o, nc.data, loc) })
	case NoticeBooked, NoticeReminderDay, NoticeReminderHour:
		return onlyIf(ready, func() ([]Reply, error) { return h.noticeBooking(t, nc) })
	case NoticeMissed:
		return onlyIf(ready, func() ([]Reply, error) { return h.noticeMissed(t, nc) })
	case NoticeCollected:
		return onlyIf(o.Status == commerce.StatusPickedUp, func() ([]Reply, error) { return h.noticeCollected(t, nc) })
	case NoticeCodeReissued:
		return onlyIf(ready, func() ([]Reply, error) { return h.noticeCodeReissued(t, nc) })
	case NoticeReturn:
		var rows [][]Button
		if ret.Status.Open() {
			rows = h.returnRows(t, ret)
		}
		rows = append(rows, []Button{t.btn("btn_order", VerbOrder.Of(o.ID))})
		return say(t.text("notice_return_"+string(ret.Status), h.returnData(t, o, pt, ret, loc)), rows...), nil
	case NoticeHoldExpired:
		return onlyIf(ready, func() ([]Reply, error) { return h.noticeHoldExpired(t, nc) })
	}
	return nil, fmt.Errorf("bot: unknown notice kind %q: %w", n.Kind, commerce.ErrInvalid)
}

// noticeCase is one pickup notice being rendered: the notice, its order
// and point, and the data every pickup text gets.
type noticeCase struct {
	n    Notice
	o    commerce.Order
	pt   commerce.PickupPoint
	loc  *time.Location
	data map[string]any
}

// onlyIf renders a notice still true; one overtaken by events says nothing.
func onlyIf(still bool, render func() ([]Reply, error)) ([]Reply, error) {
	if !still {
		return nil, nil
	}
	return render()
}

// noticeOrder loads the order a notice is about (and the return, for a
// return notice) and checks the notice names its buyer. A zero order with
// no error means the record is gone: nothing to say.
func (h *pickupHandler) noticeOrder(ctx context.Context, n Notice) (commerce.Order, commerce.Return, error) {
	p := h.pickupService
	var ret commerce.Return
	orderID := n.OrderID
	if n.Kind == NoticeReturn {
		if n.ReturnID <= 0 {
			return commerce.Order{}, ret, fmt.Errorf("bot: %s notice without a return id: %w", n.Kind, commerce.ErrInvalid)
		}
		var err error
		if ret, err = p.Store().Return(ctx, n.ReturnID); err != nil {
			return commerce.Order{}, ret, ignoreGone(err)
		}
		if orderID != 0 && orderID != ret.OrderID {
			return commerce.Order{}, ret, fmt.Errorf("bot: return %d is not of order %d: %w", ret.ID, orderID, commerce.ErrInvalid)
		}
		orderID = ret.OrderID
	}
	if orderID <= 0 {
		return commerce.Order{}, ret, fmt.Errorf("bot: %s notice without an order id: %w", n.Kind, commerce.ErrInvalid)
	}
	o, err := p.Store().Order(ctx, orderID)
	if err != nil {
		return commerce.Order{}, ret, ignoreGone(err)
	}
	if n.Kind != NoticeHoldExpired && n.UserID != "" && (o.Buyer.Channel != n.Channel || o.Buyer.UserID != n.UserID) {
		return commerce.Order{}, ret, fmt.Errorf("bot: %s notice for order %d addressed to another user: %w", n.Kind, o.ID, commerce.ErrInvalid)
	}
	return o, ret, nil
}

// noticeBooking confirms a booking, or reminds of it the day or the hour
// before; a booking since moved, cancelled or missed says nothing.
func (h *pickupHandler) noticeBooking(t *turn, nc noticeCase) ([]Reply, error) {
	n, o, data := nc.n, nc.o, nc.data
	if n.BookingID <= 0 {
		return nil, fmt.Errorf("bot: %s notice without a booking id: %w", n.Kind, commerce.ErrInvalid)
	}
	bk, err := h.activeBooking(t, o)
	if err != nil || bk == nil || bk.ID != n.BookingID {
		return nil, err // moved, cancelled, missed or collected meanwhile
	}
	if n.Kind != NoticeBooked && !h.pickupService.Now().Before(bk.Start) {
		return nil, nil // a reminder that comes too late says nothing
	}
	if data["Code"], err = h.passCode(t, o); err != nil {
		return nil, err
	}
	withSlot(data, bk.Start, bk.End, nc.loc)
	rows := h.bookingRows(t, o.ID, true)
	if n.Kind != NoticeBooked {
		rows = [][]Button{{t.btn("btn_reschedule", VerbPickupSlots.Of(o.ID)), t.btn("btn_show_code", VerbPickupCode.Of(o.ID))}}
	}
	return say(t.text("notice_"+n.Kind, data), rows...), nil
}

// noticeMissed offers new slots after a missed one; a rebooked order says nothing.
func (h *pickupHandler) noticeMissed(t *turn, nc noticeCase) ([]Reply, error) {
	n, o, data := nc.n, nc.o, nc.data
	bk, err := h.activeBooking(t, o)
	if err != nil || bk != nil {
		return nil, err // rebooked meanwhile
	}
	if n.BookingID > 0 {
		missed, err := h.pickupService.Booking(t.ctx, n.BookingID)
		if err != nil {
			return nil, ignoreGone(err)
		}
		if missed.OrderID != o.ID || missed.Status != commerce.BookingStatusMissed {
			return nil, nil
		}
		withSlot(data, missed.Start, missed.End, nc.loc)
	}
	rows, ok, err := h.slotRows(t, noticeTarget(o), nc.loc, 0)
	if err != nil {
		return nil, err
	}
	data["Slots"] = ok
	return say(t.text("notice_missed", data), rows...), nil
}

// noticeCollected thanks the buyer and says until when returns are taken.
func (h *pickupHandler) noticeCollected(t *turn, nc noticeCase) ([]Reply, error) {
	o, data := nc.o, nc.data
	deadline, err := h.pickupService.ReturnDeadline(t.ctx, o.Buyer, o.ID)
	if err != nil {
		return nil, ignoreGone(err)
	}
	data["Deadline"] = deadline.In(nc.loc)
	var rows [][]Button
	if h.pickupService.Now().Before(deadline) {
		rows = append(rows, []Button{t.btn("btn_return", VerbReturnStart.Of(o.ID))})
	}
	rows = append(rows, []Button{t.btn("btn_orders", VerbOrders.Of()), t.btn("btn_shop", VerbCategories.Of())})
	return say(t.text("notice_collected", data), rows...), nil
}

// noticeCodeReissued gives the buyer the new pickup code.
func (h *pickupHandler) noticeCodeReissued(t *turn, nc noticeCase) ([]Reply, error) {
	o, data := nc.o, nc.data
	pass, err := h.pickupService.Pass(t.ctx, o.Buyer, o.ID)
	if err != nil {
		return nil, ignoreGone(err)
	}
	data["Code"], data["Expires"] = pass.Code, pass.ExpiresAt.In(nc.loc)
	return say(t.text("notice_code_reissued", data), []Button{t.btn("btn_show_code", VerbPickupCode.Of(o.ID))}), nil
}

// noticeHoldExpired tells the seller an order was not collected in time.
func (h *pickupHandler) noticeHoldExpired(t *turn, nc noticeCase) ([]Reply, error) {
	o, data := nc.o, nc.data
	code, err := h.pickupService.Store().CodeOf(t.ctx, o.ID)
	if err != nil {
		return nil, ignoreGone(err)
	}
	data["Days"] = max(1, int(h.pickupService.Now().Sub(code.ReadyAt)/(24*time.Hour)))
	data["Name"], data["Phone"], data["PointCode"] = o.ContactName, o.Phone, nc.pt.Code
	return say(t.text("notice_hold_expired", data)), nil
}

// noticeArrived tells the buyer the order is at its point, with slots to
// book (or the booking, when the buyer was quicker than the notice).
func (h *pickupHandler) noticeArrived(t *turn, o commerce.Order, data map[string]any, loc *time.Location) ([]Reply, error) {
	var err error
	if data["Code"], err = h.passCode(t, o); err != nil {
		return nil, err
	}
	bk, err := h.activeBooking(t, o)
	if err != nil {
		return nil, err
	}
	if bk != nil {
		withSlot(data, bk.Start, bk.End, loc)
		data["Slots"] = false
		return say(t.text("notice_arrived", data), h.bookingRows(t, o.ID, true)...), nil
	}
	rows, ok, err := h.slotRows(t, noticeTarget(o), loc, 0)
	if err != nil {
		return nil, err
	}
	data["Slots"] = ok
	if !ok {
		rows = [][]Button{{t.btn("btn_show_code", VerbPickupCode.Of(o.ID))}}
	}
	return say(t.text("notice_arrived", data), rows...), nil
}

// ignoreGone turns "the record is gone" into nothing to say.
func ignoreGone(err error) error {
	if errors.Is(err, commerce.ErrNotFound) {
		return nil
	}
	return err
}

// noticeTarget books from a notice; its extra button opens the order.
func noticeTarget(o commerce.Order) slotTarget {
	st := pickupTarget(o)
	st.backKey = "btn_order"
	return st
}
