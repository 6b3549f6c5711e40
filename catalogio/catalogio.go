// Package catalogio reads product files (CSV or JSON) for
// `shopbot catalog import FILE` and writes their products into a
// commerce.CatalogStore.
//
// Both formats carry the same fields:
//
//	sku            required, unique in the file, no spaces
//	category       required, the slug of an existing category
//	title_en       required; title_zh, title_ru optional
//	description_en, description_zh, description_ru  optional
//	price          required, a plain decimal ("129.00") in the currency
//	currency       ISO 4217 code, default CNY
//	origin         required: bonded, direct_mail, duty_paid or local_stock
//	stock          required, a whole number ≥ 0
//	image          optional
//	active         optional true/false (yes/no, 1/0), default true
//
// A CSV file starts with a header row naming its columns in any order; a
// JSON file is an array of objects. Parsing is strict: unknown columns or
// fields, duplicate SKUs and invalid values are errors naming the CSV line or
// the JSON item, and all of them match commerce.ErrInvalid.
package catalogio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"shopbot/commerce"
)

// File formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// Limits on one file.
const (
	MaxBytes       = 10 << 20 // input size
	MaxItems       = 10_000   // products
	MaxErrors      = 20       // item errors reported before Parse gives up
	MaxTitle       = 200      // characters in one title
	MaxDescription = 4000     // characters in one description
	MaxImage       = 1024     // bytes in an image reference
)

// DefaultCurrency is the currency of a price whose currency is left empty.
const DefaultCurrency = "CNY"

// Item is one product read from a file, with its category named by slug.
type Item struct {
	Product      commerce.Product
	CategorySlug string
	// Where names the item in its file: "line 7" (CSV) or "item 3 (line
	// 12)" (JSON); empty for items not read from a file.
	Where string
	// CurrencyGiven is false when the file left the currency empty: the
	// price is then in the shop's currency (ImportOptions.Currency).
	CurrencyGiven bool
}

// FormatOf names the format of a file by its extension (.csv or .json, any case).
func FormatOf(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return FormatCSV, nil
	case ".json":
		return FormatJSON, nil
	}
	return "", fmt.Errorf("file %q: unknown format, want a .csv or .json file: %w", path, commerce.ErrInvalid)
}

// Parse reads a whole product file in the given format ("csv" or "json") and
// returns its items, each valid by commerce.Product.Validate. It reads at
// most MaxBytes and accepts at most MaxItems products; a file without
// products is an error too. Item errors name the CSV line or JSON item, up to
// MaxErrors of them joined; every error matches commerce.ErrInvalid except a
// failure to read r.
func Parse(r io.Reader, format string) ([]Item, error) {
	if format != FormatCSV && format != FormatJSON {
		return nil, fmt.Errorf("format %q: want %q or %q: %w", format, FormatCSV, FormatJSON, commerce.ErrInvalid)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read product file: %w", err)
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("product file larger than %d MiB: %w", MaxBytes>>20, commerce.ErrInvalid)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // spreadsheet exports start with a BOM
	var items []Item
	if format == FormatCSV {
		items, err = parseCSV(data)
	} else {
		items, err = parseJSON(data)
	}
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("product file has no products: %w", commerce.ErrInvalid)
	}
	return items, nil
}

// Field (CSV column, JSON key) names.
const (
	colSKU           = "sku"
	colCategory      = "category"
	colTitleEN       = "title_en"
	colTitleZH       = "title_zh"
	colTitleRU       = "title_ru"
	colDescriptionEN = "description_en"
	colDescriptionZH = "description_zh"
	colDescriptionRU = "description_ru"
	colPrice         = "price"
	colCurrency      = "currency"
	colOrigin        = "origin"
	colStock         = "stock"
	colImage         = "image"
	colActive        = "active"
)

// columns lists every known field; required the ones a file must have.
var (
	columns = []string{colSKU, colCategory, colTitleEN, colTitleZH, colTitleRU,
		colDescriptionEN, colDescriptionZH, colDescriptionRU,
		colPrice, colCurrency, colOrigin, colStock, colImage, colActive}
	required = []string{colSKU, colCategory, colTitleEN, colPrice, colOrigin, colStock}
)

// fields is one product as text, the common ground of both formats.
type fields struct {
	SKU, Category                  string
	TitleEN, TitleZH, TitleRU      string
	DescriptionEN, DescriptionZH   string
	DescriptionRU                  string
	Price, Currency, Origin, Stock string
	Image, Active                  string
}

// set assigns the field named by a known column.
func (f *fields) set(col, v string) {
	switch col {
	case colSKU:
		f.SKU = v
	case colCategory:
		f.Category = v
	case colTitleEN:
		f.TitleEN = v
	case colTitleZH:
		f.TitleZH = v
	case colTitleRU:
		f.TitleRU = v
	case colDescriptionEN:
		f.DescriptionEN = v
	case colDescriptionZH:
		f.DescriptionZH = v
	case colDescriptionRU:
		f.DescriptionRU = v
	case colPrice:
		f.Price = v
	case colCurrency:
		f.Currency = v
	case colOrigin:
		f.Origin = v
	case colStock:
		f.Stock = v
	case colImage:
		f.Image = v
	case colActive:
		f.Active = v
	}
}

// item converts and validates one product's fields.
func (f fields) item() (Item, error) {
	sku, err := code(colSKU, f.SKU)
	if err != nil {
		return Item{}, err
	}
	slug, err := code(colCategory, f.Category)
	if err != nil {
		return Item{}, err
	}
	p := commerce.Product{SKU: sku, Title: commerce.Text{}, Description: commerce.Text{}}
	for _, t := range []struct {
		col, lang, v string
		txt          commerce.Text
		limit        int
		multiline    bool
	}{
		{colTitleEN, "en", f.TitleEN, p.Title, MaxTitle, false},
		{colTitleZH, "zh-CN", f.TitleZH, p.Title, MaxTitle, false},
		{colTitleRU, "ru", f.TitleRU, p.Title, MaxTitle, false},
		{colDescriptionEN, "en", f.DescriptionEN, p.Description, MaxDescription, true},
		{colDescriptionZH, "zh-CN", f.DescriptionZH, p.Description, MaxDescription, true},
		{colDescriptionRU, "ru", f.DescriptionRU, p.Description, MaxDescription, true},
	} {
		s, err := text(t.col, t.v, t.limit, t.multiline)
		if err != nil {
			return Item{}, err
		}
		if s != "" {
			t.txt[t.lang] = s
		}
	}
	if p.Title["en"] == "" {
		return Item{}, fmt.Errorf("%s is required: %w", colTitleEN, commerce.ErrInvalid)
	}

	currency := strings.ToUpper(strings.TrimSpace(f.Currency))
	given := currency != ""
	if !given {
		currency = DefaultCurrency
	}
	if len(currency) != 3 || strings.Trim(currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return Item{}, fmt.Errorf("currency %q: want a 3-letter ISO 4217 code: %w", clip(f.Currency), commerce.ErrInvalid)
	}
	price := strings.TrimSpace(f.Price)
	if price == "" {
		return Item{}, fmt.Errorf("%s is required: %w", colPrice, commerce.ErrInvalid)
	}
	if p.Price, err = commerce.ParseMoney(price, currency); err != nil {
		if strings.Contains(price, ",") {
			return Item{}, fmt.Errorf("price %q: write decimals with a dot: %w", clip(f.Price), commerce.ErrInvalid)
		}
		return Item{}, fmt.Errorf("price %q: %w", clip(f.Price), commerce.ErrInvalid)
	}
	if p.Price.Amount <= 0 {
		return Item{}, fmt.Errorf("price %q: must be more than zero: %w", clip(f.Price), commerce.ErrInvalid)
	}

	if strings.TrimSpace(f.Origin) == "" {
		return Item{}, fmt.Errorf("%s is required: %w", colOrigin, commerce.ErrInvalid)
	}
	if p.Origin, err = commerce.ParseOrigin(f.Origin); err != nil {
		return Item{}, fmt.Errorf("origin %q: want %s, %s, %s or %s: %w", clip(f.Origin),
			commerce.OriginBonded, commerce.OriginDirectMail, commerce.OriginDutyPaid, commerce.OriginLocal, commerce.ErrInvalid)
	}

	stock := strings.TrimSpace(f.Stock)
	if stock == "" {
		return Item{}, fmt.Errorf("%s is required: %w", colStock, commerce.ErrInvalid)
	}
	n, err := strconv.ParseInt(stock, 10, 32)
	if err != nil || strings.Trim(stock, "0123456789") != "" {
		return Item{}, fmt.Errorf("stock %q: want a whole number from 0 to %d: %w", clip(f.Stock), math.MaxInt32, commerce.ErrInvalid)
	}
	p.Stock = int(n)

	if p.Image, err = text(colImage, f.Image, MaxImage, false); err != nil {
		return Item{}, err
	}
	if len(p.Image) > MaxImage || strings.ContainsFunc(p.Image, unicode.IsSpace) {
		return Item{}, fmt.Errorf("image %q: want a URL or key without spaces, at most %d bytes: %w", clip(f.Image), MaxImage, commerce.ErrInvalid)
	}

	switch strings.ToLower(strings.TrimSpace(f.Active)) {
	case "", "true", "yes", "y", "1":
		p.Active = true
	case "false", "no", "n", "0":
		p.Active = false
	default:
		return Item{}, fmt.Errorf("active %q: want true or false: %w", clip(f.Active), commerce.ErrInvalid)
	}

	if err := p.Validate(); err != nil {
		return Item{}, err
	}
	return Item{Product: p, CategorySlug: slug, CurrencyGiven: given}, nil
}

// code checks an identifier (SKU, category slug): required, valid UTF-8, no
// spaces or control characters, at most 64 bytes.
func code(col, v string) (string, error) {
	s := strings.TrimSpace(v)
	switch {
	case s == "":
		return "", fmt.Errorf("%s is required: %w", col, commerce.ErrInvalid)
	case !utf8.ValidString(s) || len(s) > 64 || strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
	}):
		return "", fmt.Errorf("%s %q: want at most 64 bytes without spaces or control characters: %w", col, clip(v), commerce.ErrInvalid)
	}
	return s, nil
}

// text checks free text: valid UTF-8, at most limit characters, no control
// characters but newlines and tabs where multiline. Line ends become "\n".
func text(col, v string, limit int, multiline bool) (string, error) {
	s := strings.TrimSpace(v)
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%s: not valid UTF-8 text: %w", col, commerce.ErrInvalid)
	}
	if multiline {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	if strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t'))
	}) {
		return "", fmt.Errorf("%s %q: control characters are not allowed: %w", col, clip(v), commerce.ErrInvalid)
	}
	if n := utf8.RuneCountInString(s); n > limit {
		return "", fmt.Errorf("%s: %d characters, at most %d allowed: %w", col, n, limit, commerce.ErrInvalid)
	}
	return s, nil
}

// collector gathers item errors up to MaxErrors and remembers SKUs.
type collector struct {
	items []Item
	errs  []error
	seen  map[string]string // SKU → where it first appeared
}

// add records the outcome of one item at where ("line 7", "item 3 (line 12)").
// It reports false when Parse should stop.
func (c *collector) add(where string, it Item, err error) bool {
	if err == nil {
		if first, dup := c.seen[it.Product.SKU]; dup {
			err = fmt.Errorf("duplicate sku %q (first at %s): %w", it.Product.SKU, first, commerce.ErrInvalid)
		} else {
			if c.seen == nil {
				c.seen = make(map[string]string)
			}
			c.seen[it.Product.SKU] = where
		}
	}
	if err != nil {
		c.errs = append(c.errs, fmt.Errorf("%s: %w", where, err))
		if len(c.errs) >= MaxErrors {
			c.errs = append(c.errs, fmt.Errorf("stopped after %d errors: %w", MaxErrors, commerce.ErrInvalid))
			return false
		}
		return true
	}
	it.Where = where
	c.items = append(c.items, it)
	return true
}

func (c *collector) result() ([]Item, error) {
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return c.items, nil
}

// checkHeader reports unknown, repeated and missing field names.
func checkHeader(names []string) error {
	var unknown, repeated, missing []string
	for i, n := range names {
		switch {
		case !slices.Contains(columns, n):
			unknown = append(unknown, n)
		case slices.Contains(names[:i], n):
			repeated = append(repeated, n)
		}
	}
	for _, n := range required {
		if !slices.Contains(names, n) {
			missing = append(missing, n)
		}
	}
	var problems []string
	if len(unknown) > 0 {
		problems = append(problems, fmt.Sprintf("unknown %s %s (known: %s)",
			plural(len(unknown), "column", "columns"), quoteAll(unknown), strings.Join(columns, ", ")))
	}
	if len(repeated) > 0 {
		problems = append(problems, fmt.Sprintf("repeated %s %s", plural(len(repeated), "column", "columns"), quoteAll(repeated)))
	}
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("missing required %s %s",
			plural(len(missing), "column", "columns"), strings.Join(missing, ", ")))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %w", strings.Join(problems, "; "), commerce.ErrInvalid)
	}
	return nil
}

// clip shortens a value quoted in an error message.
func clip(v string) string {
	const limit = 40
	if utf8.RuneCountInString(v) <= limit {
		return v
	}
	return string([]rune(v)[:limit]) + "…"
}

// plural picks the singular or plural form for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
