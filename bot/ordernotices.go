package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"shopbot/commerce"
)

// maxNoticeOrders is how many orders a seller's summary of new orders
// lists (and offers buttons for: the first maxNoticeButtons); the rest
// are counted, and the desk lists them all.
const (
	maxNoticeOrders  = 10
	maxNoticeButtons = 4
)

// renderNewOrders tells a seller of new orders (NoticeNewOrders): one
// order with its lines and the buyer's contact, or a summary of several
// with the first of them. Orders gone meanwhile are left out; none left
// says nothing.
func (h *ordersHandler) renderNewOrders(t *turn, n Notice) ([]Reply, error) {
	ids, err := n.OrderIDs()
	if err != nil || len(ids) == 0 {
		return nil, fmt.Errorf("bot: %s notice without orders %q: %w", n.Kind, n.Orders, commerce.ErrInvalid)
	}
	var list []commerce.Order
	for _, id := range ids {
		o, err := h.shop.Store().Order(t.ctx, id)
		if err != nil {
			if err = ignoreGone(err); err != nil {
				return nil, err
			}
			continue
		}
		list = append(list, o)
	}
	switch len(list) {
	case 0:
		return nil, nil
	case 1:
		o := list[0]
		data, _, err := h.orderData(t, o)
		if err != nil {
			return nil, err
		}
		data["Phone"] = o.Phone
		return say(t.text("desk_new_order", data), h.newOrderRows(t, list)...), nil
	}
	type row struct {
		Number, Name string
		Total        commerce.Money
		Units        int
	}
	var rows []row
	for _, o := range list[:min(len(list), maxNoticeOrders)] {
		units := 0
		for _, l := range o.Lines {
			units += l.Qty
		}
		rows = append(rows, row{Number: o.Number, Name: o.ContactName, Total: o.Total, Units: units})
	}
	data := map[string]any{"N": len(list), "Orders": rows, "More": len(list) - len(rows)}
	return say(t.text("desk_new_orders", data), h.newOrderRows(t, list)...), nil
}

// newOrderRows are the buttons of a new-order notice: each of the first
// orders, and the desk's new orders when there is one.
func (h *ordersHandler) newOrderRows(t *turn, list []commerce.Order) [][]Button {
	var rows [][]Button
	for _, o := range list[:min(len(list), maxNoticeButtons)] {
		rows = append(rows, []Button{{Text: t.text("desk_btn_open", map[string]any{"Number": o.Number}), Action: VerbSellerOrder.Of(o.ID)}})
	}
	return append(rows, h.deskRows(t)...)
}

// deskRows is the button to the seller's new orders, with the desk on.
func (h *ordersHandler) deskRows(t *turn) [][]Button {
	if h.desk == nil {
		return nil
	}
	return [][]Button{{t.btn("desk_btn_new", VerbDeskList.Of(string(commerce.DeskNew), 0))}}
}

// OrderList is the Orders of a notice about these orders.
func OrderList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// OrderIDs reads the notice's Orders. ErrInvalid for a malformed list.
func (n Notice) OrderIDs() ([]int64, error) {
	if n.Orders == "" {
		return nil, nil
	}
	var out []int64
	for _, f := range strings.Split(n.Orders, ",") {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("bot: notice orders %q: %w", n.Orders, commerce.ErrInvalid)
		}
		out = append(out, id)
	}
	return out, nil
}

// chatLang is the language a user last wrote in, when the audience is
// recorded (Options.Audience); "" when unknown.
func (r *Router) chatLang(ctx context.Context, channel, userID string) string {
	if r.o.Audience == nil {
		return ""
	}
	u, err := r.o.Audience.ChatUser(ctx, channel, userID)
	if err != nil {
		return ""
	}
	return u.Lang
}
