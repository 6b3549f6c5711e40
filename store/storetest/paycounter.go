package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
)

// runPayCounter runs WeChat Pay at the pickup counter (issue 14): an unpaid
// pay-at-pickup order paid by a Native QR staff show, its status
// unchanged; a payment that loses to staff's cash record is refunded.
func runPayCounter(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"begin at the counter: staff only, the order's status unchanged, one QR reused", testCounterBegin},
		{"paid at the counter: recorded as the other methods, receipt, hand-over, refund", testCounterPaid},
		{"cash first: the QR payment after it is late and refunded", testCounterCashFirst},
		{"refresh asks the provider when the notification is slow", testCounterRefresh},
		{"an unpaid counter QR is closed once its time is over", testCounterRetire},
		{"race: QR payment against the cash record, never paid twice unrefunded", testCounterRace},
	})
}

// unpaidReady is an unpaid ready_for_pickup order of alice at point a and
// its pickup code.
func (e *payEnv) unpaidReady() (commerce.Order, string) {
	e.t.Helper()
	o := e.confirmed(alice, e.a)
	if _, err := e.p.Ship(e.ctx, commerce.Shipment{PointID: e.a.ID, Numbers: []string{o.Number}}); err != nil {
		e.t.Fatal(err)
	}
	r, err := e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.a.ID, Numbers: []string{o.Number}})
	if err != nil || len(r.Moved) != 1 {
		e.t.Fatalf("MarkArrived = %+v, %v", r, err)
	}
	return r.Moved[0], e.pass(o).Code
}

var counterClerk = commerce.Clerk{Staff: "tg:100"}

func (e *payEnv) counter(o commerce.Order) commerce.PayAttempt {
	e.t.Helper()
	_, a, err := e.pay.BeginCounter(e.ctx, counterClerk, e.a.ID, o.Number)
	if err != nil {
		e.t.Fatalf("BeginCounter %s: %v", o.Number, err)
	}
	return a
}

func testCounterBegin(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	o, _ := e.unpaidReady()
	e.log.reset()
	got, a, err := e.pay.BeginCounter(e.ctx, counterClerk, e.a.ID, " "+o.Number+" ")
	if err != nil {
		t.Fatalf("BeginCounter: %v", err)
	}
	if a.Method != commerce.PayWeChat || a.TradeType != commerce.TradeNative || a.State != commerce.AttemptOpen ||
		a.OutTradeNo != o.Number+"P1" || a.Amount != o.Total || a.Prepay != "wx-prepay-"+a.OutTradeNo {
		t.Fatalf("attempt %+v", a)
	}
	if cur := e.order(o.ID); got.Status != commerce.StatusReadyForPickup || cur.Status != commerce.StatusReadyForPickup ||
		!cur.ExpiresAt.Equal(o.ExpiresAt) || cur.Paid.IsPaid() {
		t.Fatalf("order after BeginCounter: %+v", cur)
	}
	if ev := e.log.named("payment_started"); len(ev) != 0 {
		t.Fatalf("payment_started %v: no payment time runs at the counter", ev)
	}
	// Again (the staff page's Check, a second tap): the same QR.
	e.clock.Advance(5 * time.Minute)
	if again := e.counter(o); again.ID != a.ID || again.Prepay != a.Prepay || len(e.attempts(o.ID)) != 1 {
		t.Fatalf("again %+v; attempts %v", again, e.attempts(o.ID))
	}
	// Near the end of its time: closed at the provider first, then a new one.
	e.clock.Advance(payTTL - 5*time.Minute - e.pay.PayTTL()/3 + time.Second)
	next := e.counter(o)
	as := e.attempts(o.ID)
	if next.OutTradeNo != o.Number+"P2" || len(as) != 2 || as[0].State != commerce.AttemptClosed || as[1].State != commerce.AttemptOpen {
		t.Fatalf("renewed %+v; attempts %v", next, as)
	}
	if calls := e.wx.callList(); calls[len(calls)-2] != "close "+a.OutTradeNo || calls[len(calls)-1] != "prepay "+next.OutTradeNo {
		t.Fatalf("provider calls %v", calls)
	}

	// Refusals.
	_, _, err = e.pay.BeginCounter(e.ctx, commerce.Clerk{Staff: "tg:200"}, e.a.ID, o.Number)
	wantErr(t, "staff of another point", err, commerce.ErrForbidden)
	_, _, err = e.pay.BeginCounter(e.ctx, counterClerk, 1<<40, o.Number)
	wantErr(t, "an unknown point", err, commerce.ErrForbidden)
	_, _, err = e.pay.BeginCounter(e.ctx, commerce.Clerk{Staff: "tg:200"}, e.b.ID, o.Number)
	wantErr(t, "an order of another point", err, commerce.ErrNotFound)
	_, _, err = e.pay.BeginCounter(e.ctx, counterClerk, e.a.ID, "ZZZZZZ")
	wantErr(t, "an unknown order", err, commerce.ErrNotFound)
	paid := e.readyOrder(alice, e.a) // paid cash on its way
	_, _, err = e.pay.BeginCounter(e.ctx, counterClerk, e.a.ID, paid.Number)
	wantErr(t, "a paid order", err, commerce.ErrAlreadyPaid)
	_, _, err = e.pay.BeginCounter(e.ctx, counterClerk, e.a.ID, e.pending(1, 0).Number)
	wantErr(t, "a pending order", err, commerce.ErrInvalidTransition)
	_, _, _, err = e.s.BeginPayment(e.ctx, o.ID, commerce.PayAttempt{Method: commerce.PayWeChat, TradeType: commerce.TradeJSAPI,
		CreatedAt: e.clock.Now()}, e.clock.Now().Add(payTTL))
	wantErr(t, "online payment of a confirmed order", err, commerce.ErrInvalidTransition)
	// A confirmed order (not yet shipped) may be paid at the counter too.
	conf := e.confirmed(alice, e.a)
	if a := e.counter(conf); a.OutTradeNo != conf.Number+"P1" || e.order(conf.ID).Status != commerce.StatusConfirmed {
		t.Fatalf("confirmed: %+v", a)
	}
	// The store alone: a cancelled order is refused.
	if _, err := e.s.SetOrderStatus(e.ctx, conf.ID, commerce.StatusConfirmed, commerce.StatusCancelled, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.s.BeginCounterPayment(e.ctx, conf.ID, commerce.PayAttempt{Method: commerce.PayWeChat, TradeType: commerce.TradeNative})
	wantErr(t, "a cancelled order", err, commerce.ErrInvalidTransition)
	_, _, err = e.s.BeginCounterPayment(e.ctx, 1<<40, commerce.PayAttempt{Method: commerce.PayWeChat, TradeType: commerce.TradeNative})
	wantErr(t, "an unknown order", err, commerce.ErrNotFound)
	// Without WeChat Pay there is no QR at the counter.
	off := commerce.NewPayments(commerce.PaymentsOptions{Store: e.s, Flow: e.s, Clock: e.clock, Telegram: true})
	_, _, err = off.BeginCounter(e.ctx, counterClerk, e.a.ID, o.Number)
	wantErr(t, "WeChat Pay not configured", err, commerce.ErrPaymentMethod)
}

func testCounterPaid(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	o, code := e.unpaidReady()
	a := e.counter(o)
	// Without a payment the hand-over still asks for one.
	_, err := e.p.HandOverBy(e.ctx, counterClerk, e.a.ID, code, nil)
	wantErr(t, "hand-over before the QR is paid", err, commerce.ErrPaymentRequired)
	e.clock.Advance(time.Minute)
	word, ok := e.wx.Pay(a.OutTradeNo)
	if !ok {
		t.Fatal("the buyer could not pay")
	}
	word.At = e.clock.Now()
	e.log.reset()
	res, err := e.pay.Apply(e.ctx, word)
	if err != nil || res.Outcome != commerce.PayRecorded || res.Attempt.State != commerce.AttemptPaid || res.Refund != nil {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	cur := e.order(o.ID)
	if cur.Status != commerce.StatusReadyForPickup || cur.Paid.Method != commerce.PayWeChat || cur.Paid.Amount != o.Total ||
		cur.Paid.By != "provider" || !cur.Paid.At.Equal(word.At) || res.Order.Paid != cur.Paid || res.Order.Status != cur.Status {
		t.Fatalf("paid at the counter: %+v (result %+v)", cur, res.Order)
	}
	paidEv := e.log.named("order_paid")
	if len(paidEv) != 1 || paidEv[0].(commerce.OrderPaid).Attempt.ID != a.ID || !paidEv[0].(commerce.OrderPaid).Order.Paid.IsPaid() {
		t.Fatalf("order_paid %v: want one receipt", paidEv)
	}
	if st := e.log.named("order_status_changed"); len(st) != 0 {
		t.Fatalf("status changes %v; want none", st)
	}
	if again, err := e.pay.Apply(e.ctx, word); err != nil || again.Outcome != commerce.PayDuplicate || len(e.log.named("order_paid")) != 1 {
		t.Fatalf("duplicate = %+v, %v", again, err)
	}
	_, _, err = e.pay.BeginCounter(e.ctx, counterClerk, e.a.ID, o.Number)
	wantErr(t, "begin after the payment", err, commerce.ErrAlreadyPaid)
	// The hand-over goes on without a payment; a cash payment offered is ignored.
	col, err := e.p.HandOverBy(e.ctx, counterClerk, e.a.ID, code, &commerce.Payment{Method: commerce.PayCash})
	if err != nil || col.Order.Status != commerce.StatusPickedUp || col.Order.Paid.Method != commerce.PayWeChat {
		t.Fatalf("HandOverBy = %+v, %v", col.Order, err)
	}
	// Refunds treat it as any WeChat Pay payment: sent to the provider
	// against the counter's transaction.
	r, created, err := e.pay.Refund(e.ctx, commerce.RefundInput{Number: o.Number, Reason: "changed mind", By: "cli", Key: "k1"})
	if err != nil || !created || r.Method != commerce.PayWeChat || r.State != commerce.RefundProcessing || r.Amount != o.Total {
		t.Fatalf("Refund = %+v, %v, %v", r, created, err)
	}
	if calls := e.wx.callList(); calls[len(calls)-1] != fmt.Sprintf("refund %s %s %d/%d", r.OutRefundNo, a.OutTradeNo, o.Total.Amount, o.Total.Amount) {
		t.Fatalf("provider calls %v", calls)
	}
}

func testCounterCashFirst(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	o, code := e.unpaidReady()
	a := e.counter(o)
	// The buyer pays cash after all; the QR is still open.
	col, err := e.p.HandOverBy(e.ctx, counterClerk, e.a.ID, code, &commerce.Payment{Method: commerce.PayCash})
	if err != nil || col.Order.Status != commerce.StatusPickedUp || col.Order.Paid.Method != commerce.PayCash {
		t.Fatalf("HandOverBy cash = %+v, %v", col.Order, err)
	}
	word, ok := e.wx.Pay(a.OutTradeNo)
	if !ok {
		t.Fatal("the buyer could not pay")
	}
	e.log.reset()
	res, err := e.pay.Apply(e.ctx, word)
	if err != nil || res.Outcome != commerce.PayLate || res.Attempt.State != commerce.AttemptLate || res.Refund == nil ||
		res.Refund.AttemptID != a.ID || res.Refund.State != commerce.RefundProcessing || res.Refund.Amount != o.Total {
		t.Fatalf("Apply after cash = %+v, %v", res, err)
	}
	if cur := e.order(o.ID); cur.Paid.Method != commerce.PayCash || cur.Status != commerce.StatusPickedUp {
		t.Fatalf("order %+v; want the cash payment kept", cur)
	}
	if len(e.log.named("order_paid")) != 0 || len(e.log.named("refund_created")) != 1 {
		t.Fatalf("events %v", e.log.events)
	}
	// A counter attempt of a cancelled order: late too.
	c, _ := e.unpaidReady()
	ca := e.counter(c)
	if _, err := e.s.SetOrderStatus(e.ctx, c.ID, commerce.StatusReadyForPickup, commerce.StatusCancelled, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	w2, _ := e.wx.Pay(ca.OutTradeNo)
	if res, err := e.pay.Apply(e.ctx, w2); err != nil || res.Outcome != commerce.PayLate || res.Refund == nil || e.order(c.ID).Paid.IsPaid() {
		t.Fatalf("Apply on a cancelled order = %+v, %v", res, err)
	}
}

func testCounterRefresh(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	o, _ := e.unpaidReady()
	a := e.counter(o)
	res, err := e.pay.Refresh(e.ctx, a.OutTradeNo)
	if err != nil || res.Outcome != commerce.PayNotPaid || res.Order.Paid.IsPaid() || res.Attempt.State != commerce.AttemptOpen {
		t.Fatalf("Refresh unpaid = %+v, %v", res, err)
	}
	if _, ok := e.wx.Pay(a.OutTradeNo); !ok { // the notification is lost
		t.Fatal("the buyer could not pay")
	}
	res, err = e.pay.Refresh(e.ctx, a.OutTradeNo)
	if err != nil || res.Outcome != commerce.PayRecorded || res.Order.Paid.Method != commerce.PayWeChat ||
		res.Attempt.State != commerce.AttemptPaid || res.Order.Status != commerce.StatusReadyForPickup {
		t.Fatalf("Refresh paid = %+v, %v", res, err)
	}
	n := len(e.wx.callList())
	res, err = e.pay.Refresh(e.ctx, a.OutTradeNo)
	if err != nil || res.Outcome != commerce.PayDuplicate || !res.Order.Paid.IsPaid() || len(e.wx.callList()) != n {
		t.Fatalf("Refresh again = %+v, %v (calls %v): not asked again", res, err, e.wx.callList()[n:])
	}
	_, err = e.pay.Refresh(e.ctx, "NOSUCHP1")
	wantErr(t, "refresh of an unknown attempt", err, commerce.ErrNotFound)
}

func testCounterRetire(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	o, _ := e.unpaidReady()
	a := e.counter(o)
	e.clock.Advance(5 * time.Minute)
	if _, err := e.pay.Reconcile(e.ctx); err != nil {
		t.Fatal(err)
	}
	if as := e.attempts(o.ID); as[0].State != commerce.AttemptOpen {
		t.Fatalf("closed within its time: %v", as)
	}
	e.clock.Advance(payTTL)
	if _, err := e.pay.Reconcile(e.ctx); err != nil {
		t.Fatal(err)
	}
	if as := e.attempts(o.ID); as[0].State != commerce.AttemptClosed {
		t.Fatalf("attempts %v; want closed after its time", as)
	}
	if _, ok := e.wx.Pay(a.OutTradeNo); ok {
		t.Fatal("paid after the close at the provider")
	}
	n := len(e.wx.callList())
	e.clock.Advance(time.Minute)
	if _, err := e.pay.Reconcile(e.ctx); err != nil || len(e.wx.callList()) != n {
		t.Fatalf("Reconcile = %v; calls %v: a closed attempt is not asked about", err, e.wx.callList()[n:])
	}
	if cur := e.order(o.ID); cur.Status != commerce.StatusReadyForPickup || cur.Paid.IsPaid() {
		t.Fatalf("order %+v: unchanged", cur)
	}
	// Paid at the last moment: the close finds it paid and applies it.
	p, _ := e.unpaidReady()
	pa := e.counter(p)
	e.clock.Advance(payTTL + time.Minute)
	e.wx.onClose = func(no string) {
		if no == pa.OutTradeNo {
			e.wx.Pay(no)
		}
	}
	if _, err := e.pay.Reconcile(e.ctx); err != nil {
		t.Fatal(err)
	}
	if cur := e.order(p.ID); cur.Paid.Method != commerce.PayWeChat || e.attempts(p.ID)[0].State != commerce.AttemptPaid {
		t.Fatalf("order %+v; attempts %v: want paid", cur, e.attempts(p.ID))
	}
	// The store alone: closing twice changes nothing the second time.
	if got, changed, err := e.s.CloseAttempt(e.ctx, a.ID, e.clock.Now()); err != nil || changed || got.State != commerce.AttemptClosed {
		t.Fatalf("CloseAttempt again = %+v, %v, %v", got, changed, err)
	}
	_, _, err := e.s.CloseAttempt(e.ctx, 1<<40, e.clock.Now())
	wantErr(t, "close an unknown attempt", err, commerce.ErrNotFound)
}

// testCounterRace: staff record cash while the buyer's QR payment is
// applied, many times over. Exactly one payment stays with each order;
// whenever the QR lost, its money is being refunded; whenever the cash
// lost, staff were told (ErrAlreadyPaid) and nothing was handed over.
func testCounterRace(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPayEnv(t, open)
	const rounds = 12
	wins := map[commerce.PaymentMethod]int{}
	for i := range rounds {
		o, code := e.unpaidReady()
		a := e.counter(o)
		word, ok := e.wx.Pay(a.OutTradeNo)
		if !ok {
			t.Fatal("the buyer could not pay")
		}
		var wg sync.WaitGroup
		var res commerce.PayResult
		var applyErr, cashErr error
		var col commerce.Collection
		wg.Add(2)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				jitter()
			}
			res, applyErr = e.pay.Apply(e.ctx, word)
		}()
		go func() {
			defer wg.Done()
			if i%2 == 1 {
				jitter()
			}
			col, cashErr = e.p.HandOverBy(e.ctx, counterClerk, e.a.ID, code, &commerce.Payment{Method: commerce.PayCash})
		}()
		wg.Wait()
		if applyErr != nil {
			t.Fatalf("round %d: Apply: %v", i, applyErr)
		}
		cur := e.order(o.ID)
		as, rs := e.attempts(o.ID), e.refunds(o.ID)
		wins[cur.Paid.Method]++
		switch cur.Paid.Method {
		case commerce.PayWeChat:
			if res.Outcome != commerce.PayRecorded || as[0].State != commerce.AttemptPaid || len(rs) != 0 {
				t.Fatalf("round %d: QR won: %+v, attempts %v, refunds %v", i, res, as, rs)
			}
			if cashErr != nil && !errors.Is(cashErr, commerce.ErrAlreadyPaid) {
				t.Fatalf("round %d: cash after the QR: %v", i, cashErr)
			}
			if cashErr == nil && col.Order.Status != commerce.StatusPickedUp {
				t.Fatalf("round %d: handed over %+v", i, col.Order)
			}
			if errors.Is(cashErr, commerce.ErrAlreadyPaid) && cur.Status != commerce.StatusReadyForPickup {
				t.Fatalf("round %d: cash refused, yet the order is %s", i, cur.Status)
			}
		case commerce.PayCash:
			if cashErr != nil || cur.Status != commerce.StatusPickedUp || res.Outcome != commerce.PayLate ||
				as[0].State != commerce.AttemptLate || len(rs) != 1 || rs[0].AttemptID != a.ID || rs[0].Amount != o.Total {
				t.Fatalf("round %d: cash won: %v, %+v, attempts %v, refunds %v", i, cashErr, res, as, rs)
			}
		default:
			t.Fatalf("round %d: order %+v unpaid", i, cur)
		}
	}
	t.Logf("winners over %d rounds: %v", rounds, wins)
}
