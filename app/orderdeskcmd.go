package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/urfave/cli/v3"

	"shopbot/commerce"
	"shopbot/internal/cmdline"
	"shopbot/orderio"
)

// The seller's desk on the command line: shopbot orders
// list|show|export|refund|refunded.

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
		{Name: "refund", Usage: "refund an order's payment: some units, an amount, or (neither given) everything left; " +
			"WeChat Pay is refunded at the provider, other payments are refunds you make by hand and then mark with refunded",
			ArgsUsage: "NUMBER",
			Flags: []cli.Flag{
				&cli.StringSliceFlag{Name: "line", Usage: "refund `N:QTY`: QTY units of the order's line N (1 is the first; repeat for more lines)"},
				&cli.StringFlag{Name: "amount", Usage: "refund the amount `A` in the order's currency (12.50) instead of units"},
				&cli.StringFlag{Name: "reason", Usage: "why, in `TEXT` the buyer sees (up to 80 characters)", Required: true},
				&cli.StringFlag{Name: "key", Usage: "idempotency `KEY`: the same key is the same refund (default: made of the order and what is refunded, so running the command twice refunds once)"},
			},
			Action: e.ordersRefund},
		{Name: "refunded", Usage: "mark a refund you made by hand (a Telegram payment at its provider, cash at the counter) as made",
			ArgsUsage: "OUT_REFUND_NO", Action: e.ordersRefunded},
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
		zone := a.shopZone(ctx)
		writeOrder(e.stdout, d, zone)
		pay := a.sellerPayments()
		if pay == nil {
			return nil
		}
		attempts, err := pay.Attempts(ctx, d.Order.ID)
		if err != nil {
			return err
		}
		refunds, err := pay.Refunds(ctx, d.Order.ID)
		if err != nil {
			return err
		}
		writePayment(e.stdout, attempts, refunds, zone)
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
	} else if o.Status == commerce.StatusAwaitingPayment {
		fmt.Fprintf(w, "awaiting payment until %s\n", at(o.ExpiresAt))
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
		if pay := a.sellerPayments(); pay != nil {
			if opts.Refunds, err = orderio.CollectRefunds(ctx, orders, pay.Refunds); err != nil {
				return err
			}
		}
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

// sellerPayments is the payment side of the seller's commands: the app's
// Payments (with WeChat Pay when configured: a refund is sent at once),
// or, before one is built, one over the store alone (a WeChat Pay refund
// it records is sent by the server's reconciliation).
func (a *App) sellerPayments() *commerce.Payments {
	if a.payments != nil {
		return a.payments
	}
	return commerce.NewPayments(commerce.PaymentsOptions{Store: a.Store, Flow: a.Store, Clock: a.cfg.clock})
}

// refundArgs reads the refund's --line, --amount and --reason (exit 2 when
// wrong); the amount's digits are checked against the order's currency later.
func refundArgs(cmd *cli.Command) (commerce.RefundInput, string, error) {
	in := commerce.RefundInput{Reason: strings.TrimSpace(cmd.String("reason"))}
	if in.Reason == "" || utf8.RuneCountInString(in.Reason) > 80 {
		return in, "", cmdline.Usagef("--reason: 1 to 80 characters")
	}
	seen := map[int]bool{}
	for _, l := range cmd.StringSlice("line") {
		no, qty, ok := strings.Cut(l, ":")
		n, err1 := strconv.Atoi(strings.TrimSpace(no))
		q, err2 := strconv.Atoi(strings.TrimSpace(qty))
		if !ok || err1 != nil || err2 != nil || n < 1 || q < 1 || seen[n] {
			return in, "", cmdline.Usagef("--line %q: N:QTY, a line number and a quantity from 1, each line once", l)
		}
		seen[n] = true
		in.Lines = append(in.Lines, commerce.RefundLine{LineNo: n, Qty: q})
	}
	amount := strings.TrimSpace(cmd.String("amount"))
	if amount != "" && len(in.Lines) > 0 {
		return in, "", cmdline.Usagef("--amount and --line: one or the other")
	}
	if amount != "" {
		if m, err := commerce.ParseMoney(amount, "BHD"); err != nil || m.Amount == 0 { // any currency's digits
			return in, "", cmdline.Usagef("--amount %q: a positive decimal like 12.50", amount)
		}
	}
	return in, amount, nil
}

// refundKey is the refund's default idempotency key: the order and what
// is refunded, so a command run twice refunds once.
func refundKey(number string, in commerce.RefundInput, amount string) string {
	key := "cli:" + number
	switch {
	case amount != "":
		key += ":amount:" + in.Amount.Decimal()
	case len(in.Lines) > 0:
		for _, l := range in.Lines {
			key += fmt.Sprintf(":%d*%d", l.LineNo, l.Qty)
		}
	default:
		key += ":all"
	}
	return key
}

// ordersRefund exits 0 when it recorded the refund (or found it recorded
// by the same key), 3 when nothing is left to refund, 1 for an unknown or
// unpaid order or a line it does not have, 2 for bad flags.
func (e *cliEnv) ordersRefund(ctx context.Context, cmd *cli.Command) error {
	number, err := oneArg(cmd, "the order's NUMBER")
	if err != nil {
		return err
	}
	number = commerce.NormalizeOrderNumber(number)
	in, amount, err := refundArgs(cmd)
	if err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		o, err := a.Store.OrderByNumber(ctx, number)
		if errors.Is(err, commerce.ErrNotFound) {
			return fmt.Errorf("no order %s", number)
		}
		if err != nil {
			return err
		}
		if amount != "" {
			if in.Amount, err = commerce.ParseMoney(amount, o.Total.Currency); err != nil {
				return cmdline.Usagef("--amount %q: a decimal in %s", amount, o.Total.Currency)
			}
		}
		in.Number, in.By, in.Key = o.Number, "cli", cmd.String("key")
		if in.Key == "" {
			in.Key = refundKey(o.Number, in, amount)
		}
		// Run again, the same key finds the first run's refund.
		r, created, err := a.sellerPayments().Refund(ctx, in)
		switch {
		case errors.Is(err, commerce.ErrRefundTooMuch):
			return cmdline.NotDonef("order %s: that is more than is left to refund", o.Number)
		case errors.Is(err, commerce.ErrInvalid):
			return fmt.Errorf("order %s: nothing to refund that way (unpaid, or no such line or quantity): %w", o.Number, err)
		case err != nil:
			return err
		}
		again := ""
		if !created {
			again = " (recorded before)"
		}
		fmt.Fprintf(e.stdout, "refund %s of %s for order %s: %s%s\n", r.OutRefundNo, r.Amount, o.Number, r.State, again)
		if r.State == commerce.RefundManual {
			fmt.Fprintf(e.stdout, "return the money by hand (%s), then run: shopbot orders refunded %s\n", r.Method, r.OutRefundNo)
		}
		return nil
	})
}

// ordersRefunded exits 0 when it marked the refund made, 3 when it was not
// a refund to make by hand (or was marked before), 1 for an unknown one.
func (e *cliEnv) ordersRefunded(ctx context.Context, cmd *cli.Command) error {
	no, err := oneArg(cmd, "the refund's OUT_REFUND_NO")
	if err != nil {
		return err
	}
	no = strings.ToUpper(strings.TrimSpace(no))
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		pay := a.sellerPayments()
		if pay == nil {
			return errors.New("this store keeps no payments")
		}
		r, changed, err := pay.MarkRefunded(ctx, no)
		switch {
		case errors.Is(err, commerce.ErrNotFound):
			return fmt.Errorf("no refund %s", no)
		case err != nil:
			return err
		case !changed:
			return cmdline.NotDonef("refund %s is %s: nothing to mark", r.OutRefundNo, r.State)
		}
		fmt.Fprintf(e.stdout, "refund %s of %s marked as made\n", r.OutRefundNo, r.Amount)
		return nil
	})
}

// writePayment prints an order's payment attempts and refunds for
// `shopbot orders show`.
func writePayment(w io.Writer, attempts []commerce.PayAttempt, refunds []commerce.Refund, zone *time.Location) {
	at := func(t time.Time) string { return t.In(zone).Format("2006-01-02 15:04") }
	for _, a := range attempts {
		line := fmt.Sprintf("payment %s %s %s %s %s", a.OutTradeNo, a.Method, a.TradeType, a.State, a.Amount)
		if a.TransactionID != "" {
			line += " transaction …" + a.TransactionTail()
		}
		fmt.Fprintln(w, line)
	}
	for _, r := range refunds {
		fmt.Fprintf(w, "refund %s %s %s %s at %s by %s: %s\n", r.OutRefundNo, r.Amount, r.Method, r.State, at(r.CreatedAt), r.By, r.Reason)
	}
}
