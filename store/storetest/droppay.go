package storetest

import (
	"context"
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
	})
}

// newDropPayEnv is a drop flow env whose drop orders wait for payment.
func newDropPayEnv(t *testing.T, open OpenShop) (*dropFlowEnv, *commerce.Shop) {
	t.Helper()
	e := newDropFlowEnv(t, open)
	pay := commerce.NewPayments(commerce.PaymentsOptions{Store: e.s, Clock: e.clock, Telegram: true})
	e.svc.UsePayments(pay)
	shop := commerce.NewShop(commerce.ShopOptions{Store: e.s, Clock: e.clock})
	shop.UsePayments(pay)
	return e, shop
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
