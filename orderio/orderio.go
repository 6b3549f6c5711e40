// Package orderio writes the shop's orders to files: a CSV of orders and
// their lines for `shopbot orders export` and the console's
// /admin/orders.csv. It imports only commerce.
//
// The CSV is UTF-8 with a byte-order mark, so that Excel shows Chinese and
// Cyrillic correctly; one row per order line, the order's columns repeated
// on each; dates in the shop's zone ("2006-01-02 15:04"); money as a plain
// decimal with its currency in a column of its own.
package orderio

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"shopbot/commerce"
)

// Header is the CSV's first row.
var Header = []string{"order", "created", "status", "channel", "name", "phone", "point", "point_name",
	"total", "currency", "paid", "paid_at", "payment", "paid_amount", "cancel_reason",
	"line", "sku", "title", "qty", "unit_price", "line_total",
	"refunded", "refund_pending"}

// Options says how to write orders.
type Options struct {
	// Points names the orders' pickup points (by id); a missing point is
	// written by its id.
	Points map[int64]commerce.PickupPoint
	// Zone is the shop's time zone for dates (default UTC).
	Zone *time.Location
	// Lang is the language of product titles and point names (falling
	// back as commerce.Text.In does).
	Lang string
	// Refunds are the orders' refunds by order id (commerce.Payments.Refunds):
	// "refunded" is what went back to the buyer, "refund_pending" what is
	// being refunded (sent, or the seller's manual refund not marked done).
	// A refund that failed counts in neither. Nil: no refunds.
	Refunds map[int64][]commerce.Refund
}

// bom is the UTF-8 byte-order mark.
const bom = "\uFEFF"

// WriteCSV writes orders (with their lines) as CSV to w, the byte-order
// mark first. An order without lines still gets one row.
func WriteCSV(w io.Writer, orders []commerce.Order, o Options) error {
	if o.Zone == nil {
		o.Zone = time.UTC
	}
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	for _, ord := range orders {
		head := orderColumns(ord, o)
		tail := refundColumns(ord, o.Refunds[ord.ID])
		if len(ord.Lines) == 0 {
			if err := cw.Write(append(append(head, "", "", "", "", "", ""), tail...)); err != nil {
				return err
			}
			continue
		}
		for i, l := range ord.Lines {
			row := append(append([]string(nil), head...), strconv.Itoa(i+1), l.SKU, cell(l.Title.In(o.Lang)), strconv.Itoa(l.Qty),
				l.UnitPrice.Decimal(), l.UnitPrice.Mul(l.Qty).Decimal())
			if err := cw.Write(append(row, tail...)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func orderColumns(ord commerce.Order, o Options) []string {
	point, pointName := strconv.FormatInt(ord.PickupPointID, 10), ""
	if pt, ok := o.Points[ord.PickupPointID]; ok {
		point, pointName = pt.Code, pt.Name.In(o.Lang)
	}
	paid, paidAt, method, amount := "unpaid", "", "", ""
	if ord.Paid.IsPaid() {
		paid, paidAt, method, amount = "paid", date(ord.Paid.At, o.Zone), string(ord.Paid.Method), ord.Paid.Amount.Decimal()
	}
	return []string{ord.Number, date(ord.CreatedAt, o.Zone), string(ord.Status), ord.Buyer.Channel, cell(ord.ContactName),
		cell(ord.Phone), point, cell(pointName), ord.Total.Decimal(), ord.Total.Currency, paid, paidAt, method, amount,
		cell(ord.CancelReason)}
}

// CollectRefunds gathers the refunds of the paid orders among orders for
// Options.Refunds, asking list (commerce.Payments.Refunds) for each; an
// order never paid has none.
func CollectRefunds(ctx context.Context, orders []commerce.Order, list func(ctx context.Context, orderID int64) ([]commerce.Refund, error)) (map[int64][]commerce.Refund, error) {
	refunds := map[int64][]commerce.Refund{}
	for _, o := range orders {
		if !o.Paid.IsPaid() {
			continue
		}
		rs, err := list(ctx, o.ID)
		if err != nil {
			return nil, fmt.Errorf("refunds of order %s: %w", o.Number, err)
		}
		if len(rs) > 0 {
			refunds[o.ID] = rs
		}
	}
	return refunds, nil
}

// refundColumns are the amounts refunded and being refunded of an order
// (empty without refunds).
func refundColumns(ord commerce.Order, refunds []commerce.Refund) []string {
	if len(refunds) == 0 {
		return []string{"", ""}
	}
	done, open := commerce.Money{Currency: ord.Total.Currency}, commerce.Money{Currency: ord.Total.Currency}
	for _, r := range refunds {
		switch {
		case r.State == commerce.RefundSucceeded:
			done.Amount += r.Amount.Amount
		case r.State != commerce.RefundFailed:
			open.Amount += r.Amount.Amount
		}
	}
	return []string{done.Decimal(), open.Decimal()}
}

func date(t time.Time, zone *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(zone).Format("2006-01-02 15:04")
}

// cell keeps a text a spreadsheet would take for a formula (=, +, -, @ at
// the start: names and reasons come from buyers and sellers) a text; a
// phone number in E.164 ("+8613900139000") is left as it is.
func cell(s string) string {
	if s == "" || !strings.ContainsRune("=+-@", rune(s[0])) {
		return s
	}
	if s[0] == '+' && len(s) > 1 && strings.Trim(s[1:], "0123456789") == "" {
		return s
	}
	return "'" + s
}

// Filename is a default name for an export made at now: orders-20261125.csv.
func Filename(now time.Time) string { return fmt.Sprintf("orders-%s.csv", now.Format("20060102")) }
