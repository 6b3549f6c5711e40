package admin

import (
	"net/http"
	"time"

	"shopbot/commerce"
)

// chartDays is how many days today's orders chart shows.
const chartDays = 14

type todayData struct {
	Figures  commerce.DayFigures
	Date     string
	LowStock []commerce.Product
	Chart    columns
}

// dayStart is the start of t's day in the shop's zone.
func (c *Console) dayStart(t time.Time) time.Time {
	t = t.In(c.zone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.zone)
}

// today answers GET /admin: the day's figures, low stock, and the orders
// of the last two weeks.
func (c *Console) today(w http.ResponseWriter, r *http.Request, q access) {
	ctx := r.Context()
	from := c.dayStart(c.now())
	to := from.AddDate(0, 0, 1)
	f, err := c.o.Orders.DayFigures(ctx, from, to)
	if err != nil {
		c.internal(w, r, q, "day figures", err)
		return
	}
	d := todayData{Figures: f, Date: from.Format("2006-01-02")}
	products, err := c.o.Seller.Store().Products(ctx, commerce.ProductFilter{Limit: 10000})
	if err != nil {
		c.internal(w, r, q, "products", err)
		return
	}
	for _, p := range products {
		if p.Stock <= LowStock {
			d.LowStock = append(d.LowStock, p)
		}
	}
	start := from.AddDate(0, 0, 1-chartDays)
	orders, err := c.o.Orders.ConsoleOrders(ctx, commerce.ConsoleOrderQuery{From: start, To: to})
	if err != nil {
		c.internal(w, r, q, "orders of the fortnight", err)
		return
	}
	counts := make([]int, chartDays)
	labels := make([]string, chartDays)
	for i := range chartDays {
		labels[i] = start.AddDate(0, 0, i).Format("02")
	}
	for _, o := range orders {
		if i := int(c.dayStart(o.CreatedAt).Sub(start).Round(24*time.Hour) / (24 * time.Hour)); i >= 0 && i < chartDays {
			counts[i]++
		}
	}
	d.Chart = newColumns(labels, counts)
	c.render(w, r, http.StatusOK, &view{Page: "today", Identity: q.Identity, CSRF: q.CSRF, Data: d})
}
