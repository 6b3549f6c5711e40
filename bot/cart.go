package bot

import (
	"errors"

	"shopbot/commerce"
)

// The cart (Session.Cart), part of browsing:
//
//	/cart, cart          the cart
//	ci:<product>         one more
//	cd:<product>         one fewer (the line goes at 0)
//	cr:<product>         remove the line
//	cc                   empty the cart

// Verbs of the cart.
const (
	VerbCart       Verb = "cart"
	VerbCartMore   Verb = "ci"
	VerbCartLess   Verb = "cd"
	VerbCartRemove Verb = "cr"
	VerbCartClear  Verb = "cc"
)

// cartError explains why units could not go into the cart.
func (h *browseHandler) cartError(t *turn, err error, p commerce.Product, max int) ([]Reply, error) {
	inCart, _ := t.s.Cart.Line(p.ID)
	data := map[string]any{"Max": max, "Left": p.Stock, "InCart": inCart.Qty}
	switch {
	case errors.Is(err, commerce.ErrSoldOut) && p.Stock > 0:
		return say(t.text("err_not_enough", data), t.menuRow()...), nil
	case errors.Is(err, commerce.ErrQuantity):
		return say(t.text("err_quantity", data), t.menuRow()...), nil
	case errors.Is(err, commerce.ErrCartFull):
		return say(t.text("err_cart_full", map[string]any{"MaxLines": commerce.MaxCartLines}), t.menuRow()...), nil
	}
	return t.fail(err)
}

// refreshCart prices the cart from the database, drops lines whose product
// is gone and records the prices now shown. It returns how many lines it
// dropped.
func (h *browseHandler) refreshCart(t *turn) (commerce.Quote, int, error) {
	q, err := h.shop.PriceCart(t.ctx, t.s.Cart)
	if err != nil {
		return q, 0, err
	}
	for _, id := range q.Dropped {
		_ = t.s.Cart.Remove(id)
	}
	for _, l := range q.Lines {
		for i := range t.s.Cart.Lines {
			if t.s.Cart.Lines[i].ProductID == l.Product.ID {
				t.s.Cart.Lines[i].SeenPrice = l.Product.Price
			}
		}
	}
	return q, len(q.Dropped), nil
}

func (h *browseHandler) cart(t *turn, edit bool) ([]Reply, error) {
	q, dropped, err := h.refreshCart(t)
	if err != nil {
		return nil, err
	}
	var notes []Reply
	if dropped > 0 {
		notes = say(t.text("cart_dropped", map[string]any{"N": dropped}))
	}
	if t.s.Cart.Empty() {
		return append(notes, Reply{Text: t.text("cart_empty", nil), Buttons: [][]Button{{t.btn("btn_shop", VerbCategories.Of())}}, Edit: edit}), nil
	}
	type line struct {
		Title string
		Qty   int
		Unit  commerce.Money
		Total commerce.Money
	}
	var lines []line
	var rows [][]Button
	for _, l := range q.Lines {
		title := t.tr(l.Product.Title)
		lines = append(lines, line{Title: title, Qty: l.Qty, Unit: l.Product.Price, Total: l.Total})
		rows = append(rows, []Button{
			{Text: "−", Action: VerbCartLess.Of(l.Product.ID)},
			{Text: t.text("cart_line_button", map[string]any{"Title": title, "Qty": l.Qty}), Action: VerbProduct.Of(l.Product.ID)},
			{Text: "+", Action: VerbCartMore.Of(l.Product.ID)},
			{Text: "✕", Action: VerbCartRemove.Of(l.Product.ID)},
		})
	}
	rows = append(rows, []Button{t.btn("btn_clear", VerbCartClear.Of()), t.btn("btn_shop", VerbCategories.Of())},
		[]Button{t.btn("btn_checkout", VerbCheckout.Of())})
	return append(notes, Reply{Text: t.text("cart", map[string]any{"Lines": lines, "Total": q.Total, "Units": t.s.Cart.Units()}),
		Buttons: rows, Edit: edit}), nil
}

// changeLine runs a cart line's −, + and ✕.
func (h *browseHandler) changeLine(t *turn, a args) ([]Reply, error) {
	id, ok := a.id(0)
	if !ok {
		return t.stale()
	}
	line, ok := t.s.Cart.Line(id)
	if !ok {
		return h.cart(t, true) // stale button of a line already removed
	}
	var err error
	switch t.verb() {
	case VerbCartMore:
		_, err = h.shop.AddToCart(t.ctx, &t.s.Cart, id, 1)
	case VerbCartLess:
		err = t.s.Cart.SetQty(id, line.Qty-1, h.shop.MaxQtyPerLine())
	default: // VerbCartRemove
		err = t.s.Cart.Remove(id)
	}
	if err != nil {
		p, _ := h.shop.Store().Product(t.ctx, id)
		r, ferr := h.cartError(t, err, p, h.shop.MaxQtyPerLine())
		if ferr != nil {
			return nil, ferr
		}
		c, cerr := h.cart(t, false)
		return append(r[:1:1], c...), cerr
	}
	return h.cart(t, true)
}
