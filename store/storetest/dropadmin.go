package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
)

// runDropAdmin runs the topic of a seller's changes of drops: edits before
// the start, more units during a rush, cancelling, and the idempotent
// create key.
func runDropAdmin(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"EditBeforeStart", testAdminEditBeforeStart},
		{"MoreUnitsDuringRush", testAdminMoreUnitsDuringRush},
		{"CancelStopsReserve", testAdminCancelStopsReserve},
		{"CancelBeforeStart", testAdminCancelBeforeStart},
		{"CreateKey", testAdminCreateKey},
	})
}

func intPtr(v int) *int { return &v }

// dropFigures returns a drop's figures and checks they add up.
func dropFigures(t *testing.T, e *dropFlowEnv, id int64) commerce.DropStats {
	t.Helper()
	st, err := e.s.DropStats(context.Background(), id, e.clock.Now())
	if err != nil {
		t.Fatalf("DropStats: %v", err)
	}
	if st.Drop.Units != st.Sold+st.Reserved+st.Drop.Left || st.Drop.Left < 0 {
		t.Fatalf("figures do not add up: units %d, sold %d, reserved %d, left %d", st.Drop.Units, st.Sold, st.Reserved, st.Drop.Left)
	}
	return st
}

func testAdminEditBeforeStart(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	d := e.create(t, 10, 2)
	now := e.start.Add(-time.Hour)
	later := e.start.Add(2 * time.Hour)
	price := commerce.CNY(49900)
	ttl := 30 * time.Minute
	before, after, err := e.s.EditDrop(ctx, d.ID, commerce.DropEdit{StartsAt: &later, Price: &price, Units: intPtr(4),
		PerBuyerLimit: intPtr(3), ReservationTTL: &ttl}, now)
	if err != nil || before.Units != 10 || after.Units != 4 || after.Left != 4 || after.Price != price ||
		!after.StartsAt.Equal(later) || after.PerBuyerLimit != 3 || after.ReservationTTL != ttl || after.Code != d.Code {
		t.Fatalf("EditDrop = %+v, %+v, %v", before, after, err)
	}
	if ev := e.log.named("drop_rescheduled"); len(ev) != 1 || !ev[0].(commerce.DropRescheduled).Drop.StartsAt.Equal(later) {
		t.Fatalf("rescheduled events = %+v; want one at %s", ev, later)
	}
	// Up again, and a change without a new start emits nothing.
	if _, after, err = e.s.EditDrop(ctx, d.ID, commerce.DropEdit{Units: intPtr(20)}, now); err != nil || after.Units != 20 || after.Left != 20 {
		t.Fatalf("units up = %+v, %v", after, err)
	}
	if ev := e.log.named("drop_rescheduled"); len(ev) != 1 {
		t.Fatalf("rescheduled events = %d; want still 1", len(ev))
	}
	for name, bad := range map[string]commerce.DropEdit{
		"limit above units": {PerBuyerLimit: intPtr(21)},
		"units below limit": {Units: intPtr(2)},
		"zero units":        {Units: intPtr(0)},
		"zero price":        {Price: &commerce.Money{Amount: 0, Currency: "CNY"}},
		"short reservation": {ReservationTTL: new(time.Duration)},
	} {
		if _, _, err := e.s.EditDrop(ctx, d.ID, bad, now); !errors.Is(err, commerce.ErrInvalid) {
			t.Errorf("%s: err = %v; want ErrInvalid", name, err)
		}
	}
	if got, _ := e.s.Drop(ctx, d.ID); got.Units != 20 || got.PerBuyerLimit != 3 || got.Price != price {
		t.Fatalf("refused edits changed the drop: %+v", got)
	}
	if _, _, err := e.s.EditDrop(ctx, d.ID+1000, commerce.DropEdit{Units: intPtr(5)}, now); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("missing drop: err = %v; want ErrNotFound", err)
	}
	// At the (new) start nothing but units may change, and those only up.
	if _, _, err := e.s.EditDrop(ctx, d.ID, commerce.DropEdit{Price: &price}, later); !errors.Is(err, commerce.ErrDropStarted) {
		t.Fatalf("edit at the start: err = %v; want ErrDropStarted", err)
	}
	e.clock.Set(later.Add(time.Minute))
	e.reserve(t, d, webBuyer(1), 2, "a")
	if _, err := e.svc.Edit(ctx, d.ID, commerce.DropEdit{Units: intPtr(19)}); !errors.Is(err, commerce.ErrDropStarted) {
		t.Fatalf("units down after the start: err = %v; want ErrDropStarted", err)
	}
	if _, err := e.svc.Edit(ctx, d.ID, commerce.DropEdit{Units: intPtr(25), PerBuyerLimit: intPtr(1)}); !errors.Is(err, commerce.ErrDropStarted) {
		t.Fatalf("units and limit after the start: err = %v; want ErrDropStarted", err)
	}
	got, err := e.svc.Edit(ctx, d.ID, commerce.DropEdit{Units: intPtr(25)})
	if err != nil || got.Units != 25 || got.Left != 23 {
		t.Fatalf("units up after the start = %+v, %v; want 25 units, 23 left", got, err)
	}
	if ev := e.log.named("drop_units_freed"); len(ev) != 1 || ev[0].(commerce.DropUnitsFreed).Qty != 5 || !ev[0].(commerce.DropUnitsFreed).Gate {
		t.Fatalf("units freed events = %+v; want one of 5 for the gate", ev)
	}
	dropFigures(t, e, d.ID)
	for _, n := range []int{0, -1, commerce.MaxDropUnits} {
		if _, err := e.s.AddDropUnits(ctx, d.ID, n); !errors.Is(err, commerce.ErrInvalid) {
			t.Errorf("AddDropUnits(%d) err = %v; want ErrInvalid", n, err)
		}
	}
}

func testAdminMoreUnitsDuringRush(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	d := e.create(t, rushUnits/2, 1)
	e.clock.Set(e.start.Add(time.Second))
	var wg sync.WaitGroup
	var mu sync.Mutex
	held := map[int64]bool{}
	gun := make(chan struct{})
	for i := range rushBuyers {
		wg.Go(func() {
			<-gun
			r, err := e.s.Reserve(ctx, d.ID, webBuyer(i), 1, fmt.Sprintf("k%d", i), e.clock.Now(), commerce.PersonLimits{})
			if errors.Is(err, commerce.ErrSoldOut) {
				return
			}
			if err != nil {
				t.Errorf("buyer %d: %v", i, err)
				return
			}
			mu.Lock()
			held[r.ID] = true
			mu.Unlock()
		})
	}
	for range 10 {
		wg.Go(func() {
			<-gun
			if _, err := e.s.AddDropUnits(ctx, d.ID, rushUnits/20); err != nil {
				t.Errorf("AddDropUnits: %v", err)
			}
		})
	}
	close(gun)
	wg.Wait()
	st := dropFigures(t, e, d.ID)
	if st.Drop.Units != rushUnits || len(held) != st.Reserved || st.Reserved+st.Drop.Left != rushUnits || len(held) > rushUnits {
		t.Fatalf("units %d, reservations %d, reserved %d, left %d; want %d units, none oversold",
			st.Drop.Units, len(held), st.Reserved, st.Drop.Left, rushUnits)
	}
}

func testAdminCancelStopsReserve(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	d := e.create(t, rushUnits, 2)
	e.clock.Set(e.start.Add(time.Second))
	r := e.reserve(t, d, webBuyer(-1), 2, "before")
	o, _, err := e.order(r, webBuyer(-1), "+8613800138000", "o1")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var made []commerce.DropReservation
	gun := make(chan struct{})
	for i := range rushBuyers {
		wg.Go(func() {
			<-gun
			r, err := e.s.Reserve(ctx, d.ID, webBuyer(i), 1, fmt.Sprintf("k%d", i), e.clock.Now(), commerce.PersonLimits{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				made = append(made, r)
			case !errors.Is(err, commerce.ErrDropCancelled) && !errors.Is(err, commerce.ErrSoldOut):
				t.Errorf("buyer %d: %v", i, err)
			}
		})
	}
	wg.Go(func() {
		<-gun
		_, ok, err := e.s.CancelDrop(ctx, d.ID, e.clock.Now())
		if err != nil || !ok {
			t.Errorf("CancelDrop = %v, %v", ok, err)
		}
	})
	close(gun)
	wg.Wait()
	// A reservation that won the race committed before the cancel (which
	// takes the drop's row first) and was released by it: none is left
	// standing, so none was made after the cancel committed.
	for _, r := range made {
		got, err := e.s.DropReservation(ctx, r.ID)
		if err != nil || got.Status != commerce.DropReleased {
			t.Fatalf("reservation %d after the cancel = %+v, %v; want released", r.ID, got, err)
		}
	}
	st := dropFigures(t, e, d.ID)
	if st.Reserved != 0 || st.Sold != 2 || st.Drop.CancelledAt.IsZero() {
		t.Fatalf("after cancel: %+v; want nothing reserved, the order's 2 units sold", st)
	}
	if got, err := e.s.Order(ctx, o.ID); err != nil || got.Status != commerce.StatusConfirmed {
		t.Fatalf("the order before the cancel = %+v, %v; want it kept", got, err)
	}
	for _, b := range []int{1, rushBuyers + 1} {
		if _, err := e.svc.Reserve(ctx, d.ID, webBuyer(b), 1, fmt.Sprintf("after%d", b)); !errors.Is(err, commerce.ErrDropCancelled) {
			t.Fatalf("Reserve after cancel: err = %v; want ErrDropCancelled", err)
		}
	}
	if taken, err := e.s.DropBuyerTaken(ctx, d.ID, webBuyer(0)); err != nil || taken != 0 {
		t.Fatalf("a released buyer's count = %d, %v; want 0", taken, err)
	}
	if _, ok, err := e.s.CancelDrop(ctx, d.ID, e.clock.Now()); ok || err != nil {
		t.Fatalf("second cancel = %v, %v; want false, nil", ok, err)
	}
	if _, err := e.s.AddDropUnits(ctx, d.ID, 1); !errors.Is(err, commerce.ErrDropCancelled) {
		t.Fatalf("AddDropUnits after cancel: %v; want ErrDropCancelled", err)
	}
	if _, _, err := e.s.CancelDrop(ctx, d.ID+1000, e.clock.Now()); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("cancel missing: %v; want ErrNotFound", err)
	}
}

// testAdminCancelBeforeStart: before the start a cancelled drop takes no
// edit, no subscription and no start.
func testAdminCancelBeforeStart(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	d2 := e.create(t, 5, 1)
	e.clock.Set(e.start.Add(-time.Hour))
	if _, _, err := e.svc.Cancel(ctx, d2.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.s.EditDrop(ctx, d2.ID, commerce.DropEdit{Units: intPtr(6)}, e.clock.Now()); !errors.Is(err, commerce.ErrDropCancelled) {
		t.Fatalf("edit after cancel: %v; want ErrDropCancelled", err)
	}
	if _, err := e.svc.Subscribe(ctx, d2.ID, commerce.DropFollower{Buyer: webBuyer(1), ChatID: "b1", Lang: "en"}); !errors.Is(err, commerce.ErrInvalid) {
		t.Fatalf("subscribe to a cancelled drop: %v; want ErrInvalid", err)
	}
	if _, err := e.svc.Start(ctx, d2.ID); !errors.Is(err, commerce.ErrDropCancelled) {
		t.Fatalf("start of a cancelled drop: %v; want ErrDropCancelled", err)
	}
}

func testAdminCreateKey(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	e.clock.Set(e.start.Add(-24 * time.Hour))
	draft := commerce.Drop{ProductID: e.product.ID, Units: 5, Price: commerce.CNY(100), StartsAt: e.start,
		PerBuyerLimit: 1, ReservationTTL: time.Minute}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[int64]int{}
	for range 8 {
		wg.Go(func() {
			d, created, err := e.svc.CreateKeyed(ctx, draft, "order-42")
			if err != nil {
				t.Errorf("CreateKeyed: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[d.ID]++
			if created {
				ids[-1]++
			}
		})
	}
	wg.Wait()
	if len(ids) != 2 || ids[-1] != 1 {
		t.Fatalf("8 creates with one key: %v; want one drop, created once", ids)
	}
	if d, err := e.s.DropByKey(ctx, "order-42"); err != nil || d.Key != "order-42" || ids[d.ID] != 8 {
		t.Fatalf("DropByKey = %+v, %v", d, err)
	}
	if _, err := e.s.DropByKey(ctx, "other"); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("DropByKey(other) = %v; want ErrNotFound", err)
	}
	a, c1, err1 := e.svc.CreateKeyed(ctx, draft, "")
	b, c2, err2 := e.svc.CreateKeyed(ctx, draft, "")
	if err1 != nil || err2 != nil || !c1 || !c2 || a.ID == b.ID || a.Key != "" {
		t.Fatalf("keyless creates = %+v %v %v, %+v %v %v; want two drops", a, c1, err1, b, c2, err2)
	}
}
