package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v3"

	"shopbot/commerce"
	"shopbot/internal/cmdline"
	"shopbot/orderio"
)

// The seller's desk on the command line: shopbot orders list|show|export.

// ordersDeskCommands are the subcommands of "shopbot orders" besides cancel.
func (e *cliEnv) ordersDeskCommands() []*cli.Command {
	since := &cli.StringFlag{Name: "since", Usage: "only orders placed since `D`: a date (2026-11-25, in the shop's zone) or a duration back from now (36h, 7d)"}
	return []*cli.Command{
		{Name: "list", Usage: "list orders, newest first: the open ones, or those of a status or shelf",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "status", Usage: "a status (" + statusNames() + ") or a shelf of the desk (" + shelfNames() + ") as `S`"},
				since,
				&cli.StringFlag{Name: "search", Usage: "an order number or the phone's last digits as `Q`"},
				&cli.IntFlag{Name: "limit", Value: 50, Usage: "at most `N` orders (1–1000)"},
			},
			Action: e.ordersList},
		{Name: "show", Usage: "one order: its lines, the buyer's contact, payment and notes", ArgsUsage: "NUMBER", Action: e.ordersShow},
		{Name: "export", Usage: "orders and their lines as CSV (UTF-8 with a BOM for Excel; dates in the shop's zone)",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "format", Value: "csv", Usage: "`F`: csv"},
				since,
				&cli.StringFlag{Name: "status", Usage: "only orders of the status `S`"},
				&cli.StringFlag{Name: "out", Usage: "write to `FILE` instead of standard output"},
			},
			Action: e.ordersExport},
	}
}

func statusNames() string {
	var out []string
	for _, s := range commerce.Statuses {
		out = append(out, string(s))
	}
	return strings.Join(out, ", ")
}

func shelfNames() string {
	var out []string
	for _, s := range commerce.DeskStates {
		out = append(out, string(s))
	}
	return strings.Join(out, ", ")
}

// parseStatus reads --status: a status or a shelf name.
func parseStatus(s string) ([]commerce.OrderStatus, commerce.DeskState, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return nil, "", nil
	}
	for _, st := range commerce.Statuses {
		if string(st) == s {
			return []commerce.OrderStatus{st}, "", nil
		}
	}
	if shelf, err := commerce.ParseDeskState(s); err == nil {
		return nil, shelf, nil
	}
	return nil, "", cmdline.Usagef("--status %q: one of %s, or a shelf: %s", s, statusNames(), shelfNames())
}

// parseSince reads --since: a date in zone, or a duration back from now
// ("36h", "7d"). Zero for "".
func parseSince(s string, now time.Time, zone *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, zone); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		s = days + "h"
		if d, err := time.ParseDuration(s); err == nil && d > 0 {
			return now.Add(-24 * d), nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, cmdline.Usagef("--since %q: a date like 2026-11-25 or a duration like 36h or 7d", s)
}

// shopZone is the shop's time zone: its profile's, else the configured one.
func (a *App) shopZone(ctx context.Context) *time.Location {
	if a.setup != nil {
		if p, _, err := a.setup.Profile(ctx); err == nil && p.TimeZone != "" {
			if loc, err := time.LoadLocation(p.TimeZone); err == nil {
				return loc
			}
		}
	}
	return a.cfg.zone()
}

// shopLang is the shop's default language (texts of files and reports).
func (a *App) shopLang(ctx context.Context) string {
	if a.setup != nil {
		if p, _, err := a.setup.Profile(ctx); err == nil && p.DefaultLang != "" {
			return p.DefaultLang
		}
	}
	return "zh-CN"
}

func (e *cliEnv) ordersList(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	statuses, shelf, err := parseStatus(cmd.String("status"))
	if err != nil {
		return err
	}
	limit := int(cmd.Int("limit"))
	if limit < 1 || limit > 1000 {
		return cmdline.Usagef("--limit: 1 to 1000")
	}
	if q := cmd.String("search"); q != "" {
		if _, _, err := commerce.ParseOrderSearch(q); err != nil {
			return cmdline.Usagef("--search %q: an order number (6 letters and digits) or 4 to 11 phone digits", q)
		}
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		zone := a.shopZone(ctx)
		since, err := parseSince(cmd.String("since"), a.desk.Now(), zone)
		if err != nil {
			return err
		}
		p, err := a.desk.List(ctx, commerce.ListOptions{State: shelf, Statuses: statuses, Since: since, Search: cmd.String("search"), PerPage: limit})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NUMBER\tPLACED\tSTATUS\tPAID\tTOTAL\tNAME\tPHONE")
		for _, o := range p.Orders {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.Number, o.CreatedAt.In(zone).Format("2006-01-02 15:04"), o.Status,
				paidWord(o), o.Total, o.ContactName, o.Phone)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%d of %d orders\n", len(p.Orders), p.Total)
		return nil
	})
}

func paidWord(o commerce.Order) string {
	if o.Paid.IsPaid() {
		return "paid " + string(o.Paid.Method)
	}
	return "unpaid"
}

func (e *cliEnv) ordersShow(ctx context.Context, cmd *cli.Command) error {
	number, err := oneArg(cmd, "the order's NUMBER")
	if err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		d, err := a.desk.OrderByNumber(ctx, number)
		if errors.Is(err, commerce.ErrNotFound) {
			return fmt.Errorf("no order %s", strings.ToUpper(strings.TrimSpace(number)))
		}
		if err != nil {
			return err
		}
		writeOrder(e.stdout, d, a.shopZone(ctx))
		return nil
	})
}

// writeOrder prints one order for `shopbot orders show`.
func writeOrder(w io.Writer, d commerce.OrderDetail, zone *time.Location) {
	o := d.Order
	at := func(t time.Time) string { return t.In(zone).Format("2006-01-02 15:04") }
	fmt.Fprintf(w, "order %s  %s\nplaced %s via %s\n", o.Number, o.Status, at(o.CreatedAt), o.Buyer.Channel)
	fmt.Fprintf(w, "buyer %s, %s\npoint %s (%s)\n", o.ContactName, o.Phone, d.Point.Code, d.Point.Name.In("en"))
	for _, l := range o.Lines {
		fmt.Fprintf(w, "  %-14s %-40s %3d × %s = %s\n", l.SKU, l.Title.In("en"), l.Qty, l.UnitPrice, l.UnitPrice.Mul(l.Qty))
	}
	fmt.Fprintf(w, "total %s\n", o.Total)
	if o.Paid.IsPaid() {
		fmt.Fprintf(w, "paid %s by %s at %s (recorded by %s)\n", o.Paid.Amount, o.Paid.Method, at(o.Paid.At), o.Paid.By)
	} else {
		fmt.Fprintln(w, "unpaid (pay at pickup)")
	}
	if o.CancelReason != "" {
		fmt.Fprintf(w, "cancelled by %s: %s\n", o.CancelledBy, o.CancelReason)
	}
	for _, n := range d.Notes {
		fmt.Fprintf(w, "note %s by %s: %s\n", at(n.At), n.By, n.Body)
	}
}

func (e *cliEnv) ordersExport(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	if f := cmd.String("format"); f != "csv" {
		return cmdline.Usagef("--format %q: only csv", f)
	}
	statuses, shelf, err := parseStatus(cmd.String("status"))
	if err != nil {
		return err
	}
	if shelf != "" {
		return cmdline.Usagef("--status %q: export takes a status (%s)", shelf, statusNames())
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		zone := a.shopZone(ctx)
		since, err := parseSince(cmd.String("since"), a.desk.Now(), zone)
		if err != nil {
			return err
		}
		orders, points, err := a.desk.Export(ctx, commerce.ExportOptions{Since: since, Statuses: statuses})
		if err != nil {
			return err
		}
		opts := orderio.Options{Points: points, Zone: zone, Lang: a.shopLang(ctx)}
		path := cmd.String("out")
		if path == "" {
			return orderio.WriteCSV(e.stdout, orders, opts)
		}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := orderio.WriteCSV(f, orders, opts); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "%d orders written to %s\n", len(orders), path)
		return nil
	})
}
