package bot

import (
	"errors"
	"strings"

	"shopbot/commerce"
)

// Payment at pickup in the chat: an unpaid order is handed over only with
// its payment. After the code, staff tap how the buyer paid (cash, card,
// transfer) for the order's total, or first type the amount received;
// the tap records the payment and hands the order over
// (commerce.Pickup.HandOverBy).
//
//	rdp:<nonce>:<method>  hand over, paid by method (the typed amount, else the total)
//	rda:<nonce>           asks for the amount received (step rd_amount)
//	rdw:<nonce>           WeChat Pay at the counter: the QR code the buyer scans
//	rdc:<nonce>           "Paid? Check": asks WeChat Pay, then hand over once paid
//	rdo:<nonce>           another way to pay: the payment buttons again

// Verbs of payment at pickup.
const (
	VerbHandOverPaid   Verb = "rdp"
	VerbPayAmount      Verb = "rda"
	VerbPayWeChatQR    Verb = "rdw"
	VerbPayWeChatCheck Verb = "rdc"
	VerbPayOther       Verb = "rdo"
)

// stepPayAmount awaits the amount received (StaffDraft.Amount).
const stepPayAmount Step = "rd_amount"

// askPayment shows the order to hand over with the payment buttons.
func (h *staffHandler) askPayment(t *turn, col commerce.Collection, data map[string]any) ([]Reply, error) {
	d := t.s.Staff
	amount := col.Order.Total
	if d.Amount > 0 {
		amount.Amount = d.Amount
	}
	data["Amount"] = amount
	var methods []Button
	for _, m := range commerce.PaymentMethods {
		methods = append(methods, Button{Text: t.text("staff_pay_btn_"+string(m), map[string]any{"Amount": amount}),
			Action: VerbHandOverPaid.Of(d.Nonce, string(m))})
	}
	rows := [][]Button{methods}
	if h.wechatAtCounter(col.Order) {
		rows = append(rows, []Button{{Text: t.text("staff_pay_btn_wechat", map[string]any{"Amount": col.Order.Total}),
			Action: VerbPayWeChatQR.Of(d.Nonce)}})
	}
	rows = append(rows, []Button{t.btn("staff_pay_btn_amount", VerbPayAmount.Of(d.Nonce)), t.btn("btn_staff_cancel", VerbHandOverCancel.Of(d.Nonce))})
	return say(t.text("staff_inspect", data)+"\n\n"+t.text("staff_pay_ask", data), rows...), nil
}

// handOverPaidAction reads "<nonce>:<method>" and hands the order over
// with its payment.
func (h *staffHandler) handOverPaidAction(t *turn, a args) ([]Reply, error) {
	method, err := commerce.ParsePaymentMethod(a.str(len(a) - 1))
	d := t.s.Staff
	if err != nil || len(a) < 2 || d.Nonce == "" || strings.Join(a[:len(a)-1], ":") != d.Nonce || d.Input == "" || d.PointID == 0 {
		return t.stale()
	}
	t.s.leaveStep(stepPayAmount)
	t.s.Staff = StaffDraft{}
	pay := &commerce.Payment{Method: method, Amount: commerce.Money{Amount: d.Amount}}
	col, err := h.pickupService.HandOverBy(t.ctx, commerce.Clerk{Staff: t.identity()}, d.PointID, d.Input, pay)
	if errors.Is(err, commerce.ErrAlreadyPaid) && col.Order.ID != 0 {
		// The buyer's WeChat Pay QR paid it meanwhile: nothing recorded.
		t.s.Staff = StaffDraft{Nonce: d.Nonce, Input: d.Input, PointID: d.PointID}
		return h.paidView(t, col, "staff_wechat_paid_meanwhile")
	}
	if err != nil {
		return h.staffFail(t, err)
	}
	pt, loc, err := h.pickup.pointOf(t, d.PointID)
	if err != nil {
		return nil, err
	}
	data := h.collectionData(t, col, pt, loc)
	data["Amount"], data["Method"] = col.Order.Paid.Amount, t.text("pay_"+string(col.Order.Paid.Method), nil)
	return say(t.text("staff_handed_over", data)+"\n"+t.text("staff_paid", data), h.staffRow(t)), nil
}

// askAmount awaits the amount received.
func (h *staffHandler) askAmount(t *turn, nonce string) ([]Reply, error) {
	d := t.s.Staff
	if d.Nonce == "" || nonce != d.Nonce || d.Input == "" || d.PointID == 0 {
		return t.stale()
	}
	t.s.setStep(stepPayAmount)
	return say(t.text("staff_pay_amount_ask", nil), []Button{t.btn("btn_staff_cancel", VerbHandOverCancel.Of(d.Nonce))}), nil
}

// amountStep takes the typed amount and shows the payment buttons again.
func (h *staffHandler) amountStep(t *turn, text string) ([]Reply, error) {
	d := t.s.Staff
	if d.Nonce == "" || d.Input == "" || d.PointID == 0 {
		t.s.leaveStep(stepPayAmount)
		return t.help("help_unknown")
	}
	col, err := h.pickupService.Inspect(t.ctx, t.identity(), d.PointID, d.Input)
	if err != nil {
		t.s.leaveStep(stepPayAmount)
		t.s.Staff = StaffDraft{}
		return h.staffFail(t, err)
	}
	amount, err := commerce.ParseMoney(strings.NewReplacer(",", ".", " ", "", "¥", "", "₽", "").Replace(text), col.Order.Total.Currency)
	if errors.Is(err, commerce.ErrInvalid) || err == nil && amount.Amount <= 0 {
		return say(t.text("staff_pay_amount_bad", nil), []Button{t.btn("btn_staff_cancel", VerbHandOverCancel.Of(d.Nonce))}), nil
	}
	if err != nil {
		return nil, err
	}
	t.s.leaveStep(stepPayAmount)
	t.s.Staff.Amount = amount.Amount
	pt, loc, err := h.pickup.pointOf(t, d.PointID)
	if err != nil {
		return nil, err
	}
	return h.askPayment(t, col, h.collectionData(t, col, pt, loc))
}

// wechatAtCounter reports whether the buyer of o may pay at the counter
// by scanning a WeChat Pay QR code.
func (h *staffHandler) wechatAtCounter(o commerce.Order) bool {
	return h.payments.WeChat() && !o.Paid.IsPaid() && o.Total.Currency == "CNY"
}

// heldDraft checks a button's nonce against the redemption held in the
// session, inspected at a point.
func heldDraft(t *turn, nonce string) (StaffDraft, bool) {
	d := t.s.Staff
	return d, d.Nonce != "" && nonce == d.Nonce && d.Input != "" && d.PointID != 0
}

// wechatQR shows the QR code of the held order's WeChat Pay transaction
// at the counter (commerce.Payments.BeginCounter) for the buyer to scan.
func (h *staffHandler) wechatQR(t *turn, nonce string) ([]Reply, error) {
	d, ok := heldDraft(t, nonce)
	if !ok || h.payments == nil {
		return t.stale()
	}
	t.s.leaveStep(stepPayAmount)
	col, err := h.pickupService.Inspect(t.ctx, t.identity(), d.PointID, d.Input)
	if err != nil {
		t.s.Staff = StaffDraft{}
		return h.staffFail(t, err)
	}
	if col.Order.Paid.IsPaid() {
		return h.paidView(t, col, "staff_wechat_paid")
	}
	o, a, err := h.payments.BeginCounter(t.ctx, commerce.Clerk{Staff: t.identity()}, d.PointID, col.Order.Number)
	if errors.Is(err, commerce.ErrAlreadyPaid) {
		return h.inspect(t, d.PointID)
	}
	if err != nil {
		return h.staffFail(t, err)
	}
	t.s.Staff.Trade, t.s.Staff.Amount = a.OutTradeNo, 0
	return []Reply{{Text: t.text("staff_wechat_qr", map[string]any{"Number": o.Number, "Amount": a.Amount}),
		Image: "/pay/qr/" + a.OutTradeNo + ".png", Buttons: h.wechatButtons(t, d.Nonce)}}, nil
}

func (h *staffHandler) wechatButtons(t *turn, nonce string) [][]Button {
	return [][]Button{{t.btn("staff_wechat_btn_check", VerbPayWeChatCheck.Of(nonce))},
		{t.btn("staff_wechat_btn_other", VerbPayOther.Of(nonce)), t.btn("btn_staff_cancel", VerbHandOverCancel.Of(nonce))}}
}

// wechatCheck asks WeChat Pay about the QR shown (the notification may
// be slow) and, once the order is paid, offers the hand-over.
func (h *staffHandler) wechatCheck(t *turn, nonce string) ([]Reply, error) {
	d, ok := heldDraft(t, nonce)
	if !ok || h.payments == nil {
		return t.stale()
	}
	var checkErr error
	if d.Trade != "" {
		if _, err := h.payments.Refresh(t.ctx, d.Trade); err != nil && !errors.Is(err, commerce.ErrNotFound) {
			checkErr = err
		}
	}
	col, err := h.pickupService.Inspect(t.ctx, t.identity(), d.PointID, d.Input)
	if err != nil {
		t.s.Staff = StaffDraft{}
		return h.staffFail(t, err)
	}
	if col.Order.Paid.IsPaid() {
		return h.paidView(t, col, "staff_wechat_paid")
	}
	if checkErr != nil {
		if ue, ok := ErrorText(checkErr, InChat); ok {
			return say(t.text(ue.Key, nil), h.wechatButtons(t, d.Nonce)...), nil
		}
		return nil, checkErr
	}
	return say(t.text("staff_wechat_not_yet", nil), h.wechatButtons(t, d.Nonce)...), nil
}

// paidView shows a paid order held for the hand-over: key's words, the
// order, and the hand-over buttons.
func (h *staffHandler) paidView(t *turn, col commerce.Collection, key string) ([]Reply, error) {
	d := t.s.Staff
	pt, loc, err := h.pickup.pointOf(t, d.PointID)
	if err != nil {
		return nil, err
	}
	data := h.collectionData(t, col, pt, loc)
	data["Amount"], data["Method"] = col.Order.Paid.Amount, t.text("pay_"+string(col.Order.Paid.Method), nil)
	return say(t.text(key, data)+"\n\n"+t.text("staff_inspect", data),
		[]Button{t.btn("btn_hand_over", VerbHandOver.Of(d.Nonce)), t.btn("btn_staff_cancel", VerbHandOverCancel.Of(d.Nonce))}), nil
}

// payOther shows the held order with the payment buttons again.
func (h *staffHandler) payOther(t *turn, nonce string) ([]Reply, error) {
	d, ok := heldDraft(t, nonce)
	if !ok {
		return t.stale()
	}
	return h.inspect(t, d.PointID)
}
