package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
)

// runPayments runs the topic of online payment (issue 14): starting a
// payment, the one idempotent path of providers' words keyed by the
// transaction id, closing at the provider before the stock goes back,
// late payments refunded, refunds per line and whole, and the race of a
// payment with the order's expiry.
func runPayments(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"begin: awaiting payment, one attempt per method and trade type", testPayBegin},
		{"begin refused: paid, confirmed, unknown", testPayBeginRefused},
		{"apply: paid once, duplicates change nothing", testPayApply},
		{"apply: a wrong amount is a mismatch, the order stays unpaid", testPayMismatch},
		{"late payments are refunded: WeChat requested, Telegram manual", testPayLate},
		{"a Telegram invoice paid twice: the second is refunded", testPayTwice},
		{"expire closes at the provider before releasing stock", testPayExpireClosesFirst},
		{"seller cancels an order awaiting payment", testPaySellerCancel},
		{"due payments and stale attempts", testPayDueStale},
		{"reconcile: a lost notification, an unsent refund", testPayReconcile},
		{"refunds per line and whole, never past what was paid", testPayRefunds},
		{"refund states: settled once", testPayRefundStates},
		{"a drop order closed unpaid: its units go back to the drop", testPayDropOrder},
		{"concurrent begins make one attempt", testPayConcurrentBegin},
		{"concurrent refunds never pass what was paid", testPayConcurrentRefunds},
		{"store race: payment and close of one order", testPayRaceStore},
		{"service race: notification and expiry of one order", testPayRaceService},
	})
}

// payTTL is the payment time of the tests' Payments.
const payTTL = 15 * time.Minute

// payEnv is a pickup env with a second product, a fake WeChat Pay and a
// Payments service over the store.
type payEnv struct {
	*pickupEnv
	prod2 commerce.Product
	wx    *fakeWeChatPay
	pay   *commerce.Payments
}

func newPayEnv(t *testing.T, open OpenShop) *payEnv {
	t.Helper()
	e := &payEnv{pickupEnv: newPickupEnv(t, open, nil)}
	var err error
	if e.prod2, err = e.s.UpsertProduct(e.ctx, commerce.Product{SKU: "SOCK-1", CategoryID: e.prod.CategoryID,
		Title: commerce.Text{"en": "Socks"}, Description: commerce.Text{"en": "d"}, Price: commerce.CNY(1500),
		Origin: commerce.OriginDutyPaid, Stock: 1000, Active: true}); err != nil {
		t.Fatal(err)
	}
	e.wx = newFakeWeChatPay()
	e.pay = commerce.NewPayments(commerce.PaymentsOptions{Store: e.s, Flow: e.s, Clock: e.clock, WeChat: e.wx,
		Telegram: true, PayTTL: payTTL})
	return e
}

// pending places a pending order of alice: qty units of the product and
// (qty2 > 0) qty2 of the second one.
func (e *payEnv) pending(qty, qty2 int) commerce.Order {
	e.t.Helper()
	n := e.orders.Add(1)
	now := e.clock.Now()
	lines := []commerce.OrderLine{{ProductID: e.prod.ID, SKU: e.prod.SKU, Title: e.prod.Title, UnitPrice: e.prod.Price, Qty: qty}}
	total := e.prod.Price.Mul(qty)
	if qty2 > 0 {
		lines = append(lines, commerce.OrderLine{ProductID: e.prod2.ID, SKU: e.prod2.SKU, Title: e.prod2.Title, UnitPrice: e.prod2.Price, Qty: qty2})
		total.Amount += e.prod2.Price.Amount * int64(qty2)
	}
	o, _, err := e.s.PlaceOrder(e.ctx, commerce.Order{Number: commerce.NewOrderNumber(), Buyer: alice, ChatID: alice.UserID, Lang: "en",
		Status: commerce.StatusPending, PickupPointID: e.a.ID, ContactName: "Alice Li", Phone: "+8613800000000",
		IdempotencyKey: fmt.Sprintf("pay-%d", n), CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
		Lines: lines, Total: total}, commerce.PersonLimits{})
	if err != nil {
		e.t.Fatalf("PlaceOrder: %v", err)
	}
	return o
}

// begin starts paying o with method (WeChat: JSAPI; Telegram: an invoice).
func (e *payEnv) begin(o commerce.Order, method commerce.PaymentMethod) (commerce.Order, commerce.PayAttempt) {
	e.t.Helper()
	trade, openID := commerce.TradeJSAPI, "oAlice"
	if method == commerce.PayTelegram {
		trade, openID = commerce.TradeInvoice, ""
	}
	got, a, err := e.pay.Begin(e.ctx, alice, o.ID, method, trade, openID)
	if err != nil {
		e.t.Fatalf("Begin %s %s: %v", o.Number, method, err)
	}
	return got, a
}

// paid is the provider's word that attempt a was paid in full by transaction tx.
func (e *payEnv) paid(a commerce.PayAttempt, tx string) commerce.ProviderPayment {
	return commerce.ProviderPayment{Method: a.Method, OutTradeNo: a.OutTradeNo, TransactionID: tx, State: "SUCCESS",
		Amount: a.Amount, Payer: "oAlice", At: e.clock.Now()}
}

func (e *payEnv) order(id int64) commerce.Order {
	e.t.Helper()
	o, err := e.s.Order(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *payEnv) stock2() int {
	e.t.Helper()
	p, err := e.s.Product(e.ctx, e.prod2.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return p.Stock
}

func (e *payEnv) refunds(orderID int64) []commerce.Refund {
	e.t.Helper()
	rs, err := e.s.Refunds(e.ctx, orderID)
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

func (e *payEnv) attempts(orderID int64) []commerce.PayAttempt {
	e.t.Helper()
	as, err := e.s.Attempts(e.ctx, orderID)
	if err != nil {
		e.t.Fatal(err)
	}
	return as
}

// fakeWeChatPay is WeChat Pay as a model: each transaction is NOTPAY
// until the buyer pays it (Pay) or it is closed (Close), atomically, as at
// the provider. It records the calls; closeErr makes Close fail, and
// onClose runs inside each Close before the provider closes.
type fakeWeChatPay struct {
	mu        sync.Mutex
	txs       map[string]*fakeTx
	refunds   map[string]commerce.ProviderRefund
	calls     []string
	closeErr  error
	refundErr error
	onClose   func(outTradeNo string)
	seq       int
}

type fakeTx struct {
	amount commerce.Money
	state  string // NOTPAY, SUCCESS, CLOSED
	id     string
}

func newFakeWeChatPay() *fakeWeChatPay {
	return &fakeWeChatPay{txs: map[string]*fakeTx{}, refunds: map[string]commerce.ProviderRefund{}}
}

func (f *fakeWeChatPay) record(call string) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
}

// callList returns the calls so far.
func (f *fakeWeChatPay) callList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeWeChatPay) Prepay(_ context.Context, p commerce.Prepay) (string, error) {
	f.record("prepay " + p.OutTradeNo)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.txs[p.OutTradeNo]; !ok {
		f.txs[p.OutTradeNo] = &fakeTx{amount: p.Amount, state: "NOTPAY"}
	}
	return "wx-prepay-" + p.OutTradeNo, nil
}

// PayWrong is the buyer paying outTradeNo at the provider with amount
// instead of what was asked (a provider's or our own bug).
func (f *fakeWeChatPay) PayWrong(outTradeNo string, amount commerce.Money) bool {
	f.mu.Lock()
	tx := f.txs[outTradeNo]
	if tx != nil {
		tx.amount = amount
	}
	f.mu.Unlock()
	_, ok := f.Pay(outTradeNo)
	return ok
}

// Pay is the buyer paying outTradeNo at the provider: the provider's word
// and whether the payment went through (not after a close).
func (f *fakeWeChatPay) Pay(outTradeNo string) (commerce.ProviderPayment, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tx := f.txs[outTradeNo]
	if tx == nil || tx.state != "NOTPAY" {
		return commerce.ProviderPayment{}, false
	}
	f.seq++
	tx.state, tx.id = "SUCCESS", fmt.Sprintf("4200%08d", f.seq)
	return f.word(outTradeNo, tx), true
}

func (f *fakeWeChatPay) word(outTradeNo string, tx *fakeTx) commerce.ProviderPayment {
	return commerce.ProviderPayment{Method: commerce.PayWeChat, OutTradeNo: outTradeNo, TransactionID: tx.id, State: tx.state,
		Amount: tx.amount, Payer: "oAlice"}
}

func (f *fakeWeChatPay) Query(_ context.Context, outTradeNo string) (commerce.ProviderPayment, error) {
	f.record("query " + outTradeNo)
	f.mu.Lock()
	defer f.mu.Unlock()
	tx := f.txs[outTradeNo]
	if tx == nil {
		return commerce.ProviderPayment{}, fmt.Errorf("query %s: not found: %w", outTradeNo, commerce.ErrProvider)
	}
	return f.word(outTradeNo, tx), nil
}

func (f *fakeWeChatPay) Close(_ context.Context, outTradeNo string) error {
	f.record("close " + outTradeNo)
	f.mu.Lock()
	hook, fail := f.onClose, f.closeErr
	f.mu.Unlock()
	if hook != nil {
		hook(outTradeNo)
	}
	if fail != nil {
		return fail
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	tx := f.txs[outTradeNo]
	switch {
	case tx == nil:
		return fmt.Errorf("close %s: not found: %w", outTradeNo, commerce.ErrProvider)
	case tx.state == "SUCCESS":
		return fmt.Errorf("close %s: %w", outTradeNo, commerce.ErrAlreadyPaid)
	}
	tx.state = "CLOSED"
	return nil
}

func (f *fakeWeChatPay) Refund(_ context.Context, r commerce.RefundCall) (commerce.ProviderRefund, error) {
	f.record(fmt.Sprintf("refund %s %s %d/%d", r.OutRefundNo, r.OutTradeNo, r.Refund.Amount, r.Total.Amount))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refundErr != nil {
		return commerce.ProviderRefund{}, f.refundErr
	}
	pr, ok := f.refunds[r.OutRefundNo]
	if !ok {
		pr = commerce.ProviderRefund{OutRefundNo: r.OutRefundNo, RefundID: "5030" + r.OutRefundNo, State: "PROCESSING"}
		f.refunds[r.OutRefundNo] = pr
	}
	return pr, nil
}

func (f *fakeWeChatPay) QueryRefund(_ context.Context, outRefundNo string) (commerce.ProviderRefund, error) {
	f.record("query refund " + outRefundNo)
	f.mu.Lock()
	defer f.mu.Unlock()
	pr, ok := f.refunds[outRefundNo]
	if !ok {
		return pr, fmt.Errorf("refund %s: not found: %w", outRefundNo, commerce.ErrProvider)
	}
	return pr, nil
}

// settleRefund makes the provider say outRefundNo succeeded.
func (f *fakeWeChatPay) settleRefund(outRefundNo string) {
	f.mu.Lock()
	pr := f.refunds[outRefundNo]
	pr.State = "SUCCESS"
	f.refunds[outRefundNo] = pr
	f.mu.Unlock()
}

func testPayBegin(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	o := e.pending(2, 0)
	stock := e.stock()
	e.log.reset()
	start := e.clock.Now()
	got, a, err := e.pay.Begin(e.ctx, alice, o.ID, commerce.PayWeChat, commerce.TradeJSAPI, "oAlice")
	if err != nil || got.Status != commerce.StatusAwaitingPayment || !got.ExpiresAt.Equal(start.Add(payTTL)) {
		t.Fatalf("Begin = %+v, %v; want awaiting payment until %v", got, err, start.Add(payTTL))
	}
	if a.OutTradeNo != o.Number+"P1" || a.State != commerce.AttemptOpen || a.Method != commerce.PayWeChat ||
		a.TradeType != commerce.TradeJSAPI || a.Amount != o.Total || a.Prepay != "wx-prepay-"+a.OutTradeNo || a.Payer != "oAlice" {
		t.Fatalf("attempt %+v", a)
	}
	if cur := e.order(o.ID); cur.Status != commerce.StatusAwaitingPayment || e.stock() != stock {
		t.Fatalf("after Begin: %s, stock %d (want %d: held)", cur.Status, e.stock(), stock)
	}
	// Only the payment flow moves an order out of awaiting payment (a
	// plain cancel would release the stock before the provider's close).
	for _, to := range []commerce.OrderStatus{commerce.StatusCancelled, commerce.StatusPaid} {
		_, err := e.s.SetOrderStatus(e.ctx, o.ID, commerce.StatusAwaitingPayment, to, start)
		wantErr(t, "SetOrderStatus from awaiting payment to "+string(to), err, commerce.ErrInvalidTransition)
	}
	_, err = e.s.SetOrderStatus(e.ctx, e.pending(1, 0).ID, commerce.StatusPending, commerce.StatusAwaitingPayment, start)
	wantErr(t, "SetOrderStatus to awaiting payment", err, commerce.ErrInvalidTransition)
	stock = e.stock()
	if evs := e.log.named("payment_started"); len(evs) != 1 || evs[0].(commerce.PaymentStarted).Attempt.OutTradeNo != a.OutTradeNo ||
		evs[0].(commerce.PaymentStarted).Order.Status != commerce.StatusAwaitingPayment {
		t.Fatalf("payment_started events %v", evs)
	}
	if evs := e.log.named("order_status_changed"); len(evs) != 1 || evs[0].(commerce.OrderStatusChanged).To != commerce.StatusAwaitingPayment {
		t.Fatalf("order_status_changed events %v", evs)
	}
	// Again: the same open attempt, nothing new, no second prepay.
	e.clock.Advance(time.Minute)
	again, a2, err := e.pay.Begin(e.ctx, alice, o.ID, commerce.PayWeChat, commerce.TradeJSAPI, "oAlice")
	if err != nil || a2.ID != a.ID || a2.Prepay != a.Prepay || !again.ExpiresAt.Equal(got.ExpiresAt) {
		t.Fatalf("Begin again = %+v, %+v, %v; want attempt %d, expiry unchanged", again, a2, err, a.ID)
	}
	if n := len(e.log.named("payment_started")); n != 1 {
		t.Fatalf("%d payment_started events after a repeated Begin", n)
	}
	if calls := e.wx.callList(); len(calls) != 1 {
		t.Fatalf("provider calls %v; want one prepay", calls)
	}
	// Another trade type or method: a new attempt, numbered on; the
	// payment time never grows.
	_, n2, err := e.pay.Begin(e.ctx, alice, o.ID, commerce.PayWeChat, commerce.TradeNative, "")
	if err != nil || n2.OutTradeNo != o.Number+"P2" || n2.ID == a.ID {
		t.Fatalf("Begin native = %+v, %v", n2, err)
	}
	_, tg, err := e.pay.Begin(e.ctx, alice, o.ID, commerce.PayTelegram, commerce.TradeInvoice, "")
	if err != nil || tg.OutTradeNo != o.Number+"P3" || tg.Prepay != "" || tg.Method != commerce.PayTelegram {
		t.Fatalf("Begin telegram = %+v, %v", tg, err)
	}
	// Another WeChat user opens the forwarded pay link: a JSAPI
	// transaction is bound to its payer, so they get one of their own.
	_, friend, err := e.pay.Begin(e.ctx, alice, o.ID, commerce.PayWeChat, commerce.TradeJSAPI, "oFriend")
	if err != nil || friend.ID == a.ID || friend.OutTradeNo != o.Number+"P4" || friend.Payer != "oFriend" {
		t.Fatalf("Begin by another payer = %+v, %v", friend, err)
	}
	if _, mine, err := e.pay.Begin(e.ctx, alice, o.ID, commerce.PayWeChat, commerce.TradeJSAPI, "oAlice"); err != nil || mine.ID != a.ID {
		t.Fatalf("Begin by the first payer again = %+v, %v; want attempt %d", mine, err, a.ID)
	}
	if cur := e.order(o.ID); !cur.ExpiresAt.Equal(got.ExpiresAt) {
		t.Fatalf("expires %v; want %v (never later)", cur.ExpiresAt, got.ExpiresAt)
	}
	// The store never moves the payment time later, whatever it is asked.
	_, _, created, err := e.s.BeginPayment(e.ctx, o.ID, commerce.PayAttempt{Method: commerce.PayWeChat, TradeType: "APP",
		CreatedAt: e.clock.Now()}, got.ExpiresAt.Add(time.Hour))
	if err != nil || !created {
		t.Fatalf("BeginPayment = %v, %v", created, err)
	}
	if cur := e.order(o.ID); !cur.ExpiresAt.Equal(got.ExpiresAt) {
		t.Fatalf("expires %v after a later one was asked; want %v", cur.ExpiresAt, got.ExpiresAt)
	}
	earlier := got.ExpiresAt.Add(-5 * time.Minute)
	if cur, _, _, err := e.s.BeginPayment(e.ctx, o.ID, commerce.PayAttempt{Method: commerce.PayWeChat, TradeType: "H5",
		CreatedAt: e.clock.Now()}, earlier); err != nil || !cur.ExpiresAt.Equal(earlier) {
		t.Fatalf("BeginPayment earlier = %v, %v; want expiry %v", cur.ExpiresAt, err, earlier)
	}
	as := e.attempts(o.ID)
	if len(as) != 6 || as[0].ID != a.ID || as[5].OutTradeNo != o.Number+"P6" {
		t.Fatalf("attempts %v", as)
	}
	if byNo, err := e.s.AttemptByOutTradeNo(e.ctx, a.OutTradeNo); err != nil || byNo != as[0] {
		t.Fatalf("AttemptByOutTradeNo = %+v, %v; want %+v", byNo, err, as[0])
	}
	_, err = e.s.AttemptByOutTradeNo(e.ctx, "NOPE")
	wantErr(t, "an unknown attempt", err, commerce.ErrNotFound)
	if e.stock() != stock {
		t.Fatalf("stock %d; want %d", e.stock(), stock)
	}
}

func testPayBeginRefused(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	at := e.clock.Now()
	att := commerce.PayAttempt{Method: commerce.PayWeChat, TradeType: commerce.TradeNative, CreatedAt: at}
	c := e.confirmed(alice, e.a)
	_, _, _, err := e.s.BeginPayment(e.ctx, c.ID, att, at.Add(payTTL))
	wantErr(t, "begin a confirmed order", err, commerce.ErrInvalidTransition)
	_, _, _, err = e.s.BeginPayment(e.ctx, 1<<40, att, at.Add(payTTL))
	wantErr(t, "begin an unknown order", err, commerce.ErrNotFound)
	o, a := e.begin(e.pending(1, 0), commerce.PayWeChat)
	if res, err := e.pay.Apply(e.ctx, e.paid(a, "T1")); err != nil || res.Outcome != commerce.PayRecorded {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	_, _, _, err = e.s.BeginPayment(e.ctx, o.ID, att, at.Add(payTTL))
	wantErr(t, "begin a paid order", err, commerce.ErrAlreadyPaid)
	_, _, err = e.pay.Begin(e.ctx, alice, o.ID, commerce.PayWeChat, commerce.TradeNative, "")
	wantErr(t, "Payments.Begin of a paid order", err, commerce.ErrAlreadyPaid)
	if as := e.attempts(o.ID); len(as) != 1 {
		t.Fatalf("attempts %v after refused begins", as)
	}
	// Once the payment time ended, no new attempt: the expiry is closing
	// the order at the provider.
	x, _ := e.begin(e.pending(1, 0), commerce.PayWeChat)
	e.clock.Set(x.ExpiresAt)
	_, _, err = e.pay.Begin(e.ctx, alice, x.ID, commerce.PayWeChat, commerce.TradeNative, "")
	wantErr(t, "Payments.Begin after the payment time", err, commerce.ErrExpired)
	_, _, _, err = e.s.BeginPayment(e.ctx, x.ID, commerce.PayAttempt{Method: commerce.PayWeChat, TradeType: commerce.TradeNative,
		CreatedAt: x.ExpiresAt}, x.ExpiresAt.Add(payTTL))
	wantErr(t, "BeginPayment after the payment time", err, commerce.ErrExpired)
	y := e.pending(1, 0)
	_, _, _, err = e.s.BeginPayment(e.ctx, y.ID, commerce.PayAttempt{Method: commerce.PayWeChat, TradeType: commerce.TradeNative,
		CreatedAt: y.ExpiresAt}, y.ExpiresAt.Add(payTTL))
	wantErr(t, "BeginPayment after the reservation", err, commerce.ErrExpired)
	if len(e.attempts(x.ID)) != 1 || len(e.attempts(y.ID)) != 0 || e.order(y.ID).Status != commerce.StatusPending {
		t.Fatalf("expired begins changed something: %v, %v", e.attempts(x.ID), e.order(y.ID))
	}
	at = e.clock.Now()
	// A failing event rolls the whole begin back.
	p := e.pending(1, 0)
	e.log.failOn("payment_started")
	_, _, _, err = e.s.BeginPayment(e.ctx, p.ID, att, at.Add(payTTL))
	if err == nil {
		t.Fatal("BeginPayment succeeded though its event failed")
	}
	e.log.failOn("")
	if cur := e.order(p.ID); cur.Status != commerce.StatusPending || len(e.attempts(p.ID)) != 0 {
		t.Fatalf("after a failed event: %s, attempts %v", cur.Status, e.attempts(p.ID))
	}
	// Another buyer's order is not found.
	_, _, err = e.pay.Begin(e.ctx, mallory, p.ID, commerce.PayWeChat, commerce.TradeNative, "")
	wantErr(t, "begin another buyer's order", err, commerce.ErrNotFound)
}

func testPayApply(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	o, a := e.begin(e.pending(2, 1), commerce.PayWeChat)
	stock, stock2 := e.stock(), e.stock2()
	e.log.reset()
	e.clock.Advance(time.Minute)
	word := e.paid(a, "4200000001")
	res, err := e.pay.Apply(e.ctx, word)
	if err != nil || res.Outcome != commerce.PayRecorded || res.Refund != nil {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	if res.Order.Status != commerce.StatusPaid || res.Order.Paid.Method != commerce.PayWeChat || res.Order.Paid.Amount != o.Total ||
		res.Order.Paid.By != "provider" || !res.Order.Paid.At.Equal(word.At) {
		t.Fatalf("paid order %+v", res.Order)
	}
	if res.Attempt.State != commerce.AttemptPaid || res.Attempt.TransactionID != word.TransactionID || res.Attempt.Paid != o.Total {
		t.Fatalf("paid attempt %+v", res.Attempt)
	}
	if cur := e.order(o.ID); cur.Status != commerce.StatusPaid || !cur.Paid.IsPaid() || e.stock() != stock || e.stock2() != stock2 {
		t.Fatalf("after payment: %+v, stock %d %d (want %d %d: still taken)", cur, e.stock(), e.stock2(), stock, stock2)
	}
	paid := e.log.named("order_paid")
	if len(paid) != 1 || paid[0].(commerce.OrderPaid).Order.Status != commerce.StatusPaid || paid[0].(commerce.OrderPaid).Attempt.ID != a.ID {
		t.Fatalf("order_paid events %v", paid)
	}
	// The same transaction again (a repeated notification, a query): nothing changes.
	before := len(e.log.all())
	for _, w := range []commerce.ProviderPayment{word, {Method: commerce.PayWeChat, OutTradeNo: a.OutTradeNo,
		TransactionID: word.TransactionID, State: "SUCCESS", Amount: commerce.CNY(1)}} {
		dup, err := e.pay.Apply(e.ctx, w)
		if err != nil || dup.Outcome != commerce.PayDuplicate || dup.Attempt.ID != a.ID || dup.Order.Status != commerce.StatusPaid {
			t.Fatalf("Apply again = %+v, %v", dup, err)
		}
	}
	if n := len(e.log.all()); n != before {
		t.Fatalf("%d events after duplicates; want %d", n, before)
	}
	if as := e.attempts(o.ID); len(as) != 1 || as[0].State != commerce.AttemptPaid || len(e.refunds(o.ID)) != 0 {
		t.Fatalf("after duplicates: attempts %v, refunds %v", as, e.refunds(o.ID))
	}
	// What the provider says without money changes nothing.
	if res, err := e.pay.Apply(e.ctx, commerce.ProviderPayment{Method: commerce.PayWeChat, OutTradeNo: a.OutTradeNo, State: "NOTPAY"}); err != nil ||
		res.Outcome != commerce.PayNotPaid {
		t.Fatalf("Apply NOTPAY = %+v, %v", res, err)
	}
	_, err = e.pay.Apply(e.ctx, commerce.ProviderPayment{Method: commerce.PayWeChat, OutTradeNo: "NOPE", TransactionID: "X", State: "SUCCESS",
		Amount: o.Total})
	wantErr(t, "an unknown out_trade_no", err, commerce.ErrNotFound)
	_, err = e.s.ApplyPayment(e.ctx, commerce.ProviderPayment{Method: commerce.PayWeChat, OutTradeNo: a.OutTradeNo, State: "SUCCESS"}, e.clock.Now())
	wantErr(t, "no transaction id", err, commerce.ErrInvalid)
	// A paid order cannot be closed as unpaid.
	_, err = e.s.CloseUnpaid(e.ctx, o.ID, "", "", e.clock.Now())
	wantErr(t, "close a paid order", err, commerce.ErrAlreadyPaid)
	_, err = e.s.CloseUnpaid(e.ctx, e.confirmed(alice, e.a).ID, "", "", e.clock.Now())
	wantErr(t, "close a confirmed order", err, commerce.ErrInvalidTransition)
	_, err = e.s.CloseUnpaid(e.ctx, 1<<40, "", "", e.clock.Now())
	wantErr(t, "close an unknown order", err, commerce.ErrNotFound)
	// An event that fails rolls the payment back.
	p, pa := e.begin(e.pending(1, 0), commerce.PayWeChat)
	e.log.failOn("order_paid")
	if _, err := e.s.ApplyPayment(e.ctx, e.paid(pa, "4200000002"), e.clock.Now()); err == nil {
		t.Fatal("ApplyPayment succeeded though its event failed")
	}
	e.log.failOn("")
	if cur := e.order(p.ID); cur.Status != commerce.StatusAwaitingPayment || cur.Paid.IsPaid() || e.attempts(p.ID)[0].State != commerce.AttemptOpen {
		t.Fatalf("after a failed event: %+v, %v", cur, e.attempts(p.ID))
	}
	if res, err := e.s.ApplyPayment(e.ctx, e.paid(pa, "4200000002"), e.clock.Now()); err != nil || res.Outcome != commerce.PayRecorded {
		t.Fatalf("ApplyPayment after the queue came back = %+v, %v", res, err)
	}
}

func testPayMismatch(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	o, a := e.begin(e.pending(1, 0), commerce.PayWeChat)
	stock := e.stock()
	e.log.reset()
	for i, amount := range []commerce.Money{commerce.CNY(o.Total.Amount - 1), {Amount: o.Total.Amount, Currency: "USD"}} {
		word := e.paid(a, fmt.Sprintf("4200%d", i))
		word.Amount = amount
		res, err := e.pay.Apply(e.ctx, word)
		if err != nil || res.Outcome != commerce.PayMismatch || res.Attempt.State != commerce.AttemptMismatch ||
			res.Attempt.Paid != amount || res.Attempt.TransactionID != word.TransactionID || res.Refund != nil {
			t.Fatalf("Apply %v = %+v, %v", amount, res, err)
		}
		if cur := e.order(o.ID); cur.Status != commerce.StatusAwaitingPayment || cur.Paid.IsPaid() || e.stock() != stock {
			t.Fatalf("after a mismatch: %+v, stock %d", cur, e.stock())
		}
		if again, err := e.pay.Apply(e.ctx, word); err != nil || again.Outcome != commerce.PayDuplicate {
			t.Fatalf("mismatch again = %+v, %v", again, err)
		}
	}
	if evs := e.log.named("payment_mismatched"); len(evs) != 2 || len(e.log.named("order_paid")) != 0 {
		t.Fatalf("events %v", e.log.all())
	}
	// The first mismatch keeps its attempt; the second money got an attempt of its own.
	as := e.attempts(o.ID)
	if len(as) != 2 || as[0].Paid.Amount != o.Total.Amount-1 || as[1].Paid.Currency != "USD" {
		t.Fatalf("attempts %v", as)
	}
	// The order closes (the buyer cancels): the payment of the wrong amount
	// goes back whole, once; the one in another currency stays with the
	// sellers' alert (a refund is in the order's currency).
	if len(e.refunds(o.ID)) != 0 {
		t.Fatalf("refunds before the close: %v", e.refunds(o.ID))
	}
	e.log.reset()
	if c, err := e.pay.Cancel(e.ctx, alice, o.ID); err != nil || c.Status != commerce.StatusCancelled || e.stock() != stock+1 {
		t.Fatalf("Cancel = %+v, %v, stock %d", c, err, e.stock())
	}
	rs := e.refunds(o.ID)
	if len(rs) != 1 || rs[0].AttemptID != as[0].ID || rs[0].Amount != as[0].Paid || rs[0].State != commerce.RefundRequested ||
		rs[0].Key != "mismatch:"+as[0].OutTradeNo || len(e.log.named("refund_created")) != 1 {
		t.Fatalf("refunds after the close %+v, events %v", rs, e.log.all())
	}
	if _, err := e.pay.Cancel(e.ctx, alice, o.ID); err != nil || len(e.refunds(o.ID)) != 1 {
		t.Fatalf("Cancel again: %v, refunds %v", err, e.refunds(o.ID))
	}
}

func testPayLate(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	stock := e.stock()
	// WeChat: the provider closed it, yet its word of a payment arrives
	// (a payment the close raced): recorded, refunded automatically.
	o, a := e.begin(e.pending(1, 0), commerce.PayWeChat)
	e.clock.Advance(payTTL)
	if ok, err := e.pay.Expire(e.ctx, o.ID); err != nil || !ok {
		t.Fatalf("Expire = %v, %v", ok, err)
	}
	if cur := e.order(o.ID); cur.Status != commerce.StatusCancelled || e.stock() != stock {
		t.Fatalf("expired: %s, stock %d; want cancelled, %d", cur.Status, e.stock(), stock)
	}
	e.log.reset()
	res, err := e.pay.Apply(e.ctx, e.paid(a, "4200000009"))
	if err != nil || res.Outcome != commerce.PayLate || res.Attempt.State != commerce.AttemptLate || res.Refund == nil {
		t.Fatalf("late Apply = %+v, %v", res, err)
	}
	r := *res.Refund
	if r.AttemptID != a.ID || r.Method != commerce.PayWeChat || r.Amount != a.Amount || r.Key != "late:"+a.OutTradeNo ||
		r.By != "system" || r.OutRefundNo != o.Number+"R1" || r.State != commerce.RefundProcessing || r.ProviderID == "" {
		t.Fatalf("late refund %+v; want sent (processing)", r)
	}
	if calls := e.wx.callList(); calls[len(calls)-1] != fmt.Sprintf("refund %s %s %d/%d", r.OutRefundNo, a.OutTradeNo, a.Amount.Amount, a.Amount.Amount) {
		t.Fatalf("provider calls %v", calls)
	}
	created := e.log.named("refund_created")
	if len(created) != 1 || !created[0].(commerce.RefundCreated).Late || created[0].(commerce.RefundCreated).Refund.State != commerce.RefundRequested {
		t.Fatalf("refund_created %v", created)
	}
	if cur := e.order(o.ID); cur.Status != commerce.StatusCancelled || cur.Paid.IsPaid() || e.stock() != stock {
		t.Fatalf("after the late payment: %+v, stock %d", cur, e.stock())
	}
	if again, err := e.pay.Apply(e.ctx, e.paid(a, "4200000009")); err != nil || again.Outcome != commerce.PayDuplicate || len(e.refunds(o.ID)) != 1 {
		t.Fatalf("late again = %+v, %v, refunds %v", again, err, e.refunds(o.ID))
	}
	// Telegram invoices cannot be closed: a payment after the expiry is
	// refunded by the seller at the provider.
	tgo, ta := e.begin(e.pending(1, 0), commerce.PayTelegram)
	e.clock.Advance(payTTL)
	if ok, err := e.pay.Expire(e.ctx, tgo.ID); err != nil || !ok {
		t.Fatalf("Expire telegram = %v, %v", ok, err)
	}
	word := e.paid(ta, "tg-charge-1")
	word.ProviderRef = "prov-1"
	res, err = e.pay.Apply(e.ctx, word)
	if err != nil || res.Outcome != commerce.PayLate || res.Refund == nil || res.Refund.State != commerce.RefundManual ||
		res.Refund.Method != commerce.PayTelegram || res.Attempt.ProviderRef != "prov-1" {
		t.Fatalf("late telegram = %+v, %v", res, err)
	}
	// The paid order's other attempt, paid too: late, refunded.
	p, pa := e.begin(e.pending(1, 0), commerce.PayWeChat)
	_, pt := e.begin(p, commerce.PayTelegram)
	if res, err := e.pay.Apply(e.ctx, e.paid(pt, "tg-charge-2")); err != nil || res.Outcome != commerce.PayRecorded {
		t.Fatalf("Apply telegram = %+v, %v", res, err)
	}
	res, err = e.pay.Apply(e.ctx, e.paid(pa, "4200000010"))
	if err != nil || res.Outcome != commerce.PayLate || res.Refund == nil || res.Refund.AttemptID != pa.ID || res.Order.Paid.Method != commerce.PayTelegram {
		t.Fatalf("second payment = %+v, %v", res, err)
	}
	if cur := e.order(p.ID); cur.Status != commerce.StatusPaid || cur.Paid.Method != commerce.PayTelegram {
		t.Fatalf("order after a second payment: %+v", cur)
	}
	// A late payment's refund is not part of the order's refundable amount.
	if left, err := e.pay.Refundable(e.ctx, e.order(p.ID)); err != nil || left != p.Total.Amount {
		t.Fatalf("Refundable = %d, %v; want %d", left, err, p.Total.Amount)
	}
}

func testPayTwice(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	o, a := e.begin(e.pending(1, 0), commerce.PayTelegram)
	if res, err := e.pay.Apply(e.ctx, e.paid(a, "tg-1")); err != nil || res.Outcome != commerce.PayRecorded {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	res, err := e.pay.Apply(e.ctx, e.paid(a, "tg-2"))
	if err != nil || res.Outcome != commerce.PayLate || res.Attempt.ID == a.ID || res.Attempt.OutTradeNo != o.Number+"P2" ||
		res.Attempt.TransactionID != "tg-2" || res.Refund == nil || res.Refund.State != commerce.RefundManual || res.Refund.AttemptID != res.Attempt.ID {
		t.Fatalf("paid twice = %+v, %v", res, err)
	}
	for _, tx := range []string{"tg-1", "tg-2"} {
		if dup, err := e.pay.Apply(e.ctx, e.paid(a, tx)); err != nil || dup.Outcome != commerce.PayDuplicate {
			t.Fatalf("Apply %s again = %+v, %v", tx, dup, err)
		}
	}
	if as, rs := e.attempts(o.ID), e.refunds(o.ID); len(as) != 2 || len(rs) != 1 || as[0].TransactionID != "tg-1" {
		t.Fatalf("attempts %v, refunds %v", as, rs)
	}
}

func testPayExpireClosesFirst(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	stock := e.stock()
	o, a := e.begin(e.pending(3, 0), commerce.PayWeChat)
	_, n := e.begin(o, commerce.PayTelegram)
	// Not due yet: left alone, the provider not asked.
	if ok, err := e.pay.Expire(e.ctx, o.ID); err != nil || ok {
		t.Fatalf("Expire before due = %v, %v", ok, err)
	}
	e.clock.Advance(payTTL)
	// The provider cannot be reached: nothing is released.
	e.wx.closeErr = fmt.Errorf("timeout: %w", commerce.ErrProvider)
	ok, err := e.pay.Expire(e.ctx, o.ID)
	wantErr(t, "expire while the provider is down", err, commerce.ErrProvider)
	if cur := e.order(o.ID); ok || cur.Status != commerce.StatusAwaitingPayment || e.stock() != stock-3 {
		t.Fatalf("after a failed close: %v, %s, stock %d; want awaiting payment, %d", ok, cur.Status, e.stock(), stock-3)
	}
	e.wx.closeErr = nil
	// The close at the provider sees the stock still held.
	var seen []string
	e.wx.onClose = func(no string) {
		seen = append(seen, fmt.Sprintf("%s %s %d", no, e.order(o.ID).Status, e.stock()))
	}
	e.log.reset()
	if ok, err := e.pay.Expire(e.ctx, o.ID); err != nil || !ok {
		t.Fatalf("Expire = %v, %v", ok, err)
	}
	if want := fmt.Sprintf("%s awaiting_payment %d", a.OutTradeNo, stock-3); len(seen) != 1 || seen[0] != want {
		t.Fatalf("closes saw %q; want %q", seen, want)
	}
	cur := e.order(o.ID)
	if cur.Status != commerce.StatusCancelled || cur.CancelledBy != "" || e.stock() != stock {
		t.Fatalf("after Expire: %+v, stock %d", cur, e.stock())
	}
	for _, at := range e.attempts(o.ID) {
		if at.State != commerce.AttemptClosed {
			t.Fatalf("attempt %v after the close", at)
		}
	}
	if evs := e.log.all(); len(evs) < 1 || len(e.log.named("seller_cancelled_order")) != 0 ||
		evs[0].(commerce.OrderStatusChanged).To != commerce.StatusCancelled {
		t.Fatalf("events %v", evs)
	}
	if ok, err := e.pay.Expire(e.ctx, o.ID); err != nil || ok || e.stock() != stock {
		t.Fatalf("Expire again = %v, %v, stock %d", ok, err, e.stock())
	}
	_, err = e.s.CloseUnpaid(e.ctx, o.ID, "", "", e.clock.Now())
	wantErr(t, "close a cancelled order", err, commerce.ErrInvalidTransition)
	_ = n
	// Paid at the provider in the last moment: the close says so, and the
	// order ends paid, its stock held.
	p, pa := e.begin(e.pending(1, 0), commerce.PayWeChat)
	if _, ok := e.wx.Pay(pa.OutTradeNo); !ok {
		t.Fatal("the provider refused a payment")
	}
	e.clock.Advance(payTTL)
	if ok, err := e.pay.Expire(e.ctx, p.ID); err != nil || ok {
		t.Fatalf("Expire of an order paid at the provider = %v, %v", ok, err)
	}
	if cur := e.order(p.ID); cur.Status != commerce.StatusPaid || e.stock() != stock-1 {
		t.Fatalf("order paid at the last moment: %s, stock %d", cur.Status, e.stock())
	}
	// Paid at the provider, but not the order's amount: the seller is
	// alerted, and the order closes unpaid (no other payment can come).
	m, ma := e.begin(e.pending(1, 0), commerce.PayWeChat)
	if !e.wx.PayWrong(ma.OutTradeNo, commerce.CNY(1)) {
		t.Fatal("the provider refused a payment")
	}
	e.clock.Advance(payTTL)
	e.log.reset()
	if ok, err := e.pay.Expire(e.ctx, m.ID); err != nil || !ok {
		t.Fatalf("Expire of an order paid a wrong amount = %v, %v", ok, err)
	}
	if cur, as := e.order(m.ID), e.attempts(m.ID); cur.Status != commerce.StatusCancelled || as[0].State != commerce.AttemptMismatch ||
		len(e.log.named("payment_mismatched")) != 1 || e.stock() != stock-1 {
		t.Fatalf("after a mismatch at the close: %s, %v, events %v, stock %d", cur.Status, as, e.log.all(), e.stock())
	}
	// The buyer cancels an order awaiting payment the same way.
	q, qa := e.begin(e.pending(1, 0), commerce.PayWeChat)
	if c, err := e.pay.Cancel(e.ctx, alice, q.ID); err != nil || c.Status != commerce.StatusCancelled {
		t.Fatalf("Cancel = %+v, %v", c, err)
	}
	if calls := e.wx.callList(); calls[len(calls)-1] != "close "+qa.OutTradeNo {
		t.Fatalf("calls %v; want the close of %s last", calls, qa.OutTradeNo)
	}
	if c, err := e.pay.Cancel(e.ctx, alice, q.ID); err != nil || c.Status != commerce.StatusCancelled || e.stock() != stock-1 {
		t.Fatalf("Cancel again = %+v, %v, stock %d", c, err, e.stock())
	}
}

func testPaySellerCancel(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	shop := commerce.NewShop(commerce.ShopOptions{Store: e.s, Clock: e.clock})
	stock := e.stock()
	o, _ := e.begin(e.pending(1, 0), commerce.PayWeChat)
	e.log.reset()
	c, changed, err := e.pay.SellerCancel(e.ctx, shop, o.Number, cancelReason, "tg:9")
	if err != nil || !changed || c.Status != commerce.StatusCancelled || c.CancelReason != cancelReason || c.CancelledBy != "tg:9" {
		t.Fatalf("SellerCancel = %+v, %v, %v", c, changed, err)
	}
	evs := e.log.all()
	if len(evs) != 2 || evs[0].EventName() != "order_status_changed" || evs[1].EventName() != "seller_cancelled_order" ||
		evs[1].(commerce.SellerCancelledOrder).Order.CancelReason != cancelReason {
		t.Fatalf("events %v", evs)
	}
	if e.stock() != stock {
		t.Fatalf("stock %d; want %d", e.stock(), stock)
	}
	// A paid order: cancelled, stock back, the whole payment refunded.
	p, pa := e.begin(e.pending(2, 0), commerce.PayWeChat)
	if _, err := e.pay.Apply(e.ctx, e.paid(pa, "4200000001")); err != nil {
		t.Fatal(err)
	}
	c, changed, err = e.pay.SellerCancel(e.ctx, shop, p.Number, cancelReason, "tg:9")
	if err != nil || !changed || c.Status != commerce.StatusCancelled || e.stock() != stock {
		t.Fatalf("SellerCancel paid = %+v, %v, %v, stock %d", c, changed, err, e.stock())
	}
	if rs := e.refunds(p.ID); len(rs) != 1 || rs[0].Amount != p.Total || rs[0].AttemptID != 0 || rs[0].Key != "cancel:"+p.Number ||
		rs[0].State != commerce.RefundProcessing {
		t.Fatalf("refunds %v", rs)
	}
	// Cancelling it again refunds nothing more.
	if _, changed, err := e.pay.SellerCancel(e.ctx, shop, p.Number, cancelReason, "tg:9"); err != nil || changed || len(e.refunds(p.ID)) != 1 {
		t.Fatalf("SellerCancel again = %v, %v, refunds %v", changed, err, e.refunds(p.ID))
	}
	// A confirmed order paid before pickup (a transfer recorded): its
	// payment is refunded by hand.
	q := e.pickupEnv.pay(e.confirmed(alice, e.a))
	c, changed, err = e.pay.SellerCancel(e.ctx, shop, q.Number, cancelReason, "tg:9")
	if err != nil || !changed || c.Status != commerce.StatusCancelled {
		t.Fatalf("SellerCancel confirmed and paid = %+v, %v, %v", c, changed, err)
	}
	if rs := e.refunds(q.ID); len(rs) != 1 || rs[0].Amount != q.Total || rs[0].State != commerce.RefundManual || rs[0].Method != commerce.PayCash {
		t.Fatalf("refunds of a confirmed, paid order %v", rs)
	}
	// An unpaid one just cancels.
	u := e.confirmed(alice, e.a)
	if c, changed, err := e.pay.SellerCancel(e.ctx, shop, u.Number, cancelReason, "tg:9"); err != nil || !changed ||
		c.Status != commerce.StatusCancelled || len(e.refunds(u.ID)) != 0 {
		t.Fatalf("SellerCancel unpaid = %+v, %v, %v, refunds %v", c, changed, err, e.refunds(u.ID))
	}
	if e.stock() != stock {
		t.Fatalf("stock %d after the cancellations; want %d", e.stock(), stock)
	}
}

func testPayDueStale(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	t0 := e.clock.Now()
	o1, a1 := e.begin(e.pending(1, 0), commerce.PayWeChat)
	e.clock.Advance(5 * time.Minute)
	o2, a2 := e.begin(e.pending(1, 0), commerce.PayTelegram)
	e.begin(e.pending(1, 0), commerce.PayWeChat)
	e.pending(1, 0) // pending: not due here
	due := func(at time.Time) []int64 {
		ids, err := e.s.DuePayments(e.ctx, at, 10)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if ids := due(t0.Add(payTTL - time.Second)); len(ids) != 0 {
		t.Fatalf("due before any payment time ended: %v", ids)
	}
	if ids := due(t0.Add(payTTL)); len(ids) != 1 || ids[0] != o1.ID {
		t.Fatalf("due at the first end: %v; want [%d]", ids, o1.ID)
	}
	if ids := due(t0.Add(payTTL + 5*time.Minute)); len(ids) != 3 || ids[0] != o1.ID || ids[1] != o2.ID {
		t.Fatalf("due later: %v", ids)
	}
	if ids, err := e.s.DuePayments(e.ctx, t0.Add(time.Hour), 1); err != nil || len(ids) != 1 {
		t.Fatalf("due with limit 1: %v, %v", ids, err)
	}
	stale, err := e.s.StaleAttempts(e.ctx, t0.Add(time.Minute), 10)
	if err != nil || len(stale) != 1 || stale[0].ID != a1.ID {
		t.Fatalf("StaleAttempts = %v, %v; want %s", stale, err, a1)
	}
	if _, err := e.pay.Apply(e.ctx, e.paid(a2, "tg-1")); err != nil {
		t.Fatal(err)
	}
	e.begin(e.pending(1, 0), commerce.PayTelegram) // an open invoice: not queried
	stale, err = e.s.StaleAttempts(e.ctx, t0.Add(time.Hour), 10)
	if err != nil || len(stale) != 2 || stale[0].ID != a1.ID || stale[1].Method != commerce.PayWeChat {
		t.Fatalf("StaleAttempts later = %v, %v; want the two open WeChat Pay ones, %s first", stale, err, a1)
	}
	if ids := due(t0.Add(time.Hour)); len(ids) != 3 {
		t.Fatalf("due after one was paid: %v; want three", ids)
	}
	// ExpireDue cancels the due ones (closing WeChat at the provider first).
	e.clock.Set(t0.Add(time.Hour))
	if n, err := e.pay.ExpireDue(e.ctx); err != nil || n != 3 {
		t.Fatalf("ExpireDue = %d, %v", n, err)
	}
	if ids := due(t0.Add(time.Hour)); len(ids) != 0 {
		t.Fatalf("due after ExpireDue: %v", ids)
	}
	// Reconcile asks about open attempts: none are left open.
	if n, err := e.pay.Reconcile(e.ctx); err != nil || n != 0 {
		t.Fatalf("Reconcile = %d, %v", n, err)
	}
}

func testPayRefunds(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	// 3 × 599.00 + 2 × 15.00, paid by Telegram: refunds are manual.
	o, a := e.begin(e.pending(3, 2), commerce.PayTelegram)
	if res, err := e.pay.Apply(e.ctx, e.paid(a, "tg-1")); err != nil || res.Outcome != commerce.PayRecorded {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	e.log.reset()
	in := commerce.RefundInput{Number: o.Number, Lines: []commerce.RefundLine{{LineNo: 1, Qty: 2}}, Reason: "broken", By: "tg:9", Key: "k1"}
	r1, created, err := e.pay.Refund(e.ctx, in)
	if err != nil || !created || r1.Amount != commerce.CNY(2*59900) || r1.State != commerce.RefundManual || r1.OutRefundNo != o.Number+"R1" ||
		len(r1.Lines) != 1 || r1.Lines[0] != in.Lines[0] || r1.Method != commerce.PayTelegram || r1.By != "tg:9" || r1.Reason != "broken" {
		t.Fatalf("Refund = %+v, %v, %v", r1, created, err)
	}
	if evs := e.log.named("refund_created"); len(evs) != 1 || evs[0].(commerce.RefundCreated).Late || evs[0].(commerce.RefundCreated).Refund.ID != r1.ID {
		t.Fatalf("refund_created %v", evs)
	}
	// The same key: the same refund, nothing new.
	again, created, err := e.pay.Refund(e.ctx, in)
	if err != nil || created || again.ID != r1.ID || len(e.log.named("refund_created")) != 1 {
		t.Fatalf("Refund again = %+v, %v, %v", again, created, err)
	}
	// Line 1 has one unit left to refund.
	_, _, err = e.pay.Refund(e.ctx, commerce.RefundInput{Number: o.Number, Lines: []commerce.RefundLine{{LineNo: 1, Qty: 2}}, By: "cli", Key: "k2"})
	wantErr(t, "refund line 1 past its quantity", err, commerce.ErrRefundTooMuch)
	_, _, err = e.s.CreateRefund(e.ctx, commerce.Refund{OrderID: o.ID, Method: commerce.PayTelegram, Amount: commerce.CNY(1), State: commerce.RefundManual,
		Lines: []commerce.RefundLine{{LineNo: 3, Qty: 1}}, Key: "k3", By: "cli"})
	wantErr(t, "refund a line the order lacks", err, commerce.ErrInvalid)
	r2, created, err := e.pay.Refund(e.ctx, commerce.RefundInput{Number: o.Number, Lines: []commerce.RefundLine{{LineNo: 1, Qty: 1}, {LineNo: 2, Qty: 1}},
		By: "cli", Key: "k4"})
	if err != nil || !created || r2.Amount != commerce.CNY(59900+1500) || r2.OutRefundNo != o.Number+"R2" {
		t.Fatalf("Refund lines 1 and 2 = %+v, %v, %v", r2, created, err)
	}
	// The rest: one unit of line 2.
	rest, created, err := e.pay.Refund(e.ctx, commerce.RefundInput{Number: o.Number, By: "cli", Key: "k5"})
	if err != nil || !created || rest.Amount != commerce.CNY(1500) || len(rest.Lines) != 0 {
		t.Fatalf("Refund the rest = %+v, %v, %v", rest, created, err)
	}
	_, _, err = e.pay.Refund(e.ctx, commerce.RefundInput{Number: o.Number, By: "cli", Key: "k6"})
	wantErr(t, "refund after everything was", err, commerce.ErrRefundTooMuch)
	_, _, err = e.s.CreateRefund(e.ctx, commerce.Refund{OrderID: o.ID, Method: commerce.PayTelegram, Amount: commerce.CNY(1), State: commerce.RefundManual,
		Key: "k7", By: "cli"})
	wantErr(t, "refund a fen more", err, commerce.ErrRefundTooMuch)
	// A failed refund gives its amount back to refund.
	if _, changed, err := e.s.SetRefundState(e.ctx, rest.OutRefundNo, commerce.RefundFailed, "", e.clock.Now()); err != nil || !changed {
		t.Fatalf("fail the rest = %v, %v", changed, err)
	}
	if left, err := e.pay.Refundable(e.ctx, e.order(o.ID)); err != nil || left != 1500 {
		t.Fatalf("Refundable = %d, %v; want 1500", left, err)
	}
	if r, created, err := e.s.CreateRefund(e.ctx, commerce.Refund{OrderID: o.ID, Method: commerce.PayTelegram, Amount: commerce.CNY(1500),
		State: commerce.RefundManual, Key: "k8", By: "cli"}); err != nil || !created || r.OutRefundNo != o.Number+"R4" {
		t.Fatalf("CreateRefund after the failure = %+v, %v, %v", r, created, err)
	}
	if rs := e.refunds(o.ID); len(rs) != 4 || rs[0].ID != r1.ID || rs[3].Key != "k8" {
		t.Fatalf("refunds %v", rs)
	}
	if got, err := e.s.RefundByNo(e.ctx, r2.OutRefundNo); err != nil || got.ID != r2.ID || len(got.Lines) != 2 || got.Amount != r2.Amount {
		t.Fatalf("RefundByNo = %+v, %v", got, err)
	}
	_, err = e.s.RefundByNo(e.ctx, "NOPE")
	wantErr(t, "an unknown refund", err, commerce.ErrNotFound)
	// An unpaid order has nothing to refund.
	u := e.pending(1, 0)
	_, _, err = e.s.CreateRefund(e.ctx, commerce.Refund{OrderID: u.ID, Method: commerce.PayWeChat, Amount: commerce.CNY(1), State: commerce.RefundRequested,
		Key: "u1", By: "cli"})
	wantErr(t, "refund an unpaid order", err, commerce.ErrInvalid)
	_, _, err = e.s.CreateRefund(e.ctx, commerce.Refund{OrderID: 1 << 40, Amount: commerce.CNY(1), State: commerce.RefundManual, Key: "u2", By: "cli"})
	wantErr(t, "refund an unknown order", err, commerce.ErrNotFound)
}

func testPayRefundStates(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	t0 := e.clock.Now()
	o, a := e.begin(e.pending(1, 0), commerce.PayWeChat)
	if _, err := e.pay.Apply(e.ctx, e.paid(a, "4200000001")); err != nil {
		t.Fatal(err)
	}
	r, created, err := e.s.CreateRefund(e.ctx, commerce.Refund{OrderID: o.ID, Method: commerce.PayWeChat, Amount: commerce.CNY(100),
		State: commerce.RefundRequested, Key: "s1", By: "cli", CreatedAt: t0, UpdatedAt: t0})
	if err != nil || !created {
		t.Fatalf("CreateRefund = %v, %v", created, err)
	}
	open1, err := e.s.OpenRefunds(e.ctx, t0.Add(time.Minute), 10)
	if err != nil || len(open1) != 1 || open1[0].ID != r.ID {
		t.Fatalf("OpenRefunds = %v, %v", open1, err)
	}
	if none, err := e.s.OpenRefunds(e.ctx, t0, 10); err != nil || len(none) != 0 {
		t.Fatalf("OpenRefunds before it = %v, %v", none, err)
	}
	e.log.reset()
	t1 := t0.Add(2 * time.Minute)
	got, changed, err := e.s.SetRefundState(e.ctx, r.OutRefundNo, commerce.RefundProcessing, "5030001", t1)
	if err != nil || !changed || got.State != commerce.RefundProcessing || got.ProviderID != "5030001" || !got.UpdatedAt.Equal(t1) || !got.DoneAt.IsZero() {
		t.Fatalf("processing = %+v, %v, %v", got, changed, err)
	}
	if _, changed, err := e.s.SetRefundState(e.ctx, r.OutRefundNo, commerce.RefundProcessing, "", t1); err != nil || changed {
		t.Fatalf("processing again = %v, %v; want unchanged", changed, err)
	}
	if rs, _ := e.s.OpenRefunds(e.ctx, t1, 10); len(rs) != 0 {
		t.Fatalf("OpenRefunds lists a refund updated just now: %v", rs)
	}
	if rs, _ := e.s.OpenRefunds(e.ctx, t1.Add(time.Second), 10); len(rs) != 1 {
		t.Fatalf("OpenRefunds misses a processing refund: %v", rs)
	}
	if len(e.log.named("refund_settled")) != 0 {
		t.Fatalf("refund_settled before settling: %v", e.log.all())
	}
	t2 := t1.Add(time.Minute)
	got, changed, err = e.s.SetRefundState(e.ctx, r.OutRefundNo, commerce.RefundSucceeded, "", t2)
	if err != nil || !changed || got.State != commerce.RefundSucceeded || got.ProviderID != "5030001" || !got.DoneAt.Equal(t2) {
		t.Fatalf("succeeded = %+v, %v, %v", got, changed, err)
	}
	for _, st := range []commerce.RefundState{commerce.RefundSucceeded, commerce.RefundFailed, commerce.RefundProcessing} {
		if again, changed, err := e.s.SetRefundState(e.ctx, r.OutRefundNo, st, "x", t2.Add(time.Hour)); err != nil || changed ||
			again.State != commerce.RefundSucceeded || again.ProviderID != "5030001" {
			t.Fatalf("%s after succeeded = %+v, %v, %v", st, again, changed, err)
		}
	}
	if evs := e.log.named("refund_settled"); len(evs) != 1 || evs[0].(commerce.RefundSettled).Refund.State != commerce.RefundSucceeded ||
		evs[0].(commerce.RefundSettled).Order.ID != o.ID {
		t.Fatalf("refund_settled %v", evs)
	}
	if rs, _ := e.s.OpenRefunds(e.ctx, t2.Add(time.Hour), 10); len(rs) != 0 {
		t.Fatalf("OpenRefunds lists a settled refund: %v", rs)
	}
	_, _, err = e.s.SetRefundState(e.ctx, "NOPE", commerce.RefundSucceeded, "", t2)
	wantErr(t, "an unknown refund", err, commerce.ErrNotFound)
	// Through Payments: the provider's word, and a manual refund marked done.
	r2, _, err := e.pay.Refund(e.ctx, commerce.RefundInput{Number: o.Number, Amount: commerce.CNY(200), By: "cli", Key: "s2"})
	if err != nil || r2.State != commerce.RefundProcessing {
		t.Fatalf("Refund = %+v, %v; want sent", r2, err)
	}
	e.wx.settleRefund(r2.OutRefundNo)
	e.clock.Advance(time.Hour)
	if n, err := e.pay.Reconcile(e.ctx); err != nil || n != 1 {
		t.Fatalf("Reconcile = %d, %v; want the refund settled", n, err)
	}
	if got, _ := e.s.RefundByNo(e.ctx, r2.OutRefundNo); got.State != commerce.RefundSucceeded {
		t.Fatalf("refund after Reconcile: %+v", got)
	}
	if _, changed, err := e.pay.ApplyRefund(e.ctx, commerce.ProviderRefund{OutRefundNo: r2.OutRefundNo, State: "SUCCESS"}); err != nil || changed {
		t.Fatalf("a repeated notification = %v, %v", changed, err)
	}
	m, _, err := e.s.CreateRefund(e.ctx, commerce.Refund{OrderID: o.ID, Method: commerce.PayCash, Amount: commerce.CNY(300),
		State: commerce.RefundManual, Key: "s3", By: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if got, changed, err := e.pay.MarkRefunded(e.ctx, m.OutRefundNo); err != nil || !changed || got.State != commerce.RefundSucceeded {
		t.Fatalf("MarkRefunded = %+v, %v, %v", got, changed, err)
	}
	if _, changed, err := e.pay.MarkRefunded(e.ctx, m.OutRefundNo); err != nil || changed {
		t.Fatalf("MarkRefunded again = %v, %v", changed, err)
	}
	if n := len(e.log.named("refund_settled")); n != 3 {
		t.Fatalf("%d refund_settled events; want 3", n)
	}
}

// jitter waits up to 2 ms, so each side of a race wins some of the time
// (which one must not matter).
func jitter() { time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond) }

// payRaceRounds × payRaceOrders orders race in each race test.
const (
	payRaceRounds = 4
	payRaceOrders = 6
	payRaceEach   = 3 // goroutines of each kind per order
)

// testPayRaceStore races, for each of several Telegram orders awaiting
// payment, the store recording its payment (the same notification several
// times) against closing it unpaid (several times), all at once: each
// order ends paid with its stock held and no refund, or cancelled with its
// stock back once and the payment late and refunded whole — never
// cancelled and paid, never released twice.
func testPayRaceStore(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	start := e.stock()
	taken := 0
	for round := range payRaceRounds {
		type result struct {
			recorded, late, dup, closed, alreadyPaid, notAwaiting int
		}
		orders := make([]commerce.Order, payRaceOrders)
		atts := make([]commerce.PayAttempt, payRaceOrders)
		for i := range orders {
			orders[i], atts[i] = e.begin(e.pending(2, 0), commerce.PayTelegram)
		}
		results := make([]result, payRaceOrders)
		var mu sync.Mutex
		gate := make(chan struct{})
		var wg sync.WaitGroup
		for i := range orders {
			word := e.paid(atts[i], fmt.Sprintf("tg-%d-%d", round, i))
			for range payRaceEach {
				wg.Go(func() {
					<-gate
					jitter()
					jitter()
					res, err := e.s.ApplyPayment(e.ctx, word, e.clock.Now())
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err != nil:
						t.Errorf("ApplyPayment: %v", err)
					case res.Outcome == commerce.PayRecorded:
						results[i].recorded++
					case res.Outcome == commerce.PayLate:
						results[i].late++
					case res.Outcome == commerce.PayDuplicate:
						results[i].dup++
					default:
						t.Errorf("ApplyPayment = %s", res.Outcome)
					}
				})
				wg.Go(func() {
					<-gate
					jitter()
					jitter()
					_, err := e.s.CloseUnpaid(e.ctx, orders[i].ID, "", "", e.clock.Now())
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						results[i].closed++
					case errors.Is(err, commerce.ErrAlreadyPaid):
						results[i].alreadyPaid++
					case errors.Is(err, commerce.ErrInvalidTransition):
						results[i].notAwaiting++
					default:
						t.Errorf("CloseUnpaid: %v", err)
					}
				})
			}
		}
		close(gate)
		wg.Wait()
		for i, o := range orders {
			r := results[i]
			cur := e.order(o.ID)
			as, rs := e.attempts(o.ID), e.refunds(o.ID)
			switch cur.Status {
			case commerce.StatusPaid:
				taken += 2
				if r.recorded != 1 || r.late != 0 || r.dup != payRaceEach-1 || r.closed != 0 || r.alreadyPaid != payRaceEach ||
					len(rs) != 0 || as[0].State != commerce.AttemptPaid || !cur.Paid.IsPaid() {
					t.Errorf("round %d order %d paid: %+v, attempts %v, refunds %v", round, i, r, as, rs)
				}
			case commerce.StatusCancelled:
				if r.closed != 1 || r.notAwaiting != payRaceEach-1 || r.late != 1 || r.recorded != 0 || r.dup != payRaceEach-1 ||
					len(rs) != 1 || rs[0].Amount != o.Total || rs[0].State != commerce.RefundManual || as[0].State != commerce.AttemptLate || cur.Paid.IsPaid() {
					t.Errorf("round %d order %d cancelled: %+v, attempts %v, refunds %v", round, i, r, as, rs)
				}
			default:
				t.Errorf("round %d order %d ended %s", round, i, cur.Status)
			}
		}
		if s := e.stock(); s != start-taken {
			t.Fatalf("round %d: stock %d; want %d (%d units in paid orders)", round, s, start-taken, taken)
		}
	}
	t.Logf("%d of %d orders paid, the others cancelled and refunded", taken/2, payRaceRounds*payRaceOrders)
	if n, m := len(e.log.named("order_paid")), taken/2; n != m {
		t.Fatalf("%d order_paid events for %d paid orders", n, m)
	}
	if n, m := len(e.log.named("refund_created")), payRaceRounds*payRaceOrders-taken/2; n != m {
		t.Fatalf("%d refund_created events for %d cancelled orders", n, m)
	}
}

// testPayRaceService races, through Payments, for orders awaiting payment
// past their payment time, the buyer paying (WeChat Pay: at the provider,
// then its notification; Telegram: the successful payment) against the
// expiry job running several times at once. WeChat: a payment the
// provider took always ends in a paid order (the close finds it paid),
// one it refused in a cancelled order; Telegram: paid, or cancelled with
// the payment refunded. Stock comes back exactly once per cancelled order.
func testPayRaceService(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	start := e.stock()
	taken := 0
	for round := range payRaceRounds {
		orders := make([]commerce.Order, payRaceOrders)
		atts := make([]commerce.PayAttempt, payRaceOrders)
		for i := range orders {
			method := commerce.PayWeChat
			if i%2 == 1 {
				method = commerce.PayTelegram
			}
			orders[i], atts[i] = e.begin(e.pending(1, 0), method)
		}
		e.clock.Advance(payTTL)
		tookPayment := make([]bool, payRaceOrders)
		expired := make([]int, payRaceOrders)
		var mu sync.Mutex
		gate := make(chan struct{})
		var wg sync.WaitGroup
		for i := range orders {
			wg.Go(func() {
				<-gate
				jitter()
				word := e.paid(atts[i], fmt.Sprintf("tg-%d-%d", round, i))
				if atts[i].Method == commerce.PayWeChat {
					var ok bool
					if word, ok = e.wx.Pay(atts[i].OutTradeNo); !ok {
						return // closed at the provider first: the buyer could not pay
					}
				}
				mu.Lock()
				tookPayment[i] = true
				mu.Unlock()
				for range 2 { // the notification, repeated
					if _, err := e.pay.Apply(e.ctx, word); err != nil {
						t.Errorf("Apply %s: %v", word.OutTradeNo, err)
					}
				}
			})
			for range payRaceEach {
				wg.Go(func() {
					<-gate
					jitter()
					jitter()
					ok, err := e.pay.Expire(e.ctx, orders[i].ID)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						t.Errorf("Expire %s: %v", orders[i].Number, err)
					}
					if ok {
						expired[i]++
					}
				})
			}
		}
		close(gate)
		wg.Wait()
		for i, o := range orders {
			cur := e.order(o.ID)
			rs := e.refunds(o.ID)
			wechat := atts[i].Method == commerce.PayWeChat
			switch {
			case cur.Status == commerce.StatusPaid:
				taken++
				if !tookPayment[i] || expired[i] != 0 || len(rs) != 0 || cur.Paid.Method != atts[i].Method {
					t.Errorf("round %d order %d (%s) paid: took %v, expired %d, refunds %v", round, i, atts[i].Method, tookPayment[i], expired[i], rs)
				}
			case cur.Status == commerce.StatusCancelled && wechat:
				if tookPayment[i] || expired[i] != 1 || len(rs) != 0 {
					t.Errorf("round %d order %d (WeChat) cancelled: took %v, expired %d, refunds %v", round, i, tookPayment[i], expired[i], rs)
				}
			case cur.Status == commerce.StatusCancelled:
				if !tookPayment[i] || expired[i] != 1 || len(rs) != 1 || rs[0].State != commerce.RefundManual || rs[0].Amount != o.Total {
					t.Errorf("round %d order %d (Telegram) cancelled: took %v, expired %d, refunds %v", round, i, tookPayment[i], expired[i], rs)
				}
			default:
				t.Errorf("round %d order %d ended %s", round, i, cur.Status)
			}
		}
		if s := e.stock(); s != start-taken {
			t.Fatalf("round %d: stock %d; want %d (%d paid orders)", round, s, start-taken, taken)
		}
	}
	t.Logf("%d of %d orders paid, the others cancelled", taken, payRaceRounds*payRaceOrders)
}

// testPayDropOrder closes a drop order awaiting payment: its units go back
// to the drop (and on to the waitlist: DropUnitsFreed), never to the
// product's stock, and once.
func testPayDropOrder(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	d := e.create(t, 3, 2)
	b := webBuyer(6)
	r := e.reserve(t, d, b, 2, "k")
	o, _, err := e.order(r, b, "13800006666", "o")
	if err != nil {
		t.Fatal(err)
	}
	// A drop order paid online is placed pending until the reservation's
	// end (DropService.UsePayments); this one is moved there by hand.
	now := e.clock.Now()
	if _, err := e.s.DB().ExecContext(ctx, `UPDATE orders SET status = 'pending', expires_at = $1 WHERE id = $2`,
		now.Add(10*time.Minute).UnixMilli(), o.ID); err != nil {
		t.Fatal(err)
	}
	// Its payment time ends with the reservation, however long payments take.
	p, a, created, err := e.s.BeginPayment(ctx, o.ID, commerce.PayAttempt{Method: commerce.PayTelegram, TradeType: commerce.TradeInvoice,
		CreatedAt: now}, now.Add(15*time.Minute))
	if err != nil || !created || a.Amount != o.Total || !p.ExpiresAt.Equal(now.Add(10*time.Minute)) {
		t.Fatalf("BeginPayment = %+v, %v, %v, until %v; want until the reservation's end %v", a, created, err, p.ExpiresAt, now.Add(10*time.Minute))
	}
	if left := e.left(t, d.ID); left != 1 {
		t.Fatalf("left while awaiting payment = %d; want 1", left)
	}
	e.log.reset()
	if c, err := e.s.CloseUnpaid(ctx, o.ID, "", "", now.Add(10*time.Minute)); err != nil || c.Status != commerce.StatusCancelled {
		t.Fatalf("CloseUnpaid = %+v, %v", c, err)
	}
	if left := e.left(t, d.ID); left != 3 {
		t.Fatalf("left after the close = %d; want 3", left)
	}
	if p, _ := e.s.Product(ctx, e.product.ID); p.Stock != e.product.Stock {
		t.Fatalf("product stock %d after a drop order's close; want %d", p.Stock, e.product.Stock)
	}
	freed := e.log.named("drop_units_freed")
	if len(freed) != 1 || freed[0].(commerce.DropUnitsFreed) != (commerce.DropUnitsFreed{DropID: d.ID, Buyer: b, Qty: 2, Gate: true}) {
		t.Fatalf("events %+v; want one DropUnitsFreed with Gate", freed)
	}
	_, err = e.s.CloseUnpaid(ctx, o.ID, "", "", now.Add(10*time.Minute))
	wantErr(t, "close again", err, commerce.ErrInvalidTransition)
	// Its payment arriving now is late: refunded, the units stay with the drop.
	res, err := e.s.ApplyPayment(ctx, commerce.ProviderPayment{Method: commerce.PayTelegram, OutTradeNo: a.OutTradeNo, TransactionID: "tg-1",
		State: "SUCCESS", Amount: a.Amount}, now.Add(11*time.Minute))
	if err != nil || res.Outcome != commerce.PayLate || res.Refund == nil || e.left(t, d.ID) != 3 {
		t.Fatalf("late payment = %+v, %v, left %d", res, err, e.left(t, d.ID))
	}
}

func testPayReconcile(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	o, a := e.begin(e.pending(1, 0), commerce.PayWeChat)
	if _, ok := e.wx.Pay(a.OutTradeNo); !ok { // its notification is lost
		t.Fatal("the provider refused a payment")
	}
	if n, err := e.pay.Reconcile(e.ctx); err != nil || n != 0 {
		t.Fatalf("Reconcile at once = %d, %v; want nothing asked yet", n, err)
	}
	e.clock.Advance(4 * time.Minute)
	if n, err := e.pay.Reconcile(e.ctx); err != nil || n != 1 {
		t.Fatalf("Reconcile = %d, %v; want the payment applied", n, err)
	}
	if cur := e.order(o.ID); cur.Status != commerce.StatusPaid || cur.Paid.Method != commerce.PayWeChat {
		t.Fatalf("order after Reconcile: %+v", cur)
	}
	if n, err := e.pay.Reconcile(e.ctx); err != nil || n != 0 {
		t.Fatalf("Reconcile again = %d, %v", n, err)
	}
	// A refund the provider could not take stays requested; the
	// reconciliation sends it later.
	e.wx.refundErr = fmt.Errorf("timeout: %w", commerce.ErrProvider)
	r, created, err := e.pay.Refund(e.ctx, commerce.RefundInput{Number: o.Number, By: "cli", Key: "r1"})
	if err != nil || !created || r.State != commerce.RefundRequested || r.Amount != o.Total {
		t.Fatalf("Refund while the provider is down = %+v, %v, %v", r, created, err)
	}
	e.clock.Advance(4 * time.Minute)
	if n, err := e.pay.Reconcile(e.ctx); n != 0 || !errors.Is(err, commerce.ErrProvider) {
		t.Fatalf("Reconcile while the provider is down = %d, %v", n, err)
	}
	e.wx.refundErr = nil
	if n, err := e.pay.Reconcile(e.ctx); err != nil || n != 1 {
		t.Fatalf("Reconcile = %d, %v; want the refund sent", n, err)
	}
	if got, _ := e.s.RefundByNo(e.ctx, r.OutRefundNo); got.State != commerce.RefundProcessing || got.ProviderID == "" {
		t.Fatalf("refund after Reconcile: %+v", got)
	}
}

// testPayConcurrentBegin: buyers' taps starting the same payment at once
// make one attempt (one PaymentStarted); the others get it back.
func testPayConcurrentBegin(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	for round := range 3 {
		o := e.pending(1, 0)
		e.log.reset()
		const n = 6
		ids := make([]int64, n)
		created := make([]bool, n)
		gate := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-gate
				jitter()
				_, a, c, err := e.s.BeginPayment(e.ctx, o.ID, commerce.PayAttempt{Method: commerce.PayTelegram, TradeType: commerce.TradeInvoice,
					CreatedAt: e.clock.Now()}, e.clock.Now().Add(payTTL))
				if err != nil {
					t.Errorf("BeginPayment: %v", err)
					return
				}
				ids[i], created[i] = a.ID, c
			})
		}
		close(gate)
		wg.Wait()
		if c := countTrue(created); c != 1 || len(e.attempts(o.ID)) != 1 || len(e.log.named("payment_started")) != 1 {
			t.Fatalf("round %d: %d created, attempts %v, events %v", round, c, e.attempts(o.ID), e.log.all())
		}
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("round %d: attempts %v; want one", round, ids)
			}
		}
	}
}

// testPayConcurrentRefunds: refunds of one order asked at once, each of
// one unit of a line of 3, with their own keys and some with the same key:
// 3 units refunded, never more; the same key is one refund.
func testPayConcurrentRefunds(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	o, a := e.begin(e.pending(3, 0), commerce.PayTelegram)
	if _, err := e.pay.Apply(e.ctx, e.paid(a, "tg-1")); err != nil {
		t.Fatal(err)
	}
	const n = 8
	type result struct {
		r       commerce.Refund
		created bool
		err     error
	}
	results := make([]result, n)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		key := fmt.Sprintf("k%d", i)
		if i >= n-3 {
			key = "same" // three asks of one refund
		}
		wg.Go(func() {
			<-gate
			jitter()
			r, c, err := e.s.CreateRefund(e.ctx, commerce.Refund{OrderID: o.ID, Method: commerce.PayTelegram, Amount: e.prod.Price,
				Lines: []commerce.RefundLine{{LineNo: 1, Qty: 1}}, State: commerce.RefundManual, Key: key, By: "cli"})
			results[i] = result{r, c, err}
		})
	}
	close(gate)
	wg.Wait()
	made, tooMuch, again, same := 0, 0, 0, map[int64]bool{}
	for i, r := range results {
		switch {
		case errors.Is(r.err, commerce.ErrRefundTooMuch):
			tooMuch++
		case r.err != nil:
			t.Fatalf("CreateRefund %d: %v", i, r.err)
		case r.created:
			made++
		default:
			again++
			if i < n-3 {
				t.Fatalf("CreateRefund %d with its own key was not created: %+v", i, r.r)
			}
		}
		if i >= n-3 && r.err == nil {
			same[r.r.ID] = true
		}
	}
	rs := e.refunds(o.ID)
	total := int64(0)
	for _, r := range rs {
		total += r.Amount.Amount
	}
	if made != 3 || made+tooMuch+again != n || len(same) > 1 || len(rs) != 3 || total != o.Total.Amount {
		t.Fatalf("%d made, %d too much, %d the same again (ids %v); refunds %v (total %d of %d)", made, tooMuch, again, same, rs, total, o.Total.Amount)
	}
}
