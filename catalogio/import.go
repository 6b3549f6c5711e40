package catalogio

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"shopbot/commerce"
)

// Result counts what Import wrote.
type Result struct {
	Upserted int // products written, new or updated
	Created  int // of them, products that did not exist before
	// Categories counts the categories the import created.
	Categories int
}

// CategoryCreator makes a category an import names (commerce.ShopSetupStore does).
type CategoryCreator interface {
	CreateCategory(ctx context.Context, c commerce.Category) (commerce.Category, error)
}

// ImportOptions say what the shop accepts.
type ImportOptions struct {
	// Currency is the shop's currency: a price in another is refused with
	// the item's line, a price with no currency is in it. "" checks nothing.
	Currency string
	// Categories, when set, creates the categories the file names that do
	// not exist yet (titled after their slug, in Lang); nil refuses them.
	Categories CategoryCreator
	// Lang is the language of the titles of created categories (default en).
	Lang string
}

// Import writes items into s as ImportWith does, with no currency check,
// refusing unknown categories.
func Import(ctx context.Context, s commerce.CatalogStore, items []Item) (Result, error) {
	return ImportWith(ctx, s, items, ImportOptions{})
}

// ImportWith writes items into s, upserting each product by SKU under the
// category its slug names. Before writing anything it checks every item:
// a price in another currency than o.Currency is ErrCurrencyMismatch
// naming the item's line (every such line, up to MaxErrors); unknown
// category slugs are an ErrNotFound error listing all of them unless
// o.Categories creates them; invalid or duplicate products are ErrInvalid.
// Writes are not one transaction: when an upsert fails, Import stops and
// returns what it wrote so far with the error; running the import again is
// safe.
//
// Created is the growth of CountProducts over the import, so a concurrent
// writer of products skews it.
func ImportWith(ctx context.Context, s commerce.CatalogStore, items []Item, o ImportOptions) (Result, error) {
	cats, err := s.Categories(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("import products: %w", err)
	}
	ids := make(map[string]int64, len(cats))
	for _, c := range cats {
		ids[c.Slug] = c.ID
	}
	if items, err = checkItems(items, o.Currency); err != nil {
		return Result{}, err
	}
	var unknown []string
	for _, it := range items {
		if _, ok := ids[it.CategorySlug]; !ok && !slices.Contains(unknown, it.CategorySlug) {
			unknown = append(unknown, it.CategorySlug)
		}
	}
	var res Result
	if len(unknown) > 0 && o.Categories == nil {
		slices.Sort(unknown)
		known := make([]string, 0, len(cats))
		for _, c := range cats {
			known = append(known, c.Slug)
		}
		return Result{}, fmt.Errorf("import products: unknown %s %s (known: %s): %w",
			plural(len(unknown), "category", "categories"), quoteAll(unknown), strings.Join(known, ", "), commerce.ErrNotFound)
	}
	for _, slug := range unknown {
		title := slugTitle(slug) // under the language it is written in, as captions are
		c, err := o.Categories.CreateCategory(ctx, commerce.Category{Slug: slug,
			Title: commerce.Text{commerce.TextLanguage(title, or(o.Lang, "en")): title}})
		if errors.Is(err, commerce.ErrConflict) { // made meanwhile: read it
			if c, err = categoryBySlug(ctx, s, slug); err != nil {
				return res, fmt.Errorf("import products: category %q: %w", slug, err)
			}
		} else if err != nil {
			return res, fmt.Errorf("import products: create category %q: %w", slug, err)
		} else {
			res.Categories++
		}
		ids[slug] = c.ID
	}
	if len(items) == 0 {
		return res, nil
	}
	return upsertAll(ctx, s, items, ids, res)
}

// checkItems validates every item and puts prices without a currency into
// currency; the errors name the items' lines.
func checkItems(items []Item, currency string) ([]Item, error) {
	out := make([]Item, len(items))
	seen := make(map[string]bool, len(items))
	var errs []error
	for i, it := range items {
		where := it.Where
		if where == "" {
			where = "item " + strconv.Itoa(i+1)
		}
		if currency != "" && !it.CurrencyGiven && it.Product.Price.Currency != currency && it.Product.Price.Amount > 0 {
			if commerce.MinorDigits(currency) != commerce.MinorDigits(it.Product.Price.Currency) {
				errs = append(errs, fmt.Errorf("%s: price without a currency: give the currency column (%s): %w", where, currency, commerce.ErrInvalid))
				continue
			}
			it.Product.Price.Currency = currency
		}
		if currency != "" && it.Product.Price.Currency != currency {
			errs = append(errs, fmt.Errorf("%s: price in %s, the shop sells in %s (every price is in the shop's currency): %w",
				where, it.Product.Price.Currency, currency, commerce.ErrCurrencyMismatch))
			if len(errs) >= MaxErrors {
				break
			}
			continue
		}
		if err := it.Product.Validate(); err != nil {
			return nil, fmt.Errorf("import products: %s: %w", where, err)
		}
		if seen[it.Product.SKU] {
			return nil, fmt.Errorf("import products: %s: duplicate sku %q: %w", where, it.Product.SKU, commerce.ErrInvalid)
		}
		seen[it.Product.SKU] = true
		out[i] = it
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("import products: %w", errors.Join(errs...))
	}
	return out, nil
}

func upsertAll(ctx context.Context, s commerce.CatalogStore, items []Item, ids map[string]int64, res Result) (Result, error) {
	before, err := s.CountProducts(ctx)
	if err != nil {
		return res, fmt.Errorf("import products: %w", err)
	}
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

func categoryBySlug(ctx context.Context, s commerce.CatalogStore, slug string) (commerce.Category, error) {
	cats, err := s.Categories(ctx)
	if err != nil {
		return commerce.Category{}, err
	}
	for _, c := range cats {
		if c.Slug == slug {
			return c, nil
		}
	}
	return commerce.Category{}, commerce.ErrNotFound
}

// slugTitle is a created category's first title: its slug with spaces
// for - and _, the first letter upper case ("baby-care" → "Baby care").
func slugTitle(slug string) string {
	t := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' {
			return ' '
		}
		return r
	}, slug)
	r, n := utf8.DecodeRuneInString(t)
	return string(unicode.ToUpper(r)) + t[n:]
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
