package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"shopbot/commerce"
)

func (c *Console) registerOrders(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/orders", c.page(c.orders))
	mux.HandleFunc("GET /admin/orders.csv", c.page(c.ordersCSV))
	mux.HandleFunc("GET /admin/orders/{number}", c.page(c.order))
	mux.HandleFunc("POST /admin/orders/{number}/cancel", c.page(c.cancelOrder))
	mux.HandleFunc("POST /admin/orders/{number}/ship", c.page(func(w http.ResponseWriter, r *http.Request, q access) {
		c.moveOrder(w, r, q, "shipped", c.o.Pickup.Ship)
	}))
	mux.HandleFunc("POST /admin/orders/{number}/arrive", c.page(func(w http.ResponseWriter, r *http.Request, q access) {
		c.moveOrder(w, r, q, "arrived", c.o.Pickup.MarkArrived)
	}))
}

// orderFilter is the orders page's filter as the form has it.
type orderFilter struct {
	Status, From, To, Search string
}

// parseFilter reads the filter of r's query; bad dates are dropped.
func (c *Console) parseFilter(r *http.Request) (orderFilter, commerce.ConsoleOrderQuery) {
	v := r.URL.Query()
	f := orderFilter{Status: v.Get("status"), From: v.Get("from"), To: v.Get("to"), Search: strings.TrimSpace(v.Get("q"))}
	var q commerce.ConsoleOrderQuery
	if slices.Contains(commerce.Statuses, commerce.OrderStatus(f.Status)) {
		q.Statuses = []commerce.OrderStatus{commerce.OrderStatus(f.Status)}
	} else {
		f.Status = ""
	}
	if d, err := time.ParseInLocation("2006-01-02", f.From, c.zone); err == nil {
		q.From = d
	} else {
		f.From = ""
	}
	if d, err := time.ParseInLocation("2006-01-02", f.To, c.zone); err == nil {
		q.To = d.AddDate(0, 0, 1) // the whole day
	} else {
		f.To = ""
	}
	if len([]rune(f.Search)) > 100 {
		f.Search = string([]rune(f.Search)[:100])
	}
	q.Search = f.Search
	return f, q
}

// query is the filter as a query string (for links to more pages and the CSV).
func (f orderFilter) query() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"status": f.Status, "from": f.From, "to": f.To, "q": f.Search} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

type orderRow struct {
	commerce.Order
	Items int
	Point commerce.Text
}

type ordersData struct {
	Shelves  []shelf
	Filter   orderFilter
	Statuses []commerce.OrderStatus
	Rows     []orderRow
	Older    string // the next page's URL, "" when this is the last
	CSV      string
}

// points is every pickup point by id.
func (c *Console) points(r *http.Request) (map[int64]commerce.PickupPoint, error) {
	all, err := c.o.Shop.Store().AllPickupPoints(r.Context())
	if err != nil {
		return nil, err
	}
	out := make(map[int64]commerce.PickupPoint, len(all))
	for _, p := range all {
		out[p.ID] = p
	}
	return out, nil
}

// orders answers GET /admin/orders: the orders the filter selects, newest
// first, a page at a time.
func (c *Console) orders(w http.ResponseWriter, r *http.Request, q access) {
	f, query := c.parseFilter(r)
	query.BeforeID, _ = strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	query.Limit = ordersPerPage + 1
	orders, err := c.o.Orders.ConsoleOrders(r.Context(), query)
	if err != nil {
		c.internal(w, r, q, "orders", err)
		return
	}
	if shelved, ok, serr := c.shelfOrders(r); ok || serr != nil {
		orders, err = shelved, serr
	}
	shelves, serr := c.shelves(r, r.URL.Query().Get("shelf"))
	if err = errors.Join(err, serr); err != nil {
		c.internal(w, r, q, "desk", err)
		return
	}
	points, err := c.points(r)
	if err != nil {
		c.internal(w, r, q, "points", err)
		return
	}
	d := ordersData{Filter: f, Statuses: commerce.Statuses, Shelves: shelves}
	if len(orders) > ordersPerPage {
		orders = orders[:ordersPerPage]
		more := f.query()
		more.Set("before", strconv.FormatInt(orders[len(orders)-1].ID, 10))
		d.Older = "/admin/orders?" + more.Encode()
	}
	for _, o := range orders {
		row := orderRow{Order: o, Point: points[o.PickupPointID].Name}
		for _, l := range o.Lines {
			row.Items += l.Qty
		}
		d.Rows = append(d.Rows, row)
	}
	csvQuery := f.query() // in the page's language, whatever the download sends
	csvQuery.Set("lang", c.pageLang(r))
	d.CSV = "/admin/orders.csv?" + csvQuery.Encode()
	c.render(w, r, http.StatusOK, &view{Page: "orders", Identity: q.Identity, CSRF: q.CSRF, Data: d})
}

type orderData struct {
	Order    commerce.Order
	Point    commerce.PickupPoint
	Cancel   bool // may be cancelled
	Ship     bool
	Arrive   bool
	Reason   string // typed, when the cancellation was refused
	MaxChars int
	Desk     bool // notes to the buyer
	Notes    []commerce.OrderNote
	MaxNote  int
	Pay      *payView // nil without Options.Payments
}

// order answers GET /admin/orders/{number}: the order with its lines and
// the actions its state allows.
func (c *Console) order(w http.ResponseWriter, r *http.Request, q access) {
	c.showOrder(w, r, q, http.StatusOK, doneNotice(r.URL.Query().Get("done")), "")
}

func doneNotice(done string) *notice {
	switch done {
	case "shipped", "arrived", "cancelled", "noted", "refunded", "marked":
		return &notice{Level: "ok", Key: "console_order_done_" + done}
	}
	return nil
}

func (c *Console) showOrder(w http.ResponseWriter, r *http.Request, q access, status int, n *notice, reason string) {
	o, err := c.o.Shop.Store().OrderByNumber(r.Context(), commerce.NormalizeOrderNumber(r.PathValue("number")))
	if errors.Is(err, commerce.ErrNotFound) {
		c.message(w, r, http.StatusNotFound, q, "error", "console_not_found", nil)
		return
	}
	if err != nil {
		c.internal(w, r, q, "order", err)
		return
	}
	pt, err := c.o.Shop.Store().PickupPoint(r.Context(), o.PickupPointID)
	if err != nil && !errors.Is(err, commerce.ErrNotFound) {
		c.internal(w, r, q, "order's point", err)
		return
	}
	notes, err := c.orderNotes(r, o.Number)
	if err != nil {
		c.internal(w, r, q, "order notes", err)
		return
	}
	pay, err := c.payOf(r, o)
	if err != nil {
		c.internal(w, r, q, "order's payment", err)
		return
	}
	cancel := o.Status.SellerCancellable() || c.o.Payments != nil && o.Status == commerce.StatusAwaitingPayment
	if !cancel && c.o.Desk != nil {
		if cancel, err = c.o.Desk.Overdue(r.Context(), o); err != nil {
			c.internal(w, r, q, "order's hold", err)
			return
		}
	}
	d := orderData{Order: o, Point: pt, Cancel: cancel, Ship: o.Status.ReadyToShip(),
		Arrive: o.Status == commerce.StatusShipped, Reason: reason, MaxChars: commerce.MaxCancelReason,
		Desk: c.o.Desk != nil, Notes: notes, MaxNote: commerce.MaxNote, Pay: pay}
	c.render(w, r, status, &view{Page: "order", Identity: q.Identity, CSRF: q.CSRF, Notice: n, Data: d})
}

// cancelOrder answers POST /admin/orders/{number}/cancel (reason): the
// chat's cancellation with a reason the buyer is told. With payments an
// order awaiting payment is closed at the provider first and a paid one
// refunded (Payments.SellerCancel).
func (c *Console) cancelOrder(w http.ResponseWriter, r *http.Request, q access) {
	number := commerce.NormalizeOrderNumber(r.PathValue("number"))
	reason := r.PostForm.Get("reason")
	o, err := c.o.Shop.Store().OrderByNumber(r.Context(), number)
	switch {
	case err != nil:
	case o.Status == commerce.StatusReadyForPickup && c.o.Desk != nil:
		// Not collected within the hold period: stock back, payment refunded.
		_, _, err = c.o.Desk.CancelOverdue(r.Context(), number, reason, q.Identity)
	case c.o.Payments != nil:
		_, _, err = c.o.Payments.SellerCancel(r.Context(), c.o.Shop, number, reason, q.Identity)
	default:
		_, _, err = c.o.Shop.SellerCancel(r.Context(), number, reason, q.Identity)
	}
	if err != nil {
		c.payRefused(w, r, q, "cancel order", err, func(n *notice, status int) { c.showOrder(w, r, q, status, n, reason) })
		return
	}
	c.log.InfoContext(r.Context(), "console: order cancelled", "order", number, "session", q.ID)
	http.Redirect(w, r, "/admin/orders/"+url.PathEscape(number)+"?done=cancelled", http.StatusSeeOther)
}

// moveOrder answers the ship and arrive buttons: the pickup services the
// chat's /shipped and /arrived use, for this one order at its point.
func (c *Console) moveOrder(w http.ResponseWriter, r *http.Request, q access, done string,
	move func(ctx context.Context, s commerce.Shipment) (commerce.MoveReport, error)) {
	number := commerce.NormalizeOrderNumber(r.PathValue("number"))
	o, err := c.o.Shop.Store().OrderByNumber(r.Context(), number)
	if err == nil {
		var rep commerce.MoveReport
		rep, err = move(r.Context(), commerce.Shipment{PointID: o.PickupPointID, Numbers: []string{number}})
		if err == nil && len(rep.Moved) == 0 {
			st := o.Status
			if len(rep.Skipped) > 0 && rep.Skipped[0].Status != "" {
				st = rep.Skipped[0].Status
			}
			l, _ := c.lang(r)
			c.showOrder(w, r, q, http.StatusConflict, &notice{Level: "error", Key: "console_order_not_moved",
				Data: map[string]any{"Status": c.texts.Text(l, "status_"+string(st), nil)}}, "")
			return
		}
	}
	if err != nil {
		c.refused(w, r, q, "mark "+done, err, func(n *notice, status int) { c.showOrder(w, r, q, status, n, "") })
		return
	}
	c.log.InfoContext(r.Context(), "console: order "+done, "order", number, "session", q.ID)
	http.Redirect(w, r, "/admin/orders/"+url.PathEscape(number)+"?done="+done, http.StatusSeeOther)
}
