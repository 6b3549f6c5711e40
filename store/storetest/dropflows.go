package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/internal/testenv"
)

type dropFlowEnv struct {
	*dropFixture
	s      ShopStore
	log    *eventLog
	clock  *testenv.Clock
	svc    *commerce.DropService
	point  commerce.PickupPoint
	closed commerce.PickupPoint
}

func newDropFlowEnv(t *testing.T, open OpenShop) *dropFlowEnv {
	t.Helper()
	log := &eventLog{}
	s := open(t, log.hook)
	f := newDropFixture(t, s)
	e := &dropFlowEnv{dropFixture: f, s: s, log: log, clock: testenv.NewClock(f.start)}
	e.svc = commerce.NewDropService(commerce.DropServiceOptions{Store: s, Clock: e.clock})
	ctx := context.Background()
	var err error
	for i, active := range []bool{true, false} {
		pt, perr := s.UpsertPickupPoint(ctx, commerce.PickupPoint{Code: fmt.Sprintf("PT%d", i), City: commerce.Text{"en": "Shanghai"},
			Name: commerce.Text{"en": "Point"}, Address: commerce.Text{"en": "Road 1"}, TimeZone: "Asia/Shanghai", Active: active})
		if err = perr; err != nil {
			t.Fatalf("UpsertPickupPoint: %v", err)
		}
		if active {
			e.point = pt
		} else {
			e.closed = pt
		}
	}
	return e
}

func (e *dropFlowEnv) reserve(t *testing.T, d commerce.Drop, b commerce.Buyer, qty int, key string) commerce.DropReservation {
	t.Helper()
	r, err := e.svc.Reserve(context.Background(), d.ID, b, qty, key)
	if err != nil {
		t.Fatalf("Reserve(%s, %s): %v", b.Key(), key, err)
	}
	return r
}

func (e *dropFlowEnv) order(r commerce.DropReservation, b commerce.Buyer, phone, key string) (commerce.Order, bool, error) {
	return e.svc.Order(context.Background(), commerce.DropOrder{ReservationID: r.ID, Buyer: b, ChatID: b.UserID, Lang: "en",
		PickupPointID: e.point.ID, ContactName: "Li Lei", Phone: phone, Key: key})
}

// runDropFlows runs the topic of the drop chat flows: orders from
// reservations, per-phone limits, subscriptions, the waitlist, figures.
func runDropFlows(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"OrderOnceUnderDoubleConfirm", testFlowOrderOnceUnderDoubleConfirm},
		{"ExpiryLeavesOrderedAlone", testFlowExpiryLeavesOrderedAlone},
		{"OrderRefusals", testFlowOrderRefusals},
		{"PhoneLimitAcrossChannels", testFlowPhoneLimitAcrossChannels},
		{"CancelReturnsUnitsToTheDrop", testFlowCancelReturnsUnitsToTheDrop},
		{"Release", testFlowRelease},
		{"Subscribe", testFlowSubscribe},
		{"WaitlistJoin", testFlowWaitlistJoin},
		{"WaitlistOfferOnExpiry", testFlowWaitlistOfferOnExpiry},
		{"WaitlistRejoinAfterLapse", testFlowWaitlistRejoinAfterLapse},
		{"Stats", testFlowStats},
		{"CreateEmitsEvent", testFlowCreateEmitsEvent},
	})
}

func testFlowOrderOnceUnderDoubleConfirm(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	d := e.create(t, 5, 2)
	b := webBuyer(1)
	r := e.reserve(t, d, b, 2, "tap-1")
	e.log.reset()
	const n = 8
	var wg sync.WaitGroup
	orders := make([]commerce.Order, n)
	created := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			// Half retry one key, half are separate confirmations (two devices).
			key := "confirm-a"
			if i%2 == 1 {
				key = fmt.Sprintf("confirm-%d", i)
			}
			orders[i], created[i], errs[i] = e.order(r, b, "+86 138 0000 1111", key)
		})
	}
	wg.Wait()
	made := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("confirm %d: %v", i, errs[i])
		}
		if orders[i].ID != orders[0].ID {
			t.Fatalf("confirm %d made order %d; confirm 0 made %d", i, orders[i].ID, orders[0].ID)
		}
		if created[i] {
			made++
		}
	}
	o := orders[0]
	if made != 1 || len(e.log.named("order_placed")) != 1 {
		t.Fatalf("created %d orders, %d OrderPlaced events; want 1 and 1", made, len(e.log.named("order_placed")))
	}
	if o.Status != commerce.StatusConfirmed || o.Total != commerce.CNY(2*59900) || len(o.Lines) != 1 ||
		o.Lines[0].Qty != 2 || o.Lines[0].UnitPrice != commerce.CNY(59900) || o.Phone != "+8613800001111" {
		t.Fatalf("drop order %+v", o)
	}
	got, err := e.svc.Reservation(ctx, r.ID)
	if err != nil || got.Status != commerce.DropOrdered {
		t.Fatalf("reservation after the order = %+v, %v", got, err)
	}
	if p, _ := e.s.Product(ctx, e.product.ID); p.Stock != e.product.Stock {
		t.Fatalf("product stock %d; drop units are apart from it (want %d)", p.Stock, e.product.Stock)
	}
	if _, err := e.svc.Active(ctx, d.ID, b); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("Active after ordering err = %v; want ErrNotFound", err)
	}
}

func testFlowExpiryLeavesOrderedAlone(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	d := e.create(t, 3, 1)
	b := webBuyer(2)
	r := e.reserve(t, d, b, 1, "k")
	if _, _, err := e.order(r, b, "13800002222", "o"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	expired, err := e.svc.Expire(ctx, r.ID)
	if err != nil || expired {
		t.Fatalf("Expire(ordered) = %v, %v; want false, nil", expired, err)
	}
	if n, err := e.svc.ExpireDue(ctx); err != nil || n != 0 {
		t.Fatalf("ExpireDue = %d, %v; want 0", n, err)
	}
	if left := e.left(t, d.ID); left != 2 {
		t.Fatalf("left = %d; want 2", left)
	}
	// An expired reservation cannot become an order; nothing changes.
	r2 := e.reserve(t, d, webBuyer(3), 1, "k2")
	e.clock.Advance(11 * time.Minute)
	if _, _, err := e.order(r2, webBuyer(3), "13800003333", "o2"); !errors.Is(err, commerce.ErrExpired) {
		t.Fatalf("order of an expired reservation err = %v; want ErrExpired", err)
	}
	if st, _ := e.svc.Stats(ctx, d.ID); st.Sold != 1 || st.Orders != 1 {
		t.Fatalf("stats after refused order %+v", st)
	}
}

func testFlowOrderRefusals(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	d := e.create(t, 3, 1)
	b := webBuyer(4)
	r := e.reserve(t, d, b, 1, "k")
	if _, _, err := e.order(r, webBuyer(5), "13800004444", "x1"); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("order by another buyer err = %v; want ErrNotFound", err)
	}
	if _, _, err := e.svc.Order(ctx, commerce.DropOrder{ReservationID: r.ID, Buyer: b, PickupPointID: e.closed.ID,
		ContactName: "Li", Phone: "13800004444", Key: "x2"}); !errors.Is(err, commerce.ErrInvalid) {
		t.Fatalf("order at a closed point err = %v; want ErrInvalid", err)
	}
	if _, _, err := e.order(r, b, "12ab", "x3"); !errors.Is(err, commerce.ErrInvalid) {
		t.Fatalf("order with a bad phone err = %v; want ErrInvalid", err)
	}
	if _, _, err := e.order(commerce.DropReservation{ID: r.ID + 100}, b, "13800004444", "x4"); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("order of a missing reservation err = %v; want ErrNotFound", err)
	}
	if got, _ := e.svc.Reservation(ctx, r.ID); got.Status != commerce.DropReserved {
		t.Fatalf("reservation after refusals %+v", got)
	}
	if _, _, err := e.order(r, b, "13800004444", "x5"); err != nil {
		t.Fatalf("order after the refusals: %v", err)
	}
}

func testFlowPhoneLimitAcrossChannels(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	d := e.create(t, 10, 1)
	// One person, two identities (Telegram and the web chat), one phone.
	tg := commerce.Buyer{Channel: "tg", UserID: "42"}
	web := commerce.Buyer{Channel: "web", UserID: "li"}
	rs := []commerce.DropReservation{e.reserve(t, d, tg, 1, "tg-k"), e.reserve(t, d, web, 1, "web-k")}
	buyers := []commerce.Buyer{tg, web}
	e.log.reset()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			phone := "+86 139 0000 5555"
			if i == 1 {
				phone = "+86-139-0000-5555" // the same number typed differently
			}
			_, _, errs[i] = e.order(rs[i], buyers[i], phone, fmt.Sprintf("o-%d", i))
		})
	}
	wg.Wait()
	ok, limited := 0, -1
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, commerce.ErrDropLimit):
			limited = i
		default:
			t.Fatalf("order %d: %v", i, err)
		}
	}
	if ok != 1 || limited < 0 || len(e.log.named("order_placed")) != 1 {
		t.Fatalf("orders ok=%d limited=%d events=%d; want one order and one refusal", ok, limited, len(e.log.named("order_placed")))
	}
	// The refused reservation stands until it expires.
	if got, _ := e.svc.Reservation(ctx, rs[limited].ID); got.Status != commerce.DropReserved {
		t.Fatalf("refused reservation %+v; want it still reserved", got)
	}
	// Another phone is another person.
	if _, _, err := e.order(rs[limited], buyers[limited], "+86 139 0000 6666", "o-other"); err != nil {
		t.Fatalf("order with another phone: %v", err)
	}
}

func testFlowCancelReturnsUnitsToTheDrop(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	d := e.create(t, 2, 1)
	b := webBuyer(6)
	r := e.reserve(t, d, b, 1, "k")
	o, _, err := e.order(r, b, "13800006666", "o")
	if err != nil {
		t.Fatal(err)
	}
	e.log.reset()
	if _, err := e.s.SetOrderStatus(ctx, o.ID, commerce.StatusConfirmed, commerce.StatusCancelled, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if left := e.left(t, d.ID); left != 2 {
		t.Fatalf("left after cancel = %d; want 2", left)
	}
	if p, _ := e.s.Product(ctx, e.product.ID); p.Stock != e.product.Stock {
		t.Fatalf("product stock %d after a drop order's cancel; want %d", p.Stock, e.product.Stock)
	}
	freed := e.log.named("drop_units_freed")
	if len(freed) != 1 || freed[0].(commerce.DropUnitsFreed) != (commerce.DropUnitsFreed{DropID: d.ID, Buyer: b, Qty: 1, Gate: true}) {
		t.Fatalf("events %+v; want one DropUnitsFreed with Gate", freed)
	}
	// Buyer and phone may buy again.
	r2 := e.reserve(t, d, b, 1, "k2")
	if _, _, err := e.order(r2, b, "13800006666", "o2"); err != nil {
		t.Fatalf("order after the cancel: %v", err)
	}
}

func testFlowRelease(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	d := e.create(t, 2, 2)
	b := webBuyer(7)
	r := e.reserve(t, d, b, 2, "k")
	if _, err := e.svc.Release(ctx, r.ID, webBuyer(8)); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("Release by another buyer err = %v; want ErrNotFound", err)
	}
	e.log.reset()
	for i, want := range []bool{true, false} {
		if ok, err := e.svc.Release(ctx, r.ID, b); err != nil || ok != want {
			t.Fatalf("Release #%d = %v, %v; want %v", i, ok, err, want)
		}
	}
	if left := e.left(t, d.ID); left != 2 || len(e.log.named("drop_units_freed")) != 1 {
		t.Fatalf("after release: left %d, events %+v", left, e.log.named("drop_units_freed"))
	}
	if _, _, err := e.order(r, b, "13800007777", "o"); !errors.Is(err, commerce.ErrExpired) {
		t.Fatalf("order of a released reservation err = %v; want ErrExpired", err)
	}
	if ok, err := e.svc.Expire(ctx, r.ID); err != nil || ok {
		t.Fatalf("Expire after release = %v, %v; want false", ok, err)
	}
	e.reserve(t, d, b, 2, "k2") // the buyer's count came back too
}

func testFlowSubscribe(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	e.clock.Set(e.start.Add(-time.Hour))
	d := e.create(t, 5, 1)
	f := commerce.DropFollower{Buyer: webBuyer(1), ChatID: "c1", Lang: "ru"}
	// A double tap of "notify me" from two devices at once: one subscription.
	var subWG sync.WaitGroup
	made := make([]bool, 4)
	for i := range made {
		subWG.Go(func() {
			got, err := e.svc.Subscribe(ctx, d.ID, f)
			if err != nil {
				t.Errorf("Subscribe: %v", err)
			}
			made[i] = got
		})
	}
	subWG.Wait()
	if n := countTrue(made); n != 1 {
		t.Fatalf("concurrent Subscribe created %d; want 1", n)
	}
	if _, err := e.svc.Subscribe(ctx, d.ID, commerce.DropFollower{Buyer: webBuyer(2), ChatID: "c2", Lang: "en"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Subscribe(ctx, d.ID, commerce.DropFollower{Buyer: webBuyer(3), ChatID: "c3"}); err != nil {
		t.Fatal(err)
	}
	if removed, err := e.svc.Unsubscribe(ctx, d.ID, webBuyer(3)); err != nil || !removed {
		t.Fatalf("Unsubscribe = %v, %v", removed, err)
	}
	if removed, _ := e.svc.Unsubscribe(ctx, d.ID, webBuyer(3)); removed {
		t.Fatal("second Unsubscribe removed something")
	}
	if on, _ := e.svc.Subscribed(ctx, d.ID, webBuyer(1)); !on {
		t.Fatal("Subscribed = false after subscribing")
	}
	if _, err := e.svc.Subscribe(ctx, d.ID+1000, f); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("Subscribe(missing drop) err = %v", err)
	}
	if _, err := e.svc.Start(ctx, d.ID); !errors.Is(err, commerce.ErrDropNotStarted) {
		t.Fatalf("Start before the start err = %v; want ErrDropNotStarted", err)
	}
	if st, _ := e.svc.Stats(ctx, d.ID); st.Subscribers != 2 {
		t.Fatalf("subscribers = %d; want 2", st.Subscribers)
	}
	e.clock.Set(e.start)
	e.log.reset()
	// The start job and a retry of it at once: the subscribers are told once.
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i := range counts {
		wg.Go(func() {
			n, err := e.svc.Start(ctx, d.ID)
			if err != nil {
				t.Errorf("Start: %v", err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	if total := counts[0] + counts[1] + counts[2] + counts[3]; total != 2 {
		t.Fatalf("Start told %v subscribers; want 2 in all", counts)
	}
	started := e.log.named("drop_started")
	if len(started) != 1 || len(started[0].(commerce.DropStarted).Subscribers) != 2 {
		t.Fatalf("DropStarted events %+v", started)
	}
	if _, err := e.svc.Subscribe(ctx, d.ID, commerce.DropFollower{Buyer: webBuyer(4)}); !errors.Is(err, commerce.ErrInvalid) {
		t.Fatalf("Subscribe after the start err = %v; want ErrInvalid", err)
	}
}

func testFlowStats(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	e.clock.Set(e.start.Add(-time.Minute))
	d := e.create(t, 10, 3)
	if _, err := e.svc.Subscribe(ctx, d.ID, commerce.DropFollower{Buyer: webBuyer(9)}); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(e.start)
	a := e.reserve(t, d, webBuyer(1), 3, "a")
	if _, _, err := e.order(a, webBuyer(1), "13800000001", "oa"); err != nil {
		t.Fatal(err)
	}
	bres := e.reserve(t, d, webBuyer(2), 2, "b")
	ob, _, err := e.order(bres, webBuyer(2), "13800000002", "ob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.SetOrderStatus(ctx, ob.ID, commerce.StatusConfirmed, commerce.StatusCancelled, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.reserve(t, d, webBuyer(3), 2, "c")
	st, err := e.svc.Stats(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := commerce.DropStats{Drop: st.Drop, Sold: 3, Orders: 1, Reserved: 2, Subscribers: 1, Revenue: commerce.CNY(3 * 59900)}
	if st != want || st.Drop.Left != 5 || st.Drop.Units != st.Drop.Left+st.Reserved+st.Sold {
		t.Fatalf("stats %+v; want %+v with 5 left", st, want)
	}
	list, err := e.svc.List(ctx, 10)
	if err != nil || len(list) != 1 || list[0].ID != d.ID {
		t.Fatalf("List = %+v, %v", list, err)
	}
}

func testFlowCreateEmitsEvent(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	d := e.create(t, 1, 1)
	created := e.log.named("drop_created")
	if len(created) != 1 || created[0].(commerce.DropCreated).Drop.ID != d.ID {
		t.Fatalf("events %+v; want one DropCreated", created)
	}
}
