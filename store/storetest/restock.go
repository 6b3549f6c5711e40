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

// runRestock runs the back-in-stock topic: subscriptions to a sold-out
// product, and the one ProductRestocked per waiting buyer that every stock
// rise (seller's edit, import, cancelled order) emits in its transaction.
func runRestock(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"Subscribe", testRestockSubscribe},
		{"EveryStockRiseNotifiesOnce", testRestockEveryRise},
		{"ConcurrentRestocksAndSubscribes", testRestockConcurrent},
		{"EventFailureRollsBack", testRestockEventFailure},
	})
}

type restockStore interface {
	ShopStore
	commerce.RestockStore
}

func openRestock(t *testing.T, open OpenShop, hook func(commerce.Event) error) restockStore {
	t.Helper()
	s, ok := open(t, hook).(restockStore)
	if !ok {
		t.Fatal("the store does not implement commerce.RestockStore")
	}
	return s
}

func restockSub(productID int64, user string) commerce.RestockSubscriber {
	return commerce.RestockSubscriber{ProductID: productID, Buyer: commerce.Buyer{Channel: "tg", UserID: user},
		ChatID: user, Lang: "ru", CreatedAt: shopNow}
}

func testRestockSubscribe(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := openRestock(t, open, noHook)
	f := newFixture(t, s, 0, 3, 0, 0)
	soldOut, inStock := f.products[0].ID, f.products[1].ID
	b := commerce.Buyer{Channel: "tg", UserID: "u1"}
	for _, tc := range []struct {
		sub  commerce.RestockSubscriber
		want commerce.RestockResult
		err  error
	}{
		{restockSub(soldOut, "u1"), commerce.RestockSubscribed, nil},
		{restockSub(soldOut, "u1"), commerce.RestockAlready, nil},
		{restockSub(inStock, "u1"), commerce.RestockInStock, nil},
		{restockSub(f.products[2].ID, "u1"), commerce.RestockSubscribed, nil},
		{restockSub(f.products[3].ID, "u1"), 0, commerce.ErrRestockLimit}, // max 2 below
		{restockSub(f.products[3].ID, "u2"), commerce.RestockSubscribed, nil},
		{restockSub(soldOut+1000, "u1"), 0, commerce.ErrNotFound},
	} {
		got, err := s.SubscribeRestock(ctx, tc.sub, 2)
		if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("SubscribeRestock(%d, %s) = %v, %v; want %v, %v", tc.sub.ProductID, tc.sub.Buyer.UserID, got, err, tc.want, tc.err)
		}
	}
	list, err := s.RestockSubscriptions(ctx, b)
	if err != nil || len(list) != 2 || list[0].ProductID != soldOut || list[0].ChatID != "u1" || list[0].Lang != "ru" ||
		list[0].Buyer != b || !list[0].CreatedAt.Equal(shopNow) {
		t.Fatalf("RestockSubscriptions = %+v, %v", list, err)
	}
	if w, err := s.RestockWaiting(ctx, soldOut, b); !w || err != nil {
		t.Fatalf("RestockWaiting = %v, %v", w, err)
	}
	if ok, err := s.CancelRestock(ctx, soldOut, b); !ok || err != nil {
		t.Fatalf("CancelRestock = %v, %v", ok, err)
	}
	if ok, err := s.CancelRestock(ctx, soldOut, b); ok || err != nil {
		t.Fatalf("CancelRestock again = %v, %v; want false", ok, err)
	}
	if w, _ := s.RestockWaiting(ctx, soldOut, b); w {
		t.Fatal("still waiting after CancelRestock")
	}
	// A hidden product cannot be waited for.
	if _, err := s.UpdateProduct(ctx, soldOut, func(p *commerce.Product) error { p.Active = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SubscribeRestock(ctx, restockSub(soldOut, "u3"), 2); !errors.Is(err, commerce.ErrUnavailable) {
		t.Fatalf("SubscribeRestock(hidden) err = %v; want ErrUnavailable", err)
	}
}

// restockedUsers is who the ProductRestocked events of product told.
func restockedUsers(t *testing.T, log *eventLog, product int64) map[string]int {
	t.Helper()
	told := map[string]int{}
	for _, e := range log.named(commerce.ProductRestocked{}.EventName()) {
		r := e.(commerce.ProductRestocked)
		if r.ProductID != product {
			continue
		}
		if len(r.Subscribers) == 0 {
			t.Errorf("ProductRestocked of product %d with no subscribers", product)
		}
		for _, sub := range r.Subscribers {
			if sub.ProductID != product || sub.ChatID != sub.Buyer.UserID || sub.Buyer.Channel != "tg" {
				t.Errorf("subscriber %+v in the event of product %d", sub, product)
			}
			told[sub.Buyer.UserID]++
		}
	}
	return told
}

func testRestockEveryRise(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	log := &eventLog{}
	s := openRestock(t, open, log.hook)
	f := newFixture(t, s, 0, 1)
	p := f.products[0]
	subscribe := func(users ...string) {
		t.Helper()
		for _, u := range users {
			if r, err := s.SubscribeRestock(ctx, restockSub(p.ID, u), 10); r != commerce.RestockSubscribed || err != nil {
				t.Fatalf("SubscribeRestock(%s) = %v, %v", u, r, err)
			}
		}
	}
	check := func(step string, want map[string]int) {
		t.Helper()
		got := restockedUsers(t, log, p.ID)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: told %v; want %v", step, got, want)
		}
	}
	// A seller's edit.
	subscribe("a", "b", "c")
	if _, err := s.AdjustStock(ctx, p.ID, 5); err != nil {
		t.Fatal(err)
	}
	check("AdjustStock +5", map[string]int{"a": 1, "b": 1, "c": 1})
	if _, err := s.AdjustStock(ctx, p.ID, 1); err != nil {
		t.Fatal(err)
	}
	check("a second rise", map[string]int{"a": 1, "b": 1, "c": 1})
	// Sold out again; an import brings it back.
	if _, err := s.AdjustStock(ctx, p.ID, -6); err != nil {
		t.Fatal(err)
	}
	subscribe("a")
	check("sold out again", map[string]int{"a": 1, "b": 1, "c": 1})
	p.Stock = 2
	if _, err := s.UpsertProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	check("import", map[string]int{"a": 2, "b": 1, "c": 1})
	// Sold to a buyer, and back when the order is cancelled.
	o, _, err := s.PlaceOrder(ctx, f.order("k1", "buyer", 2), commerce.PersonLimits{})
	if err != nil {
		t.Fatal(err)
	}
	subscribe("d")
	if _, err := s.SetOrderStatus(ctx, o.ID, commerce.StatusPending, commerce.StatusCancelled, shopNow.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	check("order cancelled", map[string]int{"a": 2, "b": 1, "c": 1, "d": 1})
	// Hidden while sold out: restocking tells no one until it is shown.
	if _, err := s.AdjustStock(ctx, p.ID, -2); err != nil {
		t.Fatal(err)
	}
	subscribe("e")
	if _, err := s.UpdateProduct(ctx, p.ID, func(p *commerce.Product) error { p.Active = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AdjustStock(ctx, p.ID, 3); err != nil {
		t.Fatal(err)
	}
	check("restocked while hidden", map[string]int{"a": 2, "b": 1, "c": 1, "d": 1})
	if _, err := s.UpdateProduct(ctx, p.ID, func(p *commerce.Product) error { p.Active = true; return nil }); err != nil {
		t.Fatal(err)
	}
	check("shown again", map[string]int{"a": 2, "b": 1, "c": 1, "d": 1, "e": 1})
	if list, _ := s.RestockSubscriptions(ctx, commerce.Buyer{Channel: "tg", UserID: "a"}); len(list) != 0 {
		t.Fatalf("a notified subscription still waits: %+v", list)
	}
}

// Many buyers subscribe while several restocks race: every buyer told
// "subscribed" is in exactly one event, nobody else is, and nobody is left
// waiting for a product in stock.
func testRestockConcurrent(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	log := &eventLog{}
	s := openRestock(t, open, log.hook)
	f := newFixture(t, s, 0)
	p := f.products[0]
	const early, late, restocks = 30, 30, 6
	for i := range early {
		if r, err := s.SubscribeRestock(ctx, restockSub(p.ID, fmt.Sprintf("e%d", i)), 10); r != commerce.RestockSubscribed || err != nil {
			t.Fatalf("SubscribeRestock = %v, %v", r, err)
		}
	}
	var mu sync.Mutex
	subscribed := map[string]bool{}
	var wg sync.WaitGroup
	for i := range late {
		wg.Go(func() {
			u := fmt.Sprintf("l%d", i)
			r, err := s.SubscribeRestock(ctx, restockSub(p.ID, u), 10)
			if err != nil {
				t.Errorf("SubscribeRestock(%s): %v", u, err)
				return
			}
			mu.Lock()
			subscribed[u] = r == commerce.RestockSubscribed
			mu.Unlock()
		})
	}
	for i := range restocks {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = s.AdjustStock(ctx, p.ID, 1)
			} else {
				q := p
				q.Stock = 10 + i
				_, err = s.UpsertProduct(ctx, q)
			}
			if err != nil {
				t.Errorf("restock %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	told := restockedUsers(t, log, p.ID)
	for i := range early {
		subscribed[fmt.Sprintf("e%d", i)] = true
	}
	for u, sub := range subscribed {
		want := 0
		if sub {
			want = 1
		}
		if told[u] != want {
			t.Errorf("buyer %s (subscribed %v) told %d times; want %d", u, sub, told[u], want)
		}
	}
	if len(told) > len(subscribed) {
		t.Errorf("told %d buyers; only %d subscribed", len(told), len(subscribed))
	}
	var waiting int
	if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM restock_subscriptions WHERE notified_at IS NULL`).Scan(&waiting); err != nil || waiting != 0 {
		t.Fatalf("%d subscriptions still wait (%v) for a product in stock", waiting, err)
	}
}

// The event is part of the stock change: when it cannot be queued, the
// restock is rolled back and the buyers still wait.
func testRestockEventFailure(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	log := &eventLog{}
	s := openRestock(t, open, log.hook)
	f := newFixture(t, s, 0)
	p := f.products[0]
	if r, err := s.SubscribeRestock(ctx, restockSub(p.ID, "a"), 10); r != commerce.RestockSubscribed || err != nil {
		t.Fatalf("SubscribeRestock = %v, %v", r, err)
	}
	log.failOn(commerce.ProductRestocked{}.EventName())
	if _, err := s.AdjustStock(ctx, p.ID, 3); err == nil {
		t.Fatal("AdjustStock succeeded with the event refused")
	}
	q := p
	q.Stock = 3
	if _, err := s.UpsertProduct(ctx, q); err == nil {
		t.Fatal("UpsertProduct succeeded with the event refused")
	}
	if n := f.stock(t, 0); n != 0 {
		t.Fatalf("stock %d after refused restocks; want 0", n)
	}
	if w, err := s.RestockWaiting(ctx, p.ID, commerce.Buyer{Channel: "tg", UserID: "a"}); !w || err != nil {
		t.Fatalf("RestockWaiting = %v, %v; want still waiting", w, err)
	}
	log.failOn("")
	if _, err := s.AdjustStock(ctx, p.ID, 3); err != nil {
		t.Fatal(err)
	}
	if told := restockedUsers(t, log, p.ID); told["a"] != 1 {
		t.Fatalf("told %v after the retry", told)
	}
}
