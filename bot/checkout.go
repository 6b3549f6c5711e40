package bot

import (
	"errors"
	"strings"

	"shopbot/commerce"
)

// Checkout of the cart: a pickup point, a name, a phone, then the order is
// placed (its units reserved) and shown for the buyer to confirm
// (orders.go). Its buttons carry the checkout's nonce, so a button of an
// earlier checkout is stale.
//
//	co                   start the checkout
//	cp:<nonce>:<point>   pickup point chosen
//	cn:<nonce>           use the remembered name
//	cph:<nonce>          use the remembered phone
//	cx                   leave the checkout (back to the cart)

// Verbs of the checkout.
const (
	VerbCheckout      Verb = "co"
	VerbCheckoutPoint Verb = "cp"
	VerbCheckoutName  Verb = "cn"
	VerbCheckoutPhone Verb = "cph"
	VerbCheckoutLeave Verb = "cx"
)

// Steps of the checkout.
const (
	stepName  Step = "co_name"
	stepPhone Step = "co_phone"
)

// CheckoutDraft is the checkout's part of the session: a checkout in progress.
type CheckoutDraft struct {
	Nonce   string `json:"n,omitempty"` // identifies this checkout; its buttons carry it
	PointID int64  `json:"pt,omitempty"`
	Name    string `json:"nm,omitempty"`
}

type checkoutHandler struct {
	shop   *commerce.Shop
	browse *browseHandler
	orders *ordersHandler
}

func (h *checkoutHandler) routes() routes {
	return routes{
		actions: map[Verb]actionFunc{
			VerbCheckout: func(t *turn, _ args) ([]Reply, error) { return h.start(t) },
			VerbCheckoutPoint: func(t *turn, a args) ([]Reply, error) {
				pt, ok := a.id(1)
				if !ok || !h.current(t, a) {
					return t.stale()
				}
				return h.choosePoint(t, pt)
			},
			VerbCheckoutName: func(t *turn, a args) ([]Reply, error) {
				if !h.current(t, a) || t.s.Step != stepName || t.s.Contact.Name == "" {
					return t.stale()
				}
				return h.enterName(t, t.s.Contact.Name)
			},
			VerbCheckoutPhone: func(t *turn, a args) ([]Reply, error) {
				if !h.current(t, a) || t.s.Step != stepPhone || t.s.Contact.Phone == "" {
					return t.stale()
				}
				return h.enterPhone(t, t.s.Contact.Phone)
			},
			VerbCheckoutLeave: func(t *turn, _ args) ([]Reply, error) {
				h.leave(t)
				return h.browse.cart(t, false)
			},
		},
		steps: map[Step]stepFunc{
			stepName:  h.enterName,
			stepPhone: h.enterPhone,
		},
	}
}

// current reports whether a button belongs to the checkout in progress.
func (h *checkoutHandler) current(t *turn, a args) bool {
	return t.s.Checkout.Nonce != "" && a.str(0) == t.s.Checkout.Nonce
}

// leave ends the checkout: its draft, and any typed input awaited.
func (h *checkoutHandler) leave(t *turn) {
	t.s.Step = ""
	t.s.Checkout = CheckoutDraft{}
}

func (h *checkoutHandler) start(t *turn) ([]Reply, error) {
	if t.m.Group {
		return say(t.text("checkout_private", nil)), nil
	}
	q, dropped, err := h.browse.refreshCart(t)
	if err != nil {
		return nil, err
	}
	if t.s.Cart.Empty() {
		return say(t.text("cart_empty", nil), []Button{t.btn("btn_shop", VerbCategories.Of())}), nil
	}
	if dropped > 0 {
		return h.browse.cart(t, false)
	}
	points, err := h.shop.Store().PickupPoints(t.ctx)
	if err != nil {
		return nil, err
	}
	if len(points) == 0 {
		return say(t.text("no_pickup_points", nil), t.mainMenu()...), nil
	}
	h.leave(t)
	t.s.Checkout = CheckoutDraft{Nonce: newNonce()}
	rows := pointButtons(t, points, func(id int64) string { return VerbCheckoutPoint.Of(t.s.Checkout.Nonce, id) })
	rows = append(rows, []Button{t.btn("btn_cancel_checkout", VerbCheckoutLeave.Of())})
	return say(t.text("checkout_point", map[string]any{"Total": q.Total, "Units": t.s.Cart.Units()}), rows...), nil
}

// pointButtons offers pickup points, one a row.
func pointButtons(t *turn, points []commerce.PickupPoint, action func(id int64) string) [][]Button {
	var rows [][]Button
	for _, p := range points {
		rows = append(rows, []Button{{
			Text:   t.text("point_button", map[string]any{"City": p.City.In(t.lang), "Name": p.Name.In(t.lang)}),
			Action: action(p.ID),
		}})
	}
	return rows
}

func (h *checkoutHandler) choosePoint(t *turn, id int64) ([]Reply, error) {
	p, err := h.shop.Store().PickupPoint(t.ctx, id)
	if err != nil || !p.Active {
		if err == nil || errors.Is(err, commerce.ErrNotFound) {
			return t.stale()
		}
		return nil, err
	}
	t.s.Checkout.PointID = p.ID
	t.s.setStep(stepName)
	var rows [][]Button
	if t.s.Contact.Name != "" {
		rows = append(rows, []Button{{Text: t.text("btn_use", map[string]any{"Value": t.s.Contact.Name}),
			Action: VerbCheckoutName.Of(t.s.Checkout.Nonce)}})
	}
	rows = append(rows, []Button{t.btn("btn_cancel_checkout", VerbCheckoutLeave.Of())})
	return say(t.text("checkout_name", map[string]any{"Point": p.Name.In(t.lang), "Address": p.Address.In(t.lang)}), rows...), nil
}

func (h *checkoutHandler) enterName(t *turn, text string) ([]Reply, error) {
	name, err := commerce.NormalizeName(text)
	if err != nil {
		return say(t.text("err_name", nil), []Button{t.btn("btn_cancel_checkout", VerbCheckoutLeave.Of())}), nil
	}
	t.s.Checkout.Name = name
	t.s.setStep(stepPhone)
	var rows [][]Button
	if t.s.Contact.Phone != "" {
		rows = append(rows, []Button{{Text: t.text("btn_use", map[string]any{"Value": maskPhone(t.s.Contact.Phone)}),
			Action: VerbCheckoutPhone.Of(t.s.Checkout.Nonce)}})
	}
	rows = append(rows, []Button{t.btn("btn_cancel_checkout", VerbCheckoutLeave.Of())})
	return []Reply{{Text: t.text("checkout_phone", map[string]any{"Name": name}), Buttons: rows, AskPhone: true}}, nil
}

// maskPhone shows only the last four digits: "+86•••••••1234".
func maskPhone(p string) string {
	if len(p) <= 4 {
		return p
	}
	return strings.Repeat("•", len(p)-4) + p[len(p)-4:]
}

func (h *checkoutHandler) enterPhone(t *turn, text string) ([]Reply, error) {
	phone, err := h.shop.NormalizePhone(text)
	if err != nil {
		return say(t.text("err_phone", nil), []Button{t.btn("btn_cancel_checkout", VerbCheckoutLeave.Of())}), nil
	}
	co := t.s.Checkout
	if co.Nonce == "" || co.PointID == 0 || co.Name == "" {
		t.s.Step = ""
		return t.stale()
	}
	o, created, err := h.shop.PlaceOrder(t.ctx, commerce.Checkout{
		Buyer: t.buyer(), ChatID: t.m.ChatID, Lang: t.lang, Cart: t.s.Cart,
		PickupPointID: co.PointID, ContactName: co.Name, Phone: phone,
		IdempotencyKey: "co:" + SessionKey(t.m) + ":" + co.Nonce,
	})
	var changed *commerce.PriceChangedError
	_, limited := limitOf(err)
	switch {
	case limited:
		// Too many open orders, or pay at pickup suspended: nothing was
		// reserved, and the cart stays for later.
		h.leave(t)
		return t.limitReply(err), nil
	case errors.As(err, &changed):
		h.leave(t)
		c, cerr := h.browse.cart(t, false)
		return append(say(t.text("err_price_changed", nil)), c...), cerr
	case errors.Is(err, commerce.ErrSoldOut), errors.Is(err, commerce.ErrUnavailable), errors.Is(err, commerce.ErrNotFound):
		h.leave(t)
		c, cerr := h.browse.cart(t, false)
		return append(say(t.text("err_checkout_stock", nil)), c...), cerr
	case errors.Is(err, commerce.ErrEmptyCart):
		h.leave(t)
		return h.browse.cart(t, false)
	case errors.Is(err, commerce.ErrInvalid):
		// The pickup point closed meanwhile (name and phone were validated
		// above): choose a point again.
		h.leave(t)
		return h.start(t)
	case err != nil:
		return t.fail(err)
	}
	if created {
		t.event(EventOrderPlaced)
	}
	t.s.Cart.Clear()
	h.leave(t)
	t.s.Contact = Contact{Name: o.ContactName, Phone: o.Phone}
	return h.orders.view(t, o, "order_review")
}
