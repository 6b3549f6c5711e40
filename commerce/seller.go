package commerce

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The seller's side of the catalog: products added from a photo in the chat
// or from the shell, edited and hidden there.

// Limits of what a seller may write.
const (
	MaxTitleRunes       = 100           // a title fits a button and a caption line
	MaxDescriptionRunes = 2000          // well within a photo caption with the card around it
	MaxPrice            = 1_000_000_000 // minor units: ¥10,000,000.00
	MaxStock            = 1_000_000
)

// SellerSKUPrefix starts the SKU of products a seller adds without naming
// one; the rest is the listing's nonce, so a retried publish finds its
// product again.
const SellerSKUPrefix = "S-"

// ErrImageTooLarge: an uploaded image is over MaxImageBytes or
// MaxImagePixels (nothing stored).
var ErrImageTooLarge = errors.New("image too large")

// ErrBadImage: an upload is not a readable JPEG or PNG (nothing stored).
var ErrBadImage = errors.New("not a JPEG or PNG image")

// SellerStore is the write side of the catalog the seller tools need.
type SellerStore interface {
	CatalogStore
	// CreateProduct inserts p (which must pass Validate) unless a product
	// with its SKU exists: then that product is returned with
	// created=false and nothing changes. ErrNotFound if the category does
	// not exist.
	CreateProduct(ctx context.Context, p Product) (saved Product, created bool, err error)
	// ProductBySKU returns one product, hidden or not. ErrNotFound if absent.
	ProductBySKU(ctx context.Context, sku string) (Product, error)
	// UpdateProduct runs edit on the current product inside a transaction
	// that holds the product's row, and writes back its title,
	// description, price, category, image and active flag. It never writes
	// the stock (AdjustStock does), so it cannot undo a sale made meanwhile.
	// An error from edit aborts with nothing changed; ErrNotFound if absent,
	// ErrInvalid if the result fails Validate.
	UpdateProduct(ctx context.Context, id int64, edit func(*Product) error) (Product, error)
	// AdjustStock adds delta (negative to take away) to a product's stock in
	// one conditional statement that keeps it within 0..MaxStock, and returns
	// the product as it is after. ErrSoldOut when fewer than -delta units are
	// left, ErrInvalid when the stock would pass MaxStock (nothing changed
	// then); ErrNotFound if absent.
	AdjustStock(ctx context.Context, id int64, delta int) (Product, error)
	// SaveImage stores an image under its Key; saving a key that exists
	// changes nothing (keys name their content).
	SaveImage(ctx context.Context, img StoredImage) error
	// Image returns a stored image. ErrNotFound if absent.
	Image(ctx context.Context, key string) (StoredImage, error)
	// PruneImages deletes up to limit images stored before that no product
	// names, and returns how many it deleted.
	PruneImages(ctx context.Context, before time.Time, limit int) (int64, error)
}

// ImageGrace is how long an uploaded picture no product uses is kept: a
// listing in progress has that long to be published.
const ImageGrace = 7 * 24 * time.Hour

// SellerOptions configures a Seller.
type SellerOptions struct {
	Store SellerStore
	Clock Clock // default SystemClock
	// Currency is the shop's currency; prices in another are refused
	// (ErrCurrencyMismatch), since one cart cannot mix currencies. Default CNY.
	Currency string
	// Shop, when set, is where the currency comes from (the shop profile,
	// ShopSetup); it overrides Currency.
	Shop CurrencySource
}

// CurrencySource tells the shop's currency (ShopSetup does).
type CurrencySource interface {
	Currency(ctx context.Context) string
}

// Seller is the seller's use cases: add, edit, hide and show products,
// store their pictures.
type Seller struct {
	store    SellerStore
	clock    Clock
	currency string
	shop     CurrencySource
}

// NewSeller builds a Seller with defaults filled in.
func NewSeller(o SellerOptions) *Seller {
	if o.Clock == nil {
		o.Clock = SystemClock
	}
	if o.Currency == "" {
		o.Currency = "CNY"
	}
	return &Seller{store: o.Store, clock: o.Clock, currency: o.Currency, shop: o.Shop}
}

// Currency is the shop's currency.
func (s *Seller) Currency(ctx context.Context) string {
	if s.shop != nil {
		return s.shop.Currency(ctx)
	}
	return s.currency
}

// Store is the store behind the seller tools.
func (s *Seller) Store() SellerStore { return s.store }

// NewListingNonce returns a fresh random nonce for a listing in progress;
// it becomes the product's SKU (after SellerSKUPrefix) when published.
func NewListingNonce() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// CleanTitle checks and tidies a product title: 1–MaxTitleRunes printable
// characters on one line. ErrInvalid otherwise.
func CleanTitle(s string) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	if n := utf8.RuneCountInString(s); n == 0 || n > MaxTitleRunes {
		return "", fmt.Errorf("title of %d characters: %w", n, ErrInvalid)
	}
	if !printable(s, false) {
		return "", fmt.Errorf("title with control characters: %w", ErrInvalid)
	}
	return s, nil
}

// CleanDescription checks and tidies a description: up to
// MaxDescriptionRunes printable characters, line breaks kept. ErrInvalid
// otherwise.
func CleanDescription(s string) (string, error) {
	var lines []string
	for line := range strings.Lines(s) {
		lines = append(lines, strings.Join(strings.Fields(line), " "))
	}
	s = strings.TrimSpace(strings.Join(lines, "\n"))
	if n := utf8.RuneCountInString(s); n > MaxDescriptionRunes {
		return "", fmt.Errorf("description of %d characters: %w", n, ErrInvalid)
	}
	if !printable(s, true) {
		return "", fmt.Errorf("description with control characters: %w", ErrInvalid)
	}
	return s, nil
}

func printable(s string, newlines bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '\n' && newlines {
			continue
		}
		if !unicode.IsPrint(r) && r != ' ' {
			return false
		}
	}
	return true
}

// CheckPrice refuses a price that is not positive, over MaxPrice, or not in
// the shop's currency.
func (s *Seller) CheckPrice(ctx context.Context, m Money) error {
	switch cur := s.Currency(ctx); {
	case m.Currency != cur:
		return fmt.Errorf("price in %s, the shop sells in %s: %w", m.Currency, cur, ErrCurrencyMismatch)
	case m.Amount <= 0 || m.Amount > MaxPrice:
		return fmt.Errorf("price %v: %w", m, ErrInvalid)
	}
	return nil
}

// CheckStock refuses a stock outside 0..MaxStock.
func CheckStock(n int) error {
	if n < 0 || n > MaxStock {
		return fmt.Errorf("stock %d: %w", n, ErrInvalid)
	}
	return nil
}

// NewProduct is a product a seller adds.
type NewProduct struct {
	SKU         string // "" = SellerSKUPrefix + Nonce
	Nonce       string // the listing's nonce; required when SKU is empty
	Lang        string // the language of Title (and of Description unless DescLang says)
	DescLang    string // the language of Description, when another than Lang
	Title       string
	Description string
	Price       Money
	Stock       int
	Origin      Origin
	CategoryID  int64
	Image       string // a stored image key, or ""
}

// Product builds the product np describes, checked: ErrInvalid (or
// ErrCurrencyMismatch for the price) naming what is wrong.
func (s *Seller) Product(ctx context.Context, np NewProduct) (Product, error) {
	title, err := CleanTitle(np.Title)
	if err != nil {
		return Product{}, err
	}
	desc, err := CleanDescription(np.Description)
	if err != nil {
		return Product{}, err
	}
	if err := s.CheckPrice(ctx, np.Price); err != nil {
		return Product{}, err
	}
	if err := CheckStock(np.Stock); err != nil {
		return Product{}, err
	}
	sku := np.SKU
	if sku == "" {
		if np.Nonce == "" {
			return Product{}, fmt.Errorf("no SKU and no nonce: %w", ErrInvalid)
		}
		sku = SellerSKUPrefix + np.Nonce
	}
	if strings.ContainsFunc(sku, unicode.IsSpace) {
		return Product{}, fmt.Errorf("sku %q has spaces: %w", sku, ErrInvalid)
	}
	lang := np.Lang
	if lang == "" {
		lang = "en"
	}
	p := Product{SKU: sku, CategoryID: np.CategoryID, Title: Text{lang: title}, Description: Text{},
		Price: np.Price, Origin: np.Origin, Stock: np.Stock, Image: np.Image, Active: true}
	if desc != "" {
		p.Description[cmp.Or(np.DescLang, lang)] = desc
	}
	if np.CategoryID <= 0 {
		return Product{}, fmt.Errorf("no category: %w", ErrInvalid)
	}
	return p, p.Validate()
}

// Publish adds the product np describes. It is idempotent on the SKU (and
// so on the listing's nonce): publishing again returns the product made
// the first time with created=false. Errors as Product and
// SellerStore.CreateProduct.
func (s *Seller) Publish(ctx context.Context, np NewProduct) (Product, bool, error) {
	p, err := s.Product(ctx, np)
	if err != nil {
		return Product{}, false, err
	}
	return s.store.CreateProduct(ctx, p)
}

// ProductChange is edits of one product applied together: nil fields stay.
type ProductChange struct {
	Lang        string // of Title and Description; the other languages stay
	Title       *string
	Description *string // "" removes the description in Lang
	Price       *Money
}

// Change applies c in one transaction: all of it or, on any error, nothing.
// Errors: ErrInvalid naming the field, ErrCurrencyMismatch for a price in
// another currency than the product's or the shop's, ErrNotFound.
func (s *Seller) Change(ctx context.Context, id int64, c ProductChange) (Product, error) {
	var title, desc string
	var err error
	if c.Title != nil {
		if title, err = CleanTitle(*c.Title); err != nil {
			return Product{}, err
		}
	}
	if c.Description != nil {
		if desc, err = CleanDescription(*c.Description); err != nil {
			return Product{}, err
		}
	}
	if c.Price != nil {
		if err := s.CheckPrice(ctx, *c.Price); err != nil {
			return Product{}, err
		}
	}
	if (c.Title != nil || c.Description != nil) && c.Lang == "" {
		return Product{}, fmt.Errorf("text without a language: %w", ErrInvalid)
	}
	return s.store.UpdateProduct(ctx, id, func(p *Product) error {
		if c.Price != nil {
			if p.Price.Currency != c.Price.Currency {
				return fmt.Errorf("product %d sells in %s: %w", id, p.Price.Currency, ErrCurrencyMismatch)
			}
			p.Price = *c.Price
		}
		if c.Title != nil {
			p.Title = withText(p.Title, c.Lang, title)
		}
		if c.Description != nil {
			p.Description = withText(p.Description, c.Lang, desc)
		}
		return nil
	})
}

// SetPrice changes a product's price. Buyers holding the old price in a
// cart are stopped at checkout (PriceChangedError).
func (s *Seller) SetPrice(ctx context.Context, id int64, m Money) (Product, error) {
	return s.Change(ctx, id, ProductChange{Price: &m})
}

// SetTitle changes a product's title in one language; the others stay.
func (s *Seller) SetTitle(ctx context.Context, id int64, lang, title string) (Product, error) {
	return s.Change(ctx, id, ProductChange{Lang: lang, Title: &title})
}

// SetDescription changes a product's description in one language; the
// others stay. An empty text removes that language's description.
func (s *Seller) SetDescription(ctx context.Context, id int64, lang, desc string) (Product, error) {
	return s.Change(ctx, id, ProductChange{Lang: lang, Description: &desc})
}

func withText(t Text, lang, s string) Text {
	out := Text{}
	for k, v := range t {
		out[k] = v
	}
	if s == "" {
		delete(out, lang)
	} else {
		out[lang] = s
	}
	return out
}

// SetActive hides (false) or shows (true) a product. A hidden product is
// gone for buyers (listings, deep links, carts, checkout); orders placed
// before are unaffected. Setting what is already set changes nothing.
func (s *Seller) SetActive(ctx context.Context, id int64, active bool) (Product, error) {
	return s.store.UpdateProduct(ctx, id, func(p *Product) error {
		p.Active = active
		return nil
	})
}

// SetStock sets the stock a seller saw as seen to to. The change is applied
// as the difference to-seen in one conditional statement rather than by
// writing to: units sold while the seller was typing stay sold (writing
// the number would sell them a second time), and units a seller adds are
// added to whatever is left. The product as it is after is returned; its
// Stock differs from to exactly when sales (or cancellations) happened
// meanwhile. ErrSoldOut when sales took so much that the difference cannot
// be taken away; ErrInvalid for to outside 0..MaxStock.
func (s *Seller) SetStock(ctx context.Context, id int64, seen, to int) (Product, error) {
	if err := CheckStock(to); err != nil {
		return Product{}, err
	}
	return s.store.AdjustStock(ctx, id, to-seen)
}

// AddStock adds (or with a negative delta takes away) units. Errors as
// SellerStore.AdjustStock.
func (s *Seller) AddStock(ctx context.Context, id int64, delta int) (Product, error) {
	if delta < -MaxStock || delta > MaxStock {
		return Product{}, fmt.Errorf("stock change %d: %w", delta, ErrInvalid)
	}
	return s.store.AdjustStock(ctx, id, delta)
}

// SaveImage normalizes an uploaded picture (NormalizeImage) and stores it;
// it returns the image's key for Product.Image. ErrBadImage or
// ErrImageTooLarge for an upload that cannot be used (nothing stored).
func (s *Seller) SaveImage(ctx context.Context, data []byte) (string, error) {
	img, err := NormalizeImage(data)
	if err != nil {
		return "", err
	}
	img.CreatedAt = s.clock.Now().UTC().Truncate(time.Millisecond)
	if err := s.store.SaveImage(ctx, img); err != nil {
		return "", err
	}
	return img.Key, nil
}

// Image returns a stored image by key. ErrNotFound for a key that is not
// one of ours or not stored.
func (s *Seller) Image(ctx context.Context, key string) (StoredImage, error) {
	if !ValidImageKey(key) {
		return StoredImage{}, fmt.Errorf("image %q: %w", key, ErrNotFound)
	}
	return s.store.Image(ctx, key)
}

// PruneImages deletes pictures uploaded more than ImageGrace ago that no
// product uses (listings cancelled or never finished), a batch at a time.
func (s *Seller) PruneImages(ctx context.Context) (int64, error) {
	return s.store.PruneImages(ctx, s.clock.Now().Add(-ImageGrace), 500)
}
