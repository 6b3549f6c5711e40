package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shopbot/commerce"
)

// runSeller runs the seller topic: listings created, edited, hidden and
// restocked by sellers, their pictures, and stock edits racing sales.
func runSeller(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"CreateIsIdempotentOnSKU", testSellerCreateIsIdempotentOnSKU},
		{"ConcurrentCreatesMakeOne", testSellerConcurrentCreatesMakeOne},
		{"UpdateNeverWritesStock", testSellerUpdateNeverWritesStock},
		{"HiddenProducts", testSellerHiddenProducts},
		{"AdjustStock", testSellerAdjustStock},
		{"Images", testSellerImages},
		{"StockEditsRaceSales", testSellerStockEditsRaceSales},
	})
}

// sellerProduct is a seller's listing of sku in the fixture's category.
func sellerProduct(f *fixture, sku string, stock int) commerce.Product {
	return commerce.Product{SKU: sku, CategoryID: f.category.ID, Title: commerce.Text{"en": "Serum " + sku},
		Description: commerce.Text{}, Price: commerce.CNY(12900), Origin: commerce.OriginDutyPaid, Stock: stock,
		Image: "up-0123456789abcdef0123456789abcdef.jpg", Active: true}
}

func testSellerCreateIsIdempotentOnSKU(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open.plain(t)
	f := newFixture(t, s)
	p, created, err := s.CreateProduct(ctx, sellerProduct(f, "S-ABC", 20))
	if err != nil || !created || p.ID == 0 || p.Stock != 20 || !p.Active || p.Image == "" {
		t.Fatalf("CreateProduct = %+v, %v, %v", p, created, err)
	}
	again := sellerProduct(f, "S-ABC", 99)
	again.Price = commerce.CNY(1)
	got, created, err := s.CreateProduct(ctx, again)
	if err != nil || created || got.ID != p.ID || got.Stock != 20 || got.Price != p.Price {
		t.Fatalf("CreateProduct again = %+v, %v, %v; want the first product unchanged", got, created, err)
	}
	if n, _ := s.CountProducts(ctx); n != 1 {
		t.Fatalf("%d products after a retried create; want 1", n)
	}
	bySKU, err := s.ProductBySKU(ctx, "S-ABC")
	if err != nil || bySKU.ID != p.ID || bySKU.Title.In("en") != "Serum S-ABC" {
		t.Fatalf("ProductBySKU = %+v, %v", bySKU, err)
	}
	if _, err := s.ProductBySKU(ctx, "S-NONE"); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("ProductBySKU(missing) err = %v; want ErrNotFound", err)
	}
	noCat := sellerProduct(f, "S-NOCAT", 1)
	noCat.CategoryID = f.category.ID + 1000
	if _, _, err := s.CreateProduct(ctx, noCat); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("CreateProduct(missing category) err = %v; want ErrNotFound", err)
	}
	bad := sellerProduct(f, "S-BAD", 1)
	bad.Price.Amount = 0
	if _, _, err := s.CreateProduct(ctx, bad); !errors.Is(err, commerce.ErrInvalid) {
		t.Fatalf("CreateProduct(no price) err = %v; want ErrInvalid", err)
	}
	if n, _ := s.CountProducts(ctx); n != 1 {
		t.Fatalf("refused creates left %d products; want 1", n)
	}
}

// Two devices (or a redelivered webhook) publish one listing at once:
// one product.
func testSellerConcurrentCreatesMakeOne(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open.plain(t)
	f := newFixture(t, s)
	const n = 16
	var created atomic.Int64
	ids := make(chan int64, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			p, c, err := s.CreateProduct(ctx, sellerProduct(f, "S-RACE", 5))
			if err != nil {
				t.Errorf("CreateProduct: %v", err)
				return
			}
			if c {
				created.Add(1)
			}
			ids <- p.ID
		})
	}
	wg.Wait()
	close(ids)
	first := int64(0)
	for id := range ids {
		if first == 0 {
			first = id
		}
		if id != first {
			t.Fatalf("racing creates returned products %d and %d", first, id)
		}
	}
	if created.Load() != 1 {
		t.Fatalf("%d creates reported created; want 1", created.Load())
	}
	if n, _ := s.CountProducts(ctx); n != 1 {
		t.Fatalf("%d products; want 1", n)
	}
}

func testSellerUpdateNeverWritesStock(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open.plain(t)
	f := newFixture(t, s, 10)
	id := f.products[0].ID
	p, err := s.UpdateProduct(ctx, id, func(p *commerce.Product) error {
		p.Title["zh-CN"] = "精华"
		p.Price = commerce.CNY(9900)
		p.Stock = 1000  // ignored
		p.SKU = "OTHER" // ignored
		return nil
	})
	if err != nil || p.Stock != 10 || p.SKU != f.products[0].SKU || p.Price != commerce.CNY(9900) || p.Title["zh-CN"] != "精华" {
		t.Fatalf("UpdateProduct = %+v, %v", p, err)
	}
	stored, _ := s.Product(ctx, id)
	if stored.Stock != 10 || stored.Price != commerce.CNY(9900) || stored.Title.In("zh-CN") != "精华" || stored.Title.In("en") != "Item 0" {
		t.Fatalf("stored after update: %+v", stored)
	}
	for name, edit := range map[string]func(*commerce.Product) error{
		"invalid price":    func(p *commerce.Product) error { p.Price.Amount = -1; return nil },
		"missing category": func(p *commerce.Product) error { p.CategoryID += 1000; return nil },
		"edit refuses":     func(p *commerce.Product) error { p.Price.Amount = 1; return commerce.ErrCurrencyMismatch },
	} {
		if _, err := s.UpdateProduct(ctx, id, edit); err == nil {
			t.Errorf("%s: UpdateProduct succeeded", name)
		}
	}
	if again, _ := s.Product(ctx, id); again.Price != stored.Price || again.CategoryID != stored.CategoryID {
		t.Fatalf("refused updates changed the product: %+v", again)
	}
	if _, err := s.UpdateProduct(ctx, id+1000, func(*commerce.Product) error { return nil }); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("UpdateProduct(missing) err = %v; want ErrNotFound", err)
	}
}

func testSellerHiddenProducts(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open.plain(t)
	f := newFixture(t, s, 10, 10)
	o, _, err := s.PlaceOrder(ctx, f.order("before-hide", "u1", 2), commerce.PersonLimits{})
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := s.UpdateProduct(ctx, f.products[0].ID, func(p *commerce.Product) error { p.Active = false; return nil })
	if err != nil || hidden.Active {
		t.Fatalf("hide: %+v, %v", hidden, err)
	}
	list, _ := s.Products(ctx, commerce.ProductFilter{})
	if len(list) != 1 || list[0].ID != f.products[1].ID {
		t.Fatalf("listing after hiding shows %d products: %+v", len(list), list)
	}
	all, _ := s.Products(ctx, commerce.ProductFilter{WithHidden: true})
	if len(all) != 2 {
		t.Fatalf("listing with hidden shows %d products; want 2", len(all))
	}
	if p, err := s.Product(ctx, f.products[0].ID); err != nil || p.Active {
		t.Fatalf("Product(hidden) = %+v, %v", p, err)
	}
	if _, _, err := s.PlaceOrder(ctx, f.order("after-hide", "u2", 1), commerce.PersonLimits{}); !errors.Is(err, commerce.ErrSoldOut) {
		t.Fatalf("ordering a hidden product err = %v; want ErrSoldOut", err)
	}
	// The order placed before is untouched, and cancelling it returns its units.
	if got, err := s.Order(ctx, o.ID); err != nil || got.Status != commerce.StatusPending || len(got.Lines) != 1 {
		t.Fatalf("order placed before hiding: %+v, %v", got, err)
	}
	if _, err := s.SetOrderStatus(ctx, o.ID, commerce.StatusPending, commerce.StatusCancelled, f.now); err != nil {
		t.Fatal(err)
	}
	if st := f.stock(t, 0); st != 10 {
		t.Fatalf("stock after cancelling = %d; want 10", st)
	}
}

func testSellerAdjustStock(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open.plain(t)
	f := newFixture(t, s, 5)
	id := f.products[0].ID
	for _, tc := range []struct {
		delta, want int
		err         error
	}{
		{+5, 10, nil}, {-3, 7, nil}, {0, 7, nil}, {-8, 7, commerce.ErrSoldOut}, {-7, 0, nil},
		{commerce.MaxStock + 1, 0, commerce.ErrInvalid}, {commerce.MaxStock, commerce.MaxStock, nil},
	} {
		p, err := s.AdjustStock(ctx, id, tc.delta)
		if !errors.Is(err, tc.err) || tc.err == nil && err != nil {
			t.Fatalf("AdjustStock(%+d) err = %v; want %v", tc.delta, err, tc.err)
		}
		if st := f.stock(t, 0); st != tc.want || err == nil && p.Stock != tc.want {
			t.Fatalf("AdjustStock(%+d): stock %d (returned %d); want %d", tc.delta, st, p.Stock, tc.want)
		}
	}
	if _, err := s.AdjustStock(ctx, id+1000, 1); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("AdjustStock(missing) err = %v; want ErrNotFound", err)
	}
}

func testSellerImages(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open.plain(t)
	img := commerce.StoredImage{Key: "up-00112233445566778899aabbccddeeff.png", ContentType: "image/png",
		Data: []byte("\x89PNG fake bytes"), Width: 3, Height: 2, CreatedAt: time.UnixMilli(1_800_000_000_000).UTC()}
	for range 2 { // saving a key again changes nothing
		if err := s.SaveImage(ctx, img); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Image(ctx, img.Key)
	if err != nil || !bytes.Equal(got.Data, img.Data) || got.ContentType != img.ContentType || got.Width != 3 || got.Height != 2 || !got.CreatedAt.Equal(img.CreatedAt) {
		t.Fatalf("Image = %+v, %v", got, err)
	}
	if _, err := s.Image(ctx, "up-ffffffffffffffffffffffffffffffff.png"); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("Image(missing) err = %v; want ErrNotFound", err)
	}
	if err := s.SaveImage(ctx, commerce.StoredImage{Key: "../etc/passwd", Data: []byte("x")}); !errors.Is(err, commerce.ErrInvalid) {
		t.Fatalf("SaveImage(bad key) err = %v; want ErrInvalid", err)
	}

	// Pruning takes old pictures no product names; a product's stays.
	f := newFixture(t, s)
	used := img
	used.Key = "up-0123456789abcdef0123456789abcdef.jpg" // newProduct's image
	young := img
	young.Key, young.CreatedAt = "up-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png", img.CreatedAt.Add(48*time.Hour)
	for _, im := range []commerce.StoredImage{used, young} {
		if err := s.SaveImage(ctx, im); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.CreateProduct(ctx, sellerProduct(f, "S-IMG", 1)); err != nil {
		t.Fatal(err)
	}
	n, err := s.PruneImages(ctx, img.CreatedAt.Add(time.Hour), 100)
	if err != nil || n != 1 {
		t.Fatalf("PruneImages = %d, %v; want 1", n, err)
	}
	if _, err := s.Image(ctx, img.Key); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("unused old picture kept: %v", err)
	}
	for _, k := range []string{used.Key, young.Key} {
		if _, err := s.Image(ctx, k); err != nil {
			t.Fatalf("picture %s pruned: %v", k, err)
		}
	}
}

// Sellers restock and edit while buyers buy: no sale is lost or made
// twice, and the stock ends at what was added minus what was sold.
func testSellerStockEditsRaceSales(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open.plain(t)
	const start, buyers, restocks, edits = 30, 120, 20, 10
	f := newFixture(t, s, start)
	id := f.products[0].ID
	var sold, added atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, buyers+restocks+edits)
	for i := range buyers {
		wg.Go(func() {
			_, _, err := s.PlaceOrder(ctx, f.order(fmt.Sprintf("race-%d", i), fmt.Sprintf("buyer-%d", i), 1), commerce.PersonLimits{})
			switch {
			case err == nil:
				sold.Add(1)
			case !errors.Is(err, commerce.ErrSoldOut):
				errs <- err
			}
		})
	}
	for i := range restocks {
		wg.Go(func() {
			delta := 2
			if i%4 == 0 {
				delta = -1 // a seller correcting a count down
			}
			_, err := s.AdjustStock(ctx, id, delta)
			switch {
			case err == nil:
				added.Add(int64(delta))
			case !errors.Is(err, commerce.ErrSoldOut):
				errs <- err
			}
		})
	}
	for i := range edits {
		wg.Go(func() {
			lang := fmt.Sprintf("x%d", i)
			_, err := s.UpdateProduct(ctx, id, func(p *commerce.Product) error {
				p.Title[lang] = "title " + lang
				return nil
			})
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
	p, err := s.Product(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if want := start + int(added.Load()) - int(sold.Load()); p.Stock != want || p.Stock < 0 {
		t.Fatalf("stock %d after selling %d and adding %d to %d; want %d", p.Stock, sold.Load(), added.Load(), start, want)
	}
	var held int
	if err := s.DB().QueryRowContext(ctx, `SELECT COALESCE(SUM(qty), 0) FROM order_lines WHERE product_id = $1`, id).Scan(&held); err != nil {
		t.Fatal(err)
	}
	if int64(held) != sold.Load() {
		t.Fatalf("%d units in orders; %d sales succeeded", held, sold.Load())
	}
	// No edit lost another's: every language's title is there.
	for i := range edits {
		if lang := fmt.Sprintf("x%d", i); p.Title[lang] != "title "+lang {
			t.Errorf("title in %s lost: %v", lang, p.Title)
		}
	}
}
