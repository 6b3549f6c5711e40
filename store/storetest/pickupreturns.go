package storetest

import (
	"testing"
	"time"

	"shopbot/commerce"
)

// collect hands a new order of alice over at pt.
func (e *pickupEnv) collect(pt commerce.PickupPoint, staff string) commerce.Order {
	e.t.Helper()
	o := e.readyOrder(alice, pt)
	got, err := e.p.Redeem(e.ctx, staff, pt.ID, e.pass(o).Code)
	if err != nil {
		e.t.Fatal(err)
	}
	return got.Order
}

// refund is alice's request to return o for a refund.
func refund(o commerce.Order) commerce.ReturnRequest {
	return commerce.ReturnRequest{OrderID: o.ID, Kind: commerce.ReturnRefund, Reason: "wrong_size", Note: " too small "}
}

// testReturnRequest: who may start a return of what, its deadline, and a
// request started twice.
func testReturnRequest(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	o := e.collect(e.a, "tg:100")
	notCollected := e.readyOrder(alice, e.a)
	req := refund(o)
	wantErr(t, "someone else's order", func() error { _, err := e.p.StartReturn(e.ctx, mallory, req); return err }(), commerce.ErrNotFound)
	for name, bad := range map[string]commerce.ReturnRequest{
		"kind":          {OrderID: o.ID, Kind: "refund-please", Reason: "other"},
		"reason":        {OrderID: o.ID, Kind: commerce.ReturnRefund, Reason: "because"},
		"not collected": {OrderID: notCollected.ID, Kind: commerce.ReturnRefund, Reason: "other"},
	} {
		wantErr(t, "bad "+name, func() error { _, err := e.p.StartReturn(e.ctx, alice, bad); return err }(), commerce.ErrInvalid)
	}
	deadline, err := e.p.ReturnDeadline(e.ctx, alice, o.ID)
	if err != nil || !deadline.Equal(pickupStart.Add(7*24*time.Hour)) {
		t.Fatalf("ReturnDeadline = %v, %v", deadline, err)
	}
	r, err := e.p.StartReturn(e.ctx, alice, req)
	if err != nil || r.Status != commerce.ReturnRequested || r.PointID != e.a.ID || r.Note != "too small" || r.OrderNumber != o.Number {
		t.Fatalf("StartReturn = %+v, %v", r, err)
	}
	if again, err := e.p.StartReturn(e.ctx, alice, req); err != nil || again.ID != r.ID {
		t.Fatalf("StartReturn twice = %+v, %v", again, err)
	}
	if ev := e.log.named("return_changed"); len(ev) != 1 || ev[0].(commerce.ReturnChanged).From != "" || ev[0].(commerce.ReturnChanged).TimeZone != "Asia/Shanghai" {
		t.Fatalf("ReturnChanged events = %+v", ev)
	}
}

// testReturnAccepted: a drop-off booked and moved (it shares the slots and
// their capacity with pickups), then staff of the point accept the return.
func testReturnAccepted(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	o := e.collect(e.a, "tg:100")
	req := refund(o)
	r, err := e.p.StartReturn(e.ctx, alice, req)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, "drop-off at another point", func() error { _, err := e.p.BookDropoff(e.ctx, alice, r.ID, slotAt(e.b, at(26, 10, 0))); return err }(), commerce.ErrInvalid)
	wantErr(t, "past drop-off", func() error { _, err := e.p.BookDropoff(e.ctx, alice, r.ID, slotAt(e.a, at(24, 10, 0))); return err }(), commerce.ErrInvalid)
	wantErr(t, "drop-off for someone else", func() error { _, err := e.p.BookDropoff(e.ctx, mallory, r.ID, slotAt(e.a, at(26, 10, 0))); return err }(), commerce.ErrNotFound)
	r, err = e.p.BookDropoff(e.ctx, alice, r.ID, slotAt(e.a, at(26, 10, 0)))
	if err != nil || r.Status != commerce.ReturnDropoffBooked || !r.SlotStart.Equal(at(26, 10, 0)) || e.booked(e.a, at(26, 10, 0)) != 1 {
		t.Fatalf("BookDropoff = %+v, %v", r, err)
	}
	r, err = e.p.BookDropoff(e.ctx, alice, r.ID, slotAt(e.a, at(26, 11, 0)))
	if err != nil || e.booked(e.a, at(26, 10, 0)) != 0 || e.booked(e.a, at(26, 11, 0)) != 1 {
		t.Fatalf("move drop-off = %+v, %v", r, err)
	}
	if list, err := e.p.OpenReturns(e.ctx, "web:anna", e.a.ID); err != nil || len(list) != 1 || list[0].ID != r.ID {
		t.Fatalf("OpenReturns = %+v, %v", list, err)
	}
	wantErr(t, "open returns for another point's staff", func() error { _, err := e.p.OpenReturns(e.ctx, "tg:200", e.a.ID); return err }(), commerce.ErrForbidden)
	wantErr(t, "accept by staff of another point", func() error { _, err := e.p.AcceptReturn(e.ctx, "tg:200", e.a.ID, r.ID, ""); return err }(), commerce.ErrForbidden)
	wantErr(t, "accept at another point", func() error { _, err := e.p.AcceptReturn(e.ctx, "tg:200", e.b.ID, r.ID, ""); return err }(), commerce.ErrWrongPoint)

	e.clock.Set(at(26, 11, 10))
	e.log.reset()
	r, err = e.p.AcceptReturn(e.ctx, "tg:100", e.a.ID, r.ID, "unworn, tags on")
	if err != nil || r.Status != commerce.ReturnAccepted || r.DecidedBy != "tg:100" || r.DecisionNote != "unworn, tags on" {
		t.Fatalf("AcceptReturn = %+v, %v", r, err)
	}
	if cur, _ := e.s.Order(e.ctx, o.ID); cur.Status != commerce.StatusReturned {
		t.Fatalf("order after accepted return is %s", cur.Status)
	}
	if ev := e.log.named("return_changed"); len(ev) != 1 || ev[0].(commerce.ReturnChanged).From != commerce.ReturnDropoffBooked ||
		ev[0].(commerce.ReturnChanged).Order.Status != commerce.StatusReturned || len(e.log.named("order_status_changed")) != 1 {
		t.Fatalf("events = %+v", e.log.all())
	}
	wantErr(t, "decide twice", func() error { _, err := e.p.RejectReturn(e.ctx, "tg:100", e.a.ID, r.ID, ""); return err }(), commerce.ErrInvalidTransition)
	wantErr(t, "return a returned order", func() error { _, err := e.p.StartReturn(e.ctx, alice, req); return err }(), commerce.ErrInvalid)
}

// testExchange: an exchange leaves the order picked up; a cancelled request
// frees its seat.
func testExchange(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	x := e.collect(e.a, "tg:100")
	ex, err := e.p.StartReturn(e.ctx, alice, commerce.ReturnRequest{OrderID: x.ID, Kind: commerce.ReturnExchange, Reason: "defective"})
	if err != nil {
		t.Fatal(err)
	}
	if ex, err = e.p.BookDropoff(e.ctx, alice, ex.ID, slotAt(e.a, at(27, 10, 0))); err != nil {
		t.Fatal(err)
	}
	if ex, err = e.p.CancelReturn(e.ctx, alice, ex.ID); err != nil || ex.Status != commerce.ReturnCancelled || e.booked(e.a, at(27, 10, 0)) != 0 {
		t.Fatalf("CancelReturn = %+v, %v; seats %d", ex, err, e.booked(e.a, at(27, 10, 0)))
	}
	if again, err := e.p.CancelReturn(e.ctx, alice, ex.ID); err != nil || again.Status != commerce.ReturnCancelled {
		t.Fatalf("cancel twice = %+v, %v", again, err)
	}
	ex2, err := e.p.StartReturn(e.ctx, alice, commerce.ReturnRequest{OrderID: x.ID, Kind: commerce.ReturnExchange, Reason: "defective"})
	if err != nil || ex2.ID == ex.ID {
		t.Fatalf("new request after a cancelled one = %+v, %v", ex2, err)
	}
	if ex2, err = e.p.AcceptReturn(e.ctx, "web:anna", e.a.ID, ex2.ID, ""); err != nil || ex2.Status != commerce.ReturnAccepted {
		t.Fatalf("accept walk-in exchange = %+v, %v", ex2, err)
	}
	if cur, _ := e.s.Order(e.ctx, x.ID); cur.Status != commerce.StatusPickedUp {
		t.Fatalf("exchange moved the order to %s", cur.Status)
	}
	if list, err := e.p.Returns(e.ctx, alice, x.ID); err != nil || len(list) != 2 || list[0].ID != ex2.ID {
		t.Fatalf("Returns = %+v, %v", list, err)
	}
}

// testReturnPeriod: a return starts until the end of the return period.
func testReturnPeriod(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	y := e.collect(e.a, "tg:100")
	e.clock.Advance(7*24*time.Hour - time.Second)
	if _, err := e.p.ReturnDeadline(e.ctx, alice, y.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	wantErr(t, "after the return period", func() error {
		_, err := e.p.StartReturn(e.ctx, alice, commerce.ReturnRequest{OrderID: y.ID, Kind: commerce.ReturnRepair, Reason: "defective"})
		return err
	}(), commerce.ErrReturnWindowClosed)
}
