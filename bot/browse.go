package bot

import (
	"slices"
	"strconv"

	"shopbot/commerce"
)

// Browsing the catalog: categories, a category's products page by page, a
// product's card with a quantity stepper, and adding to the cart (the cart
// itself is in cart.go; both are one feature with the cart as its part of
// the session).
//
//	/shop, cats                 the categories
//	cat:<category>:<page>       a category's page (edited in place)
//	p:<product>                 a product's card
//	q:<product>:<qty>           the card at another quantity (edited in place)
//	qn:<why>[:<max>]            a stepper button that would change nothing: a toast
//	add:<product>:<qty>:<price> add to the cart at the price shown
//	c_<category>, p_<product>   (deep links) a category, a product

// Verbs of browsing.
const (
	VerbCategories Verb = "cats"
	VerbCategory   Verb = "cat"
	VerbProduct    Verb = "p"
	VerbQuantity   Verb = "q"
	VerbQtyNoop    Verb = "qn"
	VerbAdd        Verb = "add"
)

// Commands of browsing and the cart.
const (
	CmdShop Command = "/shop"
	CmdCart Command = "/cart"
)

// Deep links of browsing.
const (
	LinkCategory DeepLink = "c"
	LinkProduct  DeepLink = "p"
)

// pageSize is how many products one listing page shows.
const pageSize = 6

type browseHandler struct {
	shop    *commerce.Shop
	restock *restockHandler // nil: no "Notify me" on sold-out cards
}

func (h *browseHandler) routes() routes {
	return routes{
		commands: map[Command]commandFunc{
			CmdShop: func(t *turn, _ string) ([]Reply, error) { return h.categories(t) },
			CmdCart: func(t *turn, _ string) ([]Reply, error) { return h.cart(t, false) },
		},
		actions: map[Verb]actionFunc{
			VerbCategories: func(t *turn, _ args) ([]Reply, error) { return h.categories(t) },
			VerbCategory: func(t *turn, a args) ([]Reply, error) {
				id, idOK := a.id(0)
				page, pageOK := a.num(1, 0, 1000)
				if !idOK || !pageOK {
					return t.stale()
				}
				return h.category(t, id, page, true)
			},
			VerbProduct: func(t *turn, a args) ([]Reply, error) {
				id, ok := a.id(0)
				if !ok {
					return t.stale()
				}
				return h.product(t, id, 1, false)
			},
			VerbQuantity: func(t *turn, a args) ([]Reply, error) {
				id, idOK := a.id(0)
				qty, ok := a.num(1, 1, h.shop.MaxQtyPerLine())
				if !idOK || !ok {
					return t.stale()
				}
				return h.product(t, id, qty, true)
			},
			VerbQtyNoop: h.qtyNoop,
			VerbAdd: func(t *turn, a args) ([]Reply, error) {
				id, idOK := a.id(0)
				qty, qtyErr := strconv.Atoi(a.str(1))
				price, priceErr := strconv.ParseInt(a.str(2), 10, 64)
				if !idOK || qtyErr != nil || priceErr != nil {
					return t.stale()
				}
				return h.add(t, id, qty, price)
			},
			VerbCart:       func(t *turn, _ args) ([]Reply, error) { return h.cart(t, false) },
			VerbCartMore:   h.changeLine,
			VerbCartLess:   h.changeLine,
			VerbCartRemove: h.changeLine,
			VerbCartClear: func(t *turn, _ args) ([]Reply, error) {
				t.s.Cart.Clear()
				return h.cart(t, true)
			},
		},
		links: map[DeepLink]linkFunc{
			LinkProduct: func(t *turn, rest string) ([]Reply, bool, error) {
				id, ok := parseID(rest)
				if !ok {
					return nil, false, nil
				}
				r, err := h.product(t, id, 1, false)
				return r, true, err
			},
			LinkCategory: func(t *turn, rest string) ([]Reply, bool, error) {
				id, ok := parseID(rest)
				if !ok {
					return nil, false, nil
				}
				r, err := h.category(t, id, 0, false)
				return r, true, err
			},
		},
	}
}

func (h *browseHandler) categories(t *turn) ([]Reply, error) {
	cats, err := h.visibleCategories(t)
	if err != nil {
		return nil, err
	}
	if len(cats) == 0 {
		return say(t.text("shop_empty", nil), t.mainMenu()...), nil
	}
	var rows [][]Button
	for i, c := range cats {
		b := Button{Text: t.tr(c.Title), Action: VerbCategory.Of(c.ID, 0)}
		if i%2 == 0 {
			rows = append(rows, []Button{b})
		} else {
			rows[len(rows)-1] = append(rows[len(rows)-1], b)
		}
	}
	rows = append(rows, []Button{t.cartButton(), t.btn("btn_orders", VerbOrders.Of())})
	return say(t.text("categories", nil), rows...), nil
}

// visibleCategories are the categories buyers see: not hidden by the seller.
func (h *browseHandler) visibleCategories(t *turn) ([]commerce.Category, error) {
	cats, err := h.shop.Store().Categories(t.ctx)
	return slices.DeleteFunc(cats, func(c commerce.Category) bool { return c.Hidden }), err
}

func (h *browseHandler) category(t *turn, id int64, page int, edit bool) ([]Reply, error) {
	cats, err := h.visibleCategories(t)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(cats, func(c commerce.Category) bool { return c.ID == id }) {
		return say(t.text("category_empty", nil), []Button{t.btn("btn_categories", VerbCategories.Of())}), nil
	}
	products, err := h.shop.Store().Products(t.ctx, commerce.ProductFilter{CategoryID: id, Offset: page * pageSize, Limit: pageSize + 1})
	if err != nil {
		return nil, err
	}
	if len(products) == 0 {
		if page > 0 {
			return h.category(t, id, 0, edit)
		}
		return say(t.text("category_empty", nil), []Button{t.btn("btn_categories", VerbCategories.Of())}), nil
	}
	more := len(products) > pageSize
	if more {
		products = products[:pageSize]
	}
	var rows [][]Button
	for _, p := range products {
		label := t.text("product_button", map[string]any{"Title": t.tr(p.Title), "Price": p.Price, "SoldOut": p.Stock == 0})
		rows = append(rows, []Button{{Text: label, Action: VerbProduct.Of(p.ID)}})
	}
	var nav []Button
	if page > 0 {
		nav = append(nav, Button{Text: t.text("btn_prev", nil), Action: VerbCategory.Of(id, page-1)})
	}
	if more {
		nav = append(nav, Button{Text: t.text("btn_next", nil), Action: VerbCategory.Of(id, page+1)})
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	rows = append(rows, []Button{t.btn("btn_categories", VerbCategories.Of()), t.cartButton()})
	title := ""
	for _, c := range cats {
		if c.ID == id {
			title = t.tr(c.Title)
		}
	}
	return []Reply{{Text: t.text("category_page", map[string]any{"Category": title, "Page": page + 1, "More": more || page > 0}),
		Buttons: rows, Edit: edit}}, nil
}

// product shows a product card with a quantity stepper at qty. A stepper
// button that would show the card unchanged (− at 1, + at the most, the
// quantity itself) answers with a toast instead: Telegram refuses to
// "edit" a message into what it already shows.
func (h *browseHandler) product(t *turn, id int64, qty int, edit bool) ([]Reply, error) {
	p, err := h.shop.SellableProduct(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	limit := min(h.shop.MaxQtyPerLine(), p.Stock)
	qty = max(1, min(qty, limit))
	var rows [][]Button
	if p.Stock > 0 {
		less, more := VerbQtyNoop.Of("min"), VerbQtyNoop.Of("max", limit)
		if qty > 1 {
			less = VerbQuantity.Of(p.ID, qty-1)
		}
		if qty < limit {
			more = VerbQuantity.Of(p.ID, qty+1)
		}
		rows = append(rows,
			[]Button{
				{Text: "−", Action: less},
				{Text: t.text("qty_label", map[string]any{"Qty": qty}), Action: VerbQtyNoop.Of("qty")},
				{Text: "+", Action: more},
			},
			[]Button{{Text: t.text("btn_add", map[string]any{"Qty": qty, "Total": p.Price.Mul(qty)}),
				Action: VerbAdd.Of(p.ID, qty, p.Price.Amount)}})
	}
	if p.Stock <= 0 && h.restock != nil {
		rows = append(rows, []Button{h.restock.notifyButton(t, p)})
	}
	rows = append(rows, []Button{{Text: t.text("btn_back", nil), Action: VerbCategory.Of(p.CategoryID, 0)}, t.cartButton()})
	if t.isSeller() {
		rows = append(rows, []Button{t.btn("btn_seller_manage", VerbSellerCard.Of(p.ID))})
	}
	reply := Reply{Text: h.cardText(t, p), Buttons: rows, Edit: edit}
	if p.Image != "" {
		reply.Image = t.imageURL(p.Image)
	}
	return []Reply{reply}, nil
}

// qtyNoop answers a stepper button that would leave the card as it is.
func (h *browseHandler) qtyNoop(t *turn, a args) ([]Reply, error) {
	switch a.str(0) {
	case "min":
		return t.hint("qty_at_min", nil), nil
	case "max":
		most, ok := a.num(1, 0, h.shop.MaxQtyPerLine())
		if !ok {
			return t.stale()
		}
		return t.hint("qty_at_max", map[string]any{"Max": most}), nil
	case "qty":
		return t.hint("qty_use_buttons", nil), nil
	}
	return t.stale()
}

// cardText is a product's card as buyers see it.
func (h *browseHandler) cardText(t *turn, p commerce.Product) string {
	return t.text("product_card", map[string]any{
		"Title": t.tr(p.Title), "Description": t.tr(p.Description), "Price": p.Price,
		"Origin": t.text("origin_"+string(p.Origin), nil), "Stock": p.Stock, "Low": p.Stock > 0 && p.Stock <= 5,
	})
}

// add puts qty units into the cart at the price the buyer saw; a price
// changed since shows the card again.
func (h *browseHandler) add(t *turn, id int64, qty int, shownPrice int64) ([]Reply, error) {
	max := h.shop.MaxQtyPerLine()
	p, err := h.shop.SellableProduct(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	if p.Price.Amount != shownPrice {
		r, err := h.product(t, id, qty, false)
		return append(say(t.text("err_price_changed_card", map[string]any{"Title": t.tr(p.Title), "Price": p.Price})), r...), err
	}
	if _, err := h.shop.AddToCart(t.ctx, &t.s.Cart, id, qty); err != nil {
		return h.cartError(t, err, p, max)
	}
	q, err := h.shop.PriceCart(t.ctx, t.s.Cart)
	if err != nil {
		return nil, err
	}
	return say(t.text("added", map[string]any{"Qty": qty, "Title": t.tr(p.Title), "Units": t.s.Cart.Units(), "Total": q.Total}),
		[]Button{t.cartButton(), t.btn("btn_checkout", VerbCheckout.Of())},
		[]Button{{Text: t.text("btn_continue", nil), Action: VerbCategory.Of(p.CategoryID, 0)}}), nil
}
