package bot

import (
	"context"
	"errors"
	"time"

	"shopbot/commerce"
	"shopbot/templates"
)

// Telegram Payments, the bot's side (the adapter's is in bot/telegram):
// the last check before a buyer pays an invoice (PreCheckout), and the
// payment itself (a Message with Paid), recorded through Payments.Apply.

// Reasons a pre-checkout is refused: text keys of tgpay.txt.
const (
	tgpayUnknown     = "tgpay_refused_unknown"     // no such attempt, not an invoice, or another buyer's
	tgpayPaid        = "tgpay_refused_paid"        // the order is paid already
	tgpayClosed      = "tgpay_refused_closed"      // the order is cancelled, or no longer awaiting payment
	tgpayExpired     = "tgpay_refused_expired"     // the payment time is over
	tgpayChanged     = "tgpay_refused_changed"     // the amount differs from the attempt's or the order's
	tgpayUnavailable = "tgpay_refused_unavailable" // payments off, or the check failed on our side
)

// preCheckoutMargin is how much payment time must be left for a buyer to
// go ahead: the payment goes through at the provider after the answer, and
// one that arrives after the order was closed becomes a refund.
const preCheckoutMargin = 30 * time.Second

// PreCheckout is the last check before a buyer pays a Telegram invoice
// (m.PreCheckout; the adapter answers Telegram with it within 10 s). It
// re-reads the attempt the invoice's payload names: it must exist, be a
// Telegram invoice and open; its order must be the sender's (m.Channel,
// m.UserID, or a chat linked with it), awaiting payment — which holds its
// stock — with at least preCheckoutMargin of the payment time left; the
// invoice's currency and total must equal the attempt's amount, and that
// the order's total (prices unchanged). ok is true to let the payment go
// ahead; otherwise reason is a localized text for the buyer. An error on
// our side refuses with "try again" and is logged, never shown.
func (r *Router) PreCheckout(ctx context.Context, m Message) (ok bool, reason string) {
	lang := r.sessionLang(ctx, m)
	refuse := func(key string) (bool, string) { return false, r.o.Texts.Text(lang, key, nil) }
	pc := m.PreCheckout
	pay := r.o.Payments
	if pc == nil || !pay.Online() || m.Channel != ChannelTelegram || m.UserID == "" {
		return refuse(tgpayUnavailable)
	}
	failed := func(what string, err error) (bool, string) {
		if errors.Is(err, commerce.ErrNotFound) {
			return refuse(tgpayUnknown)
		}
		r.o.Log.ErrorContext(ctx, "pre-checkout: "+what, "user", r.LogID(m.UserID), "err", r.ScrubError(err, m.UserID, m.ChatID))
		return refuse(tgpayUnavailable)
	}
	a, err := pay.Attempt(ctx, pc.Payload)
	if err != nil {
		return failed("attempt", err)
	}
	if a.Method != commerce.PayTelegram || a.TradeType != commerce.TradeInvoice {
		return refuse(tgpayUnknown)
	}
	o, err := r.o.Shop.OwnOrder(ctx, commerce.Buyer{Channel: m.Channel, UserID: m.UserID}, a.OrderID)
	if err != nil {
		return failed("order", err)
	}
	switch {
	case a.State == commerce.AttemptPaid || o.Status == commerce.StatusPaid || o.Paid.IsPaid():
		return refuse(tgpayPaid)
	case a.State != commerce.AttemptOpen || o.Status != commerce.StatusAwaitingPayment:
		return refuse(tgpayClosed)
	case r.o.Shop.Now().Add(preCheckoutMargin).After(o.ExpiresAt):
		return refuse(tgpayExpired)
	case pc.Currency != a.Amount.Currency || pc.Total != a.Amount.Amount || a.Amount != o.Total:
		return refuse(tgpayChanged)
	}
	return true, ""
}

// sessionLang is the language the sender chose (their private chat's
// session, read without locking it), else their platform's hint.
func (r *Router) sessionLang(ctx context.Context, m Message) string {
	if m.ChatID != "" && r.o.Sessions != nil {
		if data, version, err := r.o.Sessions.LoadSession(ctx, SessionKey(m)); err == nil {
			if s, err := decodeSession(data, version); err == nil && templates.Match(s.Lang) != "" {
				return s.Lang
			}
		}
	}
	return langOf(m)
}

// providerPaid records a Telegram successful_payment (t.m.Paid) through
// Payments.Apply — once: a charge id seen before changes nothing and is
// not answered again — and tells the buyer what became of it: paid (the
// receipt follows as a notice), paid for an order already closed (the
// seller refunds it at the provider), or not the order's amount (the
// seller will be in touch). An error on our side is returned: nothing is
// recorded, and the adapter has Telegram deliver the payment again.
func (t *turn) providerPaid() ([]Reply, error) {
	p := t.m.Paid
	paid := commerce.Money{Amount: p.Total, Currency: p.Currency}
	pay := t.r.o.Payments
	unmatched := func(why string, err error) ([]Reply, error) {
		// Money moved that no order can take: the seller must hear of
		// it from the operator's log, the buyer from us.
		t.r.o.Log.ErrorContext(t.ctx, "telegram payment not matched to an order: refund it at the provider",
			"why", why, "out_trade_no", p.Payload, "amount", paid.Amount, "currency", paid.Currency,
			"user", t.r.LogID(t.m.UserID), "err", t.r.ScrubError(err, t.m.UserID, t.m.ChatID))
		return say(t.text("tgpay_unmatched", map[string]any{"Total": paid})), nil
	}
	if pay == nil {
		return unmatched("payments off", nil)
	}
	res, err := pay.Apply(t.ctx, commerce.ProviderPayment{
		Method: commerce.PayTelegram, OutTradeNo: p.Payload, TransactionID: p.ChargeID, ProviderRef: p.ProviderChargeID,
		State: "SUCCESS", Amount: paid, At: t.r.o.Shop.Now(),
	})
	switch {
	case errors.Is(err, commerce.ErrNotFound), errors.Is(err, commerce.ErrInvalid):
		return unmatched("unknown payload or no charge id", err)
	case err != nil:
		return nil, err
	}
	data := map[string]any{"Number": res.Order.Number, "Total": paid}
	switch res.Outcome {
	case commerce.PayRecorded:
		return say(t.text("tgpay_paid", data), t.menuRow()...), nil
	case commerce.PayLate:
		return say(t.text("tgpay_late", data)), nil
	case commerce.PayMismatch:
		return say(t.text("tgpay_mismatch", data)), nil
	}
	return nil, nil // PayDuplicate: answered the first time
}
