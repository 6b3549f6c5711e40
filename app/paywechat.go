package app

import (
	"context"
	"fmt"

	"shopbot/commerce"
	"shopbot/wechatpay"
)

// Routes WeChat Pay posts its notifications to (SHOPBOT_PUBLIC_URL + them).
const (
	payNotifyPath = "/pay/wechat/notify" // TRANSACTION.SUCCESS
	payRefundPath = "/pay/wechat/refund" // REFUND.SUCCESS, ABNORMAL, CLOSED
)

// weChatPayer adapts the wechatpay client to commerce.WeChatPayer: the
// domain's words in, WeChat Pay's out, and WeChat Pay's errors turned into
// the domain's (ErrAlreadyPaid, ErrNotFound, else ErrProvider: try again).
type weChatPayer struct {
	c                    *wechatpay.Client
	notifyURL, refundURL string
}

func newWeChatPayer(c *wechatpay.Client, publicURL string) *weChatPayer {
	return &weChatPayer{c: c, notifyURL: publicURL + payNotifyPath, refundURL: publicURL + payRefundPath}
}

// providerErr wraps an error of the client with commerce.ErrProvider: the
// call may be made again later (WeChat Pay unreachable, a 5xx, an answer
// that did not verify, or a refusal a person must look at).
func providerErr(op string, err error) error {
	return fmt.Errorf("wechat pay %s: %w: %w", op, commerce.ErrProvider, err)
}

// Prepay implements commerce.WeChatPayer.
func (p *weChatPayer) Prepay(ctx context.Context, in commerce.Prepay) (string, error) {
	if in.Amount.Currency != wechatpay.CurrencyCNY {
		return "", fmt.Errorf("wechat pay prepay %s in %s: %w", in.OutTradeNo, in.Amount.Currency, commerce.ErrPaymentMethod)
	}
	req := wechatpay.Prepay{Description: wechatpay.TruncateDescription(in.Description), OutTradeNo: in.OutTradeNo, NotifyURL: p.notifyURL,
		TimeExpire: in.ExpiresAt, Amount: wechatpay.Amount{Total: in.Amount.Amount, Currency: in.Amount.Currency}}
	var (
		prepay string
		err    error
	)
	switch in.TradeType {
	case commerce.TradeJSAPI:
		req.PayerOpenID = in.OpenID
		prepay, err = p.c.PrepayJSAPI(ctx, req)
	case commerce.TradeNative:
		prepay, err = p.c.PrepayNative(ctx, req)
	default:
		return "", fmt.Errorf("wechat pay prepay %s: trade type %q: %w", in.OutTradeNo, in.TradeType, commerce.ErrPaymentMethod)
	}
	switch {
	case err == nil:
		return prepay, nil
	case wechatpay.IsCode(err, wechatpay.CodeOrderPaid):
		return "", fmt.Errorf("wechat pay prepay %s: %w", in.OutTradeNo, commerce.ErrAlreadyPaid)
	}
	return "", providerErr("prepay "+in.OutTradeNo, err)
}

// Query implements commerce.WeChatPayer. A transaction WeChat Pay does not
// know (the prepay never reached it) was not paid: NOTPAY.
func (p *weChatPayer) Query(ctx context.Context, outTradeNo string) (commerce.ProviderPayment, error) {
	t, err := p.c.QueryByOutTradeNo(ctx, outTradeNo)
	if wechatpay.IsNotFound(err) {
		return commerce.ProviderPayment{Method: commerce.PayWeChat, OutTradeNo: outTradeNo, State: wechatpay.TradeNotPay}, nil
	}
	if err != nil {
		return commerce.ProviderPayment{}, providerErr("query "+outTradeNo, err)
	}
	return providerPayment(t), nil
}

// providerPayment is the domain's view of a WeChat Pay transaction (a
// query's answer or a notification's resource). The amount compared with
// the order is the transaction's total (what the order asked; payer_total
// is less when a coupon paid part of it).
func providerPayment(t *wechatpay.Transaction) commerce.ProviderPayment {
	return commerce.ProviderPayment{Method: commerce.PayWeChat, OutTradeNo: t.OutTradeNo, TransactionID: t.TransactionID,
		State: t.TradeState, Amount: commerce.Money{Amount: t.Amount.Total, Currency: t.Amount.Currency},
		Payer: t.Payer.OpenID, At: t.SuccessTime}
}

// Close implements commerce.WeChatPayer: ORDERPAID is ErrAlreadyPaid; a
// transaction WeChat Pay never created has nothing to close.
func (p *weChatPayer) Close(ctx context.Context, outTradeNo string) error {
	err := p.c.Close(ctx, outTradeNo)
	switch {
	case err == nil, wechatpay.IsNotFound(err):
		return nil
	case wechatpay.IsCode(err, wechatpay.CodeOrderPaid):
		return fmt.Errorf("wechat pay close %s: %w", outTradeNo, commerce.ErrAlreadyPaid)
	}
	return providerErr("close "+outTradeNo, err)
}

// Refund implements commerce.WeChatPayer.
func (p *weChatPayer) Refund(ctx context.Context, r commerce.RefundCall) (commerce.ProviderRefund, error) {
	reason := []rune(r.Reason)
	if len(reason) > 80 {
		reason = reason[:80]
	}
	got, err := p.c.Refund(ctx, wechatpay.RefundRequest{OutTradeNo: r.OutTradeNo, OutRefundNo: r.OutRefundNo, Reason: string(reason),
		NotifyURL: p.refundURL, Amount: wechatpay.RefundAmount{Refund: r.Refund.Amount, Total: r.Total.Amount, Currency: r.Refund.Currency}})
	if err != nil {
		return commerce.ProviderRefund{}, providerErr("refund "+r.OutRefundNo, err)
	}
	return providerRefund(got), nil
}

// QueryRefund implements commerce.WeChatPayer.
func (p *weChatPayer) QueryRefund(ctx context.Context, outRefundNo string) (commerce.ProviderRefund, error) {
	got, err := p.c.QueryRefund(ctx, outRefundNo)
	if wechatpay.IsNotFound(err) {
		return commerce.ProviderRefund{}, fmt.Errorf("wechat pay refund %s: %w", outRefundNo, commerce.ErrNotFound)
	}
	if err != nil {
		return commerce.ProviderRefund{}, providerErr("refund query "+outRefundNo, err)
	}
	return providerRefund(got), nil
}

func providerRefund(r *wechatpay.Refund) commerce.ProviderRefund {
	return commerce.ProviderRefund{OutRefundNo: r.OutRefundNo, RefundID: r.RefundID, State: r.Status, At: r.SuccessTime}
}

// notifyReason is the status and the word (wechatpay.Reason: the check
// that failed, never the notification's content) of a refused
// notification: 401 when it is not WeChat Pay's (signature, serial,
// timestamp), 400 when it is not readable as ours.
func notifyReason(err error) (status int, reason string) {
	reason = wechatpay.Reason(err)
	switch reason {
	case "unknown_serial", "stale", "bad_signature":
		return 401, reason
	}
	return 400, reason
}
