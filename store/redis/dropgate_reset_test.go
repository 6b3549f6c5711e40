package redis_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/internal/testenv"
)

// Reset replaces a drop's counter (a changed drop before its start) and
// forgets admissions; Return with no buyer only raises the counter (units
// added to a running drop).
func TestGateResetAndNewUnits(t *testing.T) {
	t.Parallel()
	for _, b := range gateBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			g, _ := b.open(t)
			if err := g.Load(ctx, "abc", 5); err != nil {
				t.Fatal(err)
			}
			if ok, err := g.Try(ctx, "abc", "tg:1", 1, 1); !ok || err != nil {
				t.Fatalf("Try = %v, %v", ok, err)
			}
			if err := g.Reset(ctx, "abc", 2); err != nil {
				t.Fatal(err)
			}
			if left, ok, err := g.Left(ctx, "abc"); err != nil || !ok || left != 2 {
				t.Fatalf("Left after Reset = %d, %v, %v; want 2", left, ok, err)
			}
			if adm, err := g.Admitted(ctx, "abc"); err != nil || len(adm) != 0 {
				t.Fatalf("Admitted after Reset = %v, %v; want none", adm, err)
			}
			if err := g.Return(ctx, "abc", "", 3); err != nil {
				t.Fatal(err)
			}
			if left, _, _ := g.Left(ctx, "abc"); left != 5 {
				t.Fatalf("Left after 3 new units = %d; want 5", left)
			}
			if adm, _ := g.Admitted(ctx, "abc"); len(adm) != 0 {
				t.Fatalf("new units admitted someone: %v", adm)
			}
		})
	}
}

// Two replicas (two services over one database and one gate): a drop
// changed on one is followed by the other, and the gate follows its units
// — reset before the start, raised by new units after it, never above
// what the database holds.
func TestDropChangesAcrossReplicas(t *testing.T) {
	t.Parallel()
	for _, b := range gateBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			g, _ := b.open(t)
			db := testenv.DemoSQLite(t)
			start := time.Date(2026, 11, 11, 12, 0, 0, 0, time.UTC)
			clock := testenv.NewClock(start.Add(-time.Hour))
			a := commerce.NewDropService(commerce.DropServiceOptions{Store: db, Gate: g, Clock: clock})
			other := commerce.NewDropService(commerce.DropServiceOptions{Store: db, Gate: g, Clock: clock})
			products, err := db.Products(ctx, commerce.ProductFilter{WithHidden: true, Limit: 1})
			if err != nil || len(products) == 0 {
				t.Fatalf("products: %v, %v", products, err)
			}
			d, err := a.Create(ctx, commerce.Drop{ProductID: products[0].ID, Units: 10, Price: commerce.CNY(100),
				StartsAt: start, PerBuyerLimit: 2, ReservationTTL: 10 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			buyer := func(i int) commerce.Buyer { return commerce.Buyer{Channel: "tg", UserID: fmt.Sprint(i)} }
			if _, err := other.Reserve(ctx, d.ID, buyer(1), 1, "early"); !errors.Is(err, commerce.ErrDropNotStarted) {
				t.Fatalf("early: %v", err)
			}
			// Moved earlier, fewer units, limit 1, on replica a.
			now := clock.Now()
			units, limit := 3, 1
			if _, err := a.Edit(ctx, d.ID, commerce.DropEdit{StartsAt: &now, Units: &units, PerBuyerLimit: &limit}); err != nil {
				t.Fatal(err)
			}
			if left, _, _ := g.Left(ctx, d.Code); left != 3 {
				t.Fatalf("gate after the edit = %d; want 3", left)
			}
			clock.Advance(time.Second)
			if _, err := other.Reserve(ctx, d.ID, buyer(1), 1, "k1"); err != nil {
				t.Fatalf("the other replica after the start moved earlier: %v", err)
			}
			if _, err := other.Reserve(ctx, d.ID, buyer(1), 1, "k1b"); !errors.Is(err, commerce.ErrDropLimit) {
				t.Fatalf("the other replica kept the old limit: %v", err)
			}
			for i := 2; i <= 4; i++ {
				_, err := other.Reserve(ctx, d.ID, buyer(i), 1, fmt.Sprint("k", i))
				if (i <= 3) != (err == nil) {
					t.Fatalf("buyer %d: %v", i, err)
				}
			}
			// Two more units on replica a; the job's handler raises the gate.
			if _, err := a.Edit(ctx, d.ID, commerce.DropEdit{Units: ptr(5)}); err != nil {
				t.Fatal(err)
			}
			if _, err := a.UnitsFreed(ctx, commerce.DropUnitsFreed{DropID: d.ID, Qty: 2, Gate: true}); err != nil {
				t.Fatal(err)
			}
			if left, _, _ := g.Left(ctx, d.Code); left != 2 {
				t.Fatalf("gate after 2 new units = %d; want 2", left)
			}
			for i := 4; i <= 6; i++ {
				_, err := other.Reserve(ctx, d.ID, buyer(i), 1, fmt.Sprint("n", i))
				if (i <= 5) != (err == nil) {
					t.Fatalf("buyer %d after new units: %v", i, err)
				}
			}
			// Cancelled on a: the other replica, whose gate says "sold out",
			// says "cancelled" once its copy of the drop is a second old.
			if _, _, err := a.Cancel(ctx, d.ID); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Second)
			for range 2 {
				if _, err := other.Reserve(ctx, d.ID, buyer(9), 1, "late"); !errors.Is(err, commerce.ErrDropCancelled) {
					t.Fatalf("after cancel on another replica: %v", err)
				}
			}
		})
	}
}

func ptr(n int) *int { return &n }
