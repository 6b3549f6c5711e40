package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shopbot/commerce"
)

// rushUnits are the units the drop rush races for; rushBuyers (norace.go,
// race.go) goroutines race, 10% of them double-tapping.
const rushUnits = 100

type dropFixture struct {
	s       ShopStore
	product commerce.Product
	start   time.Time
}

func newDropFixture(t *testing.T, s ShopStore) *dropFixture {
	t.Helper()
	ctx := context.Background()
	c, err := s.UpsertCategory(ctx, commerce.Category{Slug: "drops", Title: commerce.Text{"en": "Drops"}})
	if err != nil {
		t.Fatalf("UpsertCategory: %v", err)
	}
	p, err := s.UpsertProduct(ctx, commerce.Product{SKU: "DROP-1", CategoryID: c.ID, Title: commerce.Text{"en": "Sneaker"},
		Description: commerce.Text{"en": "limited"}, Price: commerce.CNY(99900), Origin: commerce.OriginDutyPaid, Stock: 0, Active: true})
	if err != nil {
		t.Fatalf("UpsertProduct: %v", err)
	}
	return &dropFixture{s: s, product: p, start: time.Date(2026, 11, 11, 12, 0, 0, 0, time.UTC)}
}

func (f *dropFixture) create(t *testing.T, units, limit int) commerce.Drop {
	t.Helper()
	d, err := f.s.CreateDrop(context.Background(), commerce.Drop{Code: commerce.NewDropCode(), ProductID: f.product.ID,
		Units: units, Price: commerce.CNY(59900), StartsAt: f.start, PerBuyerLimit: limit,
		ReservationTTL: 10 * time.Minute, CreatedAt: f.start.Add(-time.Hour)})
	if err != nil {
		t.Fatalf("CreateDrop: %v", err)
	}
	return d
}

func (f *dropFixture) left(t *testing.T, id int64) int {
	t.Helper()
	d, err := f.s.Drop(context.Background(), id)
	if err != nil {
		t.Fatalf("Drop: %v", err)
	}
	return d.Left
}

func webBuyer(i int) commerce.Buyer {
	return commerce.Buyer{Channel: "web", UserID: fmt.Sprintf("b%d", i)}
}

// runDrops runs the drop topic: creating and reading drops, the start,
// per-buyer limits across retries, the rush, expiry and the gate's source.
func runDrops(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"CreateAndRead", testDropCreateAndRead},
		{"NotStarted", testDropNotStarted},
		{"LimitAcrossRetries", testDropLimitAcrossRetries},
		{"Rush", testDropRush},
		{"ExpiryReturnsUnitsOnce", testDropExpiryReturnsUnitsOnce},
		{"GateSource", testDropGateSource},
	})
}

func testDropCreateAndRead(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	f := newDropFixture(t, open.plain(t))
	d := f.create(t, 100, 1)
	if d.ID == 0 || d.Left != 100 || d.Units != 100 || !d.StartsAt.Equal(f.start) || d.ReservationTTL != 10*time.Minute || d.Price != commerce.CNY(59900) {
		t.Fatalf("created %+v", d)
	}
	byCode, err := f.s.DropByCode(ctx, d.Code)
	if err != nil || byCode.ID != d.ID {
		t.Fatalf("DropByCode = %+v, %v", byCode, err)
	}
	if _, err := f.s.Drop(ctx, d.ID+1000); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("Drop(missing) err = %v; want ErrNotFound", err)
	}
	if _, err := f.s.DropByCode(ctx, "zzzzzzzz"); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("DropByCode(missing) err = %v; want ErrNotFound", err)
	}
	dup := d
	if _, err := f.s.CreateDrop(ctx, dup); !errors.Is(err, commerce.ErrConflict) {
		t.Fatalf("CreateDrop(same code) err = %v; want ErrConflict", err)
	}
	dup.Code, dup.ProductID = commerce.NewDropCode(), f.product.ID+1000
	if _, err := f.s.CreateDrop(ctx, dup); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("CreateDrop(missing product) err = %v; want ErrNotFound", err)
	}
	dup.ProductID, dup.Units = f.product.ID, 0
	if _, err := f.s.CreateDrop(ctx, dup); !errors.Is(err, commerce.ErrInvalid) {
		t.Fatalf("CreateDrop(0 units) err = %v; want ErrInvalid", err)
	}
	if _, err := f.s.Reserve(ctx, d.ID+1000, webBuyer(1), 1, "k-missing", f.start, commerce.PersonLimits{}); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("Reserve(missing drop) err = %v; want ErrNotFound", err)
	}
}

func testDropNotStarted(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	f := newDropFixture(t, open.plain(t))
	d := f.create(t, 3, 1)
	if _, err := f.s.Reserve(ctx, d.ID, webBuyer(1), 1, "early", f.start.Add(-time.Millisecond), commerce.PersonLimits{}); !errors.Is(err, commerce.ErrDropNotStarted) {
		t.Fatalf("Reserve before start err = %v; want ErrDropNotStarted", err)
	}
	if left := f.left(t, d.ID); left != 3 {
		t.Fatalf("left after a refused early reservation = %d; want 3", left)
	}
	// The same key works once the drop started: the refusal kept nothing.
	r, err := f.s.Reserve(ctx, d.ID, webBuyer(1), 1, "early", f.start, commerce.PersonLimits{})
	if err != nil || r.Replayed || r.Qty != 1 || r.Status != commerce.DropReserved || !r.ExpiresAt.Equal(f.start.Add(10*time.Minute)) {
		t.Fatalf("Reserve at start = %+v, %v", r, err)
	}
}

func testDropLimitAcrossRetries(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	f := newDropFixture(t, open.plain(t))
	d := f.create(t, 10, 2)
	b := webBuyer(7)
	first, err := f.s.Reserve(ctx, d.ID, b, 1, "a", f.start, commerce.PersonLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Reserve(ctx, d.ID, b, 1, "b", f.start, commerce.PersonLimits{}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := f.s.Reserve(ctx, d.ID, b, 1, "c", f.start, commerce.PersonLimits{}); !errors.Is(err, commerce.ErrDropLimit) {
			t.Fatalf("third unit, try %d: err = %v; want ErrDropLimit", i, err)
		}
		again, err := f.s.Reserve(ctx, d.ID, b, 1, "a", f.start, commerce.PersonLimits{})
		if err != nil || again.ID != first.ID || !again.Replayed {
			t.Fatalf("retry of key a = %+v, %v; want reservation %d replayed", again, err, first.ID)
		}
	}
	if _, err := f.s.Reserve(ctx, d.ID, webBuyer(8), 3, "big", f.start, commerce.PersonLimits{}); !errors.Is(err, commerce.ErrDropLimit) {
		t.Fatalf("3 units with limit 2: err = %v; want ErrDropLimit", err)
	}
	if _, err := f.s.Reserve(ctx, d.ID, webBuyer(8), 1, "a", f.start, commerce.PersonLimits{}); !errors.Is(err, commerce.ErrConflict) {
		t.Fatalf("another buyer reusing key a: err = %v; want ErrConflict", err)
	}
	if left := f.left(t, d.ID); left != 8 {
		t.Fatalf("left = %d; want 8", left)
	}
}

func testDropRush(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	f := newDropFixture(t, open.plain(t))
	d := f.create(t, rushUnits, 1)
	var (
		mu      sync.Mutex
		byKey   = map[string]int64{} // key → reservation id
		byBuyer = map[commerce.Buyer]int64{}
		ids     = map[int64]bool{}
		other   atomic.Int64
		wg      sync.WaitGroup
	)
	startGun := make(chan struct{})
	reserve := func(i int) {
		defer wg.Done()
		<-startGun
		key := fmt.Sprintf("k%d", i)
		r, err := f.s.Reserve(ctx, d.ID, webBuyer(i), 1, key, f.start.Add(time.Second), commerce.PersonLimits{})
		if errors.Is(err, commerce.ErrSoldOut) {
			return
		}
		if err != nil {
			t.Errorf("buyer %d: %v", i, err)
			other.Add(1)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if prev, ok := byKey[key]; ok && prev != r.ID {
			t.Errorf("key %s gave reservations %d and %d", key, prev, r.ID)
		}
		byKey[key] = r.ID
		if prev, ok := byBuyer[r.Buyer]; ok && prev != r.ID {
			t.Errorf("buyer %v holds reservations %d and %d", r.Buyer, prev, r.ID)
		}
		byBuyer[r.Buyer] = r.ID
		ids[r.ID] = true
	}
	for i := range rushBuyers {
		wg.Add(1)
		go reserve(i)
		if i%10 == 0 { // a double tap: the same buyer and key again
			wg.Add(1)
			go reserve(i)
		}
	}
	close(startGun)
	wg.Wait()
	if len(ids) != rushUnits || len(byBuyer) != rushUnits {
		t.Fatalf("%d buyers raced for %d units: %d reservations for %d buyers; want exactly %d", rushBuyers, rushUnits, len(ids), len(byBuyer), rushUnits)
	}
	if left := f.left(t, d.ID); left != 0 {
		t.Fatalf("left after the rush = %d; want 0", left)
	}
	for key, id := range byKey {
		r, err := f.s.DropReservationByKey(ctx, key)
		if err != nil || r.ID != id {
			t.Fatalf("stored reservation for %s = %+v, %v; want %d", key, r, err, id)
		}
	}
}

func testDropExpiryReturnsUnitsOnce(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	f := newDropFixture(t, open.plain(t))
	d := f.create(t, 5, 1)
	b := webBuyer(1)
	r, err := f.s.Reserve(ctx, d.ID, b, 1, "x1", f.start, commerce.PersonLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, expired, err := f.s.ExpireReservation(ctx, r.ID, r.ExpiresAt.Add(-time.Millisecond)); err != nil || expired {
		t.Fatalf("expire before due = %v, %v; want false, nil", expired, err)
	}
	if _, _, err := f.s.ExpireReservation(ctx, r.ID+1000, r.ExpiresAt); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("expire missing err = %v; want ErrNotFound", err)
	}
	due, err := f.s.DueDropReservations(ctx, r.ExpiresAt, 10)
	if err != nil || len(due) != 1 || due[0] != r.ID {
		t.Fatalf("DueDropReservations = %v, %v; want [%d]", due, err, r.ID)
	}
	var wins atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, expired, err := f.s.ExpireReservation(ctx, r.ID, r.ExpiresAt)
			if err != nil {
				t.Errorf("expire: %v", err)
				return
			}
			if expired {
				wins.Add(1)
				if got.Qty != 1 || got.Buyer != b || got.Status != commerce.DropExpired {
					t.Errorf("expired reservation = %+v", got)
				}
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent expiries succeeded; want exactly 1", wins.Load())
	}
	if left := f.left(t, d.ID); left != 5 {
		t.Fatalf("left after expiry = %d; want 5", left)
	}
	if got, _ := f.s.DropReservationByKey(ctx, "x1"); got.Status != commerce.DropExpired {
		t.Fatalf("status after expiry = %q", got.Status)
	}
	// The buyer's count came back too: a new key may reserve again.
	if _, err := f.s.Reserve(ctx, d.ID, b, 1, "x2", r.ExpiresAt, commerce.PersonLimits{}); err != nil {
		t.Fatalf("reserve after expiry: %v", err)
	}
	if _, err := f.s.Reserve(ctx, d.ID, b, 1, "x3", r.ExpiresAt, commerce.PersonLimits{}); !errors.Is(err, commerce.ErrDropLimit) {
		t.Fatalf("second unit after expiry err = %v; want ErrDropLimit", err)
	}
}

func testDropGateSource(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	f := newDropFixture(t, open.plain(t))
	d := f.create(t, 5, 2)
	soldOut := f.create(t, 1, 1)
	if live, err := f.s.LiveDrops(ctx, f.start.Add(-time.Second)); err != nil || len(live) != 0 {
		t.Fatalf("LiveDrops before the start = %v, %v; want none", live, err)
	}
	if _, err := f.s.Reserve(ctx, d.ID, webBuyer(1), 2, "g1", f.start, commerce.PersonLimits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Reserve(ctx, d.ID, webBuyer(2), 1, "g2", f.start, commerce.PersonLimits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Reserve(ctx, soldOut.ID, webBuyer(1), 1, "g3", f.start, commerce.PersonLimits{}); err != nil {
		t.Fatal(err)
	}
	live, err := f.s.LiveDrops(ctx, f.start)
	if err != nil || len(live) != 1 || live[0].ID != d.ID || live[0].Left != 2 {
		t.Fatalf("LiveDrops = %+v, %v; want only drop %d with 2 left", live, err, d.ID)
	}
	if live, _ := f.s.LiveDrops(ctx, f.start.Add(31*24*time.Hour)); len(live) != 0 {
		t.Fatalf("LiveDrops a month later = %+v; want none", live)
	}
	counts, err := f.s.DropBuyerCounts(ctx, d.ID)
	if err != nil || len(counts) != 2 || counts[webBuyer(1).Key()] != 2 || counts[webBuyer(2).Key()] != 1 {
		t.Fatalf("DropBuyerCounts = %v, %v", counts, err)
	}
	for _, tc := range []struct {
		b    commerce.Buyer
		want int
	}{{webBuyer(1), 2}, {webBuyer(2), 1}, {webBuyer(3), 0}} {
		if n, err := f.s.DropBuyerTaken(ctx, d.ID, tc.b); err != nil || n != tc.want {
			t.Errorf("DropBuyerTaken(%s) = %d, %v; want %d", tc.b.Key(), n, err, tc.want)
		}
	}
}
