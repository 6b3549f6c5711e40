package bot

import (
	"time"

	"shopbot/commerce"
)

// A buyer's orders: the list, one order with the buttons its status allows
// (and, with pickup on, its pickup section), confirming a placed order and
// cancelling one.
//
//	/orders, o       the buyer's last orders
//	os:<order>       one order
//	oc:<order>       confirm a placed order
//	ox:<order>       ask before cancelling
//	oxy:<order>      cancel

// Verbs of orders.
const (
	VerbOrders        Verb = "o"
	VerbOrder         Verb = "os"
	VerbOrderConfirm  Verb = "oc"
	VerbOrderCancel   Verb = "ox"
	VerbOrderCancelOK Verb = "oxy"
)

// CmdOrders lists the buyer's orders.
const CmdOrders Command = "/orders"

type ordersHandler struct {
	shop   *commerce.Shop
	pickup *pickupHandler // nil with pickup off
	desk   *deskHandler   // nil without the sellers' desk
	pay    *payHandler    // nil without Options.Payments
}

func (h *ordersHandler) routes() routes {
	order := func(f func(t *turn, id int64) ([]Reply, error)) actionFunc {
		return func(t *turn, a args) ([]Reply, error) {
			id, ok := a.id(0)
			if !ok {
				return t.stale()
			}
			return f(t, id)
		}
	}
	return routes{
		commands: map[Command]commandFunc{
			CmdOrders: func(t *turn, arg string) ([]Reply, error) {
				if h.desk != nil && h.orderSeller(t) {
					return h.desk.command(t, arg) // a seller's desk; their own orders a button away
				}
				return h.list(t)
			},
		},
		actions: map[Verb]actionFunc{
			VerbOrders:        func(t *turn, _ args) ([]Reply, error) { return h.list(t) },
			VerbOrder:         order(h.show),
			VerbOrderConfirm:  order(h.confirm),
			VerbOrderCancel:   order(h.askCancel),
			VerbOrderCancelOK: order(h.cancel),
		},
	}
}

func (h *ordersHandler) list(t *turn) ([]Reply, error) {
	list, err := h.shop.Orders(t.ctx, t.buyer(), 10)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return say(t.text("orders_empty", nil), []Button{t.btn("btn_shop", VerbCategories.Of())}), nil
	}
	type row struct {
		Number, Status, Date string
		Total                commerce.Money
	}
	var rows []row
	var buttons [][]Button
	for _, o := range list {
		status := t.text("status_"+string(o.Status), nil)
		rows = append(rows, row{Number: o.Number, Status: status, Total: o.Total, Date: t.date(o.CreatedAt, "")})
		buttons = append(buttons, []Button{{Text: t.text("order_button", map[string]any{"Number": o.Number, "Status": status}),
			Action: VerbOrder.Of(o.ID)}})
	}
	buttons = append(buttons, []Button{t.btn("btn_shop", VerbCategories.Of())})
	return say(t.text("orders", map[string]any{"Orders": rows}), buttons...), nil
}

func (h *ordersHandler) show(t *turn, id int64) ([]Reply, error) {
	o, err := h.shop.OwnOrder(t.ctx, t.buyer(), id)
	if err != nil {
		return t.fail(err)
	}
	return h.view(t, o, "order_details")
}

func (h *ordersHandler) confirm(t *turn, id int64) ([]Reply, error) {
	o, err := h.shop.ConfirmOrder(t.ctx, t.buyer(), id)
	if err != nil {
		return t.fail(err)
	}
	t.event(EventOrderConfirm)
	return h.view(t, o, "order_confirmed")
}

func (h *ordersHandler) askCancel(t *turn, id int64) ([]Reply, error) {
	o, err := h.shop.OwnOrder(t.ctx, t.buyer(), id)
	if err != nil {
		return t.fail(err)
	}
	if !h.buyerCancellable(o.Status) {
		return t.fail(commerce.ErrInvalidTransition)
	}
	return say(t.text("order_cancel_ask", map[string]any{"Number": o.Number}),
		[]Button{t.btn("btn_cancel_yes", VerbOrderCancelOK.Of(o.ID)), t.btn("btn_cancel_no", VerbOrder.Of(o.ID))}), nil
}

func (h *ordersHandler) cancel(t *turn, id int64) ([]Reply, error) {
	o, err := h.shop.OwnOrder(t.ctx, t.buyer(), id)
	if err != nil {
		return t.fail(err)
	}
	switch {
	case o.Status == commerce.StatusAwaitingPayment && h.pay != nil:
		// Closed at the provider first, then the stock goes back.
		o, err = h.pay.cancel(t, id)
		if err != nil {
			return h.pay.fail(t, err, id, VerbOrderCancelOK.Of(id))
		}
	case o.Status == commerce.StatusPaid:
		// The seller cancels a paid order, and refunds it.
		return say(t.text("pay_cancel_paid", map[string]any{"Number": o.Number}),
			[]Button{t.btn("btn_order", VerbOrder.Of(o.ID)), t.btn("btn_orders", VerbOrders.Of())}), nil
	default:
		o, err = h.shop.CancelOrder(t.ctx, t.buyer(), id)
	}
	if err != nil {
		return t.fail(err)
	}
	t.event(EventOrderCancel)
	return h.view(t, o, "order_cancelled")
}

// view renders an order with the buttons its status allows.
func (h *ordersHandler) view(t *turn, o commerce.Order, key string) ([]Reply, error) {
	data, pt, err := h.orderData(t, o)
	if err != nil {
		return nil, err
	}
	var rows [][]Button
	var payText string
	switch {
	case h.pay.online() && key != "order_confirmed": // that text says it is paid at pickup
		if key == "order_review" && o.Status == commerce.StatusPending {
			key = "pay_review" // the ways to pay instead of "please confirm"
		}
		if payText, rows, err = h.pay.buyerSection(t, o); err != nil {
			return nil, err
		}
	case o.Status == commerce.StatusPending:
		rows = append(rows, []Button{t.btn("btn_confirm", VerbOrderConfirm.Of(o.ID))})
	}
	if h.buyerCancellable(o.Status) {
		rows = append(rows, []Button{t.btn("btn_cancel_order", VerbOrderCancel.Of(o.ID))})
	}
	text := t.text(key, data)
	if payText != "" {
		text += "\n\n" + payText
	}
	if h.pickup != nil {
		extra, extraRows, err := h.pickup.section(t, o, pt)
		if err != nil {
			return nil, err
		}
		if extra != "" {
			text += "\n\n" + extra
		}
		rows = append(rows, extraRows...)
	}
	rows = append(rows, []Button{t.btn("btn_orders", VerbOrders.Of()), t.btn("btn_shop", VerbCategories.Of())})
	return say(text, rows...), nil
}

// buyerCancellable reports whether the buyer may cancel an order in
// status s; a paid order is cancelled (and refunded) by the seller.
func (h *ordersHandler) buyerCancellable(s commerce.OrderStatus) bool {
	return s.CanBecome(commerce.StatusCancelled) && s != commerce.StatusPaid
}

// orderData is what the texts of an order show ("order_body"), and its
// pickup point.
func (h *ordersHandler) orderData(t *turn, o commerce.Order) (map[string]any, commerce.PickupPoint, error) {
	pt, err := h.shop.Store().PickupPoint(t.ctx, o.PickupPointID)
	if err != nil {
		return nil, pt, err
	}
	type line struct {
		Title string
		Qty   int
		Total commerce.Money
	}
	var lines []line
	for _, l := range o.Lines {
		lines = append(lines, line{Title: l.Title.In(t.lang), Qty: l.Qty, Total: l.UnitPrice.Mul(l.Qty)})
	}
	minutes := int(o.ExpiresAt.Sub(h.shop.Now()).Round(time.Minute).Minutes())
	data := map[string]any{
		"Number": o.Number, "Status": t.text("status_"+string(o.Status), nil), "Lines": lines, "Total": o.Total,
		"Point": pt.Name.In(t.lang), "City": pt.City.In(t.lang), "Address": pt.Address.In(t.lang), "Hours": pt.Hours,
		"Name": o.ContactName, "Phone": maskPhone(o.Phone), "Minutes": max(minutes, 0),
		"Date": t.date(o.CreatedAt, pt.TimeZone), "Pending": o.Status == commerce.StatusPending,
	}
	return data, pt, nil
}
