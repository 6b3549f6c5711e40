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

// Verbs of payment at pickup.
const (
	VerbHandOverPaid Verb = "rdp"
	VerbPayAmount    Verb = "rda"
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
	return say(t.text("staff_inspect", data)+"\n\n"+t.text("staff_pay_ask", data), methods,
		[]Button{t.btn("staff_pay_btn_amount", VerbPayAmount.Of(d.Nonce)), t.btn("btn_staff_cancel", VerbHandOverCancel.Of(d.Nonce))}), nil
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
