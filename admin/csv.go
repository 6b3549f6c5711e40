package admin

import (
	"fmt"
	"net/http"
	"slices"

	"shopbot/commerce"
	"shopbot/orderio"
)

// ordersCSV answers GET /admin/orders.csv (the orders page's filter): the
// orders and their lines, oldest first, as `shopbot orders export` writes
// them (orderio: UTF-8 with a byte order mark so that spreadsheet programs
// read Chinese and Russian right, one row per line, times in the shop's
// zone), titles in the page's language.
func (c *Console) ordersCSV(w http.ResponseWriter, r *http.Request, q access) {
	_, query := c.parseFilter(r)
	points, err := c.points(r)
	if err != nil {
		c.internal(w, r, q, "points", err)
		return
	}
	// Read every page before writing, so a failure is still a page.
	var all []commerce.Order
	for {
		page, err := c.o.Orders.ConsoleOrders(r.Context(), query)
		if err != nil {
			c.internal(w, r, q, "orders export", err)
			return
		}
		all = append(all, page...)
		if len(page) < commerce.MaxConsoleOrders {
			break
		}
		query.BeforeID = page[len(page)-1].ID
	}
	slices.Reverse(all)
	opts := orderio.Options{Points: points, Zone: c.zone, Lang: c.pageLang(r)}
	if c.o.Payments != nil {
		if opts.Refunds, err = orderio.CollectRefunds(r.Context(), all, c.o.Payments.Refunds); err != nil {
			c.internal(w, r, q, "orders export refunds", err)
			return
		}
	}
	h := w.Header()
	securityHeaders(h)
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="orders-%s.csv"`, c.now().In(c.zone).Format("20060102-1504")))
	if err := orderio.WriteCSV(w, all, opts); err != nil {
		c.log.WarnContext(r.Context(), "console: orders export cut short", "err", err)
	}
}

// decimal is an amount in major units with a dot ("129.00"), whatever the
// page's language (a form shows it so).
func decimal(m commerce.Money) string {
	digits := commerce.MinorDigits(m.Currency)
	sign, n := "", m.Amount
	if n < 0 {
		sign, n = "-", -n
	}
	if digits == 0 {
		return sign + fmt.Sprint(n)
	}
	unit := int64(1)
	for range digits {
		unit *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, n/unit, digits, n%unit)
}
