package wechatpay

import (
	"errors"
	"strconv"
)

// JSAPIPayParams are the arguments of WeixinJSBridge's
// getBrandWCPayRequest (or wx.chooseWXPay) in the buyer's page; they
// marshal to the JSON the page passes on as is.
type JSAPIPayParams struct {
	AppID     string `json:"appId"`
	TimeStamp string `json:"timeStamp"`
	NonceStr  string `json:"nonceStr"`
	Package   string `json:"package"` // "prepay_id=…"
	SignType  string `json:"signType"`
	PaySign   string `json:"paySign"`
}

// JSAPIMessage is what paySign covers: "appId\ntimeStamp\nnonceStr\npackage\n".
func JSAPIMessage(appID, timeStamp, nonceStr, pkg string) string {
	return appID + "\n" + timeStamp + "\n" + nonceStr + "\n" + pkg + "\n"
}

// JSAPIParams signs the page's parameters of a prepay_id with the
// merchant's key, at the clock's time and a fresh nonce.
func (c *Client) JSAPIParams(prepayID string) (JSAPIPayParams, error) {
	if prepayID == "" {
		return JSAPIPayParams{}, errors.New("wechatpay: jsapi params: empty prepay_id")
	}
	p := JSAPIPayParams{
		AppID:     c.cfg.AppID,
		TimeStamp: strconv.FormatInt(c.cfg.Clock().Unix(), 10),
		NonceStr:  c.cfg.Nonce(),
		Package:   "prepay_id=" + prepayID,
		SignType:  "RSA",
	}
	sig, err := Sign(c.cfg.PrivateKey, JSAPIMessage(p.AppID, p.TimeStamp, p.NonceStr, p.Package))
	if err != nil {
		return JSAPIPayParams{}, err
	}
	p.PaySign = sig
	return p, nil
}
