package wechatpay

import "net/url"

// outTradeNoPath is the path of an order by its out_trade_no, the number
// escaped as one path segment.
func outTradeNoPath(outTradeNo string) string {
	return "/v3/pay/transactions/out-trade-no/" + url.PathEscape(outTradeNo)
}
