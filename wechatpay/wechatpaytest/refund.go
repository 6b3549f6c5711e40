package wechatpaytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"shopbot/wechatpay"
)

// refund is a refund the fake keeps.
type refund struct {
	params      refundBody
	outTradeNo  string
	refundID    string
	status      string
	createTime  time.Time
	successTime time.Time
}

type refundBody struct {
	TransactionID string `json:"transaction_id,omitempty"`
	OutTradeNo    string `json:"out_trade_no,omitempty"`
	OutRefundNo   string `json:"out_refund_no"`
	Reason        string `json:"reason,omitempty"`
	NotifyURL     string `json:"notify_url,omitempty"`
	Amount        struct {
		Refund   int64  `json:"refund"`
		Total    int64  `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
}

var outRefundNoRule = regexp.MustCompile(`^[0-9A-Za-z_\-|*@]{1,64}$`)

// refundAnswer is a refund as WeChat Pay answers a refund or its query.
type refundAnswer struct {
	RefundID            string        `json:"refund_id"`
	OutRefundNo         string        `json:"out_refund_no"`
	TransactionID       string        `json:"transaction_id"`
	OutTradeNo          string        `json:"out_trade_no"`
	Channel             string        `json:"channel"`
	UserReceivedAccount string        `json:"user_received_account"`
	SuccessTime         string        `json:"success_time,omitempty"`
	CreateTime          string        `json:"create_time"`
	Status              string        `json:"status"`
	FundsAccount        string        `json:"funds_account"`
	Amount              refundAmounts `json:"amount"`
}

type refundAmounts struct {
	Total       int64  `json:"total"`
	Refund      int64  `json:"refund"`
	PayerTotal  int64  `json:"payer_total"`
	PayerRefund int64  `json:"payer_refund"`
	Currency    string `json:"currency,omitempty"`
}

// refundAnswer of f, under s.mu.
func (s *Server) refundAnswer(f *refund) refundAnswer {
	o := s.orders[f.outTradeNo]
	return refundAnswer{
		RefundID: f.refundID, OutRefundNo: f.params.OutRefundNo, TransactionID: o.transactionID,
		OutTradeNo: f.outTradeNo, Channel: "ORIGINAL", UserReceivedAccount: "支付用户零钱",
		SuccessTime: wireTime(f.successTime), CreateTime: wireTime(f.createTime), Status: f.status,
		FundsAccount: "AVAILABLE",
		Amount: refundAmounts{Total: o.params.Amount.Total, Refund: f.params.Amount.Refund,
			PayerTotal: o.params.Amount.Total, PayerRefund: f.params.Amount.Refund, Currency: "CNY"},
	}
}

func (s *Server) refund(_ *http.Request, body []byte) answer {
	var p refundBody
	if err := json.Unmarshal(body, &p); err != nil {
		return apiError(400, wechatpay.CodeParamError, "body is not the JSON of a refund")
	}
	if p.Amount.Currency == "" {
		p.Amount.Currency = "CNY"
	}
	switch {
	case p.OutTradeNo == "" && p.TransactionID == "":
		return apiError(400, wechatpay.CodeParamError, "transaction_id or out_trade_no is required")
	case !outRefundNoRule.MatchString(p.OutRefundNo):
		return apiError(400, wechatpay.CodeParamError, "out_refund_no must be 1-64 of [0-9A-Za-z_-|*@]")
	case p.Amount.Refund <= 0 || p.Amount.Total <= 0:
		return apiError(400, wechatpay.CodeParamError, "amount.refund and amount.total must be positive")
	case p.Amount.Currency != "CNY":
		return apiError(400, wechatpay.CodeParamError, "amount.currency must be CNY")
	case len([]rune(p.Reason)) > 80:
		return apiError(400, wechatpay.CodeParamError, "reason over 80 characters")
	case p.NotifyURL != "" && !checkNotifyURL(p.NotifyURL):
		return apiError(400, wechatpay.CodeParamError, "notify_url must be an https URL without a query")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	outTradeNo, o := s.findOrder(p.OutTradeNo, p.TransactionID)
	if o == nil {
		return apiError(404, wechatpay.CodeResourceNotExists, "order does not exist")
	}
	if f, ok := s.refunds[p.OutRefundNo]; ok {
		if f.outTradeNo != outTradeNo || f.params.Amount != p.Amount {
			return apiError(400, wechatpay.CodeInvalidRequest, "out_refund_no used with other parameters")
		}
		return answer{200, s.refundAnswer(f)}
	}
	switch {
	case o.state != wechatpay.TradeSuccess && o.state != wechatpay.TradeRefund:
		return apiError(400, wechatpay.CodeInvalidRequest, "order is not paid")
	case p.Amount.Total != o.params.Amount.Total:
		return apiError(400, wechatpay.CodeParamError, "amount.total is not the order's")
	case p.Amount.Refund > o.params.Amount.Total-o.refunded:
		return apiError(400, wechatpay.CodeInvalidRequest, "refund exceeds what is left of the order")
	}
	f := &refund{params: p, outTradeNo: outTradeNo, status: wechatpay.RefundProcessing, createTime: s.clock(),
		refundID: fmt.Sprintf("50300%s%08d", s.clock().Format("20060102"), s.seq.Add(1))}
	if s.refundNow {
		f.status, f.successTime = wechatpay.RefundSuccess, s.clock()
	}
	s.refunds[p.OutRefundNo] = f
	o.refunded += p.Amount.Refund
	o.state = wechatpay.TradeRefund
	return answer{200, s.refundAnswer(f)}
}

// findOrder by out_trade_no, else transaction_id, under s.mu.
func (s *Server) findOrder(outTradeNo, transactionID string) (string, *order) {
	if outTradeNo != "" {
		if o, ok := s.orders[outTradeNo]; ok && (transactionID == "" || o.transactionID == transactionID) {
			return outTradeNo, o
		}
		return "", nil
	}
	for no, o := range s.orders {
		if o.transactionID != "" && o.transactionID == transactionID {
			return no, o
		}
	}
	return "", nil
}

func (s *Server) queryRefund(r *http.Request, _ []byte) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.refunds[r.PathValue("no")]
	if !ok {
		return apiError(404, wechatpay.CodeResourceNotExists, "refund does not exist")
	}
	return answer{200, s.refundAnswer(f)}
}

// ErrNoRefund: CompleteRefund or a notification of an unknown out_refund_no.
var ErrNoRefund = errors.New("wechatpaytest: no such refund")

// CompleteRefund ends a PROCESSING refund with status (SUCCESS, ABNORMAL
// or CLOSED; "" is SUCCESS) and delivers its REFUND.* notification,
// returning the receiver's status (0 when dropped). A CLOSED refund's amount
// may be refunded again.
func (s *Server) CompleteRefund(outRefundNo, status string) (int, error) {
	if status == "" {
		status = wechatpay.RefundSuccess
	}
	if status != wechatpay.RefundSuccess && status != wechatpay.RefundAbnormal && status != wechatpay.RefundClosed {
		return 0, fmt.Errorf("wechatpaytest: complete refund %s: status %q", outRefundNo, status)
	}
	if err := s.finishRefund(outRefundNo, status); err != nil {
		return 0, err
	}
	return s.NotifyRefund(outRefundNo)
}

func (s *Server) finishRefund(outRefundNo, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.refunds[outRefundNo]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoRefund, outRefundNo)
	}
	if f.status != wechatpay.RefundProcessing {
		return fmt.Errorf("wechatpaytest: complete refund %s: it is %s", outRefundNo, f.status)
	}
	f.status = status
	switch status {
	case wechatpay.RefundSuccess:
		f.successTime = s.clock()
	case wechatpay.RefundClosed:
		s.orders[f.outTradeNo].refunded -= f.params.Amount.Refund
	}
	return nil
}

// RefundState is what the server knows of a refund.
type RefundState struct {
	OutRefundNo string
	OutTradeNo  string
	RefundID    string
	Status      string
	Refund      int64
	Reason      string
	NotifyURL   string
}

// Refund looks a refund up.
func (s *Server) Refund(outRefundNo string) (RefundState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.refunds[outRefundNo]
	if !ok {
		return RefundState{}, false
	}
	return RefundState{OutRefundNo: outRefundNo, OutTradeNo: f.outTradeNo, RefundID: f.refundID, Status: f.status,
		Refund: f.params.Amount.Refund, Reason: f.params.Reason, NotifyURL: f.params.NotifyURL}, true
}
