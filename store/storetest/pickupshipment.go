package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"shopbot/commerce"
)

// shipment is a batch B-1125 shipped to point A: orders o1 and o2 of A
// moved, o3 (of point B) and a pending order skipped.
type shipment struct {
	o1, o2, o3, pending commerce.Order
	report              commerce.MoveReport
}

func ship(t *testing.T, e *pickupEnv) shipment {
	t.Helper()
	var sh shipment
	sh.o1, sh.o2 = e.confirmed(alice, e.a), e.confirmed(alice, e.a)
	sh.o3 = e.confirmed(alice, e.b)
	var err error
	sh.pending, _, err = e.s.PlaceOrder(e.ctx, commerce.Order{Number: commerce.NewOrderNumber(), Buyer: alice, ChatID: "alice", Lang: "en",
		Status: commerce.StatusPending, PickupPointID: e.a.ID, ContactName: "A", Phone: "+8613800000000", IdempotencyKey: "arrival-pending",
		CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now(), ExpiresAt: e.clock.Now().Add(time.Hour), Total: e.prod.Price,
		Lines: []commerce.OrderLine{{ProductID: e.prod.ID, SKU: e.prod.SKU, Title: e.prod.Title, UnitPrice: e.prod.Price, Qty: 1}}}, commerce.PersonLimits{})
	if err != nil {
		t.Fatal(err)
	}
	sh.report, err = e.p.Ship(e.ctx, commerce.Shipment{PointID: e.a.ID, Batch: " b-1125 ",
		Numbers: []string{strings.ToLower(sh.o1.Number), sh.o2.Number, sh.o3.Number, sh.pending.Number, "ZZZZZZ", sh.o1.Number}})
	if err != nil {
		t.Fatal(err)
	}
	return sh
}

// testShipping: what a shipment moves and skips, its batch, and the
// shipments and check-ins refused before anything moves.
func testShipping(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	sh := ship(t, e)
	o1, o2, o3, pending, r := sh.o1, sh.o2, sh.o3, sh.pending, sh.report
	wantSkips := []commerce.Skipped{{Number: o3.Number, Reason: commerce.SkipOtherPoint, Status: commerce.StatusConfirmed},
		{Number: pending.Number, Reason: commerce.SkipWrongStatus, Status: commerce.StatusPending}, {Number: "ZZZZZZ", Reason: commerce.SkipUnknown}}
	if len(r.Moved) != 2 || r.Moved[0].ID != o1.ID || r.Moved[1].Status != commerce.StatusShipped || !slices.Equal(r.Skipped, wantSkips) {
		t.Fatalf("Ship = %+v", r)
	}
	batch, err := e.s.Batch(e.ctx, "B-1125")
	if err != nil || batch.PointID != e.a.ID || !slices.Equal(batch.OrderIDs, []int64{o1.ID, o2.ID}) {
		t.Fatalf("Batch = %+v, %v", batch, err)
	}
	wantErr(t, "ship to another point's batch", func() error {
		_, err := e.p.Ship(e.ctx, commerce.Shipment{PointID: e.b.ID, Batch: "B-1125", Numbers: []string{o3.Number}})
		return err
	}(), commerce.ErrWrongPoint)
	if cur, _ := e.s.Order(e.ctx, o3.ID); cur.Status != commerce.StatusConfirmed {
		t.Fatalf("a refused shipment moved an order: %s", cur.Status)
	}
	wantErr(t, "arrival of another point's batch", func() error {
		_, err := e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.b.ID, Batch: "B-1125"})
		return err
	}(), commerce.ErrWrongPoint)
	wantErr(t, "arrival of an unknown batch", func() error {
		_, err := e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.a.ID, Batch: "NOPE"})
		return err
	}(), commerce.ErrNotFound)
	wantErr(t, "empty arrival", func() error { _, err := e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.a.ID}); return err }(), commerce.ErrInvalid)
	wantErr(t, "bad batch code", func() error {
		_, err := e.p.Ship(e.ctx, commerce.Shipment{PointID: e.a.ID, Batch: "no spaces please", Numbers: []string{o1.Number}})
		return err
	}(), commerce.ErrInvalid)
}

// testArrival: a check-in of the batch moves its orders to ready for
// pickup, with events and a code each; a repeated check-in is harmless.
func testArrival(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	sh := ship(t, e)
	o1, o2, o3 := sh.o1, sh.o2, sh.o3
	e.log.reset()
	r, err := e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.a.ID, Batch: "b-1125", Numbers: []string{o3.Number}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Moved) != 2 || r.Moved[0].Status != commerce.StatusReadyForPickup || len(r.Skipped) != 1 || r.Skipped[0].Reason != commerce.SkipOtherPoint {
		t.Fatalf("MarkArrived = %+v", r)
	}
	changes := e.log.named("order_status_changed")
	if len(changes) != 4 || changes[0].(commerce.OrderStatusChanged).To != commerce.StatusArrived || changes[1].(commerce.OrderStatusChanged).To != commerce.StatusReadyForPickup {
		t.Fatalf("status events = %+v", changes)
	}
	arrived := e.log.named("order_arrived")
	if len(arrived) != 2 || arrived[0].(commerce.OrderArrived).Order.ID != o1.ID || arrived[0].(commerce.OrderArrived).Order.Status != commerce.StatusReadyForPickup ||
		!arrived[0].(commerce.OrderArrived).ReadyAt.Equal(pickupStart) {
		t.Fatalf("OrderArrived events = %+v", arrived)
	}
	c1, err1 := e.s.CodeOf(e.ctx, o1.ID)
	c2, err2 := e.s.CodeOf(e.ctx, o2.ID)
	if err1 != nil || err2 != nil || !commerce.ValidPickupCode(c1.Code) || c1.Code == c2.Code || c1.PointID != e.a.ID ||
		!c1.ExpiresAt.Equal(pickupStart.Add(30*24*time.Hour)) || c1.Redeemed() {
		t.Fatalf("codes %+v %+v (%v, %v)", c1, c2, err1, err2)
	}
	wantErr(t, "code of an order not arrived", func() error { _, err := e.s.CodeOf(e.ctx, o3.ID); return err }(), commerce.ErrNotFound)
	// A repeated check-in is harmless.
	r, err = e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.a.ID, Numbers: []string{o1.Number}})
	if err != nil || len(r.Moved) != 0 || r.Skipped[0].Reason != commerce.SkipWrongStatus || r.Skipped[0].Status != commerce.StatusReadyForPickup {
		t.Fatalf("second MarkArrived = %+v, %v", r, err)
	}
	if again, _ := e.s.CodeOf(e.ctx, o1.ID); again.Code != c1.Code {
		t.Fatal("a repeated check-in changed the code")
	}
}

func testCodeCollisions(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	var orders []commerce.Order
	for _, pt := range []commerce.PickupPoint{e.a, e.a, e.b} {
		o := e.confirmed(alice, pt)
		if _, err := e.s.ShipOrder(e.ctx, o.ID, pt.ID, "", e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		orders = append(orders, o)
	}
	seq := []string{"111111", "111111", "222222", "111111"}
	var i int
	next := func() string { i++; return seq[i-1] }
	arrive := func(o commerce.Order) commerce.PickupCode {
		t.Helper()
		_, c, err := e.s.ArriveOrder(e.ctx, commerce.ArrivalRecord{OrderID: o.ID, PointID: o.PickupPointID, At: e.clock.Now(),
			ExpiresAt: e.clock.Now().Add(time.Hour), NewCode: next})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := arrive(orders[0]); c.Code != "111111" {
		t.Fatalf("first code %s", c.Code)
	}
	if c := arrive(orders[1]); c.Code != "222222" || i != 3 {
		t.Fatalf("colliding code not retried: %s after %d tries", c.Code, i)
	}
	if c := arrive(orders[2]); c.Code != "111111" {
		t.Fatalf("code at another point = %s; the same digits are fine there", c.Code)
	}
	if got, err := e.s.CodeAt(e.ctx, e.a.ID, "222222"); err != nil || got.OrderID != orders[1].ID {
		t.Fatalf("CodeAt = %+v, %v", got, err)
	}
	wantErr(t, "arrive twice", func() error {
		_, _, err := e.s.ArriveOrder(e.ctx, commerce.ArrivalRecord{OrderID: orders[0].ID, PointID: e.a.ID, At: e.clock.Now(), NewCode: commerce.NewPickupCode})
		return err
	}(), commerce.ErrConflict)
	// A reissued code differs from every unredeemed code of the point, its own included.
	seq, i = []string{"111111", "222222", "333333"}, 0
	c, err := e.s.ReissueCode(e.ctx, orders[0].ID, next, e.clock.Now().Add(time.Hour), e.clock.Now())
	if err != nil || c.Code != "333333" {
		t.Fatalf("ReissueCode = %+v, %v", c, err)
	}
}
