package bot

import (
	"errors"
	"fmt"
	"shopbot/commerce"
	"strings"
)

// Listing a product from a photo: the seller sends a photo (with a caption
// that may say everything at once), answers what the caption lacked, sees
// the card as buyers will and publishes it, once. Part of the seller
// feature (seller.go has its routes); SellerState.Listing is its part of
// the session.

// ListingDraft is a product being added from a photo.
type ListingDraft struct {
	Nonce       string          `json:"n,omitempty"`
	Image       string          `json:"img,omitempty"`
	Title       string          `json:"t,omitempty"`
	Description string          `json:"d,omitempty"`
	Price       commerce.Money  `json:"p,omitzero"`
	Stock       int             `json:"s,omitempty"`
	HasStock    bool            `json:"hs,omitempty"`
	Origin      commerce.Origin `json:"o,omitempty"`
	CategoryID  int64           `json:"c,omitempty"`
}

func validNonce(n string) bool {
	if len(n) != 10 {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; (c < '0' || c > '9') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

func (h *sellerHandler) ownListing(t *turn, nonce string) bool {
	return t.s.Seller.Listing.Nonce != "" && t.s.Seller.Listing.Nonce == nonce
}

// photo starts a listing from an admin's photo. A photo of a
// buyer's pickup pass from an admin who is also staff goes on to the
// staff's handling.
func (h *sellerHandler) photo(t *turn, caption string) ([]Reply, bool, error) {
	if !t.isSeller() {
		return nil, false, nil
	}
	if h.decodeQR != nil && h.staff != nil {
		if pts, err := h.staff.staffPoints(t); err == nil && len(pts) > 0 {
			if text, err := h.decodeQR(t.m.Photo); err == nil {
				if _, ok := redeemInput(strings.TrimSpace(text)); ok {
					return nil, false, nil
				}
			}
		}
	}
	seller := h.catalog
	key, err := seller.SaveImage(t.ctx, t.m.Photo)
	switch {
	case errors.Is(err, commerce.ErrImageTooLarge):
		return say(t.text("seller_photo_too_large", map[string]any{"Max": commerce.MaxImagePixels / 1_000_000})), true, nil
	case errors.Is(err, commerce.ErrBadImage):
		return say(t.text("seller_photo_unreadable", nil)), true, nil
	case err != nil:
		return nil, true, err
	}
	l := commerce.ParseCaption(caption, seller.Currency(t.ctx))
	d := ListingDraft{Nonce: commerce.NewListingNonce(), Image: key, Origin: l.Origin}
	var notes []string
	if title, err := commerce.CleanTitle(l.Title); err == nil {
		d.Title = title
	} else if l.Title != "" {
		notes = append(notes, t.text("seller_bad_title", map[string]any{"Max": commerce.MaxTitleRunes}))
	}
	if desc, err := commerce.CleanDescription(l.Description); err == nil {
		d.Description = desc
	}
	if l.Price.Amount > 0 {
		if err := seller.CheckPrice(t.ctx, l.Price); err == nil {
			d.Price = l.Price
		} else {
			notes = append(notes, h.priceProblem(t, err))
		}
	}
	if l.HasStock {
		d.Stock, d.HasStock = l.Stock, true
	}
	t.s.Seller.Listing = d
	r, err := h.listingNext(t, strings.Join(notes, "\n"))
	return r, true, err
}

// priceProblem explains a refused price.
func (h *sellerHandler) priceProblem(t *turn, err error) string {
	data := map[string]any{"Currency": h.catalog.Currency(t.ctx)}
	if errors.Is(err, commerce.ErrCurrencyMismatch) {
		return t.text("seller_bad_currency", data)
	}
	return t.text("seller_bad_price", data)
}

// listingNext asks for the first thing the listing lacks, or shows the
// preview; note (if any) leads the first reply.
func (h *sellerHandler) listingNext(t *turn, note string) ([]Reply, error) {
	d := &t.s.Seller.Listing
	lead := func(s string) string {
		if note == "" {
			return s
		}
		return note + "\n\n" + s
	}
	cancel := []Button{t.btn("btn_seller_cancel", VerbListingCancel.Of(d.Nonce))}
	data := map[string]any{"Title": d.Title, "Currency": h.catalog.Currency(t.ctx), "Max": commerce.MaxTitleRunes}
	t.s.Step = ""
	switch {
	case d.Title == "":
		t.s.Step = stepListTitle
		return say(lead(t.text("seller_ask_title", data)), cancel), nil
	case d.Price.Amount == 0:
		t.s.Step = stepListPrice
		return say(lead(t.text("seller_ask_price", data)), cancel), nil
	case !d.HasStock:
		t.s.Step = stepListStock
		return say(lead(t.text("seller_ask_stock", data)), cancel), nil
	case d.Origin == "":
		var rows [][]Button
		for _, o := range []commerce.Origin{commerce.OriginDutyPaid, commerce.OriginLocal, commerce.OriginBonded, commerce.OriginDirectMail} {
			rows = append(rows, []Button{t.btn("origin_"+string(o), VerbListingOrigin.Of(d.Nonce, string(o)))})
		}
		return say(lead(t.text("seller_ask_origin", data)), append(rows, cancel)...), nil
	case d.CategoryID == 0:
		cats, err := h.shop.Store().Categories(t.ctx)
		if err != nil {
			return nil, err
		}
		if len(cats) == 0 {
			if t.r.setup != nil {
				return t.r.setup.noCategoriesOffer(t, d.Nonce, lead(""), cancel), nil
			}
			return say(lead(t.text("seller_no_categories", nil)), cancel), nil
		}
		var rows [][]Button
		for i, c := range cats {
			b := Button{Text: c.Title.In(t.lang), Action: VerbListingCategory.Of(d.Nonce, c.ID)}
			if i%2 == 0 {
				rows = append(rows, []Button{b})
			} else {
				rows[len(rows)-1] = append(rows[len(rows)-1], b)
			}
		}
		return say(lead(t.text("seller_ask_category", data)), append(rows, cancel)...), nil
	}
	p, err := h.catalog.Product(t.ctx, h.newProduct(t))
	if err != nil {
		return nil, err
	}
	card := Reply{Text: h.browse.cardText(t, p), Image: t.imageURL(p.Image), Buttons: [][]Button{
		{t.btn("btn_seller_publish", VerbListingPublish.Of(d.Nonce)), t.btn("btn_seller_cancel", VerbListingCancel.Of(d.Nonce))},
	}}
	return []Reply{{Text: lead(t.text("seller_preview", nil))}, card}, nil
}

func (h *sellerHandler) newProduct(t *turn) commerce.NewProduct {
	d := t.s.Seller.Listing
	// The caption's texts go under the language they are written in, not
	// the chat's: a Chinese caption in an English chat is the Chinese title.
	lang := commerce.TextLanguage(d.Title, t.lang)
	return commerce.NewProduct{Nonce: d.Nonce, Lang: lang, DescLang: commerce.TextLanguage(d.Description, lang),
		Title: d.Title, Description: d.Description, Price: d.Price,
		Stock: d.Stock, Origin: d.Origin, CategoryID: d.CategoryID, Image: d.Image}
}

// categoryByID returns one category. ErrNotFound if absent.
func (h *sellerHandler) categoryByID(t *turn, id int64) (commerce.Category, error) {
	cats, err := h.shop.Store().Categories(t.ctx)
	if err != nil {
		return commerce.Category{}, err
	}
	for _, c := range cats {
		if c.ID == id {
			return c, nil
		}
	}
	return commerce.Category{}, fmt.Errorf("category %d: %w", id, commerce.ErrNotFound)
}

// listingStep reads a typed title, price or stock for the listing.
func (h *sellerHandler) listingStep(t *turn, text string) ([]Reply, error) {
	d := &t.s.Seller.Listing
	if !t.isSeller() || d.Nonce == "" {
		t.s.Step, t.s.Seller.Listing = "", ListingDraft{}
		return t.stale()
	}
	cancel := []Button{t.btn("btn_seller_cancel", VerbListingCancel.Of(d.Nonce))}
	seller := h.catalog
	switch t.s.Step {
	case stepListTitle:
		title, err := commerce.CleanTitle(text)
		if err != nil {
			return say(t.text("seller_bad_title", map[string]any{"Max": commerce.MaxTitleRunes}), cancel), nil
		}
		d.Title = title
	case stepListPrice:
		m, ok := commerce.ParseAmount(text, seller.Currency(t.ctx))
		if !ok {
			return say(h.priceProblem(t, commerce.ErrInvalid), cancel), nil
		}
		if err := seller.CheckPrice(t.ctx, m); err != nil {
			return say(h.priceProblem(t, err), cancel), nil
		}
		d.Price = m
	case stepListStock:
		n, ok := commerce.ParseStock(text)
		if !ok {
			return say(t.text("seller_bad_stock", map[string]any{"Max": commerce.MaxStock}), cancel), nil
		}
		d.Stock, d.HasStock = n, true
	}
	return h.listingNext(t, "")
}

// publish adds the listing's product, once: a second press (or a retried
// update after the listing was cleared) shows the product it made.
func (h *sellerHandler) publish(t *turn, nonce string) ([]Reply, error) {
	if !h.ownListing(t, nonce) {
		p, err := h.catalog.Store().ProductBySKU(t.ctx, commerce.SellerSKUPrefix+nonce)
		if err != nil {
			return t.stale()
		}
		return h.sellerCard(t, p.ID, t.text("seller_already_published", nil))
	}
	d := t.s.Seller.Listing
	if d.Title == "" || d.Price.Amount == 0 || !d.HasStock || d.Origin == "" || d.CategoryID == 0 {
		return h.listingNext(t, "")
	}
	p, created, err := h.catalog.Publish(t.ctx, h.newProduct(t))
	if errors.Is(err, commerce.ErrNotFound) { // the category went away meanwhile
		t.s.Seller.Listing.CategoryID = 0
		return h.listingNext(t, "")
	}
	if err != nil {
		return nil, err
	}
	t.s.Seller.Listing, t.s.Step = ListingDraft{}, ""
	note := "seller_published"
	if !created {
		note = "seller_already_published"
	}
	return h.sellerCard(t, p.ID, t.text(note, map[string]any{"Title": p.Title.In(t.lang)}))
}
