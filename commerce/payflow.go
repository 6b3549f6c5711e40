package commerce

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// PaymentsOptions configures Payments.
type PaymentsOptions struct {
	Store Store
	Flow  PaymentFlowStore
	Clock Clock // default SystemClock
	// WeChat is WeChat Pay; nil: not configured.
	WeChat WeChatPayer
	// Telegram switches Telegram Payments on (TELEGRAM_PAYMENT_PROVIDER_TOKEN set).
	Telegram bool
	// PayTTL is how long an order awaiting payment holds its stock; default 15 min.
	PayTTL time.Duration
	// ReconcileAfter is how old an open attempt is before the
	// reconciliation asks the provider about it; default 3 min.
	ReconcileAfter time.Duration
}

// Payments is the payment side of orders: which methods an order may be
// paid with, starting a payment, applying what providers say, closing
// unpaid orders at the provider before their stock goes back, and refunds.
type Payments struct {
	store     Store
	flow      PaymentFlowStore
	clock     Clock
	wechat    WeChatPayer
	telegram  bool
	ttl       time.Duration
	reconcile time.Duration
}

// NewPayments builds Payments with defaults filled in.
func NewPayments(o PaymentsOptions) *Payments {
	p := &Payments{store: o.Store, flow: o.Flow, clock: o.Clock, wechat: o.WeChat, telegram: o.Telegram,
		ttl: o.PayTTL, reconcile: o.ReconcileAfter}
	if p.clock == nil {
		p.clock = SystemClock
	}
	if p.ttl <= 0 {
		p.ttl = 15 * time.Minute
	}
	if p.reconcile <= 0 {
		p.reconcile = 3 * time.Minute
	}
	return p
}

// Online reports whether any online payment is configured.
func (p *Payments) Online() bool { return p != nil && (p.wechat != nil || p.telegram) }

// WeChat reports whether WeChat Pay is configured.
func (p *Payments) WeChat() bool { return p != nil && p.wechat != nil }

// PayTTL is how long an order awaiting payment holds its stock.
func (p *Payments) PayTTL() time.Duration { return p.ttl }

// PayOffer is what an order may be paid with.
type PayOffer struct {
	WeChat   bool // WeChat Pay (JSAPI in WeChat, Native elsewhere)
	Telegram bool // a Telegram invoice (Telegram chats only)
	AtPickup bool // pay at pickup (duty-paid and local stock only)
	// CrossBorder: the order holds bonded or direct-mail goods, so only
	// WeChat Pay is offered.
	CrossBorder bool
}

// Any reports whether at least one method is offered.
func (o PayOffer) Any() bool { return o.WeChat || o.Telegram || o.AtPickup }

// Offer is what o may be paid with in channel ("tg", "wx", "web"):
// WeChat Pay for everything when configured; a Telegram invoice (in
// Telegram) and pay at pickup for duty-paid and local stock only.
// Without online payment every order is paid at pickup, as before.
func (p *Payments) Offer(ctx context.Context, o Order, channel string) (PayOffer, error) {
	cross, err := p.crossBorder(ctx, o)
	if err != nil {
		return PayOffer{}, err
	}
	offer := PayOffer{CrossBorder: cross}
	if p == nil || !p.Online() {
		offer.AtPickup = true // the embedded default: as before
		return offer, nil
	}
	offer.WeChat = p.wechat != nil && o.Total.Currency == "CNY"
	offer.Telegram = p.telegram && channel == "tg" && !cross
	offer.AtPickup = !cross
	return offer, nil
}

// crossBorder reports whether any line of o is bonded or direct mail.
func (p *Payments) crossBorder(ctx context.Context, o Order) (bool, error) {
	if p == nil {
		return false, nil
	}
	for _, l := range o.Lines {
		pr, err := p.store.Product(ctx, l.ProductID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		if pr.Origin.CrossBorder() {
			return true, nil
		}
	}
	return false, nil
}

// Begin starts paying the buyer's order with method (PayWeChat with
// TradeJSAPI — openid required — or TradeNative; PayTelegram with
// TradeInvoice): the order moves to awaiting_payment, holding its stock
// for the payment time (a drop order keeps its reservation's end), and an
// attempt is created; for WeChat Pay the transaction is created at the
// provider and the attempt carries its prepay_id or code_url. Calling it
// again returns the same open attempt. ErrPaymentMethod when the method
// is not offered; ErrExpired when the reservation ran out; ErrAlreadyPaid;
// ErrProvider when WeChat Pay cannot be reached (the order stays awaiting
// payment; the buyer may try again).
func (p *Payments) Begin(ctx context.Context, b Buyer, orderID int64, method PaymentMethod, tradeType, openID string) (Order, PayAttempt, error) {
	o, err := p.ownOrder(ctx, b, orderID)
	if err != nil {
		return Order{}, PayAttempt{}, err
	}
	return p.begin(ctx, o, method, tradeType, openID)
}

// BeginAt starts a WeChat Pay Native payment of an order by its number,
// as Begin without the buyer check (shopbot-bench pay makes its payments
// with it; staff at the counter use BeginCounter).
func (p *Payments) BeginAt(ctx context.Context, number string) (Order, PayAttempt, error) {
	o, err := p.store.OrderByNumber(ctx, NormalizeOrderNumber(number))
	if err != nil {
		return Order{}, PayAttempt{}, err
	}
	return p.begin(ctx, o, PayWeChat, TradeNative, "")
}

func (p *Payments) begin(ctx context.Context, o Order, method PaymentMethod, tradeType, openID string) (Order, PayAttempt, error) {
	now := p.clock.Now()
	if o.Paid.IsPaid() || o.Status == StatusPaid {
		return o, PayAttempt{}, fmt.Errorf("order %s: %w", o.Number, ErrAlreadyPaid)
	}
	if (o.Status == StatusPending || o.Status == StatusAwaitingPayment) && !now.Before(o.ExpiresAt) {
		// The reservation or the payment time ended: its expiry is closing
		// it at the provider, and a new attempt would race that close.
		return o, PayAttempt{}, fmt.Errorf("order %s: %w", o.Number, ErrExpired)
	}
	offer, err := p.Offer(ctx, o, o.Buyer.Channel)
	if err != nil {
		return o, PayAttempt{}, err
	}
	switch {
	case method == PayWeChat && offer.WeChat && (tradeType == TradeNative || tradeType == TradeJSAPI && openID != ""):
	case method == PayTelegram && p.telegram && !offer.CrossBorder && tradeType == TradeInvoice:
	default:
		return o, PayAttempt{}, fmt.Errorf("order %s: %s %s: %w", o.Number, method, tradeType, ErrPaymentMethod)
	}
	expires := now.Add(p.ttl)
	if o.Status == StatusAwaitingPayment || o.Status == StatusPending && o.ExpiresAt.After(expires) {
		expires = o.ExpiresAt // a drop order keeps its reservation's end
	}
	o, a, _, err := p.flow.BeginPayment(ctx, o.ID, PayAttempt{OrderID: o.ID, Method: method, TradeType: tradeType,
		Amount: o.Total, State: AttemptOpen, Payer: openID, CreatedAt: now, UpdatedAt: now}, expires)
	if err != nil {
		return o, a, err
	}
	if method != PayWeChat || a.Prepay != "" {
		return o, a, nil
	}
	prepay, err := p.wechat.Prepay(ctx, Prepay{TradeType: tradeType, OutTradeNo: a.OutTradeNo,
		Description: p.describe(o), Amount: a.Amount, OpenID: openID, ExpiresAt: o.ExpiresAt})
	if err != nil {
		return o, a, fmt.Errorf("prepay %s: %w", a.OutTradeNo, err)
	}
	if err := p.flow.SetAttemptPrepay(ctx, a.ID, prepay, now); err != nil {
		return o, a, err
	}
	a.Prepay = prepay
	return o, a, nil
}

// describe is the transaction's description at WeChat Pay: the first
// line's title and the order number (the WeChat Pay client cuts it to the
// provider's limit).
func (p *Payments) describe(o Order) string {
	if len(o.Lines) == 0 {
		return "Order " + o.Number
	}
	title := o.Lines[0].Title.In(o.Lang)
	if len(o.Lines) > 1 {
		title += " …"
	}
	return title + " · " + o.Number
}

func (p *Payments) ownOrder(ctx context.Context, b Buyer, id int64) (Order, error) {
	return ownOrder(ctx, p.store, b, id)
}

// Apply records what a provider says about a payment — a verified
// notification, a query's answer, a Telegram successful_payment — through
// the one idempotent path keyed by the provider's transaction id. A
// provider word that nothing was paid changes nothing (PayNotPaid). A
// late payment's refund is sent at once when WeChat Pay is configured (if
// that fails, the reconciliation sends it later).
func (p *Payments) Apply(ctx context.Context, pay ProviderPayment) (PayResult, error) {
	if !pay.Succeeded() {
		a, err := p.flow.AttemptByOutTradeNo(ctx, pay.OutTradeNo)
		return PayResult{Outcome: PayNotPaid, Attempt: a}, err
	}
	if pay.TransactionID == "" || pay.OutTradeNo == "" {
		return PayResult{}, fmt.Errorf("payment without transaction id: %w", ErrInvalid)
	}
	if pay.At.IsZero() {
		pay.At = p.clock.Now()
	}
	res, err := p.flow.ApplyPayment(ctx, pay, p.clock.Now())
	if err != nil {
		return res, err
	}
	if res.Refund != nil && res.Refund.Method == PayWeChat && p.wechat != nil {
		if r, err := p.SendRefund(ctx, res.Refund.OutRefundNo); err == nil {
			res.Refund = &r
		} // else: the refund stays requested; Reconcile sends it
	}
	return res, nil
}

// Expire ends the payment time of an order awaiting payment: each open
// WeChat Pay transaction is closed at the provider FIRST (a transaction
// the provider says is paid is applied instead, and the order stays
// paid), then the order is cancelled and its stock released. It reports
// whether it cancelled the order; one not due, or no longer awaiting
// payment, is left alone.
func (p *Payments) Expire(ctx context.Context, orderID int64) (bool, error) {
	o, err := p.store.Order(ctx, orderID)
	if err != nil {
		return false, err
	}
	if o.Status != StatusAwaitingPayment || p.clock.Now().Before(o.ExpiresAt) {
		return false, nil
	}
	if _, err := p.closeUnpaid(ctx, o, "", ""); err != nil {
		if errors.Is(err, ErrAlreadyPaid) || errors.Is(err, ErrInvalidTransition) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// Cancel cancels the buyer's order awaiting payment the same way: closed
// at the provider first, then its stock released. Cancelling a cancelled
// order is harmless; ErrAlreadyPaid if it got paid.
func (p *Payments) Cancel(ctx context.Context, b Buyer, orderID int64) (Order, error) {
	o, err := p.ownOrder(ctx, b, orderID)
	if err != nil {
		return Order{}, err
	}
	if o.Status == StatusCancelled {
		return o, nil
	}
	if o.Status != StatusAwaitingPayment {
		return o, fmt.Errorf("order %s is %s: %w", o.Number, o.Status, ErrInvalidTransition)
	}
	return p.closeUnpaid(ctx, o, "", "")
}

// SellerCancel cancels an order for a seller (by; the reason the buyer is
// told): awaiting payment → closed at the provider first; else as
// Shop.SellerCancel, and when the order was paid (online, or confirmed and
// paid already: the counter's QR, a recorded transfer) what is left of its
// payment is refunded, once.
func (p *Payments) SellerCancel(ctx context.Context, shop *Shop, number, reason, by string) (Order, bool, error) {
	o, err := p.store.OrderByNumber(ctx, NormalizeOrderNumber(number))
	if err != nil {
		return Order{}, false, err
	}
	switch o.Status {
	case StatusAwaitingPayment:
		reason, err := NormalizeCancelReason(reason)
		if err != nil {
			return o, false, err
		}
		c, err := p.closeUnpaid(ctx, o, reason, by)
		return c, err == nil, err
	case StatusCancelled:
		// Cancelled before, maybe with its refund failing: refund what is
		// left now (the key makes it the same refund).
		_, _, err := p.RefundRest(ctx, o, o.CancelReason, by, "cancel:"+o.Number)
		return o, false, err
	}
	// Paid online (StatusPaid), or confirmed and paid already (at the
	// counter's WeChat Pay QR, a transfer recorded): its payment is
	// refunded too; an unpaid order just cancels.
	c, changed, err := shop.SellerCancel(ctx, number, reason, by)
	if err != nil {
		return c, changed, err
	}
	_, _, err = p.RefundRest(ctx, c, c.CancelReason, by, "cancel:"+c.Number)
	return c, changed, err
}

// RefundRest refunds everything left of o's payment as one refund keyed
// key (a cancellation, an accepted return, an overdue pickup): calling it
// again returns the same refund. It does nothing (created false, no
// error) for an order never paid, or one whose payment was refunded in
// full already. Errors of Refund.
func (p *Payments) RefundRest(ctx context.Context, o Order, reason, by, key string) (Refund, bool, error) {
	if !o.Paid.IsPaid() {
		return Refund{}, false, nil
	}
	r, created, err := p.Refund(ctx, RefundInput{Number: o.Number, Reason: reason, By: by, Key: key})
	if errors.Is(err, ErrRefundTooMuch) {
		return Refund{}, false, nil // refunded in full already
	}
	return r, created, err
}

// closeUnpaid closes o's open WeChat attempts at the provider, then
// cancels o in the store (CloseUnpaid).
func (p *Payments) closeUnpaid(ctx context.Context, o Order, reason, by string) (Order, error) {
	attempts, err := p.flow.Attempts(ctx, o.ID)
	if err != nil {
		return o, err
	}
	for _, a := range attempts {
		if a.State != AttemptOpen || a.Method != PayWeChat {
			continue
		}
		if p.wechat == nil {
			return o, fmt.Errorf("close %s: WeChat Pay not configured: %w", a.OutTradeNo, ErrProvider)
		}
		err := p.wechat.Close(ctx, a.OutTradeNo)
		if errors.Is(err, ErrAlreadyPaid) {
			// Paid at the last moment: apply what the provider says.
			tx, qerr := p.wechat.Query(ctx, a.OutTradeNo)
			if qerr != nil {
				return o, qerr
			}
			res, aerr := p.Apply(ctx, tx)
			switch {
			case aerr != nil:
				return o, aerr
			case res.Outcome == PayNotPaid:
				return o, fmt.Errorf("close %s: paid, says the provider, then unpaid: %w", a.OutTradeNo, ErrProvider)
			case res.Outcome == PayRecorded || res.Order.Status == StatusPaid:
				return o, fmt.Errorf("order %s: %w", o.Number, ErrAlreadyPaid)
			}
			// Paid, but not the order's amount (the seller is alerted): no
			// other payment can come for it, so the order closes unpaid.
			continue
		}
		if err != nil {
			return o, err
		}
	}
	return p.flow.CloseUnpaid(ctx, o.ID, reason, by, p.clock.Now())
}

// ExpireDue expires every order whose payment time ended more than
// ReconcileAfter ago: the safety net behind the per-order job (a job
// lost, or one that gave up), which has its chance first — both closing
// the same order at once would each ask WeChat Pay to close it. It
// returns how many it cancelled.
func (p *Payments) ExpireDue(ctx context.Context) (int, error) {
	ids, err := p.flow.DuePayments(ctx, p.clock.Now().Add(-p.reconcile), 200)
	if err != nil {
		return 0, err
	}
	n := 0
	var firstErr error
	for _, id := range ids {
		ok, err := p.Expire(ctx, id)
		if err != nil && firstErr == nil {
			firstErr = err // one provider failure must not stop the others
		}
		if ok {
			n++
		}
	}
	return n, firstErr
}

// Reconcile asks WeChat Pay about attempts still open after a few minutes
// (notifications can be lost) and applies the answers through Apply, then
// sends refunds still requested and queries those still processing. It
// returns how many payments and refunds it changed.
func (p *Payments) Reconcile(ctx context.Context) (int, error) {
	if p.wechat == nil {
		return 0, nil
	}
	now := p.clock.Now()
	stale, err := p.flow.StaleAttempts(ctx, now.Add(-p.reconcile), 100)
	if err != nil {
		return 0, err
	}
	n := 0
	var firstErr error
	keep := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	for _, a := range stale {
		if a.Method != PayWeChat {
			continue
		}
		tx, err := p.wechat.Query(ctx, a.OutTradeNo)
		if err != nil {
			keep(err)
			continue
		}
		if tx.Succeeded() {
			res, err := p.Apply(ctx, tx)
			keep(err)
			if err == nil && res.Outcome != PayDuplicate {
				n++
			}
		} else {
			keep(p.retireStale(ctx, a)) // paycounter.go
		}
	}
	refunds, err := p.flow.OpenRefunds(ctx, now.Add(-p.reconcile), 100)
	if err != nil {
		return n, err
	}
	for _, r := range refunds {
		var changed bool
		if r.State == RefundRequested {
			var got Refund
			got, err = p.SendRefund(ctx, r.OutRefundNo)
			changed = got.State != r.State
		} else {
			changed, err = p.QueryRefund(ctx, r.OutRefundNo)
		}
		keep(err)
		if changed {
			n++
		}
	}
	return n, firstErr
}

// RefundInput is a refund a seller (or the system) asks for.
type RefundInput struct {
	Number string
	// Lines to refund; empty with Amount zero: everything left.
	Lines  []RefundLine
	Amount Money // an amount instead of lines (a goodwill refund)
	Reason string
	By     string
	Key    string // idempotency key: the same key, the same refund
}

// Refund records a refund of an order's payment: per line (at the price
// paid), an amount, or everything left. A WeChat Pay payment is refunded
// at the provider at once (if that fails, the reconciliation retries);
// Telegram and counter payments become manual refunds the seller makes
// and marks done. ErrNotFound, ErrInvalid (lines, no payment),
// ErrRefundTooMuch; the same Key returns the same refund (created=false).
func (p *Payments) Refund(ctx context.Context, in RefundInput) (Refund, bool, error) {
	if in.Key == "" || in.By == "" {
		return Refund{}, false, fmt.Errorf("refund: key and who required: %w", ErrInvalid)
	}
	o, err := p.store.OrderByNumber(ctx, NormalizeOrderNumber(in.Number))
	if err != nil {
		return Refund{}, false, err
	}
	// The same key is the same refund, whatever is left to refund now.
	earlier, err := p.flow.Refunds(ctx, o.ID)
	if err != nil {
		return Refund{}, false, err
	}
	for _, r := range earlier {
		if r.Key == in.Key {
			return r, false, nil
		}
	}
	if !o.Paid.IsPaid() {
		return Refund{}, false, fmt.Errorf("order %s is unpaid: %w", o.Number, ErrInvalid)
	}
	r := Refund{OrderID: o.ID, Method: o.Paid.Method, Reason: strings.TrimSpace(in.Reason), Key: in.Key, By: in.By,
		Lines: in.Lines, CreatedAt: p.clock.Now(), UpdatedAt: p.clock.Now()}
	switch {
	case len(in.Lines) > 0:
		total := Money{Currency: o.Total.Currency}
		for _, l := range in.Lines {
			if l.LineNo < 1 || l.LineNo > len(o.Lines) || l.Qty < 1 || l.Qty > o.Lines[l.LineNo-1].Qty {
				return Refund{}, false, fmt.Errorf("refund line %d × %d: %w", l.LineNo, l.Qty, ErrInvalid)
			}
			if total, err = total.Add(o.Lines[l.LineNo-1].UnitPrice.Mul(l.Qty)); err != nil {
				return Refund{}, false, err
			}
		}
		// A payment below the total (a discount at the counter) refunds in proportion.
		if o.Paid.Amount.Amount < o.Total.Amount && o.Total.Amount > 0 {
			total.Amount = total.Amount * o.Paid.Amount.Amount / o.Total.Amount
		}
		r.Amount = total
	case in.Amount.Amount > 0:
		if in.Amount.Currency != "" && in.Amount.Currency != o.Total.Currency {
			return Refund{}, false, fmt.Errorf("refund in %s of an order in %s: %w", in.Amount.Currency, o.Total.Currency, ErrCurrencyMismatch)
		}
		r.Amount = Money{Amount: in.Amount.Amount, Currency: o.Total.Currency}
	default: // everything left (the store refuses what was refunded already)
		r.Amount = Money{Amount: RefundableAmount(o, earlier), Currency: o.Total.Currency}
	}
	if r.Amount.Amount <= 0 {
		return Refund{}, false, fmt.Errorf("refund of %d: %w", r.Amount.Amount, ErrRefundTooMuch)
	}
	r.State = RefundManual
	if r.Method == PayWeChat {
		r.State = RefundRequested
	}
	r, created, err := p.flow.CreateRefund(ctx, r)
	if err != nil || !created || r.State != RefundRequested || p.wechat == nil {
		return r, created, err
	}
	if sent, err := p.SendRefund(ctx, r.OutRefundNo); err == nil {
		r = sent
	}
	return r, created, nil
}

// Refundable is how much of o's payment is not refunded (or being refunded).
func (p *Payments) Refundable(ctx context.Context, o Order) (int64, error) {
	refunds, err := p.flow.Refunds(ctx, o.ID)
	if err != nil {
		return 0, err
	}
	return RefundableAmount(o, refunds), nil
}

// RefundableAmount is how much of o's payment its refunds leave.
func RefundableAmount(o Order, refunds []Refund) int64 {
	left := o.Paid.Amount.Amount
	for _, r := range refunds {
		if r.ofPayment() {
			left -= r.Amount.Amount
		}
	}
	return max(left, 0)
}

// ofPayment reports whether r counts against its order's payment: a
// refund of the order (not of a late attempt's money) that did not fail.
func (r Refund) ofPayment() bool { return r.AttemptID == 0 && r.State != RefundFailed }

// RefundableUnits is how many units of each of o's lines its refunds
// leave to refund, indexed by line number (1-based; index 0 unused).
func RefundableUnits(o Order, refunds []Refund) []int {
	left := make([]int, len(o.Lines)+1)
	for i, l := range o.Lines {
		left[i+1] = l.Qty
	}
	for _, r := range refunds {
		if !r.ofPayment() {
			continue
		}
		for _, l := range r.Lines {
			if l.LineNo >= 1 && l.LineNo < len(left) {
				left[l.LineNo] = max(left[l.LineNo]-l.Qty, 0)
			}
		}
	}
	return left
}

// SendRefund sends a requested WeChat Pay refund to the provider and
// records its answer. Sending one already sent changes nothing.
func (p *Payments) SendRefund(ctx context.Context, outRefundNo string) (Refund, error) {
	r, err := p.flow.RefundByNo(ctx, outRefundNo)
	if err != nil || r.State != RefundRequested {
		return r, err
	}
	if p.wechat == nil {
		return r, fmt.Errorf("refund %s: WeChat Pay not configured: %w", outRefundNo, ErrProvider)
	}
	call := RefundCall{OutRefundNo: r.OutRefundNo, Reason: r.Reason, Refund: r.Amount}
	attempts, err := p.flow.Attempts(ctx, r.OrderID)
	if err != nil {
		return r, err
	}
	for _, a := range attempts {
		if r.AttemptID == a.ID || r.AttemptID == 0 && a.State == AttemptPaid {
			call.OutTradeNo, call.Total = a.OutTradeNo, a.Paid
		}
	}
	if call.OutTradeNo == "" {
		return r, fmt.Errorf("refund %s: no WeChat payment: %w", outRefundNo, ErrInvalid)
	}
	got, err := p.wechat.Refund(ctx, call)
	if err != nil {
		return r, err
	}
	r, _, err = p.applyRefund(ctx, got)
	return r, err
}

// QueryRefund asks WeChat Pay about a refund and records its answer.
func (p *Payments) QueryRefund(ctx context.Context, outRefundNo string) (bool, error) {
	if p.wechat == nil {
		return false, nil
	}
	got, err := p.wechat.QueryRefund(ctx, outRefundNo)
	if err != nil {
		return false, err
	}
	_, changed, err := p.applyRefund(ctx, got)
	return changed, err
}

// ApplyRefund records what WeChat Pay says about a refund (a verified
// notification): the one path of notifications and queries. A repeated
// word changes nothing.
func (p *Payments) ApplyRefund(ctx context.Context, pr ProviderRefund) (Refund, bool, error) {
	return p.applyRefund(ctx, pr)
}

func (p *Payments) applyRefund(ctx context.Context, pr ProviderRefund) (Refund, bool, error) {
	state := RefundProcessing
	switch pr.State {
	case "SUCCESS":
		state = RefundSucceeded
	case "CLOSED", "ABNORMAL":
		state = RefundFailed
	}
	return p.flow.SetRefundState(ctx, pr.OutRefundNo, state, pr.RefundID, p.clock.Now())
}

// MarkRefunded records that the seller made a manual refund (at the
// Telegram payment provider, or at the counter).
func (p *Payments) MarkRefunded(ctx context.Context, outRefundNo string) (Refund, bool, error) {
	r, err := p.flow.RefundByNo(ctx, strings.ToUpper(strings.TrimSpace(outRefundNo)))
	if err != nil {
		return r, false, err
	}
	if r.State != RefundManual {
		return r, false, nil
	}
	return p.flow.SetRefundState(ctx, r.OutRefundNo, RefundSucceeded, "", p.clock.Now())
}

// Attempts lists an order's payment attempts.
func (p *Payments) Attempts(ctx context.Context, orderID int64) ([]PayAttempt, error) {
	return p.flow.Attempts(ctx, orderID)
}

// Refunds lists an order's refunds.
func (p *Payments) Refunds(ctx context.Context, orderID int64) ([]Refund, error) {
	return p.flow.Refunds(ctx, orderID)
}

// Attempt returns the attempt of an out_trade_no.
func (p *Payments) Attempt(ctx context.Context, outTradeNo string) (PayAttempt, error) {
	return p.flow.AttemptByOutTradeNo(ctx, outTradeNo)
}

// Order returns an order (the pay pages show it).
func (p *Payments) Order(ctx context.Context, id int64) (Order, error) { return p.store.Order(ctx, id) }
