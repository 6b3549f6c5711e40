package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"shopbot/commerce"
)

const dropUsage = `usage:
  shopbot drop create --product ID|SKU --units N --starts "2026-11-27 20:00" [--price 129.00]
                      [--tz Asia/Shanghai] [--limit 1] [--reserve 15m] [--key K]
  shopbot drop edit CODE [--starts …] [--price …] [--units N] [--limit N] [--reserve 15m]
  shopbot drop cancel CODE
  shopbot drop list
  shopbot drop show CODE
  shopbot drop post CODE --chat CHAT_ID [--lang zh-CN|en|ru]
--starts takes "YYYY-MM-DD HH:MM", "HH:MM" (the next one), "now" or "+2h" in --tz
(default SHOPBOT_TIMEZONE); --price defaults to the product's price. --key makes create
idempotent: the same key prints the drop made before. edit changes a drop before its
start (after it, only --units, and only up); cancel stops its sales at once.`

// dropsCommand runs "shopbot drop …" and returns the exit code: 2 for
// usage errors, 1 when the drop cannot be made or found.
func dropsCommand(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout, stderr io.Writer) int {
	usage := func(format string, a ...any) int {
		if format != "" {
			fmt.Fprintf(stderr, "shopbot drop: "+format+"\n", a...)
		}
		fmt.Fprintln(stderr, dropUsage)
		return 2
	}
	if len(args) == 0 {
		return usage("")
	}
	rest := args[1:]
	if (args[0] == "edit" || args[0] == "cancel") && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		// The code first, then the flags (flag stops at the first argument).
		rest = append(rest[1:len(rest):len(rest)], rest[0])
	}
	fs := flag.NewFlagSet("drop "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	product := fs.String("product", "", "product ID or SKU")
	units := fs.Int("units", 0, "units for sale")
	price := fs.String("price", "", "drop price, e.g. 129.00")
	starts := fs.String("starts", "", "start time")
	tz := fs.String("tz", "", "IANA time zone of --starts")
	limit := fs.Int("limit", 1, "units per buyer")
	reserve := fs.Duration("reserve", 15*time.Minute, "how long a reservation holds units")
	key := fs.String("key", "", "idempotency key of create")
	if err := fs.Parse(rest); err != nil {
		return usage("%v", err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var run func(a *App) error
	switch args[0] {
	case "create":
		if *product == "" || *units <= 0 || *starts == "" || fs.NArg() != 0 {
			return usage("create needs --product, --units and --starts")
		}
		loc := cfg.zone()
		if *tz != "" {
			var err error
			if loc, err = time.LoadLocation(*tz); err != nil {
				return usage("--tz %q is not an IANA time zone", *tz)
			}
		}
		if *reserve < time.Minute || *reserve > 7*24*time.Hour {
			return usage("--reserve %s: want 1m to 168h", *reserve)
		}
		if len(*key) > commerce.MaxDropKeyLen {
			return usage("--key: at most %d bytes", commerce.MaxDropKeyLen)
		}
		run = func(a *App) error {
			p, err := commerce.FindProduct(ctx, a.Store, *product)
			if err != nil {
				return fmt.Errorf("product %q: %w", *product, err)
			}
			at, err := commerce.ParseDropStart(*starts, a.drops.Now(), loc)
			if err != nil {
				return fmt.Errorf("--starts %q: want YYYY-MM-DD HH:MM, HH:MM, now or +2h, from now to a year ahead: %w", *starts, err)
			}
			money := p.Price
			if *price != "" {
				if money, err = commerce.ParseMoney(*price, p.Price.Currency); err != nil || money.Amount <= 0 {
					return fmt.Errorf("--price %q: want a positive amount in %s: %w", *price, p.Price.Currency, commerce.ErrInvalid)
				}
			}
			zone := ""
			if loc != nil && loc.String() != "Local" {
				zone = loc.String()
			}
			d, created, err := a.drops.CreateKeyed(ctx, commerce.Drop{ProductID: p.ID, Units: *units, Price: money, StartsAt: at,
				TimeZone: zone, PerBuyerLimit: *limit, ReservationTTL: *reserve}, *key)
			if err != nil {
				return err
			}
			if !created {
				fmt.Fprintf(stdout, "key %q: drop made before\n", *key)
			}
			links := dropPages{a}.links(d.Code)
			fmt.Fprintf(stdout, "drop %s: %d × %s (%s) at %s, starts %s, limit %d, reservation %s\n", d.Code, d.Units, p.SKU,
				p.Title.In("en"), d.Price, d.StartsAt.In(dropPages{a}.zone(d)).Format("2006-01-02 15:04 MST"), d.PerBuyerLimit, d.ReservationTTL)
			fmt.Fprintf(stdout, "page:   %s\nposter: %s\n", links.Page, links.Poster)
			if links.Bot != "" {
				fmt.Fprintf(stdout, "bot:    %s\n", links.Bot)
			}
			return nil
		}
	case "list":
		if fs.NArg() != 0 {
			return usage("list takes no arguments")
		}
		run = func(a *App) error {
			list, err := a.drops.List(ctx, 100)
			if err != nil {
				return err
			}
			if len(list) == 0 {
				fmt.Fprintln(stdout, "no drops")
			}
			for _, d := range list {
				title := ""
				if p, err := a.Store.Product(ctx, d.ProductID); err == nil {
					title = p.Title.In("en")
				}
				fmt.Fprintf(stdout, "%s  %s  %4d/%-4d left  %-14s  %s\n", d.Code,
					d.StartsAt.In(dropPages{a}.zone(d)).Format("2006-01-02 15:04 MST"), d.Left, d.Units, d.Price, title)
			}
			return nil
		}
	case "show":
		if fs.NArg() != 1 {
			return usage("show needs the drop's CODE")
		}
		code := strings.TrimSpace(fs.Arg(0))
		run = func(a *App) error {
			d, err := a.drops.ByCode(ctx, code)
			if err != nil {
				return err
			}
			st, err := a.drops.Stats(ctx, d.ID)
			if err != nil {
				return err
			}
			p, err := a.Store.Product(ctx, d.ProductID)
			if err != nil {
				return err
			}
			links := dropPages{a}.links(d.Code)
			fmt.Fprintf(stdout, "drop %s: %s (%s) at %s, starts %s, limit %d, reservation %s\n", d.Code, p.Title.In("en"), p.SKU,
				d.Price, d.StartsAt.In(dropPages{a}.zone(d)).Format("2006-01-02 15:04 MST"), d.PerBuyerLimit, d.ReservationTTL)
			fmt.Fprintf(stdout, "units=%d sold=%d reserved=%d left=%d waitlisted=%d subscribers=%d orders=%d revenue=%s\n",
				d.Units, st.Sold, st.Reserved, st.Drop.Left, st.Waitlisted, st.Subscribers, st.Orders, st.Revenue)
			fmt.Fprintf(stdout, "page:   %s\nposter: %s\n", links.Page, links.Poster)
			return nil
		}
	case "edit":
		if fs.NArg() != 1 {
			return usage("edit needs the drop's CODE")
		}
		if !set["starts"] && !set["price"] && !set["units"] && !set["limit"] && !set["reserve"] {
			return usage("edit needs at least one of --starts, --price, --units, --limit, --reserve")
		}
		if set["product"] || set["tz"] || set["key"] {
			return usage("edit changes --starts, --price, --units, --limit and --reserve only")
		}
		if set["units"] && (*units < 1 || *units > commerce.MaxDropUnits) {
			return usage("--units %d: want 1 to %d", *units, commerce.MaxDropUnits)
		}
		if set["limit"] && *limit < 1 {
			return usage("--limit %d: want 1 or more", *limit)
		}
		if set["reserve"] && (*reserve < time.Minute || *reserve > 7*24*time.Hour) {
			return usage("--reserve %s: want 1m to 168h", *reserve)
		}
		dropCode := strings.TrimSpace(fs.Arg(0))
		var bad error
		run = func(a *App) error {
			d, err := a.drops.ByCode(ctx, dropCode)
			if err != nil {
				return err
			}
			var e commerce.DropEdit
			if set["starts"] {
				at, err := commerce.ParseDropStart(*starts, a.drops.Now(), dropPages{a}.zone(d))
				if err != nil {
					bad = fmt.Errorf("--starts %q: want YYYY-MM-DD HH:MM, HH:MM, now or +2h, from now to a year ahead", *starts)
					return bad
				}
				e.StartsAt = &at
			}
			if set["price"] {
				m, err := commerce.ParseMoney(*price, d.Price.Currency)
				if err != nil || m.Amount <= 0 {
					bad = fmt.Errorf("--price %q: want a positive amount in %s", *price, d.Price.Currency)
					return bad
				}
				e.Price = &m
			}
			if set["units"] {
				e.Units = units
			}
			if set["limit"] {
				e.PerBuyerLimit = limit
			}
			if set["reserve"] {
				e.ReservationTTL = reserve
			}
			d, err = a.drops.Edit(ctx, d.ID, e)
			switch {
			case errors.Is(err, commerce.ErrDropStarted):
				return fmt.Errorf("drop %s has started: only --units may change, and only up", dropCode)
			case errors.Is(err, commerce.ErrDropCancelled):
				return fmt.Errorf("drop %s is cancelled", dropCode)
			case err != nil:
				return err
			}
			fmt.Fprintf(stdout, "drop %s: %d units (%d left) at %s, starts %s, limit %d, reservation %s\n", d.Code, d.Units, d.Left,
				d.Price, d.StartsAt.In(dropPages{a}.zone(d)).Format("2006-01-02 15:04 MST"), d.PerBuyerLimit, d.ReservationTTL)
			return nil
		}
		code := runDrop(ctx, cfg, log, run, stderr)
		if code != 0 && bad != nil {
			return 2 // a value that does not parse is a usage error
		}
		return code
	case "cancel":
		if fs.NArg() != 1 || len(set) != 0 {
			return usage("cancel needs the drop's CODE and no flags")
		}
		code := strings.TrimSpace(fs.Arg(0))
		run = func(a *App) error {
			d, err := a.drops.ByCode(ctx, code)
			if err != nil {
				return err
			}
			d, cancelled, err := a.drops.Cancel(ctx, d.ID)
			if err != nil {
				return err
			}
			if !cancelled {
				fmt.Fprintf(stdout, "drop %s was cancelled before (%s)\n", d.Code, d.CancelledAt.In(dropPages{a}.zone(d)).Format("2006-01-02 15:04 MST"))
				return nil
			}
			st, err := a.drops.Stats(ctx, d.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "drop %s cancelled: sales stopped; %d orders (%d units) stay, handle them as orders\n", d.Code, st.Orders, st.Sold)
			return nil
		}
	default:
		return usage("unknown subcommand %q", args[0])
	}
	return runDrop(ctx, cfg, log, run, stderr)
}

// runDrop runs a drop subcommand in an App: 1 when it fails.
func runDrop(ctx context.Context, cfg Config, log *slog.Logger, run func(a *App) error, stderr io.Writer) int {
	if err := withApp(ctx, cfg, log, run); err != nil {
		msg := err.Error()
		if errors.Is(err, commerce.ErrNotFound) {
			msg += " (see shopbot drop list)"
		}
		fmt.Fprintln(stderr, "shopbot drop:", msg)
		return 1
	}
	return 0
}
