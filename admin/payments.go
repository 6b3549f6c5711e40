package admin

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"shopbot/commerce"
)

// The payment side of an order in the console (Options.Payments, issue
// 14): how it was paid (method, amount, the transaction id's last digits),
// its refunds with their state, a refund of the whole order or of some
// units, and "mark refunded" for the refunds the seller makes by hand (a
// Telegram payment, cash at the counter). Without Options.Payments the
// order page shows the payment as before and offers no refund.

// MaxRefundReason is the longest refund reason the form takes (WeChat Pay
// takes 80 characters).
const MaxRefundReason = 80

func (c *Console) registerPayments(mux *http.ServeMux) {
	if c.o.Payments == nil {
		return
	}
	mux.HandleFunc("POST /admin/orders/{number}/refund", c.page(c.refund))
	mux.HandleFunc("POST /admin/orders/{number}/refunds/{no}/done", c.page(c.markRefunded))
}

// payView is an order's payment and refunds as the order page shows them.
type payView struct {
	Tail      string // the paid transaction's id, last digits
	Refunds   []commerce.Refund
	Manual    bool           // some refund waits for the seller's hand
	Left      commerce.Money // what is left to refund
	CanRefund bool
	Nonce     string // the refund form's idempotency nonce
	Lines     []refundLine
	MaxReason int
}

type refundLine struct {
	No int
	commerce.OrderLine
}

// payOf is o's payment view; nil without Options.Payments.
func (c *Console) payOf(r *http.Request, o commerce.Order) (*payView, error) {
	p := c.o.Payments
	if p == nil {
		return nil, nil
	}
	attempts, err := p.Attempts(r.Context(), o.ID)
	if err != nil {
		return nil, err
	}
	refunds, err := p.Refunds(r.Context(), o.ID)
	if err != nil {
		return nil, err
	}
	v := &payView{Refunds: refunds, MaxReason: MaxRefundReason, Nonce: newNonce()}
	for _, a := range attempts {
		if a.State == commerce.AttemptPaid {
			v.Tail = a.TransactionTail()
		}
	}
	for _, rf := range refunds {
		v.Manual = v.Manual || rf.State == commerce.RefundManual
	}
	if o.Paid.IsPaid() {
		left, err := p.Refundable(r.Context(), o)
		if err != nil {
			return nil, err
		}
		v.Left = commerce.Money{Amount: left, Currency: o.Total.Currency}
		v.CanRefund = left > 0
	}
	for i, l := range o.Lines {
		v.Lines = append(v.Lines, refundLine{No: i + 1, OrderLine: l})
	}
	return v, nil
}

func newNonce() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// validNonce: 8–64 URL-safe characters (a form's nonce, as newNonce makes).
func validNonce(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// refundForm reads the refund form of o: the reason, the nonce, and the
// units of each line (empty with all). ErrInvalid for a missing reason or
// nonce, a quantity out of range, or no units without all.
func refundForm(r *http.Request, o commerce.Order) (commerce.RefundInput, error) {
	in := commerce.RefundInput{Number: o.Number, Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	nonce := r.PostFormValue("nonce")
	if in.Reason == "" || utf8.RuneCountInString(in.Reason) > MaxRefundReason || !validNonce(nonce) {
		return in, commerce.ErrInvalid
	}
	in.Key = "console:" + nonce
	if r.PostFormValue("all") != "" {
		return in, nil
	}
	for i, l := range o.Lines {
		v := strings.TrimSpace(r.PostFormValue("qty_" + strconv.Itoa(i+1)))
		if v == "" || v == "0" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > l.Qty {
			return in, commerce.ErrInvalid
		}
		in.Lines = append(in.Lines, commerce.RefundLine{LineNo: i + 1, Qty: n})
	}
	if len(in.Lines) == 0 {
		return in, errNoUnits
	}
	return in, nil
}

var errNoUnits = errors.New("refund: no units chosen")

// refund answers POST /admin/orders/{number}/refund (reason, nonce, all
// or qty_N): Payments.Refund, once per form (the nonce is its key).
func (c *Console) refund(w http.ResponseWriter, r *http.Request, q access) {
	number := commerce.NormalizeOrderNumber(r.PathValue("number"))
	o, err := c.o.Shop.Store().OrderByNumber(r.Context(), number)
	if err == nil {
		var in commerce.RefundInput
		if in, err = refundForm(r, o); err == nil {
			in.By = q.Identity
			// The form sent twice: its nonce is the key, so its refund again.
			_, _, err = c.o.Payments.Refund(r.Context(), in)
		}
	}
	if err != nil {
		c.payRefused(w, r, q, "refund", err, nil)
		return
	}
	c.log.InfoContext(r.Context(), "console: refund", "order", number, "session", q.ID)
	http.Redirect(w, r, "/admin/orders/"+url.PathEscape(number)+"?done=refunded", http.StatusSeeOther)
}

// markRefunded answers POST /admin/orders/{number}/refunds/{no}/done:
// the seller made a manual refund (Payments.MarkRefunded).
func (c *Console) markRefunded(w http.ResponseWriter, r *http.Request, q access) {
	number := commerce.NormalizeOrderNumber(r.PathValue("number"))
	no := commerce.NormalizeOrderNumber(r.PathValue("no"))
	o, err := c.o.Shop.Store().OrderByNumber(r.Context(), number)
	if err == nil {
		err = c.ownRefund(r, o, no)
	}
	if err == nil {
		_, _, err = c.o.Payments.MarkRefunded(r.Context(), no)
	}
	if err != nil {
		c.payRefused(w, r, q, "mark refunded", err, nil)
		return
	}
	c.log.InfoContext(r.Context(), "console: refund marked done", "order", number, "refund", no, "session", q.ID)
	http.Redirect(w, r, "/admin/orders/"+url.PathEscape(number)+"?done=marked", http.StatusSeeOther)
}

// ownRefund checks refund no is one of o's. ErrNotFound otherwise.
func (c *Console) ownRefund(r *http.Request, o commerce.Order, no string) error {
	refunds, err := c.o.Payments.Refunds(r.Context(), o.ID)
	if err != nil {
		return err
	}
	for _, rf := range refunds {
		if rf.OutRefundNo == no {
			return nil
		}
	}
	return commerce.ErrNotFound
}

// payRefused shows the order page again (again; nil: as it is) with why
// a payment action or a cancellation was refused; errors the chat's table
// has no words for are named here.
func (c *Console) payRefused(w http.ResponseWriter, r *http.Request, q access, op string, err error, again func(n *notice, status int)) {
	if again == nil {
		again = func(n *notice, status int) { c.showOrder(w, r, q, status, n, "") }
	}
	var key string
	status := http.StatusConflict
	switch {
	case errors.Is(err, commerce.ErrNotFound):
		c.message(w, r, http.StatusNotFound, q, "error", "console_not_found", nil)
		return
	case errors.Is(err, errNoUnits):
		key, status = "console_refund_nothing", http.StatusUnprocessableEntity
	case errors.Is(err, commerce.ErrRefundTooMuch):
		key = "console_refund_too_much"
	case errors.Is(err, commerce.ErrHoldNotOver):
		key = "console_hold_not_over"
	case errors.Is(err, commerce.ErrProvider):
		key, status = "console_pay_provider_down", http.StatusServiceUnavailable
	case errors.Is(err, commerce.ErrAlreadyPaid), errors.Is(err, commerce.ErrPaymentMethod):
		key = "console_err_refused"
	default:
		c.refused(w, r, q, op, err, again)
		return
	}
	c.log.InfoContext(r.Context(), "console: "+op+" refused", "session", q.ID, "err", err)
	again(&notice{Level: "error", Key: key}, status)
}

// methodLabel names a payment method in lang: the chat's words for it
// (pay_method_…, else the counter's pay_…), else the method as stored.
func (c *Console) methodLabel(lang string, m commerce.PaymentMethod) string {
	for _, key := range []string{"pay_method_" + string(m), "pay_" + string(m)} {
		if c.texts.Has(key) {
			return c.texts.Text(lang, key, nil)
		}
	}
	return string(m)
}
