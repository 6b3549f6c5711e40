package commerce

import (
	"slices"
	"strings"
	"testing"
)

func TestSearchTerms(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"Serum", []string{"serum"}},
		{"  vitamin  C serum ", []string{"vitamin", "c", "serum"}},
		{"面霜", []string{"面霜"}},
		{"50%_off\\", []string{"50", "off"}},
		{`"quoted" *star*`, []string{"quoted", "star"}},
		{"a a a", []string{"a"}},
		{"1 2 3 4 5 6 7", []string{"1", "2", "3", "4", "5"}},
		{"Сыворотка!", []string{"сыворотка"}},
		{"SPF50+", []string{"spf50+"}},
		{strings.Repeat("я", 100), []string{strings.Repeat("я", MaxSearchWordLen)}},
		{"\xff\xfe", nil},
	} {
		if got := SearchTerms(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("SearchTerms(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestRankSearch(t *testing.T) {
	p := func(id int64, sku, title, desc string) Product {
		return Product{ID: id, SKU: sku, Active: true, Title: Text{"en": title}, Description: Text{"en": desc}}
	}
	cands := []Product{
		p(1, "A-1", "Cream", "goes well with the serum"),
		p(2, "SERUM", "Toner", "a toner"),
		p(3, "B-2", "Vitamin serum", ""),
		{ID: 4, SKU: "X", Title: Text{"en": "Serum, hidden"}},
		p(5, "C-3", "Soap", "no match"),
	}
	got := RankSearch(cands, []string{"serum"}, 8)
	var ids []int64
	for _, g := range got {
		ids = append(ids, g.ID)
	}
	if want := []int64{2, 3, 1}; !slices.Equal(ids, want) {
		t.Fatalf("ranked %v; want %v (SKU, title, description; hidden and non-matching left out)", ids, want)
	}
	if got := RankSearch(cands, []string{"serum"}, 1); len(got) != 1 || got[0].ID != 2 {
		t.Fatalf("limit 1: %v", got)
	}
	if got := RankSearch(cands, nil, 8); len(got) != 0 {
		t.Fatalf("no terms: %v", got)
	}
}

func FuzzSearchTerms(f *testing.F) {
	for _, s := range []string{"serum", "面霜", "50%_off", `a"b`, "Сыворотка с кислотой"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		terms := SearchTerms(s)
		if len(terms) > MaxSearchWords {
			t.Fatalf("%d terms", len(terms))
		}
		for _, w := range terms {
			if w == "" || strings.ContainsAny(w, "%_\\\"* \t\n") {
				t.Fatalf("term %q of %q", w, s)
			}
		}
	})
}
