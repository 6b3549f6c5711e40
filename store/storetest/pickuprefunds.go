package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"shopbot/commerce"
)

// The pickup-refunds topic (issue 14): a return staff accept refunds the
// order's payment, once, and an exchange or a repair refunds nothing; an
// order not collected within its hold period is cancelled by a seller
// with its stock back and its payment refunded, once.

// runPickupRefunds runs the pickup-refunds topic.
func runPickupRefunds(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"AcceptedReturnRefunds", testAcceptedReturnRefunds},
		{"ExchangeRefundsNothing", testExchangeRefundsNothing},
		{"OverdueCancelRefunds", testOverdueCancelRefunds},
		{"OverdueCancelUnpaid", testOverdueCancelUnpaid},
	})
}

// payingPickupEnv is a pickup env whose accepted returns refund through Payments.
func payingPickupEnv(t *testing.T, open OpenShop) (*pickupEnv, *commerce.Payments) {
	t.Helper()
	e := newPickupEnv(t, open, nil)
	pay := commerce.NewPayments(commerce.PaymentsOptions{Store: e.s, Flow: e.s, Clock: e.clock})
	e.p.UsePayments(pay)
	return e, pay
}

// paidCollected hands over a new order of alice at e.a, paid in cash at the counter.
func (e *pickupEnv) paidCollected() commerce.Order {
	e.t.Helper()
	o := e.readyOrder(alice, e.a)
	if _, _, err := e.s.RecordPayment(e.ctx, o.ID, commerce.Payment{At: e.clock.Now(), Method: commerce.PayCash, Amount: o.Total, By: "tg:100"}); err != nil {
		e.t.Fatal(err)
	}
	got, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, e.pass(o).Code)
	if err != nil {
		e.t.Fatal(err)
	}
	return got.Order
}

// testAcceptedReturnRefunds: accepting a return of an order paid at the
// counter records a manual refund of the whole payment, keyed by the
// return; asking again changes nothing.
func testAcceptedReturnRefunds(t *testing.T, open OpenShop) {
	e, pay := payingPickupEnv(t, open)
	o := e.paidCollected()
	r, err := e.p.StartReturn(e.ctx, alice, refund(o))
	if err != nil {
		t.Fatal(err)
	}
	e.log.reset()
	if _, err := e.p.AcceptReturn(e.ctx, "tg:100", e.a.ID, r.ID, ""); err != nil {
		t.Fatal(err)
	}
	refunds, err := pay.Refunds(e.ctx, o.ID)
	if err != nil || len(refunds) != 1 {
		t.Fatalf("Refunds = %+v, %v; want one", refunds, err)
	}
	rf := refunds[0]
	if rf.Amount != o.Total || rf.State != commerce.RefundManual || rf.Method != commerce.PayCash || rf.Key != fmt.Sprintf("return:%d", r.ID) || rf.By != "tg:100" {
		t.Fatalf("refund %+v; want a manual cash refund of %v keyed by the return", rf, o.Total)
	}
	if ev := e.log.named("refund_created"); len(ev) != 1 || ev[0].(commerce.RefundCreated).Refund.ID != rf.ID {
		t.Fatalf("events %+v; want one RefundCreated", ev)
	}
	if again, created, err := e.p.RefundReturn(e.ctx, r.ID, "tg:100"); err != nil || created || again.ID != 0 && again.ID != rf.ID {
		t.Fatalf("RefundReturn again = %+v, %v, %v; want nothing new", again, created, err)
	}
	if refunds, _ := pay.Refunds(e.ctx, o.ID); len(refunds) != 1 {
		t.Fatalf("refunds after asking again: %+v", refunds)
	}
	if left, err := pay.Refundable(e.ctx, e.orderNow(o.ID)); err != nil || left != 0 {
		t.Fatalf("Refundable = %d, %v; want 0", left, err)
	}
}

// testExchangeRefundsNothing: an accepted exchange leaves the payment alone.
func testExchangeRefundsNothing(t *testing.T, open OpenShop) {
	e, pay := payingPickupEnv(t, open)
	o := e.paidCollected()
	r, err := e.p.StartReturn(e.ctx, alice, commerce.ReturnRequest{OrderID: o.ID, Kind: commerce.ReturnExchange, Reason: "defective"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.AcceptReturn(e.ctx, "tg:100", e.a.ID, r.ID, ""); err != nil {
		t.Fatal(err)
	}
	if refunds, err := pay.Refunds(e.ctx, o.ID); err != nil || len(refunds) != 0 {
		t.Fatalf("Refunds after an exchange = %+v, %v; want none", refunds, err)
	}
}

func (e *pickupEnv) orderNow(id int64) commerce.Order {
	e.t.Helper()
	o, err := e.s.Order(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// overdueDesk is the seller's desk over e (the hold period: 7 days).
func (e *pickupEnv) overdueDesk() *commerce.OrderDesk {
	shop := commerce.NewShop(commerce.ShopOptions{Store: e.s, Clock: e.clock})
	return commerce.NewOrderDesk(commerce.OrderDeskOptions{Store: e.s, Shop: shop, Pickup: e.p, Clock: e.clock})
}

// testOverdueCancelRefunds: within the hold period nothing is cancelled;
// past it the seller cancels the paid order, the stock comes back, the
// buyer is told and the payment is refunded, once however often it is
// asked.
func testOverdueCancelRefunds(t *testing.T, open OpenShop) {
	e, pay := payingPickupEnv(t, open)
	desk := e.overdueDesk()
	o := e.readyOrder(alice, e.a)
	if _, _, err := e.s.RecordPayment(e.ctx, o.ID, commerce.Payment{At: e.clock.Now(), Method: commerce.PayTransfer, Amount: o.Total, By: "cli"}); err != nil {
		t.Fatal(err)
	}
	stock := e.stock()
	e.clock.Advance(7*24*time.Hour - time.Minute)
	if over, err := desk.Overdue(e.ctx, e.orderNow(o.ID)); err != nil || over {
		t.Fatalf("Overdue within the hold = %v, %v", over, err)
	}
	wantErr(t, "within the hold", func() error { _, _, err := desk.CancelOverdue(e.ctx, o.Number, "not collected", "cli"); return err }(), commerce.ErrHoldNotOver)
	if got := e.orderNow(o.ID); got.Status != commerce.StatusReadyForPickup {
		t.Fatalf("a refused cancel changed the order: %s", got.Status)
	}
	e.clock.Advance(time.Minute)
	if over, err := desk.Overdue(e.ctx, e.orderNow(o.ID)); err != nil || !over {
		t.Fatalf("Overdue past the hold = %v, %v", over, err)
	}
	e.log.reset()
	c, cancelled, err := desk.CancelOverdue(e.ctx, strings.ToLower(o.Number), "not collected", "tg:1")
	if err != nil || !cancelled || c.Status != commerce.StatusCancelled || c.CancelReason != "not collected" || c.CancelledBy != "tg:1" {
		t.Fatalf("CancelOverdue = %+v, %v, %v", c, cancelled, err)
	}
	if got := e.stock(); got != stock+o.Lines[0].Qty {
		t.Fatalf("stock %d after the cancel; want %d", got, stock+o.Lines[0].Qty)
	}
	if ev := e.log.named("seller_cancelled_order"); len(ev) != 1 {
		t.Fatalf("events %+v; want one SellerCancelledOrder", e.log.all())
	}
	for range 2 {
		if again, cancelled, err := desk.CancelOverdue(e.ctx, o.Number, "again", "tg:1"); err != nil || cancelled || again.CancelReason != "not collected" {
			t.Fatalf("CancelOverdue again = %+v, %v, %v", again, cancelled, err)
		}
	}
	refunds, err := pay.Refunds(e.ctx, o.ID)
	if err != nil || len(refunds) != 1 || refunds[0].Key != "hold:"+o.Number || refunds[0].Amount != o.Total ||
		refunds[0].State != commerce.RefundManual || refunds[0].Reason != "not collected" {
		t.Fatalf("refunds %+v, %v; want one manual refund of the whole payment", refunds, err)
	}
	if _, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, e.pass(o).Code); err == nil {
		t.Fatal("a cancelled order handed over")
	}
}

// testOverdueCancelUnpaid: an unpaid overdue order is cancelled (without
// payments configured); a collected order is no overdue one.
func testOverdueCancelUnpaid(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	desk := e.overdueDesk()
	o := e.readyOrder(alice, e.a)
	collected := e.paidCollected()
	e.clock.Advance(8 * 24 * time.Hour)
	stock := e.stock()
	if c, cancelled, err := desk.CancelOverdue(e.ctx, o.Number, "not collected", "cli"); err != nil || !cancelled || c.Status != commerce.StatusCancelled {
		t.Fatalf("CancelOverdue = %s, %v, %v", c.Status, cancelled, err)
	}
	if got := e.stock(); got != stock+o.Lines[0].Qty {
		t.Fatalf("stock %d after the cancel; want %d", got, stock+o.Lines[0].Qty)
	}
	wantErr(t, "a collected order", func() error { _, _, err := desk.CancelOverdue(e.ctx, collected.Number, "x", "cli"); return err }(), commerce.ErrHoldNotOver)
	wantErr(t, "no reason", func() error { _, _, err := desk.CancelOverdue(e.ctx, o.Number, " ", "cli"); return err }(), commerce.ErrInvalid)
	wantErr(t, "an unknown order", func() error { _, _, err := desk.CancelOverdue(e.ctx, "ZZZZZZ", "x", "cli"); return err }(), commerce.ErrNotFound)
}
