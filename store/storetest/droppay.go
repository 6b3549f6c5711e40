package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
)

// The drops-with-payment topic (issue 14): where online payment is
// configured a drop reservation becomes a pending order that expires with
// the reservation; units not paid for go back to the drop and on to its
// waitlist, as a cancelled drop order's always did.

// runDropPay runs the drops-with-payment topic.
func runDropPay(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"PendingUntilReservationEnd", testDropPayPendingUntilReservationEnd},
		{"UnpaidGoesToWaitlist", testDropPayUnpaidGoesToWaitlist},
		{"PayAtPickupConfirms", testDropPayAtPickupConfirms},
		{"PaymentExpiryClosesFirst", testDropPayExpiryClosesFirst},
		{"PaidKeepsUnits", testDropPayPaidKeepsUnits},
	})
}

// newDropPayEnv is a drop flow env whose drop orders wait for payment
// (Telegram Payments on: no provider to close at).
func newDropPayEnv(t *testing.T, open OpenShop) (*dropFlowEnv, *commerce.Shop) {
	t.Helper()
	e, shop, _ := newDropPayEnvWith(t, open, nil)
	return e, shop
}

func newDropPayEnvWith(t *testing.T, open OpenShop, wechat commerce.WeChatPayer) (*dropFlowEnv, *commerce.Shop, *commerce.Payments) {
	t.Helper()
	e := newDropFlowEnv(t, open)
	pay := commerce.NewPayments(commerce.PaymentsOptions{Store: e.s, Flow: e.s, Clock: e.clock, Telegram: wechat == nil, WeChat: wechat})
	e.svc.UsePayments(pay)
	shop := commerce.NewShop(commerce.ShopOptions{Store: e.s, Clock: e.clock})
	shop.UsePayments(pay)
	return e, shop, pay
}

// closingWeChat is WeChat Pay that creates and closes transactions, and
// checks at each close that the drop's units are still held.
type closingWeChat struct {
	mu      sync.Mutex
	closed  []string
	onClose func()
}

func (w *closingWeChat) Prepay(_ context.Context, p commerce.Prepay) (string, error) {
	return "weixin://wxpay/bizpayurl?pr=" + p.OutTradeNo, nil
}

func (w *closingWeChat) Query(_ context.Context, no string) (commerce.ProviderPayment, error) {
	return commerce.ProviderPayment{Method: commerce.PayWeChat, OutTradeNo: no, State: "NOTPAY"}, nil
}

func (w *closingWeChat) Close(_ context.Context, no string) error {
	w.mu.Lock()
	w.closed = append(w.closed, no)
	hook := w.onClose
	w.mu.Unlock()
	if hook != nil {
		hook()
	}
	return nil
}

func (w *closingWeChat) Refund(_ context.Context, r commerce.RefundCall) (commerce.ProviderRefund, error) {
	return commerce.ProviderRefund{OutRefundNo: r.OutRefundNo, State: "PROCESSING"}, nil
}

func (w *closingWeChat) QueryRefund(_ context.Context, no string) (commerce.ProviderRefund, error) {
	return commerce.ProviderRefund{OutRefundNo: no, State: "PROCESSING"}, nil
}

// testDropPayPendingUntilReservationEnd: the order is pending until the
// reservation's end, announced as placed, and a retry returns it.
func testDropPayPendingUntilReservationEnd(t *testing.T, open OpenShop) {
	t.Parallel()
	e, _ := newDropPayEnv(t, open)
	ctx := context.Background()
	d := e.create(t, 2, 1)
	b := webBuyer(1)
	r := e.reserve(t, d, b, 1, "k")
	e.clock.Advance(3 * time.Minute)
	e.log.reset()
	o, created, err := e.order(r, b, "13800001111", "o")
	if err != nil || !created {
		t.Fatalf("Order = %+v, %v, %v", o, created, err)
	}
	if o.Status != commerce.StatusPending || !o.ExpiresAt.Equal(r.ExpiresAt) {
		t.Fatalf("order %s until %v; want pending until the reservation's end %v", o.Status, o.ExpiresAt, r.ExpiresAt)
	}
	if o.Total != commerce.CNY(59900) || len(o.Lines) != 1 || o.Lines[0].Qty != 1 {
		t.Fatalf("order lines %+v total %v", o.Lines, o.Total)
	}
	placed := e.log.named("order_placed")
	if len(placed) != 1 || placed[0].(commerce.OrderPlaced).Order.Status != commerce.StatusPending {
		t.Fatalf("events %+v; want one OrderPlaced of a pending order", placed)
	}
	if again, created, err := e.order(r, b, "13800001111", "o"); err != nil || created || again.ID != o.ID {
		t.Fatalf("Order again = %d, %v, %v; want %d, not created", again.ID, created, err, o.ID)
	}
	if got, _ := e.svc.Reservation(ctx, r.ID); got.Status != commerce.DropOrdered {
		t.Fatalf("reservation %s; want ordered", got.Status)
	}
	if left := e.left(t, d.ID); left != 1 {
		t.Fatalf("left = %d; want 1", left)
	}
}

// testDropPayUnpaidGoesToWaitlist: a drop order not paid by the
// reservation's end expires; its unit goes back to the drop and is offered
// to the first waiter.
func testDropPayUnpaidGoesToWaitlist(t *testing.T, open OpenShop) {
	t.Parallel()
	e, shop := newDropPayEnv(t, open)
	ctx := context.Background()
	d := e.create(t, 1, 1)
	b := webBuyer(1)
	r := e.reserve(t, d, b, 1, "k")
	waiters := joinWaitlist(t, e, d)
	o, _, err := e.order(r, b, "13800001111", "o")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := shop.ExpireOrder(ctx, o.ID); err != nil || ok {
		t.Fatalf("ExpireOrder before the end = %v, %v; want left alone", ok, err)
	}
	e.clock.Set(r.ExpiresAt)
	e.log.reset()
	if ok, err := shop.ExpireOrder(ctx, o.ID); err != nil || !ok {
		t.Fatalf("ExpireOrder at the end = %v, %v", ok, err)
	}
	expectWaiterOffered(t, e, d, b, waiters[0])
	if got, _ := e.s.Order(ctx, o.ID); got.Status != commerce.StatusCancelled {
		t.Fatalf("order %s; want cancelled", got.Status)
	}
}

// expectWaiterOffered checks the expired order's unit went back to the drop
// (one DropUnitsFreed) and then to the first waiter.
func expectWaiterOffered(t *testing.T, e *dropFlowEnv, d commerce.Drop, b commerce.Buyer, first commerce.DropWaiter) {
	t.Helper()
	ctx := context.Background()
	freed := e.log.named("drop_units_freed")
	if len(freed) != 1 || freed[0].(commerce.DropUnitsFreed) != (commerce.DropUnitsFreed{DropID: d.ID, Buyer: b, Qty: 1, Gate: true}) {
		t.Fatalf("events %+v; want one DropUnitsFreed", freed)
	}
	if left := e.left(t, d.ID); left != 1 {
		t.Fatalf("left after the expiry = %d; want 1", left)
	}
	if n, err := e.svc.UnitsFreed(ctx, freed[0].(commerce.DropUnitsFreed)); err != nil || n != 1 {
		t.Fatalf("UnitsFreed = %d, %v; want one offer", n, err)
	}
	offers := e.log.named("drop_offer_made")
	if len(offers) != 1 || offers[0].(commerce.DropOfferMade).Waiter.ID != first.ID {
		t.Fatalf("offers %+v; want one to the first waiter", offers)
	}
}

// testDropPayAtPickupConfirms: a buyer who chooses to pay at pickup
// confirms the drop order, which then no longer expires.
func testDropPayAtPickupConfirms(t *testing.T, open OpenShop) {
	t.Parallel()
	e, shop := newDropPayEnv(t, open)
	ctx := context.Background()
	d := e.create(t, 1, 1)
	b := webBuyer(1)
	r := e.reserve(t, d, b, 1, "k")
	o, _, err := e.order(r, b, "13800001111", "o")
	if err != nil {
		t.Fatal(err)
	}
	c, err := shop.ConfirmOrder(ctx, b, o.ID)
	if err != nil || c.Status != commerce.StatusConfirmed {
		t.Fatalf("ConfirmOrder = %s, %v", c.Status, err)
	}
	e.clock.Set(r.ExpiresAt.Add(time.Minute))
	if ok, err := shop.ExpireOrder(ctx, o.ID); err != nil || ok {
		t.Fatalf("ExpireOrder of a confirmed order = %v, %v; want left alone", ok, err)
	}
	if left := e.left(t, d.ID); left != 0 {
		t.Fatalf("left = %d; want 0", left)
	}
}

// testDropPayExpiryClosesFirst: a drop order the buyer started paying with
// WeChat Pay and did not pay is closed at the provider (the unit still
// held then) before it is cancelled; its unit goes to the first waiter.
func testDropPayExpiryClosesFirst(t *testing.T, open OpenShop) {
	t.Parallel()
	wechat := &closingWeChat{}
	e, _, pay := newDropPayEnvWith(t, open, wechat)
	ctx := context.Background()
	d := e.create(t, 1, 1)
	b := webBuyer(1)
	r := e.reserve(t, d, b, 1, "k")
	waiters := joinWaitlist(t, e, d)
	o, _, err := e.order(r, b, "13800001111", "o")
	if err != nil {
		t.Fatal(err)
	}
	o, a, err := pay.Begin(ctx, b, o.ID, commerce.PayWeChat, commerce.TradeNative, "")
	if err != nil || o.Status != commerce.StatusAwaitingPayment {
		t.Fatalf("Begin = %s, %v", o.Status, err)
	}
	var heldAtClose int
	wechat.onClose = func() { heldAtClose = 1 - e.left(t, d.ID) }
	if ok, err := pay.Expire(ctx, o.ID); err != nil || ok {
		t.Fatalf("Expire before the end = %v, %v; want left alone", ok, err)
	}
	e.clock.Set(o.ExpiresAt)
	e.log.reset()
	if ok, err := pay.Expire(ctx, o.ID); err != nil || !ok {
		t.Fatalf("Expire at the end = %v, %v", ok, err)
	}
	if len(wechat.closed) != 1 || wechat.closed[0] != a.OutTradeNo || heldAtClose != 1 {
		t.Fatalf("closed %v (unit held at the close: %d); want %s closed while the unit was held", wechat.closed, heldAtClose, a.OutTradeNo)
	}
	if got, _ := e.s.Order(ctx, o.ID); got.Status != commerce.StatusCancelled {
		t.Fatalf("order %s; want cancelled", got.Status)
	}
	expectWaiterOffered(t, e, d, b, waiters[0])
}

// testDropPayPaidKeepsUnits: a paid drop order keeps its unit past the
// reservation's end; nothing expires it.
func testDropPayPaidKeepsUnits(t *testing.T, open OpenShop) {
	t.Parallel()
	e, shop, pay := newDropPayEnvWith(t, open, &closingWeChat{})
	ctx := context.Background()
	d := e.create(t, 1, 1)
	b := webBuyer(1)
	r := e.reserve(t, d, b, 1, "k")
	o, _, err := e.order(r, b, "13800001111", "o")
	if err != nil {
		t.Fatal(err)
	}
	_, a, err := pay.Begin(ctx, b, o.ID, commerce.PayWeChat, commerce.TradeNative, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := pay.Apply(ctx, commerce.ProviderPayment{Method: commerce.PayWeChat, OutTradeNo: a.OutTradeNo, TransactionID: "4200000001",
		State: "SUCCESS", Amount: o.Total, At: e.clock.Now()})
	if err != nil || res.Outcome != commerce.PayRecorded || res.Order.Status != commerce.StatusPaid {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	e.clock.Set(r.ExpiresAt.Add(time.Hour))
	if ok, err := pay.Expire(ctx, o.ID); err != nil || ok {
		t.Fatalf("Expire of a paid order = %v, %v", ok, err)
	}
	if ok, err := shop.ExpireOrder(ctx, o.ID); err != nil || ok {
		t.Fatalf("ExpireOrder of a paid order = %v, %v", ok, err)
	}
	if st, err := e.svc.Stats(ctx, d.ID); err != nil || st.Sold != 1 || st.Drop.Left != 0 {
		t.Fatalf("stats %+v, %v; want the unit sold", st, err)
	}
}
