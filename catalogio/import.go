package catalogio

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"shopbot/commerce"
)

// Result counts what Import wrote.
type Result struct {
	Upserted int // products written, new or updated
	Created  int // of them, products that did not exist before
}

// Import writes items into s, upserting each product by SKU under the
// category its slug names. Before writing anything it checks every item:
// unknown category slugs are an ErrNotFound error listing all of them;
// invalid or duplicate products are ErrInvalid. Writes are not one
// transaction: when an upsert fails, Import stops and returns what it wrote
// so far with the error; running the import again is safe.
//
// Created is the growth of CountProducts over the import, so a concurrent
// writer of products skews it.
func Import(ctx context.Context, s commerce.CatalogStore, items []Item) (Result, error) {
	cats, err := s.Categories(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("import products: %w", err)
	}
	ids := make(map[string]int64, len(cats))
	for _, c := range cats {
		ids[c.Slug] = c.ID
	}
	var unknown []string
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		if _, ok := ids[it.CategorySlug]; !ok && !slices.Contains(unknown, it.CategorySlug) {
			unknown = append(unknown, it.CategorySlug)
		}
		if err := it.Product.Validate(); err != nil {
			return Result{}, fmt.Errorf("import products: item %d: %w", i+1, err)
		}
		if seen[it.Product.SKU] {
			return Result{}, fmt.Errorf("import products: item %d: duplicate sku %q: %w", i+1, it.Product.SKU, commerce.ErrInvalid)
		}
		seen[it.Product.SKU] = true
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		known := make([]string, 0, len(cats))
		for _, c := range cats {
			known = append(known, c.Slug)
		}
		return Result{}, fmt.Errorf("import products: unknown %s %s (known: %s): %w",
			plural(len(unknown), "category", "categories"), quoteAll(unknown), strings.Join(known, ", "), commerce.ErrNotFound)
	}
	if len(items) == 0 {
		return Result{}, nil
	}

	before, err := s.CountProducts(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("import products: %w", err)
	}
	var res Result
	created := func() {
		if after, err := s.CountProducts(ctx); err == nil {
			res.Created = min(max(after-before, 0), res.Upserted)
		}
	}
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			created()
			return res, fmt.Errorf("import products: %w", err)
		}
		p := it.Product
		p.ID = 0
		p.CategoryID = ids[it.CategorySlug]
		if _, err := s.UpsertProduct(ctx, p); err != nil {
			created()
			return res, fmt.Errorf("import products: sku %s: %w", p.SKU, err)
		}
		res.Upserted++
	}
	created()
	return res, nil
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
