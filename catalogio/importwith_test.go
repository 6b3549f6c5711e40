package catalogio_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"shopbot/catalogio"
	"shopbot/commerce"
	"shopbot/internal/testenv"
)

// TestImportWith: the shop's currency and categories the file names.
func TestImportWith(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	csv := "sku,category,title_en,price,currency,origin,stock\n" +
		"A-1,snacks,Crackers,12.00,,local,5\n" +
		"A-2,baby-care,Bottle,30.00,RUB,local,5\n" +
		"A-3,snacks,Tea,9.00,USD,local,5\n"
	items, err := catalogio.Parse(strings.NewReader(csv), catalogio.FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		currency string
		items    []catalogio.Item
		wantErr  error
		wantIn   []string // in the error
		want     catalogio.Result
	}{
		{name: "other currencies refused with their lines", currency: "CNY", items: items,
			wantErr: commerce.ErrCurrencyMismatch, wantIn: []string{"line 3: price in RUB", "line 4: price in USD"}},
		{name: "a bare price is in the shop's currency", currency: "RUB", items: items[:2],
			want: catalogio.Result{Upserted: 2, Created: 2, Categories: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := testenv.SQLite(t)
			res, err := catalogio.ImportWith(ctx, st, tc.items, catalogio.ImportOptions{Currency: tc.currency, Categories: st})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("ImportWith = %v, want %v", err, tc.wantErr)
				}
				for _, w := range tc.wantIn {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
				if n, _ := st.CountProducts(ctx); n != 0 {
					t.Errorf("%d products written after a refusal", n)
				}
				return
			}
			if err != nil || res != tc.want {
				t.Fatalf("ImportWith = %+v, %v; want %+v", res, err, tc.want)
			}
			cats, err := st.Categories(ctx)
			if err != nil || len(cats) != 2 || cats[0].Slug != "snacks" || cats[1].Title.In("en") != "Baby care" {
				t.Errorf("categories = %+v, %v", cats, err)
			}
			list, _ := st.Products(ctx, commerce.ProductFilter{})
			for _, p := range list {
				if p.Price.Currency != tc.currency {
					t.Errorf("%s priced in %s", p.SKU, p.Price.Currency)
				}
			}
		})
	}
}
