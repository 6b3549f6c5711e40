package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"shopbot/commerce"
	"shopbot/templates"
)

// Online payment in the buyer's chat (commerce.Payments, Options.Payments):
// a placed order offers the ways it may be paid in this chat — WeChat Pay
// (the pay page inside WeChat, a QR code to scan elsewhere), a Telegram
// invoice (Telegram only), pay at pickup (the order's confirmation,
// oc:<order>) — and says why a cross-border order is paid with WeChat Pay
// only. An order awaiting payment offers them again and its cancellation
// (ox/oxy in orders.go), which closes it at the provider before its stock
// goes back. The receipt and the refund notices are rendered here too.
//
//	py:<order>    the ways to pay an order (again)
//	pyw:<order>   WeChat Pay: a QR code (Native), or the pay page in WeChat
//	pyt:<order>   a Telegram invoice

// Verbs of online payment (the buyer's).
const (
	VerbPayChoose   Verb = "py"
	VerbPayWeChat   Verb = "pyw"
	VerbPayTelegram Verb = "pyt"
)

// payHandler is online payment in the chat, for buyers and sellers
// (payseller.go). With Payments not Online it shows nothing new, and its
// buttons (never shown) answer as stale ones.
type payHandler struct {
	shop     *commerce.Shop
	payments *commerce.Payments
	page     func(o commerce.Order) string
	orders   *ordersHandler
}

// online reports whether orders are paid online: false for a nil handler.
func (h *payHandler) online() bool { return h != nil && h.payments.Online() }

// pageURL is the order's pay page, "" without one.
func (h *payHandler) pageURL(o commerce.Order) string {
	if h.page == nil {
		return ""
	}
	return h.page(o)
}

func (h *payHandler) routes() routes {
	order := func(f func(t *turn, id int64) ([]Reply, error)) actionFunc {
		return func(t *turn, a args) ([]Reply, error) {
			id, ok := a.id(0)
			if !ok || len(a) != 1 || !h.online() {
				return t.stale()
			}
			return f(t, id)
		}
	}
	return routes{actions: map[Verb]actionFunc{
		VerbPayChoose:   order(h.choose),
		VerbPayWeChat:   order(h.wechat),
		VerbPayTelegram: order(h.telegram),
	}}
}

// methodName is a payment method as users read it.
func methodName(t *turn, m commerce.PaymentMethod) string {
	if m == "" {
		return ""
	}
	return t.text("pay_method_"+string(m), nil)
}

// minutesLeft is how many minutes an order still holds its stock.
func minutesLeft(o commerce.Order, now time.Time) int {
	return max(int(o.ExpiresAt.Sub(now).Round(time.Minute).Minutes()), 0)
}

// choices are the buttons of the ways to pay o in this chat, and a note
// when fewer are offered than usual (cross-border goods) or none at all.
func (h *payHandler) choices(t *turn, o commerce.Order) (string, [][]Button, error) {
	offer, err := h.payments.Offer(t.ctx, o, t.m.Channel)
	if err != nil {
		return "", nil, err
	}
	// An invoice is paid in the Telegram chat of the order's buyer (a
	// linked chat of another channel shows the order, not the invoice).
	offer.Telegram = offer.Telegram && o.Buyer.Channel == t.m.Channel
	var rows [][]Button
	if offer.WeChat {
		if url := h.pageURL(o); t.m.Channel == ChannelWeChat && url != "" {
			rows = append(rows, []Button{{Text: t.text("pay_btn_wechat", nil), URL: url}})
		} else {
			rows = append(rows, []Button{t.btn("pay_btn_wechat", VerbPayWeChat.Of(o.ID))})
		}
	}
	if offer.Telegram {
		rows = append(rows, []Button{t.btn("pay_btn_telegram", VerbPayTelegram.Of(o.ID))})
	}
	atPickup := offer.AtPickup && o.Status == commerce.StatusPending
	if atPickup {
		rows = append(rows, []Button{t.btn("pay_btn_pickup", VerbOrderConfirm.Of(o.ID))})
	}
	var note string
	switch {
	case len(rows) == 0:
		note = t.text("pay_none", nil)
	case offer.CrossBorder:
		note = t.text("pay_cross_border", nil)
	}
	return note, rows, nil
}

// buyerSection is the payment part of the buyer's order card: the ways to
// pay a placed order, the time left to pay one awaiting payment, how a
// paid one was paid and its refunds.
func (h *payHandler) buyerSection(t *turn, o commerce.Order) (string, [][]Button, error) {
	var parts []string
	var rows [][]Button
	switch o.Status {
	case commerce.StatusPending:
		note, choices, err := h.choices(t, o)
		if err != nil {
			return "", nil, err
		}
		parts = append(parts, t.text("pay_choose_short", map[string]any{"Note": note}))
		rows = append(rows, choices...)
	case commerce.StatusAwaitingPayment:
		parts = append(parts, t.text("pay_awaiting", map[string]any{"Minutes": minutesLeft(o, h.shop.Now()), "Total": o.Total}))
		rows = append(rows, []Button{t.btn("pay_btn_pay", VerbPayChoose.Of(o.ID))})
	case commerce.StatusConfirmed, commerce.StatusShipped, commerce.StatusArrived, commerce.StatusReadyForPickup:
		if !o.Paid.IsPaid() {
			parts = append(parts, t.text("pay_at_pickup_line", map[string]any{"Total": o.Total}))
		}
	}
	paid, refunds, err := h.paidLines(t, o)
	if err != nil {
		return "", nil, err
	}
	parts = append(parts, paid...)
	parts = append(parts, refunds...)
	return strings.Join(parts, "\n"), rows, nil
}

// paidLines say how o was paid (method, amount, the transaction's last
// digits) and list its refunds; none for an unpaid order without refunds.
func (h *payHandler) paidLines(t *turn, o commerce.Order) (paid, refunds []string, err error) {
	if o.Paid.IsPaid() {
		a, err := h.paidAttempt(t, o.ID)
		if err != nil {
			return nil, nil, err
		}
		paid = append(paid, t.text("pay_paid_line", map[string]any{"Amount": o.Paid.Amount,
			"Method": methodName(t, o.Paid.Method), "Tail": a.TransactionTail()}))
	}
	list, err := h.payments.Refunds(t.ctx, o.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range list {
		refunds = append(refunds, t.text("pay_refund_row", refundData(t, r)))
	}
	return paid, refunds, nil
}

// refundData is what the texts of a refund show.
func refundData(t *turn, r commerce.Refund) map[string]any {
	return map[string]any{"Amount": r.Amount, "Method": methodName(t, r.Method), "State": t.text("pay_refund_state_"+string(r.State), nil),
		"No": r.OutRefundNo, "Late": r.AttemptID != 0 && !mismatchRefund(r), "Mismatch": mismatchRefund(r), "Date": t.date(r.CreatedAt, "")}
}

// mismatchRefund reports whether r gives back a payment of the wrong
// amount, returned whole when its order closed (the store's key).
func mismatchRefund(r commerce.Refund) bool {
	return r.AttemptID != 0 && strings.HasPrefix(r.Key, "mismatch:")
}

// paidAttempt is the attempt that paid order id; the zero attempt when
// it was paid otherwise (at the counter).
func (h *payHandler) paidAttempt(t *turn, orderID int64) (commerce.PayAttempt, error) {
	list, err := h.payments.Attempts(t.ctx, orderID)
	if err != nil {
		return commerce.PayAttempt{}, err
	}
	for _, a := range list {
		if a.State == commerce.AttemptPaid {
			return a, nil
		}
	}
	return commerce.PayAttempt{}, nil
}

// attemptByID is one of an order's attempts.
func (h *payHandler) attemptByID(t *turn, orderID, id int64) (commerce.PayAttempt, bool, error) {
	list, err := h.payments.Attempts(t.ctx, orderID)
	if err != nil {
		return commerce.PayAttempt{}, false, err
	}
	for _, a := range list {
		if a.ID == id {
			return a, true, nil
		}
	}
	return commerce.PayAttempt{}, false, nil
}

// refundByID is one of an order's refunds.
func (h *payHandler) refundByID(t *turn, orderID, id int64) (commerce.Refund, bool, error) {
	list, err := h.payments.Refunds(t.ctx, orderID)
	if err != nil {
		return commerce.Refund{}, false, err
	}
	for _, r := range list {
		if r.ID == id {
			return r, true, nil
		}
	}
	return commerce.Refund{}, false, nil
}

// choose shows the ways to pay a placed order or one awaiting payment;
// any other order is shown as it is.
func (h *payHandler) choose(t *turn, id int64) ([]Reply, error) {
	o, err := h.shop.OwnOrder(t.ctx, t.buyer(), id)
	if err != nil {
		return t.fail(err)
	}
	if o.Status != commerce.StatusPending && o.Status != commerce.StatusAwaitingPayment {
		return h.orders.view(t, o, "order_details")
	}
	note, rows, err := h.choices(t, o)
	if err != nil {
		return nil, err
	}
	rows = append(rows, []Button{t.btn("btn_cancel_order", VerbOrderCancel.Of(o.ID)), t.btn("btn_order", VerbOrder.Of(o.ID))})
	return say(t.text("pay_choose", map[string]any{"Number": o.Number, "Total": o.Total,
		"Minutes": minutesLeft(o, h.shop.Now()), "Note": note}), rows...), nil
}

// wechat starts paying with WeChat Pay: inside WeChat the pay page (which
// pays by JSAPI with the buyer's openid), elsewhere a QR code of a Native
// transaction to scan with WeChat, and the page for a phone.
func (h *payHandler) wechat(t *turn, id int64) ([]Reply, error) {
	o, err := h.shop.OwnOrder(t.ctx, t.buyer(), id)
	if err != nil {
		return t.fail(err)
	}
	if url := h.pageURL(o); t.m.Channel == ChannelWeChat && url != "" {
		return say(t.text("pay_page", map[string]any{"Number": o.Number, "Total": o.Total}),
			[]Button{{Text: t.text("pay_btn_wechat", nil), URL: url}}, []Button{t.btn("btn_order", VerbOrder.Of(o.ID))}), nil
	}
	o, a, err := h.payments.Begin(t.ctx, t.buyer(), id, commerce.PayWeChat, commerce.TradeNative, "")
	if err != nil {
		return h.fail(t, err, id, VerbPayWeChat.Of(id))
	}
	var rows [][]Button
	if url := h.pageURL(o); url != "" {
		rows = append(rows, []Button{{Text: t.text("pay_btn_page", nil), URL: url}})
	}
	rows = append(rows, []Button{t.btn("pay_btn_check", VerbOrder.Of(o.ID)), t.btn("btn_cancel_order", VerbOrderCancel.Of(o.ID))})
	return []Reply{{Text: t.text("pay_qr", map[string]any{"Number": o.Number, "Amount": a.Amount, "Minutes": minutesLeft(o, h.shop.Now())}),
		Image: "/pay/qr/" + a.OutTradeNo + ".png", Buttons: rows}}, nil
}

// telegram sends a Telegram invoice for the order (Telegram Payments).
func (h *payHandler) telegram(t *turn, id int64) ([]Reply, error) {
	if t.m.Channel != ChannelTelegram {
		return t.stale()
	}
	o, a, err := h.payments.Begin(t.ctx, t.buyer(), id, commerce.PayTelegram, commerce.TradeInvoice, "")
	if err != nil {
		return h.fail(t, err, id, VerbPayTelegram.Of(id))
	}
	return []Reply{{Text: t.text("pay_invoice", map[string]any{"Number": o.Number, "Amount": a.Amount, "Minutes": minutesLeft(o, h.shop.Now())}),
		Invoice: h.invoice(t, o, a),
		Buttons: [][]Button{{t.btn("pay_btn_check", VerbOrder.Of(o.ID)), t.btn("btn_cancel_order", VerbOrderCancel.Of(o.ID))}}}}, nil
}

// Telegram's bounds of an invoice.
const (
	invoiceTitleMax = 32
	invoiceDescMax  = 255
	invoiceLabelMax = 64
)

// invoice is the Telegram invoice of attempt a: one price a line; a
// single price of the whole when the lines do not add up to the amount.
func (h *payHandler) invoice(t *turn, o commerce.Order, a commerce.PayAttempt) *Invoice {
	inv := &Invoice{Title: clip(t.text("pay_invoice_title", map[string]any{"Number": o.Number}), invoiceTitleMax),
		Payload: a.OutTradeNo, Currency: a.Amount.Currency}
	var sum int64
	var items []string
	for _, l := range o.Lines {
		label := l.Title.In(t.lang) + " × " + strconv.Itoa(l.Qty)
		items = append(items, label)
		amount := l.UnitPrice.Mul(l.Qty).Amount
		sum += amount
		inv.Prices = append(inv.Prices, InvoicePrice{Label: clip(label, invoiceLabelMax), Amount: amount})
	}
	if sum != a.Amount.Amount || len(inv.Prices) == 0 {
		inv.Prices = []InvoicePrice{{Label: inv.Title, Amount: a.Amount.Amount}}
	}
	inv.Description = clip(t.text("pay_invoice_description", map[string]any{"Number": o.Number, "Items": strings.Join(items, ", ")}), invoiceDescMax)
	return inv
}

// clip cuts s to at most n characters, ending with "…" when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// fail answers a payment that could not start: the provider down (try
// again), the order paid meanwhile (shown), or a domain error's text.
func (h *payHandler) fail(t *turn, err error, id int64, retry string) ([]Reply, error) {
	switch {
	case errors.Is(err, commerce.ErrProvider):
		t.r.o.Log.WarnContext(t.ctx, "payment provider unavailable", "err", t.r.ScrubError(err, t.m.UserID, t.m.ChatID))
		return say(t.text("pay_err_provider", nil),
			[]Button{t.btn("pay_btn_retry", retry), t.btn("btn_order", VerbOrder.Of(id))}), nil
	case errors.Is(err, commerce.ErrAlreadyPaid):
		o, oerr := h.shop.OwnOrder(t.ctx, t.buyer(), id)
		if oerr != nil {
			return t.fail(oerr)
		}
		r, verr := h.orders.view(t, o, "order_details")
		return append(say(t.text("pay_err_already_paid", nil)), r...), verr
	}
	return t.fail(err)
}

// cancel cancels the buyer's order awaiting payment: closed at the
// provider first, then its stock released (Payments.Cancel).
func (h *payHandler) cancel(t *turn, id int64) (commerce.Order, error) {
	return h.payments.Cancel(t.ctx, t.buyer(), id)
}

// renderNotice renders the payment notices (RenderNotice): the buyer's
// receipt and refunds in the order's language (unless the notice names
// one), the sellers' alerts in the language they last wrote in.
func (h *payHandler) renderNotice(r *Router, ctx context.Context, n Notice) ([]Reply, error) {
	if n.OrderID <= 0 {
		return nil, fmt.Errorf("bot: %s notice without an order id: %w", n.Kind, commerce.ErrInvalid)
	}
	o, err := h.shop.Store().Order(ctx, n.OrderID)
	if err != nil {
		return nil, ignoreGone(err)
	}
	hint := o.Lang
	if n.Kind == NoticePaymentAlert {
		hint = r.chatLang(ctx, n.Channel, n.UserID)
	}
	lang := templates.Match(n.Lang)
	if lang == "" {
		if lang = templates.Match(hint); lang == "" {
			lang = templates.Default
		}
	}
	t := &turn{r: r, ctx: ctx, s: &Session{Lang: lang}, lang: lang,
		m: Message{Channel: n.Channel, ChatID: n.ChatID, UserID: n.UserID}}
	if n.Kind == NoticePaymentAlert {
		return h.renderAlert(t, n, o)
	}
	if o.Buyer.Channel != n.Channel || n.UserID != "" && o.Buyer.UserID != n.UserID {
		return nil, nil // not the addressee's order
	}
	if n.Kind == NoticePaid {
		return h.renderPaid(t, n, o)
	}
	return h.renderRefund(t, n, o)
}

// renderPaid is the buyer's receipt of an order paid online
// (NoticePaid): its lines, the amount, the method, the transaction's last
// digits, and what happens next. An attempt that did not pay the order
// (a mismatch, a late payment) says nothing here.
func (h *payHandler) renderPaid(t *turn, n Notice, o commerce.Order) ([]Reply, error) {
	if n.AttemptID <= 0 { // paid at the counter: recorded by staff or the seller
		if !o.Paid.IsPaid() || o.Paid.Method.Online() {
			return nil, nil
		}
		data, _, err := h.orders.orderData(t, o)
		if err != nil {
			return nil, err
		}
		data["Amount"], data["Method"] = o.Paid.Amount, methodName(t, o.Paid.Method)
		return say(t.text("pay_receipt_counter", data), []Button{t.btn("btn_order", VerbOrder.Of(o.ID))}), nil
	}
	a, ok, err := h.attemptByID(t, o.ID, n.AttemptID)
	if err != nil || !ok || a.State != commerce.AttemptPaid {
		return nil, err
	}
	data, _, err := h.orders.orderData(t, o)
	if err != nil {
		return nil, err
	}
	data["Amount"], data["Method"], data["Tail"] = a.Paid, methodName(t, a.Method), a.TransactionTail()
	key := "pay_receipt"
	if o.Status == commerce.StatusArrived || o.Status == commerce.StatusReadyForPickup || o.Status == commerce.StatusPickedUp {
		key = "pay_receipt_counter" // paid with WeChat Pay's QR at the counter (paycounter): nothing comes next
	}
	return say(t.text(key, data), []Button{t.btn("btn_order", VerbOrder.Of(o.ID)), t.btn("btn_orders", VerbOrders.Of())}), nil
}

// renderRefund tells the buyer about a refund (NoticeRefund): made, or,
// for a payment that arrived after the order was closed, on its way back
// in full. A refund still under way (or failed: the seller is told) says
// nothing.
func (h *payHandler) renderRefund(t *turn, n Notice, o commerce.Order) ([]Reply, error) {
	if n.RefundID <= 0 {
		return nil, fmt.Errorf("bot: %s notice without a refund id: %w", n.Kind, commerce.ErrInvalid)
	}
	r, ok, err := h.refundByID(t, o.ID, n.RefundID)
	if err != nil || !ok {
		return nil, err
	}
	data := refundData(t, r)
	data["Number"] = o.Number
	key := ""
	switch {
	case r.State == commerce.RefundSucceeded:
		key = "pay_refund_done"
	case mismatchRefund(r) && r.State != commerce.RefundFailed:
		key = "pay_refund_mismatch"
	case r.AttemptID != 0 && r.State != commerce.RefundFailed:
		key = "pay_refund_late"
	default:
		return nil, nil
	}
	return say(t.text(key, data), []Button{t.btn("btn_order", VerbOrder.Of(o.ID)), t.btn("btn_orders", VerbOrders.Of())}), nil
}
