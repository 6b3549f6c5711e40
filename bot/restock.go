package bot

import (
	"context"
	"errors"

	"shopbot/commerce"
	"shopbot/templates"
)

// Back in stock: a sold-out product's card offers "Notify me"; pressing it
// puts the buyer on the product's list (once; pressing again says so, with
// a way to stop). The stock change that brings the product back queues one
// NoticeRestocked per waiting buyer (jobs), rendered here.
//
//	rsn:<product>   notify me when it is back
//	rsc:<product>   don't

// Verbs of back in stock.
const (
	VerbRestockNotify Verb = "rsn"
	VerbRestockCancel Verb = "rsc"
)

// NoticeRestocked tells a waiting buyer the product is back (Notice.ProductID).
const NoticeRestocked = "restocked"

type restockHandler struct {
	shop    *commerce.Shop
	restock *commerce.Restock
	browse  *browseHandler
}

func (h *restockHandler) routes() routes {
	return routes{actions: map[Verb]actionFunc{
		VerbRestockNotify: func(t *turn, a args) ([]Reply, error) {
			id, ok := a.id(0)
			if !ok {
				return t.stale()
			}
			return h.subscribe(t, id)
		},
		VerbRestockCancel: func(t *turn, a args) ([]Reply, error) {
			id, ok := a.id(0)
			if !ok {
				return t.stale()
			}
			return h.cancel(t, id)
		},
	}}
}

// notifyButton is the card's "Notify me" of a sold-out product.
func (h *restockHandler) notifyButton(t *turn, p commerce.Product) Button {
	return t.btn("btn_restock_notify", VerbRestockNotify.Of(p.ID))
}

func (h *restockHandler) subscribe(t *turn, id int64) ([]Reply, error) {
	p, err := h.shop.SellableProduct(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	res, err := h.restock.Subscribe(t.ctx, id, t.buyer(), t.m.ChatID, t.lang)
	if errors.Is(err, commerce.ErrRestockLimit) {
		ue, _ := ErrorText(err, InChat)
		return say(t.text(ue.Key, map[string]any{"Max": h.restock.Max()}), h.productRow(t, p)), nil
	}
	if err != nil {
		return t.fail(err)
	}
	data := map[string]any{"Title": p.Title.In(t.lang)}
	switch res {
	case commerce.RestockInStock: // back meanwhile: the card has the buy buttons
		return h.browse.product(t, id, 1, false)
	case commerce.RestockAlready:
		return say(t.text("restock_already", data),
			[]Button{t.btn("btn_restock_cancel", VerbRestockCancel.Of(id))}, h.productRow(t, p)), nil
	}
	return say(t.text("restock_subscribed", data),
		[]Button{t.btn("btn_restock_cancel", VerbRestockCancel.Of(id))}, h.productRow(t, p)), nil
}

func (h *restockHandler) cancel(t *turn, id int64) ([]Reply, error) {
	p, err := h.shop.Store().Product(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	if _, err := h.restock.Cancel(t.ctx, id, t.buyer()); err != nil {
		return nil, err
	}
	return say(t.text("restock_cancelled", map[string]any{"Title": p.Title.In(t.lang)}), h.productRow(t, p)), nil
}

// productRow opens the product's card.
func (h *restockHandler) productRow(t *turn, p commerce.Product) []Button {
	return []Button{t.btn("btn_restock_open", VerbProduct.Of(p.ID))}
}

// renderNotice renders NoticeRestocked: the product is back, with a button
// to open it. A product hidden or gone since says nothing; one sold out
// again says so and offers the list again.
func (h *restockHandler) renderNotice(r *Router, ctx context.Context, n Notice) ([]Reply, error) {
	if n.ProductID <= 0 {
		return nil, errors.New("bot: restocked notice without a product")
	}
	lang := templates.Match(n.Lang)
	if lang == "" {
		lang = templates.Default
	}
	t := &turn{r: r, ctx: ctx, s: &Session{Lang: lang}, lang: lang,
		m: Message{Channel: n.Channel, ChatID: n.ChatID, UserID: n.UserID}}
	p, err := h.shop.SellableProduct(ctx, n.ProductID)
	if errors.Is(err, commerce.ErrUnavailable) { // hidden since: nothing to open
		return nil, nil
	}
	if err != nil {
		return nil, ignoreGone(err)
	}
	data := map[string]any{"Title": p.Title.In(lang), "Stock": p.Stock, "Price": p.Price}
	if p.Stock <= 0 {
		return say(t.text("restock_notice_gone", data), []Button{h.notifyButton(t, p)}, h.productRow(t, p)), nil
	}
	return say(t.text("restock_notice", data), h.productRow(t, p)), nil
}
