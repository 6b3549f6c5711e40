package demo

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"strings"
	"sync"
	"testing"

	"shopbot/commerce"
)

// fakeStore is an in-memory commerce.CatalogStore and commerce.PickupStore
// with the upsert semantics of the real stores (by slug, SKU and code).
type fakeStore struct {
	mu         sync.Mutex
	categories []commerce.Category
	products   []commerce.Product
	points     []commerce.PickupPoint
	nextID     int64
}

func (s *fakeStore) id() int64 { s.nextID++; return s.nextID }

func (s *fakeStore) Categories(context.Context) ([]commerce.Category, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]commerce.Category(nil), s.categories...), nil
}

func (s *fakeStore) Products(_ context.Context, f commerce.ProductFilter) ([]commerce.Product, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []commerce.Product
	for _, p := range s.products {
		if (f.CategoryID == 0 || p.CategoryID == f.CategoryID) && (f.WithHidden || p.Active) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *fakeStore) Product(_ context.Context, id int64) (commerce.Product, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.products {
		if p.ID == id {
			return p, nil
		}
	}
	return commerce.Product{}, commerce.ErrNotFound
}

func (s *fakeStore) UpsertCategory(_ context.Context, c commerce.Category) (commerce.Category, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, old := range s.categories {
		if old.Slug == c.Slug {
			c.ID = old.ID
			s.categories[i] = c
			return c, nil
		}
	}
	c.ID = s.id()
	s.categories = append(s.categories, c)
	return c, nil
}

func (s *fakeStore) UpsertProduct(_ context.Context, p commerce.Product) (commerce.Product, error) {
	if err := p.Validate(); err != nil {
		return p, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for _, c := range s.categories {
		found = found || c.ID == p.CategoryID
	}
	if !found {
		return p, commerce.ErrNotFound
	}
	for i, old := range s.products {
		if old.SKU == p.SKU {
			p.ID = old.ID
			s.products[i] = p
			return p, nil
		}
	}
	p.ID = s.id()
	s.products = append(s.products, p)
	return p, nil
}

func (s *fakeStore) CountProducts(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.products), nil
}

func (s *fakeStore) Search(_ context.Context, query string, limit int) ([]commerce.Product, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return commerce.RankSearch(s.products, commerce.SearchTerms(query), limit), nil
}

func (s *fakeStore) PickupPoints(context.Context) ([]commerce.PickupPoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []commerce.PickupPoint
	for _, p := range s.points {
		if p.Active {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *fakeStore) AllPickupPoints(context.Context) ([]commerce.PickupPoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]commerce.PickupPoint(nil), s.points...), nil
}

func (s *fakeStore) PickupPoint(_ context.Context, id int64) (commerce.PickupPoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.points {
		if p.ID == id {
			return p, nil
		}
	}
	return commerce.PickupPoint{}, commerce.ErrNotFound
}

func (s *fakeStore) UpsertPickupPoint(_ context.Context, p commerce.PickupPoint) (commerce.PickupPoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, old := range s.points {
		if old.Code == p.Code {
			p.ID = old.ID
			s.points[i] = p
			return p, nil
		}
	}
	p.ID = s.id()
	s.points = append(s.points, p)
	return p, nil
}

func hasAllLanguages(t *testing.T, what string, txt commerce.Text) {
	t.Helper()
	for _, lang := range commerce.Languages {
		if strings.TrimSpace(txt[lang]) == "" {
			t.Errorf("%s: missing %s", what, lang)
		}
	}
	if len(txt) != len(commerce.Languages) {
		t.Errorf("%s: languages %v, want exactly %v", what, txt, commerce.Languages)
	}
}

func TestSeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := &fakeStore{}
	for range 2 { // idempotent
		if err := Seed(ctx, s); err != nil {
			t.Fatalf("Seed: %v", err)
		}
	}

	cats, _ := s.Categories(ctx)
	if len(cats) != len(Categories()) || len(cats) < 4 || len(cats) > 5 {
		t.Fatalf("%d categories after seeding twice, want %d (4–5)", len(cats), len(Categories()))
	}
	slugOf := make(map[int64]string)
	for _, c := range cats {
		slugOf[c.ID] = c.Slug
		hasAllLanguages(t, "category "+c.Slug, c.Title)
	}

	demo := Products()
	products, _ := s.Products(ctx, commerce.ProductFilter{WithHidden: true})
	if n, _ := s.CountProducts(ctx); n != len(demo) || len(products) != len(demo) || n < 16 || n > 20 {
		t.Fatalf("%d products after seeding twice, want %d (16–20)", n, len(demo))
	}
	want := make(map[string]DemoProduct)
	for _, dp := range demo {
		want[dp.SKU] = dp
	}
	origins := make(map[commerce.Origin]bool)
	var low, soldOut bool
	for _, p := range products {
		dp, ok := want[p.SKU]
		if !ok {
			t.Errorf("unexpected product %s", p.SKU)
			continue
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.SKU, err)
		}
		if got := slugOf[p.CategoryID]; got != dp.CategorySlug {
			t.Errorf("%s: category %q (id %d), want %q", p.SKU, got, p.CategoryID, dp.CategorySlug)
		}
		hasAllLanguages(t, p.SKU+" title", p.Title)
		hasAllLanguages(t, p.SKU+" description", p.Description)
		if p.Price.Currency != "CNY" || p.Price.Amount <= 0 {
			t.Errorf("%s: price %v, want a positive CNY amount", p.SKU, p.Price)
		}
		if p.Stock < 0 || p.Stock > 200 {
			t.Errorf("%s: stock %d out of 0–200", p.SKU, p.Stock)
		}
		if p.Image != ImagePrefix+p.SKU || !p.Active {
			t.Errorf("%s: image %q active %v", p.SKU, p.Image, p.Active)
		}
		origins[p.Origin] = true
		low = low || p.Stock == 3
		soldOut = soldOut || p.Stock == 0
	}
	for _, o := range []commerce.Origin{commerce.OriginBonded, commerce.OriginDirectMail, commerce.OriginDutyPaid, commerce.OriginLocal} {
		if !origins[o] {
			t.Errorf("no demo product with origin %s", o)
		}
	}
	if !low || !soldOut {
		t.Errorf("want a product with stock 3 (%v) and a sold-out one (%v)", low, soldOut)
	}

	points, _ := s.PickupPoints(ctx)
	if len(points) != len(PickupPoints()) || len(points) < 3 {
		t.Fatalf("%d pickup points, want %d", len(points), len(PickupPoints()))
	}
	cities := make(map[string]bool)
	for _, p := range points {
		cities[p.City["en"]] = true
		hasAllLanguages(t, p.Code+" city", p.City)
		hasAllLanguages(t, p.Code+" name", p.Name)
		hasAllLanguages(t, p.Code+" address", p.Address)
		if p.Hours != "10:00–21:00" || p.TimeZone != "Asia/Shanghai" || p.Lat == 0 || p.Lon == 0 {
			t.Errorf("%s: hours %q zone %q at %v,%v", p.Code, p.Hours, p.TimeZone, p.Lat, p.Lon)
		}
	}
	if len(cities) != 2 {
		t.Errorf("pickup cities %v, want 2", cities)
	}
}

func TestSeedUnique(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for _, c := range Categories() {
		if seen["cat:"+c.Slug] {
			t.Errorf("duplicate category slug %s", c.Slug)
		}
		seen["cat:"+c.Slug] = true
	}
	for _, p := range Products() {
		if seen[p.SKU] {
			t.Errorf("duplicate SKU %s", p.SKU)
		}
		seen[p.SKU] = true
		if !seen["cat:"+p.CategorySlug] {
			t.Errorf("%s: unknown category %q", p.SKU, p.CategorySlug)
		}
	}
	for _, p := range PickupPoints() {
		if seen["pt:"+p.Code] {
			t.Errorf("duplicate pickup point code %s", p.Code)
		}
		seen["pt:"+p.Code] = true
	}
}

// failingStore fails the first product upsert.
type failingStore struct{ fakeStore }

var errBoom = errors.New("boom")

func (s *failingStore) UpsertProduct(context.Context, commerce.Product) (commerce.Product, error) {
	return commerce.Product{}, errBoom
}

func TestSeedError(t *testing.T) {
	t.Parallel()
	s := &failingStore{}
	err := Seed(context.Background(), s)
	if !errors.Is(err, errBoom) {
		t.Fatalf("Seed = %v, want errBoom", err)
	}
	if len(s.points) != 0 {
		t.Errorf("pickup points written after a failed product upsert")
	}
}

func TestRenderImage(t *testing.T) {
	t.Parallel()
	for i, p := range Products() {
		sizes := []int{MinImageSize + 1}
		if i == 0 {
			sizes = append(sizes, 640) // the full size once: slow under -race
		}
		for _, size := range sizes {
			b, err := RenderImage(p.Image, size)
			if err != nil {
				t.Fatalf("RenderImage(%q, %d): %v", p.Image, size, err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: decode: %v", p.Image, err)
			}
			if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
				t.Errorf("%s: size %v, want %d×%d", p.Image, b, size, size)
			}
		}
	}
}

func TestRenderImageDeterministic(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	out := make([][]byte, 4)
	for i := range out {
		wg.Go(func() {
			b, err := RenderImage("demo:SNK-001", 320)
			if err != nil {
				t.Error(err)
			}
			out[i] = b
		})
	}
	wg.Wait()
	for i := 1; i < len(out); i++ {
		if !bytes.Equal(out[0], out[i]) {
			t.Fatalf("render %d differs from render 0", i)
		}
	}
	other, err := RenderImage("demo:SNK-002", 320)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(out[0], other) {
		t.Error("two products render the same picture")
	}
}

func TestRenderImageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key  string
		size int
		want error
	}{
		{"demo:NOPE-1", 640, commerce.ErrNotFound},
		{"COS-001", 640, commerce.ErrNotFound},
		{"", 640, commerce.ErrNotFound},
		{"https://example.com/a.png", 640, commerce.ErrNotFound},
		{"demo:cos-001", 640, commerce.ErrNotFound},
		{"demo:COS-001", 0, commerce.ErrInvalid},
		{"demo:COS-001", MaxImageSize + 1, commerce.ErrInvalid},
	} {
		b, err := RenderImage(tc.key, tc.size)
		if !errors.Is(err, tc.want) || b != nil {
			t.Errorf("RenderImage(%q, %d) = %d bytes, %v; want %v", tc.key, tc.size, len(b), err, tc.want)
		}
	}
}

func BenchmarkRenderImage(b *testing.B) {
	for b.Loop() {
		if _, err := RenderImage("demo:BAB-001", 640); err != nil {
			b.Fatal(err)
		}
	}
}
