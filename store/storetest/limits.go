package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shopbot/commerce"
)

// runLimits runs the per-person limits topic: open orders and their units,
// live drop reservations, waitlist places, the drop's per-buyer limit and
// the suspension of pay at pickup, each counting the person (linked
// identities) and, for orders, the phone; the concurrency claims with
// real goroutines.
func runLimits(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"OpenOrders", testLimitOpenOrders},
		{"OpenOrdersCountThePersonAndThePhone", testLimitOpenOrdersPerson},
		{"OpenUnits", testLimitOpenUnits},
		{"OpenOrdersUnderConcurrencyFromLinkedIdentities", testLimitOpenOrdersRaceLinked},
		{"OpenOrdersUnderConcurrencyOnOnePhone", testLimitOpenOrdersRacePhone},
		{"DropOrdersAreOpenOrders", testLimitDropOrders},
		{"Reservations", testLimitReservations},
		{"ReservationsUnderConcurrency", testLimitReservationsRace},
		{"DropLimitCountsThePerson", testLimitDropPerson},
		{"DropLimitUnderConcurrency", testLimitDropPersonRace},
		{"Waitlists", testLimitWaitlists},
		{"WaitlistsUnderConcurrency", testLimitWaitlistsRace},
		{"LapsedOrderSuspendsPayAtPickup", testLimitLapse},
	})
}

// wantLimit fails unless err is a *LimitError matching want with that limit.
func wantLimit(t *testing.T, what string, err, want error, limit int) {
	t.Helper()
	var le *commerce.LimitError
	if !errors.As(err, &le) || !errors.Is(err, want) || le.Limit != limit {
		t.Fatalf("%s: err = %v; want %v (limit %d)", what, err, want, limit)
	}
}

func (e *personEnv) stock(t *testing.T) int {
	t.Helper()
	p, err := e.s.Product(e.ctx, e.item.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p.Stock
}

func (e *personEnv) setStatus(t *testing.T, o commerce.Order, path ...commerce.OrderStatus) {
	t.Helper()
	from := o.Status
	for _, to := range path {
		if to == commerce.StatusPickedUp { // handed over: paid at pickup
			if _, _, err := e.s.RecordPayment(e.ctx, o.ID, commerce.Payment{At: e.clock.Now(), Method: commerce.PayCash, Amount: o.Total, By: "cli"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.s.SetOrderStatus(e.ctx, o.ID, from, to, e.clock.Now()); err != nil {
			t.Fatalf("order %s %s→%s: %v", o.Number, from, to, err)
		}
		from = to
	}
}

func testLimitOpenOrders(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	lim := commerce.PersonLimits{OpenOrders: 3}
	b := tgBuyer(1)
	var orders []commerce.Order
	for i := range 3 {
		o, err := e.place(b, "+8613800000001", 1, lim)
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
		orders = append(orders, o)
	}
	stock := e.stock(t)
	_, err := e.place(b, "+8613800000001", 1, lim)
	wantLimit(t, "fourth open order", err, commerce.ErrOpenOrders, 3)
	if got := e.stock(t); got != stock {
		t.Errorf("a refused order took stock: %d → %d", stock, got)
	}
	if list, _ := e.s.OrdersByBuyer(e.ctx, b, 10); len(list) != 3 {
		t.Errorf("a refused order was stored: %d orders", len(list))
	}
	// Cancelled and collected orders are not open.
	e.setStatus(t, orders[0], commerce.StatusCancelled)
	if _, err := e.place(b, "+8613800000001", 1, lim); err != nil {
		t.Fatalf("after a cancel: %v", err)
	}
	e.setStatus(t, orders[1], commerce.StatusConfirmed, commerce.StatusShipped, commerce.StatusArrived,
		commerce.StatusReadyForPickup, commerce.StatusPickedUp)
	if _, err := e.place(b, "+8613800000001", 1, lim); err != nil {
		t.Fatalf("after a pickup: %v", err)
	}
	// On the way and waiting at the point are still open.
	_, err = e.place(b, "+8613800000001", 1, lim)
	wantLimit(t, "with orders on the way", err, commerce.ErrOpenOrders, 3)
	u, err := e.s.OpenUsage(e.ctx, b.Identity(), "", e.clock.Now(), 0)
	if err != nil || u.Orders != 3 || u.Units != 3 {
		t.Errorf("OpenUsage = %+v, %v; want 3 orders of 3 units", u, err)
	}
}

func testLimitOpenOrdersPerson(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	lim := commerce.PersonLimits{OpenOrders: 3}
	tg, web, stranger := tgBuyer(1), webBuyer(1), wxBuyer(7)
	e.link(tg, web)
	e.mustPlace(tg, "+8613800000002", 1)
	e.mustPlace(web, "+8613800000002", 1)
	if _, err := e.place(web, "+8613800000002", 1, lim); err != nil {
		t.Fatalf("third order of the person: %v", err)
	}
	_, err := e.place(tg, "+8613800000004", 1, lim)
	wantLimit(t, "fourth order, from the other identity on another phone", err, commerce.ErrOpenOrders, 3)
	// Someone else giving the phone the person's orders are on is counted with them.
	_, err = e.place(stranger, "+8613800000002", 1, lim)
	wantLimit(t, "a stranger on the person's phone", err, commerce.ErrOpenOrders, 3)
	if _, err := e.place(stranger, "+8613800000009", 1, lim); err != nil {
		t.Fatalf("a stranger on their own phone: %v", err)
	}
}

func testLimitOpenUnits(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	lim := commerce.PersonLimits{OpenOrders: 3, OpenUnits: 20}
	b := tgBuyer(1)
	if _, err := e.place(b, "+8613800000001", 15, lim); err != nil {
		t.Fatal(err)
	}
	_, err := e.place(b, "+8613800000001", 6, lim)
	wantLimit(t, "21 units", err, commerce.ErrOpenUnits, 20)
	if _, err := e.place(b, "+8613800000001", 5, lim); err != nil {
		t.Fatalf("20 units: %v", err)
	}
}

// raceOrders places n orders at once, buyer(i) with phone(i), and counts
// those placed; every refusal must be a limit's.
func (e *personEnv) raceOrders(t *testing.T, n int, lim commerce.PersonLimits, buyer func(int) commerce.Buyer, phone func(int) string) int {
	t.Helper()
	var placed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, err := e.place(buyer(i), phone(i), 1, lim)
			var le *commerce.LimitError
			switch {
			case err == nil:
				placed.Add(1)
			case !errors.As(err, &le):
				t.Errorf("order %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	return int(placed.Load())
}

func testLimitOpenOrdersRaceLinked(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	ids := []commerce.Buyer{tgBuyer(1), wxBuyer(1), webBuyer(1)}
	e.link(ids[0], ids[1])
	e.link(ids[0], ids[2])
	stock := e.stock(t)
	n := e.raceOrders(t, 24, commerce.PersonLimits{OpenOrders: 3},
		func(i int) commerce.Buyer { return ids[i%3] },
		func(i int) string { return fmt.Sprintf("+861380000%04d", i) })
	if n != 3 {
		t.Fatalf("24 concurrent orders from 3 linked identities: %d placed; want 3", n)
	}
	if got := e.stock(t); got != stock-3 {
		t.Errorf("stock %d → %d; want 3 taken", stock, got)
	}
}

func testLimitOpenOrdersRacePhone(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	n := e.raceOrders(t, 24, commerce.PersonLimits{OpenOrders: 3},
		func(i int) commerce.Buyer { return webBuyer(100 + i) },
		func(int) string { return "+8613711110001" })
	if n != 3 {
		t.Fatalf("24 concurrent orders of strangers on one phone: %d placed; want 3", n)
	}
}

func testLimitDropOrders(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	lim := commerce.PersonLimits{OpenOrders: 2}
	b := tgBuyer(1)
	d := e.create(t, 10, 2)
	r, err := e.s.Reserve(e.ctx, d.ID, b, 1, "res-1", e.clock.Now(), lim)
	if err != nil {
		t.Fatal(err)
	}
	e.mustPlace(b, "+8613800000001", 1)
	e.mustPlace(b, "+8613800000001", 1)
	o := commerce.Order{Number: commerce.NewOrderNumber(), Buyer: b, ChatID: b.UserID, Lang: "en", Status: commerce.StatusConfirmed,
		PickupPointID: e.point.ID, ContactName: "Li", Phone: "+8613800000001", IdempotencyKey: "drop-order-1",
		CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now(), ExpiresAt: e.clock.Now()}
	_, _, err = e.s.OrderDropReservation(e.ctx, o, r.ID, e.clock.Now(), lim)
	wantLimit(t, "a drop order over the open orders", err, commerce.ErrOpenOrders, 2)
	if got, _ := e.s.DropReservation(e.ctx, r.ID); got.Status != commerce.DropReserved {
		t.Errorf("refused drop order changed the reservation: %s", got.Status)
	}
	if _, _, err := e.s.OrderDropReservation(e.ctx, o, r.ID, e.clock.Now(), commerce.PersonLimits{OpenOrders: 3}); err != nil {
		t.Fatalf("within the limit: %v", err)
	}
	u, _ := e.s.OpenUsage(e.ctx, b.Identity(), "", e.clock.Now(), 0)
	if u.Orders != 3 {
		t.Errorf("open orders = %d; want the drop order counted", u.Orders)
	}
}

func testLimitReservations(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	lim := commerce.PersonLimits{Reservations: 2}
	tg, web := tgBuyer(1), webBuyer(1)
	e.link(tg, web)
	drops := []commerce.Drop{e.create(t, 5, 1), e.create(t, 5, 1), e.create(t, 5, 1)}
	if _, err := e.s.Reserve(e.ctx, drops[0].ID, tg, 1, "r0", e.clock.Now(), lim); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Reserve(e.ctx, drops[1].ID, web, 1, "r1", e.clock.Now(), lim); err != nil {
		t.Fatal(err)
	}
	_, err := e.s.Reserve(e.ctx, drops[2].ID, tg, 1, "r2", e.clock.Now(), lim)
	wantLimit(t, "third live reservation", err, commerce.ErrReservationLimit, 2)
	if left := e.left(t, drops[2].ID); left != 5 {
		t.Errorf("a refused reservation took a unit: %d left", left)
	}
	if r, err := e.s.Reserve(e.ctx, drops[0].ID, tg, 1, "r0", e.clock.Now(), lim); err != nil || !r.Replayed {
		t.Errorf("a retried key at the limit = %+v, %v; want its reservation", r, err)
	}
	e.clock.Advance(10 * time.Minute) // both expire (not yet released by the job: still no longer live)
	if _, err := e.s.Reserve(e.ctx, drops[2].ID, tg, 1, "r3", e.clock.Now(), lim); err != nil {
		t.Fatalf("after the others expired: %v", err)
	}
}

func testLimitReservationsRace(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	lim := commerce.PersonLimits{Reservations: 3}
	ids := []commerce.Buyer{tgBuyer(1), wxBuyer(1), webBuyer(1)}
	e.link(ids[0], ids[1])
	e.link(ids[0], ids[2])
	var drops []commerce.Drop
	for range 6 {
		drops = append(drops, e.create(t, 10, 5))
	}
	var made atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 18 {
		wg.Go(func() {
			<-start
			_, err := e.s.Reserve(e.ctx, drops[i%len(drops)].ID, ids[i%3], 1, fmt.Sprint("race-", i), e.clock.Now(), lim)
			switch {
			case err == nil:
				made.Add(1)
			case !errors.Is(err, commerce.ErrReservationLimit):
				t.Errorf("reserve %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := made.Load(); n != 3 {
		t.Fatalf("18 concurrent reservations over 6 drops from 3 linked identities: %d made; want 3", n)
	}
}

func testLimitDropPerson(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	tg, web := tgBuyer(1), webBuyer(1)
	d := e.create(t, 10, 2)
	if _, err := e.s.Reserve(e.ctx, d.ID, tg, 2, "tg-2", e.clock.Now(), commerce.PersonLimits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Reserve(e.ctx, d.ID, web, 1, "web-1", e.clock.Now(), commerce.PersonLimits{}); err != nil {
		t.Fatalf("before linking, another identity: %v", err)
	}
	e.link(tg, web)
	wx := wxBuyer(1)
	e.link(tg, wx)
	_, err := e.s.Reserve(e.ctx, d.ID, wx, 1, "wx-1", e.clock.Now(), commerce.PersonLimits{})
	wantErr(t, "a linked identity past the drop's limit", err, commerce.ErrDropLimit)
	if n, err := e.s.DropPersonTaken(e.ctx, d.ID, wx); err != nil || n != 3 {
		t.Errorf("DropPersonTaken = %d, %v; want 3 (linking keeps what both held)", n, err)
	}
}

func testLimitDropPersonRace(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	ids := []commerce.Buyer{tgBuyer(1), wxBuyer(1), webBuyer(1)}
	e.link(ids[0], ids[1])
	e.link(ids[0], ids[2])
	d := e.create(t, 50, 2)
	var units atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 15 {
		wg.Go(func() {
			<-start
			r, err := e.s.Reserve(e.ctx, d.ID, ids[i%3], 1, fmt.Sprint("tap-", i), e.clock.Now(), commerce.PersonLimits{})
			switch {
			case err == nil:
				units.Add(int64(r.Qty))
			case !errors.Is(err, commerce.ErrDropLimit):
				t.Errorf("reserve %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := units.Load(); n != 2 {
		t.Fatalf("15 concurrent taps from 3 linked identities took %d units; want the limit, 2", n)
	}
	if left := e.left(t, d.ID); left != 48 {
		t.Errorf("units left = %d; want 48", left)
	}
}

func (e *personEnv) follower(b commerce.Buyer) commerce.DropFollower {
	return commerce.DropFollower{Buyer: b, ChatID: b.UserID, Lang: "en"}
}

func testLimitWaitlists(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	lim := commerce.PersonLimits{Waitlists: 2}
	tg, web := tgBuyer(1), webBuyer(1)
	e.link(tg, web)
	d1, d2, d3 := e.create(t, 1, 1), e.create(t, 1, 1), e.create(t, 1, 1)
	if _, created, err := e.s.JoinWaitlist(e.ctx, d1.ID, e.follower(tg), e.clock.Now(), lim); err != nil || !created {
		t.Fatalf("join 1 = %v, %v", created, err)
	}
	if created, err := e.s.SubscribeDrop(e.ctx, d2.ID, e.follower(web), e.clock.Now(), lim); err != nil || !created {
		t.Fatalf("subscribe = %v, %v", created, err)
	}
	_, _, err := e.s.JoinWaitlist(e.ctx, d3.ID, e.follower(web), e.clock.Now(), lim)
	wantLimit(t, "third place", err, commerce.ErrWaitlistLimit, 2)
	_, err = e.s.SubscribeDrop(e.ctx, d3.ID, e.follower(tg), e.clock.Now(), lim)
	wantLimit(t, "third subscription", err, commerce.ErrWaitlistLimit, 2)
	// The person's own place and subscription, from the other identity,
	// are theirs already: no new row, no refusal.
	w, created, err := e.s.JoinWaitlist(e.ctx, d1.ID, e.follower(web), e.clock.Now(), lim)
	if err != nil || created || w.Buyer != tg {
		t.Errorf("join again from the other identity = %+v, %v, %v; want tg's place", w, created, err)
	}
	if created, err := e.s.SubscribeDrop(e.ctx, d2.ID, e.follower(tg), e.clock.Now(), lim); err != nil || created {
		t.Errorf("subscribe again from the other identity = %v, %v", created, err)
	}
	if sub, _ := e.s.DropSubscribed(e.ctx, d2.ID, tg); !sub {
		t.Error("the person's subscription is not seen from the other identity")
	}
	if got, err := e.s.WaitlistEntry(e.ctx, d1.ID, web); err != nil || got.Buyer != tg {
		t.Errorf("WaitlistEntry from the other identity = %+v, %v", got, err)
	}
	if removed, err := e.s.UnsubscribeDrop(e.ctx, d2.ID, tg); err != nil || !removed {
		t.Fatalf("unsubscribe from the other identity = %v, %v", removed, err)
	}
	if _, created, err := e.s.JoinWaitlist(e.ctx, d3.ID, e.follower(web), e.clock.Now(), lim); err != nil || !created {
		t.Fatalf("after unsubscribing: %v, %v", created, err)
	}
}

func testLimitWaitlistsRace(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	lim := commerce.PersonLimits{Waitlists: 3}
	ids := []commerce.Buyer{tgBuyer(1), wxBuyer(1), webBuyer(1)}
	e.link(ids[0], ids[1])
	e.link(ids[0], ids[2])
	var drops []commerce.Drop
	for range 8 {
		drops = append(drops, e.create(t, 1, 1))
	}
	var created atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 24 {
		wg.Go(func() {
			<-start
			var ok bool
			var err error
			if i%2 == 0 {
				_, ok, err = e.s.JoinWaitlist(e.ctx, drops[i%len(drops)].ID, e.follower(ids[i%3]), e.clock.Now(), lim)
			} else {
				ok, err = e.s.SubscribeDrop(e.ctx, drops[i%len(drops)].ID, e.follower(ids[i%3]), e.clock.Now(), lim)
			}
			switch {
			case err == nil && ok:
				created.Add(1)
			case err != nil && !errors.Is(err, commerce.ErrWaitlistLimit):
				t.Errorf("follow %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := created.Load(); n != 3 {
		t.Fatalf("24 concurrent waitlist joins and subscriptions: %d made; want 3", n)
	}
}

// testLimitLapse: an order not collected by the end of its hold suspends
// pay at pickup for the person (and for its phone) for LapseBan, orders
// and reservations alike; an order collected late lifts it.
func testLimitLapse(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPickupEnv(t, open, nil)
	ban := 30 * 24 * time.Hour
	lim := commerce.PersonLimits{OpenOrders: 10, LapseBan: ban}
	web := commerce.Buyer{Channel: "web", UserID: "alice-web"}
	if _, err := e.s.LinkIdentities(e.ctx, alice.Identity(), web.Identity(), 0, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	lapsing := e.readyOrder(alice, e.a)
	late := e.readyOrder(mallory, e.a)
	e.clock.Advance(7*24*time.Hour + time.Hour)
	if got, err := e.p.AlertOverdueHolds(e.ctx); err != nil || len(got) != 2 {
		t.Fatalf("AlertOverdueHolds = %d, %v", len(got), err)
	}
	lapsedAt := e.clock.Now()
	place := func(b commerce.Buyer, phone string) error {
		now := e.clock.Now()
		_, _, err := e.s.PlaceOrder(e.ctx, commerce.Order{Number: commerce.NewOrderNumber(), Buyer: b, ChatID: b.UserID, Lang: "en",
			Status: commerce.StatusPending, PickupPointID: e.a.ID, ContactName: "Li", Phone: phone,
			IdempotencyKey: fmt.Sprintf("lapse-%d", e.orders.Add(1)), CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
			Lines: []commerce.OrderLine{{ProductID: e.prod.ID, SKU: e.prod.SKU, Title: e.prod.Title, UnitPrice: e.prod.Price, Qty: 1}},
			Total: e.prod.Price}, lim)
		return err
	}
	for _, tc := range []struct {
		who   commerce.Buyer
		phone string
	}{{alice, "+8613900000000"}, {web, "+8613900000000"}, {commerce.Buyer{Channel: "tg", UserID: "777"}, lapsing.Phone}} {
		err := place(tc.who, tc.phone)
		var le *commerce.LimitError
		if !errors.As(err, &le) || !errors.Is(err, commerce.ErrPayAtPickupSuspended) || !le.Until.Equal(lapsedAt.Add(ban)) {
			t.Fatalf("order of %s on %s = %v; want ErrPayAtPickupSuspended until %s", tc.who.Key(), tc.phone, err, lapsedAt.Add(ban))
		}
	}
	f := newDropFixture(t, e.s)
	f.start = e.clock.Now().Add(-time.Minute)
	d := f.create(t, 5, 1)
	_, err := e.s.Reserve(e.ctx, d.ID, web, 1, "lapse-res", e.clock.Now(), lim)
	if !errors.Is(err, commerce.ErrPayAtPickupSuspended) {
		t.Fatalf("reservation while suspended = %v", err)
	}
	// Mallory's order was collected after its hold ended: no suspension.
	pass := e.pass(late)
	if _, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, pass.Code); err != nil {
		t.Fatalf("Redeem: %v", err)
	}
	if err := place(mallory, "+8613900000001"); err != nil {
		t.Errorf("a late pickup still suspends: %v", err)
	}
	e.clock.Set(lapsedAt.Add(ban))
	if err := place(alice, "+8613900000000"); err != nil {
		t.Errorf("after the suspension: %v", err)
	}
}
