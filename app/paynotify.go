package app

import (
	"context"
	"errors"
	"net/http"
	"time"

	"shopbot/commerce"
	"shopbot/wechatpay"
)

// WeChat Pay's notifications: POST /pay/wechat/notify (payments) and POST
// /pay/wechat/refund (refunds). Both routes take either kind — what a
// notification is comes from its verified event type, not from the URL.
//
// A notification is believed only when wechatpay verified its signature
// with the WeChat Pay public key (within the 5-minute window, under our
// public key id), decrypted its resource with the APIv3 key and found our
// mchid and appid in it. Anything else is answered 401/400 with
// {"code":"FAIL","message":<which check failed>} and logged with that
// reason only — never the body, a key, a signature or the payer's openid.
//
// A verified payment goes through Payments.Apply, the one path queries
// take too; the answer is 204 only once the store committed it (paid,
// mismatch, late: each recorded with its jobs in one transaction), and a
// 500 FAIL when the store failed, so WeChat Pay delivers it again. A
// repeated notification is a duplicate of the same transaction id: 204,
// nothing changes.
//
// A verified notification naming an out_trade_no (or out_refund_no) we
// never made is answered 204 and logged at error level. It is genuine —
// signed by WeChat Pay for our merchant and appid — so money really moved
// for something this shop does not know (another system sharing the
// merchant account, or a database restored from an old backup). Delivering
// it again cannot change that, and a 4xx would only have WeChat Pay retry
// for a day; the error line carries the out_trade_no and transaction id
// (neither is personal data) for the operator to settle it in the
// merchant platform.

// notifyTimeout bounds the recording of one notification (WeChat Pay
// waits 5 s for the answer).
const notifyTimeout = 10 * time.Second

// payNotify handles both notification routes.
func (a *App) payNotify(w http.ResponseWriter, r *http.Request) {
	// Once a verified payment is being recorded, WeChat Pay hanging up
	// does not abort it: the redelivery then finds it recorded.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), notifyTimeout)
	defer cancel()
	n, err := a.wechatPay.ParseNotification(r)
	if err != nil {
		status, reason := notifyReason(err)
		a.log.WarnContext(ctx, "wechat pay notification refused", "route", r.URL.Path, "reason", reason, "status", status)
		a.metrics.platformEvent("wechatpay")("notify_refused")
		wechatpay.WriteFail(w, status, reason)
		return
	}
	var outcome string
	switch {
	case n.Transaction != nil:
		outcome, err = a.applyTransaction(ctx, n)
	case n.Refund != nil:
		outcome, err = a.applyRefundNotice(ctx, n)
	default:
		outcome = "ignored" // an event we do not act on: acknowledged
		a.log.InfoContext(ctx, "wechat pay notification ignored", "id", n.ID, "event", n.EventType)
	}
	if err != nil {
		a.log.ErrorContext(ctx, "wechat pay notification not recorded: WeChat Pay will deliver it again",
			"id", n.ID, "event", n.EventType, "err", err)
		a.metrics.platformEvent("wechatpay")("notify_failed")
		wechatpay.WriteFail(w, http.StatusInternalServerError, "not recorded, try again")
		return
	}
	a.metrics.platformEvent("wechatpay")("notify_" + outcome)
	wechatpay.WriteAck(w)
}

// applyTransaction records a TRANSACTION.* notification.
func (a *App) applyTransaction(ctx context.Context, n *wechatpay.Notification) (string, error) {
	t := n.Transaction
	if !t.Paid() {
		return "ignored", nil
	}
	res, err := a.payments.Apply(ctx, providerPayment(t))
	if errors.Is(err, commerce.ErrNotFound) {
		a.log.ErrorContext(ctx, "wechat pay: a genuine payment for an out_trade_no this shop never made; settle it in the merchant platform",
			"id", n.ID, "out_trade_no", t.OutTradeNo, "transaction_id", t.TransactionID, "total", t.Amount.Total, "currency", t.Amount.Currency)
		return "unknown", nil
	}
	if err != nil {
		return "", err
	}
	level := a.log.InfoContext
	if res.Outcome == commerce.PayMismatch || res.Outcome == commerce.PayLate {
		level = a.log.WarnContext
	}
	level(ctx, "wechat pay payment", "out_trade_no", t.OutTradeNo, "outcome", res.Outcome)
	return string(res.Outcome), nil
}

// applyRefundNotice records a REFUND.* notification.
func (a *App) applyRefundNotice(ctx context.Context, n *wechatpay.Notification) (string, error) {
	rn := n.Refund
	r, changed, err := a.payments.ApplyRefund(ctx, commerce.ProviderRefund{OutRefundNo: rn.OutRefundNo, RefundID: rn.RefundID,
		State: rn.RefundStatus, At: rn.SuccessTime})
	if errors.Is(err, commerce.ErrNotFound) {
		a.log.ErrorContext(ctx, "wechat pay: a genuine refund notice for an out_refund_no this shop never made",
			"id", n.ID, "out_refund_no", rn.OutRefundNo, "out_trade_no", rn.OutTradeNo, "status", rn.RefundStatus)
		return "unknown", nil
	}
	if err != nil {
		return "", err
	}
	if !changed {
		return "duplicate", nil
	}
	a.log.InfoContext(ctx, "wechat pay refund", "out_refund_no", r.OutRefundNo, "state", r.State)
	return "refund_" + string(r.State), nil
}
