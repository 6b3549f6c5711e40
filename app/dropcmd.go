package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/internal/cmdline"
	"shopbot/templates"
)

const dropDescription = `--starts takes "YYYY-MM-DD HH:MM", "HH:MM" (the next one), "now" or "+2h" in --tz
(default SHOPBOT_TIMEZONE); --price defaults to the product's price. --key makes create
idempotent: the same key prints the drop made before. edit changes a drop before its
start (after it, only --units, and only up); cancel stops its sales at once.`

// dropCommand is "shopbot drop …": the seller's drops from the shell.
func (e *cliEnv) dropCommand() *cli.Command {
	starts := func(required bool) cli.Flag {
		return &cli.StringFlag{Name: "starts", Required: required, Usage: "start `TIME`: \"2026-11-27 20:00\", \"20:00\", now or +2h"}
	}
	price := func() cli.Flag {
		return &cli.StringFlag{Name: "price", Usage: "the drop's `PRICE`, e.g. 129.00 (default: the product's)"}
	}
	units := func(required bool) cli.Flag {
		return &cli.IntFlag{Name: "units", Required: required, HideDefault: true, Usage: "`N` units for sale"}
	}
	limit := func() cli.Flag { return &cli.IntFlag{Name: "limit", Value: 1, Usage: "`N` units per buyer"} }
	reserve := func() cli.Flag {
		return &cli.DurationFlag{Name: "reserve", Value: 15 * time.Minute, Usage: "a reservation holds units for `D` (1m to 168h)"}
	}
	return &cli.Command{
		Name:        "drop",
		Usage:       "limited drops: schedule, change, cancel, list, post",
		Description: dropDescription,
		Commands: []*cli.Command{
			{Name: "create", Usage: "schedule a drop; prints its links", Description: dropDescription,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "product", Required: true, Usage: "the product's `ID|SKU`"},
					units(true), starts(true), price(),
					&cli.StringFlag{Name: "tz", Usage: "IANA time `ZONE` of --starts, e.g. Asia/Shanghai"},
					limit(), reserve(),
					&cli.StringFlag{Name: "key", Usage: "idempotency `KEY`: the same key prints the drop made before"},
				},
				Action: e.dropCreate},
			{Name: "edit", Usage: "change a drop (before its start; after it only more units)", ArgsUsage: "CODE",
				Description: dropDescription,
				Flags:       []cli.Flag{starts(false), price(), units(false), limit(), reserve()},
				Action:      e.dropEdit},
			{Name: "cancel", Usage: "stop a drop's sales at once; placed orders stay", ArgsUsage: "CODE", Action: e.dropCancel},
			{Name: "list", Usage: "drops, newest start first", Action: e.dropList},
			{Name: "show", Usage: "a drop's figures: sold, reserved, left, waitlisted, subscribers, revenue", ArgsUsage: "CODE",
				Action: e.dropShow},
			{Name: "post", Usage: "post a drop into a Telegram group or channel (kept current by serve)", ArgsUsage: "CODE",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "chat", Required: true, Usage: "Telegram `CHAT_ID` of the group or channel (-100…)"},
					&cli.StringFlag{Name: "lang", Value: templates.Default, Usage: "write the post in `LANG`: zh-CN, en or ru"},
				},
				Action: e.dropPost},
		},
	}
}

// withDrops runs fn in an App for a drop command; a drop not found points
// at shopbot drop list.
func (e *cliEnv) withDrops(ctx context.Context, cmd *cli.Command, fn func(*App) error) error {
	err := e.withApp(ctx, cmd, platforms{}, fn)
	if errors.Is(err, commerce.ErrNotFound) {
		return fmt.Errorf("%w (see shopbot drop list)", err)
	}
	return err
}

func dropReserve(cmd *cli.Command) (time.Duration, error) {
	r := cmd.Duration("reserve")
	if r < time.Minute || r > 7*24*time.Hour {
		return r, cmdline.Usagef("--reserve %s: want 1m to 168h", r)
	}
	return r, nil
}

func (e *cliEnv) dropCreate(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	product, starts, price, key := cmd.String("product"), cmd.String("starts"), cmd.String("price"), cmd.String("key")
	units, limit := cmd.Int("units"), cmd.Int("limit")
	if units <= 0 {
		return cmdline.Usagef("--units %d: want 1 or more", units)
	}
	cfg, err := e.config(platforms{})
	if err != nil {
		return err
	}
	loc := cfg.zone()
	if tz := cmd.String("tz"); tz != "" {
		if loc, err = time.LoadLocation(tz); err != nil {
			return cmdline.Usagef("--tz %q is not an IANA time zone", tz)
		}
	}
	reserve, err := dropReserve(cmd)
	if err != nil {
		return err
	}
	if len(key) > commerce.MaxDropKeyLen {
		return cmdline.Usagef("--key: at most %d bytes", commerce.MaxDropKeyLen)
	}
	return e.withDrops(ctx, cmd, func(a *App) error {
		p, err := commerce.FindProduct(ctx, a.Store, product)
		if err != nil {
			return fmt.Errorf("product %q: %w", product, err)
		}
		at, err := commerce.ParseDropStart(starts, a.drops.Now(), loc)
		if err != nil {
			return fmt.Errorf("--starts %q: want YYYY-MM-DD HH:MM, HH:MM, now or +2h, from now to a year ahead: %w", starts, err)
		}
		money := p.Price
		if price != "" {
			if money, err = commerce.ParseMoney(price, p.Price.Currency); err != nil || money.Amount <= 0 {
				return fmt.Errorf("--price %q: want a positive amount in %s: %w", price, p.Price.Currency, commerce.ErrInvalid)
			}
		}
		zone := ""
		if loc != nil && loc.String() != "Local" {
			zone = loc.String()
		}
		d, created, err := a.drops.CreateKeyed(ctx, commerce.Drop{ProductID: p.ID, Units: units, Price: money, StartsAt: at,
			TimeZone: zone, PerBuyerLimit: limit, ReservationTTL: reserve}, key)
		if err != nil {
			return err
		}
		if !created {
			fmt.Fprintf(e.stdout, "key %q: drop made before\n", key)
		}
		pages := dropPages{a}
		links := pages.links(d.Code)
		fmt.Fprintf(e.stdout, "drop %s: %d × %s (%s) at %s, starts %s, limit %d, reservation %s\n", d.Code, d.Units, p.SKU,
			p.Title.In("en"), d.Price, d.StartsAt.In(pages.zone(d)).Format("2006-01-02 15:04 MST"), d.PerBuyerLimit, d.ReservationTTL)
		fmt.Fprintf(e.stdout, "page:   %s\nposter: %s\n", links.Page, links.Poster)
		fmt.Fprintf(e.stdout, "stock:  %d of %s on hand in the shop; the drop's %d units are separate: selling them does not change the stock, and the stock does not limit them\n",
			p.Stock, p.SKU, d.Units)
		if links.Bot != "" {
			fmt.Fprintf(e.stdout, "bot:    %s\n", links.Bot)
		}
		return nil
	})
}

func (e *cliEnv) dropList(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	return e.withDrops(ctx, cmd, func(a *App) error {
		list, err := a.drops.List(ctx, 100)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintln(e.stdout, "no drops")
		}
		for _, d := range list {
			title := ""
			if p, err := a.Store.Product(ctx, d.ProductID); err == nil {
				title = p.Title.In("en")
			}
			fmt.Fprintf(e.stdout, "%s  %s  %-9s  %4d/%-4d left  %-14s  %s\n", d.Code,
				d.StartsAt.In(dropPages{a}.zone(d)).Format("2006-01-02 15:04 MST"), dropState(d, a.drops.Now()), d.Left, d.Units, d.Price, title)
		}
		return nil
	})
}

// dropState is a drop's state for the list: cancelled, scheduled (before
// its start), on sale, or ended (started and no unit left).
func dropState(d commerce.Drop, now time.Time) string {
	switch {
	case !d.CancelledAt.IsZero():
		return "cancelled"
	case now.Before(d.StartsAt):
		return "scheduled"
	case d.Left <= 0:
		return "ended"
	}
	return "on sale"
}

func (e *cliEnv) dropShow(ctx context.Context, cmd *cli.Command) error {
	code, err := oneArg(cmd, "the drop's CODE")
	if err != nil {
		return err
	}
	code = strings.TrimSpace(code)
	return e.withDrops(ctx, cmd, func(a *App) error {
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
		pages := dropPages{a}
		links := pages.links(d.Code)
		fmt.Fprintf(e.stdout, "drop %s: %s (%s) at %s, starts %s, limit %d, reservation %s\n", d.Code, p.Title.In("en"), p.SKU,
			d.Price, d.StartsAt.In(pages.zone(d)).Format("2006-01-02 15:04 MST"), d.PerBuyerLimit, d.ReservationTTL)
		fmt.Fprintf(e.stdout, "state=%s units=%d sold=%d reserved=%d left=%d waitlisted=%d subscribers=%d orders=%d revenue=%s\n",
			dropState(st.Drop, a.drops.Now()), d.Units, st.Sold, st.Reserved, st.Drop.Left, st.Waitlisted, st.Subscribers, st.Orders, st.Revenue)
		fmt.Fprintf(e.stdout, "page:   %s\nposter: %s\n", links.Page, links.Poster)
		return nil
	})
}

func (e *cliEnv) dropEdit(ctx context.Context, cmd *cli.Command) error {
	code, err := oneArg(cmd, "the drop's CODE")
	if err != nil {
		return err
	}
	code = strings.TrimSpace(code)
	set := func(name string) bool { return cmd.IsSet(name) }
	if !set("starts") && !set("price") && !set("units") && !set("limit") && !set("reserve") {
		return cmdline.Usagef("edit needs at least one of --starts, --price, --units, --limit, --reserve")
	}
	units, limit, starts, price := cmd.Int("units"), cmd.Int("limit"), cmd.String("starts"), cmd.String("price")
	if set("units") && (units < 1 || units > commerce.MaxDropUnits) {
		return cmdline.Usagef("--units %d: want 1 to %d", units, commerce.MaxDropUnits)
	}
	if set("limit") && limit < 1 {
		return cmdline.Usagef("--limit %d: want 1 or more", limit)
	}
	reserve, err := dropReserve(cmd)
	if set("reserve") && err != nil {
		return err
	}
	return e.withDrops(ctx, cmd, func(a *App) error {
		d, err := a.drops.ByCode(ctx, code)
		if err != nil {
			return err
		}
		pages := dropPages{a}
		var edit commerce.DropEdit
		if set("starts") {
			at, err := commerce.ParseDropStart(starts, a.drops.Now(), pages.zone(d))
			if err != nil {
				return cmdline.Usagef("--starts %q: want YYYY-MM-DD HH:MM, HH:MM, now or +2h, from now to a year ahead", starts)
			}
			edit.StartsAt = &at
		}
		if set("price") {
			m, err := commerce.ParseMoney(price, d.Price.Currency)
			if err != nil || m.Amount <= 0 {
				return cmdline.Usagef("--price %q: want a positive amount in %s", price, d.Price.Currency)
			}
			edit.Price = &m
		}
		if set("units") {
			edit.Units = &units
		}
		if set("limit") {
			edit.PerBuyerLimit = &limit
		}
		if set("reserve") {
			edit.ReservationTTL = &reserve
		}
		d, err = a.drops.Edit(ctx, d.ID, edit)
		switch {
		case errors.Is(err, commerce.ErrDropStarted):
			return fmt.Errorf("drop %s has started: only --units may change, and only up", code)
		case errors.Is(err, commerce.ErrDropCancelled):
			return fmt.Errorf("drop %s is cancelled", code)
		case err != nil:
			return err
		}
		fmt.Fprintf(e.stdout, "drop %s: %d units (%d left) at %s, starts %s, limit %d, reservation %s\n", d.Code, d.Units, d.Left,
			d.Price, d.StartsAt.In(pages.zone(d)).Format("2006-01-02 15:04 MST"), d.PerBuyerLimit, d.ReservationTTL)
		return nil
	})
}

func (e *cliEnv) dropCancel(ctx context.Context, cmd *cli.Command) error {
	code, err := oneArg(cmd, "the drop's CODE")
	if err != nil {
		return err
	}
	code = strings.TrimSpace(code)
	return e.withDrops(ctx, cmd, func(a *App) error {
		d, err := a.drops.ByCode(ctx, code)
		if err != nil {
			return err
		}
		d, cancelled, err := a.drops.Cancel(ctx, d.ID)
		if err != nil {
			return err
		}
		zone := dropPages{a}.zone(d)
		if !cancelled {
			fmt.Fprintf(e.stdout, "drop %s was cancelled before (%s)\n", d.Code, d.CancelledAt.In(zone).Format("2006-01-02 15:04 MST"))
			return nil
		}
		st, err := a.drops.Stats(ctx, d.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "drop %s cancelled: sales stopped; %d orders (%d units) stay, handle them as orders\n", d.Code, st.Orders, st.Sold)
		return nil
	})
}

// dropPost is "shopbot drop post CODE --chat CHAT_ID [--lang L]": the drop's
// post in a Telegram group or channel, as /post there makes it. The serving
// process keeps it current from then on.
func (e *cliEnv) dropPost(ctx context.Context, cmd *cli.Command) error {
	code, err := oneArg(cmd, "the drop's CODE")
	if err != nil {
		return err
	}
	chat, lang := cmd.String("chat"), cmd.String("lang")
	if id, err := strconv.ParseInt(chat, 10, 64); err != nil || id >= 0 {
		return cmdline.Usagef("--chat %q: the chat id of a group or channel is a negative number", chat)
	}
	if templates.Match(lang) == "" {
		return cmdline.Usagef("--lang %q: want zh-CN, en or ru", lang)
	}
	cfg, err := e.config(platforms{telegram: true})
	if err != nil {
		return err
	}
	if cfg.Telegram.Token == "" {
		return cmdline.EnvError(errors.New("drop post needs TELEGRAM_TOKEN"))
	}
	return withApp(ctx, cfg, e.logger(cmd, cfg, false), func(a *App) error {
		p, err := a.posts.Publish(ctx, strings.ToLower(code), bot.ChannelTelegram, chat, lang)
		if errors.Is(err, commerce.ErrNotFound) {
			return fmt.Errorf("no drop with the code %q (see shopbot drop list)", code)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "posted drop %s to chat %s as message %s\n", code, p.ChatID, p.MessageID)
		return nil
	})
}
