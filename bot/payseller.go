package bot

import (
	"errors"
	"fmt"
	"strings"

	"shopbot/commerce"
)

// The sellers' side of online payment: the order card says whether and
// how an order was paid and lists its refunds; Refund returns the whole
// order (what is left of it) or one line at a time, with a quantity; a
// refund the seller makes by hand (a Telegram payment, the counter) is
// marked done with Mark refunded; the payment alerts (NoticePaymentAlert)
// are rendered here. Sellers are the Admins, in a private chat. A
// refund's idempotency key is its draft's nonce: a repeated tap makes no
// second refund.
//
//	pyf:<order>                  start a refund: the whole order or line by line
//	pyfa:<nonce>                 the whole order (what is left): confirm
//	pyfl:<nonce>                 the lines left to refund
//	pyfq:<nonce>:<line>:<qty>    one line, qty units (a stepper)
//	pyfo:<nonce>:<line>:<qty>    refund it (line 0: the whole order)
//	pym:<order>:<refund>         mark a manual refund made

// Verbs of the sellers' payments.
const (
	VerbPayRefund       Verb = "pyf"
	VerbPayRefundAll    Verb = "pyfa"
	VerbPayRefundLines  Verb = "pyfl"
	VerbPayRefundQty    Verb = "pyfq"
	VerbPayRefundOK     Verb = "pyfo"
	VerbPayMarkRefunded Verb = "pym"
)

// PayState is the payments' part of the session: the refund a seller is
// putting together (its order and the nonce its buttons carry, which is
// also its idempotency key).
type PayState struct {
	Order int64  `json:"o,omitempty"`
	Nonce string `json:"n,omitempty"`
}

// maxMarkButtons bounds the Mark refunded buttons of one order card.
const maxMarkButtons = 3

func (h *payHandler) sellerRoutes() routes {
	seller := func(f actionFunc) actionFunc {
		return func(t *turn, a args) ([]Reply, error) {
			if !h.orders.orderSeller(t) {
				return t.stale()
			}
			return f(t, a)
		}
	}
	// draft checks a refund button against the draft in the session and
	// loads its order.
	draft := func(n int, f func(t *turn, o commerce.Order, a args) ([]Reply, error)) actionFunc {
		return seller(func(t *turn, a args) ([]Reply, error) {
			d := t.s.Pay
			if len(a) != n || d.Nonce == "" || a.str(0) != d.Nonce || d.Order == 0 {
				return t.stale()
			}
			o, err := h.shop.Store().Order(t.ctx, d.Order)
			if err != nil {
				return t.fail(err)
			}
			return f(t, o, a)
		})
	}
	return routes{actions: map[Verb]actionFunc{
		VerbPayRefund: seller(func(t *turn, a args) ([]Reply, error) {
			id, ok := a.id(0)
			if !ok || len(a) != 1 {
				return t.stale()
			}
			return h.startRefund(t, id)
		}),
		VerbPayRefundAll:   draft(1, func(t *turn, o commerce.Order, _ args) ([]Reply, error) { return h.confirmAll(t, o) }),
		VerbPayRefundLines: draft(1, func(t *turn, o commerce.Order, _ args) ([]Reply, error) { return h.refundLines(t, o) }),
		VerbPayRefundQty: draft(3, func(t *turn, o commerce.Order, a args) ([]Reply, error) {
			line, ok1 := a.num(1, 1, len(o.Lines))
			qty, ok2 := a.num(2, 1, 100000)
			if !ok1 || !ok2 {
				return t.stale()
			}
			return h.refundLine(t, o, line, qty)
		}),
		VerbPayRefundOK: draft(3, func(t *turn, o commerce.Order, a args) ([]Reply, error) {
			line, ok1 := a.num(1, 0, len(o.Lines))
			qty, ok2 := a.num(2, 0, 100000)
			if !ok1 || !ok2 || (line == 0) != (qty == 0) {
				return t.stale()
			}
			return h.refund(t, o, line, qty)
		}),
		VerbPayMarkRefunded: seller(func(t *turn, a args) ([]Reply, error) {
			order, ok1 := a.id(0)
			id, ok2 := a.id(1)
			if !ok1 || !ok2 || len(a) != 2 {
				return t.stale()
			}
			return h.markRefunded(t, order, id)
		}),
	}}
}

// sellerSection is the payment part of the seller's order card: paid or
// not, how, the transaction's last digits, payments of the wrong amount,
// the refunds; with Refund while something is left to refund and Mark
// refunded for refunds the seller makes by hand.
func (h *payHandler) sellerSection(t *turn, o commerce.Order) (string, [][]Button, error) {
	attempts, err := h.payments.Attempts(t.ctx, o.ID)
	if err != nil {
		return "", nil, err
	}
	refunds, err := h.payments.Refunds(t.ctx, o.ID)
	if err != nil {
		return "", nil, err
	}
	var parts []string
	var rows [][]Button
	for _, a := range attempts {
		data := map[string]any{"Method": methodName(t, a.Method), "Amount": a.Amount, "Paid": a.Paid, "Tail": a.TransactionTail()}
		switch a.State {
		case commerce.AttemptPaid:
			parts = append(parts, t.text("pay_desk_paid", data))
		case commerce.AttemptMismatch:
			parts = append(parts, t.text("pay_desk_mismatch", data))
		case commerce.AttemptLate:
			parts = append(parts, t.text("pay_desk_late", data))
		}
	}
	if o.Status == commerce.StatusAwaitingPayment {
		parts = append(parts, t.text("pay_desk_awaiting", map[string]any{"Minutes": minutesLeft(o, h.shop.Now())}))
	}
	marks := 0
	for _, r := range refunds {
		parts = append(parts, t.text("pay_refund_row", refundData(t, r)))
		if r.State == commerce.RefundManual && marks < maxMarkButtons {
			marks++
			rows = append(rows, []Button{{Text: t.text("pay_btn_mark", map[string]any{"Amount": r.Amount}),
				Action: VerbPayMarkRefunded.Of(o.ID, r.ID)}})
		}
	}
	if o.Paid.IsPaid() {
		left, err := h.payments.Refundable(t.ctx, o)
		if err != nil {
			return "", nil, err
		}
		if left > 0 {
			rows = append([][]Button{{t.btn("pay_btn_refund", VerbPayRefund.Of(o.ID))}}, rows...)
		}
	}
	return strings.Join(parts, "\n"), rows, nil
}

// startRefund begins a refund of order id: the whole of what is left, or
// line by line.
func (h *payHandler) startRefund(t *turn, id int64) ([]Reply, error) {
	o, err := h.shop.Store().Order(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	back := []Button{t.btn("btn_order", VerbSellerOrder.Of(o.ID))}
	if !o.Paid.IsPaid() {
		return say(t.text("pay_refund_unpaid", map[string]any{"Number": o.Number}), back), nil
	}
	left, err := h.payments.Refundable(t.ctx, o)
	if err != nil {
		return nil, err
	}
	if left <= 0 {
		return say(t.text("pay_refund_nothing_left", map[string]any{"Number": o.Number}), back), nil
	}
	t.s.Pay = PayState{Order: o.ID, Nonce: newNonce()}
	n := t.s.Pay.Nonce
	return say(t.text("pay_refund_choose", map[string]any{"Number": o.Number, "Paid": o.Paid.Amount,
		"Left": commerce.Money{Amount: left, Currency: o.Total.Currency}, "Method": methodName(t, o.Paid.Method)}),
		[]Button{t.btn("pay_btn_refund_all", VerbPayRefundAll.Of(n))},
		[]Button{t.btn("pay_btn_refund_lines", VerbPayRefundLines.Of(n))}, back), nil
}

// confirmAll asks before refunding all that is left.
func (h *payHandler) confirmAll(t *turn, o commerce.Order) ([]Reply, error) {
	left, err := h.payments.Refundable(t.ctx, o)
	if err != nil {
		return nil, err
	}
	n := t.s.Pay.Nonce
	return say(t.text("pay_refund_confirm", map[string]any{"Number": o.Number, "Amount": commerce.Money{Amount: left, Currency: o.Total.Currency},
		"Method": methodName(t, o.Paid.Method), "Line": "", "Qty": 0, "Max": 0}),
		[]Button{t.btn("pay_btn_refund_ok", VerbPayRefundOK.Of(n, 0, 0))},
		[]Button{t.btn("btn_back", VerbPayRefund.Of(o.ID))}), nil
}

// linesLeft is how many units of each line (1-based) are not refunded yet.
func (h *payHandler) linesLeft(t *turn, o commerce.Order) ([]int, error) {
	refunds, err := h.payments.Refunds(t.ctx, o.ID)
	if err != nil {
		return nil, err
	}
	return commerce.RefundableUnits(o, refunds), nil
}

// refundLines offers the lines with units left to refund.
func (h *payHandler) refundLines(t *turn, o commerce.Order) ([]Reply, error) {
	left, err := h.linesLeft(t, o)
	if err != nil {
		return nil, err
	}
	n := t.s.Pay.Nonce
	var rows [][]Button
	for i, l := range o.Lines {
		if left[i+1] == 0 {
			continue
		}
		rows = append(rows, []Button{{Text: t.text("pay_btn_refund_line", map[string]any{"Title": l.Title.In(t.lang), "Qty": left[i+1]}),
			Action: VerbPayRefundQty.Of(n, i+1, left[i+1])}})
	}
	key := "pay_refund_lines"
	if len(rows) == 0 {
		key = "pay_refund_no_lines"
	}
	rows = append(rows, []Button{t.btn("btn_back", VerbPayRefund.Of(o.ID))})
	return say(t.text(key, map[string]any{"Number": o.Number}), rows...), nil
}

// refundLine shows one line's refund with a quantity stepper.
func (h *payHandler) refundLine(t *turn, o commerce.Order, line, qty int) ([]Reply, error) {
	left, err := h.linesLeft(t, o)
	if err != nil {
		return nil, err
	}
	most := left[line]
	if most == 0 {
		return h.refundLines(t, o)
	}
	qty = min(qty, most)
	l := o.Lines[line-1]
	n := t.s.Pay.Nonce
	var stepper []Button
	if qty > 1 {
		stepper = append(stepper, Button{Text: "−", Action: VerbPayRefundQty.Of(n, line, qty-1)})
	}
	if qty < most {
		stepper = append(stepper, Button{Text: "+", Action: VerbPayRefundQty.Of(n, line, qty+1)})
	}
	rows := [][]Button{}
	if len(stepper) > 0 {
		rows = append(rows, stepper)
	}
	rows = append(rows, []Button{t.btn("pay_btn_refund_ok", VerbPayRefundOK.Of(n, line, qty))},
		[]Button{t.btn("btn_back", VerbPayRefundLines.Of(n))})
	text := t.text("pay_refund_confirm", map[string]any{"Number": o.Number, "Amount": l.UnitPrice.Mul(qty),
		"Method": methodName(t, o.Paid.Method), "Line": l.Title.In(t.lang), "Qty": qty, "Max": most})
	return []Reply{{Text: text, Buttons: rows, Edit: t.verb() == VerbPayRefundQty}}, nil
}

// refund makes the refund the draft stands for (line 0: all that is
// left) and ends the draft; the draft's nonce is its idempotency key.
func (h *payHandler) refund(t *turn, o commerce.Order, line, qty int) ([]Reply, error) {
	in := commerce.RefundInput{Number: o.Number, By: t.identity(), Key: "chat:" + t.identity() + ":" + t.s.Pay.Nonce}
	if line > 0 {
		in.Lines = []commerce.RefundLine{{LineNo: line, Qty: qty}}
	}
	r, _, err := h.payments.Refund(t.ctx, in)
	t.s.Pay = PayState{}
	back := []Button{t.btn("btn_order", VerbSellerOrder.Of(o.ID))}
	if errors.Is(err, commerce.ErrRefundTooMuch) || errors.Is(err, commerce.ErrInvalid) {
		return say(t.text("pay_err_refund_too_much", nil), back), nil
	}
	if err != nil {
		return t.fail(err)
	}
	data := refundData(t, r)
	data["Number"] = o.Number
	rows := [][]Button{}
	key := "pay_refund_sent"
	switch r.State {
	case commerce.RefundRequested:
		key = "pay_refund_queued" // the provider did not take it yet: the reconciliation sends it
	case commerce.RefundSucceeded:
		key = "pay_refund_made"
	case commerce.RefundManual:
		key = "pay_refund_manual"
		data["Charge"] = ""
		if a, err := h.paidAttempt(t, o.ID); err != nil {
			return nil, err
		} else if a.Method == commerce.PayTelegram {
			data["Charge"] = a.ProviderRef
		}
		rows = append(rows, []Button{{Text: t.text("pay_btn_mark", map[string]any{"Amount": r.Amount}), Action: VerbPayMarkRefunded.Of(o.ID, r.ID)}})
	case commerce.RefundFailed:
		key = "pay_refund_failed_now"
	}
	return say(t.text(key, data), append(rows, back)...), nil
}

// markRefunded records that the seller made a manual refund.
func (h *payHandler) markRefunded(t *turn, orderID, id int64) ([]Reply, error) {
	r, ok, err := h.refundByID(t, orderID, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return t.stale()
	}
	o, err := h.shop.Store().Order(t.ctx, orderID)
	if err != nil {
		return t.fail(err)
	}
	back := []Button{t.btn("btn_order", VerbSellerOrder.Of(o.ID))}
	data := refundData(t, r)
	data["Number"] = o.Number
	if r.State != commerce.RefundManual {
		return say(t.text("pay_mark_not_manual", data), back), nil
	}
	if _, _, err := h.payments.MarkRefunded(t.ctx, r.OutRefundNo); err != nil {
		return t.fail(err)
	}
	return say(t.text("pay_marked", data), back), nil
}

// renderAlert tells a seller what needs a person (NoticePaymentAlert):
// with AttemptID, a payment of the wrong amount; with RefundID, a refund
// the provider refused, or one to make by hand — a Telegram payment for
// an order already cancelled (refunded at the provider by its charge id),
// a Telegram or counter payment refunded — with Mark refunded. An alert
// overtaken by events (marked meanwhile) says nothing.
func (h *payHandler) renderAlert(t *turn, n Notice, o commerce.Order) ([]Reply, error) {
	data := map[string]any{"Number": o.Number}
	open := []Button{t.btn("btn_order", VerbSellerOrder.Of(o.ID))}
	switch {
	case n.RefundID > 0:
		r, ok, err := h.refundByID(t, o.ID, n.RefundID)
		if err != nil || !ok {
			return nil, err
		}
		for k, v := range refundData(t, r) {
			data[k] = v
		}
		switch r.State {
		case commerce.RefundFailed:
			return say(t.text("pay_alert_refund_failed", data), open), nil
		case commerce.RefundManual:
		default:
			return nil, nil
		}
		// The payment refunded: the late attempt, else the one that paid.
		var a commerce.PayAttempt
		if r.AttemptID != 0 {
			a, _, err = h.attemptByID(t, o.ID, r.AttemptID)
		} else {
			a, err = h.paidAttempt(t, o.ID)
		}
		if err != nil {
			return nil, err
		}
		data["Charge"], data["Tail"] = a.ProviderRef, a.TransactionTail()
		key := "pay_alert_manual"
		if r.AttemptID != 0 {
			key = "pay_alert_late"
		}
		mark := []Button{{Text: t.text("pay_btn_mark", map[string]any{"Amount": r.Amount}), Action: VerbPayMarkRefunded.Of(o.ID, r.ID)}}
		return say(t.text(key, data), mark, open), nil
	case n.AttemptID > 0:
		a, ok, err := h.attemptByID(t, o.ID, n.AttemptID)
		if err != nil || !ok || a.State != commerce.AttemptMismatch {
			return nil, err
		}
		data["Expected"], data["Paid"], data["Method"], data["Tail"] = a.Amount, a.Paid, methodName(t, a.Method), a.TransactionTail()
		return say(t.text("pay_alert_mismatch", data), open), nil
	}
	return nil, fmt.Errorf("bot: %s notice of order %d names neither an attempt nor a refund: %w", n.Kind, o.ID, commerce.ErrInvalid)
}

// sellerCancellable reports whether a seller may cancel an order in
// status s: awaiting payment too when payments are on (closed at the
// provider first).
//
// An order waiting at its point past its hold period may be cancelled
// too (its stock back, its payment refunded: OrderDesk.CancelOverdue).
func (h *ordersHandler) sellerCancellable(t *turn, o commerce.Order) bool {
	s := o.Status
	return s.SellerCancellable() || h.pay != nil && s == commerce.StatusAwaitingPayment || h.overdue(t, o)
}

// overdue reports whether o waits at its point past its hold period.
func (h *ordersHandler) overdue(t *turn, o commerce.Order) bool {
	if h.desk == nil || o.Status != commerce.StatusReadyForPickup {
		return false
	}
	ok, err := h.desk.desk.Overdue(t.ctx, o)
	return err == nil && ok
}

// sellerCancel cancels an order for a seller: through Payments when on
// (an order awaiting payment is closed at the provider first, a paid one
// refunded), else as before.
func (h *ordersHandler) sellerCancel(t *turn, number, reason string) (commerce.Order, bool, error) {
	if h.desk != nil {
		if o, err := h.shop.Store().OrderByNumber(t.ctx, number); err == nil && h.overdue(t, o) {
			return h.desk.desk.CancelOverdue(t.ctx, number, reason, t.identity())
		}
	}
	if h.pay != nil {
		return h.pay.payments.SellerCancel(t.ctx, h.shop, number, reason, t.identity())
	}
	return h.shop.SellerCancel(t.ctx, number, reason, t.identity())
}
