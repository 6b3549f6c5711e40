package admin

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"

	"shopbot/commerce"
)

// csvColumns are the export's columns: text keys of their headers.
var csvColumns = []string{"console_col_number", "console_col_placed", "console_col_status", "console_col_buyer",
	"console_col_phone", "console_col_point", "console_col_channel", "console_col_sku", "console_col_title",
	"console_col_qty", "console_col_unit", "console_col_line_total", "console_col_total", "console_col_currency",
	"console_col_reason", "console_col_paid"}

// ordersCSV answers GET /admin/orders.csv (the orders page's filter): one
// row per order line, UTF-8 with a byte order mark so that spreadsheet
// programs read Chinese and Russian right, times in the shop's zone,
// amounts in major units with a dot.
func (c *Console) ordersCSV(w http.ResponseWriter, r *http.Request, q access) {
	l, _ := lang(r)
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
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="orders-%s.csv"`, c.now().In(c.zone).Format("20060102-1504")))
	securityHeaders(h)
	_, _ = w.Write([]byte("\uFEFF"))
	cw := csv.NewWriter(w)
	header := make([]string, len(csvColumns))
	for i, k := range csvColumns {
		header[i] = c.texts.Text(l, k, nil)
	}
	_ = cw.Write(header)
	for _, o := range all {
		for _, line := range o.Lines {
			_ = cw.Write([]string{o.Number, c.when(o.CreatedAt), string(o.Status), spreadsheetSafe(o.ContactName), o.Phone,
				points[o.PickupPointID].Code, o.Buyer.Channel, spreadsheetSafe(line.SKU), spreadsheetSafe(line.Title.In(l)),
				strconv.Itoa(line.Qty), decimal(line.UnitPrice), decimal(commerce.Money{Amount: line.UnitPrice.Amount * int64(line.Qty),
					Currency: line.UnitPrice.Currency}), decimal(o.Total), o.Total.Currency, spreadsheetSafe(o.CancelReason), paid(o.Paid)})
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		c.log.WarnContext(r.Context(), "console: orders export cut short", "err", err)
	}
}

// decimal is an amount in major units with a dot ("129.00"), whatever the
// page's language: a spreadsheet reads it as a number.
func decimal(m commerce.Money) string {
	digits := commerce.MinorDigits(m.Currency)
	sign, n := "", m.Amount
	if n < 0 {
		sign, n = "-", -n
	}
	if digits == 0 {
		return sign + strconv.FormatInt(n, 10)
	}
	unit := int64(1)
	for range digits {
		unit *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, n/unit, digits, n%unit)
}

// spreadsheetSafe keeps a buyer's text from running as a formula when the
// file is opened (=, +, -, @ at the start).
func spreadsheetSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

// paid is a payment as the export shows it: "cash 159.00", "" unpaid.
func paid(p commerce.Payment) string {
	if !p.IsPaid() {
		return ""
	}
	return string(p.Method) + " " + decimal(p.Amount)
}
