package wechatpay

import "net/url"

// outTradeNoPath is the path of an order by its out_trade_no, the number
// escaped as one path segment.
func outTradeNoPath(outTradeNo string) string {
	return "/v3/pay/transactions/out-trade-no/" + url.PathEscape(outTradeNo)
}

// refundPath is the path of a refund by its out_refund_no.
func refundPath(outRefundNo string) string {
	return "/v3/refund/domestic/refunds/" + url.PathEscape(outRefundNo)
}
