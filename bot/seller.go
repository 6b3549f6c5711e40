package bot

import (
	"errors"
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
		m, ok := commerce.ParseAmount(text, seller.Currency(t.ctx))
		if !ok {
			return retry("seller_bad_price", map[string]any{"Currency": seller.Currency(t.ctx)})
		}
		if err := seller.CheckPrice(t.ctx, m); err != nil {
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
		p, err = seller.SetTitle(t.ctx, e.ID, commerce.TextLanguage(text, t.lang), text)
	case fieldDesc:
		if strings.TrimSpace(text) == "-" {
			text = ""
		}
		if _, cerr := commerce.CleanDescription(text); cerr != nil {
			return retry("seller_bad_description", map[string]any{"Max": commerce.MaxDescriptionRunes})
		}
		p, err = seller.SetDescription(t.ctx, e.ID, commerce.TextLanguage(text, t.lang), text)
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
