package storetest

import (
	"context"
	"slices"
	"testing"

	"shopbot/commerce"
)

// runSearch runs the topic of searching the catalog: substrings in every
// language (Chinese words without spaces, short ones too), case folding,
// SKUs, hidden products left out, and the index kept in step with edits.
func runSearch(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"finds by title, description and SKU in every language", testSearchFinds},
		{"edits and hiding change what is found", testSearchFollowsEdits},
	})
}

// searchCatalog adds the products the search tests look for, returning them by SKU.
func searchCatalog(t *testing.T, s commerce.Store) map[string]commerce.Product {
	t.Helper()
	ctx := context.Background()
	c, err := s.UpsertCategory(ctx, commerce.Category{Slug: "skin", Title: commerce.Text{"en": "Skin"}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]commerce.Product{}
	for _, p := range []commerce.Product{
		{SKU: "SER-30", Title: commerce.Text{"en": "Hyaluronic Serum 30 ml", "zh-CN": "玻尿酸精华液", "ru": "Сыворотка с гиалуроновой кислотой"},
			Description: commerce.Text{"en": "Hydrating.", "ru": "Увлажняющая сыворотка из Кореи."}},
		{SKU: "CRM-50", Title: commerce.Text{"en": "Moisturizing cream", "zh-CN": "保湿面霜 50 g", "ru": "Увлажняющий крем"},
			Description: commerce.Text{"en": "Rich cream for dry skin; pairs well with a serum."}},
		{SKU: "SUN-50", Title: commerce.Text{"en": "Sunscreen SPF50+", "zh-CN": "防晒乳"},
			Description: commerce.Text{"en": "Water-resistant."}},
		{SKU: "OLD-1", Title: commerce.Text{"en": "Old serum (hidden)"}, Description: commerce.Text{"en": "Gone."}},
	} {
		p.CategoryID, p.Price, p.Origin, p.Stock, p.Active = c.ID, commerce.CNY(9900), commerce.OriginBonded, 5, p.SKU != "OLD-1"
		got, err := s.UpsertProduct(ctx, p)
		if err != nil {
			t.Fatalf("UpsertProduct %s: %v", p.SKU, err)
		}
		out[p.SKU] = got
	}
	return out
}

func skus(ps []commerce.Product) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.SKU)
	}
	return out
}

func testSearchFinds(t *testing.T, open OpenShop) {
	t.Parallel()
	s := open.plain(t)
	searchCatalog(t, s)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"面霜", []string{"CRM-50"}},              // two characters: no trigram, a scan
		{"保湿面霜", []string{"CRM-50"}},            // the whole title word, through the index
		{"精华", []string{"SER-30"}},              // Chinese inside a longer word
		{"serum", []string{"SER-30", "CRM-50"}}, // the title first, then the description; the hidden one never
		{"SERUM", []string{"SER-30", "CRM-50"}}, // case-insensitive
		{"Serum 30", []string{"SER-30"}},        // every word must occur
		{"crm-50", []string{"CRM-50"}},          // a SKU
		{"SUN-50", []string{"SUN-50"}},
		{"сыворотка", []string{"SER-30"}}, // Russian text, folded
		{"Увлажняющий", []string{"CRM-50"}},
		{"spf50+", []string{"SUN-50"}},
		{"zzz", nil},
		{"50%", []string{"CRM-50", "SUN-50"}}, // "%" dropped, not a wildcard
		{"  ", nil},
	} {
		got, err := s.Search(context.Background(), tc.query, 0)
		if err != nil {
			t.Fatalf("Search(%q): %v", tc.query, err)
		}
		if g := skus(got); !sameSet(g, tc.want) || len(tc.want) > 1 && tc.query != "50%" && !slices.Equal(g, tc.want) {
			t.Errorf("Search(%q) = %v; want %v", tc.query, g, tc.want)
		}
	}
	if got, err := s.Search(context.Background(), "a", 2); err != nil || len(got) != 2 {
		t.Errorf("Search with limit 2 = %v, %v", skus(got), err)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func testSearchFollowsEdits(t *testing.T, open OpenShop) {
	t.Parallel()
	s := open.plain(t)
	ps := searchCatalog(t, s)
	ctx := context.Background()
	sun := ps["SUN-50"]
	sun.Title = commerce.Text{"en": "Sun milk", "ru": "Солнцезащитное молочко"}
	if _, err := s.UpsertProduct(ctx, sun); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Search(ctx, "sunscreen", 0); len(got) != 0 {
		t.Errorf("the old title still found: %v", skus(got))
	}
	if got, _ := s.Search(ctx, "молочко", 0); !slices.Equal(skus(got), []string{"SUN-50"}) {
		t.Errorf("the new title not found: %v", skus(got))
	}
	sun.Active = false
	if _, err := s.UpsertProduct(ctx, sun); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Search(ctx, "молочко", 0); len(got) != 0 {
		t.Errorf("a hidden product found: %v", skus(got))
	}
	// A hidden category hides its products.
	if _, err := s.DB().ExecContext(ctx, `UPDATE categories SET hidden = TRUE WHERE id = $1`, sun.CategoryID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Search(ctx, "serum", 0); len(got) != 0 {
		t.Errorf("products of a hidden category found: %v", skus(got))
	}
}
