package bot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"shopbot/commerce"
)

// The seller runs the catalog from a private chat (Options.Admins, with
// Options.Seller set):
//
// Adding a product: send a photo with a caption ("Serum 30 ml ¥129 x20
// #dutypaid", commerce.ParseCaption). The photo is stored at once; the bot
// asks in turn for what the caption lacked (title, price, stock as typed
// text; origin and category as buttons), then shows the product card as
// buyers will see it with Publish / Cancel. The listing lives in the
// session; its buttons carry its nonce, which becomes the SKU, so a
// retried publish finds the product it made and never makes two.
//
//	lo:<nonce>:<origin>   origin chosen
//	lc:<nonce>:<category> category chosen
//	lp:<nonce>            publish
//	lx:<nonce>            cancel the listing
//
// Managing products: /products lists every product, hidden ones too, each
// opening the seller's card with its edit buttons.
//
//	al:<page>             the list
//	am:<id>               the seller's card of a product
//	ae:<id>:<field>       edit price|stock|title|desc: the next text is the value
//	ax:<id>               cancel an edit
//	ah:<id>:0|1           hide | show
//	dn:<id>               create a drop of it (the drops feature answers)
//
// To anyone else, and in groups, none of this exists: photos go on to the
// staff's QR handling, /products is an unknown command, the buttons are
// stale.

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

// ProductEdit is an edit of one field waiting for its typed value.
type ProductEdit struct {
	ID    int64  `json:"id,omitempty"`
	Field string `json:"f,omitempty"`
	// SeenStock is the stock shown when the edit began: a typed stock is
	// applied as the difference to it (commerce.Seller.SetStock).
	SeenStock int `json:"ss,omitempty"`
}

// Steps of the seller tools.
const (
	stepListTitle Step = "sl_title"
	stepListPrice Step = "sl_price"
	stepListStock Step = "sl_stock"
	stepEditValue Step = "sl_edit"
)

// Fields of a product a seller edits in the chat.
const (
	fieldPrice = "price"
	fieldStock = "stock"
	fieldTitle = "title"
	fieldDesc  = "desc"
)

// sellerPageSize is how many products one /products page lists.
const sellerPageSize = 8

// Verbs of the seller's catalog tools.
const (
	VerbListingOrigin    Verb = "lo"
	VerbListingCategory  Verb = "lc"
	VerbListingPublish   Verb = "lp"
	VerbListingCancel    Verb = "lx"
	VerbSellerProducts   Verb = "al"
	VerbSellerCard       Verb = "am"
	VerbSellerEdit       Verb = "ae"
	VerbSellerEditCancel Verb = "ax"
	VerbSellerShow       Verb = "ah"
)

// CmdProducts lists every product for the seller.
const CmdProducts Command = "/products"

// SellerState is the seller's part of the session: a product being listed
// from a photo, and a field being edited.
type SellerState struct {
	Listing ListingDraft `json:"l,omitzero"`
	Edit    ProductEdit  `json:"e,omitzero"`
}

type sellerHandler struct {
	shop     *commerce.Shop
	catalog  *commerce.Seller
	browse   *browseHandler
	staff    *staffHandler // nil with pickup off
	decodeQR func(img []byte) (string, error)
}

func (h *sellerHandler) routes() routes {
	return routes{
		commands: map[Command]commandFunc{
			CmdProducts: func(t *turn, _ string) ([]Reply, error) {
				if !t.isSeller() {
					return t.help("help_unknown")
				}
				return h.sellerProducts(t, 0, false)
			},
		},
		steps: map[Step]stepFunc{
			stepListTitle: h.listingStep,
			stepListPrice: h.listingStep,
			stepListStock: h.listingStep,
			stepEditValue: func(t *turn, text string) ([]Reply, error) {
				if !t.isSeller() || t.s.Seller.Edit.ID == 0 {
					t.s.Step, t.s.Seller.Edit = "", ProductEdit{}
					return t.stale()
				}
				return h.editValue(t, text)
			},
		},
		actions: map[Verb]actionFunc{
			VerbListingOrigin: h.listing(2, func(t *turn, a args) ([]Reply, error) {
				o := commerce.Origin(a.str(1))
				if !o.Valid() {
					return t.stale()
				}
				t.s.Seller.Listing.Origin = o
				return h.listingNext(t, "")
			}),
			VerbListingCategory: h.listing(2, func(t *turn, a args) ([]Reply, error) {
				id, ok := a.id(1)
				if !ok {
					return t.stale()
				}
				if _, err := h.categoryByID(t, id); err == nil {
					t.s.Seller.Listing.CategoryID = id
				}
				return h.listingNext(t, "")
			}),
			VerbListingPublish: func(t *turn, a args) ([]Reply, error) {
				if !t.isSeller() || len(a) != 1 || !validNonce(a.str(0)) {
					return t.stale()
				}
				return h.publish(t, a.str(0))
			},
			VerbListingCancel: h.listing(1, func(t *turn, _ args) ([]Reply, error) {
				t.s.Seller.Listing, t.s.Step = ListingDraft{}, ""
				return say(t.text("seller_cancelled", nil), []Button{t.btn("btn_seller_products", VerbSellerProducts.Of(0))}), nil
			}),
			VerbSellerProducts: func(t *turn, a args) ([]Reply, error) {
				page, ok := parseInt(strings.Join(a, ":"), 0, 10000)
				if !t.isSeller() || !ok {
					return t.stale()
				}
				return h.sellerProducts(t, page, true)
			},
			VerbSellerCard: h.product(1, func(t *turn, id int64, _ args) ([]Reply, error) { return h.sellerCard(t, id, "") }),
			VerbSellerEdit: h.product(2, func(t *turn, id int64, a args) ([]Reply, error) { return h.startEdit(t, id, a.str(1)) }),
			VerbSellerEditCancel: h.product(1, func(t *turn, id int64, _ args) ([]Reply, error) {
				t.s.leaveStep(stepEditValue)
				t.s.Seller.Edit = ProductEdit{}
				return h.sellerCard(t, id, "")
			}),
			VerbSellerShow: h.product(2, h.setShown),
		},
		photos: []inputFunc{h.photo},
	}
}

// listing guards a listing's button: a seller, n arguments, the listing's
// own nonce first.
func (h *sellerHandler) listing(n int, f actionFunc) actionFunc {
	return func(t *turn, a args) ([]Reply, error) {
		if !t.isSeller() || len(a) != n || !validNonce(a.str(0)) || !h.ownListing(t, a.str(0)) {
			return t.stale()
		}
		return f(t, a)
	}
}

// product guards a product's button: a seller, n arguments, a product id first.
func (h *sellerHandler) product(n int, f func(t *turn, id int64, a args) ([]Reply, error)) actionFunc {
	return func(t *turn, a args) ([]Reply, error) {
		id, ok := a.id(0)
		if !t.isSeller() || !ok || len(a) != n {
			return t.stale()
		}
		return f(t, id, a)
	}
}

// setShown hides ("0") or shows ("1") a product.
func (h *sellerHandler) setShown(t *turn, id int64, a args) ([]Reply, error) {
	if a.str(1) != "0" && a.str(1) != "1" {
		return t.stale()
	}
	show := a.str(1) == "1"
	if _, err := h.catalog.SetActive(t.ctx, id, show); err != nil {
		return t.fail(err)
	}
	note := "seller_hidden"
	if show {
		note = "seller_shown"
	}
	return h.sellerCard(t, id, t.text(note, nil))
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
	l := commerce.ParseCaption(caption, seller.Currency())
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
		if err := seller.CheckPrice(l.Price); err == nil {
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
	data := map[string]any{"Currency": h.catalog.Currency()}
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
	data := map[string]any{"Title": d.Title, "Currency": h.catalog.Currency(), "Max": commerce.MaxTitleRunes}
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
	p, err := h.catalog.Product(h.newProduct(t))
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
	return commerce.NewProduct{Nonce: d.Nonce, Lang: t.lang, Title: d.Title, Description: d.Description, Price: d.Price,
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
		m, ok := commerce.ParseAmount(text, seller.Currency())
		if !ok {
			return say(h.priceProblem(t, commerce.ErrInvalid), cancel), nil
		}
		if err := seller.CheckPrice(m); err != nil {
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

// sellerCard shows a product (hidden or not) as buyers see it, with what
// only the seller sees and the edit buttons; note leads the text.
func (h *sellerHandler) sellerCard(t *turn, id int64, note string) ([]Reply, error) {
	p, err := h.shop.Store().Product(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	cat := ""
	if c, err := h.categoryByID(t, p.CategoryID); err == nil {
		cat = c.Title.In(t.lang)
	}
	text := h.browse.cardText(t, p) + "\n\n" + t.text("seller_card", map[string]any{
		"SKU": p.SKU, "Category": cat, "Hidden": !p.Active, "Stock": p.Stock})
	if note != "" {
		text = note + "\n\n" + text
	}
	id64 := strconv.FormatInt(p.ID, 10)
	visibility := t.btn("btn_seller_hide", VerbSellerShow.Of(id64, 0))
	if !p.Active {
		visibility = t.btn("btn_seller_show", VerbSellerShow.Of(id64, 1))
	}
	r := Reply{Text: text, Buttons: [][]Button{
		{t.btn("btn_seller_price", VerbSellerEdit.Of(id64, fieldPrice)), t.btn("btn_seller_stock", VerbSellerEdit.Of(id64, fieldStock))},
		{t.btn("btn_seller_title", VerbSellerEdit.Of(id64, fieldTitle)), t.btn("btn_seller_description", VerbSellerEdit.Of(id64, fieldDesc))},
		{visibility},
		{t.btn("btn_seller_products", VerbSellerProducts.Of(0))},
	}}
	if t.r.drops != nil { // drops on: a drop of this product
		r.Buttons[2] = append(r.Buttons[2], t.btn("btn_seller_drop", VerbDropNew.Of(id64)))
	}
	if p.Image != "" {
		r.Image = t.imageURL(p.Image)
	}
	return []Reply{r}, nil
}

// startEdit asks for the new value of a field.
func (h *sellerHandler) startEdit(t *turn, id int64, field string) ([]Reply, error) {
	key := map[string]string{fieldPrice: "seller_edit_price", fieldStock: "seller_edit_stock",
		fieldTitle: "seller_edit_title", fieldDesc: "seller_edit_description"}[field]
	if key == "" {
		return t.stale()
	}
	p, err := h.shop.Store().Product(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	t.s.Step, t.s.Seller.Edit = stepEditValue, ProductEdit{ID: p.ID, Field: field, SeenStock: p.Stock}
	return say(t.text(key, map[string]any{"Title": p.Title.In(t.lang), "Price": p.Price, "Stock": p.Stock,
		"Description": p.Description[t.lang], "Lang": t.text("lang_name", nil), "Max": commerce.MaxTitleRunes}),
		[]Button{t.btn("btn_seller_cancel", VerbSellerEditCancel.Of(p.ID))}), nil
}

// editValue applies a typed value to the field being edited. A value that
// does not fit is answered with what is wrong; nothing changes and the
// seller may type again.
func (h *sellerHandler) editValue(t *turn, text string) ([]Reply, error) {
	e, seller := t.s.Seller.Edit, h.catalog
	retry := func(key string, data map[string]any) ([]Reply, error) {
		return say(t.text(key, data), []Button{t.btn("btn_seller_cancel", VerbSellerEditCancel.Of(e.ID))}), nil
	}
	var p commerce.Product
	var err error
	note := t.text("seller_saved", nil)
	switch e.Field {
	case fieldPrice:
		m, ok := commerce.ParseAmount(text, seller.Currency())
		if !ok {
			return retry("seller_bad_price", map[string]any{"Currency": seller.Currency()})
		}
		if err := seller.CheckPrice(m); err != nil {
			return say(h.priceProblem(t, err), []Button{t.btn("btn_seller_cancel", VerbSellerEditCancel.Of(e.ID))}), nil
		}
		p, err = seller.SetPrice(t.ctx, e.ID, m)
		if errors.Is(err, commerce.ErrCurrencyMismatch) {
			return say(h.priceProblem(t, err), []Button{t.btn("btn_seller_cancel", VerbSellerEditCancel.Of(e.ID))}), nil
		}
	case fieldStock:
		text = strings.TrimSpace(text)
		sign := 0
		switch {
		case strings.HasPrefix(text, "+"):
			sign = 1
		case strings.HasPrefix(text, "-"), strings.HasPrefix(text, "−"):
			sign = -1
		}
		n, ok := commerce.ParseStock(strings.TrimLeft(text, "+-−"))
		if !ok {
			return retry("seller_bad_stock", map[string]any{"Max": commerce.MaxStock})
		}
		if sign != 0 {
			p, err = seller.AddStock(t.ctx, e.ID, sign*n)
		} else {
			p, err = seller.SetStock(t.ctx, e.ID, e.SeenStock, n)
			if err == nil && p.Stock != n {
				note = t.text("seller_stock_moved", map[string]any{"Stock": p.Stock, "Qty": n})
			}
		}
		switch {
		case errors.Is(err, commerce.ErrSoldOut):
			// Sales took more meanwhile than the change leaves: show the
			// count as it is now and let the seller decide again.
			cur, cerr := h.shop.Store().Product(t.ctx, e.ID)
			if cerr != nil {
				return nil, cerr
			}
			t.s.Seller.Edit.SeenStock = cur.Stock
			return retry("seller_stock_short", map[string]any{"Stock": cur.Stock})
		case errors.Is(err, commerce.ErrInvalid):
			return retry("seller_bad_stock", map[string]any{"Max": commerce.MaxStock})
		}
	case fieldTitle:
		if _, cerr := commerce.CleanTitle(text); cerr != nil {
			return retry("seller_bad_title", map[string]any{"Max": commerce.MaxTitleRunes})
		}
		p, err = seller.SetTitle(t.ctx, e.ID, t.lang, text)
	case fieldDesc:
		if strings.TrimSpace(text) == "-" {
			text = ""
		}
		if _, cerr := commerce.CleanDescription(text); cerr != nil {
			return retry("seller_bad_description", map[string]any{"Max": commerce.MaxDescriptionRunes})
		}
		p, err = seller.SetDescription(t.ctx, e.ID, t.lang, text)
	default:
		t.s.Step, t.s.Seller.Edit = "", ProductEdit{}
		return t.stale()
	}
	if err != nil {
		t.s.Step, t.s.Seller.Edit = "", ProductEdit{}
		return t.fail(err)
	}
	t.s.Step, t.s.Seller.Edit = "", ProductEdit{}
	return h.sellerCard(t, p.ID, note)
}

// sellerProducts lists every product, hidden ones too, a page at a time.
func (h *sellerHandler) sellerProducts(t *turn, page int, edit bool) ([]Reply, error) {
	list, err := h.shop.Store().Products(t.ctx, commerce.ProductFilter{WithHidden: true,
		Offset: page * sellerPageSize, Limit: sellerPageSize + 1})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		if page > 0 {
			return h.sellerProducts(t, 0, edit)
		}
		return []Reply{{Text: t.text("seller_products_empty", nil), Edit: edit}}, nil
	}
	more := len(list) > sellerPageSize
	if more {
		list = list[:sellerPageSize]
	}
	var rows [][]Button
	for _, p := range list {
		rows = append(rows, []Button{{Text: t.text("seller_product_button", map[string]any{"Title": p.Title.In(t.lang),
			"Price": p.Price, "Stock": p.Stock, "Hidden": !p.Active}), Action: VerbSellerCard.Of(p.ID)}})
	}
	var nav []Button
	if page > 0 {
		nav = append(nav, Button{Text: t.text("btn_prev", nil), Action: VerbSellerProducts.Of(page - 1)})
	}
	if more {
		nav = append(nav, Button{Text: t.text("btn_next", nil), Action: VerbSellerProducts.Of(page + 1)})
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	return []Reply{{Text: t.text("seller_products", map[string]any{"Page": page + 1, "More": more || page > 0}),
		Buttons: rows, Edit: edit}}, nil
}
