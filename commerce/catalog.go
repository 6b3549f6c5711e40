package commerce

import (
	"fmt"
	"strings"
	"time"
)

// Languages the shop speaks. The first is the fallback for missing translations.
var Languages = []string{"zh-CN", "en", "ru"}

// Text is a string in several languages, keyed by language tag.
type Text map[string]string

// In returns the text in lang, falling back to English, Chinese, then any.
func (t Text) In(lang string) string {
	if s := t[lang]; s != "" {
		return s
	}
	for _, l := range []string{"en", "zh-CN", "ru"} {
		if s := t[l]; s != "" {
			return s
		}
	}
	for _, s := range t {
		return s
	}
	return ""
}

// Origin says where the stock physically is and how it clears customs; it
// decides what a buyer may do with it.
type Origin string

const (
	OriginBonded     Origin = "bonded"      // held in a bonded zone, cleared per order
	OriginDirectMail Origin = "direct_mail" // mailed from abroad per order
	OriginDutyPaid   Origin = "duty_paid"   // imported in bulk, duties paid
	OriginLocal      Origin = "local_stock" // already in the buyer's city
)

// Valid reports whether o is one of the known origins.
func (o Origin) Valid() bool {
	switch o {
	case OriginBonded, OriginDirectMail, OriginDutyPaid, OriginLocal:
		return true
	}
	return false
}

// ParseOrigin accepts the canonical names and a few common spellings.
func ParseOrigin(s string) (Origin, error) {
	o := Origin(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_"))
	switch o {
	case "direct", "directmail":
		o = OriginDirectMail
	case "dutypaid":
		o = OriginDutyPaid
	case "local":
		o = OriginLocal
	}
	if !o.Valid() {
		return "", fmt.Errorf("origin %q: %w", s, ErrInvalid)
	}
	return o, nil
}

// Category groups products for browsing.
type Category struct {
	ID     int64
	Slug   string
	Title  Text
	Sort   int
	Hidden bool // not shown to buyers, nor its products in it
}

// Product is one sellable item with its live stock.
type Product struct {
	ID          int64
	SKU         string
	CategoryID  int64
	Title       Text
	Description Text
	Price       Money
	Origin      Origin
	Stock       int // units left to sell
	Image       string
	Active      bool
	UpdatedAt   time.Time
}

// Validate checks a product before it is written.
func (p Product) Validate() error {
	switch {
	case strings.TrimSpace(p.SKU) == "" || len(p.SKU) > 64:
		return fmt.Errorf("sku %q: %w", p.SKU, ErrInvalid)
	case p.Title.In("en") == "":
		return fmt.Errorf("product %s has no title: %w", p.SKU, ErrInvalid)
	case p.Price.Amount <= 0 || len(p.Price.Currency) != 3:
		return fmt.Errorf("product %s price %v: %w", p.SKU, p.Price, ErrInvalid)
	case !p.Origin.Valid():
		return fmt.Errorf("product %s origin %q: %w", p.SKU, p.Origin, ErrInvalid)
	case p.Stock < 0:
		return fmt.Errorf("product %s stock %d: %w", p.SKU, p.Stock, ErrInvalid)
	}
	return nil
}

// ProductFilter selects products for listing.
type ProductFilter struct {
	CategoryID int64 // 0 = all
	Offset     int
	Limit      int
	WithHidden bool
}
