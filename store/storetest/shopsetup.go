package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
)

// runShopSetup runs the shop setup topic: the shop's profile and its one
// currency, the seller's categories, and what pickup points keep of it.
func runShopSetup(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"ProfileRoundTrip", testProfileRoundTrip},
		{"CurrencyLockedByProducts", testProfileCurrencyLocked},
		{"ConcurrentProfileEditsAllApply", testProfileConcurrentEdits},
		{"Categories", testSetupCategories},
		{"CategoryOrder", testSetupCategoryOrder},
		{"PointBondedZone", testSetupPointBondedZone},
	})
}

func testProfileRoundTrip(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open.plain(t)
	if _, err := s.ShopProfile(ctx); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("ShopProfile of a new shop = %v, want ErrNotFound", err)
	}
	want := commerce.ShopProfile{Name: "Global Picks", Welcome: commerce.Text{"ru": "Привет", "zh-CN": "欢迎"},
		Languages: []string{"ru", "zh-CN"}, DefaultLang: "ru", TimeZone: "Europe/Moscow", Region: "RU", Currency: "RUB",
		ContactHours: "Mo-Fr 10-19"}
	saved, err := s.UpdateShopProfile(ctx, func(p *commerce.ShopProfile) error {
		if p.Name != "" || p.Currency != "" {
			t.Errorf("a new profile = %+v, want empty", *p)
		}
		*p = want
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ShopProfile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.UpdatedAt.IsZero() || !saved.UpdatedAt.Equal(got.UpdatedAt) {
		t.Errorf("UpdatedAt = %v / %v", saved.UpdatedAt, got.UpdatedAt)
	}
	got.UpdatedAt = time.Time{}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ShopProfile = %+v\nwant %+v", got, want)
	}
	// An edit that fails changes nothing.
	boom := errors.New("boom")
	if _, err := s.UpdateShopProfile(ctx, func(p *commerce.ShopProfile) error { p.Name = "X"; return boom }); !errors.Is(err, boom) {
		t.Errorf("failing edit = %v", err)
	}
	if got, _ := s.ShopProfile(ctx); got.Name != want.Name {
		t.Errorf("name after a failed edit = %q", got.Name)
	}
}

func testProfileCurrencyLocked(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open.plain(t)
	f := newFixture(t, s, 5) // a CNY product
	setCurrency := func(c string) error {
		_, err := s.UpdateShopProfile(ctx, func(p *commerce.ShopProfile) error { p.Currency = c; return nil })
		return err
	}
	if err := setCurrency("RUB"); !errors.Is(err, commerce.ErrCurrencyLocked) {
		t.Fatalf("switching to RUB with a CNY product = %v, want ErrCurrencyLocked", err)
	}
	if p, _ := s.ShopProfile(ctx); p.Currency != "" {
		t.Errorf("currency after the refusal = %q", p.Currency)
	}
	if err := setCurrency("CNY"); err != nil {
		t.Fatalf("setting CNY with CNY products: %v", err)
	}
	rub := f.products[0]
	rub.ID, rub.SKU, rub.Price = 0, "RUB-1", commerce.Money{Amount: 99000, Currency: "RUB"}
	if _, err := s.UpsertProduct(ctx, rub); !errors.Is(err, commerce.ErrCurrencyMismatch) {
		t.Errorf("UpsertProduct in RUB in a CNY shop = %v, want ErrCurrencyMismatch", err)
	}
	if _, _, err := s.CreateProduct(ctx, rub); !errors.Is(err, commerce.ErrCurrencyMismatch) {
		t.Errorf("CreateProduct in RUB in a CNY shop = %v, want ErrCurrencyMismatch", err)
	}
	if n, _ := s.CountProducts(ctx); n != 1 {
		t.Errorf("%d products, want 1", n)
	}
}

// testProfileConcurrentEdits: edits run one after the other (the row is
// locked), so none is lost.
func testProfileConcurrentEdits(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open.plain(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := s.UpdateShopProfile(ctx, func(p *commerce.ShopProfile) error { p.ContactHours += "x"; return nil })
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if p, _ := s.ShopProfile(ctx); p.ContactHours != strings.Repeat("x", n) {
		t.Errorf("contact hours = %q after %d concurrent appends", p.ContactHours, n)
	}
}

func testSetupCategories(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open.plain(t)
	a, err := s.CreateCategory(ctx, commerce.Category{Slug: "tea", Title: commerce.Text{"en": "Tea"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateCategory(ctx, commerce.Category{Slug: "cups", Title: commerce.Text{"en": "Cups"}, Hidden: true})
	if err != nil {
		t.Fatal(err)
	}
	if b.Sort <= a.Sort {
		t.Errorf("a new category comes last: sorts %d, %d", a.Sort, b.Sort)
	}
	if _, err := s.CreateCategory(ctx, commerce.Category{Slug: "tea", Title: commerce.Text{"en": "Tea 2"}}); !errors.Is(err, commerce.ErrConflict) {
		t.Errorf("CreateCategory(taken slug) = %v, want ErrConflict", err)
	}
	up, err := s.UpdateCategory(ctx, a.ID, func(c *commerce.Category) error {
		c.Title["zh-CN"], c.Hidden, c.Slug, c.Sort = "茶", true, "changed", 99
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if up.Slug != "tea" || up.Sort != a.Sort || up.Title["zh-CN"] != "茶" || up.Title["en"] != "Tea" || !up.Hidden {
		t.Errorf("UpdateCategory = %+v: title and hidden change, slug and order stay", up)
	}
	cats, err := s.Categories(ctx)
	if err != nil || len(cats) != 2 || !cats[0].Hidden || cats[0].Title["zh-CN"] != "茶" || !cats[1].Hidden {
		t.Errorf("Categories = %+v, %v", cats, err)
	}
	if _, err := s.UpdateCategory(ctx, 999999, func(*commerce.Category) error { return nil }); !errors.Is(err, commerce.ErrNotFound) {
		t.Errorf("UpdateCategory(absent) = %v, want ErrNotFound", err)
	}
}

func testSetupCategoryOrder(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open.plain(t)
	var ids []int64
	for _, slug := range []string{"a", "b", "c"} {
		c, err := s.CreateCategory(ctx, commerce.Category{Slug: slug, Title: commerce.Text{"en": slug}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	order := []int64{ids[2], ids[0], ids[1]}
	if err := s.SetCategoryOrder(ctx, order); err != nil {
		t.Fatal(err)
	}
	cats, _ := s.Categories(ctx)
	var got []int64
	for _, c := range cats {
		got = append(got, c.ID)
	}
	if !slices.Equal(got, order) {
		t.Errorf("order = %v, want %v", got, order)
	}
	if err := s.SetCategoryOrder(ctx, order[:2]); !errors.Is(err, commerce.ErrConflict) {
		t.Errorf("SetCategoryOrder(missing one) = %v, want ErrConflict", err)
	}
}

func testSetupPointBondedZone(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open.plain(t)
	pt, err := s.UpsertPickupPoint(ctx, commerce.PickupPoint{Code: "FTZ", Name: commerce.Text{"en": "Waigaoqiao"},
		Address: commerce.Text{"en": "1 Bonded Rd"}, TimeZone: "Asia/Shanghai", Active: true, BondedZone: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.PickupPoint(ctx, pt.ID)
	if err != nil || !got.BondedZone {
		t.Errorf("PickupPoint = %+v, %v; want the bonded-zone flag kept", got, err)
	}
}
