package wechatpaytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"shopbot/wechatpay"
)

const (
	tradeJSAPI  = "JSAPI"
	tradeNative = "NATIVE"
)

// order is a transaction the fake keeps.
type order struct {
	params        prepayBody // as placed, for the same-parameters check
	tradeType     string
	prepayID      string
	codeURL       string
	state         string
	transactionID string
	successTime   time.Time
	payer         string // openid of who paid
	timeExpire    time.Time
	refunded      int64 // sum of its refunds that are not CLOSED
}

type prepayBody struct {
	AppID       string `json:"appid"`
	MchID       string `json:"mchid"`
	Description string `json:"description"`
	OutTradeNo  string `json:"out_trade_no"`
	TimeExpire  string `json:"time_expire,omitempty"`
	Attach      string `json:"attach,omitempty"`
	NotifyURL   string `json:"notify_url"`
	GoodsTag    string `json:"goods_tag,omitempty"`
	Amount      struct {
		Total    int64  `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
	Payer *struct {
		OpenID string `json:"openid"`
	} `json:"payer,omitempty"`
}

var outTradeNoRule = regexp.MustCompile(`^[0-9A-Za-z_\-|*]{6,32}$`)

// checkNotifyURL is WeChat Pay's rule: an absolute https URL, no query.
func checkNotifyURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.RawQuery == "" && u.Fragment == ""
}

func (s *Server) prepay(tradeType string) func(*http.Request, []byte) answer {
	return func(r *http.Request, body []byte) answer {
		var p prepayBody
		if err := json.Unmarshal(body, &p); err != nil {
			return apiError(400, wechatpay.CodeParamError, "body is not the JSON of a prepay")
		}
		if p.Amount.Currency == "" {
			p.Amount.Currency = "CNY"
		}
		var expire time.Time
		if p.TimeExpire != "" {
			t, err := time.Parse(time.RFC3339, p.TimeExpire)
			if err != nil {
				return apiError(400, wechatpay.CodeParamError, "time_expire is not RFC 3339")
			}
			expire = t
		}
		switch {
		case p.MchID != s.mchID:
			return apiError(400, wechatpay.CodeParamError, "mchid is not the caller's")
		case p.AppID != s.appID:
			return apiError(400, "APPID_MCHID_NOT_MATCH", "appid and mchid do not match")
		case p.Description == "" || len(p.Description) > 127:
			return apiError(400, wechatpay.CodeParamError, "description must have 1-127 bytes")
		case !outTradeNoRule.MatchString(p.OutTradeNo):
			return apiError(400, wechatpay.CodeParamError, "out_trade_no must be 6-32 of [0-9A-Za-z_-|*]")
		case !checkNotifyURL(p.NotifyURL):
			return apiError(400, wechatpay.CodeParamError, "notify_url must be an https URL without a query")
		case p.Amount.Total <= 0:
			return apiError(400, wechatpay.CodeParamError, "amount.total must be positive")
		case p.Amount.Currency != "CNY":
			return apiError(400, wechatpay.CodeParamError, "amount.currency must be CNY")
		case len(p.Attach) > 128:
			return apiError(400, wechatpay.CodeParamError, "attach over 128 bytes")
		case tradeType == tradeJSAPI && (p.Payer == nil || p.Payer.OpenID == ""):
			return apiError(400, wechatpay.CodeParamError, "payer.openid is required")
		case !expire.IsZero() && !expire.After(s.clock()):
			return apiError(400, wechatpay.CodeParamError, "time_expire is past")
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if o, ok := s.orders[p.OutTradeNo]; ok {
			switch {
			case o.state == wechatpay.TradeSuccess || o.state == wechatpay.TradeRefund:
				return apiError(400, wechatpay.CodeOrderPaid, "order paid")
			case o.state == wechatpay.TradeClosed:
				return apiError(400, wechatpay.CodeOrderClosed, "order closed")
			case o.tradeType != tradeType || !sameParams(o.params, p):
				return apiError(400, wechatpay.CodeInvalidRequest, "201 out_trade_no used with other parameters")
			}
			return s.prepayAnswer(o)
		}
		n := s.seq.Add(1)
		o := &order{params: p, tradeType: tradeType, state: wechatpay.TradeNotPay, timeExpire: expire}
		if tradeType == tradeJSAPI {
			o.prepayID = fmt.Sprintf("wx%s%010d", s.clock().Format("20060102150405"), n)
		} else {
			o.codeURL = "weixin://wxpay/bizpayurl?pr=fake" + strconv.FormatInt(n, 36) + randomHex(3)
		}
		s.orders[p.OutTradeNo] = o
		return s.prepayAnswer(o)
	}
}

func sameParams(a, b prepayBody) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func (s *Server) prepayAnswer(o *order) answer {
	if o.tradeType == tradeJSAPI {
		return answer{200, map[string]string{"prepay_id": o.prepayID}}
	}
	return answer{200, map[string]string{"code_url": o.codeURL}}
}

// transactionBody is a transaction as WeChat Pay answers a query and seals
// it into TRANSACTION.* notifications.
type transactionBody struct {
	AppID          string             `json:"appid"`
	MchID          string             `json:"mchid"`
	OutTradeNo     string             `json:"out_trade_no"`
	TransactionID  string             `json:"transaction_id,omitempty"`
	TradeType      string             `json:"trade_type,omitempty"`
	TradeState     string             `json:"trade_state"`
	TradeStateDesc string             `json:"trade_state_desc"`
	BankType       string             `json:"bank_type,omitempty"`
	Attach         string             `json:"attach"`
	SuccessTime    string             `json:"success_time,omitempty"`
	Payer          *payerBody         `json:"payer,omitempty"`
	Amount         transactionAmounts `json:"amount"`
}

type payerBody struct {
	OpenID string `json:"openid"`
}

type transactionAmounts struct {
	Total         int64  `json:"total,omitempty"`
	PayerTotal    int64  `json:"payer_total,omitempty"`
	Currency      string `json:"currency"`
	PayerCurrency string `json:"payer_currency,omitempty"`
}

var stateDesc = map[string]string{
	wechatpay.TradeSuccess: "支付成功", wechatpay.TradeRefund: "转入退款", wechatpay.TradeNotPay: "未支付",
	wechatpay.TradeClosed: "已关闭", wechatpay.TradeUserPaying: "用户支付中", wechatpay.TradePayError: "支付失败",
	wechatpay.TradeRevoked: "已撤销",
}

// transactionBody of o, under s.mu.
func (s *Server) transactionBody(o *order) transactionBody {
	t := transactionBody{
		AppID: o.params.AppID, MchID: o.params.MchID, OutTradeNo: o.params.OutTradeNo,
		TradeState: o.state, TradeStateDesc: stateDesc[o.state], Attach: o.params.Attach,
		Amount: transactionAmounts{Currency: o.params.Amount.Currency},
	}
	if o.transactionID != "" { // paid once
		t.TransactionID, t.TradeType, t.BankType = o.transactionID, o.tradeType, "OTHERS"
		t.SuccessTime = wireTime(o.successTime)
		t.Payer = &payerBody{OpenID: o.payer}
		t.Amount = transactionAmounts{Total: o.params.Amount.Total, PayerTotal: o.params.Amount.Total,
			Currency: o.params.Amount.Currency, PayerCurrency: o.params.Amount.Currency}
	}
	return t
}

func (s *Server) query(r *http.Request, _ []byte) answer {
	if r.URL.Query().Get("mchid") != s.mchID {
		return apiError(400, wechatpay.CodeParamError, "mchid query parameter is not the caller's")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[r.PathValue("no")]
	if !ok {
		return apiError(404, wechatpay.CodeOrderNotExist, "order does not exist")
	}
	return answer{200, s.transactionBody(o)}
}

func (s *Server) closeOrder(r *http.Request, body []byte) answer {
	var b struct {
		MchID string `json:"mchid"`
	}
	if json.Unmarshal(body, &b) != nil || b.MchID != s.mchID {
		return apiError(400, wechatpay.CodeParamError, "mchid is not the caller's")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[r.PathValue("no")]
	switch {
	case !ok:
		return apiError(404, wechatpay.CodeOrderNotExist, "order does not exist")
	case o.state == wechatpay.TradeSuccess || o.state == wechatpay.TradeRefund:
		return apiError(400, wechatpay.CodeOrderPaid, "order paid")
	}
	o.state = wechatpay.TradeClosed
	return answer{status: http.StatusNoContent}
}

// ErrNoOrder: Pay, SetTradeState or a notification of an out_trade_no the
// server does not know.
var ErrNoOrder = errors.New("wechatpaytest: no such order")

// Pay is the buyer paying outTradeNo: the order becomes SUCCESS (openID
// must be the JSAPI payer; any for Native) and TRANSACTION.SUCCESS is
// delivered to its notify_url. It returns the receiver's status (0 when
// notifications are dropped). Errors: ErrNoOrder; an order closed, paid or
// expired; a delivery that failed (the order is paid all the same).
func (s *Server) Pay(outTradeNo, openID string) (int, error) {
	if err := s.markPaid(outTradeNo, openID); err != nil {
		return 0, err
	}
	return s.NotifyTransaction(outTradeNo)
}

func (s *Server) markPaid(outTradeNo, openID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[outTradeNo]
	switch {
	case !ok:
		return fmt.Errorf("%w: %s", ErrNoOrder, outTradeNo)
	case o.state != wechatpay.TradeNotPay && o.state != wechatpay.TradeUserPaying:
		return fmt.Errorf("wechatpaytest: pay %s: order is %s", outTradeNo, o.state)
	case !o.timeExpire.IsZero() && !s.clock().Before(o.timeExpire):
		return fmt.Errorf("wechatpaytest: pay %s: expired at %v", outTradeNo, o.timeExpire)
	case openID == "":
		return fmt.Errorf("wechatpaytest: pay %s: no payer", outTradeNo)
	case o.params.Payer != nil && o.params.Payer.OpenID != openID:
		return fmt.Errorf("wechatpaytest: pay %s: not the JSAPI payer", outTradeNo)
	}
	o.state = wechatpay.TradeSuccess
	o.payer = openID
	o.successTime = s.clock()
	o.transactionID = fmt.Sprintf("42000%s%s%08d", s.clock().Format("20060102"), s.publicKeyID[len(s.publicKeyID)-6:], s.seq.Add(1)) // unique across servers: a database outlives one fake
	return nil
}

// SetTradeState sets an order's state as WeChat Pay would report it (e.g.
// USERPAYING, PAYERROR) without a notification. Setting SUCCESS is Pay
// without the notification.
func (s *Server) SetTradeState(outTradeNo, state string) error {
	if state == wechatpay.TradeSuccess {
		s.mu.Lock()
		payer := ""
		if o, ok := s.orders[outTradeNo]; ok {
			payer = "oFakePayer0000000000000000000"
			if o.params.Payer != nil {
				payer = o.params.Payer.OpenID
			}
		}
		s.mu.Unlock()
		return s.markPaid(outTradeNo, payer)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[outTradeNo]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoOrder, outTradeNo)
	}
	o.state = state
	return nil
}

// Order is what the server knows of an order.
type Order struct {
	OutTradeNo    string
	TradeType     string
	State         string
	Total         int64
	Refunded      int64
	TransactionID string
	Payer         string
	NotifyURL     string
	Description   string
	Attach        string
	PrepayID      string
	CodeURL       string
}

// Order looks an order up.
func (s *Server) Order(outTradeNo string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[outTradeNo]
	if !ok {
		return Order{}, false
	}
	return Order{OutTradeNo: outTradeNo, TradeType: o.tradeType, State: o.state, Total: o.params.Amount.Total,
		Refunded: o.refunded, TransactionID: o.transactionID, Payer: o.payer, NotifyURL: o.params.NotifyURL,
		Description: o.params.Description, Attach: o.params.Attach, PrepayID: o.prepayID, CodeURL: o.codeURL}, true
}

// OrderByCodeURL finds the order a Native QR code pays (the buyer scanned it).
func (s *Server) OrderByCodeURL(codeURL string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for no, o := range s.orders {
		if o.codeURL == codeURL {
			return no, true
		}
	}
	return "", false
}

// OrderByPrepayID finds the order a JSAPI prepay_id belongs to.
func (s *Server) OrderByPrepayID(prepayID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for no, o := range s.orders {
		if o.prepayID == prepayID {
			return no, true
		}
	}
	return "", false
}
