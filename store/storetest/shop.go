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
	"shopbot/internal/testenv"
)

// fixture is a tiny catalog: one category, products with given stock, one
// point, and the fixed time its orders are placed at.
type fixture struct {
	store    commerce.Store
	category commerce.Category
	point    commerce.PickupPoint
	products []commerce.Product
	now      time.Time
}

// shopNow is when the fixture's orders are placed: a fixed time, so no
// test reads the wall clock.
var shopNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, s commerce.Store, stocks ...int) *fixture {
	t.Helper()
	ctx := context.Background()
	c, err := s.UpsertCategory(ctx, commerce.Category{Slug: "snacks", Title: commerce.Text{"en": "Snacks", "zh-CN": "零食"}})
	if err != nil {
		t.Fatalf("UpsertCategory: %v", err)
	}
	pt, err := s.UpsertPickupPoint(ctx, commerce.PickupPoint{Code: "SH1", City: commerce.Text{"en": "Shanghai"},
		Name: commerce.Text{"en": "Jing'an counter"}, Address: commerce.Text{"en": "1 Test Rd"}, TimeZone: "Asia/Shanghai", Active: true})
	if err != nil {
		t.Fatalf("UpsertPickupPoint: %v", err)
	}
	f := &fixture{store: s, category: c, point: pt, now: shopNow}
	for i, stock := range stocks {
		p, err := s.UpsertProduct(ctx, commerce.Product{
			SKU: fmt.Sprintf("SKU-%d", i), CategoryID: c.ID, Title: commerce.Text{"en": fmt.Sprintf("Item %d", i)},
			Description: commerce.Text{"en": "desc"}, Price: commerce.CNY(int64(1000 * (i + 1))),
			Origin: commerce.OriginDutyPaid, Stock: stock, Active: true,
		})
		if err != nil {
			t.Fatalf("UpsertProduct: %v", err)
		}
		f.products = append(f.products, p)
	}
	return f
}

func (f *fixture) order(key string, buyer string, qty ...int) commerce.Order {
	now := f.now
	o := commerce.Order{
		Number: commerce.NewOrderNumber(), Buyer: commerce.Buyer{Channel: "web", UserID: buyer}, ChatID: buyer,
		Lang: "en", Status: commerce.StatusPending, PickupPointID: f.point.ID, ContactName: "Li", Phone: "+8613800000000",
		IdempotencyKey: key, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(15 * time.Minute),
	}
	for i, q := range qty {
		if q == 0 {
			continue
		}
		p := f.products[i]
		o.Lines = append(o.Lines, commerce.OrderLine{ProductID: p.ID, SKU: p.SKU, Title: p.Title, UnitPrice: p.Price, Qty: q})
		o.Total, _ = o.Total.Add(p.Price.Mul(q))
	}
	return o
}

func (f *fixture) stock(t *testing.T, i int) int {
	t.Helper()
	p, err := f.store.Product(context.Background(), f.products[i].ID)
	if err != nil {
		t.Fatalf("Product: %v", err)
	}
	return p.Stock
}

// runShop runs the commerce.Store topic: catalog, orders and their stock,
// and the Shop service over them.
func runShop(t *testing.T, open OpenShop) {
	for _, c := range []struct {
		name string
		run  func(*testing.T, commerce.Store)
	}{
		{"catalog", testCatalog},
		{"pickup points", testPickupPointList},
		{"place order reserves stock", testPlaceOrder},
		{"sold out changes nothing", testSoldOut},
		{"status transitions and restock", testStatusTransitions},
		{"expired orders", testExpiredOrders},
		{"concurrent buyers never oversell", testConcurrentBuyers},
		{"double tap makes one order", testDoubleTap},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, open.plain(t)) })
	}
	t.Run("shop flow", func(t *testing.T) { runShopFlow(t, open) })
}

func testCatalog(t *testing.T, s commerce.Store) {
	ctx := context.Background()
	f := newFixture(t, s, 5, 0)
	hidden := f.products[1]
	hidden.Active = false
	if _, err := s.UpsertProduct(ctx, hidden); err != nil {
		t.Fatal(err)
	}
	visible, err := s.Products(ctx, commerce.ProductFilter{CategoryID: f.category.ID})
	if err != nil || len(visible) != 1 || visible[0].ID != f.products[0].ID {
		t.Fatalf("Products (visible) = %v, %v; want only product 0", visible, err)
	}
	all, err := s.Products(ctx, commerce.ProductFilter{WithHidden: true})
	if err != nil || len(all) != 2 {
		t.Fatalf("Products (all) = %d, %v; want 2", len(all), err)
	}
	got, err := s.Product(ctx, f.products[0].ID)
	if err != nil || got.Title.In("en") != "Item 0" || got.Price != commerce.CNY(1000) || got.Stock != 5 || got.Origin != commerce.OriginDutyPaid {
		t.Fatalf("Product = %+v, %v", got, err)
	}
	if _, err := s.Product(ctx, 987654); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("Product(missing) err = %v; want ErrNotFound", err)
	}
	cats, err := s.Categories(ctx)
	if err != nil || len(cats) != 1 || cats[0].Title.In("zh-CN") != "零食" {
		t.Fatalf("Categories = %+v, %v", cats, err)
	}
	// Upsert by SKU updates in place.
	p := f.products[0]
	p.Price = commerce.CNY(1234)
	up, err := s.UpsertProduct(ctx, p)
	if err != nil || up.ID != p.ID {
		t.Fatalf("re-upsert = %+v, %v", up, err)
	}
	if n, err := s.CountProducts(ctx); err != nil || n != 2 {
		t.Fatalf("CountProducts = %d, %v", n, err)
	}
	bad := p
	bad.SKU, bad.CategoryID = "NEW-1", 999999
	if _, err := s.UpsertProduct(ctx, bad); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("upsert with unknown category err = %v; want ErrNotFound", err)
	}
}

func testPickupPointList(t *testing.T, s commerce.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	pts, err := s.PickupPoints(ctx)
	if err != nil || len(pts) != 1 || pts[0].TimeZone != "Asia/Shanghai" {
		t.Fatalf("PickupPoints = %+v, %v", pts, err)
	}
	if _, err := s.PickupPoint(ctx, 424242); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("PickupPoint(missing) err = %v", err)
	}
	closed := f.point
	closed.Code, closed.Active = "CLOSED1", false
	if _, err := s.UpsertPickupPoint(ctx, closed); err != nil {
		t.Fatal(err)
	}
	if pts, _ := s.PickupPoints(ctx); len(pts) != 1 {
		t.Fatalf("PickupPoints lists a closed point: %d points", len(pts))
	}
	if all, err := s.AllPickupPoints(ctx); err != nil || len(all) != 2 || all[1].Code != "CLOSED1" || all[1].Active {
		t.Fatalf("AllPickupPoints = %+v, %v; want the open and the closed point", all, err)
	}
}

func testPlaceOrder(t *testing.T, s commerce.Store) {
	ctx := context.Background()
	f := newFixture(t, s, 5, 3)
	o, created, err := s.PlaceOrder(ctx, f.order("k1", "u1", 2, 1), commerce.PersonLimits{})
	if err != nil || !created {
		t.Fatalf("PlaceOrder = %v, %v", created, err)
	}
	if o.ID == 0 || len(o.Lines) != 2 || o.Total != commerce.CNY(2*1000+2000) || o.Status != commerce.StatusPending {
		t.Fatalf("placed order = %+v", o)
	}
	if f.stock(t, 0) != 3 || f.stock(t, 1) != 2 {
		t.Fatalf("stock = %d,%d; want 3,2", f.stock(t, 0), f.stock(t, 1))
	}
	// The same key again: same order, no more stock taken.
	again, created, err := s.PlaceOrder(ctx, f.order("k1", "u1", 2, 1), commerce.PersonLimits{})
	if err != nil || created || again.ID != o.ID {
		t.Fatalf("PlaceOrder retry = %d created=%v %v; want %d, false", again.ID, created, err, o.ID)
	}
	if f.stock(t, 0) != 3 {
		t.Fatalf("retry took stock: %d", f.stock(t, 0))
	}
	byKey, err := s.OrderByKey(ctx, "k1")
	if err != nil || byKey.ID != o.ID || byKey.Number != o.Number {
		t.Fatalf("OrderByKey = %+v, %v", byKey, err)
	}
	list, err := s.OrdersByBuyer(ctx, commerce.Buyer{Channel: "web", UserID: "u1"}, 10)
	if err != nil || len(list) != 1 || len(list[0].Lines) != 2 {
		t.Fatalf("OrdersByBuyer = %+v, %v", list, err)
	}
	if other, _ := s.OrdersByBuyer(ctx, commerce.Buyer{Channel: "tg", UserID: "u1"}, 10); len(other) != 0 {
		t.Fatalf("orders leaked across channels: %+v", other)
	}
}

func testSoldOut(t *testing.T, s commerce.Store) {
	ctx := context.Background()
	f := newFixture(t, s, 5, 1)
	if _, _, err := s.PlaceOrder(ctx, f.order("k2", "u1", 2, 2), commerce.PersonLimits{}); !errors.Is(err, commerce.ErrSoldOut) {
		t.Fatalf("PlaceOrder err = %v; want ErrSoldOut", err)
	}
	if f.stock(t, 0) != 5 || f.stock(t, 1) != 1 {
		t.Fatalf("stock after failed order = %d,%d; want 5,1", f.stock(t, 0), f.stock(t, 1))
	}
	if _, err := s.OrderByKey(ctx, "k2"); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("failed order was stored: %v", err)
	}
}

func testStatusTransitions(t *testing.T, s commerce.Store) {
	ctx := context.Background()
	f := newFixture(t, s, 5)
	o, _, err := s.PlaceOrder(ctx, f.order("k3", "u1", 4), commerce.PersonLimits{})
	if err != nil {
		t.Fatal(err)
	}
	now := f.now
	if _, err := s.SetOrderStatus(ctx, o.ID, commerce.StatusConfirmed, commerce.StatusShipped, now); !errors.Is(err, commerce.ErrConflict) {
		t.Fatalf("wrong from: err = %v; want ErrConflict", err)
	}
	if _, err := s.SetOrderStatus(ctx, 99999, commerce.StatusPending, commerce.StatusConfirmed, now); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("missing order: err = %v; want ErrNotFound", err)
	}
	c, err := s.SetOrderStatus(ctx, o.ID, commerce.StatusPending, commerce.StatusConfirmed, now)
	if err != nil || c.Status != commerce.StatusConfirmed {
		t.Fatalf("confirm = %v, %v", c.Status, err)
	}
	if f.stock(t, 0) != 1 {
		t.Fatalf("confirm changed stock: %d", f.stock(t, 0))
	}
	if _, err := s.SetOrderStatus(ctx, o.ID, commerce.StatusConfirmed, commerce.StatusCancelled, now); err != nil {
		t.Fatal(err)
	}
	if f.stock(t, 0) != 5 {
		t.Fatalf("cancel did not restock: %d", f.stock(t, 0))
	}
	// A second cancel from the old status conflicts and does not restock twice.
	if _, err := s.SetOrderStatus(ctx, o.ID, commerce.StatusConfirmed, commerce.StatusCancelled, now); !errors.Is(err, commerce.ErrConflict) {
		t.Fatalf("double cancel err = %v", err)
	}
	if f.stock(t, 0) != 5 {
		t.Fatalf("double cancel restocked twice: %d", f.stock(t, 0))
	}
}

func testExpiredOrders(t *testing.T, s commerce.Store) {
	ctx := context.Background()
	f := newFixture(t, s, 5)
	o := f.order("k4", "u1", 1)
	o.ExpiresAt = f.now.Add(-time.Minute)
	placed, _, err := s.PlaceOrder(ctx, o, commerce.PersonLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PlaceOrder(ctx, f.order("k5", "u1", 1), commerce.PersonLimits{}); err != nil {
		t.Fatal(err)
	}
	ids, err := s.ExpiredOrders(ctx, f.now, 10)
	if err != nil || len(ids) != 1 || ids[0] != placed.ID {
		t.Fatalf("ExpiredOrders = %v, %v; want [%d]", ids, err, placed.ID)
	}
}

func testConcurrentBuyers(t *testing.T, s commerce.Store) {
	ctx := context.Background()
	f := newFixture(t, s, 10)
	var sold, soldOut atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := s.PlaceOrder(ctx, f.order(fmt.Sprintf("race-%d", i), fmt.Sprintf("buyer-%d", i), 1), commerce.PersonLimits{})
			switch {
			case err == nil:
				sold.Add(1)
			case errors.Is(err, commerce.ErrSoldOut):
				soldOut.Add(1)
			default:
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
	if sold.Load() != 10 || soldOut.Load() != 40 || f.stock(t, 0) != 0 {
		t.Fatalf("sold=%d soldOut=%d stock=%d; want 10, 40, 0", sold.Load(), soldOut.Load(), f.stock(t, 0))
	}
}

func testDoubleTap(t *testing.T, s commerce.Store) {
	ctx := context.Background()
	f := newFixture(t, s, 10)
	ids := make(chan int64, 10)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, _, err := s.PlaceOrder(ctx, f.order("same-key", "u1", 2), commerce.PersonLimits{})
			if err != nil {
				t.Errorf("PlaceOrder: %v", err)
				return
			}
			ids <- o.ID
		}()
	}
	wg.Wait()
	close(ids)
	var first int64
	for id := range ids {
		if first == 0 {
			first = id
		}
		if id != first {
			t.Fatalf("double tap made orders %d and %d", first, id)
		}
	}
	if f.stock(t, 0) != 8 {
		t.Fatalf("stock = %d; want 8 (one order of 2)", f.stock(t, 0))
	}
}

// shopFlow is commerce.Shop over a fresh store with an injected clock, and a
// checkout of two units of product 0 at the fixture's point.
type shopFlow struct {
	s     commerce.Store
	f     *fixture
	clock *testenv.Clock
	shop  *commerce.Shop
	buyer commerce.Buyer
	co    commerce.Checkout
}

func newShopFlow(t *testing.T, open OpenShop) *shopFlow {
	t.Helper()
	s := open.plain(t)
	e := &shopFlow{s: s, f: newFixture(t, s, 10, 10), clock: testenv.NewClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)),
		buyer: commerce.Buyer{Channel: "web", UserID: "alice"}}
	e.shop = commerce.NewShop(commerce.ShopOptions{Store: s, Clock: e.clock, ReservationTTL: 15 * time.Minute, MaxQtyPerLine: 5})
	var cart commerce.Cart
	if _, err := e.shop.AddToCart(context.Background(), &cart, e.f.products[0].ID, 2); err != nil {
		t.Fatal(err)
	}
	e.co = commerce.Checkout{Buyer: e.buyer, ChatID: "alice", Lang: "en", Cart: cart, PickupPointID: e.f.point.ID,
		ContactName: " Alice  Li ", Phone: "+86 138-0000-0000", IdempotencyKey: "co-1"}
	return e
}

// runShopFlow exercises commerce.Shop over the store: prices from the
// database, price-change detection, idempotent checkout, confirm, cancel and
// expiry with an injected clock.
func runShopFlow(t *testing.T, open OpenShop) {
	for _, c := range []struct {
		name string
		run  func(*testing.T, *shopFlow)
	}{
		{"checkout, confirm and cancel", testShopCheckout},
		{"reservation runs out", testShopExpiry},
		{"refusals", testShopRefusals},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, newShopFlow(t, open)) })
	}
}

func testShopCheckout(t *testing.T, e *shopFlow) {
	ctx := context.Background()
	shop, s, buyer, co := e.shop, e.s, e.buyer, e.co
	var cart commerce.Cart
	if _, err := shop.AddToCart(ctx, &cart, e.f.products[0].ID, 6); !errors.Is(err, commerce.ErrQuantity) {
		t.Fatalf("over-cap add err = %v", err)
	}
	// A tampered seen price cannot lower the charge: totals come from the database.
	co.Cart.Lines[0].SeenPrice = commerce.CNY(1)
	var pce *commerce.PriceChangedError
	if _, _, err := shop.PlaceOrder(ctx, co); !errors.As(err, &pce) || !errors.Is(err, commerce.ErrPriceChanged) {
		t.Fatalf("tampered price err = %v; want PriceChangedError", err)
	}
	co.Cart.Lines[0].SeenPrice = pce.Lines[0].SeenPrice
	o, created, err := shop.PlaceOrder(ctx, co)
	if err != nil || !created {
		t.Fatalf("PlaceOrder = created %v, %v", created, err)
	}
	if o.Total != commerce.CNY(2000) || o.ContactName != "Alice Li" || o.Phone != "+8613800000000" || len(o.Number) != 6 {
		t.Fatalf("order = %+v", o)
	}
	if again, created, err := shop.PlaceOrder(ctx, co); err != nil || again.ID != o.ID || created {
		t.Fatalf("retried checkout = %d created=%v, %v; want %d, false", again.ID, created, err, o.ID)
	}
	if _, err := shop.ConfirmOrder(ctx, commerce.Buyer{Channel: "web", UserID: "mallory"}, o.ID); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("confirm by another buyer err = %v; want ErrNotFound", err)
	}
	c, err := shop.ConfirmOrder(ctx, buyer, o.ID)
	if err != nil || c.Status != commerce.StatusConfirmed {
		t.Fatalf("confirm = %v, %v", c.Status, err)
	}
	if _, err := shop.ConfirmOrder(ctx, buyer, o.ID); err != nil {
		t.Fatalf("double confirm: %v", err)
	}
	if _, err := shop.AdvanceOrder(ctx, o.ID, commerce.StatusPickedUp); !errors.Is(err, commerce.ErrInvalidTransition) {
		t.Fatalf("confirmed → picked_up err = %v; want ErrInvalidTransition", err)
	}
	if x, err := shop.CancelOrder(ctx, buyer, o.ID); err != nil || x.Status != commerce.StatusCancelled {
		t.Fatalf("cancel = %v, %v", x.Status, err)
	}
	if got, _ := s.Product(ctx, e.f.products[0].ID); got.Stock != 10 {
		t.Fatalf("stock after cancel = %d; want 10", got.Stock)
	}
}

// testShopExpiry: an order left pending until its reservation runs out.
func testShopExpiry(t *testing.T, e *shopFlow) {
	ctx := context.Background()
	co := e.co
	co.IdempotencyKey = "co-2"
	p, _, err := e.shop.PlaceOrder(ctx, co)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := e.shop.ExpireOrder(ctx, p.ID); ok || err != nil {
		t.Fatalf("early expire = %v, %v; want false, nil", ok, err)
	}
	e.clock.Advance(15 * time.Minute)
	if _, err := e.shop.ConfirmOrder(ctx, e.buyer, p.ID); !errors.Is(err, commerce.ErrExpired) {
		t.Fatalf("confirm after expiry err = %v; want ErrExpired", err)
	}
	if got, _ := e.s.Product(ctx, e.f.products[0].ID); got.Stock != 10 {
		t.Fatalf("stock after expiry = %d; want 10", got.Stock)
	}
	if n, err := e.shop.ExpireDue(ctx); n != 0 || err != nil {
		t.Fatalf("ExpireDue after expiry = %d, %v", n, err)
	}
}

func testShopRefusals(t *testing.T, e *shopFlow) {
	ctx := context.Background()
	co := e.co
	co.IdempotencyKey = "co-3"
	co.PickupPointID = 777777
	if _, _, err := e.shop.PlaceOrder(ctx, co); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("unknown pickup point err = %v", err)
	}
	co.PickupPointID, co.Phone = e.f.point.ID, "call me"
	if _, _, err := e.shop.PlaceOrder(ctx, co); !errors.Is(err, commerce.ErrInvalid) {
		t.Fatalf("bad phone err = %v", err)
	}
}
