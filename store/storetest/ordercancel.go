package storetest

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"shopbot/commerce"
)

// runOrderCancel runs the topic of a seller cancelling orders with a
// reason until they ship: the conditional update, the stock coming back,
// the events the buyer's notice comes from, and the race with a shipment,
// of which exactly one wins.
func runOrderCancel(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"cancel with a reason", testSellerCancelOrder},
		{"the shop's rules: by number, once, not after shipment", testSellerCancelRules},
		{"an event that fails rolls the cancellation back", testSellerCancelRollsBack},
		{"cancel and ship at once: exactly one wins", testSellerCancelVsShipment},
	})
}

const cancelReason = "The supplier could not deliver this item"

func (e *pickupEnv) stock() int {
	e.t.Helper()
	p, err := e.s.Product(e.ctx, e.prod.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return p.Stock
}

func testSellerCancelOrder(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	o := e.confirmed(alice, e.a)
	stock := e.stock()
	e.log.reset()
	at := e.clock.Now()
	got, err := e.s.SellerCancelOrder(e.ctx, commerce.Cancellation{OrderID: o.ID, From: commerce.StatusConfirmed, Reason: cancelReason, By: "tg:9", At: at})
	if err != nil || got.Status != commerce.StatusCancelled || got.CancelReason != cancelReason || got.CancelledBy != "tg:9" {
		t.Fatalf("SellerCancelOrder = %+v, %v", got, err)
	}
	if reread, err := e.s.Order(e.ctx, o.ID); err != nil || reread.CancelReason != cancelReason || reread.CancelledBy != "tg:9" {
		t.Fatalf("Order after the cancellation = %+v, %v", reread, err)
	}
	if s := e.stock(); s != stock+1 {
		t.Fatalf("stock %d after cancelling an order of 1; want %d", s, stock+1)
	}
	events := e.log.all()
	if len(events) != 2 || events[0].EventName() != "order_status_changed" || events[1].EventName() != "seller_cancelled_order" {
		t.Fatalf("events %v; want order_status_changed, then seller_cancelled_order", events)
	}
	if ev := events[1].(commerce.SellerCancelledOrder); ev.Order.ID != o.ID || ev.Order.CancelReason != cancelReason || ev.Order.ChatID != o.ChatID {
		t.Fatalf("SellerCancelledOrder = %+v", ev)
	}
	// No longer confirmed: a second cancellation changes nothing, its
	// reason included.
	_, err = e.s.SellerCancelOrder(e.ctx, commerce.Cancellation{OrderID: o.ID, From: commerce.StatusConfirmed, Reason: "other", By: "cli", At: at})
	wantErr(t, "cancel a cancelled order", err, commerce.ErrConflict)
	if reread, _ := e.s.Order(e.ctx, o.ID); reread.CancelReason != cancelReason || reread.CancelledBy != "tg:9" || e.stock() != stock+1 {
		t.Fatalf("a refused cancellation changed %+v (stock %d)", reread, e.stock())
	}
	// A pending order's reserved stock comes back too.
	p := e.confirmed(alice, e.a)
	if _, err := e.s.SellerCancelOrder(e.ctx, commerce.Cancellation{OrderID: p.ID, From: commerce.StatusPending, Reason: "x", By: "cli", At: at}); !errors.Is(err, commerce.ErrConflict) {
		t.Fatalf("cancel a confirmed order as pending: %v; want ErrConflict", err)
	}
	// Shipped is too late, whatever the caller claims.
	_, err = e.s.SellerCancelOrder(e.ctx, commerce.Cancellation{OrderID: p.ID, From: commerce.StatusShipped, Reason: "x", By: "cli", At: at})
	wantErr(t, "cancel from shipped", err, commerce.ErrInvalidTransition)
	_, err = e.s.SellerCancelOrder(e.ctx, commerce.Cancellation{OrderID: 1 << 40, From: commerce.StatusConfirmed, Reason: "x", By: "cli", At: at})
	wantErr(t, "cancel an unknown order", err, commerce.ErrNotFound)
}

func testSellerCancelRules(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	shop := commerce.NewShop(commerce.ShopOptions{Store: e.s, Clock: e.clock})
	o := e.confirmed(alice, e.a)
	stock := e.stock()
	got, cancelled, err := shop.SellerCancel(e.ctx, " "+strings.ToLower(o.Number[:3])+" "+strings.ToLower(o.Number[3:]), "  "+cancelReason+"\n", "cli")
	if err != nil || !cancelled || got.Status != commerce.StatusCancelled || got.CancelReason != cancelReason {
		t.Fatalf("SellerCancel = %+v, %v, %v", got, cancelled, err)
	}
	if got, cancelled, err := shop.SellerCancel(e.ctx, o.Number, "again", "cli"); err != nil || cancelled || got.CancelReason != cancelReason {
		t.Fatalf("cancel again = %+v, %v, %v; want the order as it was, not cancelled now", got, cancelled, err)
	}
	shipped := e.confirmed(alice, e.a)
	if r, err := e.p.Ship(e.ctx, commerce.Shipment{PointID: e.a.ID, Numbers: []string{shipped.Number}}); err != nil || len(r.Moved) != 1 {
		t.Fatalf("Ship = %+v, %v", r, err)
	}
	_, _, err = shop.SellerCancel(e.ctx, shipped.Number, cancelReason, "cli")
	wantErr(t, "cancel a shipped order", err, commerce.ErrTooLate)
	if cur, _ := e.s.Order(e.ctx, shipped.ID); cur.Status != commerce.StatusShipped || cur.CancelReason != "" {
		t.Fatalf("a late cancellation changed %+v", cur)
	}
	_, _, err = shop.SellerCancel(e.ctx, "ZZZZZZ", cancelReason, "cli")
	wantErr(t, "cancel an unknown order", err, commerce.ErrNotFound)
	for _, reason := range []string{"", "   ", strings.Repeat("я", commerce.MaxCancelReason+1), "bell\a"} {
		_, _, err = shop.SellerCancel(e.ctx, shipped.Number, reason, "cli")
		wantErr(t, "reason "+reason, err, commerce.ErrInvalid)
	}
	if s := e.stock(); s != stock { // one order back, one (shipped) more taken
		t.Fatalf("stock %d; want %d (one order cancelled, one placed and shipped)", s, stock)
	}
}

func testSellerCancelRollsBack(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	o := e.confirmed(alice, e.a)
	stock := e.stock()
	e.log.failOn("seller_cancelled_order")
	_, err := e.s.SellerCancelOrder(e.ctx, commerce.Cancellation{OrderID: o.ID, From: commerce.StatusConfirmed, Reason: cancelReason, By: "cli", At: e.clock.Now()})
	if err == nil {
		t.Fatal("SellerCancelOrder succeeded though its event failed")
	}
	if cur, _ := e.s.Order(e.ctx, o.ID); cur.Status != commerce.StatusConfirmed || cur.CancelReason != "" || e.stock() != stock {
		t.Fatalf("after a failed event: %+v, stock %d (want %d)", cur, e.stock(), stock)
	}
}

// testSellerCancelVsShipment races, for each of several confirmed orders,
// sellers cancelling it against the seller shipping it, all released at
// once: each order ends cancelled (stock back, the shipments skipped it)
// or shipped (every cancellation too late), never both.
func testSellerCancelVsShipment(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	shop := commerce.NewShop(commerce.ShopOptions{Store: e.s, Clock: e.clock})
	const orders, each = 6, 3
	var list []commerce.Order
	for range orders {
		list = append(list, e.confirmed(alice, e.a))
	}
	stock := e.stock()
	type outcome struct {
		cancelled, tooLate, already, shipped, skipped int
	}
	results := make([]outcome, orders)
	var mu sync.Mutex
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, o := range list {
		for range each {
			wg.Go(func() {
				<-start
				_, cancelled, err := shop.SellerCancel(e.ctx, o.Number, cancelReason, "cli")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case errors.Is(err, commerce.ErrTooLate):
					results[i].tooLate++
				case err != nil:
					t.Errorf("SellerCancel %s: %v", o.Number, err)
				case cancelled:
					results[i].cancelled++
				default:
					results[i].already++
				}
			})
			wg.Go(func() {
				<-start
				r, err := e.p.Ship(e.ctx, commerce.Shipment{PointID: e.a.ID, Numbers: []string{o.Number}})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("Ship %s: %v", o.Number, err)
					return
				}
				results[i].shipped += len(r.Moved)
				results[i].skipped += len(r.Skipped)
			})
		}
	}
	close(start)
	wg.Wait()
	cancelledOrders := 0
	for i, o := range list {
		r := results[i]
		cur, err := e.s.Order(e.ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch cur.Status {
		case commerce.StatusCancelled:
			cancelledOrders++
			if r.cancelled != 1 || r.shipped != 0 || r.tooLate != 0 || r.already != each-1 || cur.CancelReason != cancelReason {
				t.Errorf("order %d cancelled with outcomes %+v", i, r)
			}
		case commerce.StatusShipped:
			if r.shipped != 1 || r.cancelled != 0 || r.already != 0 || r.tooLate != each || cur.CancelReason != "" {
				t.Errorf("order %d shipped with outcomes %+v, reason %q", i, r, cur.CancelReason)
			}
		default:
			t.Errorf("order %d ended %s", i, cur.Status)
		}
	}
	if s := e.stock(); s != stock+cancelledOrders {
		t.Fatalf("stock %d; want %d (%d orders cancelled)", s, stock+cancelledOrders, cancelledOrders)
	}
}
