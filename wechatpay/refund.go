package wechatpay

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Refund statuses.
const (
	RefundSuccess    = "SUCCESS"    // the money is back with the buyer
	RefundClosed     = "CLOSED"     // closed without refunding
	RefundProcessing = "PROCESSING" // under way; a REFUND.* notification follows
	RefundAbnormal   = "ABNORMAL"   // failed (e.g. the buyer's card is gone); needs a hand in the merchant platform
)

// RefundRequest refunds all or part of a paid order, named by OutTradeNo
// or TransactionID (one of them).
type RefundRequest struct {
	OutTradeNo    string
	TransactionID string
	OutRefundNo   string // our refund number: 1–64 of 0-9 A-Z a-z _ - | * @; the same number is the same refund
	Reason        string // shown to the buyer, at most 80 characters
	NotifyURL     string // where REFUND.* is posted; empty: the merchant platform's setting
	Amount        RefundAmount
}

// RefundAmount: Refund of Total (the order's whole amount), in fen.
type RefundAmount struct {
	Refund   int64
	Total    int64
	Currency string // "CNY", the default
}

// Refund is a refund as WeChat Pay knows it.
type Refund struct {
	RefundID            string         `json:"refund_id"`
	OutRefundNo         string         `json:"out_refund_no"`
	TransactionID       string         `json:"transaction_id"`
	OutTradeNo          string         `json:"out_trade_no"`
	Channel             string         `json:"channel"`
	UserReceivedAccount string         `json:"user_received_account"`
	Status              string         `json:"status"`
	CreateTime          time.Time      `json:"create_time"`
	SuccessTime         time.Time      `json:"success_time"` // zero until SUCCESS
	Amount              RefundedAmount `json:"amount"`
}

// RefundedAmount is the amounts of a refund, in fen: Refund of Total,
// PayerRefund of PayerTotal (what the buyer gets back of what they paid).
type RefundedAmount struct {
	Total       int64  `json:"total"`
	Refund      int64  `json:"refund"`
	PayerTotal  int64  `json:"payer_total"`
	PayerRefund int64  `json:"payer_refund"`
	Currency    string `json:"currency"`
}

// UnmarshalJSON reads the times as WeChat Pay writes them.
func (r *Refund) UnmarshalJSON(b []byte) error {
	type plain Refund
	var w struct {
		plain
		CreateTime  string `json:"create_time"`
		SuccessTime string `json:"success_time"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	ct, err := parseWireTime("create_time", w.CreateTime)
	if err != nil {
		return err
	}
	st, err := parseWireTime("success_time", w.SuccessTime)
	if err != nil {
		return err
	}
	*r = Refund(w.plain)
	r.CreateTime, r.SuccessTime = ct, st
	return nil
}

type refundWire struct {
	TransactionID string           `json:"transaction_id,omitempty"`
	OutTradeNo    string           `json:"out_trade_no,omitempty"`
	OutRefundNo   string           `json:"out_refund_no"`
	Reason        string           `json:"reason,omitempty"`
	NotifyURL     string           `json:"notify_url,omitempty"`
	Amount        refundAmountWire `json:"amount"`
}

type refundAmountWire struct {
	Refund   int64  `json:"refund"`
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
}

func (r RefundRequest) check() error {
	var problem string
	switch {
	case (r.OutTradeNo == "") == (r.TransactionID == ""):
		problem = "name the order by one of OutTradeNo and TransactionID"
	case !refundNoPattern.MatchString(r.OutRefundNo):
		problem = "OutRefundNo must be 1–64 of 0-9 A-Z a-z _ - | * @"
	case r.Amount.Refund <= 0 || r.Amount.Total <= 0 || r.Amount.Refund > r.Amount.Total:
		problem = "Amount must have 0 < Refund <= Total"
	case r.Amount.Currency != "" && r.Amount.Currency != CurrencyCNY:
		problem = "Amount.Currency must be CNY"
	case len([]rune(r.Reason)) > 80:
		problem = "Reason has more than 80 characters"
	case r.NotifyURL != "":
		problem = checkNotifyURL(r.NotifyURL)
	}
	if problem != "" {
		return fmt.Errorf("wechatpay: refund %s: %s", r.OutRefundNo, problem)
	}
	return nil
}

// Refund asks for a refund. Asking again with the same OutRefundNo and
// amounts returns the same refund (safe to retry). The answer is usually
// PROCESSING; the outcome comes as a REFUND.* notification or by
// QueryRefund. Errors: an *APIError (CodeNotEnough: the merchant's balance
// is short; CodeInvalidRequest: more than is left to refund, or the order
// is not paid; IsNotFound: no such order; temporary ones), or an
// unverified answer.
func (c *Client) Refund(ctx context.Context, r RefundRequest) (*Refund, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	w := refundWire{
		TransactionID: r.TransactionID, OutTradeNo: r.OutTradeNo,
		OutRefundNo: r.OutRefundNo, Reason: r.Reason, NotifyURL: r.NotifyURL,
		Amount: refundAmountWire{Refund: r.Amount.Refund, Total: r.Amount.Total, Currency: r.Amount.Currency},
	}
	if w.Amount.Currency == "" {
		w.Amount.Currency = CurrencyCNY
	}
	var out Refund
	if err := c.do(ctx, "POST", "/v3/refund/domestic/refunds", w, &out); err != nil {
		return nil, err
	}
	if out.OutRefundNo != r.OutRefundNo {
		return nil, fmt.Errorf("wechatpay: refund %s: answer for refund %q: %w", r.OutRefundNo, out.OutRefundNo, ErrMalformed)
	}
	return &out, nil
}

// QueryRefund asks for a refund's state. Errors: an *APIError (IsNotFound
// for an unknown number), or an unverified answer.
func (c *Client) QueryRefund(ctx context.Context, outRefundNo string) (*Refund, error) {
	if outRefundNo == "" {
		return nil, fmt.Errorf("wechatpay: refund query: empty out_refund_no")
	}
	var out Refund
	if err := c.do(ctx, "GET", refundPath(outRefundNo), nil, &out); err != nil {
		return nil, err
	}
	if out.OutRefundNo != outRefundNo {
		return nil, fmt.Errorf("wechatpay: refund query %s: answer for refund %q: %w", outRefundNo, out.OutRefundNo, ErrMalformed)
	}
	return &out, nil
}
