package wechatpay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"
	"unicode/utf8"
)

// Trade states of a Transaction.
const (
	TradeSuccess    = "SUCCESS"    // paid
	TradeRefund     = "REFUND"     // paid, then (partly) refunded
	TradeNotPay     = "NOTPAY"     // not paid yet
	TradeClosed     = "CLOSED"     // closed unpaid
	TradeRevoked    = "REVOKED"    // revoked (payment code only)
	TradeUserPaying = "USERPAYING" // the buyer is entering the password
	TradePayError   = "PAYERROR"   // the payment failed
)

// Trade types.
const (
	TradeTypeJSAPI  = "JSAPI"
	TradeTypeNative = "NATIVE"
)

// CurrencyCNY is the only currency of domestic payments.
const CurrencyCNY = "CNY"

// Prepay is an order to pay, in the buyer's browser (JSAPI) or by scanning
// a QR code (Native).
type Prepay struct {
	Description string    // what is bought, at most 127 bytes; shown to the buyer
	OutTradeNo  string    // our order number: 6–32 of 0-9 A-Z a-z _ - | *, unique per merchant
	NotifyURL   string    // where TRANSACTION.SUCCESS is posted: https, no query
	TimeExpire  time.Time // zero: WeChat Pay's default
	Amount      Amount
	PayerOpenID string // JSAPI: the buyer's openid under Config.AppID; Native: empty
	Attach      string // echoed back in queries and notifications, at most 128 bytes
}

// Amount of a prepay: Total in fen (分), Currency "CNY" (the default).
type Amount struct {
	Total    int64
	Currency string
}

// Transaction is an order as WeChat Pay knows it (a query's answer and a
// TRANSACTION.* notification's resource).
type Transaction struct {
	AppID          string            `json:"appid"`
	MchID          string            `json:"mchid"`
	OutTradeNo     string            `json:"out_trade_no"`
	TransactionID  string            `json:"transaction_id"`
	TradeType      string            `json:"trade_type"`
	TradeState     string            `json:"trade_state"`
	TradeStateDesc string            `json:"trade_state_desc"`
	BankType       string            `json:"bank_type"`
	Attach         string            `json:"attach"`
	SuccessTime    time.Time         `json:"success_time"` // zero until paid
	Payer          Payer             `json:"payer"`
	Amount         TransactionAmount `json:"amount"`
}

// Payer is who paid.
type Payer struct {
	OpenID string `json:"openid"`
}

// TransactionAmount: Total is the order's amount, PayerTotal what the buyer
// paid (less any coupons), in fen.
type TransactionAmount struct {
	Total         int64  `json:"total"`
	PayerTotal    int64  `json:"payer_total"`
	Currency      string `json:"currency"`
	PayerCurrency string `json:"payer_currency"`
}

// UnmarshalJSON reads success_time as WeChat Pay writes it (RFC 3339, or
// absent until paid).
func (t *Transaction) UnmarshalJSON(b []byte) error {
	type plain Transaction
	var w struct {
		plain
		SuccessTime string `json:"success_time"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	st, err := parseWireTime("success_time", w.SuccessTime)
	if err != nil {
		return err
	}
	*t = Transaction(w.plain)
	t.SuccessTime = st
	return nil
}

// Paid reports whether the buyer has paid (SUCCESS, or REFUND after it).
func (t *Transaction) Paid() bool {
	return t.TradeState == TradeSuccess || t.TradeState == TradeRefund
}

var outNoPattern = regexp.MustCompile(`^[0-9A-Za-z_\-|*]{6,32}$`)

// refundNoPattern: out_refund_no also allows '@'; 1–64 characters.
var refundNoPattern = regexp.MustCompile(`^[0-9A-Za-z_\-|*@]{1,64}$`)

type prepayWire struct {
	AppID       string     `json:"appid"`
	MchID       string     `json:"mchid"`
	Description string     `json:"description"`
	OutTradeNo  string     `json:"out_trade_no"`
	TimeExpire  string     `json:"time_expire,omitempty"`
	Attach      string     `json:"attach,omitempty"`
	NotifyURL   string     `json:"notify_url"`
	Amount      amountWire `json:"amount"`
	Payer       *payerWire `json:"payer,omitempty"`
}

type amountWire struct {
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
}

type payerWire struct {
	OpenID string `json:"openid"`
}

// check refuses what WeChat Pay would refuse with PARAM_ERROR, before the
// call.
func (p Prepay) check(jsapi bool) error {
	var problem string
	switch {
	case p.Description == "" || len(p.Description) > MaxDescriptionBytes:
		problem = "Description must have 1–127 bytes"
	case !outNoPattern.MatchString(p.OutTradeNo):
		problem = "OutTradeNo must be 6–32 of 0-9 A-Z a-z _ - | *"
	case p.Amount.Total <= 0:
		problem = "Amount.Total must be positive"
	case p.Amount.Currency != "" && p.Amount.Currency != CurrencyCNY:
		problem = "Amount.Currency must be CNY"
	case len(p.Attach) > 128:
		problem = "Attach has more than 128 bytes"
	case jsapi && p.PayerOpenID == "":
		problem = "PayerOpenID is empty"
	case !jsapi && p.PayerOpenID != "":
		problem = "PayerOpenID is for JSAPI only"
	}
	if problem == "" {
		problem = checkNotifyURL(p.NotifyURL)
	}
	if problem != "" {
		return fmt.Errorf("wechatpay: prepay %s: %s", p.OutTradeNo, problem)
	}
	return nil
}

// checkNotifyURL: an absolute http(s) URL without a query (WeChat Pay
// itself demands https).
func checkNotifyURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "NotifyURL must be an absolute https URL without a query"
	}
	return ""
}

func (c *Client) prepayWire(p Prepay) prepayWire {
	w := prepayWire{
		AppID: c.cfg.AppID, MchID: c.cfg.MchID,
		Description: p.Description, OutTradeNo: p.OutTradeNo,
		TimeExpire: formatWireTime(p.TimeExpire), Attach: p.Attach,
		NotifyURL: p.NotifyURL,
		Amount:    amountWire{Total: p.Amount.Total, Currency: p.Amount.Currency},
	}
	if w.Amount.Currency == "" {
		w.Amount.Currency = CurrencyCNY
	}
	if p.PayerOpenID != "" {
		w.Payer = &payerWire{OpenID: p.PayerOpenID}
	}
	return w
}

// PrepayJSAPI places an order to be paid in WeChat's browser and returns
// its prepay_id (valid 2 hours; JSAPIParams turns it into the page's
// parameters). Placing the same OutTradeNo again with the same parameters
// returns the same prepay_id. Errors: an *APIError (CodeOrderPaid,
// CodeOrderClosed, CodeParamError, CodeInvalidRequest when the number is
// used with other parameters, temporary ones), or an unverified answer
// (ErrBadSignature, ErrStale, ErrUnknownSerial).
func (c *Client) PrepayJSAPI(ctx context.Context, p Prepay) (prepayID string, err error) {
	if err := p.check(true); err != nil {
		return "", err
	}
	var out struct {
		PrepayID string `json:"prepay_id"`
	}
	if err := c.do(ctx, "POST", "/v3/pay/transactions/jsapi", c.prepayWire(p), &out); err != nil {
		return "", err
	}
	if out.PrepayID == "" {
		return "", fmt.Errorf("wechatpay: jsapi prepay %s: no prepay_id: %w", p.OutTradeNo, ErrMalformed)
	}
	return out.PrepayID, nil
}

// PrepayNative places an order to be paid by scanning a QR code of the
// returned code_url (weixin://wxpay/bizpayurl?pr=…). Errors as PrepayJSAPI.
func (c *Client) PrepayNative(ctx context.Context, p Prepay) (codeURL string, err error) {
	if err := p.check(false); err != nil {
		return "", err
	}
	var out struct {
		CodeURL string `json:"code_url"`
	}
	if err := c.do(ctx, "POST", "/v3/pay/transactions/native", c.prepayWire(p), &out); err != nil {
		return "", err
	}
	if out.CodeURL == "" {
		return "", fmt.Errorf("wechatpay: native prepay %s: no code_url: %w", p.OutTradeNo, ErrMalformed)
	}
	return out.CodeURL, nil
}

// QueryByOutTradeNo asks for the order's state. Errors: an *APIError
// (IsNotFound for an unknown number), or an unverified answer. An answer
// for another order or merchant is ErrWrongMerchant.
func (c *Client) QueryByOutTradeNo(ctx context.Context, outTradeNo string) (*Transaction, error) {
	if outTradeNo == "" {
		return nil, errors.New("wechatpay: query: empty out_trade_no")
	}
	var t Transaction
	path := outTradeNoPath(outTradeNo) + "?mchid=" + url.QueryEscape(c.cfg.MchID)
	if err := c.do(ctx, "GET", path, nil, &t); err != nil {
		return nil, err
	}
	if t.MchID != c.cfg.MchID || t.AppID != c.cfg.AppID || t.OutTradeNo != outTradeNo {
		return nil, fmt.Errorf("wechatpay: query %s: answer for mchid %q appid %q order %q: %w",
			outTradeNo, t.MchID, t.AppID, t.OutTradeNo, ErrWrongMerchant)
	}
	return &t, nil
}

// Close closes an unpaid order so it can no longer be paid (closing a
// closed one again succeeds). Errors: *APIError CodeOrderPaid when the
// buyer paid first (query it and treat it as paid), others; an unverified
// answer.
func (c *Client) Close(ctx context.Context, outTradeNo string) error {
	if outTradeNo == "" {
		return errors.New("wechatpay: close: empty out_trade_no")
	}
	return c.do(ctx, "POST", outTradeNoPath(outTradeNo)+"/close", struct {
		MchID string `json:"mchid"`
	}{c.cfg.MchID}, nil)
}

// MaxDescriptionBytes is the most a Prepay.Description may have.
const MaxDescriptionBytes = 127

// TruncateDescription cuts s to MaxDescriptionBytes at a character
// boundary, ending it with "…" when it was cut (a product name in Chinese
// runs out of bytes fast).
func TruncateDescription(s string) string {
	if len(s) <= MaxDescriptionBytes {
		return s
	}
	const ellipsis = "…"
	cut := MaxDescriptionBytes - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
