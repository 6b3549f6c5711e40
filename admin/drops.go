package admin

import (
	"net/http"

	"shopbot/commerce"
)

// maxDrops is how many of the newest drops the drops page shows.
const maxDrops = 50

type dropRow struct {
	Stats   commerce.DropStats
	Product commerce.Text
	State   string // cancelled, upcoming, live
	Left    int
}

type dropsData struct {
	Drops []dropRow
	Chart sellThrough
}

// drops answers GET /admin/drops: each drop's figures and a sell-through
// chart (sold, reserved and left of its units).
func (c *Console) drops(w http.ResponseWriter, r *http.Request, q access) {
	if c.o.Drops == nil {
		c.message(w, r, http.StatusNotFound, q, "error", "console_not_found", nil)
		return
	}
	list, err := c.o.Drops.List(r.Context(), maxDrops)
	if err != nil {
		c.internal(w, r, q, "drops", err)
		return
	}
	var d dropsData
	var rows []throughRow
	now := c.now()
	for _, dr := range list {
		st, err := c.o.Drops.Stats(r.Context(), dr.ID)
		if err != nil {
			c.internal(w, r, q, "drop figures", err)
			return
		}
		row := dropRow{Stats: st, State: "live", Left: max(dr.Units-st.Sold-st.Reserved, 0)}
		switch {
		case !dr.CancelledAt.IsZero():
			row.State = "cancelled"
		case now.Before(dr.StartsAt):
			row.State = "upcoming"
		}
		if p, err := c.o.Seller.Store().Product(r.Context(), dr.ProductID); err == nil {
			row.Product = p.Title
		}
		d.Drops = append(d.Drops, row)
		rows = append(rows, throughRow{Label: dr.Code, Sold: st.Sold, Reserved: st.Reserved, Left: row.Left})
	}
	d.Chart = newSellThrough(rows)
	c.render(w, r, http.StatusOK, &view{Page: "drops", Identity: q.Identity, CSRF: q.CSRF, Data: d})
}
