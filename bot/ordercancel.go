package bot

import (
	"errors"
	"fmt"

	"shopbot/commerce"
)

// A seller's view of an order, and cancelling it with a reason until it
// ships (commerce.Shop.SellerCancel): the stock goes back and the buyer is
// told in the chat they ordered from (NoticeOrderCancelled). Sellers are
// the Admins, in a private chat.
//
//	/order NUMBER   the order as the seller sees it
//	sov:<order>     the same, from a button
//	sox:<order>     cancel: asks for the reason (step so_reason)
//	soxk:<order>    keep the order after all

// Verbs of the seller's order view.
const (
	VerbSellerOrder      Verb = "sov"
	VerbSellerCancel     Verb = "sox"
	VerbSellerCancelKeep Verb = "soxk"
)

// CmdOrder looks an order up by number (sellers).
const CmdOrder Command = "/order"

// stepCancelReason awaits the reason of the cancellation in OrdersState.
const stepCancelReason Step = "so_reason"

// OrdersState is the orders feature's part of the session: the order a
// seller is typing a cancellation reason for.
type OrdersState struct {
	Cancel int64 `json:"x,omitempty"`
}

// sellerRoutes are the sellers' routes of orders.
func (h *ordersHandler) sellerRoutes() routes {
	order := func(f func(t *turn, id int64) ([]Reply, error)) actionFunc {
		return func(t *turn, a args) ([]Reply, error) {
			id, ok := a.id(0)
			if !ok || len(a) != 1 || !h.orderSeller(t) {
				return t.stale()
			}
			return f(t, id)
		}
	}
	return routes{
		commands: map[Command]commandFunc{CmdOrder: h.orderCommand},
		actions: map[Verb]actionFunc{
			VerbSellerOrder:  order(h.sellerOrder),
			VerbSellerCancel: order(h.askReason),
			VerbSellerCancelKeep: order(func(t *turn, id int64) ([]Reply, error) {
				t.s.leaveStep(stepCancelReason)
				t.s.Orders = OrdersState{}
				return h.sellerOrder(t, id)
			}),
		},
		steps: map[Step]stepFunc{stepCancelReason: h.cancelReason},
	}
}

// orderSeller: an admin in a private chat.
func (h *ordersHandler) orderSeller(t *turn) bool { return t.isAdmin() && !t.m.Group }

func (h *ordersHandler) orderCommand(t *turn, arg string) ([]Reply, error) {
	if !h.orderSeller(t) {
		return t.help("help_unknown")
	}
	if arg == "" {
		return say(t.text("seller_order_usage", nil)), nil
	}
	o, err := h.shop.Store().OrderByNumber(t.ctx, commerce.NormalizeOrderNumber(arg))
	if errors.Is(err, commerce.ErrNotFound) {
		return say(t.text("seller_order_unknown", map[string]any{"Number": commerce.NormalizeOrderNumber(arg)})), nil
	}
	if err != nil {
		return nil, err
	}
	return h.sellerView(t, o)
}

func (h *ordersHandler) sellerOrder(t *turn, id int64) ([]Reply, error) {
	o, err := h.shop.Store().Order(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	return h.sellerView(t, o)
}

// sellerView is an order with the seller's button: cancel, while it can be.
func (h *ordersHandler) sellerView(t *turn, o commerce.Order) ([]Reply, error) {
	if h.desk != nil {
		return h.desk.card(t, o.ID)
	}
	data, _, err := h.orderData(t, o)
	if err != nil {
		return nil, err
	}
	data["Reason"] = o.CancelReason
	var rows [][]Button
	if h.sellerCancellable(t, o) {
		rows = append(rows, []Button{t.btn("btn_cancel_order", VerbSellerCancel.Of(o.ID))})
	}
	text := t.text("seller_order", data)
	if h.pay.online() {
		payText, payRows, err := h.pay.sellerSection(t, o)
		if err != nil {
			return nil, err
		}
		if payText != "" {
			text += "\n" + payText
		}
		rows = append(rows, payRows...)
	}
	return say(text, rows...), nil
}

// askReason awaits the reason of cancelling order id.
func (h *ordersHandler) askReason(t *turn, id int64) ([]Reply, error) {
	o, err := h.shop.Store().Order(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	if r, done := h.notCancellable(t, o); done {
		return r, nil
	}
	t.s.setStep(stepCancelReason)
	t.s.Orders = OrdersState{Cancel: o.ID}
	return say(t.text("seller_cancel_ask", map[string]any{"Number": o.Number, "Max": commerce.MaxCancelReason}),
		[]Button{t.btn("btn_keep_order", VerbSellerCancelKeep.Of(o.ID))}), nil
}

// cancelReason takes the typed reason and cancels the order.
func (h *ordersHandler) cancelReason(t *turn, text string) ([]Reply, error) {
	id := t.s.Orders.Cancel
	if id == 0 || !h.orderSeller(t) {
		t.s.leaveStep(stepCancelReason)
		t.s.Orders = OrdersState{}
		return t.help("help_unknown")
	}
	o, err := h.shop.Store().Order(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	reason, err := commerce.NormalizeCancelReason(text)
	if err != nil {
		return say(t.text("seller_cancel_reason_bad", map[string]any{"Max": commerce.MaxCancelReason}),
			[]Button{t.btn("btn_keep_order", VerbSellerCancelKeep.Of(o.ID))}), nil
	}
	t.s.leaveStep(stepCancelReason)
	t.s.Orders = OrdersState{}
	o, cancelled, err := h.sellerCancel(t, o.Number, reason)
	if errors.Is(err, commerce.ErrTooLate) {
		r, _ := h.notCancellable(t, o)
		return r, nil
	}
	if err != nil {
		return t.fail(err)
	}
	if !cancelled {
		return say(t.text("seller_cancel_already", map[string]any{"Number": o.Number}),
			[]Button{t.btn("btn_order", VerbSellerOrder.Of(o.ID))}), nil
	}
	t.event(EventOrderCancel)
	done := t.text("seller_order_cancelled", map[string]any{"Number": o.Number, "Reason": o.CancelReason})
	if o.Paid.IsPaid() && h.pay != nil {
		done += "\n" + t.text("pay_cancel_refunding", map[string]any{"Amount": o.Paid.Amount, "Method": methodName(t, o.Paid.Method)})
	}
	return say(done, []Button{t.btn("btn_order", VerbSellerOrder.Of(o.ID))}), nil
}

// notCancellable answers for an order a seller can no longer cancel;
// done is false for one they can.
func (h *ordersHandler) notCancellable(t *turn, o commerce.Order) ([]Reply, bool) {
	back := []Button{t.btn("btn_order", VerbSellerOrder.Of(o.ID))}
	switch {
	case o.Status == commerce.StatusCancelled:
		return say(t.text("seller_cancel_already", map[string]any{"Number": o.Number}), back), true
	case !h.sellerCancellable(t, o):
		return say(t.text("seller_cancel_too_late", map[string]any{"Number": o.Number,
			"Status": t.text("status_"+string(o.Status), nil)}), back), true
	}
	return nil, false
}

// renderCancelNotice tells a buyer that a seller cancelled their order
// (NoticeOrderCancelled); an order no longer cancelled, or of another
// buyer, says nothing.
func (h *ordersHandler) renderCancelNotice(t *turn, n Notice) ([]Reply, error) {
	if n.OrderID <= 0 {
		return nil, fmt.Errorf("bot: %s notice without an order id: %w", n.Kind, commerce.ErrInvalid)
	}
	o, err := h.shop.Store().Order(t.ctx, n.OrderID)
	if err != nil {
		return nil, ignoreGone(err)
	}
	if o.Buyer.Channel != n.Channel || n.UserID != "" && o.Buyer.UserID != n.UserID || o.Status != commerce.StatusCancelled {
		return nil, nil
	}
	text := t.text("order_cancelled_by_seller", map[string]any{"Number": o.Number, "Reason": o.CancelReason})
	if o.Paid.IsPaid() && h.pay != nil {
		text += "\n" + t.text("pay_cancel_refund_note", map[string]any{"Amount": o.Paid.Amount, "Method": methodName(t, o.Paid.Method)})
	}
	return say(text,
		[]Button{t.btn("btn_orders", VerbOrders.Of()), t.btn("btn_shop", VerbCategories.Of())}), nil
}
