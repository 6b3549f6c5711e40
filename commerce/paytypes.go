package commerce

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Online payment (issue 14). An order the buyer pays online moves
// pending → awaiting_payment (its stock held for the payment time) →
// paid. Each try at the provider is a PayAttempt with our own
// out_trade_no; what the provider says happened — a notification or a
// query — comes back as a ProviderPayment and goes through one code path,
// Payments.Apply, keyed by the provider's transaction id. An unpaid order
// is closed at the provider FIRST and only then its stock released; money
// that still arrives after that is a late payment, recorded and refunded
// (WeChat Pay automatically; a Telegram payment by the seller at the
// provider). Refunds are their own records, full or per line.

// Online payment methods (PaymentMethod): how an order was paid when the
// provider, not staff, recorded it.
const (
	PayWeChat   PaymentMethod = "wechatpay"
	PayTelegram PaymentMethod = "telegram"
)

// Online reports whether m is paid at a provider (WeChat Pay, Telegram).
func (m PaymentMethod) Online() bool { return m == PayWeChat || m == PayTelegram }

// CrossBorder reports whether goods of this origin are a cross-border
// retail import (bonded 1210, direct mail 9610): paid with WeChat Pay only,
// whose customs declaration carries the payment record.
func (o Origin) CrossBorder() bool { return o == OriginBonded || o == OriginDirectMail }

// Trade types of an attempt: how the buyer pays.
const (
	TradeJSAPI   = "JSAPI"   // WeChat Pay inside WeChat (the H5 page)
	TradeNative  = "NATIVE"  // WeChat Pay by scanning a QR code (web chat on a desktop, the counter)
	TradeInvoice = "INVOICE" // a Telegram invoice
)

// AttemptState is where one try at the provider is.
type AttemptState string

const (
	AttemptOpen     AttemptState = "open"     // created at the provider; the buyer may pay
	AttemptPaid     AttemptState = "paid"     // paid; the order is paid by it
	AttemptClosed   AttemptState = "closed"   // closed at the provider (or abandoned): no payment can arrive (WeChat)
	AttemptMismatch AttemptState = "mismatch" // paid, but not the order's amount or currency: money moved, the order is not paid
	AttemptLate     AttemptState = "late"     // paid after the order was cancelled, or paid twice: to be refunded
)

// PayAttempt is one try to pay an order at a provider.
type PayAttempt struct {
	ID         int64
	OrderID    int64
	Method     PaymentMethod // PayWeChat or PayTelegram
	TradeType  string        // TradeJSAPI, TradeNative, TradeInvoice
	OutTradeNo string        // ours, unique: the order number, "P", a counter ("K7Q2M9P1")
	Amount     Money         // what the provider was asked for: the order's total
	State      AttemptState
	// Prepay is what the provider gave back to start paying: a JSAPI
	// prepay_id or a Native code_url; empty for an invoice.
	Prepay        string
	TransactionID string // the provider's id once paid (Telegram: telegram_payment_charge_id)
	ProviderRef   string // Telegram: provider_payment_charge_id
	Payer         string // WeChat: the payer's openid
	Paid          Money  // what the provider says was paid (mismatch: differs from Amount)
	CreatedAt     time.Time
	UpdatedAt     time.Time
	PaidAt        time.Time
}

// ProviderPayment is what a provider says about one attempt: from a
// notification, a query, or a Telegram successful_payment.
type ProviderPayment struct {
	Method        PaymentMethod
	OutTradeNo    string
	TransactionID string
	ProviderRef   string
	// State is the provider's word: for WeChat Pay its trade_state
	// (SUCCESS, NOTPAY, CLOSED, USERPAYING, PAYERROR, REVOKED, REFUND);
	// Telegram payments are always SUCCESS.
	State  string
	Amount Money // what was paid
	Payer  string
	At     time.Time // success time
}

// Succeeded reports whether the provider says money moved.
func (p ProviderPayment) Succeeded() bool { return p.State == "SUCCESS" || p.State == "REFUND" }

// PayOutcome is what Apply did with a provider's word.
type PayOutcome string

const (
	PayRecorded  PayOutcome = "paid"      // the order is paid now
	PayDuplicate PayOutcome = "duplicate" // seen before (same transaction): nothing changed
	PayMismatch  PayOutcome = "mismatch"  // recorded; amount or currency differ; the order is not paid; the seller is alerted
	PayLate      PayOutcome = "late"      // recorded; the order was cancelled or paid already: refunded
	PayNotPaid   PayOutcome = "not_paid"  // the provider says nothing was paid (a query): nothing changed
)

// PayResult is Apply's answer.
type PayResult struct {
	Outcome PayOutcome
	Order   Order
	Attempt PayAttempt
	// Refund is the refund a late payment started (WeChat: automatic;
	// Telegram: the seller refunds at the provider).
	Refund *Refund
}

// RefundState is where a refund is.
type RefundState string

const (
	RefundRequested  RefundState = "requested"  // recorded; not yet sent to the provider
	RefundProcessing RefundState = "processing" // accepted by the provider; waiting for the money to move
	RefundSucceeded  RefundState = "succeeded"  // money returned
	RefundFailed     RefundState = "failed"     // the provider refused or closed it (ABNORMAL, CLOSED): the seller acts
	RefundManual     RefundState = "manual"     // the seller returns the money at the provider or the counter, then marks it done
)

// Settled reports whether a refund is over (returned, or failed).
func (s RefundState) Settled() bool { return s == RefundSucceeded || s == RefundFailed }

// RefundLine is part of a refund: Qty units of the order's line LineNo (1-based).
type RefundLine struct {
	LineNo int `json:"line"`
	Qty    int `json:"qty"`
}

// Refund is money going back to a buyer for an order: full, per line, or
// (AttemptID set) a late or second payment returned whole.
type Refund struct {
	ID          int64
	OrderID     int64
	AttemptID   int64         // the attempt refunded; 0: the order's payment
	Method      PaymentMethod // of the payment refunded
	OutRefundNo string        // ours, unique: the order number, "R", a counter
	Amount      Money
	Lines       []RefundLine // empty: the whole payment (or an amount)
	Reason      string
	State       RefundState
	ProviderID  string // the provider's refund id
	Key         string // idempotency key: the same key, the same refund
	By          string // "cli", "tg:123", "system"
	CreatedAt   time.Time
	UpdatedAt   time.Time
	DoneAt      time.Time
}

// ProviderRefund is what a provider says about a refund (a notification or a query).
type ProviderRefund struct {
	OutRefundNo string
	RefundID    string
	// State is the provider's word: SUCCESS, PROCESSING, CLOSED, ABNORMAL.
	State string
	At    time.Time
}

// Payment errors.
var (
	// ErrPaymentMethod: the method is not offered for this order (cross-border
	// goods need WeChat Pay; the method is switched off). Nothing changed.
	ErrPaymentMethod = errors.New("payment method not offered for this order")
	// ErrAlreadyPaid: the order is paid; nothing to pay or close.
	ErrAlreadyPaid = errors.New("order already paid")
	// ErrRefundTooMuch: the refund asks for more than was paid and not yet refunded.
	ErrRefundTooMuch = errors.New("refund exceeds what is left to refund")
	// ErrProvider: the payment provider could not be reached or answered an
	// error; try again later (nothing changed on our side).
	ErrProvider = errors.New("payment provider unavailable")
)

// Events of payments; stores emit them inside the transaction that records
// the change, so the notices and refund jobs they start commit with it.

// PaymentStarted: an order moved to awaiting_payment (or a new attempt
// was made); a job cancels it at Order.ExpiresAt unless it is paid by then
// (Payments.Expire: closed at the provider first).
type PaymentStarted struct {
	Order   Order
	Attempt PayAttempt
}

// EventName implements Event.
func (PaymentStarted) EventName() string { return "payment_started" }

// OrderPaid: an order was paid online (the buyer gets a receipt, the seller a notice).
type OrderPaid struct {
	Order   Order
	Attempt PayAttempt
}

// PaymentMismatched: money moved for an attempt but not the order's
// amount or currency; the order is not paid; the seller is alerted.
type PaymentMismatched struct {
	Order   Order
	Attempt PayAttempt
}

// RefundCreated: a refund was recorded; a job sends it to the provider
// (WeChat Pay) or the seller is told to make it (manual).
type RefundCreated struct {
	Order  Order
	Refund Refund
	Late   bool // a late or second payment, returned whole
}

// RefundSettled: a refund succeeded (the buyer is told) or failed (the seller is).
type RefundSettled struct {
	Order  Order
	Refund Refund
}

// EventName implements Event.
func (OrderPaid) EventName() string { return "order_paid" }

// EventName implements Event.
func (PaymentMismatched) EventName() string { return "payment_mismatched" }

// EventName implements Event.
func (RefundCreated) EventName() string { return "refund_created" }

// EventName implements Event.
func (RefundSettled) EventName() string { return "refund_settled" }

// PaymentFlowStore keeps attempts and refunds and makes each payment
// change in one transaction with the order it changes.
type PaymentFlowStore interface {
	// BeginPayment, in one transaction locking the order: moves the order
	// from pending (or keeps it in awaiting_payment) to awaiting_payment
	// with expires_at = expires (never later than it was for
	// awaiting_payment, nor than a drop order's reservation end, its
	// pending expires_at), and inserts a (its out_trade_no numbered by the
	// store: Number+"P"+n, n counting the order's attempts; its Amount the
	// order's total). When an open attempt of the same method and trade
	// type exists it is returned with created=false instead. A created
	// attempt emits PaymentStarted. ErrInvalidTransition if the order is in
	// another status (ErrAlreadyPaid if paid); ErrExpired if its
	// reservation or payment time ended by a.CreatedAt; ErrNotFound if
	// absent.
	BeginPayment(ctx context.Context, orderID int64, a PayAttempt, expires time.Time) (Order, PayAttempt, bool, error)
	// SetAttemptPrepay stores the provider's prepay_id or code_url of an open attempt.
	SetAttemptPrepay(ctx context.Context, attemptID int64, prepay string, at time.Time) error
	// AttemptByOutTradeNo returns one attempt. ErrNotFound if absent.
	AttemptByOutTradeNo(ctx context.Context, outTradeNo string) (PayAttempt, error)
	// Attempts lists an order's attempts, oldest first.
	Attempts(ctx context.Context, orderID int64) ([]PayAttempt, error)
	// ApplyPayment records a successful provider payment in one transaction
	// that locks the order row: a transaction id seen before → PayDuplicate,
	// nothing changes; an amount or currency other than the attempt's →
	// attempt mismatch, PaymentMismatched; the order awaiting_payment and
	// the attempt open (or closed, for Telegram, whose invoices cannot be
	// closed) → attempt paid, order paid (paid_at, payment, paid_amount,
	// paid_by = "provider"), OrderPaid; an unpaid order paid at the counter
	// (AwaitsCounterPayment) and an open WeChat Native attempt → the same,
	// the order's status unchanged; otherwise (order cancelled, or paid
	// by another attempt) → attempt late and a Refund of the whole attempt
	// created (state requested for WeChat Pay, manual for Telegram) with
	// RefundCreated{Late: true}. ErrNotFound for an unknown out_trade_no.
	ApplyPayment(ctx context.Context, p ProviderPayment, at time.Time) (PayResult, error)
	// CloseUnpaid, in one transaction locking the order: when the order is
	// awaiting_payment and no attempt is paid, every open attempt becomes
	// closed and the order cancelled (by, reason recorded; stock or drop
	// units returned; OrderStatusChanged, and SellerCancelledOrder when
	// by is a seller's). Call it only after each WeChat attempt was closed
	// at the provider. ErrAlreadyPaid if the order got paid meanwhile;
	// ErrInvalidTransition in any other status; ErrNotFound if absent.
	CloseUnpaid(ctx context.Context, orderID int64, reason, by string, at time.Time) (Order, error)
	// DuePayments lists orders awaiting payment whose payment time ended
	// by now (expires_at <= now), the earliest first.
	DuePayments(ctx context.Context, now time.Time, limit int) ([]int64, error)
	// StaleAttempts lists open WeChat Pay attempts created before before,
	// oldest first (the reconciliation queries them). Telegram invoices
	// are left out: no query answers for them, and a rush of unpaid ones
	// must not crowd the WeChat Pay ones out of the limit.
	StaleAttempts(ctx context.Context, before time.Time, limit int) ([]PayAttempt, error)

	// CreateRefund records r in one transaction locking the order: with
	// r.AttemptID = 0 the amount must fit within what the order's payment
	// left unrefunded (paid_amount minus every refund that has not failed),
	// ErrRefundTooMuch otherwise; lines must exist and not be refunded past
	// their quantity (ErrRefundTooMuch). The store numbers OutRefundNo
	// (Number+"R"+n) and emits RefundCreated. Idempotent on r.Key: the
	// refund with that key is returned with created=false.
	CreateRefund(ctx context.Context, r Refund) (Refund, bool, error)
	// SetRefundState moves a refund that is not settled to state (with the
	// provider's id when known), in one conditional update; a settled refund
	// is returned unchanged with changed=false. Reaching a settled state
	// emits RefundSettled.
	SetRefundState(ctx context.Context, outRefundNo string, state RefundState, providerID string, at time.Time) (Refund, bool, error)
	// RefundByNo returns one refund. ErrNotFound if absent.
	RefundByNo(ctx context.Context, outRefundNo string) (Refund, error)
	// Refunds lists an order's refunds, oldest first.
	Refunds(ctx context.Context, orderID int64) ([]Refund, error)
	// OpenRefunds lists WeChat Pay refunds requested or processing and not
	// updated since before (the reconciliation sends or queries them).
	OpenRefunds(ctx context.Context, before time.Time, limit int) ([]Refund, error)

	CounterPayStore // paying at the pickup counter (paycounter.go)
}

// WeChatPayer is WeChat Pay as the domain needs it; app adapts the
// wechatpay client to it. Every method may fail with an error wrapping
// ErrProvider when the provider cannot be reached or answers an error.
type WeChatPayer interface {
	// Prepay creates a JSAPI (openid required) or Native transaction and
	// returns its prepay_id or code_url. Repeating it with the same
	// out_trade_no and parameters is harmless.
	Prepay(ctx context.Context, p Prepay) (string, error)
	// Query asks for a transaction by out_trade_no.
	Query(ctx context.Context, outTradeNo string) (ProviderPayment, error)
	// Close closes an unpaid transaction. ErrAlreadyPaid when the provider
	// says it is paid; closing a closed one is harmless.
	Close(ctx context.Context, outTradeNo string) error
	// Refund asks for a refund of the payment of outTradeNo.
	Refund(ctx context.Context, r RefundCall) (ProviderRefund, error)
	// QueryRefund asks for a refund by out_refund_no.
	QueryRefund(ctx context.Context, outRefundNo string) (ProviderRefund, error)
}

// Prepay is a transaction to create at WeChat Pay.
type Prepay struct {
	TradeType   string // TradeJSAPI or TradeNative
	OutTradeNo  string
	Description string
	Amount      Money
	OpenID      string // JSAPI: the payer
	ExpiresAt   time.Time
}

// RefundCall is a refund to ask WeChat Pay for.
type RefundCall struct {
	OutTradeNo  string
	OutRefundNo string
	Reason      string
	Refund      Money
	Total       Money // the transaction's total
}

// TransactionTail is the last 6 characters of the provider's transaction
// id: what a receipt, the order card and the console show of it (the
// whole id is the buyer's payment record).
func (a PayAttempt) TransactionTail() string {
	r := []rune(a.TransactionID)
	return string(r[max(len(r)-6, 0):])
}

func (a PayAttempt) String() string {
	return fmt.Sprintf("%s %s %s %s", a.OutTradeNo, a.Method, a.TradeType, a.State)
}
