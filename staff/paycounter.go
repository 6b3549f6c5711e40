package staff

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"shopbot/commerce"
)

// WeChat Pay at the counter (issue 14). When the hand-over of an unpaid
// order asks for its payment and WeChat Pay is configured, staff may show
// the buyer a QR code instead of taking cash: POST /staff/wechatpay
// (point, code) starts or shows the order's counter transaction
// (commerce.Payments.BeginCounter) as the app's PNG /pay/qr/{no}.png with
// the amount; its "Paid? Check" button posts again with the transaction
// (no), which first asks WeChat Pay (Payments.Refresh). Once the order is
// paid the page shows it as any paid order: hand-over without payment.
// The page has no script, so it checks when staff tap, not by itself.

// qrView is the QR code of an order's WeChat Pay transaction at the counter.
type qrView struct {
	Src        string // the PNG's path
	OutTradeNo string
	Amount     string
}

// wechatPay answers POST /staff/wechatpay (point, code[, no]).
func (p *Page) wechatPay(w http.ResponseWriter, r *http.Request) {
	q, pt, ok := p.atPoint(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if !p.payments.WeChat() {
		p.failed(w, r, q, pt, "wechat pay", commerce.ErrPaymentMethod)
		return
	}
	input := strings.TrimSpace(r.PostForm.Get("code"))
	if input == "" {
		p.counter(w, r, q, pt, http.StatusUnprocessableEntity, func(v *view) { v.Notice = errorNotice("staffpage_enter_code") })
		return
	}
	clerk := p.clerk(r, q)
	col, err := p.pickup.InspectBy(ctx, clerk, pt.ID, input)
	if err != nil {
		p.failed(w, r, q, pt, "inspect", err)
		return
	}
	var checkErr error
	if no := strings.TrimSpace(r.PostForm.Get("no")); !col.Order.Paid.IsPaid() && strings.HasPrefix(no, col.Order.Number+"P") && len(no) <= 32 {
		// "Paid? Check" of this order's QR: ask the provider first; the
		// notification may be slow.
		res, err := p.payments.Refresh(ctx, no)
		switch {
		case err == nil && res.Order.ID == col.Order.ID:
			col.Order = res.Order
		case err != nil && !errors.Is(err, commerce.ErrNotFound):
			checkErr = err
		}
	}
	if col.Order.Paid.IsPaid() {
		p.paid(w, r, q, pt, col, input, &notice{Level: "ok", Key: "staffpage_wechat_paid"})
		return
	}
	_, a, err := p.payments.BeginCounter(ctx, clerk, pt.ID, col.Order.Number)
	if errors.Is(err, commerce.ErrAlreadyPaid) {
		p.paidMeanwhile(w, r, q, pt, col, input)
		return
	}
	if err != nil {
		p.failed(w, r, q, pt, "wechat pay", err)
		return
	}
	p.log.InfoContext(ctx, "staff: WeChat Pay QR shown", "order", col.Order.Number, "attempt", a.OutTradeNo, "point", pt.Code, "staff", p.logID(q.Identity))
	p.counter(w, r, q, pt, http.StatusOK, func(v *view) {
		v.Check = p.orderView(pt, col)
		v.Check.Input = input
		v.Check.QR = &qrView{Src: "/pay/qr/" + url.PathEscape(a.OutTradeNo) + ".png", OutTradeNo: a.OutTradeNo, Amount: a.Amount.String()}
		if checkErr != nil {
			p.log.WarnContext(ctx, "staff: WeChat Pay check", "order", col.Order.Number, "err", checkErr)
			v.Notice = errorNotice("staffpage_wechat_check_failed")
		} else if r.PostForm.Get("no") != "" {
			v.Notice = &notice{Level: "error", Key: "staffpage_wechat_not_yet"}
		}
	})
}

// paidMeanwhile shows an order paid by its QR while staff were recording
// another payment: nothing was recorded or handed over.
func (p *Page) paidMeanwhile(w http.ResponseWriter, r *http.Request, q access, pt commerce.PickupPoint, col commerce.Collection, input string) {
	fresh, err := p.pickup.InspectBy(r.Context(), p.clerk(r, q), pt.ID, input)
	if err != nil {
		p.failed(w, r, q, pt, "inspect", err)
		return
	}
	if !fresh.Order.Paid.IsPaid() {
		fresh.Order.Paid = col.Order.Paid
	}
	p.paid(w, r, q, pt, fresh, input, &notice{Level: "error", Key: "staffpage_wechat_paid_meanwhile"})
}

// paid shows a paid order ready to hand over, with n above it.
func (p *Page) paid(w http.ResponseWriter, r *http.Request, q access, pt commerce.PickupPoint, col commerce.Collection, input string, n *notice) {
	p.log.InfoContext(r.Context(), "staff: paid, to hand over", "order", col.Order.Number, "method", col.Order.Paid.Method, "point", pt.Code, "staff", p.logID(q.Identity))
	p.counter(w, r, q, pt, http.StatusOK, func(v *view) {
		v.Check = p.orderView(pt, col)
		v.Check.Input = input
		v.Notice = n
	})
}
